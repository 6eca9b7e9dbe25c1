import { afterEach, describe, expect, it, vi } from 'vitest'
import { api } from '../src/api'
import { ApiError } from '../src/api/http'
import { setLocale } from '../src/i18n'
import { friendlyError } from '../src/lib/errors'
import { onCityChange, startLive, stopLive } from '../src/lib/live'

function respond(status: number, body: unknown, type = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': type } })
}

/** Stubs fetch with `reply`, recording each request's path and query. */
function stubFetch(reply: (url: URL) => Response) {
  const calls: URL[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const url = new URL(String(input), 'http://ui.test')
    calls.push(url)
    return reply(url)
  })
  vi.stubGlobal('fetch', fetch)
  return calls
}

afterEach(() => {
  vi.unstubAllGlobals()
  setLocale('zh-CN')
})

describe('city API wrappers', () => {
  it('asks for one parent level at a zoom and reads GeoJSON (application/geo+json)', async () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { code: '410102002', name: '林山寨街道', level: 'street', parent: '410102' },
          geometry: { type: 'MultiPolygon', coordinates: [[[[113.6, 34.7], [113.61, 34.7], [113.61, 34.71], [113.6, 34.7]]]] },
        },
      ],
    }
    const calls = stubFetch(() => respond(200, fc, 'application/geo+json'))
    const got = await api.mapAreas({ parent: '410102', level: 'street', zoom: 12 })
    expect(got.features[0].properties.code).toBe('410102002')
    expect(calls[0].pathname).toBe('/api/map/areas')
    expect(Object.fromEntries(calls[0].searchParams)).toEqual({ parent: '410102', level: 'street', zoom: '12' })
    // The whole city: no parent parameter at all (the server's default), not `parent=`.
    await api.mapAreas({ parent: '', level: 'district', zoom: 10 })
    expect(calls[1].searchParams.has('parent')).toBe(false)
    expect(calls[1].searchParams.get('level')).toBe('district')
  })

  it('asks for open-case density by default', async () => {
    const calls = stubFetch(() => respond(200, { level: 'grid', total: 3, max: 2, counts: { '410102002001001': 2, '410102002001002': 1 } }))
    const d = await api.density({ parent: '410102002001', level: 'grid' })
    expect(d.total).toBe(Object.values(d.counts).reduce((a, b) => a + b, 0))
    expect(Object.fromEntries(calls[0].searchParams)).toEqual({ parent: '410102002001', level: 'grid', states: 'open' })
    await api.density({ parent: '', level: 'district', states: 'all' })
    expect(Object.fromEntries(calls[1].searchParams)).toEqual({ level: 'district', states: 'all' })
  })

  it('geocodes lat/lon and tells inside from outside', async () => {
    const calls = stubFetch((u) =>
      Number(u.searchParams.get('lon')) > 113
        ? respond(200, {
            kind: 'inside',
            grid: { code: '410102002001001', name: '第001网格' },
            community: { code: '410102002001', name: '社区' },
            street: { code: '410102002', name: '街道' },
            district: { code: '410102', name: '中原区' },
            road: { id: 'R1', name: '建设路', distance_m: 12.5 },
            address: '中原区 街道 社区 建设路附近',
          })
        : respond(200, { kind: 'outside' }),
    )
    const inside = await api.geocode(34.75, 113.62)
    expect(Object.fromEntries(calls[0].searchParams)).toEqual({ lat: '34.75', lon: '113.62' })
    expect(inside.kind).toBe('inside')
    if (inside.kind === 'inside') expect(inside.grid.code.startsWith(inside.district?.code ?? '?')).toBe(true)
    expect((await api.geocode(34.75, 100)).kind).toBe('outside')
  })

  it('turns the report errors about the point into plain words in both languages', async () => {
    stubFetch(() => respond(422, { error: { code: 'outside_city', message: 'the point lat=1 lon=2 is outside every unit grid of the city' } }))
    const e = await api.report({ source: 'citizen_app', description: 'x', lat: 1, lon: 2 }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ApiError)
    const zh = friendlyError(e)
    expect(zh).not.toContain('lat=1')
    expect(zh).toMatch(/网格/)
    setLocale('en')
    expect(friendlyError(e)).toMatch(/outside/i)
    stubFetch(() => respond(422, { error: { code: 'point_outside_area', message: 'the point lies in grid …' } }))
    const e2 = await api.report({ source: 'inspector', description: 'x', lat: 1, lon: 2, area_code: '410105' }).catch((x: unknown) => x)
    expect(friendlyError(e2)).toMatch(/area/i)
    setLocale('zh-CN')
    expect(friendlyError(e2)).not.toBe(friendlyError(e))
  })
})

describe('live city events', () => {
  class FakeSource {
    static last: FakeSource | null = null
    static readonly CLOSED = 2
    readyState = 1
    onerror: (() => void) | null = null
    private handlers = new Map<string, ((ev: MessageEvent) => void)[]>()
    constructor(public url: string) {
      FakeSource.last = this
    }
    addEventListener(type: string, fn: (ev: MessageEvent) => void) {
      this.handlers.set(type, [...(this.handlers.get(type) ?? []), fn])
    }
    emit(type: string, data: string) {
      for (const f of this.handlers.get(type) ?? []) f(new MessageEvent(type, { data }))
    }
    close() {
      this.readyState = 2
    }
  }

  it('passes the new model version to the map, ignoring malformed events', () => {
    vi.stubGlobal('EventSource', FakeSource)
    const seen: number[] = []
    const off = onCityChange((v) => seen.push(v))
    startLive()
    const es = FakeSource.last as FakeSource
    es.emit('city', '{"version":7}')
    es.emit('city', 'not json')
    es.emit('city', '{"version":"8"}')
    es.emit('city', '{"version":9}')
    off()
    es.emit('city', '{"version":10}')
    stopLive()
    expect(seen).toEqual([7, 9])
  })
})
