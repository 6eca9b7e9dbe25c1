// 机械化清扫率 — the daily sweeping coverage report (`GET /api/sweeping/coverage?day=`), as
// supervision::sweeping::DailyCoverage serialises it.
import { http } from './http'

export interface RoadCoverage {
  road: number
  id: string
  name: string
  /** `expressway`, `arterial`, `secondary`, `branch`. */
  class: string
  length_m: number
  required_passes: number
  /** `covered_m[k − 1]`: length swept at least k times. */
  covered_m: number[]
  required_m: number
  swept_m: number
  /** 0..=1; null when nothing is required. */
  rate: number | null
}

export interface AreaCoverage {
  code: string
  name: string
  level: string
  required_m: number
  swept_m: number
  rate: number | null
}

export interface VehicleWork {
  /** Terminal phone. */
  phone: string
  in_band_m: number
  too_fast_m: number
  too_slow_m: number
  /** Share of working distance inside the speed band (0..=1). */
  compliance: number | null
}

export interface DailyCoverage {
  date: string
  roads: RoadCoverage[]
  areas: AreaCoverage[]
  total: { roads: number; length_m: number; required_m: number; swept_m: number; rate: number | null }
  vehicles: VehicleWork[]
}

export const sweepingApi = {
  coverage: (date: string) => http.get<DailyCoverage>('/api/sweeping/coverage', { day: date }),
}
