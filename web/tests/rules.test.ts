import { describe, expect, it } from 'vitest'
import type { Case, Me } from '../src/api/types'
import { messages } from '../src/i18n/messages'
import { actionLabel, label, setLocale, setMeta, stateLabel } from '../src/i18n'
import { landsFor, queuesFor } from '../src/lib/queues'
import { emptyReport, sourcesFor, toReportRequest, validateReport } from '../src/lib/report'
import { formatMinutes, formatTime } from '../src/lib/format'

const me = (id: number, ...grants: Me['grants']): Me => ({
  user: { id, username: 'u', display_name: 'U', phone: null, active: true },
  grants,
})
const g = (role: string, department_id: number | null = null) => ({ role, area: null, department_id })
const kase = (over: Partial<Case>): Case => ({ id: 1, state: 'reported', assignee_id: null, department_id: null, pending: null, ...over }) as Case

describe('queues', () => {
  it('gives each role its queues, without repeats', () => {
    expect(queuesFor(['operator']).map((q) => q.key)).toEqual(['reported', 'verifying', 'pending_check', 'checking'])
    expect(queuesFor(['dispatcher']).map((q) => q.key)).toEqual([
      'pending_dispatch',
      'pending_return',
      'pending_extension',
      'pending_suspension',
      'suspended',
    ])
    expect(queuesFor(['inspector']).map((q) => q.key)).toEqual(['my_tasks', 'mine'])
    const both = queuesFor(['operator', 'leader']).map((q) => q.key)
    expect(new Set(both).size).toBe(both.length)
  })

  it('tells the inspector of a task assigned to them, not of others', () => {
    const insp = me(8, g('inspector'))
    expect(landsFor(insp, kase({ state: 'verifying', assignee_id: 8 }), 3)).toBe('personal')
    expect(landsFor(insp, kase({ state: 'verifying', assignee_id: 9 }), 3)).toBeNull()
    expect(landsFor(insp, kase({ state: 'verifying', assignee_id: 8 }), 8)).toBeNull()
  })

  it('tells a department of a case dispatched to it', () => {
    const dept = me(15, g('department_handler', 1))
    expect(landsFor(dept, kase({ state: 'dispatched', department_id: 1 }), 5)).toBe('personal')
    expect(landsFor(dept, kase({ state: 'dispatched', department_id: 2 }), 5)).toBeNull()
  })

  it('tells centre roles when a case enters their queue', () => {
    expect(landsFor(me(4, g('shift_supervisor')), kase({ state: 'pending_filing' }), 8)).toBe('queue')
    expect(landsFor(me(5, g('dispatcher')), kase({ state: 'handling', pending: { kind: 'extension', requested_by: 15, reason: 'x' } }), 15)).toBe('queue')
    expect(landsFor(me(5, g('dispatcher')), kase({ state: 'handling' }), 15)).toBeNull()
  })
})

describe('report form', () => {
  it('offers the channels of the roles held', () => {
    expect(sourcesFor(['inspector'])).toEqual(['inspector'])
    expect(sourcesFor(['citizen'])).toEqual(['citizen_app', 'open311'])
    expect(sourcesFor(['operator'])[0]).toBe('hotline_12319')
    expect(sourcesFor(['road_chief'])).toEqual([])
  })

  it('checks the required fields and the point', () => {
    const f = emptyReport('hotline_12319')
    expect(validateReport(f).sort()).toEqual(['report.required.area', 'report.required.description'])
    f.description = '井盖缺失'
    f.areaCode = '410102002001001'
    f.lat = 34.75
    expect(validateReport(f)).toEqual(['report.pointBoth'])
    f.lon = 113.6
    expect(validateReport(f)).toEqual([])
  })

  it('a point on the map stands in for the area (the server locates it)', () => {
    const f = { ...emptyReport('citizen_app'), description: '路灯不亮' }
    expect(validateReport(f)).toEqual(['report.required.area'])
    f.lat = 34.75
    // Half a point is neither a point nor an area.
    expect(validateReport(f).sort()).toEqual(['report.pointBoth', 'report.required.area'])
    f.lon = 113.62
    expect(validateReport(f)).toEqual([])
    const r = toReportRequest(f)
    expect(r).toEqual({ source: 'citizen_app', description: '路灯不亮', urgency: 'normal', lat: 34.75, lon: 113.62 })
    expect('area_code' in r).toBe(false)
  })

  it('a self-handled inspector report needs a photo', () => {
    const f = { ...emptyReport('inspector'), description: 'x', areaCode: '410102', selfHandled: true }
    expect(validateReport(f)).toEqual(['report.required.photo'])
    f.attachments = [3]
    expect(validateReport(f)).toEqual([])
    expect(toReportRequest(f)).toMatchObject({ source: 'inspector', self_handled: true, attachments: [3] })
  })

  it('sends the caller only for hotline-type channels', () => {
    const f = { ...emptyReport('hotline_12319'), description: ' 路灯不亮 ', areaCode: '410102', callerName: '王先生', callerPhone: '13800138000' }
    expect(toReportRequest(f)).toEqual({
      source: 'hotline_12319',
      description: '路灯不亮',
      urgency: 'normal',
      area_code: '410102',
      reporter_name: '王先生',
      reporter_phone: '13800138000',
    })
    expect(toReportRequest({ ...f, source: 'citizen_app' })).not.toHaveProperty('reporter_name')
  })
})

describe('i18n', () => {
  it('has every key in both languages', () => {
    const zh = Object.keys(messages['zh-CN']).sort()
    const en = Object.keys(messages.en).sort()
    expect(en).toEqual(zh)
  })

  it('takes Chinese labels from /api/meta and English from its own table', () => {
    setMeta({
      states: [{ code: 'pending_filing', label: '待立案', terminal: false }],
      sources: [],
      roles: [],
      department_types: [],
      urgencies: [],
      actions: [{ code: 'file', label: '立案' }],
    })
    expect(stateLabel('pending_filing')).toBe('待立案')
    expect(actionLabel('file')).toBe('立案')
    expect(actionLabel('report')).toBe('上报')
    expect(label('state', 'no_such')).toBe('no_such')
    setLocale('en')
    expect(stateLabel('pending_filing')).toBe('To file')
    expect(actionLabel('file')).toBe('File')
    setLocale('zh-CN')
  })
})

describe('format', () => {
  it('shows working durations', () => {
    expect(formatMinutes(45)).toBe('45分钟')
    expect(formatMinutes(125)).toBe('2小时5分')
    expect(formatMinutes(420 * 3 + 60)).toBe('3天1小时')
  })

  it('shows times in Asia/Shanghai', () => {
    expect(formatTime('2026-11-24T01:30:00Z')).toBe('2026-11-24 09:30')
    expect(formatTime(null)).toBe('')
  })
})
