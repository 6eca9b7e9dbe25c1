// The vehicles screen against a stand-in ECharts and a stubbed API: the filters narrow both the
// list and the map, and picking a vehicle loads its track onto the map.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'

type Handler = (p: Record<string, unknown>) => void
interface FakeChart {
  el: HTMLElement
  options: Record<string, unknown>[]
  handlers: Map<string, Handler>
}
const fake = vi.hoisted(() => ({ maps: new Map<string, unknown>(), charts: [] as FakeChart[] }))

vi.mock('../src/lib/charts', () => ({
  echarts: {
    use: () => undefined,
    registerMap: (name: string, geo: unknown) => fake.maps.set(name, geo),
    getMap: (name: string) => fake.maps.get(name),
    init: (el: HTMLElement) => {
      const c: FakeChart = { el, options: [], handlers: new Map() }
      fake.charts.push(c)
      return {
        setOption: (o: Record<string, unknown>) => c.options.push(o),
        getOption: () => ({ geo: [{}] }),
        on: (ev: string, fn: Handler) => c.handlers.set(ev, fn),
        off: () => undefined,
        getZr: () => ({ on: () => undefined }),
        resize: () => undefined,
        dispose: () => undefined,
        isDisposed: () => false,
      }
    },
  },
}))

const replace = vi.fn()
vi.mock('vue-router', async (orig) => ({
  ...(await orig<typeof import('vue-router')>()),
  useRouter: () => ({ push: vi.fn(), replace }),
  useRoute: () => ({ query: {} }),
}))

const { default: VehiclesView } = await import('../src/views/VehiclesView.vue')

const pos = (lon: number, lat: number, speed: number) => ({ lat, lon, speed_kmh: speed, heading: 0, grid_code: null, fix_at: '2026-11-24T10:00:00+08:00' })
const fleet = [
  { id: 1, plate: '豫A·M1001', kind: 'muck_truck', company: '建投渣土', phone: '13800001111', terminal_id: null, registered: true, online: true, last_seen_at: null, position: pos(113.61, 34.75, 35) },
  { id: 2, plate: '豫A·M1002', kind: 'muck_truck', company: null, phone: null, terminal_id: null, registered: true, online: false, last_seen_at: null, position: pos(113.62, 34.76, 0) },
  { id: 3, plate: '豫A·S1001', kind: 'sweeper', company: null, phone: null, terminal_id: null, registered: true, online: true, last_seen_at: null, position: pos(113.63, 34.77, 8) },
  { id: 4, plate: '豫A·E1001', kind: 'enforcement', company: null, phone: null, terminal_id: null, registered: true, online: true, last_seen_at: null, position: null },
]
let calls: URL[] = []

beforeEach(() => {
  calls = []
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
      const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
      if (url.pathname === '/api/vehicles') return json({ items: fleet, online: 3 })
      if (url.pathname === '/api/city') return json({ version: 4, counts: {}, districts: [] })
      if (url.pathname === '/api/map/areas') return json({ type: 'FeatureCollection', features: [] })
      if (url.pathname === '/api/vehicles/1/track')
        return json({
          vehicle: fleet[0],
          from: url.searchParams.get('from'),
          to: url.searchParams.get('to'),
          points: [
            { fix_at: '2026-11-24T10:00:00+08:00', lat: 34.75, lon: 113.6, speed_kmh: 20, heading: 90 },
            { fix_at: '2026-11-24T10:00:10+08:00', lat: 34.75, lon: 113.61, speed_kmh: 40, heading: 90 },
          ],
        })
      return json({ error: { code: 'not_found', message: 'no route' } }, 404)
    }),
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

