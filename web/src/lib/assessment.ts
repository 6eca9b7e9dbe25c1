// Assessment 考核 helpers with no IO: periods (ISO weeks, months, custom ranges, all in
// Asia/Shanghai dates), grades and their colours, indicator values, top/bottom picks for the
// chart, flag lists, practical-matter roll-ups and cycle-task schedules in words.

/** Roles that see the assessment screens. */
export const ASSESSMENT_ROLES = ['leader', 'admin', 'shift_supervisor', 'road_chief']
/** Roles that see (and, owners, update) the practical-matters list. */
export const MATTERS_ROLES = ['leader', 'admin', 'department_handler']
/** Roles that manage cycle tasks. */
export const CYCLE_ROLES = ['leader', 'admin', 'shift_supervisor', 'operator', 'dispatcher', 'inspector']
/** Roles that may create and stop cycle tasks. */
export const CYCLE_EDITORS = ['admin', 'leader', 'shift_supervisor', 'operator']

/** The scope families a ranking can be asked for, in menu order. */
export const SCOPE_KINDS = [
  'department',
  'street',
  'community',
  'grid',
  'road_chief',
  'inspector',
  'operator',
  'shift_supervisor',
  'dispatcher',
] as const
export type ScopeKind = (typeof SCOPE_KINDS)[number]

// ---------------------------------------------------------------------------------------------
// Dates and periods

/** `YYYY-MM-DD` of a UTC-midnight `Date` (the helpers below only make such dates). */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10)
}

/** A `YYYY-MM-DD` string as a UTC-midnight `Date`; `null` when it is not a real date. */
export function parseDate(s: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim())
  if (!m) return null
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return isoDate(d) === `${m[1]}-${m[2]}-${m[3]}` ? d : null
}

const DAY_MS = 86_400_000

export function addDays(d: Date, n: number): Date {
  return new Date(d.getTime() + n * DAY_MS)
}

/** Today's date in Asia/Shanghai (UTC+8, no daylight saving). */
export function shanghaiToday(nowMs: number = Date.now()): Date {
  const d = new Date(nowMs + 8 * 3_600_000)
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
}

/** The ISO week (Monday first; week 1 holds the year's first Thursday) of a date. */
export function isoWeekOf(d: Date): { year: number; week: number } {
  const dow = (d.getUTCDay() + 6) % 7 // Monday 0 … Sunday 6
  const thursday = addDays(d, 3 - dow)
  const year = thursday.getUTCFullYear()
  const jan1 = Date.UTC(year, 0, 1)
  const week = Math.floor((thursday.getTime() - jan1) / DAY_MS / 7) + 1
  return { year, week }
}

/** `2026-W47` of a date. */
export function weekId(d: Date): string {
  const { year, week } = isoWeekOf(d)
  return `${year}-W${String(week).padStart(2, '0')}`
}

/** Monday and Sunday of an ISO week id (`2026-W47`, also `2026W47`); `null` when malformed. */
export function weekRange(id: string): { from: string; to: string } | null {
  const m = /^(\d{4})-?W(\d{1,2})$/i.exec(id.trim())
  if (!m) return null
  const year = Number(m[1])
  const week = Number(m[2])
  if (week < 1 || week > 53) return null
  // January 4th is always in week 1.
  const jan4 = new Date(Date.UTC(year, 0, 4))
  const monday1 = addDays(jan4, -((jan4.getUTCDay() + 6) % 7))
  const monday = addDays(monday1, (week - 1) * 7)
  // Week 53 exists only in years whose week 53 Monday still belongs to them.
  if (isoWeekOf(monday).year !== year) return null
  return { from: isoDate(monday), to: isoDate(addDays(monday, 6)) }
}

/** First and last day of a month id (`2026-11`); `null` when malformed. */
export function monthRange(id: string): { from: string; to: string } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(id.trim())
  if (!m) return null
  const year = Number(m[1])
  const month = Number(m[2])
  if (month < 1 || month > 12) return null
  const first = new Date(Date.UTC(year, month - 1, 1))
  const last = new Date(Date.UTC(year, month, 0))
  return { from: isoDate(first), to: isoDate(last) }
}

/** The ISO week id `n` weeks after `id` (negative: before). */
export function shiftWeek(id: string, n: number): string {
  const r = weekRange(id)
  if (!r) return id
  return weekId(addDays(parseDate(r.from)!, 7 * n))
}

