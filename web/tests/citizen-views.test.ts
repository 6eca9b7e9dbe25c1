import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import ElementPlus from 'element-plus'
import CitizenLoginView from '../src/views/citizen/CitizenLoginView.vue'
import CitizenCaseView from '../src/views/citizen/CitizenCaseView.vue'
import { setLocale } from '../src/i18n'

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

function makeRouter() {
  const r = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/citizen/login', component: { template: '<div />' } },
      { path: '/citizen', component: { template: '<div>home</div>' } },
      { path: '/citizen/mine', component: { template: '<div />' } },
      { path: '/citizen/cases/:id', component: { template: '<div />' } },
      { path: '/login', component: { template: '<div />' } },
    ],
  })
  return r
}

async function mountAt(component: unknown, path: string, props: Record<string, unknown> = {}) {
  const router = makeRouter()
  await router.push(path)
  await router.isReady()
  const w = mount(component as Parameters<typeof mount>[0], { props, global: { plugins: [router, ElementPlus] }, attachTo: document.body } as never)
  return { w, router }
}

beforeEach(() => {
  setLocale('zh-CN')
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
  document.body.innerHTML = ''
})

describe('CitizenLoginView', () => {
  it('refuses a wrong number before sending anything', async () => {
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    const { w } = await mountAt(CitizenLoginView, '/citizen/login')
    await w.get('input[data-testid="otp-phone"]').setValue('1380000')
    await w.get('[data-testid="otp-send"]').trigger('click')
    await flushPromises()
    expect(fetch).not.toHaveBeenCalled()
    expect(w.get('[data-testid="otp-error"]').text()).toContain('请输入正确的手机号')
  })

  it('sends the code, then counts down before another may be asked for', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    const fetch = vi.fn(async () => json(202, { sent: true, expires_in_seconds: 300, resend_after_seconds: 60 }))
    vi.stubGlobal('fetch', fetch)
    const { w } = await mountAt(CitizenLoginView, '/citizen/login')
    await w.get('input[data-testid="otp-phone"]').setValue('138 0000 0000')
    await w.get('[data-testid="otp-send"]').trigger('click')
    await flushPromises()
    expect(JSON.parse((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].body as string)).toEqual({ phone: '13800000000' })
    const send = () => w.get('[data-testid="otp-send"]')
    expect(send().attributes('data-left')).toBe('60')
    expect(send().attributes('disabled')).toBeDefined()
    expect(w.get('[data-testid="otp-info"]').text()).toContain('5 分钟内有效')
    vi.advanceTimersByTime(59_000)
    await flushPromises()
    expect(send().attributes('data-left')).toBe('1')
    vi.advanceTimersByTime(1_000)
    await flushPromises()
    expect(send().attributes('data-left')).toBe('0')
    expect(send().attributes('disabled')).toBeUndefined()
    expect(send().text()).toBe('重新获取')
  })

  it('shows the rate limit in the server\'s words and signs in with the code', async () => {
    const fetch = vi.fn(async (url: string) => {
      if (url === '/api/auth/otp') return json(429, { error: { code: 'rate_limited', message: '请 30 秒后再试' } })
      return json(200, { token: 't', expires_at: 'x', user: { user: { id: 5, username: 'c', display_name: '市民', phone: null, active: true }, grants: [] } })
    })
    vi.stubGlobal('fetch', fetch)
    const { w, router } = await mountAt(CitizenLoginView, '/citizen/login?next=/citizen/mine')
    await w.get('input[data-testid="otp-phone"]').setValue('13800000000')
    await w.get('[data-testid="otp-send"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="otp-error"]').text()).toContain('请 30 秒后再试')
    await w.get('input[data-testid="otp-code"]').setValue('12345')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="otp-error"]').text()).toContain('6位验证码')
    await w.get('input[data-testid="otp-code"]').setValue('123456')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(fetch).toHaveBeenLastCalledWith('/api/auth/otp/verify', expect.objectContaining({ method: 'POST' }))
    expect(router.currentRoute.value.fullPath).toBe('/citizen/mine')
  })
})

