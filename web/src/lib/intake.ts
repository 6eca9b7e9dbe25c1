// The hotline intake 热线受理 in the staff report form: placing the caller's address, looking for
// open cases the call repeats before it is filed, and joining the new case to the one the
// operator chose (the `link_duplicate` action, 合并) unless the server already linked it.
import type { ActionRequest, Case } from '../api/types'
import type { AddressLookup, IntakeCandidate, IntakeQuery } from '../api/intake'
import { ApiError } from '../api/http'
import { CALLER_SOURCES, type ReportForm } from './report'

/** What an address search came to, for the form. */
export type AddressOutcome =
  | { kind: 'match'; lat: number; lon: number; explain: string }
  | { kind: 'ambiguous'; name: string; options: { label: string; lat: number; lon: number }[] }
  | { kind: 'not_found'; message?: string }
  | { kind: 'error'; error: unknown }

/** The answer of `GET /api/address` (or its refusal) as what the form shows. */
export function addressOutcome(r: AddressLookup | null, error?: unknown): AddressOutcome {
  if (error !== undefined) {
    // 422 `address_not_found` says why (nothing recognised, roads that do not meet).
    if (error instanceof ApiError && error.code === 'address_not_found') return { kind: 'not_found', message: error.message }
    if (error instanceof ApiError && error.status === 404) return { kind: 'not_found' }
    return { kind: 'error', error }
  }
  if (!r) return { kind: 'not_found' }
  if (r.kind === 'match') return { kind: 'match', lat: r.lat, lon: r.lon, explain: r.explain }
  return {
    kind: 'ambiguous',
    name: r.name,
    options: r.candidates.map((c) => ({ label: c.label, lat: c.lat, lon: c.lon })),
  }
}

/** The address text worth sending: trimmed, 1–200 characters; `null` otherwise. */
export function addressQuery(text: string): string | null {
  const q = text.trim()
  if (!q || [...q].length > 200) return null
  return q
}

/**
 * The duplicate search for the form as it stands, or `null` when it cannot run yet: only for a
 * caller channel (12319, 12345, Weibo, mailbox), once the class and the point are known.
 */
export function duplicateQuery(f: ReportForm): IntakeQuery | null {
  if (!CALLER_SOURCES.has(f.source) || !f.classCode || f.lat == null || f.lon == null) return null
  const q: IntakeQuery = { class_code: f.classCode, lat: f.lat, lon: f.lon, source: f.source }
  const d = f.description.trim()
  if (d) q.description = d.slice(0, 2000)
  return q
}

/** A stable key of a query, so the same search is not sent twice. */
export function queryKey(q: IntakeQuery | null): string {
  if (!q) return ''
  return [q.class_code, q.lat?.toFixed(6), q.lon?.toFixed(6), q.source, q.description ?? ''].join('|')
}

/** Age in the largest whole unit: `{ n, unit }` with unit `minute`, `hour` or `day`. */
export function ageParts(minutes: number): { n: number; unit: 'minute' | 'hour' | 'day' } {
  const m = Math.max(0, Math.floor(minutes))
  if (m < 60) return { n: m, unit: 'minute' }
  if (m < 24 * 60) return { n: Math.floor(m / 60), unit: 'hour' }
  return { n: Math.floor(m / (24 * 60)), unit: 'day' }
}

/** The candidate the server would link the new case to on its own, if any. */
export function autoLinkTarget(list: IntakeCandidate[]): IntakeCandidate | null {
  return list.find((c) => c.auto_link) ?? null
}

/** What to do once the case is filed. */
export type AfterFiling =
  | { kind: 'none' }
  /** The server already linked it (a public channel above the class's confidence). */
  | { kind: 'auto'; masterId: number }
  /** Link it to the case the operator chose. */
  | { kind: 'link'; masterId: number; request: ActionRequest }

/** Decides the merge after filing: the server's own link wins over the operator's choice. */
export function afterFiling(created: Case, chosenMasterId: number | null, note: string): AfterFiling {
  if (created.state === 'merged' && created.master_case_id != null) {
    return { kind: 'auto', masterId: created.master_case_id }
  }
  if (chosenMasterId == null || chosenMasterId === created.id) return { kind: 'none' }
  return {
    kind: 'link',
    masterId: chosenMasterId,
    request: {
      action: 'link_duplicate',
      expected_version: created.version,
      master_case_id: chosenMasterId,
      note,
    },
  }
}
