// The alarm table against a stubbed API: what it shows, which actions each role gets, the
// requests each action sends, live updates, and the empty state while the API is missing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { Alarm } from '../src/api/alarms'

const push = vi.fn()
vi.mock('vue-router', async (orig) => ({ ...(await orig<typeof import('vue-router')>()), useRouter: () => ({ push }) }))

const { default: AlarmTable } = await import('../src/components/alarms/AlarmTable.vue')
const { me } = await import('../src/lib/session')
const { deliverAlarm } = await import('../src/lib/alarmstream')
const { setLocale } = await import('../src/i18n')

function alarm(id: number, extra: Partial<Alarm> = {}): Alarm {
  return {
    id,
    source_kind: 'vehicle',
    source_id: '13800001111',
    rule: 'muck.off_route',
    state: 'raised',
    level: 'warning',
    message: `豫A12345 偏离核准路线 ${id}00 m`,
    lat: 34.75,
    lon: 113.6,
    grid_code: '410102001001001',
    case_id: null,
    detail: {},
    raised_at: `2026-11-24T10:0${id}:00+08:00`,
    updated_at: `2026-11-24T10:0${id}:00+08:00`,
    cleared_at: null,
    ...extra,
  }
}

interface Call {
  method: string
  path: string
  query: Record<string, string>
  body: unknown
}
let calls: Call[] = []
let listStatus = 200
let rows: Alarm[] = []

const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })

beforeEach(() => {
  calls = []
  push.mockReset()
  listStatus = 200
  rows = [alarm(2, { level: 'severe' }), alarm(1, { state: 'acknowledged', level: 'notice' })]
  me.value = { user: { id: 5, username: 'op', display_name: '受理员', phone: null, active: true }, grants: [{ role: 'operator', area: null, department_id: null }] }
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://ui.test')
      const body = init?.body ? JSON.parse(String(init.body)) : undefined
      calls.push({ method: init?.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body })
      if (url.pathname === '/api/alarms') {
        if (listStatus !== 200) return json({ error: { code: 'not_found', message: 'no route' } }, listStatus)
        const kind = url.searchParams.get('source_kind')
        const items = rows.filter((a) => !kind || a.source_kind === kind)
        return json({ items, total: items.length })
      }
      const m = url.pathname.match(/^\/api\/alarms\/(\d+)\/(acknowledge|case|clear)$/)
      if (m) {
        const id = Number(m[1])
        const a = rows.find((x) => x.id === id) as Alarm
        // As the server answers: the alarm as it is now (and the case raised).
        if (m[2] === 'acknowledge') return json({ alarm: { ...a, state: 'acknowledged', updated_at: '2026-11-24T11:00:00+08:00' } })
        if (m[2] === 'case') return json({ case_id: 77, alarm: { ...a, state: 'linked', case_id: 77, updated_at: '2026-11-24T11:00:00+08:00' } }, 201)
        return json({ alarm: { ...a, state: 'cleared', cleared_at: '2026-11-24T11:00:00+08:00', updated_at: '2026-11-24T11:00:00+08:00' } })
      }
      return json({ error: { code: 'not_found', message: 'nothing' } }, 404)
    }),
  )
})

afterEach(() => {
  vi.unstubAllGlobals()
  me.value = null
  document.body.innerHTML = ''
})

const posts = () => calls.filter((c) => c.method === 'POST').map((c) => [c.path, c.body])