/** The month id `n` months after `id`. */
export function shiftMonth(id: string, n: number): string {
  const m = /^(\d{4})-(\d{2})$/.exec(id)
  if (!m) return id
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1 + n, 1))
  return isoDate(d).slice(0, 7)
}

/** The period a picker shows. */
export type Period =
  | { kind: 'week'; week: string }
  | { kind: 'month'; month: string }
  | { kind: 'custom'; from: string; to: string }

/** The last complete week (the one a weekly review 周讲评 is about). */
export function lastFullWeek(today: Date = shanghaiToday()): string {
  return weekId(addDays(today, -7))
}

export function defaultPeriod(kind: Period['kind'], today: Date = shanghaiToday()): Period {
  if (kind === 'week') return { kind, week: lastFullWeek(today) }
  if (kind === 'month') return { kind, month: isoDate(today).slice(0, 7) }
  return { kind, from: isoDate(addDays(today, -29)), to: isoDate(today) }
}

/** The query parameters of a period: `period=` for weeks and months, `from`/`to` otherwise. */
export function periodQuery(p: Period): { period?: string; from?: string; to?: string } {
  if (p.kind === 'week') return { period: p.week }
  if (p.kind === 'month') return { period: p.month }
  return { from: p.from, to: p.to }
}

/** First and last day of a period; `null` when it is malformed or reversed. */
export function periodRange(p: Period): { from: string; to: string } | null {
  if (p.kind === 'week') return weekRange(p.week)
  if (p.kind === 'month') return monthRange(p.month)
  const f = parseDate(p.from)
  const t = parseDate(p.to)
  if (!f || !t || f > t) return null
  return { from: p.from, to: p.to }
}

/** The period id the report download takes (`2026-W47`, `2026-11`, or `from..to`). */
export function periodId(p: Period): string {
  if (p.kind === 'week') return p.week
  if (p.kind === 'month') return p.month
  return `${p.from}..${p.to}`
}

// ---------------------------------------------------------------------------------------------
// Grades, scores and indicator values

export const GRADES = ['A', 'B', 'C', 'D', 'E'] as const
export type Grade = (typeof GRADES)[number]

/** Colour of a grade: green for A down to red for E; grey when unknown. */
export const GRADE_COLOURS: Record<Grade, string> = {
  A: '#2ba84a',
  B: '#6cbf3a',
  C: '#e6a23c',
  D: '#f07c2b',
  E: '#e03c31',
}

/** A grade from whatever the API sent (`"A"`, `"a"`, `{ "grade": "B" }`); `null` when unknown. */
export function normGrade(g: unknown): Grade | null {
  if (g && typeof g === 'object' && 'grade' in g) return normGrade((g as { grade: unknown }).grade)
  if (typeof g !== 'string') return null
  const u = g.trim().toUpperCase()
  return (GRADES as readonly string[]).includes(u) ? (u as Grade) : null
}

export function gradeColour(g: unknown): string {
  const n = normGrade(g)
  return n ? GRADE_COLOURS[n] : '#909399'
}

/** Element Plus tag type of a grade. */
export function gradeTagType(g: unknown): 'success' | 'primary' | 'warning' | 'danger' | 'info' {
  switch (normGrade(g)) {
    case 'A':
      return 'success'
    case 'B':
      return 'primary'
    case 'C':
      return 'warning'
    case 'D':
    case 'E':
      return 'danger'
    default:
      return 'info'
  }
}

/** A score as a number whether the API sends `87.5` or `{ "value": 87.5, "grade": "B" }`. */
export function scoreValue(s: unknown): number | null {
  if (typeof s === 'number') return Number.isFinite(s) ? s : null
  if (typeof s === 'string' && s.trim() !== '' && Number.isFinite(Number(s))) return Number(s)
  if (s && typeof s === 'object' && 'value' in s) return scoreValue((s as { value: unknown }).value)
  return null
}

/** One indicator: a count, or a rate with its numerator and denominator. */
export type IndicatorValue = number | { num: number; den: number; rate?: number | null } | null

/** The indicator as a display string: `87.5%` for rates (— when the denominator is 0), the count otherwise. */
export function formatIndicator(v: unknown, digits = 1): string {
  if (v == null) return '—'
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(digits)
  if (typeof v === 'object') {
    const r = rateOf(v)
    return r == null ? '—' : `${(r * 100).toFixed(digits)}%`
  }
  return String(v)
}

