// Assessment helpers: ISO weeks and months in Shanghai dates, grades and their colours, rate
// indicators, the top/bottom pick, flags in the API's several shapes with the history tally,
// practical-matter roll-ups and progress checks, cycle schedules in words.
import { describe, expect, it } from 'vitest'
import { normRankings, normSeries } from '../src/api/assessment'
import {
  categoryRows,
  columnsFor,
  cycleProblems,
  defaultPeriod,
  describeSchedule,
  donePercent,
  formatIndicator,
  gradeColour,
  gradeTagType,
  historyWeeks,
  isoDate,
  latestPercent,
  monthRange,
  normCounts,
  normGrade,
  normScope,
  normWeekday,
  parseDate,
  parseLatLon,
  periodQuery,
  periodRange,
  progressProblems,
  shanghaiToday,
  shiftMonth,
  shiftWeek,
  splitFlags,
  tallyFlags,
  topBottom,
  weekId,
  weekRange,
} from '../src/lib/assessment'

describe('periods', () => {
  it('gives an ISO week its Monday to Sunday', () => {
    expect(weekRange('2026-W47')).toEqual({ from: '2026-11-16', to: '2026-11-22' })
    // Week 1 of 2026 starts in 2025 (1 January 2026 is a Thursday).
    expect(weekRange('2026-W01')).toEqual({ from: '2025-12-29', to: '2026-01-04' })
    expect(weekRange('2026W47')).toEqual({ from: '2026-11-16', to: '2026-11-22' })
  })

  it('knows which years have a week 53', () => {
    expect(weekRange('2026-W53')).toEqual({ from: '2026-12-28', to: '2027-01-03' })
    expect(weekRange('2025-W53')).toBeNull()
    expect(weekRange('2026-W00')).toBeNull()
    expect(weekRange('2026-11')).toBeNull()
  })

  it('names the week of a date, across the year boundary', () => {
    expect(weekId(parseDate('2026-11-24')!)).toBe('2026-W48')
    expect(weekId(parseDate('2027-01-01')!)).toBe('2026-W53')
    expect(weekId(parseDate('2025-12-29')!)).toBe('2026-W01')
    expect(shiftWeek('2026-W53', 1)).toBe('2027-W01')
    expect(shiftWeek('2026-W01', -1)).toBe('2025-W52')
  })

  it('gives months their real last day', () => {
    expect(monthRange('2028-02')).toEqual({ from: '2028-02-01', to: '2028-02-29' })
    expect(monthRange('2026-02')).toEqual({ from: '2026-02-01', to: '2026-02-28' })
    expect(monthRange('2026-13')).toBeNull()
    expect(shiftMonth('2026-12', 1)).toBe('2027-01')
    expect(shiftMonth('2026-01', -1)).toBe('2025-12')
  })

  it('rejects dates that do not exist', () => {
    expect(parseDate('2026-02-30')).toBeNull()
    expect(parseDate('2026-2-3')).toBeNull()
    expect(isoDate(parseDate('2026-02-28')!)).toBe('2026-02-28')
  })

  it('takes today in Shanghai, not in UTC', () => {
    // 2026-11-24 17:30 UTC is already 25 November in Shanghai.
    expect(isoDate(shanghaiToday(Date.UTC(2026, 10, 24, 17, 30)))).toBe('2026-11-25')
    expect(isoDate(shanghaiToday(Date.UTC(2026, 10, 24, 15, 59)))).toBe('2026-11-24')
  })

  it('asks the API for weeks and months by id and for custom ranges by dates', () => {
    expect(periodQuery({ kind: 'week', week: '2026-W47' })).toEqual({ period: '2026-W47' })
    expect(periodQuery({ kind: 'month', month: '2026-11' })).toEqual({ period: '2026-11' })
    expect(periodQuery({ kind: 'custom', from: '2026-11-01', to: '2026-11-10' })).toEqual({ from: '2026-11-01', to: '2026-11-10' })
    expect(periodRange({ kind: 'custom', from: '2026-11-10', to: '2026-11-01' })).toBeNull()
  })

  it('defaults the week to the last complete one', () => {
    const today = parseDate('2026-11-24')! // a Tuesday of W48
    expect(defaultPeriod('week', today)).toEqual({ kind: 'week', week: '2026-W47' })
    expect(defaultPeriod('month', today)).toEqual({ kind: 'month', month: '2026-11' })
    expect(defaultPeriod('custom', today)).toEqual({ kind: 'custom', from: '2026-10-26', to: '2026-11-24' })
  })
})

