// The assessment and permit screens against a stubbed API: what they ask for, what they show,
// what they refuse to send, and how the API's answers (404 while an endpoint is missing, 422
// with the permit's problems) reach the user.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'

vi.mock('../src/lib/charts', () => ({
  echarts: {
    use: () => undefined,
    init: () => ({ setOption: () => undefined, on: () => undefined, resize: () => undefined, dispose: () => undefined, getZr: () => ({ on: () => undefined }) }),
    getMap: () => null,
    registerMap: () => undefined,
    getInstanceByDom: () => undefined,
  },
}))
const replace = vi.fn()
vi.mock('vue-router', async (orig) => ({
  ...(await orig<typeof import('vue-router')>()),
  useRouter: () => ({ push: vi.fn(), replace }),
  useRoute: () => ({ query: {}, path: '/' }),
}))

const { me } = await import('../src/lib/session')
const { default: RankingsView } = await import('../src/views/assessment/RankingsView.vue')
const { default: FlagsView } = await import('../src/views/assessment/FlagsView.vue')
const { default: MattersView } = await import('../src/views/assessment/MattersView.vue')
const { default: PermitForm } = await import('../src/components/permits/PermitForm.vue')

type Handler = (url: URL, init?: RequestInit) => Response | undefined
let calls: { url: URL; method: string; body: unknown }[] = []
let handler: Handler = () => undefined
/** Element Plus shows a form item's error 100 ms after it is set. */
const settle = async () => {
  await flushPromises()
  await new Promise((r) => setTimeout(r, 150))
  await flushPromises()
}
const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })

beforeEach(() => {
  calls = []
  handler = () => undefined
  me.value = { user: { id: 1, username: 'leader', display_name: '区领导' }, grants: [{ role: 'leader', area: null, department_id: null }] } as never
  vi.stubGlobal('ResizeObserver', class {
    observe() {}
    disconnect() {}
  })
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://ui.test')
      calls.push({ url, method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : null })
      return handler(url, init) ?? json({ error: { code: 'not_found', message: 'no route' } }, 404)
    }),
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const row = (rank: number, name: string, score: number, grade: string) => ({
  scope: { kind: 'department', id: String(rank), name },
  indicators: { dispatched: 10 * rank, handling_rate: { num: 9, den: 10, rate: 0.9 }, rework_rate: { num: 0, den: 0, rate: null } },
  score,
  grade,
  rank,
})

describe('RankingsView', { timeout: 30_000 }, () => {
  it('asks for the month of the chosen family and lists the scopes by rank with their grades', async () => {
    handler = (url) =>
      url.pathname === '/api/assessment/indicators'
        ? json({ period: { from: '2026-11-01', to: '2026-11-30' }, rows: [row(2, '市政所', 81.4, 'B'), row(1, '环卫中心', 92, 'A'), row(3, '执法大队', 55, 'E')] })
        : undefined
    const w = mount(RankingsView, { attachTo: document.body })
    await flushPromises()
    const q = calls.find((c) => c.url.pathname === '/api/assessment/indicators')!.url.searchParams
    expect(q.get('scope_kind')).toBe('department')
    expect(q.get('period')).toMatch(/^\d{4}-\d{2}$/)
    const table = w.get('[data-testid="ranking-table"]')
    const names = table.findAll('.el-table__body tr').map((tr) => tr.text())
    expect(names[0]).toContain('环卫中心')
    expect(names[2]).toContain('执法大队')
    expect(table.findAll('[data-grade]').map((g) => g.attributes('data-grade'))).toEqual(['A', 'B', 'E'])
    // A rate with an empty denominator is a dash, not 0 %.
    expect(names[0]).toContain('90.0%')
    expect(names[0]).toContain('—')
    expect(w.get('[data-testid="period-range-text"]').text()).toContain('2026-11-01')
  })

  it('asks again when another family is chosen', async () => {
    handler = (url) => (url.pathname === '/api/assessment/indicators' ? json({ rows: [] }) : undefined)
    const w = mount(RankingsView, { attachTo: document.body })
    await flushPromises()
    const streets = w.findAll('[data-testid="scope-kind"] label').find((l) => l.text() === '街道')!
    await streets.find('input').setValue(true)
    await flushPromises()
    const kinds = calls.filter((c) => c.url.pathname === '/api/assessment/indicators').map((c) => c.url.searchParams.get('scope_kind'))
    expect(kinds).toEqual(['department', 'street'])
  })

  it('says the API is not there yet instead of showing an error', async () => {
    const w = mount(RankingsView, { attachTo: document.body })
    await flushPromises()
    expect(w.find('[data-testid="rankings-missing"]').exists()).toBe(true)
    expect(w.find('[data-testid="rankings-error"]').exists()).toBe(false)
  })
})

