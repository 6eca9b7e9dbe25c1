// Volunteers 志愿者 helpers with no IO: the eleven service projects of seed 002 in their order,
// the summary made whole (every project, zeros included, whatever the server sent), rates and
// the bar chart of volunteers and reports per project.

/** Roles that see the volunteers screen (the server's readers of the list and the summary). */
export const VOLUNTEER_ROLES = ['admin', 'leader', 'operator']

/** The eleven service projects 志愿服务项目, in the order of seed 002. */
export const VOLUNTEER_PROJECTS = [
  'road_patrol',
  'municipal_facilities',
  'waterways',
  'greenery_hoardings',
  'sanitation',
  'lighting_sculptures',
  'civilised_traffic',
  'civility_guidance',
  'waste_sorting',
  'community',
  'shared_bikes',
] as const
export type VolunteerProject = (typeof VOLUNTEER_PROJECTS)[number]

/** One project's row of the table and the chart. */
export interface ProjectRow {
  project: string
  /** The server's Chinese label, if it sent one. */
  label: string
  volunteers: number
  honorary: number
  reports: number
  verified: number
  filed: number
  closed: number
}

const COUNTS = ['volunteers', 'honorary', 'reports', 'verified', 'filed', 'closed'] as const

function count(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0
}

/**
 * The summary's `projects` as eleven rows in seed order (missing ones as zeros, unknown codes
 * kept after them), whatever shape came back.
 */
export function projectRows(raw: unknown): ProjectRow[] {
  const list = Array.isArray((raw as { projects?: unknown })?.projects)
    ? ((raw as { projects: unknown[] }).projects as Record<string, unknown>[])
    : []
  const byCode = new Map<string, ProjectRow>()
  for (const p of list) {
    if (!p || typeof p.project !== 'string') continue
    const row: ProjectRow = {
      project: p.project,
      label: typeof p.label === 'string' ? p.label : '',
      volunteers: 0,
      honorary: 0,
      reports: 0,
      verified: 0,
      filed: 0,
      closed: 0,
    }
    for (const k of COUNTS) row[k] = count(p[k])
    byCode.set(p.project, row)
  }
  const rows: ProjectRow[] = VOLUNTEER_PROJECTS.map(
    (code) =>
      byCode.get(code) ?? { project: code, label: '', volunteers: 0, honorary: 0, reports: 0, verified: 0, filed: 0, closed: 0 },
  )
  for (const [code, row] of byCode) if (!(VOLUNTEER_PROJECTS as readonly string[]).includes(code)) rows.push(row)
  return rows
}

/** The sum of every row. */
export function totals(rows: ProjectRow[]): Omit<ProjectRow, 'project' | 'label'> {
  const out = { volunteers: 0, honorary: 0, reports: 0, verified: 0, filed: 0, closed: 0 }
  for (const r of rows) for (const k of COUNTS) out[k] += r[k]
  return out
}

/** `part` of `whole` as a whole percentage, or null when there is nothing to divide. */
export function percent(part: number, whole: number): number | null {
  if (!(whole > 0)) return null
  return Math.round((Math.min(part, whole) / whole) * 100)
}

/** The bar chart: volunteers and reports (filed and closed among them) per project. */
export function projectChart(rows: ProjectRow[], name: (code: string) => string, series: Record<'volunteers' | 'reports' | 'filed' | 'closed', string>) {
  const keys = ['volunteers', 'reports', 'filed', 'closed'] as const
  const colours = { volunteers: '#409eff', reports: '#e6a23c', filed: '#67c23a', closed: '#909399' }
  return {
    animation: false,
    legend: { top: 0, data: keys.map((k) => series[k]) },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => name(r.project)), axisLabel: { width: 120, overflow: 'truncate' } },
    series: keys.map((k) => ({
      type: 'bar',
      name: series[k],
      barMaxWidth: 12,
      itemStyle: { color: colours[k] },
      data: rows.map((r) => r[k]),
    })),
  }
}