/** The rate of a `{num, den, rate?}` indicator as a fraction; `null` when undefined. */
export function rateOf(v: unknown): number | null {
  if (!v || typeof v !== 'object') return null
  const o = v as { num?: unknown; den?: unknown; rate?: unknown }
  if (typeof o.den === 'number' && o.den <= 0) return null
  if (typeof o.rate === 'number' && Number.isFinite(o.rate)) return o.rate > 1.0000001 ? o.rate / 100 : o.rate
  if (typeof o.num === 'number' && typeof o.den === 'number' && o.den > 0) return o.num / o.den
  return null
}

/** `12 / 15` for a rate indicator, '' for a count. */
export function ratioText(v: unknown): string {
  if (!v || typeof v !== 'object') return ''
  const o = v as { num?: unknown; den?: unknown }
  return typeof o.num === 'number' && typeof o.den === 'number' ? `${o.num} / ${o.den}` : ''
}

/** Indicators shown as columns for a scope family (the rest are in the row's detail). */
export const KIND_COLUMNS: Record<string, string[]> = {
  department: ['dispatched', 'handled', 'closed', 'handling_rate', 'on_time_handling_rate', 'rework_rate', 'overdue_open'],
  street: ['reported', 'filed', 'closed', 'closure_rate', 'on_time_closure_rate', 'overdue_open'],
  community: ['reported', 'filed', 'closed', 'closure_rate', 'on_time_closure_rate', 'overdue_open'],
  grid: ['reported', 'filed', 'closed', 'closure_rate', 'overdue_open'],
  road_chief: ['reported', 'filed', 'closed', 'closure_rate', 'on_time_closure_rate', 'third_party_findings'],
  inspector: ['reported', 'valid_reports', 'valid_report_rate', 'missed_report_rate', 'on_time_verification_rate', 'on_time_check_rate'],
  operator: ['intake', 'on_time_verify_sending_rate', 'on_time_check_sending_rate'],
  shift_supervisor: ['filed', 'on_time_filing_rate', 'accurate_filing_rate', 'on_time_close_rate'],
  dispatcher: ['dispatched', 'on_time_dispatch_rate', 'accurate_dispatch_rate'],
}

/** The order indicators are listed in (unknown names after these, alphabetically). */
export const INDICATOR_ORDER = [
  'reported',
  'valid_reports',
  'filed',
  'dispatched',
  'handled',
  'closed',
  'closed_self_handled',
  'rejected',
  'voided',
  'overdue_open',
  'due_to_close',
  'third_party_findings',
  'intake',
  'valid_report_rate',
  'closure_rate',
  'on_time_closure_rate',
  'handling_rate',
  'on_time_handling_rate',
  'rework_rate',
  'accurate_dispatch_rate',
  'on_time_dispatch_rate',
  'on_time_verification_rate',
  'on_time_check_rate',
  'missed_report_rate',
  'public_report_rate',
  'on_time_verify_sending_rate',
  'on_time_check_sending_rate',
  'on_time_filing_rate',
  'accurate_filing_rate',
  'on_time_close_rate',
  'avg_handling_hours',
  'satisfaction_rate',
  'transfer_rate',
  'reply_rate',
]

export function orderIndicators(names: Iterable<string>): string[] {
  const pos = new Map(INDICATOR_ORDER.map((n, i) => [n, i]))
  return [...new Set(names)].sort((a, b) => (pos.get(a) ?? 1e9) - (pos.get(b) ?? 1e9) || a.localeCompare(b))
}

/** The columns to show for `kind`: its preferred ones that the rows have, else the first few they have. */
export function columnsFor(kind: string, rows: { indicators: Record<string, unknown> }[]): string[] {
  const have = new Set(rows.flatMap((r) => Object.keys(r.indicators)))
  const wanted = (KIND_COLUMNS[kind] ?? []).filter((c) => have.has(c))
  if (wanted.length || !have.size) return wanted
  return orderIndicators(have).slice(0, 6)
}

/** The best `n` and the worst `n` rows by rank (or score when ranks are missing), without overlap. */
export function topBottom<T extends { rank: number | null; score: number | null }>(rows: T[], n: number): { top: T[]; bottom: T[] } {
  const sorted = [...rows].sort((a, b) => {
    if (a.rank != null && b.rank != null && a.rank !== b.rank) return a.rank - b.rank
    return (b.score ?? -Infinity) - (a.score ?? -Infinity)
  })
  const top = sorted.slice(0, Math.min(n, sorted.length))
  const rest = sorted.slice(top.length)
  const bottom = rest.slice(Math.max(0, rest.length - n))
  return { top, bottom }
}