describe('AlarmTable', { timeout: 30_000 }, () => {
  it('lists the open alarms of its source kind with level, state, time and message', async () => {
    const w = mount(AlarmTable, { props: { kinds: ['vehicle'] }, attachTo: document.body })
    await flushPromises()
    expect(calls[0]).toMatchObject({ method: 'GET', path: '/api/alarms', query: { state: 'open', source_kind: 'vehicle', limit: '50' } })
    expect(w.attributes('data-total')).toBe('2')
    const r2 = w.get('[data-testid="alarm-2"]')
    expect(r2.text()).toContain('严重')
    expect(r2.text()).toContain('新告警')
    expect(r2.text()).toContain('2026-11-24 10:02')
    expect(r2.text()).toContain('车辆')
    expect(r2.text()).toContain('豫A12345 偏离核准路线 200 m')
    const r1 = w.get('[data-testid="alarm-1"]')
    expect(r1.text()).toContain('提示')
    expect(r1.text()).toContain('已确认')
    // Newest first.
    expect(w.findAll('tbody tr').map((r) => r.attributes('data-testid'))).toEqual(['alarm-2', 'alarm-1'])
  })

  it('speaks English after the switch', async () => {
    setLocale('en')
    const w = mount(AlarmTable, { props: { kinds: ['vehicle'] } })
    await flushPromises()
    expect(w.get('[data-testid="alarm-2"]').text()).toContain('Severe')
    expect(w.get('[data-testid="alarm-1"]').text()).toContain('Acknowledged')
    setLocale('zh-CN')
  })

  it('asks once per kind when it shows several kinds, and merges them newest first', async () => {
    rows = [alarm(1, { source_kind: 'monitor', source_id: 'FUME0001' }), alarm(3, { source_kind: 'camera' }), alarm(2, { source_kind: 'vehicle' })]
    const w = mount(AlarmTable, { props: { kinds: ['monitor', 'camera'] } })
    await flushPromises()
    expect(calls.map((c) => c.query.source_kind)).toEqual(['monitor', 'camera'])
    expect(w.findAll('tbody tr').map((r) => r.attributes('data-testid'))).toEqual(['alarm-3', 'alarm-1'])
    expect(w.attributes('data-total')).toBe('2')
  })

  it('acknowledges and raises a case with the right requests, and shows the result', async () => {
    const w = mount(AlarmTable, { props: { kinds: ['vehicle'] }, attachTo: document.body })
    await flushPromises()
    await w.get('[data-testid="alarm-acknowledge-2"]').trigger('click')
    await flushPromises()
    expect(posts()).toEqual([['/api/alarms/2/acknowledge', {}]])
    expect(w.get('[data-testid="alarm-2"]').attributes('data-state')).toBe('acknowledged')
    expect(w.find('[data-testid="alarm-acknowledge-2"]').exists()).toBe(false)

    await w.get('[data-testid="alarm-case-1"]').trigger('click')
    await flushPromises()
    expect(posts().at(-1)).toEqual(['/api/alarms/1/case', {}])
    expect(w.get('[data-testid="alarm-1"]').attributes('data-state')).toBe('linked')
    expect(w.find('[data-testid="alarm-case-1"]').exists()).toBe(false)
    // The case it raised is linked from the row.
    await w.get('[data-testid="alarm-caselink-1"]').trigger('click')
    expect(push).toHaveBeenCalledWith('/cases/77')
  })

  it('clears only with a note, then drops the alarm from the open list', async () => {
    const w = mount(AlarmTable, { props: { kinds: ['vehicle'] }, attachTo: document.body })
    await flushPromises()
    await w.get('[data-testid="alarm-clear-2"]').trigger('click')
    await flushPromises()
    const confirm = document.querySelector('[data-testid="alarm-clear-confirm"]') as HTMLButtonElement
    confirm.click()
    await flushPromises()
    expect(posts()).toEqual([])
    expect(document.querySelector('[data-testid="alarm-note-error"]')?.textContent).toContain('请填写解除说明')

    const box = document.querySelector('[data-testid="alarm-clear-note"]') as HTMLElement
    const note = (box.tagName === 'TEXTAREA' ? box : box.querySelector('textarea')) as HTMLTextAreaElement
    note.value = '  现场核实为误报  '
    note.dispatchEvent(new Event('input'))
    await flushPromises()
    confirm.click()
    await flushPromises()
    expect(posts()).toEqual([['/api/alarms/2/clear', { note: '现场核实为误报' }]])
    expect(w.find('[data-testid="alarm-2"]').exists()).toBe(false)
    expect(w.attributes('data-total')).toBe('1')
  })

  it('offers a leader no actions, and a dispatcher all three', async () => {
    me.value = { ...me.value!, grants: [{ role: 'leader', area: null, department_id: null }] }
    const w = mount(AlarmTable, { props: { kinds: ['vehicle'] } })
    await flushPromises()
    expect(w.findAll('button').filter((b) => b.attributes('data-testid')?.startsWith('alarm-'))).toHaveLength(0)
    expect(w.text()).not.toContain('操作')

    me.value = { ...me.value!, grants: [{ role: 'dispatcher', area: null, department_id: null }] }
    await flushPromises()
    expect(w.find('[data-testid="alarm-acknowledge-2"]').exists()).toBe(true)
    expect(w.find('[data-testid="alarm-case-2"]').exists()).toBe(true)
    expect(w.find('[data-testid="alarm-clear-2"]').exists()).toBe(true)
  })

  it('asks for a rule family when given one', async () => {
    mount(AlarmTable, { props: { kinds: ['vehicle'], rule: 'muck.' } })
    await flushPromises()
    expect(calls[0]?.query).toMatchObject({ source_kind: 'vehicle', rule: 'muck.' })
  })

  it('follows live alarm events of its kind', async () => {
    const w = mount(AlarmTable, { props: { kinds: ['vehicle'] } })
    await flushPromises()
    deliverAlarm(alarm(3, { message: '豫A12345 超速 72 km/h', level: 'severe' }))
    deliverAlarm(alarm(4, { source_kind: 'monitor' }))
    await flushPromises()
    expect(w.findAll('tbody tr').map((r) => r.attributes('data-testid'))).toEqual(['alarm-3', 'alarm-2', 'alarm-1'])
    expect(w.attributes('data-total')).toBe('3')
    deliverAlarm(alarm(2, { state: 'cleared', updated_at: '2026-11-24T12:00:00+08:00' }))
    await flushPromises()
    expect(w.find('[data-testid="alarm-2"]').exists()).toBe(false)
    expect(w.attributes('data-total')).toBe('2')
  })

  it('shows an empty state, not an error, while the server has no alarm API', async () => {
    listStatus = 404
    const w = mount(AlarmTable, { props: { kinds: ['vehicle'] } })
    await flushPromises()
    expect(w.attributes('data-status')).toBe('unavailable')
    expect(w.get('[data-testid="alarm-unavailable"]').text()).toBe('告警服务暂不可用')
  })

  it('asks again with the state picked', async () => {
    const w = mount(AlarmTable, { props: { kinds: ['vehicle'] } })
    await flushPromises()
    const cleared = w.findAll('[data-testid="alarm-state"] input').find((i) => (i.element as HTMLInputElement).value === 'cleared')
    await cleared!.setValue(true)
    await flushPromises()
    expect(calls.at(-1)?.query).toMatchObject({ state: 'cleared', source_kind: 'vehicle' })
  })
})
