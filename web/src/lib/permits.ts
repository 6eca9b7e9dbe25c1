// Muck-disposal permits 渣土处置核准, without IO: the edit form ↔ the API body (which mirrors
// `supervision::muck::permit::Permit`), the same checks `Permit::validate` makes (so a form is
// checked before it is sent), the problems of a 422 answer mapped back to form fields, and the
// permit's state on a day.

/** Roles that see the permits. */
export const PERMIT_ROLES = ['admin', 'leader', 'operator', 'shift_supervisor', 'dispatcher', 'department_handler']
/** Roles that may write them (the server further limits handlers to enforcement departments). */
export const PERMIT_WRITERS = ['admin', 'department_handler']

export interface LonLat {
  lon: number
  lat: number
}

export interface PermitVehicle {
  phone: string
  plate?: string | null
}

export interface PermitWindow {
  start: string
  end: string
}

export interface PermitPolygon {
  exterior: LonLat[]
  holes?: LonLat[][]
}

/** What `POST`/`PUT /api/permits` take: the permit without its id (the server assigns it). */
export interface PermitBody {
  number: string
  company: string
  vehicles: PermitVehicle[]
  construction_site: PermitPolygon[]
  disposal_site: PermitPolygon[]
  route: LonLat[]
  corridor_width_m: number
  windows: PermitWindow[]
  valid_from: string
  valid_to: string
}

/** The permit as the API sends it (extra fields such as `in_force` tolerated). */
export interface Permit extends PermitBody {
  id: string
  revoked?: boolean
  revoked_at?: string | null
  revoked_reason?: string | null
  [k: string]: unknown
}

/** The edit form: geometry as text, one `lon,lat` per line. */
export interface PermitForm {
  id: string
  number: string
  company: string
  vehicles: { phone: string; plate: string }[]
  construction: string
  disposal: string
  route: string
  corridor_width_m: number | null
  windows: { start: string; end: string }[]
  valid_from: string
  valid_to: string
}

export type PermitField =
  | 'id'
  | 'number'
  | 'company'
  | 'vehicles'
  | 'construction'
  | 'disposal'
  | 'route'
  | 'corridor_width_m'
  | 'windows'
  | 'valid_from'
  | 'valid_to'
  | 'general'

/** One problem: the field it belongs to, an i18n key and its params (or a message as sent). */
export interface Problem {
  field: PermitField
  key: string
  params?: Record<string, string | number>
}

export function emptyForm(today: string): PermitForm {
  return {
    id: '',
    number: '',
    company: '',
    vehicles: [{ phone: '', plate: '' }],
    construction: '',
    disposal: '',
    route: '',
    corridor_width_m: 60,
    windows: [{ start: '22:00', end: '06:00' }],
    valid_from: today,
    valid_to: today,
  }
}

const fmt = (n: number) => String(Math.round(n * 1e6) / 1e6)

/** Points as text, one `lon,lat` a line. */
export function pointsToText(points: LonLat[]): string {
  return points.map((p) => `${fmt(p.lon)},${fmt(p.lat)}`).join('\n')
}

/**
 * Points from text: `lon,lat` pairs separated by new lines or `;` (commas, spaces or `，` inside a
 * pair), or a GeoJSON `[[lon, lat], …]` array. `bad` lists the 1-based numbers of the pairs
 * that are not numbers.
 */
export function parsePoints(text: string): { points: LonLat[]; bad: number[] } {
  const s = text.trim()
  if (!s) return { points: [], bad: [] }
  if (s.startsWith('[')) {
    try {
      let arr = JSON.parse(s) as unknown
      // Accept a polygon's `[[[lon, lat], …]]` too (its exterior ring).
      while (Array.isArray(arr) && Array.isArray(arr[0]) && Array.isArray((arr[0] as unknown[])[0])) arr = arr[0]
      if (Array.isArray(arr)) {
        const points: LonLat[] = []
        const bad: number[] = []
        arr.forEach((p, i) => {
          const lon = Array.isArray(p) ? Number(p[0]) : NaN
          const lat = Array.isArray(p) ? Number(p[1]) : NaN
          if (Number.isFinite(lon) && Number.isFinite(lat)) points.push({ lon, lat })
          else bad.push(i + 1)
        })
        return { points, bad }
      }
    } catch {
      /* fall through to the text form */
    }
  }
  const points: LonLat[] = []
  const bad: number[] = []
  s.split(/[\n;；]+/)
    .map((l) => l.trim())
    .filter(Boolean)
    .forEach((line, i) => {
      const parts = line.split(/[,，\s]+/).filter(Boolean)
      const lon = Number(parts[0])
      const lat = Number(parts[1])
      if (parts.length === 2 && Number.isFinite(lon) && Number.isFinite(lat)) points.push({ lon, lat })
      else bad.push(i + 1)
    })
  return { points, bad }
}

const inRange = (p: LonLat) => Math.abs(p.lon) <= 180 && Math.abs(p.lat) <= 90