describe('FlagsView', { timeout: 30_000 }, () => {
  it('shows the week\'s red and black flags per family, road chiefs first', async () => {
    handler = (url) => {
      if (url.pathname === '/api/assessment/flags')
        return json({
          red: [
            { kind: 'red', rank: 1, composite: 92.8, scope: { kind: 'street', id: '410102002', name: '建设路街道' } },
            { kind: 'red', rank: 1, composite: 94.2, scope: { kind: 'road_chief', id: '3', name: '路长3' } },
          ],
          black: [{ kind: 'black', rank: 1, composite: 58.1, third_party_findings: 3, scope: { kind: 'road_chief', id: '6', name: '路长6' } }],
        })
      if (url.pathname === '/api/assessment/flags/history') return json({ items: [] })
      return undefined
    }
    const w = mount(FlagsView, { attachTo: document.body })
    await flushPromises()
    expect(calls.find((c) => c.url.pathname === '/api/assessment/flags')!.url.searchParams.get('week')).toMatch(/^\d{4}-W\d{2}$/)
    const groups = w.findAll('.group').map((g) => g.attributes('data-testid'))
    expect(groups).toEqual(['flags-road_chief', 'flags-street'])
    const chiefs = w.get('[data-testid="flags-road_chief"]')
    expect(chiefs.get('[data-testid="red-flags"]').text()).toContain('路长3')
    expect(chiefs.get('[data-testid="black-flags"]').text()).toContain('路长6')
    expect(chiefs.get('[data-testid="black-flags"]').text()).toContain('暗访发现 3')
    expect(w.get('[data-testid="flags-street"] [data-testid="black-flags"]').text()).toContain('本周没有评出')
  })

  it('moves to the previous week with the arrow', async () => {
    handler = (url) => (url.pathname.startsWith('/api/assessment/flags') ? json({ red: [], black: [] }) : undefined)
    const w = mount(FlagsView, { attachTo: document.body })
    await flushPromises()
    await w.get('[data-testid="period-prev"]').trigger('click')
    await flushPromises()
    const weeks = calls.filter((c) => c.url.pathname === '/api/assessment/flags').map((c) => c.url.searchParams.get('week')!)
    expect(weeks).toHaveLength(2)
    const [a, b] = weeks.map((x) => Number(x.slice(6)))
    // Week numbers go down by one (or wrap at the new year).
    expect(a! - b! === 1 || b! >= 52).toBe(true)
  })
})

describe('MattersView', { timeout: 30_000 }, () => {
  const item = { id: 7, category_id: 1, title: '背街小巷改造', plan: '', measures: [], owner_department_id: 2, milestones: [], progress: [{ on: '2026-11-01', percent: 40, note: '开工' }], status: 'in_progress' }
  beforeEach(() => {
    handler = (url, init) => {
      if (url.pathname === '/api/matters/categories') return json([{ id: 1, name: '城市环境提升' }])
      if (url.pathname === '/api/matters/summary') return json({ total: { total: 3, done: 1, in_progress: 1, planned: 1 }, by_category: { '1': { total: 3, done: 1, in_progress: 1, planned: 1 } } })
      if (url.pathname === '/api/matters') return json({ items: [item], total: 1 })
      if (url.pathname === '/api/departments') return json([{ id: 2, code: 'd2', name: '市政所', dept_type: 'municipal', areas: [] }])
      if (url.pathname === '/api/matters/7/progress' && init?.method === 'POST') return json({ ...item, progress: [...item.progress, JSON.parse(String(init.body))] })
      return undefined
    }
  })

  it('shows the totals by status and the items with their owner', async () => {
    const w = mount(MattersView, { attachTo: document.body })
    await flushPromises()
    expect(w.get('[data-testid="matters-total"]').text()).toBe('3')
    expect(w.get('[data-testid="matters-done"]').text()).toBe('1')
    const table = w.get('[data-testid="matter-table"]').text()
    expect(table).toContain('背街小巷改造')
    expect(table).toContain('市政所')
    expect(table).toContain('正在办')
  })

  it('will not send a progress update without a note or going backwards, and sends a good one', async () => {
    const w = mount(MattersView, { attachTo: document.body })
    await flushPromises()
    await w.get('[data-testid="matter-progress"]').trigger('click')
    await flushPromises()
    const dialog = document.querySelector('[data-testid="progress-dialog"]')!
    ;(document.querySelector('[data-testid="progress-save"]') as HTMLButtonElement).click()
    await settle()
    expect(calls.some((c) => c.url.pathname === '/api/matters/7/progress')).toBe(false)
    expect(dialog.textContent).toContain('请填写进展情况')

    const note = dialog.querySelector('textarea')!
    note.value = '完成 3 条巷道'
    note.dispatchEvent(new Event('input'))
    const pct = dialog.querySelector('.el-slider .el-input__inner') as HTMLInputElement
    pct.value = '20'
    pct.dispatchEvent(new Event('input'))
    pct.dispatchEvent(new Event('change'))
    await flushPromises()
    ;(document.querySelector('[data-testid="progress-save"]') as HTMLButtonElement).click()
    await settle()
    expect(calls.some((c) => c.url.pathname === '/api/matters/7/progress')).toBe(false)
    expect(dialog.textContent).toContain('完成百分比不能低于上次填报')

    pct.value = '60'
    pct.dispatchEvent(new Event('input'))
    pct.dispatchEvent(new Event('change'))
    await flushPromises()
    ;(document.querySelector('[data-testid="progress-save"]') as HTMLButtonElement).click()
    await flushPromises()
    const sent = calls.find((c) => c.url.pathname === '/api/matters/7/progress')!
    expect(sent.method).toBe('POST')
    expect(sent.body).toMatchObject({ percent: 60, note: '完成 3 条巷道' })
    expect((sent.body as { on: string }).on).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    w.unmount()
  })
})

