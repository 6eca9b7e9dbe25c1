// What each action of the loop asks for, and the checks made before sending it.
// Mirrors `Command::needs_note` / `needs_photo` and the command fields in
// crates/domain/src/workflow.rs and crates/server/src/routes/cases.rs.
import type { ActionRequest, Case } from '../api/types'

export type Field =
  | 'inspector'
  | 'department'
  | 'class'
  | 'urgency'
  | 'minutes'
  | 'confirmed'
  | 'passed'
  | 'master'
  | 'note'
  | 'photos'

export interface ActionSpec {
  /** Inputs shown in the form. */
  fields: Field[]
  /** A note is required. */
  noteRequired: boolean
  /** A photo is required (for `verify` only when confirmed). */
  photoRequired: boolean | ((f: ActionForm) => boolean)
  /** Shown as a red (danger) button. */
  danger?: boolean
  /** The main forward step of the loop (a primary button). */
  primary?: boolean
}

const NOTE_REQUIRED = new Set([
  'reject_report',
  'reject',
  'return_to_intake',
  'request_return',
  'deny_return',
  'feedback',
  'request_extension',
  'deny_extension',
  'request_suspension',
  'deny_suspension',
  'rework',
  'supervise',
  'request_void',
  'deny_void',
])

const FIELDS: Record<string, Field[]> = {
  send_verify: ['inspector', 'note'],
  send_check: ['inspector', 'note'],
  verify: ['confirmed', 'photos', 'note'],
  check: ['passed', 'photos', 'note'],
  file: ['class', 'urgency', 'note'],
  dispatch: ['department', 'note'],
  feedback: ['note', 'photos'],
  request_extension: ['minutes', 'note'],
  link_duplicate: ['master', 'note'],
}

const PRIMARY = new Set([
  'send_verify',
  'accept',
  'verify',
  'file',
  'dispatch',
  'accept_task',
  'feedback',
  'send_check',
  'check',
  'close',
  'approve_return',
  'approve_extension',
  'approve_suspension',
  'approve_void',
  'resume',
])
const DANGER = new Set(['reject_report', 'reject', 'request_void', 'approve_void', 'rework'])

export function actionSpec(action: string): ActionSpec {
  const fields = FIELDS[action] ?? ['note']
  let photoRequired: ActionSpec['photoRequired'] = false
  if (action === 'feedback' || action === 'check') photoRequired = true
  if (action === 'verify') photoRequired = (f) => f.confirmed === true
  return {
    fields: fields.includes('note') ? fields : [...fields, 'note'],
    noteRequired: NOTE_REQUIRED.has(action),
    photoRequired,
    danger: DANGER.has(action),
    primary: PRIMARY.has(action),
  }
}

export interface ActionForm {
  inspectorId: number | null
  departmentId: number | null
  classCode: string | null
  urgency: string
  minutes: number | null
  confirmed: boolean
  passed: boolean
  masterCaseId: number | null
  note: string
  attachments: number[]
}

export function emptyForm(c?: Pick<Case, 'urgency' | 'class'>): ActionForm {
  return {
    inspectorId: null,
    departmentId: null,
    classCode: c?.class?.code ?? null,
    urgency: c?.urgency ?? 'normal',
    minutes: 420,
    confirmed: true,
    passed: true,
    masterCaseId: null,
    note: '',
    attachments: [],
  }
}

export function photoRequired(action: string, f: ActionForm): boolean {
  const p = actionSpec(action).photoRequired
  return typeof p === 'function' ? p(f) : p
}

/** Message keys (`form.required.*`) of what is missing; empty when the form may be sent. */
export function validate(action: string, f: ActionForm, c?: Pick<Case, 'class'>): string[] {
  const spec = actionSpec(action)
  const missing: string[] = []
  const has = (x: Field) => spec.fields.includes(x)
  if (has('inspector') && f.inspectorId == null) missing.push('form.required.inspector')
  if (has('department') && f.departmentId == null) missing.push('form.required.department')
  if (has('class') && !f.classCode && !c?.class) missing.push('form.required.class')
  if (has('minutes') && (f.minutes == null || !Number.isInteger(f.minutes) || f.minutes < 1 || f.minutes > 25200))
    missing.push('form.required.minutes')
  if (has('master') && (f.masterCaseId == null || f.masterCaseId <= 0)) missing.push('form.required.master')
  if (spec.noteRequired && !f.note.trim()) missing.push('form.required.note')
  if (photoRequired(action, f) && f.attachments.length === 0) missing.push('form.required.photos')
  return missing
}

/** The request body for `POST /api/cases/{id}/actions`. */
export function toRequest(action: string, f: ActionForm, version: number): ActionRequest {
  const spec = actionSpec(action)
  const has = (x: Field) => spec.fields.includes(x)
  const req: ActionRequest = { action, expected_version: version }
  const note = f.note.trim()
  if (note) req.note = note
  if (f.attachments.length && (has('photos') || photoRequired(action, f))) req.attachments = [...f.attachments]
  if (has('inspector') && f.inspectorId != null) req.inspector_id = f.inspectorId
  if (has('department') && f.departmentId != null) req.department_id = f.departmentId
  if (has('class') && f.classCode) req.class_code = f.classCode
  if (has('urgency') && f.urgency) req.urgency = f.urgency
  if (has('minutes') && f.minutes != null) req.minutes = f.minutes
  if (has('confirmed')) req.confirmed = f.confirmed
  if (has('passed')) req.passed = f.passed
  if (has('master') && f.masterCaseId != null) req.master_case_id = f.masterCaseId
  return req
}

/** Actions that need no input at all may be sent after a simple confirmation. */
export function needsNoInput(action: string): boolean {
  const spec = actionSpec(action)
  return spec.fields.length === 1 && !spec.noteRequired
}
