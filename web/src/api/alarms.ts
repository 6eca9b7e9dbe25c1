// Alarms (告警) raised by the device rules: list, acknowledge, raise a case from one, clear.
import { ApiError, http } from './http'

export type AlarmState = 'raised' | 'acknowledged' | 'linked' | 'cleared'
/** `open` = every state but cleared. */
export type AlarmStateFilter = AlarmState | 'open'
export type AlarmSourceKind = 'vehicle' | 'monitor' | 'sensor' | 'camera' | 'station' | 'collection_point'
export type AlarmLevel = 'notice' | 'warning' | 'severe'

export const ALARM_STATES: readonly AlarmState[] = ['raised', 'acknowledged', 'linked', 'cleared']
export const ALARM_LEVELS: readonly AlarmLevel[] = ['notice', 'warning', 'severe']
export const ALARM_SOURCE_KINDS: readonly AlarmSourceKind[] = ['vehicle', 'monitor', 'sensor', 'camera', 'station', 'collection_point']

export interface Alarm {
  id: number
  source_kind: string
  /** Plate/terminal phone of a vehicle, MN of a monitor, … */
  source_id: string
  /** The rule that raised it, e.g. `muck.off_route`. */
  rule: string
  state: string
  level: string
  message: string
  lat: number | null
  lon: number | null
  grid_code: string | null
  case_id: number | null
  detail?: Record<string, unknown> | null
  raised_at: string
  updated_at: string
  cleared_at: string | null
  /** Taxonomy class a case from it is filed in. */
  class_code?: string | null
  acknowledged_by?: number | null
  acknowledged_at?: string | null
  cleared_by?: number | null
  /** The note of a manual clear. */
  note?: string | null
  /** Re-raises while open (deduplicated). */
  repeats?: number
}

export interface AlarmPage {
  items: Alarm[]
  total: number
}

export interface AlarmQuery {
  state?: AlarmStateFilter
  source_kind?: string
  /** A rule id, or a family prefix ending in `.` (`muck.`). */
  rule?: string
  limit?: number
  offset?: number
}

export const alarmsApi = {
  list: (q: AlarmQuery = {}) => http.get<AlarmPage>('/api/alarms', { ...q }),
  acknowledge: (id: number) => http.post<{ alarm?: Alarm }>(`/api/alarms/${id}/acknowledge`),
  /** Raises a case from the alarm (转立案). */
  raiseCase: (id: number) => http.post<{ case_id: number; alarm?: Alarm }>(`/api/alarms/${id}/case`),
  /** Dismisses an open alarm; the note (why) is required. */
  clear: (id: number, note: string) => http.post<{ alarm?: Alarm }>(`/api/alarms/${id}/clear`, { note }),
}

/** Whether the server has no such endpoint (yet): shown as an empty state, not an error. */
export function isMissingEndpoint(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 405)
}