describe('PermitForm', { timeout: 30_000 }, () => {
  const permit = {
    id: 'P1',
    number: 'ZT-1',
    company: '顺达',
    vehicles: [{ phone: '13800000101', plate: '豫A·M1001' }],
    construction_site: [{ exterior: [{ lon: 113.61, lat: 34.75 }, { lon: 113.62, lat: 34.75 }, { lon: 113.62, lat: 34.76 }, { lon: 113.61, lat: 34.75 }] }],
    disposal_site: [{ exterior: [{ lon: 113.6, lat: 34.73 }, { lon: 113.61, lat: 34.73 }, { lon: 113.61, lat: 34.74 }, { lon: 113.6, lat: 34.73 }] }],
    route: [{ lon: 113.615, lat: 34.75 }, { lon: 113.605, lat: 34.735 }],
    corridor_width_m: 60,
    windows: [{ start: '22:00:00', end: '06:00:00' }],
    valid_from: '2026-11-01',
    valid_to: '2026-12-31',
  }

  it('checks the form before sending and names the fields at fault', async () => {
    const w = mount(PermitForm, { props: { permit: null, today: '2026-11-24' }, attachTo: document.body })
    await flushPromises()
    await w.get('[data-testid="permit-save"]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.url.pathname === '/api/permits')).toBe(false)
    const errs = w.get('[data-testid="permit-form-errors"]').text()
    expect(errs).toContain('请填写核准证号')
    expect(errs).toContain('路线至少需要 2 个点（现有 0 个）')
  })

  it('shows a 422\'s problems at their fields and sends an edit with PUT', async () => {
    handler = (url, init) =>
      url.pathname === '/api/permits/P1' && init?.method === 'PUT'
        ? json({ error: { code: 'invalid_permit', message: 'permit "P1" is invalid: the disposal site has a coordinate out of range; time window 0 starts and ends at 22:00' } }, 422)
        : undefined
    const w = mount(PermitForm, { props: { permit, today: '2026-11-24' }, attachTo: document.body })
    await flushPromises()
    await w.get('[data-testid="permit-save"]').trigger('click')
    await flushPromises()
    const put = calls.find((c) => c.url.pathname === '/api/permits/P1')!
    expect(put.method).toBe('PUT')
    expect(put.body).toMatchObject({ number: 'ZT-1', corridor_width_m: 60, windows: [{ start: '22:00', end: '06:00' }] })
    expect(put.body).not.toHaveProperty('id')
    await settle()
    const api = w.get('[data-testid="permit-api-errors"]').text()
    expect(api).toContain('消纳场')
    expect(api).toContain('the disposal site has a coordinate out of range')
    // The problem is also shown under its own field.
    const disposalItem = w.get('[data-testid="permit-disposal"]').element.closest('.el-form-item')!
    expect(disposalItem.querySelector('.el-form-item__error')?.textContent).toContain('out of range')
    expect(w.emitted('saved')).toBeUndefined()
  })
})
