// CityMap against a stand-in ECharts (happy-dom has no canvas) and a stubbed API: what it asks
// the server for as the user drills, what it hands ECharts, and how it follows live events.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'

type Handler = (p: Record<string, unknown>) => void

interface FakeChart {
  options: Record<string, unknown>[]
  handlers: Map<string, Handler>
  zr: Map<string, Handler>
}

const fake = vi.hoisted(() => ({ maps: new Map<string, unknown>(), charts: [] as FakeChart[] }))

vi.mock('../src/lib/charts', () => ({
  echarts: {
    registerMap: (name: string, geo: unknown) => fake.maps.set(name, geo),
    getMap: (name: string) => fake.maps.get(name),
    init: () => {
      const c = { options: [] as Record<string, unknown>[], handlers: new Map<string, Handler>(), zr: new Map<string, Handler>() }
      fake.charts.push(c)
      return {
        setOption: (o: Record<string, unknown>) => c.options.push(o),
        on: (ev: string, fn: Handler) => c.handlers.set(ev, fn),
        getZr: () => ({ on: (ev: string, fn: Handler) => c.zr.set(ev, fn) }),
        // The stand-in projection: pixels are degrees × 100.
        convertFromPixel: (_f: unknown, [x, y]: number[]) => [x / 100, y / 100],
        convertToPixel: (_f: unknown, [lon, lat]: number[]) => [lon * 100, lat * 100],
        resize: () => undefined,
        dispose: () => undefined,
      }
    },
  },
}))

import CityMap from '../src/components/CityMap.vue'
import { luminance, RAMP, ZERO_COLOUR } from '../src/lib/citymap'
import { startLive, stopLive } from '../src/lib/live'

/** A square area around (x, y). */
function square(code: string, name: string, x: number, y: number) {
  const d = 0.01
  return {
    type: 'Feature',
    properties: { code, name, level: 'x' },
    geometry: {
      type: 'MultiPolygon',
      coordinates: [[[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]],
    },
  }
}

/** A made-up city: every area has three children, named after their code. */
function childrenOf(parent: string, level: string) {
  const len = { district: 6, street: 9, community: 12, grid: 15 }[level] as number
  const base = parent || '410'
  return [1, 2, 3].map((i) => {
    const code = (base + String(i).padStart(len - base.length, '0')).slice(0, len)
    return square(code, `${level}-${code}`, 113.6 + i * 0.05, 34.7 + i * 0.02)
  })
}

let calls: URL[] = []
let densityTotal = 0

beforeEach(() => {
  calls = []
  densityTotal = 5
  fake.charts.length = 0
  fake.maps.clear()
  vi.stubGlobal('ResizeObserver', class {
    observe() {}
    disconnect() {}
  })
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), 'http://ui.test')
      calls.push(url)
      const json = (b: unknown, type = 'application/json') => new Response(JSON.stringify(b), { status: 200, headers: { 'content-type': type } })
      const q = Object.fromEntries(url.searchParams)
      if (url.pathname === '/api/city') return json({ version: 3, counts: { grids: 9, areas: 12, roads: 1, components: 2 }, districts: [] })
      if (url.pathname === '/api/map/areas') return json({ type: 'FeatureCollection', features: childrenOf(q.parent ?? '', q.level) }, 'application/geo+json')
      if (url.pathname === '/api/map/density') {
        const fs = childrenOf(q.parent ?? '', q.level)
        return json({ level: q.level, total: densityTotal, max: densityTotal, counts: { [fs[0].properties.code]: densityTotal } })
      }
      if (url.pathname.startsWith('/api/areas/')) return json({ code: url.pathname.split('/').pop(), name: 'named', parent_code: null })
      return new Response('{}', { status: 404 })
    }),
  )
})

