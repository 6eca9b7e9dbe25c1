// The supervision screen 督办 against a stubbed API: what it asks for, the counts and the
// table, the status switch, and the escalation rules — read-only for a leader, for an admin
// checked before they are sent and saved with PUT (a 422 shown in plain words).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'

vi.mock('vue-router', async (orig) => ({
  ...(await orig<typeof import('vue-router')>()),
  useRouter: () => ({ push: vi.fn(), replace: vi.fn() }),
  useRoute: () => ({ query: {}, path: '/assessment/supervision' }),
}))

const { me } = await import('../src/lib/session')
const { default: SupervisionView } = await import('../src/views/assessment/SupervisionView.vue')

const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
const kase = (id: number, state: string, light: string | null) => ({
  id,
  case_no: `2026112400${id}`,
  state,
  class: { standard_ref: 'GB', kind: 'matter', code: '0101', name: '暴露垃圾' },
  description: '路边垃圾堆放',
  address: '建设路 12 号',
  street_code: null,
  community_code: null,
  department_id: null,
  supervision_level: 1,
  light,
  node_limit_minutes: 120,
  node_used_minutes: 150,
  deadline_at: '2026-11-24T10:00:00+08:00',
  closed_at: state === 'closed' ? '2026-11-24T11:00:00+08:00' : null,
})
const list = (status: string) => ({
  items:
    status === 'closed'
      ? [{ case: kase(3, 'closed', null), level: 1, events: 1, last: { at: '2026-11-23T09:00:00+08:00', automatic: false, actor_name: '区领导', note: '尽快处置' } }]
      : [
          { case: kase(1, 'handling', 'red'), level: 2, events: 2, last: { at: '2026-11-24T09:00:00+08:00', automatic: true, actor_name: '系统', note: '案卷超时 24 小时' } },
          { case: kase(2, 'dispatched', 'yellow'), level: 1, events: 1, last: { at: '2026-11-24T08:00:00+08:00', automatic: false, actor_name: '区领导', note: null } },
        ],
  counts: { open: 2, closed: 1, level1: 2, level2: 1 },
})
const RULES = [
  { trigger: 'red_light', threshold: null, level: 1, enabled: true },
  { trigger: 'rework', threshold: 2, level: 2, enabled: true },
  { trigger: 'citizen_reopen', threshold: null, level: 1, enabled: true },
  { trigger: 'overdue_hours', threshold: 24, level: 2, enabled: true },
]

let calls: { url: URL; method: string; body: unknown }[] = []
let putAnswer: (body: unknown) => Response = (b) => json(b)

beforeEach(() => {
  calls = []
  putAnswer = (b) => json(b)
  vi.stubGlobal('ResizeObserver', class {
    observe() {}
    unobserve() {}
    disconnect() {}
  })
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://ui.test')
      const method = init?.method ?? 'GET'
      const body = init?.body ? JSON.parse(String(init.body)) : null
      calls.push({ url, method, body })
      if (url.pathname === '/api/supervision') return json(list(url.searchParams.get('status') ?? 'open'))
      if (url.pathname === '/api/config/escalation-rules') return method === 'PUT' ? putAnswer(body) : json({ rules: RULES })
      if (url.pathname === '/api/departments') return json([])
      return json({ error: { code: 'not_found', message: 'no route' } }, 404)
    }),
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const as = (role: string) => {
  me.value = { user: { id: 1, username: role, display_name: role }, grants: [{ role, area: null, department_id: null }] } as never
}
const view = () => mount(SupervisionView, { attachTo: document.body, global: { stubs: { RouterLink: RouterLinkStub } } })

