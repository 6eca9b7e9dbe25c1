// The citizen portal 随手拍: phone and code checks, the resend countdown, debounced class
// suggestions, the report body, what the reporter sees of a case's progress, and the rating.
import type { CitizenCase, CitizenReportRequest, Rating, RateRequest } from '../api/citizen'
import type { CaseEvent } from '../api/types'

/** A mainland mobile number: 11 digits, 1 then 3–9. */
export const PHONE_RE = /^1[3-9]\d{9}$/
/** The SMS code: 6 digits. */
export const CODE_RE = /^\d{6}$/

/** The number as typed, without spaces or dashes (people paste `138 0000 0000`). */
export function normalisePhone(s: string): string {
  return s.replace(/[\s-]/g, '')
}

export function validPhone(s: string): boolean {
  return PHONE_RE.test(normalisePhone(s))
}

export function validCode(s: string): boolean {
  return CODE_RE.test(s.trim())
}

/** Whole seconds until a code may be sent again (0: now). */
export function resendLeft(sentAtMs: number | null, resendAfterSeconds: number, nowMs: number): number {
  if (sentAtMs == null) return 0
  return Math.max(0, Math.ceil((sentAtMs + resendAfterSeconds * 1000 - nowMs) / 1000))
}

/**
 * A debounced, last-one-wins lookup: `run(text)` waits `delayMs` after the last call, aborts the
 * request still in flight, and hands only the newest answer to `onResult`. Texts shorter than
 * `minLength` (after trimming) clear the result at once without asking.
 */
export function debouncedLookup<T>(
  fetcher: (text: string, signal: AbortSignal) => Promise<T[]>,
  onResult: (items: T[]) => void,
  opts: { delayMs?: number; minLength?: number; onError?: (e: unknown) => void } = {},
): { run(text: string): void; cancel(): void } {
  const delay = opts.delayMs ?? 400
  const min = opts.minLength ?? 4
  let timer: ReturnType<typeof setTimeout> | null = null
  let ctrl: AbortController | null = null
  let seq = 0
  const cancel = () => {
    if (timer) clearTimeout(timer)
    timer = null
    ctrl?.abort()
    ctrl = null
    seq++
  }
  const run = (text: string) => {
    cancel()
    const q = text.trim()
    if (q.length < min) {
      onResult([])
      return
    }
    const my = seq
    timer = setTimeout(async () => {
      timer = null
      const c = new AbortController()
      ctrl = c
      try {
        const items = await fetcher(q, c.signal)
        if (my === seq) onResult(items)
      } catch (e) {
        if (my === seq && (e as Error)?.name !== 'AbortError') opts.onError?.(e)
      } finally {
        if (ctrl === c) ctrl = null
      }
    }, delay)
  }
  return { run, cancel }
}

export interface CitizenReportForm {
  description: string
  lat: number | null
  lon: number | null
  address: string
  attachments: number[]
  /** The class chosen from the suggestions. */
  classCode: string | null
  standardRef: string | null
  anonymous: boolean
}

export function emptyCitizenReport(): CitizenReportForm {
  return { description: '', lat: null, lon: null, address: '', attachments: [], classCode: null, standardRef: null, anonymous: false }
}

/** Message keys of what is missing. */
export function validateCitizenReport(f: CitizenReportForm): string[] {
  const out: string[] = []
  if (!f.description.trim()) out.push('citizen.required.description')
  if (f.lat == null || f.lon == null) out.push('citizen.required.point')
  return out
}

export function toCitizenReportRequest(f: CitizenReportForm): CitizenReportRequest {
  const r: CitizenReportRequest = { source: 'citizen_app', description: f.description.trim() }
  // Sent only when set: a server without the field refuses unknown fields.
  if (f.anonymous) r.anonymous = true
  if (f.lat != null && f.lon != null) {
    r.lat = f.lat
    r.lon = f.lon
  }
  if (f.address.trim()) r.address = f.address.trim()
  if (f.attachments.length) r.attachments = [...f.attachments]
  if (f.classCode) {
    r.class_code = f.classCode
    if (f.standardRef) r.standard_ref = f.standardRef
  }
  return r
}

/** The reporter's view of progress: four stages, however many steps the city took inside. */
export type Stage = 'received' | 'accepted' | 'handling' | 'done'
export const STAGES: readonly Stage[] = ['received', 'accepted', 'handling', 'done']

const STAGE_OF: Record<string, Stage> = {
  reported: 'received',
  verifying: 'accepted',
  pending_filing: 'accepted',
  pending_dispatch: 'accepted',
  dispatched: 'handling',
  handling: 'handling',
  suspended: 'handling',
  pending_check: 'handling',
  checking: 'handling',
  pending_close: 'handling',
  closed: 'done',
  rejected: 'done',
  voided: 'done',
  merged: 'done',
}

/** The index in [`STAGES`] of a case state. */
export function stageIndex(state: string): number {
  return STAGES.indexOf(STAGE_OF[state] ?? 'received')
}

/** Whether the case ended without being handled (not accepted, voided). */
export function endedUnhandled(state: string): boolean {
  return state === 'rejected' || state === 'voided'
}

/** The photos the department sent back when it finished (处置反馈), newest round last. */
export function feedbackPhotos(events: CaseEvent[]): number[] {
  return events.filter((e) => e.action === 'feedback').flatMap((e) => e.attachments)
}

/** The reporter's own photos (the report). */
export function reportPhotos(events: CaseEvent[]): number[] {
  return events.filter((e) => e.action === 'report' || e.action === 'report_self_handled').flatMap((e) => e.attachments)
}

/**
 * Whether the reporter may rate now: the case is closed, not rated since it was closed, and the
 * server offers `rate` (it checks who reported it).
 */
export function canRate(c: Pick<CitizenCase, 'state' | 'rating'>, available: string[]): boolean {
  return c.state === 'closed' && !c.rating && available.includes('rate')
}

/** 不满意 sends the case back for re-handling only the first time (回访不满意回退重办, once). */
export function unsatisfiedReopens(c: Pick<CitizenCase, 'reopen_count'>): boolean {
  return (c.reopen_count ?? 0) === 0
}

export const RATINGS: readonly Rating[] = ['satisfied', 'basically_satisfied', 'unsatisfied']

/** Message keys of what is missing in a rating (不满意 needs a reason). */
export function validateRating(rating: Rating | null, note: string): string[] {
  if (!rating) return ['citizen.rate.required']
  if (rating === 'unsatisfied' && !note.trim()) return ['citizen.rate.noteRequired']
  return []
}

/** The body of `POST /api/cases/{id}/actions` for a rating (the same shape as every action). */
export function toRateRequest(rating: Rating, version: number, note: string): RateRequest {
  const r: RateRequest = { action: 'rate', rating, expected_version: version }
  if (note.trim()) r.note = note.trim()
  return r
}
