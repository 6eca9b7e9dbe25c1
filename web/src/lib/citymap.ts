// The city map's logic, apart from drawing: which level and parent are shown, how a click drills
// down and the breadcrumb goes back up, how open-case counts become colours, and where inside
// an outline a label or a test click can go. Pure functions, so they are tested on their own.
import type { AreaCollection, AreaFeature, AreaLevel, Position } from '../api/types'

export const LEVELS: readonly AreaLevel[] = ['district', 'street', 'community', 'grid']

/** Code lengths of the standard area codes, per level. */
const CODE_LEN: Record<AreaLevel, number> = { district: 6, street: 9, community: 12, grid: 15 }

/** Web-map zoom that fits one parent's children at each level (sets how much outlines are simplified). */
export const ZOOM_FOR: Record<AreaLevel, number> = { district: 10, street: 12, community: 14, grid: 16 }

/** The level of an area code by its length (6/9/12/15 digits); `null` for anything else. */
export function levelOfCode(code: string): AreaLevel | null {
  if (!/^\d+$/.test(code)) return null
  return LEVELS.find((l) => CODE_LEN[l] === code.length) ?? null
}

/** The level below `level`; `null` below unit grids. */
export function childLevel(level: AreaLevel): AreaLevel | null {
  return LEVELS[LEVELS.indexOf(level) + 1] ?? null
}

/** What the map shows: the areas of `level` under `parent` ('' = the whole city). */
export interface MapView {
  parent: string
  level: AreaLevel
}

/** One step of the breadcrumb below the root. */
export interface Crumb {
  code: string
  name: string
}

/** The view of the children of `parent` ('' = the city's districts); `null` for a grid. */
export function childrenView(parent: string): MapView | null {
  if (parent === '') return { parent: '', level: 'district' }
  const l = levelOfCode(parent)
  const c = l && childLevel(l)
  return c ? { parent, level: c } : null
}

/**
 * Where a map starts for a user whose area is `area` (null = the whole city). `gridsBelow`: show
 * the unit grids at once when the area is a street or smaller (the point picker), which keeps a
 * request to one street's grids; a district or the city starts at its children.
 */
export function startView(area: string | null, gridsBelow = false): MapView {
  const a = area ?? ''
  if (gridsBelow) {
    const l = levelOfCode(a)
    if (l === 'street' || l === 'community') return { parent: a, level: 'grid' }
  }
  return childrenView(a) ?? { parent: a.slice(0, CODE_LEN.community), level: 'grid' }
}

/** The drill-down path from a root view: the root plus the areas clicked into. */
export interface DrillState {
  root: MapView
  path: Crumb[]
}

/** The view shown for a drill state: the children of the last clicked area, or the root. */
export function viewOf(s: DrillState): MapView {
  const last = s.path[s.path.length - 1]
  if (!last) return s.root
  return childrenView(last.code) ?? s.root
}

/**
 * The drill state after clicking `area` in the current view; `null` when it cannot go deeper
 * (a unit grid) or the code is not an area of the level shown under its parent.
 */
export function drillInto(s: DrillState, area: Crumb): DrillState | null {
  const view = viewOf(s)
  if (levelOfCode(area.code) !== view.level || !area.code.startsWith(view.parent)) return null
  if (!childrenView(area.code)) return null
  return { root: s.root, path: [...s.path, area] }
}

/** Back up to breadcrumb entry `index` (-1 = the root). */
export function backTo(s: DrillState, index: number): DrillState {
  return { root: s.root, path: s.path.slice(0, Math.max(0, index + 1)) }
}

/** Query of `GET /api/map/areas` and `/api/map/density` for a view. */
export function layerQuery(v: MapView): { parent: string; level: AreaLevel; zoom: number } {
  return { parent: v.parent, level: v.level, zoom: ZOOM_FOR[v.level] }
}

/** Name under which a layer is registered with ECharts (one per model version and view). */
export function mapName(version: number, v: MapView): string {
  return `yiwang-${version}-${v.parent || 'city'}-${v.level}-z${ZOOM_FOR[v.level]}`
}

// ── Density colouring ────────────────────────────────────────────────────────────────────────

/** Colour of areas without open cases. */
export const ZERO_COLOUR = '#eef1f5'
/** Light → dark ramp for areas with cases. */
export const RAMP: readonly string[] = ['#fde7c8', '#fbb87a', '#f5803e', '#d9461f', '#9e1b0e']

