// Supervision 督办 helpers with no IO: the list and its counts made whole whatever shape the
// server sent, the two levels (1 = 部门督办 to the department head, 2 = 领导督办 to the district
// leader), the escalation rules 自动督办规则 described in words (zh/en), and the rules form
// checked before it is sent (`PUT /api/config/escalation-rules`; the server still has the last
// word with a 422 `invalid_rules`).
import type { Case } from '../api/types'

/** Roles that see the supervision list (the server's readers of `GET /api/supervision`). */
export const SUPERVISION_ROLES = ['leader', 'shift_supervisor', 'dispatcher', 'admin']
/** Roles that may change the escalation rules. */
export const RULE_EDITOR_ROLES = ['admin']

export type SupervisionStatus = 'open' | 'closed' | 'all'
export const SUPERVISION_STATUSES: readonly SupervisionStatus[] = ['open', 'closed', 'all']

export type Level = 1 | 2
export const LEVELS: readonly Level[] = [1, 2]

/** The last 督办 step of a case. */
export interface SupervisionStep {
  at: string
  /** Raised by an escalation rule 自动督办, not by a leader by hand 人工督办. */
  automatic: boolean
  actor_name: string
  /** The reason given (by hand) or the rule's wording (automatic); null when none. */
  note: string | null
}

/** One supervised case as `GET /api/supervision` lists it. */
export interface SupervisionItem {
  case: Case
  level: Level
  /** How many 督办 steps the case has had. */
  events: number
  last: SupervisionStep | null
}

export interface SupervisionCounts {
  open: number
  closed: number
  level1: number
  level2: number
}

export interface SupervisionList {
  items: SupervisionItem[]
  counts: SupervisionCounts
}

export type Trigger = 'red_light' | 'rework' | 'citizen_reopen' | 'overdue_hours'
/** The triggers in the order the server ships them. */
export const TRIGGERS: readonly Trigger[] = ['red_light', 'rework', 'citizen_reopen', 'overdue_hours']
/** Triggers that need a threshold (a number of reworks, hours overdue); the others take none. */
export const THRESHOLD_TRIGGERS: readonly Trigger[] = ['rework', 'overdue_hours']

/** One escalation rule: when `trigger` (at `threshold`) happens, supervise at `level`. */
export interface EscalationRule {
  trigger: Trigger
  threshold: number | null
  level: Level
  enabled: boolean
}

/** The rules the server ships. */
export const DEFAULT_RULES: readonly EscalationRule[] = [
  { trigger: 'red_light', threshold: null, level: 1, enabled: true },
  { trigger: 'rework', threshold: 2, level: 2, enabled: true },
  { trigger: 'citizen_reopen', threshold: null, level: 1, enabled: true },
  { trigger: 'overdue_hours', threshold: 24, level: 2, enabled: true },
]

export type Lang = 'zh-CN' | 'en'

const LEVEL_TO: Record<Lang, Record<Level, string>> = {
  'zh-CN': { 1: '督办至部门负责人', 2: '督办至区领导' },
  en: { 1: 'supervised by the department head', 2: 'supervised by the district leader' },
}

const TEXT = {
  'zh-CN': {
    level: { 1: '部门督办', 2: '领导督办' } as Record<Level, string>,
    automatic: '自动督办',
    manual: '人工督办',
    trigger: { red_light: '红灯超时', rework: '返工', citizen_reopen: '群众不满意重办', overdue_hours: '超时时长' } as Record<Trigger, string>,
    when: {
      red_light: () => '案卷亮红灯（超过办理时限）',
      rework: (n: number | null) => `案卷返工达 ${n ?? '?'} 次`,
      citizen_reopen: () => '群众回访不满意、案卷重新办理',
      overdue_hours: (n: number | null) => `案卷超时 ${n ?? '?'} 小时`,
    } as Record<Trigger, (n: number | null) => string>,
    then: (level: Level) => `，${LEVEL_TO['zh-CN'][level]}`,
    off: '（已停用）',
  },
  en: {
    level: { 1: 'Department supervision', 2: 'Leader supervision' } as Record<Level, string>,
    automatic: 'Automatic',
    manual: 'By hand',
    trigger: { red_light: 'Red light', rework: 'Rework', citizen_reopen: 'Citizen reopened', overdue_hours: 'Hours overdue' } as Record<Trigger, string>,
    when: {
      red_light: () => 'When a case turns red (past its time limit)',
      rework: (n: number | null) => `When a case has been reworked ${n ?? '?'} time${n === 1 ? '' : 's'}`,
      citizen_reopen: () => 'When a citizen is not satisfied and the case is reopened',
      overdue_hours: (n: number | null) => `When a case is ${n ?? '?'} hour${n === 1 ? '' : 's'} overdue`,
    } as Record<Trigger, (n: number | null) => string>,
    then: (level: Level) => `, it is ${LEVEL_TO.en[level]}`,
    off: ' (off)',
  },
}

