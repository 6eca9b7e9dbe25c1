// The wall screen's logic apart from drawing: how figures are written, how live events are
// throttled into redraws, which scope the figures are of as the map drills down, the mixes and
// top lists of the server's breakdown, and how vehicles glide from one fix to the next.
// Pure functions, tested on their own (tests/wall.test.ts).
import type { Breakdown, Summary } from '../api/types'
import { levelOfCode, type Crumb, type MapView } from './citymap'

// ── Figures ──────────────────────────────────────────────────────────────────────────────────

/** A count for the wall: `—` when unknown, grouped digits, 万 (zh) or k/M (en) from 100,000 up. */
export function formatCount(n: number | null | undefined, locale: string = 'zh-CN'): string {
  if (n == null || !Number.isFinite(n)) return '—'
  const abs = Math.abs(n)
  if (abs >= 100_000) {
    if (locale.startsWith('zh')) {
      return abs >= 1e8 ? `${trim(n / 1e8)}亿` : `${trim(n / 1e4)}万`
    }
    return abs >= 1e6 ? `${trim(n / 1e6)}M` : `${trim(n / 1e3)}k`
  }
  return Math.round(n).toLocaleString(locale === 'en' ? 'en-US' : 'zh-CN')
}

/** One decimal, without a trailing `.0`. */
function trim(x: number): string {
  return (Math.round(x * 10) / 10).toString()
}

/** A rate 0…1 as a percentage with `digits` decimals (`72.5%`); `—` when unknown (no denominator). */
export function formatRate(r: number | null | undefined, digits = 1): string {
  if (r == null || !Number.isFinite(r)) return '—'
  return `${(r * 100).toFixed(digits)}%`
}

/** The rate of an indicator `{num, den, rate}` (or a bare number); null when there is none. */
export function rateValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (v && typeof v === 'object') {
    const o = v as { rate?: unknown; num?: unknown; den?: unknown }
    if (typeof o.rate === 'number' && Number.isFinite(o.rate)) return o.rate
    if (typeof o.num === 'number' && typeof o.den === 'number' && o.den > 0) return o.num / o.den
  }
  return null
}

const countValue = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** The day's figures of one scope. */
export interface DayFigures {
  /** 上报 — reports received. */
  reported: number | null
  /** 立案 — cases filed. */
  filed: number | null
  /** 结案 — cases closed. */
  closed: number | null
  /** 结案率 — closure rate, 0…1. */
  closureRate: number | null
  /** 按期结案率 — on-time closure rate, 0…1. */
  onTimeRate: number | null
  /** 超期 — open cases past their deadline now. */
  overdue: number | null
}

/** The closure part of `GET /api/stats/breakdown`. */
export type Closure = Breakdown['closure']

/**
 * 结案率 of the day = 结案数 / 应结案数, where 应结案数 = the cases closed today plus the filed
 * cases still open past their deadline (the server counts both, `GET /api/stats/breakdown`).
 * Every closed case is also due, so the rate is at most 1 — unlike the assessment's day
 * indicator 结案数 / (处置数 + 超期未处置数), which exceeds 100 % in the morning when cases
 * handled the day before are closed before anything is handled today. `null` when nothing was due.
 */
export function closureRateOf(c: Closure | null | undefined): number | null {
  if (!c || !(c.due > 0)) return null
  const closed = Math.max(0, Math.min(c.closed, c.due))
  return closed / c.due
}

/**
 * 按期结案率 of the day = 按期结案数 / 应结案数: the assessment counter of closings whose handling
 * was on time (`on_time_closure_rate.num`), capped at the day's closings, over the same
 * 应结案数 as [`closureRateOf`]; so 0 ≤ on-time rate ≤ closure rate ≤ 1. `null` without either.
 */
export function onTimeRateOf(onTime: unknown, c: Closure | null | undefined): number | null {
  if (!c || !(c.due > 0)) return null
  let num: number | null = null
  if (onTime && typeof onTime === 'object') {
    const n = (onTime as { num?: unknown }).num
    if (typeof n === 'number' && Number.isFinite(n)) num = n
  }
  if (num == null) return null
  return Math.max(0, Math.min(num, c.closed, c.due)) / c.due
}

/**
 * The day's figures: reports, closings and the rates from the server's breakdown of the day
 * (`GET /api/stats/breakdown`), filings and on-time closings from the scope's assessment
 * indicators (counters kept on every transition), the live overdue count from the case summary.
 */