// ---------------------------------------------------------------------------------------------
// Flags

export interface FlagEntry {
  kind: 'red' | 'black'
  /** `MONDAY` of the week, when known. */
  week: string | null
  scopeKind: string
  scopeId: string
  name: string
  rank: number | null
  composite: number | null
  findings: number
  flagScore: number | null
}

/** A scope from either `{kind, id, name}` or the tagged `{kind:'area', code}` / `{kind:'road_chief', user_id}` forms. */
export function normScope(s: unknown, fallbackName?: unknown): { kind: string; id: string; name: string } {
  const o = (s && typeof s === 'object' ? s : {}) as Record<string, unknown>
  const id = o.id ?? o.code ?? o.user_id ?? ''
  let kind = typeof o.kind === 'string' ? o.kind : ''
  if (kind === 'area' && typeof o.code === 'string') kind = areaKindOf(o.code)
  if (kind === 'person' && typeof o.role === 'string') kind = o.role
  const name = o.name ?? o.label ?? fallbackName ?? id
  return { kind, id: String(id), name: String(name) }
}

/** street / community / grid / district by the length of an area code (6, 9, 12, 15 digits). */
export function areaKindOf(code: string): string {
  switch (code.length) {
    case 6:
      return 'district'
    case 9:
      return 'street'
    case 12:
      return 'community'
    default:
      return 'grid'
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** One flag record from the API, whatever its exact shape. */
export function normFlag(raw: unknown, kindHint?: 'red' | 'black'): FlagEntry {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const k = String(o.kind ?? o.flag ?? kindHint ?? '').toLowerCase()
  const scope = normScope(o.scope, o.name ?? o.scope_name)
  return {
    kind: k === 'black' ? 'black' : 'red',
    week: typeof o.week_start === 'string' ? o.week_start : typeof o.week === 'string' ? o.week : null,
    scopeKind: scope.kind,
    scopeId: scope.id,
    name: scope.name,
    rank: num(o.rank),
    composite: scoreValue(o.composite ?? o.score),
    findings: num(o.third_party_findings ?? o.findings) ?? 0,
    flagScore: num(o.flag_score),
  }
}

/** Red and black flags from `{road_chiefs:[…], streets:[…]}`, `{red:[…], black:[…]}`, `{flags:[…]}` or a plain list, each ordered by rank. */
export function splitFlags(body: unknown): { red: FlagEntry[]; black: FlagEntry[] } {
  const o = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  let all: FlagEntry[] = []
  if (Array.isArray(o.road_chiefs) || Array.isArray(o.streets)) {
    // `{road_chiefs: […], streets: […]}`: each record says its colour.
    all = [...((o.road_chiefs as unknown[]) ?? []), ...((o.streets as unknown[]) ?? [])].map((f) => normFlag(f))
  } else if (Array.isArray(o.red) || Array.isArray(o.black)) {
    all = [
      ...((o.red as unknown[]) ?? []).map((f) => normFlag(f, 'red')),
      ...((o.black as unknown[]) ?? []).map((f) => normFlag(f, 'black')),
    ]
  } else {
    const list = Array.isArray(body) ? body : Array.isArray(o.flags) ? o.flags : Array.isArray(o.items) ? o.items : []
    all = (list as unknown[]).map((f) => normFlag(f))
  }
  const byRank = (a: FlagEntry, b: FlagEntry) => (a.rank ?? 1e9) - (b.rank ?? 1e9) || a.name.localeCompare(b.name)
  return { red: all.filter((f) => f.kind === 'red').sort(byRank), black: all.filter((f) => f.kind === 'black').sort(byRank) }
}

/** Flags grouped by scope family (road chiefs, streets, …), in the order the families first appear. */
export function flagsByScopeKind(flags: FlagEntry[]): [string, FlagEntry[]][] {
  const m = new Map<string, FlagEntry[]>()
  for (const f of flags) {
    const list = m.get(f.scopeKind) ?? []
    list.push(f)
    m.set(f.scopeKind, list)
  }
  return [...m.entries()]
}

export interface FlagWeek {
  week: string
  red: FlagEntry[]
  black: FlagEntry[]
}

/** The history as weeks, newest first. */
export function historyWeeks(body: unknown): FlagWeek[] {
  const o = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const weeksRaw = Array.isArray(o.weeks) ? (o.weeks as unknown[]) : null
  const out = new Map<string, FlagWeek>()
  const add = (f: FlagEntry, week: string) => {
    const w = out.get(week) ?? { week, red: [], black: [] }
    ;(f.kind === 'red' ? w.red : w.black).push(f)
    out.set(week, w)
  }
  if (weeksRaw) {
    for (const wr of weeksRaw) {
      const w = (wr ?? {}) as Record<string, unknown>
      const week = String(w.week_start ?? w.week ?? '')
      const s = splitFlags(w)
      for (const f of [...s.red, ...s.black]) add(f, week)
    }
  } else {
    const list = Array.isArray(body) ? body : Array.isArray(o.items) ? o.items : Array.isArray(o.flags) ? o.flags : []
    for (const f of (list as unknown[]).map((x) => normFlag(x))) add(f, f.week ?? '')
  }
  return [...out.values()].sort((a, b) => b.week.localeCompare(a.week))
}

export interface FlagTally {
  scopeKind: string
  name: string
  red: number
  black: number
  /** Consecutive black flags up to the latest week. */
  blackStreak: number
}

/** Red and black counts per scope over the history, most black flags first. */
export function tallyFlags(weeks: FlagWeek[]): FlagTally[] {
  const m = new Map<string, FlagTally>()
  // Oldest first, so streaks can be followed.
  const ordered = [...weeks].sort((a, b) => a.week.localeCompare(b.week))
  for (const w of ordered) {
    const seen = new Set<string>()
    for (const f of [...w.red, ...w.black]) {
      const key = `${f.scopeKind}:${f.scopeId || f.name}`
      const t = m.get(key) ?? { scopeKind: f.scopeKind, name: f.name, red: 0, black: 0, blackStreak: 0 }
      if (f.kind === 'red') t.red++
      else {
        t.black++
        t.blackStreak = t.blackStreak + 1
      }
      seen.add(`${key}:${f.kind}`)
      m.set(key, t)
    }
    // A week without a black flag ends the streak.
    for (const [key, t] of m) if (!seen.has(`${key}:black`)) t.blackStreak = 0
  }
  return [...m.values()].sort((a, b) => b.black - a.black || b.blackStreak - a.blackStreak || a.red - b.red || a.name.localeCompare(b.name))
}

// ---------------------------------------------------------------------------------------------
// Practical matters 我为群众办实事

export const MATTER_STATUSES = ['done', 'in_progress', 'planned'] as const
export type MatterStatus = (typeof MATTER_STATUSES)[number]

export const MATTER_COLOURS: Record<MatterStatus, string> = { done: '#2ba84a', in_progress: '#2b7de9', planned: '#a8b3c4' }

export interface StatusCounts {
  total: number
  done: number
  in_progress: number
  planned: number
  with_overdue_milestones: number
}

export function normCounts(raw: unknown): StatusCounts {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const done = num(o.done) ?? 0
  const inProgress = num(o.in_progress) ?? 0
  const planned = num(o.planned) ?? 0
  return {
    total: num(o.total) ?? done + inProgress + planned,
    done,
    in_progress: inProgress,
    planned,
    with_overdue_milestones: num(o.with_overdue_milestones) ?? 0,
  }
}

/** Share of the items done, 0–100 (0 for an empty list). */
export function donePercent(c: StatusCounts): number {
  return c.total > 0 ? Math.round((c.done / c.total) * 1000) / 10 : 0
}

/**
 * Per-category roll-up rows from the summary (`by_category` as a map keyed by id or a list of
 * `{category_id | id, name?, …counts}`), named from the categories; categories without items get zeros.
 */
export function categoryRows(summary: unknown, categories: { id: number; name: string }[]): ({ id: number; name: string } & StatusCounts)[] {
  const o = (summary && typeof summary === 'object' ? summary : {}) as Record<string, unknown>
  const raw = o.by_category
  const byId = new Map<number, StatusCounts & { name?: string }>()
  if (Array.isArray(raw)) {
    for (const r of raw as Record<string, unknown>[]) {
      const id = Number(r.category_id ?? r.id)
      if (Number.isFinite(id)) byId.set(id, { ...normCounts(r.counts ?? r), name: typeof r.name === 'string' ? r.name : undefined })
    }
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const id = Number(k)
      if (Number.isFinite(id)) byId.set(id, normCounts(v))
    }
  }
  const names = new Map(categories.map((c) => [c.id, c.name]))
  const ids = [...new Set([...categories.map((c) => c.id), ...byId.keys()])]
  return ids.map((id) => {
    const c = byId.get(id) ?? normCounts({})
    return { ...normCounts(c), id, name: names.get(id) ?? byId.get(id)?.name ?? `#${id}` }
  })
}

/** An item's latest progress percentage (by date; 0 without updates). */
export function latestPercent(progress: { on: string; percent: number }[] | undefined | null): number {
  if (!progress?.length) return 0
  const last = [...progress].sort((a, b) => a.on.localeCompare(b.on)).at(-1)!
  return Math.max(0, Math.min(100, last.percent))
}

/** Problems with a progress update before it is sent (i18n keys). */
export function progressProblems(u: { on: string; percent: number | null; note: string }, previous: number): string[] {
  const out: string[] = []
  if (!parseDate(u.on)) out.push('matters.err.date')
  if (u.percent == null || !Number.isInteger(u.percent) || u.percent < 0 || u.percent > 100) out.push('matters.err.percent')
  else if (u.percent < previous) out.push('matters.err.backwards')
  if (!u.note.trim()) out.push('matters.err.note')
  return out
}

// ---------------------------------------------------------------------------------------------
// Cycle tasks 周期案件

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const

/** A weekday from `Mon`, `monday`, `1` (Monday) … `7`/`0` (Sunday); `null` when unknown. */
export function normWeekday(d: unknown): (typeof WEEKDAYS)[number] | null {
  if (typeof d === 'number') return WEEKDAYS[(((d - 1) % 7) + 7) % 7] ?? null
  if (typeof d !== 'string') return null
  const k = d.trim().slice(0, 3).toLowerCase()
  return WEEKDAYS.find((w) => w.toLowerCase() === k) ?? null
}

export interface ScheduleWords {
  /** i18n key and params. */
  key: string
  params: Record<string, string | number>
}

/** A schedule in words (an i18n key with its params); `days` is passed already translated by the caller. */
export function describeSchedule(s: unknown, dayName: (d: (typeof WEEKDAYS)[number]) => string, sep = '、'): ScheduleWords {
  const o = (s && typeof s === 'object' ? s : {}) as Record<string, unknown>
  switch (o.kind) {
    case 'weekly': {
      const days = (Array.isArray(o.days) ? o.days : []).map(normWeekday).filter((d): d is (typeof WEEKDAYS)[number] => d != null)
      const ordered = WEEKDAYS.filter((w) => days.includes(w))
      return { key: 'cycle.sched.weekly', params: { days: ordered.map(dayName).join(sep) } }
    }
    case 'monthly':
      return { key: 'cycle.sched.monthly', params: { day: Number(o.day ?? 1) } }
    case 'every_n_working_days':
      return { key: 'cycle.sched.everyN', params: { n: Number(o.n ?? 1), anchor: String(o.anchor ?? '') } }
    default:
      return { key: 'cycle.sched.unknown', params: {} }
  }
}

/** Problems with a cycle task before it is sent (i18n keys). */
export function cycleProblems(f: {
  title: string
  class_code: string
  placeKind: string
  placeValue: string
  scheduleKind: string
  days: string[]
  monthDay: number | null
  n: number | null
  anchor: string
  time: string
}): string[] {
  const out: string[] = []
  if (!f.title.trim()) out.push('cycle.err.title')
  if (!f.class_code.trim()) out.push('cycle.err.class')
  if (f.placeKind === 'point') {
    if (!parseLatLon(f.placeValue)) out.push('cycle.err.point')
  } else if (!f.placeValue.trim()) out.push('cycle.err.place')
  if (f.scheduleKind === 'weekly' && !f.days.length) out.push('cycle.err.days')
  if (f.scheduleKind === 'monthly' && (f.monthDay == null || f.monthDay < 1 || f.monthDay > 31)) out.push('cycle.err.monthDay')
  if (f.scheduleKind === 'every_n_working_days') {
    if (f.n == null || !Number.isInteger(f.n) || f.n < 1) out.push('cycle.err.n')
    if (!parseDate(f.anchor)) out.push('cycle.err.anchor')
  }
  if (!/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(f.time)) out.push('cycle.err.time')
  return out
}

/** `lat,lon` (also with a space or `，`) → numbers; `null` when not a valid WGS-84 position. */
export function parseLatLon(s: string): { lat: number; lon: number } | null {
  const parts = s.split(/[,，\s]+/).filter(Boolean)
  if (parts.length !== 2) return null
  const lat = Number(parts[0])
  const lon = Number(parts[1])
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null
  return { lat, lon }
}
