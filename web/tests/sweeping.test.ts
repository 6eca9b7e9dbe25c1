// The sweeping coverage panel against a stubbed API: the day asked for, the city's rate, the
// roads with the lowest rate first, sweepers by plate, and the empty state without the API.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import SweepingCoverage from '../src/components/vehicles/SweepingCoverage.vue'
import { percent, shanghaiDate } from '../src/lib/devices'

const road = (id: string, name: string, required_m: number, swept_m: number) => ({
  road: 0,
  id,
  name,
  class: 'arterial',
  length_m: required_m / 2,
  required_passes: 2,
  covered_m: [swept_m, 0],
  required_m,
  swept_m,
  rate: required_m > 0 ? swept_m / required_m : null,
})
const report = {
  day: 20781,
  date: '2026-11-24',
  roads: [road('R1', '中原路', 4000, 3000), road('R2', '建设路', 2000, 500), road('R3', '桐柏路', 0, 0), road('R4', '嵩山路', 1000, 250)],
  areas: [],
  total: { roads: 4, length_m: 3500, required_m: 7000, swept_m: 3750, rate: 3750 / 7000 },
  vehicles: [{ phone: '13800002000', in_band_m: 9000, too_fast_m: 1000, too_slow_m: 0, compliance: 0.9 }],
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
        ? new Response(JSON.stringify(report), { status: 200, headers: { 'content-type': 'application/json' } })
        : new Response('{"error":{"code":"not_found","message":"no route"}}', { status, headers: { 'content-type': 'application/json' } })
    }),
  )
})
afterEach(() => vi.unstubAllGlobals())

describe('SweepingCoverage', { timeout: 30_000 }, () => {
  it('shows the rate and the worst roads first, sweepers by plate', async () => {
    const vehicles = [{ id: 9, plate: '豫A·S1001', kind: 'sweeper', company: null, phone: '13800002000', terminal_id: null, registered: true, online: true, last_seen_at: null, position: null }]
    const w = mount(SweepingCoverage, { props: { vehicles } })
    await flushPromises()
    expect(asked[0]?.pathname).toBe('/api/sweeping/coverage')
    expect(asked[0]?.searchParams.get('day')).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    // 3750 / 7000 = 53.57… %.
    expect(w.get('[data-testid="sweep-rate"]').text()).toBe('清扫率 53.6%')
    // R2 and R4 both at 25 %: the longer requirement first; R3 (nothing required) left out.
    expect(w.findAll('tbody tr[data-testid^="sweep-road-"]').map((r) => r.attributes('data-testid'))).toEqual([
      'sweep-road-R2',
      'sweep-road-R4',
      'sweep-road-R1',
    ])
    expect(w.get('[data-testid="sweep-road-R1"]').text()).toContain('3000 / 4000')
    expect(w.get('[data-testid="sweep-road-R1"]').text()).toContain('主干路')
    const sweeper = w.get('[data-testid="sweep-vehicle-13800002000"]').text()
    expect(sweeper).toContain('豫A·S1001')
    expect(sweeper).toContain('10.0')
    expect(sweeper).toContain('90.0%')
  })

  it('shows an empty state while the server has no sweeping report', async () => {
    status = 404
    const w = mount(SweepingCoverage)
    await flushPromises()
    expect(w.attributes('data-status')).toBe('unavailable')
    expect(w.text()).toContain('清扫统计暂不可用')
  })
})

describe('formatting', () => {
  it('rounds shares to a tenth of a percent', () => {
    expect(percent(0.53571)).toBe('53.6%')
    expect(percent(1)).toBe('100.0%')
    expect(percent(null)).toBe('—')
  })
  it('takes the day in Asia/Shanghai', () => {
    // 2026-11-24 16:00 UTC is already the 25th in Zhengzhou (UTC+8).
    expect(shanghaiDate(Date.parse('2026-11-24T16:00:00Z'))).toBe('2026-11-25')
    expect(shanghaiDate(Date.parse('2026-11-24T15:59:59Z'))).toBe('2026-11-24')
  })
})