describe('grades and indicators', () => {
  it('reads grades in any form and colours A green, E red', () => {
    expect(normGrade('b')).toBe('B')
    expect(normGrade({ value: 71, grade: 'C' })).toBe('C')
    expect(normGrade('F')).toBeNull()
    expect(gradeColour('A')).toBe('#2ba84a')
    expect(gradeColour('e')).toBe('#e03c31')
    expect(gradeColour(undefined)).toBe('#909399')
    expect(gradeTagType('D')).toBe('danger')
    expect(gradeTagType('A')).toBe('success')
  })

  it('shows rates as percentages and an empty denominator as a dash', () => {
    expect(formatIndicator({ num: 3, den: 4 })).toBe('75.0%')
    expect(formatIndicator({ num: 3, den: 4, rate: 0.75 })).toBe('75.0%')
    // A rate already in percent is not multiplied again.
    expect(formatIndicator({ num: 3, den: 4, rate: 75 })).toBe('75.0%')
    expect(formatIndicator({ num: 0, den: 0, rate: null })).toBe('—')
    expect(formatIndicator(12)).toBe('12')
    expect(formatIndicator(5.25)).toBe('5.3')
    expect(formatIndicator(undefined)).toBe('—')
  })

  it('picks the columns of a scope family that the rows have', () => {
    const rows = [{ indicators: { reported: 1, closed: 2, closure_rate: { num: 1, den: 2 } } }]
    expect(columnsFor('street', rows)).toEqual(['reported', 'closed', 'closure_rate'])
    // A family without preferred columns the rows have falls back to the first known ones.
    expect(columnsFor('dispatcher', rows)).toEqual(['reported', 'closed', 'closure_rate'])
  })

  it('takes the best and worst without counting anyone twice', () => {
    const rows = [3, 1, 6, 2, 5, 4].map((rank) => ({ rank, score: 100 - rank, name: `#${rank}` }))
    const { top, bottom } = topBottom(rows, 5)
    expect(top.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5])
    expect(bottom.map((r) => r.rank)).toEqual([6])
    const many = Array.from({ length: 14 }, (_, i) => ({ rank: i + 1, score: 90 - i }))
    const tb = topBottom(many, 5)
    expect(tb.bottom.map((r) => r.rank)).toEqual([10, 11, 12, 13, 14])
  })

  it('normalises the rankings answer, tolerating missing fields', () => {
    const r = normRankings({
      period: { from: '2026-11-01', to: '2026-11-30' },
      rows: [
        { scope: { kind: 'street', id: '410102002', name: '建设路街道' }, indicators: { reported: 5 }, score: { value: 88.5, grade: 'B' }, rank: 2 },
        { scope: { kind: 'area', code: '410102013' }, score: 91 },
      ],
    })
    expect(r.period).toEqual({ from: '2026-11-01', to: '2026-11-30' })
    expect(r.rows[0]).toMatchObject({ score: 88.5, grade: 'B', rank: 2 })
    expect(r.rows[1]!.scope).toEqual({ kind: 'street', id: '410102013', name: '410102013' })
    expect(r.rows[1]!.indicators).toEqual({})
    expect(r.rows[1]!.grade).toBeNull()
  })

  it('reads daily series in the usual shapes, in date order', () => {
    expect(normSeries({ days: [{ day: '2026-11-02', value: 4 }, { day: '2026-11-01', value: 3 }] })).toEqual([
      ['2026-11-01', 3],
      ['2026-11-02', 4],
    ])
    expect(normSeries([['2026-11-01', 3]])).toEqual([['2026-11-01', 3]])
    expect(normSeries({ from: '2026-11-30', values: [1, 2] })).toEqual([
      ['2026-11-30', 1],
      ['2026-12-01', 2],
    ])
    expect(normSeries({ '2026-11-01': 7 })).toEqual([['2026-11-01', 7]])
  })
})

