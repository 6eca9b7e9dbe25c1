// The operator's hotline intake 热线受理: placing an address the caller gives
// (`GET /api/address`) and the open cases the call likely repeats before it is filed
// (`GET /api/duplicates/candidates`).
import { http } from './http'
import type { Case, Geocoded } from './types'

/** `GET /api/address`: one reading of the address. */
export interface AddressMatch {
  kind: 'match'
  lat: number
  lon: number
  precision: 'intersection' | 'road' | 'community' | 'street' | 'district'
  area_code: string | null
  area_name: string | null
  road_id: string | null
  road_name: string | null
  cross_road_id: string | null
  cross_road_name: string | null
  house_number: string | null
  matched: string[]
  notes: string[]
  /** Where it was placed, in Chinese, for people. */
  explain: string
  /** Where the point lies (as `GET /api/geocode`). */
  located: Geocoded | null
}

/** One place an ambiguous address may mean. */
export interface AddressCandidate {
  label: string
  area_code: string | null
  lat: number
  lon: number
}

/** `GET /api/address`: a name that fits several places. */
export interface AddressAmbiguous {
  kind: 'ambiguous'
  name: string
  message: string
  candidates: AddressCandidate[]
}

export type AddressLookup = AddressMatch | AddressAmbiguous

/** The duplicate rule of a class (`GET /api/duplicate-rules` shape). */
export interface DuplicateRule {
  radius_m: number
  window_minutes: number
  auto_link_score: number | null
}

export interface IntakeCandidate {
  case: Case
  score: number
  distance_m: number
  age_minutes: number
  /** Filing the intake would link it to this case automatically. */
  auto_link: boolean
}

export interface IntakeDuplicates {
  candidates: IntakeCandidate[]
  rule: DuplicateRule
  lat: number
  lon: number
}

export interface IntakeQuery {
  class_code: string
  lat?: number
  lon?: number
  address?: string
  description?: string
  source?: string
}

export const intakeApi = {
  /** 404 `not_found` when nothing of the city is recognised. */
  lookupAddress: (q: string, signal?: AbortSignal) => http.get<AddressLookup>('/api/address', { q }, { signal }),
  duplicates: (q: IntakeQuery, signal?: AbortSignal) =>
    http.get<IntakeDuplicates>('/api/duplicates/candidates', { ...q }, { signal }),
}
