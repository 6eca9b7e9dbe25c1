// Vehicles, monitors and alarms for display: filters, colours, limits, live merging and who may
// act. Pure functions (no Vue, no clock) so that they are tested directly.
import type { Alarm, AlarmStateFilter } from '../api/alarms'
import type { Monitor, Reading, Vehicle } from '../api/devices'

/** Marker colour per vehicle kind (an unknown kind is grey). */
export const KIND_COLOURS: Record<string, string> = {
  muck_truck: '#d9821f',
  sweeper: '#1f9d55',
  sanitation: '#2b7de9',
  enforcement: '#7c3aed',
  garbage_truck: '#0f766e',
}
/** Offline vehicles are drawn in this grey whatever their kind. */
export const OFFLINE_COLOUR = '#a0a7b4'

export function vehicleColour(v: Pick<Vehicle, 'kind' | 'online'>): string {
  if (!v.online) return OFFLINE_COLOUR
  return KIND_COLOURS[v.kind] ?? '#65789b'
}

export interface VehicleFilter {
  /** '' = every kind. */
  kind: string
  /** '' = both. */
  online: '' | 'online' | 'offline'
  /** Text in the plate (ignoring case, spaces and the middle dot), company or terminal phone. */
  q: string
}

/** A plate as typed and as stored compare equal: `豫A·D1234` ~ `豫ad1234`. */
export function normalizePlate(s: string): string {
  return s.replace(/[\s·.\-•]/g, '').toUpperCase()
}

export function filterVehicles(list: readonly Vehicle[], f: VehicleFilter): Vehicle[] {
  const q = normalizePlate(f.q.trim())
  return list.filter((v) => {
    if (f.kind && v.kind !== f.kind) return false
    if (f.online === 'online' && !v.online) return false
    if (f.online === 'offline' && v.online) return false
    if (!q) return true
    return (
      normalizePlate(v.plate).includes(q) ||
      (v.company ?? '').toUpperCase().includes(q) ||
      (v.phone ?? '').includes(q) ||
      (v.terminal_id ?? '').toUpperCase().includes(q)
    )
  })
}

/** Counts per kind and online state (for the filter chips). */
export function fleetCounts(list: readonly Vehicle[]): { total: number; online: number; byKind: Record<string, number> } {
  const byKind: Record<string, number> = {}
  let online = 0
  for (const v of list) {
    byKind[v.kind] = (byKind[v.kind] ?? 0) + 1
    if (v.online) online++
  }
  return { total: list.length, online, byKind }
}

/** A factor a monitor reports, its unit and its limit (null: none applies). */
export interface FactorInfo {
  code: string
  unit: string
  limit: number | null
}

/**
 * Factors per monitor kind, the first being the headline one. Limits: 油烟 2.0 mg/m³
 * (GB 18483-2001, 饮食业油烟排放标准); particulates 5.0 mg/m³ and 非甲烷总烃 10.0 mg/m³
 * (DB41/1604-2018, 河南省餐饮业油烟污染物排放标准). Dust and noise are shown without a limit.
 */
export const FACTORS: Record<string, FactorInfo[]> = {
  fume: [
    { code: 'a34041', unit: 'mg/m³', limit: 2.0 },
    { code: 'a34000', unit: 'mg/m³', limit: 5.0 },
    { code: 'a24088', unit: 'mg/m³', limit: 10.0 },
  ],
  dust: [
    { code: 'a34002', unit: 'μg/m³', limit: null },
    { code: 'a34004', unit: 'μg/m³', limit: null },
    { code: 'LA', unit: 'dB(A)', limit: null },
  ],
  noise: [{ code: 'LA', unit: 'dB(A)', limit: null }],
}

export function factorsOf(kind: string): FactorInfo[] {
  return FACTORS[kind] ?? []
}

/** A reading's value as a number (null when missing or not a number). */
export function readingValue(r: Pick<Reading, 'value'>): number | null {
  if (r.value == null || r.value === '') return null
  const n = typeof r.value === 'number' ? r.value : Number(r.value)
  return Number.isFinite(n) ? n : null
}

/**
 * The series to chart from one factor's rows: the real-time values (`Rtd`) when there are any,
 * else the averages (`Avg`), as `[time ms, value]` pairs oldest first.
 */
export function readingSeries(items: readonly Reading[]): { field: string; points: [number, number][] } {
  const fields = new Set(items.map((r) => r.field))
  const field = fields.has('Rtd') ? 'Rtd' : fields.has('Avg') ? 'Avg' : (items[0]?.field ?? 'Rtd')
  const points: [number, number][] = []
  for (const r of items) {
    if (r.field !== field) continue
    const v = readingValue(r)
    const t = Date.parse(r.data_time)
    if (v == null || !Number.isFinite(t)) continue
    points.push([t, v])
  }
  points.sort((a, b) => a[0] - b[0])
  return { field, points }
}

