// The report form's rules: which channels each role may report through (mirrors
// `Source::reporter_roles` in crates/domain/src/workflow.rs) and the checks before sending.
import type { ReportRequest } from '../api/types'

export const SOURCE_ROLES: Record<string, string[]> = {
  inspector: ['inspector'],
  citizen_app: ['citizen', 'operator'],
  open311: ['citizen', 'operator'],
  volunteer: ['volunteer'],
  hotline_12319: ['operator'],
  hotline_12345: ['operator'],
  weibo: ['operator'],
  mailbox: ['operator'],
  camera: ['operator', 'admin'],
  sensor: ['operator', 'admin'],
  vehicle: ['operator', 'admin'],
  third_party_inspection: ['operator', 'leader'],
  superior: ['leader', 'operator'],
}

/** Channels with a caller whose name and number the operator takes down. */
export const CALLER_SOURCES = new Set(['hotline_12319', 'hotline_12345', 'weibo', 'mailbox'])

export function sourcesFor(roles: Iterable<string>): string[] {
  const have = new Set(roles)
  // Most likely first: each role's own channel, then the rest in the API's order.
  const preferred = ['inspector', 'hotline_12319', 'hotline_12345', 'citizen_app', 'volunteer']
  const all = Object.keys(SOURCE_ROLES).filter((s) => SOURCE_ROLES[s].some((r) => have.has(r)))
  return [...preferred.filter((s) => all.includes(s)), ...all.filter((s) => !preferred.includes(s))]
}

export interface ReportForm {
  source: string
  description: string
  areaCode: string | null
  classCode: string | null
  urgency: string
  address: string
  lat: number | null
  lon: number | null
  attachments: number[]
  selfHandled: boolean
  callerName: string
  callerPhone: string
  note: string
}

export function emptyReport(source = ''): ReportForm {
  return {
    source,
    description: '',
    areaCode: null,
    classCode: null,
    urgency: 'normal',
    address: '',
    lat: null,
    lon: null,
    attachments: [],
    selfHandled: false,
    callerName: '',
    callerPhone: '',
    note: '',
  }
}

/** Message keys of what is missing or wrong. */
export function validateReport(f: ReportForm): string[] {
  const out: string[] = []
  if (!f.source) out.push('report.required.source')
  if (!f.description.trim()) out.push('report.required.description')
  // The server locates a report by its point (grid, community, street, district), so the area
  // may be left out when a point is given.
  if (!f.areaCode && (f.lat == null || f.lon == null)) out.push('report.required.area')
  if ((f.lat == null) !== (f.lon == null)) out.push('report.pointBoth')
  if (f.selfHandled && f.source === 'inspector' && f.attachments.length === 0) out.push('report.required.photo')
  return out
}

export function toReportRequest(f: ReportForm): ReportRequest {
  const r: ReportRequest = { source: f.source, description: f.description.trim(), urgency: f.urgency }
  if (f.areaCode) r.area_code = f.areaCode
  if (f.classCode) r.class_code = f.classCode
  if (f.address.trim()) r.address = f.address.trim()
  if (f.lat != null && f.lon != null) {
    r.lat = f.lat
    r.lon = f.lon
  }
  if (f.attachments.length) r.attachments = [...f.attachments]
  if (f.source === 'inspector' && f.selfHandled) r.self_handled = true
  if (CALLER_SOURCES.has(f.source)) {
    if (f.callerName.trim()) r.reporter_name = f.callerName.trim()
    if (f.callerPhone.trim()) r.reporter_phone = f.callerPhone.trim()
  }
  if (f.note.trim()) r.note = f.note.trim()
  return r
}