describe('flags', () => {
  it('names scopes from either form and tells streets from grids by code length', () => {
    expect(normScope({ kind: 'area', code: '410102002' })).toEqual({ kind: 'street', id: '410102002', name: '410102002' })
    expect(normScope({ kind: 'area', code: '410102002001001' }).kind).toBe('grid')
    expect(normScope({ kind: 'road_chief', user_id: 7 }, '路长7')).toEqual({ kind: 'road_chief', id: '7', name: '路长7' })
    expect(normScope({ kind: 'person', role: 'dispatcher', user_id: 3, name: '派遣员' }).kind).toBe('dispatcher')
  })

  it('splits red from black whether they come apart or in one list, by rank', () => {
    const a = splitFlags({ red: [{ scope: { kind: 'road_chief', id: '2', name: 'B' }, rank: 2 }, { scope: { kind: 'road_chief', id: '1', name: 'A' }, rank: 1 }], black: [] })
    expect(a.red.map((f) => f.name)).toEqual(['A', 'B'])
    expect(a.red.every((f) => f.kind === 'red')).toBe(true)
    const b = splitFlags({ flags: [{ kind: 'black', scope: { kind: 'street', id: 's', name: '须水街道' }, composite: 58.1, third_party_findings: 3 }, { kind: 'red', scope: { kind: 'street', id: 't', name: '建设路街道' } }] })
    expect(b.black).toHaveLength(1)
    expect(b.black[0]).toMatchObject({ name: '须水街道', composite: 58.1, findings: 3 })
    expect(b.red.map((f) => f.name)).toEqual(['建设路街道'])
  })

  it('reads the review as the server sends it: road chiefs and streets, each record with its colour', () => {
    const f = splitFlags({
      week: { from: '2026-11-16', to: '2026-11-22' },
      road_chiefs: [
        { week_start: '2026-11-16', kind: 'black', rank: 1, composite: 58.1, scope: { kind: 'road_chief', id: '6', name: '路长6' } },
        { week_start: '2026-11-16', kind: 'red', rank: 1, composite: 94.2, scope: { kind: 'road_chief', id: '3', name: '路长3' } },
      ],
      streets: [{ week_start: '2026-11-16', kind: 'red', rank: 1, composite: 92.8, scope: { kind: 'street', id: '410102002', name: '建设路街道' } }],
      third_party: [],
    })
    expect(f.red.map((x) => x.name).sort()).toEqual(['建设路街道', '路长3'])
    expect(f.black.map((x) => [x.name, x.scopeKind, x.week])).toEqual([['路长6', 'road_chief', '2026-11-16']])
  })

  it('counts flags per scope and the black streak up to the latest week', () => {
    const rec = (w: string, kind: string, id: string) => ({ week_start: w, kind, scope: { kind: 'road_chief', id, name: `路长${id}` } })
    const weeks = historyWeeks({
      items: [
        rec('2026-11-02', 'black', '6'),
        rec('2026-11-09', 'black', '6'),
        rec('2026-11-16', 'black', '6'),
        rec('2026-11-02', 'black', '5'),
        rec('2026-11-09', 'red', '5'),
        rec('2026-11-16', 'black', '5'),
        rec('2026-11-16', 'red', '1'),
      ],
    })
    expect(weeks.map((w) => w.week)).toEqual(['2026-11-16', '2026-11-09', '2026-11-02'])
    const tally = tallyFlags(weeks)
    expect(tally[0]).toEqual({ scopeKind: 'road_chief', name: '路长6', red: 0, black: 3, blackStreak: 3 })
    const five = tally.find((t) => t.name === '路长5')!
    // Black, red, black: the streak restarted after the red week.
    expect(five).toMatchObject({ red: 1, black: 2, blackStreak: 1 })
    expect(tally.find((t) => t.name === '路长1')).toMatchObject({ red: 1, black: 0, blackStreak: 0 })
  })
})

