// Phone helpers shared by the citizen portal and the inspector view: the device position,
// distances, photos shrunk before upload, and the inspector's tasks sorted by distance.
import type { Case } from '../api/types'

export interface LatLon {
  lat: number
  lon: number
}

export interface DevicePosition extends LatLon {
  /** Metres (95 % radius as the browser reports it). */
  accuracy: number
}

/** Why the device position is not available; each has a message `mobile.geo.<kind>`. */
export type GeoFailure = 'unsupported' | 'denied' | 'unavailable' | 'timeout' | 'insecure'

export class GeoError extends Error {
  readonly kind: GeoFailure
  constructor(kind: GeoFailure, message: string = kind) {
    super(message)
    this.name = 'GeoError'
    this.kind = kind
  }
}

/** The browser's error code (1 denied, 2 unavailable, 3 timeout) as a failure kind. */
export function geoFailureOf(code: number): GeoFailure {
  if (code === 1) return 'denied'
  if (code === 3) return 'timeout'
  return 'unavailable'
}

/** The device's position once (WGS-84, as browsers report it). Rejects with a [`GeoError`]. */
export function currentPosition(opts: { timeoutMs?: number; maxAgeMs?: number } = {}): Promise<DevicePosition> {
  const geo = typeof navigator !== 'undefined' ? navigator.geolocation : undefined
  if (typeof window !== 'undefined' && window.isSecureContext === false) return Promise.reject(new GeoError('insecure'))
  if (!geo) return Promise.reject(new GeoError('unsupported'))
  return new Promise((resolve, reject) => {
    geo.getCurrentPosition(
      (p) =>
        resolve({
          lat: Math.round(p.coords.latitude * 1e6) / 1e6,
          lon: Math.round(p.coords.longitude * 1e6) / 1e6,
          accuracy: p.coords.accuracy,
        }),
      (e) => reject(new GeoError(geoFailureOf(e.code), e.message)),
      { enableHighAccuracy: true, timeout: opts.timeoutMs ?? 15000, maximumAge: opts.maxAgeMs ?? 30000 },
    )
  })
}

/** The message key of a position failure. */
export function geoMessageKey(e: unknown): string {
  return e instanceof GeoError ? `mobile.geo.${e.kind}` : 'mobile.geo.unavailable'
}

const EARTH_RADIUS_M = 6371008.8

/** Great-circle distance in metres. */
export function distanceM(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLon = (b.lon - a.lon) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** `80 m`, `950 m`, `1.2 km`, `23 km`. */
export function formatDistance(m: number): string {
  if (!Number.isFinite(m)) return ''
  if (m < 1000) return `${Math.round(m / 10) * 10 || Math.round(m)} m`
  if (m < 10000) return `${(m / 1000).toFixed(1)} km`
  return `${Math.round(m / 1000)} km`
}

/** An inspection task: a case waiting for this inspector to verify 核实 or check 核查. */
export type TaskKind = 'verify' | 'check'

export function taskKind(state: string): TaskKind | null {
  if (state === 'verifying') return 'verify'
  if (state === 'checking') return 'check'
  return null
}

export interface NearbyTask {
  case: Case
  kind: TaskKind
  /** Metres from the device; `null` when either position is unknown. */
  distance: number | null
}

/**
 * The inspector's open tasks nearest first (tasks without a point, or all of them while the
 * device position is unknown, after those with one, oldest first as they wait longest).
 */
export function nearbyTasks(cases: Case[], here: LatLon | null): NearbyTask[] {
  const out: NearbyTask[] = []
  for (const c of cases) {
    const kind = taskKind(c.state)
    if (!kind) continue
    const distance = here && c.lat != null && c.lon != null ? distanceM(here, { lat: c.lat, lon: c.lon }) : null
    out.push({ case: c, kind, distance })
  }
  return out.sort((a, b) => {
    if (a.distance != null && b.distance != null) return a.distance - b.distance || a.case.id - b.case.id
    if (a.distance != null) return -1
    if (b.distance != null) return 1
    return a.case.created_at.localeCompare(b.case.created_at) || a.case.id - b.case.id
  })
}

/** The longest side of a photo after shrinking, and when a photo is shrunk at all. */
export const PHOTO_MAX_SIDE = 2048
export const PHOTO_SHRINK_ABOVE_BYTES = 1.5 * 1024 * 1024

/** The size a `w`×`h` photo is drawn at so its longest side is at most `max`. */
export function fitWithin(w: number, h: number, max = PHOTO_MAX_SIDE): { w: number; h: number } {
  const s = Math.max(w, h)
  if (s <= max || s === 0) return { w, h }
  const k = max / s
  return { w: Math.max(1, Math.round(w * k)), h: Math.max(1, Math.round(h * k)) }
}

/**
 * A phone photo made small enough to send quickly (a JPEG at most [`PHOTO_MAX_SIDE`] pixels on
 * its longest side); small files, and anything the browser cannot redraw, go as they are.
 */
export async function shrinkPhoto(file: File): Promise<File | Blob> {
  if (file.size <= PHOTO_SHRINK_ABOVE_BYTES || typeof createImageBitmap === 'undefined') return file
  try {
    const bmp = await createImageBitmap(file)
    const { w, h } = fitWithin(bmp.width, bmp.height)
    const canvas = document.createElement('canvas')
    canvas.width = w
    canvas.height = h
    const ctx = canvas.getContext('2d')
    if (!ctx) return file
    ctx.drawImage(bmp, 0, 0, w, h)
    bmp.close?.()
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.85))
    if (!blob || blob.size >= file.size) return file
    const name = (file.name || 'photo').replace(/\.[^.]*$/, '') + '.jpg'
    return new File([blob], name, { type: 'image/jpeg' })
  } catch {
    return file
  }
}
