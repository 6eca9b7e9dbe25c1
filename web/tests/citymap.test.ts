import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AreaFeature, Position } from '../src/api/types'
import {
  aspectFor,
  backTo,
  bboxOf,
  childLevel,
  childrenView,
  coalesce,
  colourOf,
  densityPieces,
  drillInto,
  ancestors,
  homeArea,
  initialDrill,
  hottest,
  inPolygon,
  interiorPoint,
  labelFor,
  textWidth,
  featureBbox,
  layerQuery,
  LEVELS,
  levelOfCode,
  luminance,
  mapName,
  RAMP,
  startView,
  viewOf,
  ZERO_COLOUR,
  type DrillState,
} from '../src/lib/citymap'

/** A small deterministic random generator (tests stay reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function feature(code: string, coordinates: Position[][][]): AreaFeature {
  return {
    type: 'Feature',
    properties: { code, name: `area ${code}`, level: levelOfCode(code) ?? 'grid' },
    geometry: { type: 'MultiPolygon', coordinates },
  }
}

describe('levels and codes', () => {
  it('knows the level of each standard code length only', () => {
    expect(levelOfCode('410102')).toBe('district')
    expect(levelOfCode('410102002')).toBe('street')
    expect(levelOfCode('410102002001')).toBe('community')
    expect(levelOfCode('410102002001001')).toBe('grid')
    for (const bad of ['', '4101', '41010200', '4101020020010011', '41010a', '410102 '])
      expect(levelOfCode(bad), bad).toBeNull()
  })

  it('goes one level down at a time and stops below grids', () => {
    expect(LEVELS.map(childLevel)).toEqual(['street', 'community', 'grid', null])
  })

  it('shows the children of an area, and nothing below a grid', () => {
    expect(childrenView('')).toEqual({ parent: '', level: 'district' })
    expect(childrenView('410105')).toEqual({ parent: '410105', level: 'street' })
    expect(childrenView('410105001')).toEqual({ parent: '410105001', level: 'community' })
    expect(childrenView('410105001002')).toEqual({ parent: '410105001002', level: 'grid' })
    expect(childrenView('410105001002003')).toBeNull()
  })

  it('starts at the user area; the picker goes straight to the grids of a street', () => {
    expect(startView(null)).toEqual({ parent: '', level: 'district' })
    expect(startView('410102')).toEqual({ parent: '410102', level: 'street' })
    expect(startView('410102002')).toEqual({ parent: '410102002', level: 'community' })
    expect(startView('410102002', true)).toEqual({ parent: '410102002', level: 'grid' })
    expect(startView('410102002001', true)).toEqual({ parent: '410102002001', level: 'grid' })
    // A district is too big to show all its grids at once (a real one has tens of thousands).
    expect(startView('410102', true)).toEqual({ parent: '410102', level: 'street' })
    expect(startView(null, true)).toEqual({ parent: '', level: 'district' })
  })

  it('asks for a zoom that grows as the areas get smaller', () => {
    const zooms = LEVELS.map((l) => layerQuery({ parent: '', level: l }).zoom)
    expect(zooms[0]).toBe(10)
    for (let i = 1; i < zooms.length; i++) expect(zooms[i]).toBeGreaterThan(zooms[i - 1])
    for (const z of zooms) expect(z >= 8 && z <= 18).toBe(true)
  })

  it('registers each view of each model version under its own name', () => {
    const views = [
      { parent: '', level: 'district' as const },
      { parent: '410102', level: 'street' as const },
      { parent: '410105', level: 'street' as const },
      { parent: '410102002', level: 'grid' as const },
      { parent: '410102002', level: 'community' as const },
    ]
    const names = new Set([1, 2].flatMap((v) => views.map((x) => mapName(v, x))))
    expect(names.size).toBe(views.length * 2)
  })
})

describe('drill-down', () => {
  const city: DrillState = { root: { parent: '', level: 'district' }, path: [] }

  it('goes district → street → community → grids and back up the breadcrumb', () => {
    const steps = [
      { code: '410105', name: '金水区' },
      { code: '410105001', name: '经八路街道' },
      { code: '410105001002', name: '某社区' },
    ]
    let s = city
    const seen = [viewOf(s)]
    for (const c of steps) {
      const next = drillInto(s, c)
      expect(next, c.code).not.toBeNull()
      s = next as DrillState
      seen.push(viewOf(s))
    }
    expect(seen.map((v) => v.level)).toEqual(['district', 'street', 'community', 'grid'])
    expect(seen.map((v) => v.parent)).toEqual(['', ...steps.map((c) => c.code)])
    expect(s.path).toEqual(steps)
    // A grid has nothing below it.
    expect(drillInto(s, { code: '410105001002007', name: '网格' })).toBeNull()
    // Back up: to the street, then to the city.
    const toStreet = backTo(s, 1)
    expect(viewOf(toStreet)).toEqual({ parent: '410105001', level: 'community' })
    expect(toStreet.path).toEqual(steps.slice(0, 2))
    expect(viewOf(backTo(s, -1))).toEqual(city.root)
    expect(backTo(s, -1).path).toEqual([])
  })

  it('refuses areas that are not on the map shown', () => {
    // A street while districts are shown, or an area of another parent.
    expect(drillInto(city, { code: '410105001', name: 'x' })).toBeNull()
    const inJinshui = drillInto(city, { code: '410105', name: '金水区' }) as DrillState
    expect(drillInto(inJinshui, { code: '410102001', name: 'elsewhere' })).toBeNull()
    expect(drillInto(inJinshui, { code: '410105', name: 'itself' })).toBeNull()
  })

  it('keeps its root when started inside the city', () => {
    const s: DrillState = { root: startView('410102002', true), path: [] }
    expect(viewOf(s)).toEqual({ parent: '410102002', level: 'grid' })
    expect(drillInto(s, { code: '410102002001001', name: 'grid' })).toBeNull()
    const d: DrillState = { root: startView('410102'), path: [] }
    const next = drillInto(d, { code: '410102004', name: 's' }) as DrillState
    expect(viewOf(backTo(next, -1))).toEqual(d.root)
  })
})

describe('density colouring', () => {
  const datasets: number[][] = [
    [],
    [0, 0, 0],
    [1],
    [0, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    [0, 1, 1, 1, 1, 1, 1, 2, 40, 500],
  ]
  const r = rng(7)
  for (let k = 0; k < 40; k++) {
    const n = 1 + Math.floor(r() * 200)
    // Skewed like real case counts: most areas few, some many.
    datasets.push(Array.from({ length: n }, () => Math.floor(r() ** 3 * (1 + r() * 300))))
  }

  it.each(datasets.map((d, i) => [i, d] as const))('classes every count exactly once (data set %i)', (_i, values) => {
    const pieces = densityPieces(values)
    expect(pieces[0]).toMatchObject({ min: 0, max: 0, color: ZERO_COLOUR })
    const pos = pieces.slice(1)
    const max = Math.max(0, ...values)
    if (max === 0) expect(pos).toEqual([])
    else {
      // Contiguous from 1 to the largest count, at most one class per ramp colour.
      expect(pos[0].min).toBe(1)
      expect(pos[pos.length - 1].max).toBe(max)
      for (let i = 1; i < pos.length; i++) expect(pos[i].min).toBe(pos[i - 1].max + 1)
      for (const p of pos) expect(p.max).toBeGreaterThanOrEqual(p.min)
      expect(pos.length).toBeLessThanOrEqual(RAMP.length)
      // The highest class is always the darkest colour.
      expect(pos[pos.length - 1].color).toBe(RAMP[RAMP.length - 1])
    }
    for (const v of values) {
      const holders = pieces.filter((p) => v >= p.min && v <= p.max)
      expect(holders, `value ${v}`).toHaveLength(1)
      expect(colourOf(v, pieces)).toBe(holders[0].color)
    }
  })

  it('gets darker as the counts grow, and zero stays neutral', () => {
    const pieces = densityPieces([0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89])
    const lum = pieces.slice(1).map((p) => luminance(p.color))
    for (let i = 1; i < lum.length; i++) expect(lum[i]).toBeLessThan(lum[i - 1])
    expect(luminance(ZERO_COLOUR)).toBeGreaterThan(lum[0])
    expect(colourOf(0, pieces)).toBe(ZERO_COLOUR)
    expect(colourOf(89, pieces)).toBe(RAMP[RAMP.length - 1])
    expect(luminance('#ffffff')).toBeCloseTo(1)
    expect(luminance('#000000')).toBeCloseTo(0)
  })

  it('splits at the quantiles, so one hot spot does not wash out the rest', () => {
    const values = [...Array.from({ length: 50 }, (_, i) => 1 + (i % 10)), 1000]
    const pieces = densityPieces(values)
    const colours = new Set(values.filter((v) => v < 1000).map((v) => colourOf(v, pieces)))
    // A linear scale would give every count below 200 the lightest colour.
    expect(colours.size).toBeGreaterThanOrEqual(3)
  })

  it('ranks the areas with most cases', () => {
    const counts = { a: 3, b: 0, c: 9, d: 3, e: 1 }
    expect(hottest(counts, 3)).toEqual([
      { code: 'c', count: 9 },
      { code: 'a', count: 3 },
      { code: 'd', count: 3 },
    ])
    expect(hottest(counts, 10).map((h) => h.code)).toEqual(['c', 'a', 'd', 'e'])
  })
})

describe('geometry', () => {
  const square: Position[] = [
    [0, 0],
    [4, 0],
    [4, 4],
    [0, 4],
    [0, 0],
  ]
  // An L whose bounding-box centre (2, 2) is outside it.
  const ell: Position[] = [
    [0, 0],
    [4, 0],
    [4, 1],
    [1, 1],
    [1, 4],
    [0, 4],
    [0, 0],
  ]
  const hole: Position[] = [
    [1, 1],
    [3, 1],
    [3, 3],
    [1, 3],
    [1, 1],
  ]

  it('finds a point inside L shapes, rings with holes and the biggest part of a multipolygon', () => {
    const cases: AreaFeature[] = [
      feature('410102001001001', [[square]]),
      feature('410102001001002', [[ell]]),
      feature('410102001001003', [[square, hole]]),
      feature('410102001001004', [[hole.map(([x, y]) => [x + 10, y] as Position)], [ell.map(([x, y]) => [x * 3, y * 3] as Position)]]),
    ]
    for (const f of cases) {
      const p = interiorPoint(f)
      expect(p, f.properties.code).not.toBeNull()
      const polys = f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [f.geometry.coordinates]
      expect(polys.some((poly) => inPolygon(p as Position, poly)), f.properties.code).toBe(true)
    }
    // The bigger part of the multipolygon is the scaled L.
    const p = interiorPoint(cases[3]) as Position
    expect(inPolygon(p, [ell.map(([x, y]) => [x * 3, y * 3] as Position)])).toBe(true)
    expect(inPolygon([2, 2], [square, hole])).toBe(false)
  })

  it('finds a point inside random star-shaped outlines', () => {
    const r = rng(42)
    for (let k = 0; k < 200; k++) {
      const n = 5 + Math.floor(r() * 20)
      const ring: Position[] = []
      for (let i = 0; i < n; i++) {
        const a = (i / n) * 2 * Math.PI
        const rad = 0.2 + r()
        ring.push([113.6 + rad * Math.cos(a) * 0.01, 34.7 + rad * Math.sin(a) * 0.01])
      }
      ring.push(ring[0])
      const p = interiorPoint(feature('410102001001001', [[ring]]))
      expect(p && inPolygon(p, [ring])).toBe(true)
    }
  })

  it('has no point for an empty outline; bbox and aspect of a collection', () => {
    expect(interiorPoint(feature('410102', []))).toBeNull()
    const fc = { type: 'FeatureCollection' as const, features: [feature('410102', [[square]]), feature('410105', [[ell.map(([x, y]) => [x + 5, y - 2] as Position)]])] }
    expect(bboxOf(fc)).toEqual([0, -2, 9, 4])
    expect(bboxOf({ type: 'FeatureCollection', features: [] })).toBeNull()
    // Zhengzhou at 34.75°N: a degree of longitude is about 0.82 of a degree of latitude.
    expect(aspectFor([113.5, 34.7, 113.7, 34.8])).toBeCloseTo(Math.cos((34.75 * Math.PI) / 180), 6)
    expect(aspectFor([0, -1, 1, 1])).toBeCloseTo(1, 6)
  })
})

describe('initial drill state', () => {
  it('opens the density map at the user area, with the way up to the city', () => {
    expect(ancestors('410102002001')).toEqual(['410102', '410102002', '410102002001'])
    expect(ancestors('')).toEqual([])
    const s = initialDrill('410102002', false)
    expect(s.root).toEqual({ parent: '', level: 'district' })
    expect(s.path.map((c) => c.code)).toEqual(['410102', '410102002'])
    expect(viewOf(s)).toEqual({ parent: '410102002', level: 'community' })
    expect(viewOf(backTo(s, -1))).toEqual({ parent: '', level: 'district' })
    expect(viewOf(initialDrill(null, false))).toEqual({ parent: '', level: 'district' })
    // A grid as the user area: shown among its community's grids.
    expect(viewOf(initialDrill('410102002001001', false))).toEqual({ parent: '410102002001', level: 'grid' })
  })

  it('opens the picker right at the grids of a street', () => {
    const s = initialDrill('410102002', true)
    expect(s.path).toEqual([])
    expect(viewOf(s)).toEqual({ parent: '410102002', level: 'grid' })
  })
})

describe('labels that fit their areas', () => {
  it('measures Chinese characters wider than digits and Latin letters', () => {
    expect(textWidth('省五建社区', 11)).toBe(55)
    expect(textWidth('001', 10)).toBeCloseTo(18)
    expect(textWidth('省五建社区001号网格', 12)).toBeGreaterThan(textWidth('省五建社区001', 12))
  })

  it('shows the name, else a grid\'s serial, else nothing, as the area shrinks', () => {
    const name = '省五建社区005号网格'
    const code = '410102002001005'
    let prev = Infinity
    const seen: string[] = []
    for (let w = 300; w >= 0; w -= 5) {
      const l = labelFor(name, code, w, 40)
      seen.push(l)
      // Never a label wider than its area.
      if (l) expect(textWidth(l, 11)).toBeLessThanOrEqual(w)
      const rank = l === name ? 2 : l === '005' ? 1 : 0
      expect(rank).toBeLessThanOrEqual(prev)
      prev = rank
    }
    expect(new Set(seen)).toEqual(new Set([name, '005', '']))
    // Too low for a line of text; a street has no serial to fall back on.
    expect(labelFor(name, code, 300, 10)).toBe('')
    expect(labelFor('一个很长很长的街道名称', '410102002', 40, 40)).toBe('')
  })

  it('knows each area\'s own extent', () => {
    const f = feature('410102001001001', [
      [
        [
          [1, 2],
          [3, 2],
          [3, 5],
          [1, 2],
        ],
      ],
    ])
    expect(featureBbox(f)).toEqual([1, 2, 3, 5])
  })
})

describe('home area', () => {
  it('is the common area of the grants of the roles asked for', () => {
    const roles = ['inspector', 'citizen']
    expect(homeArea([{ role: 'inspector', area: '410102002' }], roles)).toBe('410102002')
    expect(homeArea([{ role: 'citizen', area: null }], roles)).toBeNull()
    expect(homeArea([], roles)).toBeNull()
    expect(
      homeArea(
        [
          { role: 'inspector', area: '410102002' },
          { role: 'inspector', area: '410102004' },
        ],
        roles,
      ),
    ).toBe('410102')
    expect(
      homeArea(
        [
          { role: 'inspector', area: '410102002' },
          { role: 'inspector', area: '410105001' },
        ],
        roles,
      ),
    ).toBeNull()
    // Grants of other roles do not count; one city-wide grant makes it the city.
    expect(homeArea([{ role: 'leader', area: null }, { role: 'inspector', area: '410102002001' }], roles)).toBe('410102002001')
    expect(homeArea([{ role: 'inspector', area: '410102002' }, { role: 'citizen', area: null }], roles)).toBeNull()
  })
})

describe('coalesce', () => {
  afterEach(() => vi.useRealTimers())

  it('runs once per burst, even while events keep coming', () => {
    vi.useFakeTimers()
    const fn = vi.fn()
    const c = coalesce(fn, 1000)
    c()
    c()
    vi.advanceTimersByTime(600)
    c()
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(400)
    expect(fn).toHaveBeenCalledTimes(1)
    // A steady stream (every 100 ms) still refreshes every second, not never.
    for (let i = 0; i < 30; i++) {
      c()
      vi.advanceTimersByTime(100)
    }
    expect(fn).toHaveBeenCalledTimes(4)
    c()
    c.cancel()
    vi.advanceTimersByTime(5000)
    expect(fn).toHaveBeenCalledTimes(4)
  })
})
