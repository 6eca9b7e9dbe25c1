// Assessment 考核 endpoints in one place: indicators and rankings, daily series, the weekly
// red/black flags 周讲评, report downloads, cycle tasks 周期案件 and the practical-matters list
// 我为群众办实事. Every response goes through a normaliser that tolerates missing or renamed
// fields, so that a change of the API's shape is fixed here and nowhere else.
import {
  historyWeeks,
  normCounts,
  normGrade,
  normScope,
  scoreValue,
  splitFlags,
  type FlagEntry,
  type FlagWeek,
  type Grade,
  type StatusCounts,
} from '../lib/assessment'
import { errorFromResponse, ApiError, http, withQuery, type Query } from './http'

export interface RankingRow {
  scope: { kind: string; id: string; name: string }
  indicators: Record<string, unknown>
  score: number | null
  grade: Grade | null
  rank: number | null
}

export interface Rankings {
  period: { from: string; to: string } | null
  rows: RankingRow[]
}

export interface PeriodQuery {
  period?: string
  from?: string
  to?: string
}

const asList = (v: unknown, ...keys: string[]): unknown[] => {
  if (Array.isArray(v)) return v
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>
  for (const k of keys) if (Array.isArray(o[k])) return o[k] as unknown[]
  return []
}

export function normRankings(body: unknown): Rankings {
  const o = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const p = o.period as Record<string, unknown> | undefined
  const period =
    p && typeof p.from === 'string' && typeof p.to === 'string'
      ? { from: p.from, to: p.to }
      : p && typeof p.first === 'string' && typeof p.last === 'string'
        ? { from: p.first, to: p.last }
        : null
  const rows = asList(body, 'rows', 'items', 'rankings').map((r): RankingRow => {
    const x = (r ?? {}) as Record<string, unknown>
    const score = x.score
    return {
      scope: normScope(x.scope, x.name),
      indicators: (x.indicators && typeof x.indicators === 'object' ? x.indicators : {}) as Record<string, unknown>,
      score: scoreValue(score),
      grade: normGrade(x.grade ?? score),
      rank: typeof x.rank === 'number' ? x.rank : null,
    }
  })
  return { period, rows }
}

/** Daily points `[YYYY-MM-DD, value]` from `{days|points|series|items: […]}` in any of the usual shapes. */
export function normSeries(body: unknown): [string, number][] {
  const o = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const out: [string, number][] = []
  const consecutive = typeof o.from === 'string' && Array.isArray(o.values) && o.values.every((v) => typeof v === 'number')
  const list = consecutive ? [] : asList(body, 'days', 'points', 'series', 'items', 'values')
  if (list.length) {
    for (const p of list) {
      if (Array.isArray(p) && p.length >= 2) out.push([String(p[0]), Number(p[1])])
      else if (p && typeof p === 'object') {
        const q = p as Record<string, unknown>
        const day = q.day ?? q.date ?? q.on
        const v = q.value ?? q.count ?? q.v
        if (day != null && v != null) out.push([String(day), Number(v)])
      }
    }
  } else if (consecutive) {
    // `{from, values: [..]}`: consecutive days.
    const start = new Date(`${String(o.from)}T00:00:00Z`)
    ;(o.values as unknown[]).forEach((v, i) => out.push([new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10), Number(v)]))
  } else {
    // `{ "2026-11-01": 3, … }`
    for (const [k, v] of Object.entries(o)) if (/^\d{4}-\d{2}-\d{2}$/.test(k) && typeof v === 'number') out.push([k, v])
  }
  return out.filter((p) => Number.isFinite(p[1])).sort((a, b) => a[0].localeCompare(b[0]))
}

// ----- cycle tasks

export interface CycleTask {
  id: number
  title: string
  class_code: string
  place: Record<string, unknown>
  schedule: Record<string, unknown>
  time: string
  non_working: string
  next_at?: string | null
  last_at?: string | null
  [k: string]: unknown
}

export function normCycleTask(raw: unknown): CycleTask {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const rule = (o.rule && typeof o.rule === 'object' ? o.rule : o) as Record<string, unknown>
  return {
    ...rule,
    id: Number(o.id ?? rule.id ?? 0),
    title: String(rule.title ?? ''),
    class_code: String(rule.class_code ?? ''),
    place: (rule.place ?? {}) as Record<string, unknown>,
    schedule: (rule.schedule ?? {}) as Record<string, unknown>,
    time: String(rule.time ?? ''),
    non_working: String(rule.non_working ?? 'keep'),
    next_at: (o.next_at ?? o.next_run ?? o.next ?? null) as string | null,
    last_at: (o.last_at ?? o.last_run ?? null) as string | null,
  }
}

/** One occurrence of a cycle task and the 周期案件 made for it (null until made). */
export interface CycleRun {
  task_id: number
  title: string | null
  due_at: string
  inspector_id: number
  case_id: number | null
  case_state: string | null
}

export function normCycleRun(raw: unknown): CycleRun {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  return {
    task_id: Number(o.task_id ?? 0),
    title: o.title == null ? null : String(o.title),
    due_at: String(o.due_at ?? ''),
    inspector_id: Number(o.inspector_id ?? 0),
    case_id: o.case_id == null ? null : Number(o.case_id),
    case_state: o.case_state == null ? null : String(o.case_state),
  }
}

/** A new cycle task: the rule and the inspector it makes tasks for. */
export type CycleTaskInput = Omit<CycleTask, 'id' | 'next_at' | 'last_at'> & { id?: number; inspector_id: number | null }

// ----- practical matters