/** A ring closed (first point repeated at the end), as the API stores rings. */
export function closeRing(points: LonLat[]): LonLat[] {
  if (points.length < 2) return points
  const a = points[0]!
  const z = points[points.length - 1]!
  return a.lon === z.lon && a.lat === z.lat ? points : [...points, a]
}

/** Distinct corners of a ring (a closing repeat of the first point not counted). */
export function corners(points: LonLat[]): number {
  if (points.length > 1) {
    const a = points[0]!
    const z = points[points.length - 1]!
    if (a.lon === z.lon && a.lat === z.lat) return points.length - 1
  }
  return points.length
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

/** Everything wrong with the form, in field order — the checks of `Permit::validate` and a few of the form's own. */
export function validateForm(f: PermitForm): Problem[] {
  const out: Problem[] = []
  if (!f.number.trim()) out.push({ field: 'number', key: 'permit.err.number' })
  if (!f.company.trim()) out.push({ field: 'company', key: 'permit.err.company' })
  const vehicles = f.vehicles.filter((v) => v.phone.trim() || v.plate.trim())
  if (!vehicles.length) out.push({ field: 'vehicles', key: 'permit.err.noVehicle' })
  vehicles.forEach((v, i) => {
    const phone = v.phone.trim()
    if (!phone) out.push({ field: 'vehicles', key: 'permit.err.phone', params: { n: i + 1 } })
    // The terminal phone as the gateway sees it: 1–20 digits (the API refuses anything else).
    else if (!/^\d{1,20}$/.test(phone)) out.push({ field: 'vehicles', key: 'permit.err.phoneDigits', params: { n: i + 1 } })
  })
  for (const [field, text] of [
    ['construction', f.construction],
    ['disposal', f.disposal],
  ] as const) {
    const { points, bad } = parsePoints(text)
    if (bad.length) out.push({ field, key: 'permit.err.badPoints', params: { lines: bad.join(', ') } })
    else if (corners(points) < 3) out.push({ field, key: 'permit.err.site' })
    else if (!points.every(inRange)) out.push({ field, key: 'permit.err.range' })
  }
  const route = parsePoints(f.route)
  if (route.bad.length) out.push({ field: 'route', key: 'permit.err.badPoints', params: { lines: route.bad.join(', ') } })
  else if (route.points.length < 2) out.push({ field: 'route', key: 'permit.err.route', params: { n: route.points.length } })
  else if (!route.points.every(inRange)) out.push({ field: 'route', key: 'permit.err.range' })
  if (f.corridor_width_m == null || !Number.isFinite(f.corridor_width_m) || f.corridor_width_m <= 0)
    out.push({ field: 'corridor_width_m', key: 'permit.err.width' })
  f.windows.forEach((w, i) => {
    if (!TIME.test(w.start) || !TIME.test(w.end)) out.push({ field: 'windows', key: 'permit.err.windowTime', params: { n: i + 1 } })
    else if (w.start.slice(0, 5) === w.end.slice(0, 5)) out.push({ field: 'windows', key: 'permit.err.windowEmpty', params: { n: i + 1, at: w.start } })
  })
  if (!DATE.test(f.valid_from)) out.push({ field: 'valid_from', key: 'permit.err.date' })
  if (!DATE.test(f.valid_to)) out.push({ field: 'valid_to', key: 'permit.err.date' })
  else if (DATE.test(f.valid_from) && f.valid_from > f.valid_to)
    out.push({ field: 'valid_to', key: 'permit.err.reversed', params: { from: f.valid_from, to: f.valid_to } })
  return out
}

/** The API body of a form (call [`validateForm`] first). */
export function formToPermit(f: PermitForm): PermitBody {
  const ring = (text: string): PermitPolygon[] => {
    const pts = parsePoints(text).points
    return pts.length ? [{ exterior: closeRing(pts) }] : []
  }
  return {
    number: f.number.trim(),
    company: f.company.trim(),
    vehicles: f.vehicles
      .filter((v) => v.phone.trim() || v.plate.trim())
      .map((v) => (v.plate.trim() ? { phone: v.phone.trim(), plate: v.plate.trim() } : { phone: v.phone.trim() })),
    construction_site: ring(f.construction),
    disposal_site: ring(f.disposal),
    route: parsePoints(f.route).points,
    corridor_width_m: Number(f.corridor_width_m),
    windows: f.windows.map((w) => ({ start: w.start.slice(0, 5), end: w.end.slice(0, 5) })),
    valid_from: f.valid_from,
    valid_to: f.valid_to,
  }
}

/** The form of a permit from the API. */
export function permitToForm(p: Permit): PermitForm {
  return {
    id: p.id ?? '',
    number: p.number ?? '',
    company: p.company ?? '',
    vehicles: (p.vehicles ?? []).map((v) => ({ phone: v.phone ?? '', plate: v.plate ?? '' })),
    construction: pointsToText(p.construction_site?.[0]?.exterior ?? []),
    disposal: pointsToText(p.disposal_site?.[0]?.exterior ?? []),
    route: pointsToText(p.route ?? []),
    corridor_width_m: p.corridor_width_m ?? null,
    windows: (p.windows ?? []).map((w) => ({ start: String(w.start).slice(0, 5), end: String(w.end).slice(0, 5) })),
    valid_from: p.valid_from ?? '',
    valid_to: p.valid_to ?? '',
  }
}

/** Which form field a problem message of the API (`PermitProblem`'s words, or a field name) is about. */
export function fieldOfMessage(msg: string): PermitField {
  const m = msg.toLowerCase()
  if (/\bid\b/.test(m) && !m.includes('valid')) return 'id'
  if (m.includes('number')) return 'number'
  if (m.includes('company')) return 'company'
  if (m.includes('vehicle') || m.includes('phone') || m.includes('plate')) return 'vehicles'
  if (m.includes('construction')) return 'construction'
  if (m.includes('disposal')) return 'disposal'
  if (m.includes('corridor')) return 'corridor_width_m'
  if (m.includes('route')) return 'route'
  if (m.includes('window')) return 'windows'
  if (m.includes('valid_from') && m.includes('after')) return 'valid_to'
  if (m.includes('valid_from')) return 'valid_from'
  if (m.includes('valid_to')) return 'valid_to'
  return 'general'
}

/**
 * The problems of a 422 answer's `error` object: `problems`/`details`/`errors` as strings or
 * `{field, message}` objects, or a `fields` map, else the message split at `; ` (the way
 * `PermitError` joins them). Each comes back with the field it belongs to.
 */
export function problemsFromApi(details: Record<string, unknown> | undefined, message: string): Problem[] {
  const d = details ?? {}
  const list = (d.problems ?? d.details ?? d.errors ?? d.issues) as unknown
  const out: Problem[] = []
  const push = (msg: string, field?: string) => {
    const f = field ? fieldOfMessage(field) : fieldOfMessage(msg)
    out.push({ field: f, key: '', params: { msg } })
  }
  if (Array.isArray(list) && list.length) {
    for (const p of list) {
      if (typeof p === 'string') push(p)
      else if (p && typeof p === 'object') {
        const o = p as Record<string, unknown>
        const msg = String(o.message ?? o.msg ?? o.problem ?? o.kind ?? JSON.stringify(o))
        push(msg, typeof o.field === 'string' ? o.field : typeof o.path === 'string' ? o.path : undefined)
      }
    }
    return out
  }
  if (d.fields && typeof d.fields === 'object') {
    for (const [k, v] of Object.entries(d.fields as Record<string, unknown>)) push(String(v), k)
    return out
  }
  // `permit "x" is invalid: a; b; c`
  const tail = message.includes(': ') ? message.slice(message.indexOf(': ') + 2) : message
  for (const part of tail.split(/;\s*/).filter(Boolean)) push(part)
  return out
}

export type PermitState = 'revoked' | 'expired' | 'pending' | 'valid'

/** Where a permit stands on `day` (`YYYY-MM-DD`). */
export function permitState(p: Pick<Permit, 'valid_from' | 'valid_to'> & { revoked?: boolean; revoked_at?: string | null; state?: unknown; status?: unknown }, day: string): PermitState {
  if (p.revoked || p.revoked_at || p.state === 'revoked' || p.status === 'revoked') return 'revoked'
  if (day > p.valid_to) return 'expired'
  if (day < p.valid_from) return 'pending'
  return 'valid'
}

export const PERMIT_STATE_TAG: Record<PermitState, 'success' | 'info' | 'warning' | 'danger'> = {
  valid: 'success',
  pending: 'warning',
  expired: 'info',
  revoked: 'danger',
}

/** `22:00–06:00（次日）`-style window text; `全天` for a permit without windows. */
export function windowsText(ws: PermitWindow[] | undefined, allDay: string, nextDay: string): string {
  if (!ws?.length) return allDay
  return ws
    .map((w) => {
      const s = String(w.start).slice(0, 5)
      const e = String(w.end).slice(0, 5)
      return e < s ? `${s}–${e}${nextDay}` : `${s}–${e}`
    })
    .join(', ')
}

/** Bounding box `[west, south, east, north]` of all the permit's geometry; `null` when it has none. */
export function permitBbox(p: Pick<Permit, 'route' | 'construction_site' | 'disposal_site'>): [number, number, number, number] | null {
  const pts = [...(p.route ?? []), ...(p.construction_site ?? []).flatMap((x) => x.exterior), ...(p.disposal_site ?? []).flatMap((x) => x.exterior)]
  if (!pts.length) return null
  let w = Infinity
  let s = Infinity
  let e = -Infinity
  let n = -Infinity
  for (const q of pts) {
    w = Math.min(w, q.lon)
    e = Math.max(e, q.lon)
    s = Math.min(s, q.lat)
    n = Math.max(n, q.lat)
  }
  return [w, s, e, n]
}

/** Length of a route in metres (sum of its segments, local equirectangular approximation). */
export function routeLengthM(points: LonLat[]): number {
  let m = 0
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    const kx = 111_320 * Math.cos((((a.lat + b.lat) / 2) * Math.PI) / 180)
    m += Math.hypot((b.lon - a.lon) * kx, (b.lat - a.lat) * 110_574)
  }
  return m
}
