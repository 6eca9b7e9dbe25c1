// Collection routes 收运路线 (`/api/sanitation/routes`) and their daily report
// (`GET /api/sanitation/route-report?day=`), as the server answers them.
import { http } from './http'

export type WasteCategory = 'kitchen' | 'other' | 'recyclable' | 'hazardous'
export const WASTE_CATEGORIES: readonly WasteCategory[] = ['kitchen', 'other', 'recyclable', 'hazardous']

/** When a route runs: every day, the calendar's working days, or ISO weekdays (1 = Monday). */
export type RouteDays = { kind: 'daily' } | { kind: 'working_days' } | { kind: 'weekdays'; days: number[] }

export interface CollectionRoute {
  route_id: string
  name: string
  vehicle_id: number
  plate: string | null
  category: WasteCategory
  /** Collection point ids, in route order. */
  points: string[]
  days: RouteDays
  /** `HH:MM`, `00:01`–`24:00`. */
  finish_by: string
  any_truck: boolean
  created_at: string
  updated_at: string
}

export interface RouteInput {
  route_id?: string
  name: string
  vehicle_id: number
  category: WasteCategory
  points: string[]
  days: RouteDays
  finish_by: string
  any_truck: boolean
}

export interface RoutePointDay {
  seq: number
  id: string
  name: string
  visited: boolean
  arrived: string | null
  by: string | null
  by_plate: string | null
  late: boolean
  missed: boolean
}

export interface RouteDay {
  id: string
  name: string
  truck: string
  vehicle_id: number | null
  plate: string | null
  category: WasteCategory
  any_truck: boolean
  runs: boolean
  finish_at: string | null
  planned: number
  visited: number
  missed: number
  finished_at: string | null
  on_time: boolean | null
  points: RoutePointDay[]
}

export interface RouteReport {
  date: string
  computed_at: string
  routes: RouteDay[]
}

/** A collection point as the daily collection report lists it (for the route form). */
export interface PointOption {
  id: string
  name: string
  category: WasteCategory
}

export const routesApi = {
  list: () => http.get<{ items: CollectionRoute[] }>('/api/sanitation/routes'),
  create: (r: RouteInput) => http.post<CollectionRoute>('/api/sanitation/routes', r),
  update: (id: string, r: RouteInput) => http.put<CollectionRoute>(`/api/sanitation/routes/${encodeURIComponent(id)}`, r),
  remove: (id: string) => http.delete<void>(`/api/sanitation/routes/${encodeURIComponent(id)}`),
  report: (day: string) => http.get<RouteReport>('/api/sanitation/route-report', { day }),
  /** The collection points, from the day's collection report. */
  points: async (day: string): Promise<PointOption[]> => {
    const r = await http.get<{ points: PointOption[] }>('/api/garbage/collection', { day })
    return r.points.map((p) => ({ id: p.id, name: p.name, category: p.category }))
  },
}
