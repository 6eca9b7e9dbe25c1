// The API's JSON shapes (see crates/server/src/dto.rs and the route handlers).

export type Light = 'green' | 'yellow' | 'red'
export type Urgency = 'urgent' | 'high' | 'normal'

export interface CodeLabel {
  code: string
  label: string
}

export interface Meta {
  states: (CodeLabel & { terminal: boolean })[]
  sources: CodeLabel[]
  roles: CodeLabel[]
  department_types: CodeLabel[]
  urgencies: CodeLabel[]
  actions: CodeLabel[]
}

export interface Grant {
  role: string
  area: string | null
  department_id: number | null
}

export interface User {
  id: number
  username: string
  display_name: string
  phone: string | null
  active: boolean
}

export interface Me {
  user: User
  grants: Grant[]
}

export interface ClassRef {
  standard_ref: string
  kind: string
  code: string
  name: string
}

export interface Pending {
  kind: 'return' | 'extension' | 'suspension' | 'void'
  requested_by: number
  reason: string
  minutes?: number
}

export interface Case {
  id: number
  case_no: string
  version: number
  state: string
  state_label: string
  source: string
  source_label: string
  description: string
  address: string | null
  lat: number | null
  lon: number | null
  district_code: string | null
  street_code: string | null
  community_code: string | null
  grid_code: string | null
  class: ClassRef | null
  urgency: Urgency
  department_id: number | null
  assignee_id: number | null
  reporter_id: number | null
  reporter_name: string | null
  reporter_phone: string | null
  master_case_id: number | null
  pending: Pending | null
  supervision_level: number
  rework_count: number
  dispatch_count: number
  self_handled: boolean
  verified: boolean | null
  check_passed: boolean | null
  light: Light | null
  node_limit_minutes: number | null
  node_used_minutes: number | null
  deadline_at: string | null
  created_at: string
  updated_at: string
  closed_at: string | null
}

export interface CaseEvent {
  id: number
  action: string
  actor_id: number
  actor_role: string
  from_state: string | null
  to_state: string
  note: string | null
  attachments: number[]
  data: Record<string, unknown>
  at: string
}

export interface CaseDetail {
  case: Case
  events: CaseEvent[]
  duplicates: { id: number; case_no: string }[]
  available_actions: string[]
}

export interface CasePage {
  items: Case[]
  next_cursor: string | null
}

export interface Queues {
  states: Record<string, number>
  pending_requests: Record<'return' | 'extension' | 'suspension' | 'void', number>
  lights: Record<'yellow' | 'red', number>
  my_inspection_tasks: number
}

export interface Summary {
  total: number
  open: number
  closed: number
  overdue: number
  by_state: { state: string; label: string; count: number }[]
}

/** `GET /api/stats/breakdown`: a period's reports by channel and class, and its 结案率. */
export interface Breakdown {
  from: string
  to: string | null
  /** Cases reported (created) in the period. */
  total: number
  by_source: { source: string; label: string; count: number }[]
  /** The top classes, most first. */
  by_class: { code: string; name: string; count: number }[]
  other_classes: number
  unclassified: number
  /** 结案率 = closed / due, due = closed + overdue_open (so ≤ 1); rate null when nothing was due. */
  closure: { closed: number; overdue_open: number; due: number; rate: number | null }
}

export interface Area {
  code: string
  name: string
  parent_code: string | null
}

export interface Department {
  id: number
  code: string
  name: string
  dept_type: string
  areas: string[]
}

export interface Inspector {
  id: number
  display_name: string
  areas: (string | null)[]
}

export interface TimeLimit {
  amount: number
  unit: 'work_minutes' | 'work_hours' | 'work_days'
}

export interface TaxonomyClass {
  standard_ref: string
  kind: 'component' | 'matter'
  major_code: string
  major_name: string
  code: string
  name: string
  department_type: string
  filing_conditions: string[]
  closing_condition: string
  limits: { urgent: TimeLimit; high: TimeLimit; normal: TimeLimit }
  is_local_extension: boolean
}

export interface NodeLimits {
  accept: number
  verify: number
  file: number
  dispatch: number
  sign: number
  send_check: number
  check: number
  close: number
  suspended: number
}

export interface UserWithRoles {
  user: User
  grants: Grant[]
}

export interface ActionRequest {
  action: string
  expected_version?: number
  note?: string
  attachments?: number[]
  department_id?: number
  inspector_id?: number
  confirmed?: boolean
  passed?: boolean
  minutes?: number
  master_case_id?: number
  class_code?: string
  urgency?: string
}

export interface ReportRequest {
  source: string
  description: string
  address?: string
  lat?: number
  lon?: number
  area_code?: string
  class_code?: string
  urgency?: string
  reporter_name?: string
  reporter_phone?: string
  self_handled?: boolean
  attachments?: number[]
  note?: string
}

/** Data of an SSE `case` event. */
export interface CaseChange {
  action: string
  actor_id: number
  case: Case
}

/** Levels of the city model, top down. */
export type AreaLevel = 'district' | 'street' | 'community' | 'grid'

/** `GET /api/city`: sizes of the city model, its version and the districts' extent. */
export interface CitySummary {
  version: number
  counts: { grids: number; areas: number; roads: number; components: number }
  districts: { code: string; name: string; bbox: [number, number, number, number] | null }[]
}

/** A position `[lon, lat]` (GeoJSON order). */
export type Position = [number, number]

export interface AreaFeature {
  type: 'Feature'
  properties: { code: string; name: string; level: AreaLevel; parent?: string }
  geometry: { type: 'MultiPolygon'; coordinates: Position[][][] } | { type: 'Polygon'; coordinates: Position[][] }
}

/** `GET /api/map/areas`: one level's outlines under a parent, simplified for a zoom. */
export interface AreaCollection {
  type: 'FeatureCollection'
  features: AreaFeature[]
}

/** `GET /api/map/density`: the caller's visible cases per area of a level. */
export interface Density {
  level: AreaLevel
  total: number
  max: number
  counts: Record<string, number>
}

export interface AreaRef {
  code: string
  name: string
}

export interface RoadHit {
  id: string
  name: string
  distance_m: number
}

/** `GET /api/geocode`. */
export type Geocoded =
  | {
      kind: 'inside'
      grid: AreaRef
      community: AreaRef | null
      street: AreaRef | null
      district: AreaRef | null
      road: RoadHit | null
      address: string
    }
  | { kind: 'outside'; road?: RoadHit | null }
