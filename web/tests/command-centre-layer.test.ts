// The command centre's device layer over a stand-in map: vehicles and open alarms placed with the
// map's projection, moved when the map is zoomed or panned, and following live alarm events.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { Alarm } from '../src/api/alarms'

type Handler = () => void
const fake = vi.hoisted(() => ({ scale: 1, handlers: new Map<string, Handler>() }))
vi.mock('../src/lib/charts', () => ({
  echarts: {
    use: () => undefined,
    // The stand-in projection: pixels are (degrees − origin) × 1000 × scale.
    getInstanceByDom: () => ({
      convertToPixel: (_f: unknown, [lon, lat]: number[]) => [(lon! - 113.5) * 1000 * fake.scale, (34.8 - lat!) * 1000 * fake.scale],
      on: (ev: string, fn: Handler) => fake.handlers.set(ev, fn),
      off: () => undefined,
      isDisposed: () => false,
    }),
  },
}))
const push = vi.fn()
vi.mock('vue-router', async (orig) => ({ ...(await orig<typeof import('vue-router')>()), useRouter: () => ({ push }) }))

const { default: CommandCentreLayer } = await import('../src/components/alarms/CommandCentreLayer.vue')
const { deliverAlarm } = await import('../src/lib/alarmstream')

function alarm(id: number, extra: Partial<Alarm> = {}): Alarm {
  return {
    id,
    source_kind: 'monitor',
    source_id: 'FUME0001',
    rule: 'fume.exceed',
    state: 'raised',
    level: 'severe',
    message: '油烟超标',
    lat: 34.75,
    lon: 113.6,
    grid_code: null,
    case_id: null,
    raised_at: '2026-11-24T10:00:00+08:00',
    updated_at: '2026-11-24T10:00:00+08:00',
    cleared_at: null,
    ...extra,
  }
}

const vehicle = (id: number, lon: number, lat: number, online: boolean) => ({
  id,
  plate: `豫A·M100${id}`,
  kind: 'muck_truck',
  company: null,
  phone: null,
  terminal_id: null,
  registered: true,
  online,
  last_seen_at: null,
  position: { lat, lon, speed_kmh: 30, heading: 0, grid_code: null, fix_at: null },
})

let stageEl: HTMLElement
beforeEach(() => {
  fake.scale = 1
  fake.handlers.clear()
  document.body.innerHTML = '<div id="map"><div class="stage"><div class="canvas"></div></div></div>'
  stageEl = document.querySelector('.stage') as HTMLElement
  Object.defineProperty(stageEl, 'clientWidth', { value: 400 })
  Object.defineProperty(stageEl, 'clientHeight', { value: 300 })
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), 'http://ui.test')
      const json = (b: unknown) => new Response(JSON.stringify(b), { status: 200, headers: { 'content-type': 'application/json' } })
      if (url.pathname === '/api/vehicles') return json({ items: [vehicle(1, 113.6, 34.7, true), vehicle(2, 113.65, 34.75, false), vehicle(3, 114.5, 34.7, true)], online: 2 })
      if (url.pathname === '/api/alarms') return json({ items: [alarm(7), alarm(8, { state: 'acknowledged', level: 'notice', lat: null, lon: null })], total: 2 })
      return new Response('{}', { status: 404 })
    }),
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const frame = () => new Promise((r) => setTimeout(r, 40))

describe('CommandCentreLayer', () => {
  it('places vehicles and alarms on the map, follows zoom and live alarms', async () => {
    const w = mount(CommandCentreLayer, { props: { map: { $el: document.getElementById('map') } } })
    await flushPromises()
    await frame()
    const layer = stageEl.querySelector('[data-testid="cc-layer"]') as HTMLElement
    expect(layer).not.toBeNull()
    // Vehicle 3 is east of the view (x = 1000 px > 400): not drawn; alarm 8 has no point.
    expect(layer.dataset.vehicles).toBe('2')
    expect(layer.dataset.alarms).toBe('1')
    const veh = [...layer.querySelectorAll<HTMLElement>('.veh')]
    expect(veh.map((v) => [v.style.left, v.style.top])).toEqual([
      ['100px', '100px'],
      ['150px', '50px'],
    ])
    const a = layer.querySelector<HTMLElement>('.alarm')!
    expect([a.style.left, a.style.top]).toEqual(['100px', '50px'])
    // A new alarm blinks; the severe level shows in its class.
    expect(a.classList.contains('fresh')).toBe(true)
    expect(a.classList.contains('lv-severe')).toBe(true)

    // Zoomed in twice as far: the markers move with the map.
    fake.scale = 2
    fake.handlers.get('georoam')?.()
    await frame()
    expect(layer.querySelector<HTMLElement>('.alarm')!.style.left).toBe('200px')
    expect([...layer.querySelectorAll<HTMLElement>('.veh')].map((v) => [v.style.left, v.style.top])).toEqual([
      ['200px', '200px'],
      ['300px', '100px'],
    ])

    // Acknowledged: still shown, no longer blinking; cleared: gone.
    deliverAlarm(alarm(7, { state: 'acknowledged', updated_at: '2026-11-24T10:05:00+08:00' }))
    await flushPromises()
    expect(layer.querySelector<HTMLElement>('.alarm')!.classList.contains('fresh')).toBe(false)
    deliverAlarm(alarm(7, { state: 'cleared', updated_at: '2026-11-24T10:06:00+08:00' }))
    await flushPromises()
    expect(layer.dataset.alarms).toBe('0')

    layer.querySelector<HTMLElement>('.veh')!.click()
    expect(push).toHaveBeenCalledWith({ path: '/vehicles', query: { id: '1' } })
    w.unmount()
  })
})