/** `over` when above the limit, `ok` when at or below, `none` without a limit or a value. */
export function limitState(value: number | null, limit: number | null): 'over' | 'ok' | 'none' {
  if (value == null || limit == null) return 'none'
  return value > limit ? 'over' : 'ok'
}

/** A monitor counts as online when it reported within this many minutes. */
export const MONITOR_ONLINE_MINUTES = 15

export function monitorOnline(m: Pick<Monitor, 'last_seen_at'>, nowMs: number): boolean {
  if (!m.last_seen_at) return false
  const t = Date.parse(m.last_seen_at)
  return Number.isFinite(t) && nowMs - t <= MONITOR_ONLINE_MINUTES * 60_000
}

/** Whether a rule id is `rule`, or in the family `rule` names with a trailing dot (`muck.`). */
export function ruleMatches(ruleId: string, rule: string | undefined): boolean {
  if (!rule) return true
  return rule.endsWith('.') ? ruleId.startsWith(rule) : ruleId === rule
}

/** Whether an alarm belongs in a list filtered by state, source kinds ([] = every kind) and rule. */
export function alarmMatches(
  a: Pick<Alarm, 'state' | 'source_kind' | 'rule'>,
  state: AlarmStateFilter | '',
  kinds: readonly string[],
  rule?: string,
): boolean {
  if (kinds.length && !kinds.includes(a.source_kind)) return false
  if (!ruleMatches(a.rule, rule)) return false
  if (!state) return true
  if (state === 'open') return a.state !== 'cleared'
  return a.state === state
}

/**
 * A live `alarm` event applied to the list shown: an alarm already there is replaced (or
 * dropped when it no longer matches, e.g. cleared under `open`); a new matching one goes first.
 * Returns the new list and how the total changes.
 */
export function mergeAlarm(
  list: readonly Alarm[],
  incoming: Alarm,
  state: AlarmStateFilter | '',
  kinds: readonly string[],
  rule?: string,
): { items: Alarm[]; delta: number } {
  const at = list.findIndex((a) => a.id === incoming.id)
  const fits = alarmMatches(incoming, state, kinds, rule)
  if (at >= 0) {
    const before = list[at] as Alarm
    // An event older than what is shown (out of order) changes nothing.
    if (Date.parse(incoming.updated_at) < Date.parse(before.updated_at)) return { items: [...list], delta: 0 }
    if (fits) return { items: list.map((a, i) => (i === at ? incoming : a)), delta: 0 }
    return { items: list.filter((_, i) => i !== at), delta: -1 }
  }
  if (!fits) return { items: [...list], delta: 0 }
  return { items: [incoming, ...list], delta: 1 }
}

/**
 * Roles that act on alarms — acknowledge, raise a case, clear (the server's `ALARM_ACTORS`:
 * the intake roles and admins; leaders watch but do not act).
 */
export const ALARM_ACTOR_ROLES = ['operator', 'shift_supervisor', 'dispatcher', 'admin']

export type AlarmAction = 'acknowledge' | 'case' | 'clear'

/**
 * The actions offered on an alarm in its state to a user with `roles`: acknowledge only a new
 * one; raise a case from a new or acknowledged one without a case; clear any open one.
 */
export function alarmActions(a: Pick<Alarm, 'state' | 'case_id'>, roles: ReadonlySet<string>): AlarmAction[] {
  if (!ALARM_ACTOR_ROLES.some((r) => roles.has(r))) return []
  const out: AlarmAction[] = []
  if (a.state === 'raised') out.push('acknowledge')
  if ((a.state === 'raised' || a.state === 'acknowledged') && a.case_id == null) out.push('case')
  if (a.state === 'raised' || a.state === 'acknowledged' || a.state === 'linked') out.push('clear')
  return out
}

/** Element Plus tag type per alarm level. */
export function levelTagType(level: string): 'info' | 'warning' | 'danger' {
  if (level === 'severe') return 'danger'
  if (level === 'warning') return 'warning'
  return 'info'
}

/** Roles that see vehicles, monitors and alarms (the server's staff: all but citizens and volunteers). */
export const DEVICE_ROLES = ['admin', 'leader', 'operator', 'shift_supervisor', 'dispatcher', 'department_handler', 'inspector', 'road_chief']

/** A 0..=1 share as a percentage with one decimal (`—` when there is none). */
export function percent(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share)) return '—'
  return `${(Math.round(share * 1000) / 10).toFixed(1)}%`
}

/** Today in Asia/Shanghai as YYYY-MM-DD, for `nowMs`. */
export function shanghaiDate(nowMs: number): string {
  const d = new Date(nowMs + 8 * 3_600_000)
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`
}