/** 部门督办 / 领导督办 (or the English). */
export function levelLabel(level: number, lang: Lang = 'zh-CN'): string {
  const l = asLevel(level)
  return l ? TEXT[lang].level[l] : String(level)
}

/** Element Plus tag type of a level: leader supervision stands out more. */
export function levelTagType(level: number): 'danger' | 'warning' {
  return level >= 2 ? 'danger' : 'warning'
}

/** 自动督办 / 人工督办. */
export function originLabel(automatic: boolean, lang: Lang = 'zh-CN'): string {
  return automatic ? TEXT[lang].automatic : TEXT[lang].manual
}

/** The short name of a trigger (for the form's select). */
export function triggerLabel(trigger: string, lang: Lang = 'zh-CN'): string {
  return isTrigger(trigger) ? TEXT[lang].trigger[trigger] : trigger
}

/** A rule in one sentence: 「案卷返工达 2 次，督办至区领导」. */
export function ruleText(rule: EscalationRule, lang: Lang = 'zh-CN'): string {
  const x = TEXT[lang]
  const when = isTrigger(rule.trigger) ? x.when[rule.trigger](rule.threshold) : rule.trigger
  return `${when}${x.then(asLevel(rule.level) ?? 1)}${rule.enabled ? '' : x.off}`
}

export function isTrigger(v: unknown): v is Trigger {
  return typeof v === 'string' && (TRIGGERS as readonly string[]).includes(v)
}

/** Whether a trigger takes a threshold. */
export function needsThreshold(trigger: string): boolean {
  return (THRESHOLD_TRIGGERS as readonly string[]).includes(trigger)
}

function asLevel(v: unknown): Level | null {
  const n = typeof v === 'string' ? Number(v) : v
  return n === 1 || n === 2 ? n : null
}