/** One class of the colour legend: counts `min`..`max` inclusive. */
export interface Piece {
  min: number
  max: number
  color: string
  label: string
}

/**
 * Legend classes for the counts shown: one neutral class for zero, then up to `RAMP.length`
 * classes of the positive counts split at their quantiles (so a few hot spots do not wash out
 * the rest), contiguous from 1 to the largest count, coloured light → dark.
 */
export function densityPieces(values: Iterable<number>): Piece[] {
  const pos = [...values].filter((v) => Number.isFinite(v) && v > 0).map((v) => Math.round(v)).sort((a, b) => a - b)
  const zero: Piece = { min: 0, max: 0, color: ZERO_COLOUR, label: '0' }
  if (!pos.length) return [zero]
  const max = pos[pos.length - 1]
  const k = Math.min(RAMP.length, max)
  // Upper bounds at the quantiles, strictly increasing, the last one the maximum.
  const uppers: number[] = []
  for (let i = 1; i <= k; i++) {
    const q = i === k ? max : pos[Math.min(pos.length - 1, Math.ceil((i / k) * pos.length) - 1)]
    if (q > (uppers[uppers.length - 1] ?? 0)) uppers.push(q)
  }
  const pieces: Piece[] = [zero]
  let lo = 1
  uppers.forEach((hi, i) => {
    // Spread the classes over the whole ramp whatever their number.
    const c = uppers.length === 1 ? RAMP.length - 1 : Math.round((i * (RAMP.length - 1)) / (uppers.length - 1))
    pieces.push({ min: lo, max: hi, color: RAMP[c], label: lo === hi ? String(lo) : `${lo}–${hi}` })
    lo = hi + 1
  })
  return pieces
}

/** The colour of `count` under `pieces` (the neutral colour for zero or no data). */
export function colourOf(count: number, pieces: Piece[]): string {
  return pieces.find((p) => count >= p.min && count <= p.max)?.color ?? ZERO_COLOUR
}

/** Relative luminance of `#rrggbb` (0 black … 1 white). */
export function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) return NaN
  const lin = (s: string) => {
    const c = parseInt(s, 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * lin(m[1]) + 0.7152 * lin(m[2]) + 0.0722 * lin(m[3])
}

/** Areas with the most cases, most first (ties by code), without the empty ones. */
export function hottest(counts: Record<string, number>, n: number): { code: string; count: number }[] {
  return Object.entries(counts)
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([code, count]) => ({ code, count }))
}

// ── Geometry ─────────────────────────────────────────────────────────────────────────────────

function polygonsOf(f: AreaFeature): Position[][][] {
  return f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [f.geometry.coordinates]
}

/** `[west, south, east, north]` of a collection; `null` when empty. */
export function bboxOf(fc: AreaCollection): [number, number, number, number] | null {
  let w = Infinity
  let s = Infinity
  let e = -Infinity
  let n = -Infinity
  for (const f of fc.features)
    for (const poly of polygonsOf(f))
      for (const [x, y] of poly[0] ?? []) {
        if (x < w) w = x
        if (x > e) e = x
        if (y < s) s = y
        if (y > n) n = y
      }
  return w <= e ? [w, s, e, n] : null
}

/** Whether `p` lies inside `ring` (even-odd rule). */
export function inRing([x, y]: Position, ring: Position[]): boolean {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]
    const [xj, yj] = ring[j]
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

/** Whether `p` lies inside a polygon (outer ring minus holes). */
export function inPolygon(p: Position, poly: Position[][]): boolean {
  if (!poly[0] || !inRing(p, poly[0])) return false
  return !poly.slice(1).some((hole) => inRing(p, hole))
}

function ringArea(r: Position[]): number {
  let a = 0
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] + r[i][0]) * (r[j][1] - r[i][1])
  return Math.abs(a / 2)
}

/**
 * A point well inside a feature (for a label or a click): on the largest polygon, the middle of
 * the widest inside stretch of a few horizontal lines across it. Always inside when the
 * polygon has any area; `null` for an empty geometry.
 */