describe('practical matters', () => {
  it('rolls up by category from a map or a list, with zeros for empty categories', () => {
    const cats = [
      { id: 1, name: '城市环境提升' },
      { id: 2, name: '道路交通秩序' },
    ]
    const fromMap = categoryRows({ by_category: { '1': { total: 4, done: 2, in_progress: 1, planned: 1 } } }, cats)
    expect(fromMap).toEqual([
      { id: 1, name: '城市环境提升', total: 4, done: 2, in_progress: 1, planned: 1, with_overdue_milestones: 0 },
      { id: 2, name: '道路交通秩序', total: 0, done: 0, in_progress: 0, planned: 0, with_overdue_milestones: 0 },
    ])
    const fromList = categoryRows({ by_category: [{ category_id: 3, name: '其他', done: 1, planned: 2 }] }, cats)
    expect(fromList.find((r) => r.id === 3)).toMatchObject({ name: '其他', total: 3, done: 1, planned: 2 })
  })

  it('computes the done share and the latest progress by date', () => {
    expect(donePercent(normCounts({ total: 1181, done: 391, in_progress: 189, planned: 601 }))).toBe(33.1)
    expect(donePercent(normCounts({}))).toBe(0)
    expect(latestPercent([{ on: '2026-11-10', percent: 60 }, { on: '2026-10-01', percent: 90 }])).toBe(60)
    expect(latestPercent([])).toBe(0)
  })

  it('checks a progress update before it is sent', () => {
    expect(progressProblems({ on: '2026-11-24', percent: 60, note: '完成改造' }, 40)).toEqual([])
    expect(progressProblems({ on: '2026-11-24', percent: 30, note: '  ' }, 40)).toEqual(['matters.err.backwards', 'matters.err.note'])
    expect(progressProblems({ on: '', percent: 101, note: 'x' }, 0)).toEqual(['matters.err.date', 'matters.err.percent'])
  })
})

describe('cycle tasks', () => {
  const zh = (d: string) => ({ Mon: '一', Tue: '二', Wed: '三', Thu: '四', Fri: '五', Sat: '六', Sun: '日' })[d]!

  it('puts schedules into words, weekdays in week order', () => {
    expect(describeSchedule({ kind: 'weekly', days: ['Thursday', 'Mon'] }, zh)).toEqual({ key: 'cycle.sched.weekly', params: { days: '一、四' } })
    expect(describeSchedule({ kind: 'monthly', day: 31 }, zh)).toEqual({ key: 'cycle.sched.monthly', params: { day: 31 } })
    expect(describeSchedule({ kind: 'every_n_working_days', n: 3, anchor: '2026-11-02' }, zh).params).toEqual({ n: 3, anchor: '2026-11-02' })
    expect(normWeekday(7)).toBe('Sun')
    expect(normWeekday('sat')).toBe('Sat')
  })

  it('checks a new cycle task field by field', () => {
    const ok = { title: '夜市巡查', class_code: '0101', placeKind: 'grid', placeValue: '410102002001001', scheduleKind: 'weekly', days: ['Mon'], monthDay: 1, n: 1, anchor: '2026-11-02', time: '08:00' }
    expect(cycleProblems(ok)).toEqual([])
    expect(cycleProblems({ ...ok, days: [], time: '8:00' })).toEqual(['cycle.err.days', 'cycle.err.time'])
    expect(cycleProblems({ ...ok, placeKind: 'point', placeValue: '113.6,34.7,1' })).toEqual(['cycle.err.point'])
    expect(cycleProblems({ ...ok, scheduleKind: 'every_n_working_days', n: 0, anchor: '' })).toEqual(['cycle.err.n', 'cycle.err.anchor'])
    expect(parseLatLon('34.7466，113.6253')).toEqual({ lat: 34.7466, lon: 113.6253 })
    expect(parseLatLon('134.7, 113.6')).toBeNull()
  })
})
