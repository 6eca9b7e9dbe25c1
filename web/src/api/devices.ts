// Devices over HTTP: vehicles (JT/T 808) with live positions and stored tracks, HJ 212 monitors
// with their reading series (crates/server/src/routes/devices.rs).
import { http } from './http'

/** What a supervised vehicle is (store::VEHICLE_KINDS). */
export type VehicleKind = 'muck_truck' | 'sweeper' | 'sanitation' | 'enforcement' | 'garbage_truck'

export const VEHICLE_KINDS: readonly VehicleKind[] = ['muck_truck', 'sweeper', 'sanitation', 'enforcement', 'garbage_truck']

/** A vehicle's last known position. */
export interface VehiclePosition {
  lat: number
  lon: number
  speed_kmh: number | null
  heading: number | null
  grid_code: string | null
  fix_at: string | null
}

export interface Vehicle {
  id: number
  plate: string
  kind: string
  company: string | null
  phone: string | null
  terminal_id: string | null
  registered: boolean
  /** Reported within the last few minutes. */
  online: boolean
  last_seen_at: string | null
  position: VehiclePosition | null
}

export interface VehicleList {
  items: Vehicle[]
  online: number
}

/** One stored fix of a track. */
export interface TrackPoint {
  fix_at: string
  lat: number
  lon: number
  speed_kmh: number | null
  heading: number | null
  altitude_m?: number | null
  alarm?: number | null
  status?: number | null
  mileage_m?: number | null
  grid_code?: string | null
  backfill?: boolean
}

export interface VehicleTrack {
  vehicle: Vehicle
  from: string
  to: string
  /** Oldest first. */
  points: TrackPoint[]
}

/** `fume` (restaurant 油烟), `dust` (construction site 扬尘), `noise`, `other`. */
export interface Monitor {
  mn: string
  kind: string
  name: string
  site: string | null
  size_class: string | null
  lat: number | null
  lon: number | null
  grid_code: string | null
  last_seen_at: string | null
}

export interface Reading {
  data_time: string
  cn: string | number | null
  /** `Rtd`, `Avg`, `Min`, `Max` … */
  field: string
  /** Decimal text exactly as the device sent it (a number from some servers). */
  value: string | number | null
  flag: string | null
}

export interface Readings {
  mn: string
  factor: string
  items: Reading[]
}

export const devicesApi = {
  vehicles: () => http.get<VehicleList>('/api/vehicles'),
  track: (id: number, q: { from?: string; to?: string; limit?: number } = {}) =>
    http.get<VehicleTrack>(`/api/vehicles/${id}/track`, { ...q }),
  monitors: () => http.get<{ items: Monitor[] }>('/api/monitors'),
  readings: (mn: string, q: { factor: string; from?: string; to?: string; limit?: number }) =>
    http.get<Readings>(`/api/monitors/${encodeURIComponent(mn)}/readings`, { ...q }),
}
