// The wall screen's logic: how figures read, how live events become redraws, which scope the
// panels follow as the map drills down, the mixes, and vehicles gliding between fixes.
import { describe, expect, it } from 'vitest'
import type { Breakdown, Case, Summary } from '../src/api/types'
import {
  affineFrom,
  clockText,
  categorySlices,
  closureRateOf,
  dayFigures,
  foldTail,
  onTimeRateOf,
  sourceSlices,
  drillStep,
  formatCount,
  formatRate,
  glidesFor,
  lerp,
  lightColour,
  mixOf,
  rankingKindOf,
  rateValue,
  scopeOf,
  throttle,
  type WallDrill,
} from '../src/lib/wall'

describe('figures', () => {
  it('writes counts with grouping, and large ones in 万 or k/M', () => {
    expect(formatCount(0)).toBe('0')
    expect(formatCount(12345)).toBe('12,345')
    expect(formatCount(99_999, 'en')).toBe('99,999')
    expect(formatCount(123_456)).toBe('12.3万')
    expect(formatCount(250_000_000)).toBe('2.5亿')
    expect(formatCount(123_456, 'en')).toBe('123.5k')
    expect(formatCount(2_000_000, 'en')).toBe('2M')
  })

  it('shows a dash for unknown counts and rates, not a zero', () => {
    expect(formatCount(null)).toBe('—')
    expect(formatCount(undefined)).toBe('—')
    expect(formatCount(NaN)).toBe('—')
    expect(formatRate(null)).toBe('—')
    expect(formatRate(0)).toBe('0.0%')
    expect(formatRate(0.725)).toBe('72.5%')
    expect(formatRate(1, 0)).toBe('100%')
  })

  it('reads rates from {num, den, rate} and never divides by zero', () => {
    expect(rateValue({ num: 29, den: 40, rate: 0.725 })).toBe(0.725)
    expect(rateValue({ num: 1, den: 4 })).toBe(0.25)
    expect(rateValue({ num: 0, den: 0, rate: null })).toBeNull()
    expect(rateValue(0.5)).toBe(0.5)
    expect(rateValue('x')).toBeNull()
  })

  const closure = (closed: number, overdue_open: number) => ({ closed, overdue_open, due: closed + overdue_open, rate: null })
  const bd = (total: number, closed: number, overdue: number): Breakdown => ({
    from: '2026-11-25T00:00:00+08:00',
    to: null,
    total,
    by_source: [],
    by_class: [],
    other_classes: 0,
    unclassified: total,
    closure: closure(closed, overdue),
  })

  it('结案率 = 结案数 / 应结案数 with every closing due, never above 100 %', () => {
    // 08:30: five cases handled yesterday closed this morning, one handled today, two overdue.
    // The assessment's day indicator 5 / (1 + 2) = 167 %; here 5 / (5 + 2).
    expect(closureRateOf(closure(5, 2))).toBeCloseTo(5 / 7, 12)
    expect(formatRate(closureRateOf(closure(5, 2)))).toBe('71.4%')
    expect(closureRateOf(closure(0, 3))).toBe(0)
    expect(closureRateOf(closure(4, 0))).toBe(1)
    // Nothing due yet (early morning, nothing overdue): no rate, shown as —.
    expect(closureRateOf(closure(0, 0))).toBeNull()
    expect(formatRate(closureRateOf(closure(0, 0)))).toBe('—')
    expect(closureRateOf(null)).toBeNull()
    // A malformed answer is still bounded.
    expect(closureRateOf({ closed: 9, overdue_open: 0, due: 3, rate: 3 })).toBe(1)
    for (let c = 0; c < 15; c++) for (let o = 0; o < 15; o++) {
      const r = closureRateOf(closure(c, o))
      if (r != null) expect(r >= 0 && r <= 1).toBe(true)
    }
  })

  it('按期结案率 = on-time closings (capped at the closings) / 应结案数, at most the closure rate', () => {
    expect(onTimeRateOf({ num: 4, den: 3 }, closure(5, 2))).toBeCloseTo(4 / 7, 12)
    // The counter ran ahead of the closings counted: capped, so on-time ≤ closure rate.
    expect(onTimeRateOf({ num: 9, den: 3 }, closure(5, 2))).toBeCloseTo(5 / 7, 12)
    expect(onTimeRateOf(null, closure(5, 2))).toBeNull()
    expect(onTimeRateOf({ num: 1, den: 1 }, closure(0, 0))).toBeNull()
    expect(onTimeRateOf({ num: 1, den: 1 }, null)).toBeNull()
  })

  it('takes reports, closings and rates from the breakdown, filings from the indicators, overdue from the summary', () => {
    // The early-morning indicators that showed 167 %: 5 closed / (1 handled + 2 overdue).
    const ind = {
      reported: 18,
      filed: 27,
      closed: 5,
      closure_rate: { num: 5, den: 3, rate: 5 / 3 },
      on_time_closure_rate: { num: 4, den: 3, rate: 4 / 3 },
      overdue_open: 2,
    }
    const summary: Summary = { total: 18, open: 4, closed: 13, overdue: 2, by_state: [] }
    const f = dayFigures(ind, summary, bd(20, 5, 2))
    expect(f).toEqual({ reported: 20, filed: 27, closed: 5, closureRate: 5 / 7, onTimeRate: 4 / 7, overdue: 2 })
    expect(formatRate(f.closureRate)).toBe('71.4%')
    expect(dayFigures(ind, null).overdue).toBe(2)
  })

  it('shows no rate rather than an unbounded one when the breakdown is missing', () => {
    const summary: Summary = { total: 20, open: 15, closed: 5, overdue: 1, by_state: [] }
    expect(dayFigures({ closure_rate: { num: 5, den: 3, rate: 5 / 3 } }, summary)).toEqual({
      reported: 20,
      filed: null,
      closed: null,
      closureRate: null,
      onTimeRate: null,
      overdue: 1,
    })
    expect(dayFigures(null, null).reported).toBeNull()
  })
})

