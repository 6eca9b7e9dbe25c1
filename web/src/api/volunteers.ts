// The endpoints of volunteers 志愿者 and honorary road chiefs 名誉路长: registration, the list,
// the counts per service project and leaving (`/api/volunteers…`).
import { http } from './http'

/** One volunteer as `GET /api/volunteers` lists them. */
export interface Volunteer {
  user_id: number
  username: string
  display_name: string
  /** Masked (`138****0000`) unless the caller may see contacts. */
  phone: string | null
  project: string
  project_label: string
  organisation: string | null
  area_code: string | null
  road_id: string | null
  road_name: string | null
  honorary: boolean
  registered_at: string
  updated_at: string
  left_at: string | null
  /** Reports they made through the volunteer channel, ever. */
  reports: number
}

/** One project's counts in `GET /api/volunteers/summary`. */
export interface ProjectCount {
  project: string
  label: string
  volunteers: number
  honorary: number
  reports: number
  verified: number
  filed: number
  closed: number
}

export interface VolunteerSummary {
  from: string
  to: string
  volunteers: number
  reports: number
  unregistered_reports: number
  projects: ProjectCount[]
}

export interface VolunteerQuery {
  project?: string
  area_code?: string
  road_id?: string
  include_left?: boolean
  limit?: number
}

/** `POST /api/volunteers`. */
export interface RegisterVolunteer {
  project: string
  organisation?: string | null
  area_code?: string | null
  road_id?: string | null
  /** Admins only: whom to register, and 名誉路长. */
  user_id?: number
  honorary?: boolean
}

export const volunteersApi = {
  list: (q: VolunteerQuery = {}) => http.get<{ volunteers: Volunteer[] }>('/api/volunteers', { ...q }),
  /** Counts per project for `from`..`to` (YYYY-MM-DD, inclusive); the current month without them. */
  summary: (from?: string, to?: string) =>
    http.get<VolunteerSummary>('/api/volunteers/summary', from && to ? { from, to } : {}),
  /** 422 `unknown_project`, `unknown_area`, `unknown_road`; 403 for someone else or `honorary`. */
  register: (req: RegisterVolunteer) => http.post<{ volunteer: Volunteer }>('/api/volunteers', req),
  deregister: (userId: number) => http.delete<void>(`/api/volunteers/${userId}`),
}
