// The environment screen against a stand-in ECharts and a stubbed API: each monitor's latest
// headline value against its limit, and a monitor's chart with the limit line.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'

const fake = vi.hoisted(() => ({ options: [] as Record<string, unknown>[] }))
vi.mock('../src/lib/charts', () => ({
  echarts: {
    use: () => undefined,
    init: () => ({
      setOption: (o: Record<string, unknown>) => fake.options.push(o),
      on: () => undefined,
      resize: () => undefined,
      dispose: () => undefined,
    }),
  },
}))
const replace = vi.fn()
vi.mock('vue-router', async (orig) => ({
  ...(await orig<typeof import('vue-router')>()),
  useRouter: () => ({ push: vi.fn(), replace }),
  useRoute: () => ({ query: {} }),
}))

const { default: EnvironmentView } = await import('../src/views/EnvironmentView.vue')

const recent = new Date(Date.now() - 60_000).toISOString()
const monitors = [
  { mn: 'FUME0001', kind: 'fume', name: '老蔡记蒸饺', site: '建设路', size_class: 'medium', lat: 34.75, lon: 113.6, grid_code: null, last_seen_at: recent },
  { mn: 'FUME0002', kind: 'fume', name: '合记烩面', site: '人民路', size_class: 'large', lat: 34.76, lon: 113.61, grid_code: null, last_seen_at: '2026-01-01T00:00:00+08:00' },
  { mn: 'DUST0001', kind: 'dust', name: '某工地', site: null, size_class: null, lat: null, lon: null, grid_code: null, last_seen_at: recent },
]
const series: Record<string, [string, string][]> = {
  'FUME0001/a34041': [
    ['2026-11-24T10:00:00+08:00', '1.20'],
    ['2026-11-24T10:10:00+08:00', '2.35'],
  ],
  'FUME0002/a34041': [['2026-11-24T10:00:00+08:00', '1.95']],
  'DUST0001/a34002': [['2026-11-24T10:00:00+08:00', '88.0']],
}
let calls: URL[] = []

beforeEach(() => {
  calls = []
  fake.options.length = 0
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
      if (url.pathname === '/api/monitors') return json({ items: monitors })
      const m = url.pathname.match(/^\/api\/monitors\/(\w+)\/readings$/)
      if (m) {
        const factor = url.searchParams.get('factor')
        const rows = series[`${m[1]}/${factor}`] ?? []
        return json({ mn: m[1], factor, items: rows.map(([t, v]) => ({ data_time: t, cn: 2011, field: 'Rtd', value: v, flag: 'N' })) })
      }
      return json({ error: { code: 'not_found', message: 'no route' } }, 404)
    }),
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('EnvironmentView', { timeout: 30_000 }, () => {
  it('shows each monitor\'s latest value against its limit and counts those over it', async () => {
    const w = mount(EnvironmentView, { attachTo: document.body })
    await flushPromises()
    expect(w.get('[data-testid="latest-FUME0001"]').text()).toBe('2.35')
    expect(w.get('[data-testid="latest-FUME0001"]').classes()).toContain('lim-over')
    expect(w.get('[data-testid="latest-FUME0002"]').classes()).toContain('lim-ok')
    // Dust has no limit here: shown, never "over".
    expect(w.get('[data-testid="latest-DUST0001"]').classes()).toContain('lim-none')
    expect(w.get('[data-testid="monitor-counts"]').text()).toBe('共 3 台，在线 2 台，超标 1 台')
    expect(w.get('[data-testid="env-alarms"]').attributes('data-status')).toBe('unavailable')
  })

  it('charts a monitor\'s fume readings with the 2.0 mg/m³ limit line', async () => {
    const w = mount(EnvironmentView, { attachTo: document.body })
    await flushPromises()
    const row = w.findAll('[data-testid="monitor-table"] tbody tr').find((r) => r.text().includes('老蔡记蒸饺'))
    await row!.trigger('click')
    await flushPromises()
    expect(replace).toHaveBeenCalledWith({ query: { mn: 'FUME0001' } })
    expect(w.get('[data-testid="monitor-readings"]').attributes('data-points')).toBe('2')
    const last = fake.options.at(-1) as { series: { data: [number, number][]; markLine: { data: { yAxis: number }[] } }[] }
    expect(last.series[0]?.data.map((p) => p[1])).toEqual([1.2, 2.35])
    expect(last.series[0]?.markLine.data).toEqual([{ yAxis: 2.0 }])
  })

  it('opens the first monitor\'s readings at once instead of an empty panel', async () => {
    const w = mount(EnvironmentView, { attachTo: document.body })
    await flushPromises()
    expect(w.get('[data-testid="monitor-readings"]').attributes('data-points')).toBe('2')
  })

  it('puts an over-limit monitor listed last at the top', async () => {
    monitors.reverse()
    try {
      const w = mount(EnvironmentView, { attachTo: document.body })
      await flushPromises()
      const first = w.findAll('[data-testid="monitor-table"] tbody tr')[0]!.text()
      expect(first).toContain('老蔡记蒸饺')
    } finally {
      monitors.reverse()
    }
  })
})