/** A clock the test moves by hand. */
function fakeClock() {
  let now = 0
  let timers: { at: number; f: () => void; id: number }[] = []
  let seq = 0
  return {
    now: () => now,
    set: (f: () => void, ms: number) => {
      const id = ++seq
      timers.push({ at: now + ms, f, id })
      return id
    },
    clear: (h: unknown) => {
      timers = timers.filter((t) => t.id !== h)
    },
    advance(ms: number) {
      now += ms
      const due = timers.filter((t) => t.at <= now)
      timers = timers.filter((t) => t.at > now)
      due.forEach((t) => t.f())
    },
  }
}

describe('throttle', () => {
  it('runs the first event at once and folds a burst into one trailing run', () => {
    const clock = fakeClock()
    let runs = 0
    const t = throttle(() => runs++, 1000, clock)
    t()
    expect(runs).toBe(1)
    for (let i = 0; i < 50; i++) {
      clock.advance(10)
      t()
    }
    expect(runs).toBe(1)
    expect(t.pending).toBe(true)
    clock.advance(1000)
    expect(runs).toBe(2)
    expect(t.pending).toBe(false)
  })

  it('runs at most once per period under a steady stream, and never starves', () => {
    const clock = fakeClock()
    let runs = 0
    const t = throttle(() => runs++, 1000, clock)
    for (let i = 0; i < 1000; i++) {
      t()
      clock.advance(10)
    }
    // 10 s of events every 10 ms: about one run per second.
    expect(runs).toBeGreaterThanOrEqual(10)
    expect(runs).toBeLessThanOrEqual(11)
  })

  it('cancel drops the pending run; flush runs it now', () => {
    const clock = fakeClock()
    let runs = 0
    const t = throttle(() => runs++, 1000, clock)
    t()
    t()
    t.cancel()
    clock.advance(5000)
    expect(runs).toBe(1)
    t()
    expect(runs).toBe(2)
    t()
    t.flush()
    expect(runs).toBe(3)
    clock.advance(5000)
    expect(runs).toBe(3)
  })
})

