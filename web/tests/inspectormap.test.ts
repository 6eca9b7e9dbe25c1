// The inspector's phone map: which layer, which grids are theirs, where it opens.
import { describe, expect, it } from 'vitest'
import type { AreaCollection, AreaFeature } from '../src/api/types'
import { DISTRICT_GRID_ZOOM, OTHER_STYLE, OWN_STYLE, districtGridView, focusOn, gridData, isOwn } from '../src/lib/inspectormap'

/** A square grid feature [x, y]–[x + 1, y + 1]. */
const sq = (code: string, x: number, y: number): AreaFeature => ({
  type: 'Feature',
  properties: { code, name: code, level: 'grid' },
  geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]] },
})

// A 4 × 2 district: street 001 the left two columns, street 002 the right two.
const fc: AreaCollection = {
  type: 'FeatureCollection',
  features: [
    sq('410102001001001', 0, 0),
    sq('410102001001002', 1, 0),
    sq('410102001002001', 0, 1),
    sq('410102001002002', 1, 1),
    sq('410102002001001', 2, 0),
    sq('410102002001002', 3, 0),
    sq('410102002002001', 2, 1),
    sq('410102002002002', 3, 1),
  ],
}

describe('inspector map', () => {
  it("shows the grids of the district around a street's, community's or grid's inspector", () => {
    expect(districtGridView('410102001')).toEqual({ parent: '410102', level: 'grid', zoom: DISTRICT_GRID_ZOOM })
    expect(districtGridView('410102001002')).toEqual({ parent: '410102', level: 'grid', zoom: DISTRICT_GRID_ZOOM })
    expect(districtGridView('410102001002001')?.parent).toBe('410102')
    expect(districtGridView('410102')).toBeNull()
    expect(districtGridView(null)).toBeNull()
    expect(districtGridView('41')).toBeNull()
  })

  it('highlights the own grids only', () => {
    expect(isOwn('410102001002001', '410102001')).toBe(true)
    expect(isOwn('410102002002001', '410102001')).toBe(false)
    expect(isOwn('410102001002001', null)).toBe(false)
    const d = gridData(fc, '410102001')
    expect(d.filter((x) => x.own).map((x) => x.name)).toEqual(['410102001001001', '410102001001002', '410102001002001', '410102001002002'])
    expect(d[0].itemStyle).toBe(OWN_STYLE)
    expect(d[7].itemStyle).toBe(OTHER_STYLE)
    expect(gridData(fc, '410102001002').filter((x) => x.own)).toHaveLength(2)
  })

  it('opens centred on the own grids, zoomed to fit them with a margin', () => {
    // Own: [0, 0]–[2, 2] of a [0, 0]–[4, 2] layer: centre (1, 1), zoom min(4/2, 2/2) × 0.85.
    expect(focusOn(fc, '410102001')).toEqual({ center: [1, 1], zoom: 1 })
    // One grid [3, 1]–[4, 2]: zoom min(4, 2) × 0.85 = 1.7.
    const one = focusOn(fc, '410102002002002')
    expect(one?.center).toEqual([3.5, 1.5])
    expect(one?.zoom).toBeCloseTo(1.7, 12)
    expect(focusOn(fc, '410102009')).toBeNull()
    expect(focusOn({ type: 'FeatureCollection', features: [] }, '410102001')).toBeNull()
  })
})