export interface MatterCategory {
  id: number
  name: string
}

export interface Matter {
  id: number
  category_id: number
  category_name?: string
  title: string
  plan: string
  measures: string[]
  owner_department_id: number | null
  owner_department_name?: string
  milestones: { title: string; due: string; done_on: string | null }[]
  progress: { on: string; percent: number; note: string }[]
  status: string
}

export function normMatter(raw: unknown): Matter {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const measures = Array.isArray(o.measures) ? o.measures.map(String) : typeof o.measures === 'string' ? [o.measures] : []
  return {
    id: Number(o.id ?? 0),
    category_id: Number(o.category_id ?? (o.category as { id?: unknown } | undefined)?.id ?? 0),
    category_name: (o.category_name ?? (o.category as { name?: unknown } | undefined)?.name) as string | undefined,
    title: String(o.title ?? o.name ?? ''),
    plan: String(o.plan ?? ''),
    measures,
    owner_department_id: o.owner_department_id != null ? Number(o.owner_department_id) : null,
    owner_department_name: (o.owner_department_name ?? o.owner_department ?? o.department_name) as string | undefined,
    milestones: Array.isArray(o.milestones) ? (o.milestones as Matter['milestones']) : [],
    progress: Array.isArray(o.progress) ? (o.progress as Matter['progress']) : [],
    status: String(o.status ?? 'planned'),
  }
}

export interface MattersSummary {
  total: StatusCounts
  raw: unknown
}

/** A new item (the server rejects unknown fields; its status follows from its progress). */
export interface MatterInput {
  category_id: number
  title: string
  plan: string
  measures: string[]
  owner_department_id: number
  milestones: { title: string; due: string }[]
}

/** The server filters by category only; status and text are filtered in the browser. */
export interface MatterQuery {
  category_id?: number | ''
}

/** A file from the API saved under `fallbackName` (or the name the server gives); errors as [`ApiError`]. */
export async function download(path: string, query: Query, fallbackName: string): Promise<string> {
  let res: Response
  try {
    res = await fetch(withQuery(path, query), { credentials: 'same-origin' })
  } catch (e) {
    throw new ApiError(0, 'network', (e as Error)?.message || 'network error')
  }
  if (!res.ok) throw await errorFromResponse(res)
  const blob = await res.blob()
  const cd = res.headers.get('content-disposition') ?? ''
  const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(cd)
  const name = m ? decodeURIComponent(m[1] ?? m[2] ?? fallbackName) : fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}

export const assessmentApi = {
  /** Indicators, score, grade and rank of every scope of a family over a period. */
  rankings: async (scopeKind: string, p: PeriodQuery) =>
    normRankings(await http.get<unknown>('/api/assessment/indicators', { scope_kind: scopeKind, ...p })),
  /** Daily values of one counter of one scope. */
  series: async (q: { scope_kind: string; scope_id: string; counter: string; from: string; to: string }) =>
    normSeries(await http.get<unknown>('/api/assessment/series', { ...q })),
  /** The red and black flags of an ISO week (`2026-W47`). */
  flags: async (week: string): Promise<{ red: FlagEntry[]; black: FlagEntry[] }> =>
    splitFlags(await http.get<unknown>('/api/assessment/flags', { week })),
  /** Every weekly review so far, newest first. */
  flagHistory: async (): Promise<FlagWeek[]> => historyWeeks(await http.get<unknown>('/api/assessment/flags/history')),
  /** The weekly/monthly report as a file download. */
  report: (format: 'xlsx' | 'csv', kind: 'weekly' | 'monthly', period: string) =>
    download(`/api/assessment/report.${format}`, { kind, period }, `assessment-${kind}-${period}.${format}`),

  cycleTasks: async () => asList(await http.get<unknown>('/api/cycle-tasks'), 'tasks', 'items', 'rules').map(normCycleTask),
  createCycleTask: async (t: CycleTaskInput) => normCycleTask(await http.post<unknown>('/api/cycle-tasks', t)),
  deleteCycleTask: (id: number) => http.delete<void>(`/api/cycle-tasks/${id}`),
  cycleRuns: async (from: string, to: string) =>
    asList(await http.get<unknown>(`/api/cycle-tasks/runs?from=${from}&to=${to}`), 'runs').map(normCycleRun),

  matterCategories: async (): Promise<MatterCategory[]> =>
    asList(await http.get<unknown>('/api/matters/categories'), 'items', 'categories').map((c) => {
      const o = (c ?? {}) as Record<string, unknown>
      return { id: Number(o.id), name: String(o.name ?? o.id) }
    }),
  createMatterCategory: (name: string) => http.post<MatterCategory>('/api/matters/categories', { name }),
  matters: async (q: MatterQuery = {}): Promise<{ items: Matter[]; total: number }> => {
    const body = await http.get<unknown>('/api/matters', { ...q })
    const items = asList(body, 'items', 'matters').map(normMatter)
    const total = (body as { total?: unknown } | null)?.total
    return { items, total: typeof total === 'number' ? total : items.length }
  },
  createMatter: async (m: MatterInput) => normMatter(await http.post<unknown>('/api/matters', m)),
  matterProgress: async (id: number, u: { on: string; percent: number; note: string; milestones_done?: string[] }) =>
    normMatter(await http.post<unknown>(`/api/matters/${id}/progress`, u)),
  mattersSummary: async (): Promise<MattersSummary> => {
    const raw = await http.get<unknown>('/api/matters/summary')
    return { total: normCounts((raw as { total?: unknown } | null)?.total ?? raw), raw }
  },
}