export function dayFigures(
  ind: Record<string, unknown> | null | undefined,
  summary: Summary | null | undefined,
  breakdown: Breakdown | null | undefined = null,
): DayFigures {
  const i = ind ?? {}
  const s = summary
  const c = breakdown?.closure ?? null
  return {
    reported: breakdown?.total ?? countValue(i.reported) ?? s?.total ?? null,
    filed: countValue(i.filed),
    closed: c?.closed ?? countValue(i.closed),
    closureRate: closureRateOf(c),
    onTimeRate: onTimeRateOf(i.on_time_closure_rate, c),
    // The summary's overdue is the live red-light count; the indicator is the day-end stock.
    overdue: s?.overdue ?? countValue(i.overdue_open),
  }
}

// ── Throttling live redraws ──────────────────────────────────────────────────────────────────

/** A throttled function: `flush` runs a pending call now, `cancel` drops it. */
export interface Throttled {
  (): void
  flush(): void
  cancel(): void
  /** Whether a call is waiting. */
  readonly pending: boolean
}

/**
 * `fn` at most once per `ms`: the first call of a quiet spell runs at once, calls during the
 * next `ms` are folded into one trailing run at its end (so the last event is never lost).
 */
export function throttle(
  fn: () => void,
  ms: number,
  clock: { now(): number; set(f: () => void, ms: number): unknown; clear(h: unknown): void } = {
    now: () => Date.now(),
    set: (f, d) => setTimeout(f, d),
    clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  },
): Throttled {
  let last = -Infinity
  let timer: unknown = null
  const run = () => {
    timer = null
    last = clock.now()
    fn()
  }
  const t = (() => {
    if (timer != null) return
    const wait = last + ms - clock.now()
    if (wait <= 0) run()
    else timer = clock.set(run, wait)
  }) as Throttled
  t.flush = () => {
    if (timer == null) return
    clock.clear(timer)
    run()
  }
  t.cancel = () => {
    if (timer != null) clock.clear(timer)
    timer = null
  }
  Object.defineProperty(t, 'pending', { get: () => timer != null })
  return t
}

// ── Drill-down ───────────────────────────────────────────────────────────────────────────────

/** What the wall's figures are of: an assessment scope (`city` with id '' for the whole city). */
export interface WallScope {
  kind: 'city' | 'district' | 'street' | 'community' | 'grid'
  id: string
}

/**
 * The wall's drill state: the map's view (areas of a level under a parent) and the unit grid
 * picked at the bottom of the drill, if any. The figures follow the grid when one is picked,
 * else the parent shown.
 */
export interface WallDrill {
  view: MapView
  grid: Crumb | null
}

export type WallDrillEvent = { kind: 'shown'; view: MapView } | { kind: 'grid'; grid: Crumb } | { kind: 'closeGrid' }

/** The next drill state. A new layer shown drops the picked grid unless it is the same view. */
export function drillStep(s: WallDrill, e: WallDrillEvent): WallDrill {
  switch (e.kind) {
    case 'shown': {
      const same = s.view.parent === e.view.parent && s.view.level === e.view.level
      return { view: e.view, grid: same ? s.grid : null }
    }
    case 'grid':
      return levelOfCode(e.grid.code) === 'grid' ? { ...s, grid: e.grid } : s
    case 'closeGrid':
      return { ...s, grid: null }
  }
}

/** The scope the figures are of for a drill state. */
export function scopeOf(s: WallDrill): WallScope {
  const code = s.grid?.code ?? s.view.parent
  const level = code ? levelOfCode(code) : null
  return level ? { kind: level, id: code } : { kind: 'city', id: '' }
}

/** The scope family whose ranking is shown beside the map: the children of the scope. */
export function rankingKindOf(scope: WallScope): 'district' | 'street' | 'community' | 'grid' {
  switch (scope.kind) {
    case 'city':
      return 'district'
    case 'district':
      return 'street'
    case 'street':
      return 'community'
    default:
      return 'grid'
  }
}

// ── Mixes and top lists ──────────────────────────────────────────────────────────────────────

/** One slice of a mix. */
export interface Slice {
  key: string
  name: string
  value: number
}

/**
 * Counts by `keyOf` (skipping null keys), most first (ties by name), the slices past `n - 1`
 * folded into one `other` slice so that the total stays the total.
 */
export function mixOf<T>(items: readonly T[], keyOf: (x: T) => { key: string; name: string } | null, n: number, otherName: string): Slice[] {
  const by = new Map<string, Slice>()
  for (const x of items) {
    const k = keyOf(x)
    if (!k) continue
    const s = by.get(k.key)
    if (s) s.value++
    else by.set(k.key, { key: k.key, name: k.name, value: 1 })
  }
  const all = [...by.values()].sort((a, b) => b.value - a.value || a.name.localeCompare(b.name))
  if (all.length <= n) return all
  const head = all.slice(0, Math.max(0, n - 1))
  const rest = all.slice(head.length).reduce((m, s) => m + s.value, 0)
  return [...head, { key: 'other', name: otherName, value: rest }]
}