const baseCase = {
  id: 7,
  case_no: 'ZY20260514001',
  version: 11,
  state: 'closed',
  description: '井盖破损',
  address: '建设路',
  class: null,
  reply: '已更换井盖，感谢您的监督。',
  replied_at: '2026-05-14T09:00:00Z',
  rating: null,
  rated_at: null,
  reopen_count: 0,
  created_at: '2026-05-14T08:00:00Z',
}
const events = [
  { id: 1, action: 'report', actor_id: 5, actor_role: 'citizen', from_state: null, to_state: 'reported', note: null, attachments: [31], data: {}, at: '2026-05-14T08:00:00Z' },
  { id: 2, action: 'feedback', actor_id: 9, actor_role: 'department_handler', from_state: 'handling', to_state: 'pending_check', note: '已更换', attachments: [41, 42], data: {}, at: '2026-05-14T08:30:00Z' },
  { id: 3, action: 'close', actor_id: 3, actor_role: 'shift_supervisor', from_state: 'pending_close', to_state: 'closed', note: '内部备注', attachments: [], data: {}, at: '2026-05-14T08:40:00Z' },
]

describe('CitizenCaseView', () => {
  function serve(c: Record<string, unknown>, actions: string[]) {
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url === '/api/cases/7' && (!init?.method || init.method === 'GET'))
        return json(200, { case: c, events, duplicates: [], available_actions: actions })
      if (url === '/api/cases/7/actions') return json(200, { case: { ...c, rating: 'unsatisfied' }, event: {}, available_actions: [] })
      return json(404, { error: { code: 'not_found', message: 'x' } })
    })
    vi.stubGlobal('fetch', fetch)
    return fetch
  }

  it('shows the answer, the feedback photos and the rating with the one-time reopen explained', async () => {
    serve(baseCase, ['rate'])
    const { w } = await mountAt(CitizenCaseView, '/citizen/cases/7', { id: '7' })
    await flushPromises()
    expect(w.get('[data-testid="citizen-reply"]').text()).toContain('已更换井盖')
    expect(w.get('[data-testid="citizen-feedback-photos"]').findAll('.el-image')).toHaveLength(2)
    expect(w.get('[data-testid="citizen-stages"]').attributes('data-stage')).toBe('done')
    expect(w.get('[data-testid="citizen-rate-explain"]').text()).toContain('重新处理（仅限一次）')
    // Internal notes stay internal; the department's account is shown.
    const timeline = w.get('[data-testid="citizen-timeline"]').text()
    expect(timeline).toContain('已更换')
    expect(timeline).not.toContain('内部备注')
  })

  it('says 不满意 no longer reopens after one re-handling', async () => {
    serve({ ...baseCase, reopen_count: 1 }, ['rate'])
    const { w } = await mountAt(CitizenCaseView, '/citizen/cases/7', { id: '7' })
    await flushPromises()
    expect(w.get('[data-testid="citizen-rate-explain"]').text()).toContain('不再退回重办')
  })

  it('needs a reason for 不满意, then posts the rating with the version', async () => {
    const fetch = serve(baseCase, ['rate'])
    const { w } = await mountAt(CitizenCaseView, '/citizen/cases/7', { id: '7' })
    await flushPromises()
    await w.get('[data-rating="unsatisfied"]').trigger('click')
    await w.get('[data-testid="citizen-rate-submit"]').trigger('click')
    await flushPromises()
    expect(w.text()).toContain('选择“不满意”时请说明原因')
    expect(fetch.mock.calls.some((c) => c[0] === '/api/cases/7/actions')).toBe(false)
    await w.get('textarea[data-testid="citizen-rate-note"]').setValue('井盖还是松的')
    await w.get('[data-testid="citizen-rate-submit"]').trigger('click')
    await flushPromises()
    const call = fetch.mock.calls.find((c) => c[0] === '/api/cases/7/actions') as unknown as [string, RequestInit]
    expect(JSON.parse(call[1].body as string)).toEqual({ action: 'rate', rating: 'unsatisfied', expected_version: 11, note: '井盖还是松的' })
  })

  it('offers no rating before the case is closed or once rated', async () => {
    serve({ ...baseCase, state: 'handling', reply: null }, [])
    const { w } = await mountAt(CitizenCaseView, '/citizen/cases/7', { id: '7' })
    await flushPromises()
    expect(w.find('[data-testid="citizen-rate"]').exists()).toBe(false)
    expect(w.find('[data-testid="citizen-reply"]').exists()).toBe(false)
    expect(w.get('[data-testid="citizen-stages"]').attributes('data-stage')).toBe('handling')
  })
})
