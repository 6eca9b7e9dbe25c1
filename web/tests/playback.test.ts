// Track playback arithmetic, worked by hand: a vehicle drives east 0.01° in 10 s, north 0.01°
// in the next 10 s, is silent for 6 minutes, then reports twice at the same instant.
import { describe, expect, it } from 'vitest'
import { advance, bearingDeg, drivenPath, lastAtOrBefore, positionAt, segments, toFixes, type Fix } from '../src/lib/playback'

const T0 = Date.parse('2026-11-24T10:00:00+08:00')
const fixes: Fix[] = [
  { t_ms: T0, lat: 34.0, lon: 113.0, speed_kmh: 20 },
  { t_ms: T0 + 10_000, lat: 34.0, lon: 113.01, speed_kmh: 40 },
  { t_ms: T0 + 20_000, lat: 34.01, lon: 113.01, speed_kmh: null },
  { t_ms: T0 + 380_000, lat: 34.02, lon: 113.02, speed_kmh: 10 },
  { t_ms: T0 + 390_000, lat: 34.03, lon: 113.02, speed_kmh: 30 },
  { t_ms: T0 + 390_000, lat: 34.04, lon: 113.02, speed_kmh: 0 },
]

describe('positionAt', () => {
  it('interpolates a quarter of the way along the first segment', () => {
    const p = positionAt(fixes, T0 + 2_500)
    expect(p).not.toBeNull()
    // 113.0 + 0.25 × 0.01 = 113.0025; speed 20 + 0.25 × (40 − 20) = 25.
    expect(p!.lon).toBeCloseTo(113.0025, 9)
    expect(p!.lat).toBeCloseTo(34.0, 9)
    expect(p!.speed_kmh).toBeCloseTo(25, 9)
    expect(p!.heading_deg).toBe(90)
    expect(p!.index).toBe(0)
    expect(p!.gap).toBe(false)
  })

  it('keeps the earlier speed when the later fix has none, and heads north on the second segment', () => {
    const p = positionAt(fixes, T0 + 15_000)!
    expect(p.lat).toBeCloseTo(34.005, 9)
    expect(p.lon).toBeCloseTo(113.01, 9)
    expect(p.speed_kmh).toBe(40)
    expect(p.heading_deg).toBe(0)
    expect(p.index).toBe(1)
  })

  it('lands exactly on a fix at its instant', () => {
    const p = positionAt(fixes, T0 + 10_000)!
    expect(p.lon).toBe(113.01)
    expect(p.lat).toBe(34.0)
    expect(p.speed_kmh).toBe(40)
    expect(p.index).toBe(1)
  })

  it('holds the vehicle at the last fix inside a 6-minute silence instead of sliding across it', () => {
    const p = positionAt(fixes, T0 + 200_000)!
    expect(p).toMatchObject({ lat: 34.01, lon: 113.01, speed_kmh: 0, heading_deg: null, index: 2, gap: true })
    // With a 10-minute gap limit the same instant is interpolated: (200 − 20) / 360 = 0.5.
    const q = positionAt(fixes, T0 + 200_000, 10 * 60_000)!
    expect(q.gap).toBe(false)
    expect(q.lat).toBeCloseTo(34.015, 9)
    expect(q.lon).toBeCloseTo(113.015, 9)
  })

  it('clamps before the first and after the last fix; the later of two same-instant fixes wins', () => {
    expect(positionAt(fixes, T0 - 60_000)).toMatchObject({ lat: 34.0, lon: 113.0, index: 0, heading_deg: 90 })
    expect(positionAt(fixes, T0 + 390_000)).toMatchObject({ lat: 34.04, lon: 113.02, index: 5 })
    expect(positionAt(fixes, T0 + 999_000)).toMatchObject({ lat: 34.04, lon: 113.02, index: 5, speed_kmh: 0 })
  })

  it('has nothing to show for an empty track and one point for a single fix', () => {
    expect(positionAt([], T0)).toBeNull()
    const one = [{ t_ms: T0, lat: 1, lon: 2, speed_kmh: 5 }]
    expect(positionAt(one, T0 + 1)).toMatchObject({ lat: 1, lon: 2, speed_kmh: 5, index: 0, heading_deg: null })
  })
})

describe('track helpers', () => {
  it('finds the last fix at or before an instant', () => {
    expect(lastAtOrBefore(fixes, T0 - 1)).toBe(-1)
    expect(lastAtOrBefore(fixes, T0)).toBe(0)
    expect(lastAtOrBefore(fixes, T0 + 9_999)).toBe(0)
    expect(lastAtOrBefore(fixes, T0 + 390_000)).toBe(5)
  })

  it('gives the driven part up to the interpolated tip', () => {
    expect(drivenPath(fixes, T0 + 15_000)).toEqual([
      [113.0, 34.0],
      [113.01, 34.0],
      [113.01, expect.closeTo(34.005, 9)],
    ])
    // On a fix the tip is the fix itself, not repeated.
    expect(drivenPath(fixes, T0 + 10_000)).toEqual([
      [113.0, 34.0],
      [113.01, 34.0],
    ])
    expect(drivenPath(fixes, T0 - 5)).toEqual([[113.0, 34.0]])
    expect(drivenPath([], T0)).toEqual([])
  })

  it('splits the track at the silence', () => {
    const runs = segments(fixes)
    expect(runs.map((r) => r.length)).toEqual([3, 3])
    expect(runs[1]?.[0]).toEqual([113.02, 34.02])
  })

  it('sorts API fixes by time, keeping same-instant order, and drops unreadable ones', () => {
    const f = toFixes([
      { fix_at: '2026-11-24T10:00:10+08:00', lat: 2, lon: 2, speed_kmh: null },
      { fix_at: 'not a time', lat: 9, lon: 9, speed_kmh: 1 },
      { fix_at: '2026-11-24T02:00:00Z', lat: 1, lon: 1, speed_kmh: 3 },
      { fix_at: '2026-11-24T10:00:10+08:00', lat: 3, lon: 3, speed_kmh: 4 },
    ])
    expect(f.map((x) => x.lat)).toEqual([1, 2, 3])
    expect(f[0]?.t_ms).toBe(T0)
  })

  it('measures bearings clockwise from north', () => {
    expect(bearingDeg({ lat: 34, lon: 113 }, { lat: 34.01, lon: 113 })).toBe(0)
    expect(bearingDeg({ lat: 34, lon: 113 }, { lat: 34, lon: 112.99 })).toBe(270)
    expect(bearingDeg({ lat: 34, lon: 113 }, { lat: 33.99, lon: 113 })).toBe(180)
    expect(bearingDeg({ lat: 34, lon: 113 }, { lat: 34, lon: 113 })).toBeNull()
  })

  it('advances playback time by wall time × rate and stops at the end', () => {
    expect(advance(1_000, 16, 60, 10_000)).toEqual({ t: 1_960, done: false })
    expect(advance(9_500, 16, 60, 10_000)).toEqual({ t: 10_000, done: true })
  })
})