/** `slices` (most first) cut to `n`, the rest folded into one `other` slice so the total stays. */
export function foldTail(slices: readonly Slice[], n: number, otherName: string): Slice[] {
  if (slices.length <= n) return [...slices]
  const head = slices.slice(0, Math.max(0, n - 1))
  const rest = slices.slice(head.length).reduce((m, s) => m + s.value, 0)
  return [...head, { key: 'other', name: otherName, value: rest }]
}

/** The source mix of a breakdown: channels most first (ties by name), the tail past `n - 1` folded. */
export function sourceSlices(b: Breakdown | null | undefined, nameOf: (source: string, label: string) => string, n: number, otherName: string): Slice[] {
  if (!b) return []
  const all = b.by_source
    .filter((x) => x.count > 0)
    .map((x) => ({ key: x.source, name: nameOf(x.source, x.label) || x.label || x.source, value: x.count }))
    .sort((a, c) => c.value - a.value || a.name.localeCompare(c.name))
  return foldTail(all, n, otherName)
}

/** The top `n` classes of a breakdown (the server sorts them, most first). */
export function categorySlices(b: Breakdown | null | undefined, n: number): Slice[] {
  if (!b) return []
  return b.by_class
    .filter((x) => x.count > 0)
    .slice(0, n)
    .map((x) => ({ key: x.code, name: x.name || x.code, value: x.count }))
}

// ── Markers ──────────────────────────────────────────────────────────────────────────────────

/** Marker colour of a case light (绿/黄/红灯); grey for none. */
export function lightColour(light: string | null | undefined): string {
  switch (light) {
    case 'green':
      return '#22c55e'
    case 'yellow':
      return '#facc15'
    case 'red':
      return '#ef4444'
    default:
      return '#94a3b8'
  }
}

/**
 * The map's projection as an affine map from two reference points (ECharts' geo projection is
 * linear in lon/lat), so thousands of markers are placed without asking the chart for each.
 * `null` when the points do not span both axes.
 */
export function affineFrom(
  a: { lon: number; lat: number; x: number; y: number },
  b: { lon: number; lat: number; x: number; y: number },
): ((lon: number, lat: number) => [number, number]) | null {
  const dl = b.lon - a.lon
  const dp = b.lat - a.lat
  if (!dl || !dp) return null
  const sx = (b.x - a.x) / dl
  const sy = (b.y - a.y) / dp
  if (!Number.isFinite(sx) || !Number.isFinite(sy)) return null
  return (lon, lat) => [a.x + (lon - a.lon) * sx, a.y + (lat - a.lat) * sy]
}

/** A vehicle's glide from its last drawn place to its new fix. */
export interface Glide {
  id: number
  from: [number, number]
  to: [number, number]
}

/**
 * The glides for a new set of fixes: from where each vehicle was drawn (at `t` of the old
 * glides, so a poll during a glide does not make it jump) to its new `[lon, lat]`. New vehicles
 * start where they are; jumps longer than `maxJump` degrees (a lost signal) are not animated.
 */
export function glidesFor(prev: readonly Glide[], t: number, next: readonly { id: number; at: [number, number] }[], maxJump = 0.02): Glide[] {
  const was = new Map(prev.map((g) => [g.id, g]))
  return next.map(({ id, at }) => {
    const g = was.get(id)
    if (!g) return { id, from: at, to: at }
    const from = lerp(g, t)
    const far = Math.abs(at[0] - from[0]) > maxJump || Math.abs(at[1] - from[1]) > maxJump
    return { id, from: far ? at : from, to: at }
  })
}

/** Where a glide is at `t` (0…1, clamped), eased in and out. */
export function lerp(g: Glide, t: number): [number, number] {
  const u = Math.min(1, Math.max(0, t))
  const e = u * u * (3 - 2 * u)
  return [g.from[0] + (g.to[0] - g.from[0]) * e, g.from[1] + (g.to[1] - g.from[1]) * e]
}

/** `HH:MM:SS` and `YYYY-MM-DD 星期X` in Asia/Shanghai, for the wall's clock. */
export function clockText(nowMs: number, locale: string): { time: string; date: string } {
  const d = new Date(nowMs)
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(d)
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(d)
  const wd = new Intl.DateTimeFormat(locale === 'en' ? 'en-US' : 'zh-CN', { timeZone: 'Asia/Shanghai', weekday: locale === 'en' ? 'short' : 'long' }).format(d)
  return { time, date: `${day} ${wd}` }
}
