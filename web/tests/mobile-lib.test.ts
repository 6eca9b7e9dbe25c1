import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Case } from '../src/api/types'
import { currentPosition, distanceM, fitWithin, formatDistance, GeoError, geoMessageKey, nearbyTasks, taskKind } from '../src/lib/mobile'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('distanceM', () => {
  it('is about 111 km per degree of latitude and zero to itself', () => {
    const a = { lat: 34.75, lon: 113.62 }
    expect(distanceM(a, a)).toBe(0)
    expect(distanceM(a, { lat: 35.75, lon: 113.62 })).toBeGreaterThan(111_000)
    expect(distanceM(a, { lat: 35.75, lon: 113.62 })).toBeLessThan(111_400)
  })
  it('shrinks a degree of longitude with the latitude', () => {
    const d = distanceM({ lat: 34.75, lon: 113.62 }, { lat: 34.75, lon: 114.62 })
    expect(d).toBeGreaterThan(91_000)
    expect(d).toBeLessThan(92_000)
  })
})

describe('formatDistance', () => {
  it.each([
    [4, '4 m'],
    [84, '80 m'],
    [955, '960 m'],
    [1234, '1.2 km'],
    [23456, '23 km'],
  ])('%d m → %s', (m, s) => {
    expect(formatDistance(m)).toBe(s)
  })
})

const mk = (id: number, state: string, lat: number | null, lon: number | null, created = '2026-05-14T08:00:00Z') =>
  ({ id, state, lat, lon, created_at: created }) as unknown as Case

describe('nearbyTasks', () => {
  const here = { lat: 34.75, lon: 113.62 }
  it('keeps only verify and check tasks, nearest first, unplaced last', () => {
    const cases = [
      mk(1, 'verifying', 34.76, 113.62),
      mk(2, 'checking', 34.751, 113.62),
      mk(3, 'handling', 34.75, 113.62),
      mk(4, 'verifying', null, null),
      mk(5, 'checking', 34.8, 113.62),
    ]
    const out = nearbyTasks(cases, here)
    expect(out.map((x) => x.case.id)).toEqual([2, 1, 5, 4])
    expect(out.map((x) => x.kind)).toEqual(['check', 'verify', 'check', 'verify'])
    expect(out[0].distance).toBeGreaterThan(100)
    expect(out[0].distance).toBeLessThan(120)
    expect(out[3].distance).toBeNull()
  })
  it('without a position lists the longest waiting first', () => {
    const cases = [mk(1, 'verifying', 34.76, 113.62, '2026-05-14T09:00:00Z'), mk(2, 'checking', 34.7, 113.6, '2026-05-14T07:00:00Z')]
    expect(nearbyTasks(cases, null).map((x) => x.case.id)).toEqual([2, 1])
  })
  it('knows which action each task needs', () => {
    expect(taskKind('verifying')).toBe('verify')
    expect(taskKind('checking')).toBe('check')
    expect(taskKind('pending_check')).toBeNull()
  })
})

describe('fitWithin', () => {
  it('shrinks the longest side to the limit, keeping the shape', () => {
    expect(fitWithin(4000, 3000, 2048)).toEqual({ w: 2048, h: 1536 })
    expect(fitWithin(3000, 4000, 2048)).toEqual({ w: 1536, h: 2048 })
    expect(fitWithin(800, 600, 2048)).toEqual({ w: 800, h: 600 })
  })
})

describe('currentPosition', () => {
  function stubGeo(impl: (ok: PositionCallback, fail: PositionErrorCallback) => void) {
    vi.stubGlobal('navigator', { geolocation: { getCurrentPosition: impl } })
  }
  it('gives the rounded position and accuracy', async () => {
    stubGeo((ok) => ok({ coords: { latitude: 34.7512345678, longitude: 113.6198765432, accuracy: 12 } } as GeolocationPosition))
    await expect(currentPosition()).resolves.toEqual({ lat: 34.751235, lon: 113.619877, accuracy: 12 })
  })
  it.each([
    [1, 'denied'],
    [2, 'unavailable'],
    [3, 'timeout'],
  ])('says why it failed (code %d → %s)', async (code, kind) => {
    stubGeo((_, fail) => fail({ code, message: 'x' } as GeolocationPositionError))
    const e = await currentPosition().catch((x) => x)
    expect(e).toBeInstanceOf(GeoError)
    expect(e.kind).toBe(kind)
    expect(geoMessageKey(e)).toBe(`mobile.geo.${kind}`)
  })
  it('says so when the browser has no geolocation', async () => {
    vi.stubGlobal('navigator', {})
    const e = await currentPosition().catch((x) => x)
    expect(e.kind).toBe('unsupported')
  })
})