function count(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

/** Case states after which a supervision is over. */
const FINISHED = new Set(['closed', 'voided', 'rejected', 'merged'])

/** Whether a supervised case is finished (its supervision closed). */
export function isClosed(c: Pick<Case, 'state' | 'closed_at'>): boolean {
  return FINISHED.has(c.state) || !!c.closed_at
}

/** The counts of a list of items (used when the server sent none). */
export function countsOf(items: SupervisionItem[]): SupervisionCounts {
  const out = { open: 0, closed: 0, level1: 0, level2: 0 }
  for (const it of items) {
    if (isClosed(it.case)) out.closed++
    else out.open++
    if (it.level === 2) out.level2++
    else out.level1++
  }
  return out
}

/** One item as the UI uses it, or null when it has no case. */
function item(raw: unknown): SupervisionItem | null {
  const o = obj(raw)
  const c = obj(o.case)
  if (typeof c.id !== 'number' && typeof c.id !== 'string') return null
  const kase = { ...c, id: Number(c.id), supervision_level: count(c.supervision_level) } as unknown as Case
  if (!Number.isFinite(kase.id)) return null
  const level = asLevel(o.level) ?? asLevel(kase.supervision_level) ?? (kase.supervision_level >= 2 ? 2 : 1)
  const l = obj(o.last)
  const last: SupervisionStep | null =
    typeof l.at === 'string'
      ? {
          at: l.at,
          automatic: l.automatic === true,
          actor_name: typeof l.actor_name === 'string' ? l.actor_name : '',
          note: typeof l.note === 'string' && l.note.trim() ? l.note : null,
        }
      : null
  return { case: kase, level, events: Math.max(count(o.events), last ? 1 : 0), last }
}

/**
 * `GET /api/supervision`'s answer as the UI uses it: items with a case (others dropped), a
 * level of 1 or 2, and the counts (computed from the items when the server sent none).
 */
export function normaliseList(raw: unknown): SupervisionList {
  const o = obj(raw)
  const list = Array.isArray(raw) ? raw : Array.isArray(o.items) ? o.items : []
  const items = list.map(item).filter((x): x is SupervisionItem => x !== null)
  const c = obj(o.counts)
  const counts = ['open', 'closed', 'level1', 'level2'].some((k) => k in c)
    ? { open: count(c.open), closed: count(c.closed), level1: count(c.level1), level2: count(c.level2) }
    : countsOf(items)
  return { items, counts }
}

/** A form row: the threshold may be empty while being typed. */
export interface RuleRow {
  trigger: Trigger
  threshold: number | null
  level: Level
  enabled: boolean
}

/** `GET /api/config/escalation-rules`'s rules, unknown triggers dropped. */
export function normaliseRules(raw: unknown): EscalationRule[] {
  const o = obj(raw)
  const list = Array.isArray(raw) ? raw : Array.isArray(o.rules) ? o.rules : []
  const out: EscalationRule[] = []
  for (const r of list) {
    const x = obj(r)
    if (!isTrigger(x.trigger)) continue
    const th = x.threshold == null || x.threshold === '' ? null : Number(x.threshold)
    out.push({
      trigger: x.trigger,
      threshold: th != null && Number.isFinite(th) ? th : null,
      level: asLevel(x.level) ?? 1,
      enabled: x.enabled !== false,
    })
  }
  return out
}

export type RuleField = 'trigger' | 'threshold' | 'level'
export type RuleProblemCode = 'threshold_required' | 'threshold_whole' | 'threshold_range' | 'duplicate' | 'level'

/** One thing wrong with the rules form, at row `index`. */
export interface RuleProblem {
  index: number
  field: RuleField
  code: RuleProblemCode
}

const PROBLEM_TEXT: Record<Lang, Record<RuleProblemCode, (r: RuleRow) => string>> = {
  'zh-CN': {
    threshold_required: (r) => (r.trigger === 'rework' ? '请填写返工次数' : '请填写超时小时数'),
    threshold_whole: () => '阈值须为整数',
    threshold_range: () => '阈值至少为 1',
    duplicate: () => '与上面的规则重复',
    level: () => '请选择督办级别',
  },
  en: {
    threshold_required: (r) => (r.trigger === 'rework' ? 'Enter the number of reworks' : 'Enter the hours overdue'),
    threshold_whole: () => 'The threshold must be a whole number',
    threshold_range: () => 'The threshold must be at least 1',
    duplicate: () => 'Repeats a rule above',
    level: () => 'Choose a level',
  },
}

/** A problem in words. */
export function problemText(p: RuleProblem, rows: RuleRow[], lang: Lang = 'zh-CN'): string {
  const row = rows[p.index] ?? { trigger: 'rework', threshold: null, level: 1, enabled: true }
  return PROBLEM_TEXT[lang][p.code](row)
}

/**
 * Checks the rules form as the server does — rework and overdue_hours need a whole threshold of
 * at least 1, the others none (the form clears it), a level of 1 or 2 — and, stricter than the
 * server, no rule may repeat another (same trigger, and the same threshold for the triggers that
 * take one). Disabled rules are checked too (they are kept on the server).
 */
export function validateRules(rows: RuleRow[]): RuleProblem[] {
  const problems: RuleProblem[] = []
  const seen = new Set<string>()
  rows.forEach((r, index) => {
    if (asLevel(r.level) == null) problems.push({ index, field: 'level', code: 'level' })
    let key = r.trigger as string
    if (needsThreshold(r.trigger)) {
      const th = r.threshold
      if (th == null || (typeof th === 'number' && Number.isNaN(th))) {
        problems.push({ index, field: 'threshold', code: 'threshold_required' })
        return
      }
      if (!Number.isInteger(th)) problems.push({ index, field: 'threshold', code: 'threshold_whole' })
      else if (th < 1) problems.push({ index, field: 'threshold', code: 'threshold_range' })
      key += `:${th}`
    }
    if (seen.has(key)) problems.push({ index, field: 'trigger', code: 'duplicate' })
    seen.add(key)
  })
  return problems
}

/** The body of `PUT /api/config/escalation-rules`: thresholds only where a trigger takes one. */
export function rulesBody(rows: RuleRow[]): { rules: EscalationRule[] } {
  return {
    rules: rows.map((r) => ({
      trigger: r.trigger,
      threshold: needsThreshold(r.trigger) ? r.threshold : null,
      level: r.level,
      enabled: r.enabled,
    })),
  }
}

/** A new form row for `trigger`, with the server's default threshold and level. */
export function newRule(trigger: Trigger = 'overdue_hours'): RuleRow {
  const d = DEFAULT_RULES.find((r) => r.trigger === trigger) ?? DEFAULT_RULES[0]
  return { ...d, trigger }
}

/** The row a server's 422 `invalid_rules` message names (`rule 2: …`, counted from 0), if any. */
export function ruleIndexOf(message: string, rows: number): number | null {
  const m = /\brule (\d+)\b/.exec(message)
  if (!m) return null
  const i = Number(m[1])
  return i < rows ? i : null
}
