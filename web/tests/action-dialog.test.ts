import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { Case } from '../src/api/types'
import { ApiError } from '../src/api/http'

const act = vi.fn()
vi.mock('../src/api', () => ({
  api: {
    act: (...a: unknown[]) => act(...a),
    inspectors: async () => [
      { id: 8, display_name: '建设路街道监督员', areas: ['410102002'] },
      { id: 9, display_name: '秦岭路街道监督员', areas: ['410102004'] },
    ],
    departments: async () => [],
    taxonomy: async () => [],
    upload: async () => ({ id: 1 }),
  },
  attachmentUrl: (id: number) => `/api/attachments/${id}`,
}))

const { default: ActionDialog } = await import('../src/components/ActionDialog.vue')

const baseCase: Case = {
  id: 42,
  case_no: '2026112400000042',
  version: 3,
  state: 'reported',
  state_label: '待受理',
  source: 'hotline_12319',
  source_label: '12319热线',
  description: '暴露垃圾',
  address: null,
  lat: null,
  lon: null,
  district_code: '410102',
  street_code: '410102002',
  community_code: '410102002001',
  grid_code: '410102002001001',
  class: null,
  urgency: 'normal',
  department_id: null,
  assignee_id: null,
  reporter_id: 3,
  reporter_name: null,
  reporter_phone: null,
  master_case_id: null,
  pending: null,
  supervision_level: 0,
  rework_count: 0,
  dispatch_count: 0,
  self_handled: false,
  verified: null,
  check_passed: null,
  light: 'green',
  node_limit_minutes: 30,
  node_used_minutes: 0,
  deadline_at: null,
  created_at: '2026-11-24T07:00:00+08:00',
  updated_at: '2026-11-24T07:00:00+08:00',
  closed_at: null,
}

/** Labels of the form items marked in error (the messages themselves animate in a real browser). */
function errorLabels(): string[] {
  return Array.from(document.body.querySelectorAll('.el-form-item.is-error .el-form-item__label')).map((l) => l.textContent?.trim() ?? '')
}

function submitButton(): HTMLButtonElement {
  return document.body.querySelector('[data-testid="action-submit"]') as HTMLButtonElement
}

describe('ActionDialog', () => {
  beforeEach(() => {
    act.mockReset()
    document.body.innerHTML = ''
  })
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('does not send a rejection without a note, and says why', async () => {
    const w = mount(ActionDialog, { props: { caseData: baseCase, action: 'reject_report' }, attachTo: document.body })
    await flushPromises()
    submitButton().click()
    await flushPromises()
    expect(act).not.toHaveBeenCalled()
    expect(errorLabels()).toEqual(['说明'])
    w.unmount()
  })

  it('sends the note with the expected version once it is filled in', async () => {
    act.mockResolvedValue({ case: baseCase, event: {}, available_actions: [] })
    const w = mount(ActionDialog, { props: { caseData: baseCase, action: 'reject_report' }, attachTo: document.body })
    await flushPromises()
    const note = document.body.querySelector('textarea') as HTMLTextAreaElement
    note.value = '非城管职责范围'
    note.dispatchEvent(new Event('input'))
    await flushPromises()
    submitButton().click()
    await flushPromises()
    expect(act).toHaveBeenCalledWith(42, { action: 'reject_report', expected_version: 3, note: '非城管职责范围' })
    expect(w.emitted('done')?.[0]).toEqual(['reject_report'])
    w.unmount()
  })

  it('needs an inspector before sending to verify', async () => {
    const w = mount(ActionDialog, { props: { caseData: baseCase, action: 'send_verify' }, attachTo: document.body })
    await flushPromises()
    submitButton().click()
    await flushPromises()
    expect(act).not.toHaveBeenCalled()
    expect(errorLabels()).toEqual(['监督员'])
    w.unmount()
  })

  it('needs a photo for a confirmed verification', async () => {
    const w = mount(ActionDialog, {
      props: { caseData: { ...baseCase, state: 'verifying' }, action: 'verify' },
      attachTo: document.body,
    })
    await flushPromises()
    submitButton().click()
    await flushPromises()
    expect(act).not.toHaveBeenCalled()
    expect(errorLabels()).toEqual(['照片'])
    w.unmount()
  })

  it('reports a version conflict to the parent so it reloads', async () => {
    act.mockRejectedValue(new ApiError(409, 'version_conflict', 'changed'))
    const w = mount(ActionDialog, {
      props: { caseData: { ...baseCase, state: 'pending_close' }, action: 'close' },
      attachTo: document.body,
    })
    await flushPromises()
    submitButton().click()
    await flushPromises()
    expect(act).toHaveBeenCalledWith(42, { action: 'close', expected_version: 3 })
    expect(w.emitted('conflict')).toHaveLength(1)
    expect(w.emitted('done')).toBeUndefined()
    w.unmount()
  })
})
