// The collection routes panel against a stubbed API: the day asked for, each route's counts and
// status (the skipping truck's route shows its missed point), and the empty state without the
// API.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import CollectionRoutes from '../src/components/vehicles/CollectionRoutes.vue'

const point = (seq: number, id: string, visited: boolean, missed: boolean) => ({
  seq,
  id,
  name: `${id}收集点`,
  visited,
  arrived: visited ? '2026-11-24T08:00:00+08:00' : null,
  by: visited ? '13800000001' : null,
  by_plate: visited ? '豫A·G0001' : null,
  late: false,
  missed,
})
const routeDay = (id: string, visited: number, missed: number) => ({
  id,
  name: `${id}线`,
  truck: '13800000001',
  vehicle_id: 1,
  plate: '豫A·G0001',
  category: 'kitchen',
  any_truck: false,
  runs: true,
  finish_at: '2026-11-24T09:00:00+08:00',
  planned: 2,
  visited,
  missed,
  finished_at: missed ? null : '2026-11-24T08:10:00+08:00',
  on_time: missed ? false : true,
  points: [point(1, 'K1', true, false), point(2, 'K2', visited === 2, missed > 0)],
})
const answers: Record<string, unknown> = {
  '/api/sanitation/route-report': { date: '2026-11-24', computed_at: '2026-11-24T10:00:00+08:00', routes: [routeDay('R1', 2, 0), routeDay('R4', 1, 1)] },
  '/api/sanitation/routes': {
    items: ['R1', 'R4'].map((id) => ({
      route_id: id,
      name: `${id}线`,
      vehicle_id: 1,
      plate: '豫A·G0001',
      category: 'kitchen',
      points: ['K1', 'K2'],
      days: { kind: 'weekdays', days: [1, 3, 5] },
      finish_by: '09:00',
      any_truck: false,
      created_at: '',
      updated_at: '',
    })),
  },
  '/api/garbage/collection': { points: [{ id: 'K1', name: 'k1', category: 'kitchen' }] },
}
let status = 200
let asked: URL[] = []
beforeEach(() => {
  status = 200
  asked = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), 'http://ui.test')
      asked.push(url)
      return status === 200
        ? new Response(JSON.stringify(answers[url.pathname] ?? {}), { status: 200, headers: { 'content-type': 'application/json' } })
        : new Response('{"error":{"code":"not_found","message":"no route"}}', { status, headers: { 'content-type': 'application/json' } })
    }),
  )
})
afterEach(() => vi.unstubAllGlobals())

describe('CollectionRoutes', { timeout: 30_000 }, () => {
  it('shows each route of the day with its counts and status', async () => {
    const w = mount(CollectionRoutes, { global: { plugins: [ElementPlus] } })
    await flushPromises()
    const report = asked.find((u) => u.pathname === '/api/sanitation/route-report')
    expect(report?.searchParams.get('day')).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(w.get('[data-testid="collection-routes"]').attributes('data-status')).toBe('ready')
    expect(w.get('[data-testid="route-counts-R4"]').text()).toBe('2 / 1 / 1')
    expect(w.get('[data-testid="route-status-R4"]').text()).toBe('漏收')
    expect(w.get('[data-testid="route-status-R1"]').text()).toBe('按时完成')
    expect(w.text()).toContain('周一、三、五')
  })

  it('shows an empty state while the server has no routes API', async () => {
    status = 404
    const w = mount(CollectionRoutes, { global: { plugins: [ElementPlus] } })
    await flushPromises()
    expect(w.get('[data-testid="collection-routes"]').attributes('data-status')).toBe('unavailable')
  })
})
