import { describe, expect, it } from 'vitest'
import { actionSpec, emptyForm, needsNoInput, toRequest, validate } from '../src/lib/actions'

const noClass = { class: null }
const withClass = { class: { standard_ref: 'GB', kind: 'matter', code: '06010', name: '暴露垃圾' } }

describe('validate', () => {
  it.each([
    'reject_report',
    'reject',
    'return_to_intake',
    'request_return',
    'deny_return',
    'rework',
    'supervise',
    'request_void',
    'deny_void',
    'request_suspension',
    'deny_suspension',
    'deny_extension',
  ])('%s needs a note', (action) => {
    const f = emptyForm()
    expect(validate(action, f, withClass)).toContain('form.required.note')
    f.note = '   '
    expect(validate(action, f, withClass)).toContain('form.required.note')
    f.note = '不属于城管职责'
    expect(validate(action, f, withClass)).not.toContain('form.required.note')
  })

  it('a confirmed verification needs a photo; an unconfirmed one does not', () => {
    const f = emptyForm()
    f.confirmed = true
    expect(validate('verify', f)).toEqual(['form.required.photos'])
    f.confirmed = false
    expect(validate('verify', f)).toEqual([])
    f.confirmed = true
    f.attachments = [5]
    expect(validate('verify', f)).toEqual([])
  })

  it('feedback needs a note and a photo; check needs a photo', () => {
    const f = emptyForm()
    expect(validate('feedback', f).sort()).toEqual(['form.required.note', 'form.required.photos'])
    expect(validate('check', f)).toEqual(['form.required.photos'])
    f.passed = false
    expect(validate('check', f)).toEqual(['form.required.photos'])
  })

  it('send_verify and send_check need an inspector, dispatch a department', () => {
    const f = emptyForm()
    expect(validate('send_verify', f)).toEqual(['form.required.inspector'])
    expect(validate('send_check', f)).toEqual(['form.required.inspector'])
    expect(validate('dispatch', f)).toEqual(['form.required.department'])
    f.inspectorId = 9
    f.departmentId = 3
    expect(validate('send_verify', f)).toEqual([])
    expect(validate('dispatch', f)).toEqual([])
  })

  it('filing needs a class unless the case has one', () => {
    expect(validate('file', emptyForm(), noClass)).toEqual(['form.required.class'])
    expect(validate('file', emptyForm(), withClass)).toEqual([])
    const f = emptyForm()
    f.classCode = '06010'
    expect(validate('file', f, noClass)).toEqual([])
  })

  it('an extension needs whole minutes in range and a reason', () => {
    const f = emptyForm()
    f.note = '材料未到'
    f.minutes = 0
    expect(validate('request_extension', f)).toEqual(['form.required.minutes'])
    f.minutes = 25201
    expect(validate('request_extension', f)).toEqual(['form.required.minutes'])
    f.minutes = 420
    expect(validate('request_extension', f)).toEqual([])
  })

  it('actions without inputs pass as they are', () => {
    for (const a of ['accept', 'accept_task', 'close', 'approve_return', 'approve_void', 'resume']) {
      expect(validate(a, emptyForm())).toEqual([])
      expect(needsNoInput(a)).toBe(true)
    }
    expect(needsNoInput('dispatch')).toBe(false)
  })
})

describe('toRequest', () => {
  it('sends the version and only the fields of the action', () => {
    const f = emptyForm(withClass as never)
    f.inspectorId = 4
    f.departmentId = 8
    f.note = '  请核实  '
    f.attachments = [1]
    expect(toRequest('send_verify', f, 3)).toEqual({ action: 'send_verify', expected_version: 3, inspector_id: 4, note: '请核实' })
    expect(toRequest('dispatch', f, 5)).toEqual({ action: 'dispatch', expected_version: 5, department_id: 8, note: '请核实' })
  })

  it('carries switches, photos and the class', () => {
    const f = emptyForm()
    f.attachments = [11, 12]
    expect(toRequest('verify', f, 2)).toEqual({ action: 'verify', expected_version: 2, confirmed: true, attachments: [11, 12] })
    f.passed = false
    expect(toRequest('check', f, 9)).toMatchObject({ passed: false, attachments: [11, 12] })
    f.classCode = '06010'
    f.urgency = 'urgent'
    expect(toRequest('file', f, 4)).toEqual({ action: 'file', expected_version: 4, class_code: '06010', urgency: 'urgent' })
  })

  it('marks dangerous and primary actions', () => {
    expect(actionSpec('reject').danger).toBe(true)
    expect(actionSpec('dispatch').primary).toBe(true)
    expect(actionSpec('supervise').primary).toBe(false)
  })
})