describe('drill-down', () => {
  const city: WallDrill = { view: { parent: '', level: 'district' }, grid: null }

  it('follows the map: city → district → street → community', () => {
    expect(scopeOf(city)).toEqual({ kind: 'city', id: '' })
    let s = drillStep(city, { kind: 'shown', view: { parent: '410102', level: 'street' } })
    expect(scopeOf(s)).toEqual({ kind: 'district', id: '410102' })
    s = drillStep(s, { kind: 'shown', view: { parent: '410102002', level: 'community' } })
    expect(scopeOf(s)).toEqual({ kind: 'street', id: '410102002' })
    s = drillStep(s, { kind: 'shown', view: { parent: '410102002001', level: 'grid' } })
    expect(scopeOf(s)).toEqual({ kind: 'community', id: '410102002001' })
  })

  it('a picked grid narrows the scope; closing it or leaving the layer widens it again', () => {
    const community = drillStep(city, { kind: 'shown', view: { parent: '410102002001', level: 'grid' } })
    const picked = drillStep(community, { kind: 'grid', grid: { code: '410102002001003', name: '003号网格' } })
    expect(scopeOf(picked)).toEqual({ kind: 'grid', id: '410102002001003' })
    // The same layer redrawn (live colours) keeps the grid.
    expect(drillStep(picked, { kind: 'shown', view: { parent: '410102002001', level: 'grid' } }).grid?.code).toBe('410102002001003')
    expect(scopeOf(drillStep(picked, { kind: 'closeGrid' }))).toEqual({ kind: 'community', id: '410102002001' })
    const up = drillStep(picked, { kind: 'shown', view: { parent: '410102002', level: 'community' } })
    expect(up.grid).toBeNull()
    expect(scopeOf(up)).toEqual({ kind: 'street', id: '410102002' })
  })

  it('only a unit grid can be picked', () => {
    expect(drillStep(city, { kind: 'grid', grid: { code: '410102002', name: 'street' } })).toBe(city)
  })

  it('ranks the children of the scope', () => {
    expect(rankingKindOf({ kind: 'city', id: '' })).toBe('district')
    expect(rankingKindOf({ kind: 'district', id: '410102' })).toBe('street')
    expect(rankingKindOf({ kind: 'street', id: '410102002' })).toBe('community')
    expect(rankingKindOf({ kind: 'grid', id: '410102002001003' })).toBe('grid')
  })
})

describe('mixes', () => {
  const c = (source: string, cls: string | null) =>
    ({ source, class: cls ? { standard_ref: '', kind: 'matter', code: cls, name: `类${cls}` } : null }) as unknown as Case

  it('counts by key, most first, folding the tail into one slice that keeps the total', () => {
    const cases = [c('a', null), c('a', null), c('a', null), c('b', null), c('b', null), c('c', null), c('d', null)]
    const mix = mixOf(cases, (x) => ({ key: x.source, name: x.source }), 3, '其他')
    expect(mix).toEqual([
      { key: 'a', name: 'a', value: 3 },
      { key: 'b', name: 'b', value: 2 },
      { key: 'other', name: '其他', value: 2 },
    ])
    expect(mix.reduce((n, s) => n + s.value, 0)).toBe(cases.length)
    expect(mixOf(cases, (x) => ({ key: x.source, name: x.source }), 4, '其他').map((s) => s.key)).toEqual(['a', 'b', 'c', 'd'])
  })

  const b: Breakdown = {
    from: '2026-11-25T00:00:00+08:00',
    to: null,
    total: 10,
    by_source: [
      { source: 'inspector', label: '监督员上报', count: 2 },
      { source: 'citizen_app', label: '市民随手拍', count: 5 },
      { source: 'camera', label: 'AI摄像头', count: 2 },
      { source: 'weibo', label: '微博', count: 1 },
      { source: 'sensor', label: '物联网传感器', count: 0 },
    ],
    by_class: [
      { code: '06010', name: '暴露垃圾', count: 4 },
      { code: '01001', name: '', count: 2 },
    ],
    other_classes: 1,
    unclassified: 3,
    closure: { closed: 1, overdue_open: 1, due: 2, rate: 0.5 },
  }

  it('source mix from the server breakdown: most first, named, tail folded, total kept', () => {
    const mix = sourceSlices(b, (code, label) => (code === 'camera' ? 'Camera' : label), 3, '其他')
    expect(mix).toEqual([
      { key: 'citizen_app', name: '市民随手拍', value: 5 },
      { key: 'camera', name: 'Camera', value: 2 },
      { key: 'other', name: '其他', value: 3 },
    ])
    expect(mix.reduce((n, s) => n + s.value, 0)).toBe(b.total)
    expect(sourceSlices(b, () => '', 6, '其他').map((s) => s.name)).toEqual(['市民随手拍', 'AI摄像头', '监督员上报', '微博'])
    expect(sourceSlices(null, () => '', 6, '其他')).toEqual([])
  })

  it('top categories from the server breakdown, the code when a class has no name', () => {
    expect(categorySlices(b, 6)).toEqual([
      { key: '06010', name: '暴露垃圾', value: 4 },
      { key: '01001', name: '01001', value: 2 },
    ])
    expect(categorySlices(b, 1)).toHaveLength(1)
    expect(categorySlices(undefined, 6)).toEqual([])
  })

  it('folds a tail only past n', () => {
    const s = [
      { key: 'a', name: 'a', value: 3 },
      { key: 'b', name: 'b', value: 1 },
    ]
    expect(foldTail(s, 2, '其他')).toEqual(s)
    expect(foldTail(s, 1, '其他')).toEqual([{ key: 'other', name: '其他', value: 4 }])
  })
})

