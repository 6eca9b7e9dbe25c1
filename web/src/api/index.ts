// The endpoints the UI uses, typed.
import { http, request } from './http'
import type {
  ActionRequest,
  Area,
  AreaCollection,
  AreaLevel,
  Case,
  CaseDetail,
  CaseEvent,
  CasePage,
  CitySummary,
  Density,
  Geocoded,
  Department,
  Inspector,
  Me,
  Meta,
  NodeLimits,
  Queues,
  ReportRequest,
  Summary,
  Breakdown,
  TaxonomyClass,
  UserWithRoles,
} from './types'

export interface CaseListQuery {
  state?: string
  pending?: string
  light?: string
  q?: string
  area?: string
  source?: string
  department?: number
  assigned?: boolean
  mine?: boolean
  supervised?: boolean
  limit?: number
  cursor?: string
}

export const api = {
  meta: () => http.get<Meta>('/api/meta'),
  login: (username: string, password: string) =>
    http.post<{ token: string; expires_at: string; user: Me }>('/api/auth/login', { username, password }, { quiet401: true }),
  logout: () => request<void>('/api/auth/logout', { method: 'POST', quiet401: true }),
  me: (quiet = false) => http.get<Me>('/api/me', undefined, { quiet401: quiet }),
  queues: () => http.get<Queues>('/api/queues'),
  cases: (q: CaseListQuery) => http.get<CasePage>('/api/cases', { ...q }),
  caseDetail: (id: number) => http.get<CaseDetail>(`/api/cases/${id}`),
  act: (id: number, req: ActionRequest) =>
    http.post<{ case: Case; event: CaseEvent; available_actions: string[] }>(`/api/cases/${id}/actions`, req),
  report: (req: ReportRequest) => http.post<{ case: Case }>('/api/cases', req),
  summary: (q: { from?: string; to?: string; area?: string } = {}) => http.get<Summary>('/api/stats/summary', q),
  /** Reports by channel and class and the 结案率 of a period (default today), within the caller's scope. */
  breakdown: (q: { from?: string; to?: string; area?: string; top?: number } = {}, signal?: AbortSignal) =>
    http.get<Breakdown>('/api/stats/breakdown', q, { signal }),
  areas: (parent?: string) => http.get<Area[]>('/api/areas', { parent }),
  area: (code: string) => http.get<Area>(`/api/areas/${code}`),
  departments: () => http.get<Department[]>('/api/departments'),
  inspectors: () => http.get<Inspector[]>('/api/inspectors'),
  taxonomy: (q: { kind?: string; q?: string; major?: string } = {}) => http.get<TaxonomyClass[]>('/api/taxonomy', q),
  users: () => http.get<UserWithRoles[]>('/api/users'),
  nodeLimits: () => http.get<NodeLimits>('/api/config/node-limits'),
  putNodeLimits: (l: NodeLimits) => http.put<NodeLimits>('/api/config/node-limits', l),
  /** The city model's sizes, version and districts. */
  city: () => http.get<CitySummary>('/api/city'),
  /** Outlines of `level` under `parent` ('' = the whole city), simplified for `zoom` (ETag-cached). */
  mapAreas: (q: { parent: string; level: AreaLevel; zoom: number }, signal?: AbortSignal) =>
    http.get<AreaCollection>('/api/map/areas', { parent: q.parent, level: q.level, zoom: q.zoom }, { signal }),
  /** Open (or all) cases the caller may see, per area of `level` under `parent`. */
  density: (q: { parent: string; level: AreaLevel; states?: 'open' | 'all' }, signal?: AbortSignal) =>
    http.get<Density>('/api/map/density', { parent: q.parent, level: q.level, states: q.states ?? 'open' }, { signal }),
  /** Grid, community, street, district, nearest road and address of a WGS-84 point. */
  geocode: (lat: number, lon: number) => http.get<Geocoded>('/api/geocode', { lat, lon }),
  upload: (file: File | Blob, name = 'photo.jpg') => {
    const fd = new FormData()
    fd.append('file', file, (file as File).name || name)
    return http.post<{ id: number; content_type: string; size_bytes: number; sha256: string }>('/api/attachments', fd)
  },
}

export const attachmentUrl = (id: number) => `/api/attachments/${id}`
