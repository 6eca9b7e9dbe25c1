// The inspector's phone map: their own unit grids highlighted among the grids of the whole
// district around them, so they see where their patch ends and what lies next to it, opened on
// their own grids. Pure functions (tests/inspectormap.test.ts); TaskMap.vue draws.
import type { AreaCollection, AreaLevel } from '../api/types'
import { bboxOf, levelOfCode } from './citymap'

/**
 * Zoom of the simplified outlines asked for the district's grids: coarser than the wall's
 * drill into one community (16), as a phone shows a whole district's grids at once; the server
 * simplifies per zoom and caches by ETag, so the layer stays small and is fetched once.
 */
export const DISTRICT_GRID_ZOOM = 14

/** The layer a map shows: `level` areas under `parent` ('' = the city) at `zoom`. */
export interface LayerView {
  parent: string
  level: AreaLevel
  zoom: number
}

/**
 * The layer of the inspector's map for their area: the unit grids of the district their area
 * lies in, when the area is a street, community or grid; `null` for a district or the whole city
 * (then the usual view of the area's children is shown).
 */
export function districtGridView(area: string | null): LayerView | null {
  const level = area ? levelOfCode(area) : null
  if (!area || !level || level === 'district') return null
  return { parent: area.slice(0, 6), level: 'grid', zoom: DISTRICT_GRID_ZOOM }
}

/** Whether unit grid `code` is the inspector's (inside their area). */
export function isOwn(code: string, area: string | null): boolean {
  return !!area && code.startsWith(area)
}

/** Fill and border of the grids: own ones strong, the others muted. */
export const OWN_STYLE = { areaColor: '#cfe3ff', borderColor: '#2f6fde', borderWidth: 1.2 }
export const OTHER_STYLE = { areaColor: '#f1f3f6', borderColor: '#c7ced9', borderWidth: 0.4 }

/** The map series' data: one entry per grid, the own ones styled as such. */
export function gridData(fc: AreaCollection, area: string | null): { name: string; own: boolean; itemStyle: typeof OWN_STYLE }[] {
  return fc.features.map((f) => {
    const own = isOwn(f.properties.code, area)
    return { name: f.properties.code, own, itemStyle: own ? OWN_STYLE : OTHER_STYLE }
  })
}

/**
 * Where to open the map: the centre of the own grids and the zoom (relative to the whole
 * layer fitting the view, as ECharts' map zoom is) that fits them with a margin; `null` when
 * there are no own grids in the layer.
 */
export function focusOn(fc: AreaCollection, area: string | null, margin = 0.85, maxZoom = 40): { center: [number, number]; zoom: number } | null {
  const all = bboxOf(fc)
  const own = bboxOf({ type: 'FeatureCollection', features: fc.features.filter((f) => isOwn(f.properties.code, area)) })
  if (!all || !own) return null
  const ow = Math.max(own[2] - own[0], 1e-6)
  const oh = Math.max(own[3] - own[1], 1e-6)
  const zoom = Math.min((all[2] - all[0]) / ow, (all[3] - all[1]) / oh) * margin
  return {
    center: [(own[0] + own[2]) / 2, (own[1] + own[3]) / 2],
    zoom: Math.min(maxZoom, Math.max(1, zoom)),
  }
}
