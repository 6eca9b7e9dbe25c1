// The endpoints of the citizen portal 随手拍 and the inspector phone view: sign-in by SMS code,
// class suggestions, the reporter's rating 回访评价, and the case fields they show.
import { ApiError, http } from './http'
import type { Case, CaseEvent, Me, ReportRequest } from './types'

/** `POST /api/auth/otp` → 202. */
export interface OtpSent {
  sent: boolean
  expires_in_seconds: number
  resend_after_seconds: number
}

/** The body of a successful sign-in (the same as `POST /api/auth/login`). */
export interface SignedIn {
  token: string
  expires_at: string
  user: Me
}

/** One class the server suggests for a description. */
export interface Suggestion {
  standard_ref: string
  kind: 'component' | 'matter' | string
  code: string
  name: string
  score: number
}

export type Rating = 'satisfied' | 'basically_satisfied' | 'unsatisfied'

/** The case fields of the reply 答复 and the rating 回访 (absent on an older server). */
export interface CitizenCase extends Case {
  reply?: string | null
  replied_at?: string | null
  rating?: Rating | null
  rated_at?: string | null
  reopen_count?: number
  anonymous?: boolean
}

/** `POST /api/cases` from the portal: the report body plus the anonymous flag. */
export interface CitizenReportRequest extends ReportRequest {
  /** The standard a suggested class belongs to (the server's default: GB/T 47678.5-2026). */
  standard_ref?: string
  anonymous?: boolean
}

/** `POST /api/cases/{id}/actions` with `action: "rate"` (same shape as every other action). */
export interface RateRequest {
  action: 'rate'
  rating: Rating
  expected_version: number
  note?: string
}

export const citizenApi = {
  /** Sends a one-time code by SMS. 422 `invalid_phone`, 429 `rate_limited`. */
  requestOtp: (phone: string) => http.post<OtpSent>('/api/auth/otp', { phone }, { quiet401: true }),
  /** Signs in (a first sign-in creates a citizen account); sets the session cookie. 401 `invalid_code`. */
  verifyOtp: (phone: string, code: string) =>
    http.post<SignedIn>('/api/auth/otp/verify', { phone, code }, { quiet401: true }),
  /**
   * Classes matching a description, best first. An empty list when the server has no suggester
   * yet (404).
   */
  suggest: async (text: string, limit = 5, signal?: AbortSignal): Promise<Suggestion[]> => {
    try {
      const r = await http.get<{ suggestions: Suggestion[] }>('/api/taxonomy/suggest', { text, limit }, { signal })
      return Array.isArray(r?.suggestions) ? r.suggestions : []
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return []
      throw e
    }
  },
  report: (req: CitizenReportRequest) => http.post<{ case: CitizenCase }>('/api/cases', req),
  rate: (id: number, req: RateRequest) =>
    http.post<{ case: CitizenCase; event: CaseEvent; available_actions: string[] }>(`/api/cases/${id}/actions`, req),
}