/** The fleet map as drawn now: each series as last set (ECharts merges series by id). */
function mapSeries(): Record<string, { data: { id?: number; coords?: unknown; value?: number[] }[] }> {
  const c = fake.charts[0] as FakeChart
  const out: Record<string, { data: { id?: number }[] }> = {}
  for (const o of c.options) for (const s of (o.series ?? []) as { id: string; data: { id?: number }[] }[]) out[s.id] = s
  return out
}
const plates = (w: ReturnType<typeof mount>) => w.findAll('[data-testid="vehicle-table"] tbody tr').map((r) => r.text().match(/豫A·\w+/)?.[0])

// Element Plus' date picker, slider and table take a few seconds to mount in happy-dom on a busy machine.
describe('VehiclesView', { timeout: 30_000 }, () => {
  it('filters the list and the map by kind, online state and plate', async () => {
    const w = mount(VehiclesView, { attachTo: document.body })
    await flushPromises()
    expect(w.get('[data-testid="fleet-counts"]').text()).toBe('共 4 辆，在线 3 辆')
    expect(plates(w)).toEqual(['豫A·M1001', '豫A·M1002', '豫A·S1001', '豫A·E1001'])
    // Vehicles without a fix are listed but not drawn.
    expect(mapSeries().vehicles?.data.map((d) => d.id)).toEqual([1, 2, 3])

    const filters = w.getComponent({ name: 'VehicleFilters' })
    filters.vm.$emit('update:modelValue', { kind: 'muck_truck', online: '', q: '' })
    await flushPromises()
    expect(plates(w)).toEqual(['豫A·M1001', '豫A·M1002'])
    expect(mapSeries().vehicles?.data.map((d) => d.id)).toEqual([1, 2])

    filters.vm.$emit('update:modelValue', { kind: 'muck_truck', online: 'online', q: '' })
    await flushPromises()
    expect(plates(w)).toEqual(['豫A·M1001'])

    filters.vm.$emit('update:modelValue', { kind: '', online: '', q: 's1001' })
    await flushPromises()
    expect(plates(w)).toEqual(['豫A·S1001'])
    expect(mapSeries().vehicles?.data.map((d) => d.id)).toEqual([3])
  })

  it('typing in the search box filters as you type', async () => {
    const w = mount(VehiclesView, { attachTo: document.body })
    await flushPromises()
    const input = w.get('[data-testid="filter-q"] input, input[data-testid="filter-q"]')
    await input.setValue('e1001')
    await flushPromises()
    expect(plates(w)).toEqual(['豫A·E1001'])
  })

  it('loads the picked vehicle\'s track and draws it on the map', async () => {
    const w = mount(VehiclesView, { attachTo: document.body })
    await flushPromises()
    fake.charts[0]?.handlers.get('click')?.({ seriesId: 'vehicles', data: { id: 1 } })
    await flushPromises()
    expect(replace).toHaveBeenCalledWith({ query: { id: '1' } })
    expect(w.get('[data-testid="vehicle-detail"]').text()).toContain('豫A·M1001')
    const track = calls.find((u) => u.pathname === '/api/vehicles/1/track')
    expect(track).toBeDefined()
    // The last two hours by default.
    const from = Date.parse(track!.searchParams.get('from')!)
    const to = Date.parse(track!.searchParams.get('to')!)
    expect(to - from).toBe(2 * 3_600_000)
    expect(mapSeries().track?.data).toEqual([{ coords: [[113.6, 34.75], [113.61, 34.75]] }])
    // Playback starts at the first fix: the marker is there, nothing driven yet.
    expect(mapSeries().cursor?.data).toEqual([{ value: [113.6, 34.75] }])
    expect(mapSeries().driven?.data).toEqual([])
    expect(w.get('[data-testid="track-playback"]').attributes('data-points')).toBe('2')
    expect(w.get('[data-testid="track-now"]').text()).toContain('2 个定位点')
  })

  it('shows the vehicle alarms as an empty state while the alarm API is missing', async () => {
    const w = mount(VehiclesView, { attachTo: document.body })
    await flushPromises()
    expect(w.get('[data-testid="vehicle-alarms"]').attributes('data-status')).toBe('unavailable')
  })
})
