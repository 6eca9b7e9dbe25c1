// Track playback: where a vehicle was at any instant between its stored fixes.
// Pure functions (no Vue, no clock) so that the arithmetic is tested by hand.

/** A fix reduced to what playback needs: time (UTC ms) and WGS-84 degrees. */
export interface Fix {
  t_ms: number
  lat: number
  lon: number
  speed_kmh: number | null
}

/** Where the vehicle is at one instant of the playback. */
export interface PlaybackPosition {
  lat: number
  lon: number
  /** Interpolated between the two fixes when both have a speed, else the earlier one's. */
  speed_kmh: number | null
  /** Compass bearing of the segment, degrees clockwise from north (null when standing). */
  heading_deg: number | null
  /** Index of the last fix at or before the instant (0 before the first). */
  index: number
  /** True when the instant falls in a gap longer than the gap limit: the vehicle is held at the earlier fix. */
  gap: boolean
}

/** A gap between fixes longer than this is not interpolated across (the terminal was silent). */
export const DEFAULT_MAX_GAP_MS = 5 * 60_000

/** Turns API fixes (RFC 3339 times) into playback fixes, oldest first, dropping unreadable ones. */
export function toFixes(points: { fix_at: string; lat: number; lon: number; speed_kmh: number | null }[]): Fix[] {
  const out: Fix[] = []
  for (const p of points) {
    const t = Date.parse(p.fix_at)
    if (!Number.isFinite(t) || !Number.isFinite(p.lat) || !Number.isFinite(p.lon)) continue
    out.push({ t_ms: t, lat: p.lat, lon: p.lon, speed_kmh: p.speed_kmh ?? null })
  }
  // Stable sort: fixes with the same instant keep the order the server gave.
  return out.map((f, i) => ({ f, i })).sort((a, b) => a.f.t_ms - b.f.t_ms || a.i - b.i).map((x) => x.f)
}

/** Index of the last fix with `t_ms <= t` (-1 when `t` is before the first). Binary search. */
export function lastAtOrBefore(fixes: readonly Fix[], t: number): number {
  let lo = 0
  let hi = fixes.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const f = fixes[mid] as Fix
    if (f.t_ms <= t) {
      found = mid
      lo = mid + 1
    } else {
      hi = mid - 1
    }
  }
  return found
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360); null if a = b. */
export function bearingDeg(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number | null {
  if (a.lat === b.lat && a.lon === b.lon) return null
  const rad = Math.PI / 180
  const φ1 = a.lat * rad
  const φ2 = b.lat * rad
  const Δλ = (b.lon - a.lon) * rad
  const y = Math.sin(Δλ) * Math.cos(φ2)
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ)
  const deg = (Math.atan2(y, x) / rad + 360) % 360
  return Math.round(deg * 10) / 10
}

/**
 * Where the vehicle was at instant `t` (UTC ms): linear interpolation between the fixes on either
 * side; clamped to the first/last fix outside the track; held at the earlier fix inside a gap
 * longer than `maxGapMs`. Null for an empty track.
 */
export function positionAt(fixes: readonly Fix[], t: number, maxGapMs = DEFAULT_MAX_GAP_MS): PlaybackPosition | null {
  const first = fixes[0]
  const last = fixes[fixes.length - 1]
  if (!first || !last) return null
  if (t <= first.t_ms) {
    const next = fixes[1]
    return { lat: first.lat, lon: first.lon, speed_kmh: first.speed_kmh, heading_deg: next ? bearingDeg(first, next) : null, index: 0, gap: false }
  }
  const i = lastAtOrBefore(fixes, t)
  const a = fixes[i] as Fix
  const b = fixes[i + 1]
  if (!b || t >= last.t_ms) {
    const prev = fixes[fixes.length - 2]
    return { lat: last.lat, lon: last.lon, speed_kmh: last.speed_kmh, heading_deg: prev ? bearingDeg(prev, last) : null, index: fixes.length - 1, gap: false }
  }
  const dt = b.t_ms - a.t_ms
  if (dt > maxGapMs) {
    return { lat: a.lat, lon: a.lon, speed_kmh: 0, heading_deg: null, index: i, gap: true }
  }
  // dt > 0 here: a.t_ms <= t < b.t_ms.
  const k = (t - a.t_ms) / dt
  const speed = a.speed_kmh != null && b.speed_kmh != null ? a.speed_kmh + (b.speed_kmh - a.speed_kmh) * k : a.speed_kmh
  return {
    lat: a.lat + (b.lat - a.lat) * k,
    lon: a.lon + (b.lon - a.lon) * k,
    speed_kmh: speed,
    heading_deg: bearingDeg(a, b),
    index: i,
    gap: false,
  }
}

/** The fixes up to instant `t` plus the interpolated point: the part of the track already driven. */
export function drivenPath(fixes: readonly Fix[], t: number, maxGapMs = DEFAULT_MAX_GAP_MS): [number, number][] {
  const p = positionAt(fixes, t, maxGapMs)
  if (!p) return []
  const first = fixes[0] as Fix
  if (t <= first.t_ms) return [[first.lon, first.lat]]
  const path: [number, number][] = fixes.slice(0, p.index + 1).map((f) => [f.lon, f.lat])
  const tip = path[path.length - 1]
  if (!tip || tip[0] !== p.lon || tip[1] !== p.lat) path.push([p.lon, p.lat])
  return path
}

/** Splits the track where the terminal was silent longer than `maxGapMs`: one polyline per run. */
export function segments(fixes: readonly Fix[], maxGapMs = DEFAULT_MAX_GAP_MS): [number, number][][] {
  const out: [number, number][][] = []
  let cur: [number, number][] = []
  let prev: Fix | null = null
  for (const f of fixes) {
    if (prev && f.t_ms - prev.t_ms > maxGapMs) {
      if (cur.length) out.push(cur)
      cur = []
    }
    cur.push([f.lon, f.lat])
    prev = f
  }
  if (cur.length) out.push(cur)
  return out
}

/** Playback time advanced by `elapsedMs` of wall time at `rate`× speed, stopping at `end`. */
export function advance(t: number, elapsedMs: number, rate: number, end: number): { t: number; done: boolean } {
  const next = t + elapsedMs * rate
  return next >= end ? { t: end, done: true } : { t: next, done: false }
}
