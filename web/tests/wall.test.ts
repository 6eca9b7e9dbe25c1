// The wall screen's logic: how figures read, how live events become redraws, which scope the
// panels follow as the map drills down, the mixes, and vehicles gliding between fixes.
import { describe, expect, it } from 'vitest'
import type { Case, Summary } from '../src/api/types'
import {
  affineFrom,
  clockText,
  dayFigures,
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
  topCategories,
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

  it('takes the day from the indicators and the live overdue count from the summary', () => {
    const ind = {
      reported: 18,
      filed: 27,
      closed: 30,
      closure_rate: { num: 30, den: 40, rate: 0.75 },
      on_time_closure_rate: { num: 29, den: 40, rate: 0.725 },
      overdue_open: 2,
    }
    const summary: Summary = { total: 18, open: 4, closed: 13, overdue: 5, by_state: [] }
    expect(dayFigures(ind, summary)).toEqual({ reported: 18, filed: 27, closed: 30, closureRate: 0.75, onTimeRate: 0.725, overdue: 5 })
    expect(dayFigures(ind, null).overdue).toBe(2)
  })

  it('falls back to the summary when there are no indicators', () => {
    const summary: Summary = { total: 20, open: 15, closed: 5, overdue: 1, by_state: [] }
    expect(dayFigures(null, summary)).toEqual({ reported: 20, filed: null, closed: 5, closureRate: 0.25, onTimeRate: null, overdue: 1 })
    expect(dayFigures(null, { ...summary, total: 0, closed: 0 }).closureRate).toBeNull()
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

  it('top categories skip cases without a class and keep the top n', () => {
    const cases = [c('a', '01'), c('a', '02'), c('a', '02'), c('a', null), c('a', '03'), c('a', '03'), c('a', '03')]
    expect(topCategories(cases, 2)).toEqual([
      { key: '03', name: '类03', value: 3 },
      { key: '02', name: '类02', value: 2 },
    ])
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