export function interiorPoint(f: AreaFeature): Position | null {
  const polys = polygonsOf(f).filter((p) => p[0] && p[0].length >= 3)
  if (!polys.length) return null
  const poly = polys.reduce((a, b) => (ringArea(b[0]) > ringArea(a[0]) ? b : a))
  const ys = poly[0].map((p) => p[1])
  const s = Math.min(...ys)
  const n = Math.max(...ys)
  let best: { len: number; p: Position } | null = null
  for (const t of [0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9]) {
    const y = s + (n - s) * t
    // Crossings of the line y with every ring edge.
    const xs: number[] = []
    for (const ring of poly)
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i]
        const [xj, yj] = ring[j]
        if (yi > y !== yj > y) xs.push(xi + ((y - yi) * (xj - xi)) / (yj - yi))
      }
    xs.sort((a, b) => a - b)
    for (let i = 0; i + 1 < xs.length; i += 2) {
      const len = xs[i + 1] - xs[i]
      if (len > 0 && (!best || len > best.len)) best = { len, p: [(xs[i] + xs[i + 1]) / 2, y] }
    }
  }
  return best ? best.p : null
}

/** ECharts' horizontal stretch for the latitude, so outlines keep their true shape. */
export function aspectFor(bbox: [number, number, number, number] | null): number {
  if (!bbox) return 0.75
  const lat = (bbox[1] + bbox[3]) / 2
  return Math.cos((lat * Math.PI) / 180)
}

// ── Timing ───────────────────────────────────────────────────────────────────────────────────

/**
 * `fn` called once, `ms` after the first of a burst of calls (later calls in the burst join it),
 * so a steady stream of events refreshes at most every `ms` and never starves; `cancel` drops
 * a pending call.
 */
export function coalesce(fn: () => void, ms: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null
  const d = () => {
    if (timer) return
    timer = setTimeout(() => {
      timer = null
      fn()
    }, ms)
  }
  d.cancel = () => {
    if (timer) clearTimeout(timer)
    timer = null
  }
  return d
}

/**
 * The area a user's map starts at: the one area of their grants for `roles` when they all share
 * it (or the longest code prefix that is an area), the whole city (null) when any grant covers
 * the city or the grants have nothing in common.
 */
export function homeArea(grants: { role: string; area: string | null }[], roles: readonly string[]): string | null {
  const mine = grants.filter((g) => roles.includes(g.role))
  if (!mine.length || mine.some((g) => !g.area)) return null
  const codes = mine.map((g) => g.area as string)
  let prefix = codes[0]
  for (const c of codes) while (!c.startsWith(prefix)) prefix = prefix.slice(0, -1)
  // Cut back to a whole area code (6/9/12/15 digits).
  for (const l of [...LEVELS].reverse()) if (prefix.length >= CODE_LEN[l]) return prefix.slice(0, CODE_LEN[l])
  return null
}

/** The areas above and including `code`: '410102002' → ['410102', '410102002']. */
export function ancestors(code: string): string[] {
  return LEVELS.map((l) => CODE_LEN[l])
    .filter((n) => n <= code.length && levelOfCode(code) !== null)
    .map((n) => code.slice(0, n))
}

/**
 * Where a map starts. The point picker starts at the user's area itself (an inspector's street:
 * its grids). The density map starts at the whole city with the user's area already drilled
 * into, so the breadcrumb can still go up to the city (outlines are public; counts are only of
 * cases the user may see).
 */
export function initialDrill(area: string | null, pick: boolean): DrillState {
  if (pick) return { root: startView(area, true), path: [] }
  const path = ancestors(area ?? '')
    .filter((c) => childrenView(c))
    .map((code) => ({ code, name: code }))
  return { root: { parent: '', level: 'district' }, path }
}

/** `[west, south, east, north]` of one feature (its outer rings); `null` when empty. */
export function featureBbox(f: AreaFeature): [number, number, number, number] | null {
  return bboxOf({ type: 'FeatureCollection', features: [f] })
}

/** Rough width in pixels of `text` at `fontSize` (CJK characters are square, others about half). */
export function textWidth(text: string, fontSize: number): number {
  let w = 0
  for (const ch of text) w += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? fontSize : fontSize * 0.6
  return w
}

/**
 * The label to draw on an area `w`×`h` pixels big: its name when it fits, else (for a grid) its
 * serial within its community (the last three digits of the code), else nothing.
 */
export function labelFor(name: string, code: string, w: number, h: number, fontSize = 11): string {
  if (h < fontSize + 4) return ''
  if (textWidth(name, fontSize) <= w * 0.9) return name
  const serial = levelOfCode(code) === 'grid' ? code.slice(-3) : ''
  if (serial && textWidth(serial, fontSize) <= w * 0.9) return serial
  return ''
}