describe('markers', () => {
  it('colours cases by light', () => {
    expect(lightColour('red')).not.toBe(lightColour('green'))
    expect(lightColour('yellow')).not.toBe(lightColour('green'))
    expect(lightColour(null)).toBe(lightColour(undefined))
  })

  it('projects with the affine map through two reference points', () => {
    const p = affineFrom({ lon: 113.5, lat: 34.8, x: 0, y: 0 }, { lon: 113.7, lat: 34.7, x: 1000, y: 500 })
    expect(p).not.toBeNull()
    const [x, y] = p!(113.6, 34.75)
    expect(x).toBeCloseTo(500)
    expect(y).toBeCloseTo(250)
    expect(affineFrom({ lon: 1, lat: 1, x: 0, y: 0 }, { lon: 1, lat: 2, x: 5, y: 5 })).toBeNull()
  })

  it('vehicles glide from where they were drawn to the new fix, eased', () => {
    const g1 = glidesFor([], 1, [{ id: 1, at: [113.6, 34.7] }])
    expect(g1[0]).toEqual({ id: 1, from: [113.6, 34.7], to: [113.6, 34.7] })
    const g2 = glidesFor(g1, 1, [{ id: 1, at: [113.61, 34.7] }])
    expect(lerp(g2[0], 0)).toEqual([113.6, 34.7])
    expect(lerp(g2[0], 1)[0]).toBeCloseTo(113.61)
    expect(lerp(g2[0], 0.5)[0]).toBeCloseTo(113.605)
    // A new fix half-way through a glide starts from the drawn point: no jump back.
    const g3 = glidesFor(g2, 0.5, [{ id: 1, at: [113.62, 34.7] }])
    expect(g3[0].from[0]).toBeCloseTo(113.605)
    // A lost signal that reappears far away is placed, not dragged across the map.
    const g4 = glidesFor(g3, 1, [{ id: 1, at: [113.9, 34.9] }])
    expect(g4[0].from).toEqual([113.9, 34.9])
  })

  it('writes the clock in Shanghai time', () => {
    // 2026-11-24T16:05:09Z is 00:05:09 on the 25th in Shanghai.
    const c = clockText(Date.parse('2026-11-24T16:05:09Z'), 'zh-CN')
    expect(c.time).toBe('00:05:09')
    expect(c.date.startsWith('2026-11-25')).toBe(true)
    expect(c.date).toContain('星期三')
  })
})
