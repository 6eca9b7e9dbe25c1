// Collection routes 收运路线: the pure logic behind the route screen — a route's status of the
// day, its schedule in words, and checking the route form before it is sent (the server checks
// again and answers with a precise code).
import type { PointOption, RouteDay, RouteDays, RouteInput, WasteCategory } from '../api/routes'

/** How a route stands on a day. */
export type RouteStatus = 'not_running' | 'on_time' | 'missed' | 'done_late' | 'in_progress' | 'pending'

/** The status of a route in a day's report. */
export function routeStatus(r: RouteDay): RouteStatus {
  if (!r.runs) return 'not_running'
  if (r.on_time === true) return 'on_time'
  if (r.missed > 0) return r.visited === r.planned ? 'done_late' : 'missed'
  return r.visited > 0 ? 'in_progress' : 'pending'
}

/** Element Plus tag type of a status. */
export function statusTag(s: RouteStatus): 'success' | 'danger' | 'warning' | 'info' | 'primary' {
  switch (s) {
    case 'on_time':
      return 'success'
    case 'missed':
      return 'danger'
    case 'done_late':
      return 'warning'
    case 'in_progress':
      return 'primary'
    default:
      return 'info'
  }
}

/** Visited share of the planned points, 0–100 (0 when nothing is planned). */
export function progress(r: RouteDay): number {
  return r.planned > 0 ? Math.round((Math.min(r.visited, r.planned) / r.planned) * 100) : 0
}

const WEEKDAYS_ZH = ['一', '二', '三', '四', '五', '六', '日']
const WEEKDAYS_EN = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

/** The schedule in words: 每天 / 工作日 / 周一、三、五 (or English). */
export function daysLabel(days: RouteDays, locale: 'zh-CN' | 'en'): string {
  if (days.kind === 'daily') return locale === 'en' ? 'Every day' : '每天'
  if (days.kind === 'working_days') return locale === 'en' ? 'Working days' : '工作日'
  const sorted = [...days.days].sort((a, b) => a - b).filter((d) => d >= 1 && d <= 7)
  if (locale === 'en') return sorted.map((d) => WEEKDAYS_EN[d - 1]).join(', ')
  return `周${sorted.map((d) => WEEKDAYS_ZH[d - 1]).join('、')}`
}

/** `HH:MM` from 00:01 to 24:00, as the server accepts it. */
export function validFinish(s: string): boolean {
  const m = /^(\d{2}):(\d{2})$/.exec(s)
  if (!m) return false
  const h = Number(m[1])
  const min = Number(m[2])
  const total = h * 60 + min
  return min < 60 && total >= 1 && total <= 1440
}

const ID = /^[A-Za-z0-9._:-]{1,64}$/

/** The route form's problems, as i18n keys (empty: fine to send). */
export function formProblems(f: RouteInput, points: PointOption[], creating: boolean): string[] {
  const out: string[] = []
  if (creating && !ID.test(f.route_id ?? '')) out.push('routes.err.id')
  const name = f.name.trim()
  if (!name || [...name].length > 100) out.push('routes.err.name')
  if (!f.vehicle_id) out.push('routes.err.vehicle')
  if (!f.points.length) out.push('routes.err.points')
  else if (new Set(f.points).size !== f.points.length) out.push('routes.err.duplicate')
  else if (f.points.some((id) => points.find((p) => p.id === id)?.category !== f.category)) out.push('routes.err.category')
  if (f.days.kind === 'weekdays' && !f.days.days.length) out.push('routes.err.days')
  if (!validFinish(f.finish_by)) out.push('routes.err.finish')
  return out
}

/** The points of a category, by id (the choices of the form). */
export function pointsOf(points: PointOption[], category: WasteCategory): PointOption[] {
  return points.filter((p) => p.category === category).sort((a, b) => a.id.localeCompare(b.id))
}