afterEach(() => {
  stopLive()
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

const areaCalls = () => calls.filter((u) => u.pathname === '/api/map/areas').map((u) => Object.fromEntries(u.searchParams))
const lastOption = () => fake.charts[0].options[fake.charts[0].options.length - 1] as { series: { map: string; data: { name: string; value: number }[]; markPoint: { data: unknown[] } }[]; visualMap?: { pieces: { min: number; max: number }[] } }

describe('CityMap', () => {
  it('drills from the city to a community\'s grids, one parent at a time, and back up', async () => {
    const w = mount(CityMap, { attachTo: document.body })
    await flushPromises()
    expect(w.attributes('data-level')).toBe('district')
    expect(w.attributes('data-features')).toBe('3')
    expect(areaCalls()).toEqual([{ level: 'district', zoom: '10' }])
    // The series shows the registered layer, every area with its count (0 when none).
    const opt = lastOption()
    expect(fake.maps.has(opt.series[0].map)).toBe(true)
    expect(opt.series[0].data.map((d) => d.value)).toEqual([5, 0, 0])
    expect(opt.visualMap?.pieces.at(-1)?.max).toBe(5)

    const click = (code: string) => fake.charts[0].handlers.get('click')?.({ componentType: 'series', name: code })
    const expectAt = [
      { level: 'street', zoom: '12' },
      { level: 'community', zoom: '14' },
      { level: 'grid', zoom: '16' },
    ]
    for (const want of expectAt) {
      const code = lastOption().series[0].data[1].name
      click(code)
      await flushPromises()
      expect(areaCalls().at(-1)).toEqual({ parent: code, ...want })
      expect(w.attributes('data-parent')).toBe(code)
      expect(w.attributes('data-level')).toBe(want.level)
    }
    // Grids have nothing below: a click selects instead.
    const grid = lastOption().series[0].data[0].name
    const before = areaCalls().length
    click(grid)
    await flushPromises()
    expect(areaCalls().length).toBe(before)
    expect(w.emitted('select')?.[0]?.[0]).toMatchObject({ code: grid })

    // The breadcrumb: root plus three levels; its first entry goes back to the city (from cache).
    const crumbs = w.findAll('[data-testid="map-crumbs"] a')
    expect(crumbs).toHaveLength(3)
    await crumbs[0].trigger('click')
    await flushPromises()
    expect(w.attributes('data-level')).toBe('district')
    expect(areaCalls().length).toBe(before)
    w.unmount()
  })

  it('dark theme (the wall screen): dark ground, no light colours, same counts and drilling', async () => {
    const w = mount(CityMap, { props: { theme: 'dark' }, attachTo: document.body })
    await flushPromises()
    expect(w.classes()).toContain('dark')
    const opt = lastOption() as unknown as {
      series: { data: { value: number }[]; itemStyle: { areaColor: string } }[]
      visualMap: { pieces: { min: number; max: number; color: string }[] }
    }
    expect(opt.series[0].data.map((d) => d.value)).toEqual([5, 0, 0])
    // Areas without cases are drawn dark, and no class keeps the light theme's colours.
    const zero = opt.visualMap.pieces.find((p) => p.max === 0)
    expect(zero?.color).toBe(opt.series[0].itemStyle.areaColor)
    expect(luminance(zero?.color ?? '')).toBeLessThan(0.05)
    for (const p of opt.visualMap.pieces) expect([ZERO_COLOUR, ...RAMP]).not.toContain(p.color)
    w.unmount()
  })

  it('picks a point where clicked and marks it', async () => {
    const w = mount(CityMap, { props: { mode: 'pick', area: '410102002' }, attachTo: document.body })
    await flushPromises()
    // An inspector's street: its grids straight away, and no density asked for.
    expect(areaCalls()).toEqual([{ parent: '410102002', level: 'grid', zoom: '16' }])
    expect(calls.some((u) => u.pathname === '/api/map/density')).toBe(false)
    fake.charts[0].zr.get('click')?.({ offsetX: 11362.5, offsetY: 3474.25 })
    expect(w.emitted('pick')?.[0]?.[0]).toEqual({ lon: 113.625, lat: 34.7425 })
    await w.setProps({ point: { lat: 34.7425, lon: 113.625 } })
    expect(lastOption().series[0].markPoint.data).toEqual([{ name: 'point', coord: [113.625, 34.7425] }])
    await w.setProps({ point: null })
    expect(lastOption().series[0].markPoint.data).toEqual([])
    w.unmount()
  })

  it('recounts after case events (once per burst) and reloads outlines on a city event', async () => {
    class FakeSource {
      static last: FakeSource
      readyState = 1
      onerror = null
      handlers = new Map<string, (ev: MessageEvent) => void>()
      constructor() {
        FakeSource.last = this
      }
      addEventListener(t: string, f: (ev: MessageEvent) => void) {
        this.handlers.set(t, f)
      }
      close() {}
    }
    vi.stubGlobal('EventSource', FakeSource)
    startLive()
    const w = mount(CityMap, { attachTo: document.body })
    await flushPromises()
    const densityCalls = () => calls.filter((u) => u.pathname === '/api/map/density').length
    expect(densityCalls()).toBe(1)
    vi.useFakeTimers()
    densityTotal = 8
    const caseEv = JSON.stringify({ action: 'report', actor_id: 1, case: { id: 1 } })
    for (let i = 0; i < 5; i++) FakeSource.last.handlers.get('case')?.(new MessageEvent('case', { data: caseEv }))
    await vi.advanceTimersByTimeAsync(2000)
    vi.useRealTimers()
    await flushPromises()
    expect(densityCalls()).toBe(2)
    expect(w.attributes('data-total')).toBe('8')
    expect(lastOption().series[0].data[0].value).toBe(8)

    // A new model version: the summary and the outlines are fetched again.
    const areasBefore = areaCalls().length
    FakeSource.last.handlers.get('city')?.(new MessageEvent('city', { data: '{"version":4}' }))
    await flushPromises()
    expect(areaCalls().length).toBe(areasBefore + 1)
    expect(calls.filter((u) => u.pathname === '/api/city').length).toBe(2)
    w.unmount()
  })
})