describe('SupervisionView', { timeout: 30_000 }, () => {
  it('lists the open supervised cases with counts, level, origin, reason and a link to each case', async () => {
    as('leader')
    const w = view()
    await flushPromises()
    const q = calls.find((c) => c.url.pathname === '/api/supervision')!.url.searchParams
    expect(q.get('status')).toBe('open')
    expect(w.get('[data-testid="count-open"]').text()).toContain('2')
    expect(w.get('[data-testid="count-level2"]').text()).toBe('领导督办 1')
    const rows = w.findAll('[data-testid="supervision-table"] .el-table__body tr')
    expect(rows).toHaveLength(2)
    expect(rows[0].text()).toContain('领导督办')
    expect(rows[0].text()).toContain('自动督办')
    expect(rows[0].text()).toContain('案卷超时 24 小时')
    expect(rows[0].text()).toContain('超时')
    expect(rows[1].text()).toContain('人工督办')
    expect(rows[1].text()).toContain('部门督办')
    expect(w.findAllComponents(RouterLinkStub).map((l) => l.props('to'))).toEqual(['/cases/1', '/cases/2'])
    w.unmount()
  })

  it('asks again for the finished ones when the switch moves', async () => {
    as('dispatcher')
    const w = view()
    await flushPromises()
    const closed = w.findAll('[data-testid="supervision-status"] label').find((l) => l.text() === '已办结')!
    await closed.find('input').setValue(true)
    await flushPromises()
    expect(calls.filter((c) => c.url.pathname === '/api/supervision').map((c) => c.url.searchParams.get('status'))).toEqual(['open', 'closed'])
    const rows = w.findAll('[data-testid="supervision-table"] .el-table__body tr')
    expect(rows).toHaveLength(1)
    expect(rows[0].text()).toContain('尽快处置')
    w.unmount()
  })

  it('shows a leader the rules in words without a way to change them', async () => {
    as('leader')
    const w = view()
    await flushPromises()
    const card = w.get('[data-testid="escalation-rules"]')
    expect(card.text()).toContain('案卷返工达 2 次，督办至区领导')
    expect(card.text()).toContain('仅系统管理员可修改规则')
    expect(card.find('[data-testid="rules-save"]').exists()).toBe(false)
    expect(card.find('[data-testid="rule-threshold"]').exists()).toBe(false)
    w.unmount()
  })

  it('hides the rules from someone the server does not show them to', async () => {
    as('dispatcher')
    const f = globalThis.fetch as ReturnType<typeof vi.fn>
    const inner = f.getMockImplementation()!
    f.mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) =>
      String(input).includes('escalation-rules') ? json({ error: { code: 'forbidden', message: 'admins only' } }, 403) : inner(input, init),
    )
    const w = view()
    await flushPromises()
    expect(w.find('[data-testid="escalation-rules"]').exists()).toBe(false)
    expect(w.find('.el-alert').exists()).toBe(false)
    w.unmount()
  })

  it('lets an admin change a threshold, refuses a bad one before sending and saves with PUT', async () => {
    as('admin')
    const w = view()
    await flushPromises()
    const save = () => w.get('[data-testid="rules-save"]')
    expect(save().attributes('disabled')).toBeDefined()
    const rework = w.findAll('[data-testid="rule-threshold"] input')[0]
    await rework.setValue('0')
    await rework.trigger('change')
    await flushPromises()
    expect(w.get('[data-testid="rule-problem"]').text()).toBe('阈值至少为 1')
    expect(save().attributes('disabled')).toBeDefined()
    await rework.setValue('3')
    await rework.trigger('change')
    await flushPromises()
    expect(w.find('[data-testid="rule-problem"]').exists()).toBe(false)
    expect(w.get('[data-testid="escalation-rules"]').text()).toContain('案卷返工达 3 次，督办至区领导')
    await save().trigger('click')
    await flushPromises()
    const put = calls.find((c) => c.method === 'PUT')!
    expect(put.url.pathname).toBe('/api/config/escalation-rules')
    expect(put.body).toEqual({ rules: RULES.map((r) => (r.trigger === 'rework' ? { ...r, threshold: 3 } : r)) })
    expect(save().attributes('disabled')).toBeDefined()
    w.unmount()
  })

  it('shows the server\'s 422 in plain words', async () => {
    as('admin')
    putAnswer = () => json({ error: { code: 'invalid_rules', message: 'rule 3: OverdueHours needs a threshold of at most 168' } }, 422)
    const w = view()
    await flushPromises()
    const hours = w.findAll('[data-testid="rule-threshold"] input')[1]
    await hours.setValue('200')
    await hours.trigger('change')
    await flushPromises()
    await w.get('[data-testid="rules-save"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="rules-error"]').text()).toContain('rule 3: OverdueHours needs a threshold of at most 168')
    // The row the server named is marked until it is edited.
    const marked = w.findAll('[data-testid="rules-table"] .el-table__body tr')[3]
    expect(marked.get('[data-testid="rule-problem"]').text()).toContain('at most 168')
    await hours.setValue('100')
    await hours.trigger('change')
    await flushPromises()
    expect(w.find('[data-testid="rule-problem"]').exists()).toBe(false)
    w.unmount()
  })
})
