import { describe, expect, it } from 'vitest'
import type { PointOption, RouteDay, RouteInput } from '../src/api/routes'
import { daysLabel, formProblems, pointsOf, progress, routeStatus, statusTag, validFinish } from '../src/lib/routes'

function day(over: Partial<RouteDay> = {}): RouteDay {
  return {
    id: 'R1',
    name: '厨余一号线',
    truck: '13800000001',
    vehicle_id: 1,
    plate: '豫A·G0001',
    category: 'kitchen',
    any_truck: false,
    runs: true,
    finish_at: '2026-11-24T09:00:00+08:00',
    planned: 3,
    visited: 0,
    missed: 0,
    finished_at: null,
    on_time: null,
    points: [],
    ...over,
  }
}

const points: PointOption[] = [
  { id: 'K2', name: 'k2', category: 'kitchen' },
  { id: 'K1', name: 'k1', category: 'kitchen' },
  { id: 'O1', name: 'o1', category: 'other' },
]

function form(over: Partial<RouteInput> = {}): RouteInput {
  return {
    route_id: 'R-1',
    name: '厨余一号线',
    vehicle_id: 7,
    category: 'kitchen',
    points: ['K1', 'K2'],
    days: { kind: 'daily' },
    finish_by: '09:00',
    any_truck: false,
    ...over,
  }
}

describe('routeStatus', () => {
  it('follows the report', () => {
    expect(routeStatus(day({ runs: false, planned: 0 }))).toBe('not_running')
    expect(routeStatus(day())).toBe('pending')
    expect(routeStatus(day({ visited: 1 }))).toBe('in_progress')
    expect(routeStatus(day({ visited: 3, on_time: true }))).toBe('on_time')
    expect(routeStatus(day({ visited: 2, missed: 1, on_time: false }))).toBe('missed')
    expect(routeStatus(day({ visited: 3, missed: 1, on_time: false }))).toBe('done_late')
    expect(statusTag('missed')).toBe('danger')
    expect(statusTag('on_time')).toBe('success')
    expect(statusTag('not_running')).toBe('info')
  })

  it('progress is the visited share of the planned points', () => {
    expect(progress(day({ visited: 1 }))).toBe(33)
    expect(progress(day({ visited: 3 }))).toBe(100)
    expect(progress(day({ planned: 0, runs: false }))).toBe(0)
  })
})

describe('daysLabel', () => {
  it('names the schedule in both languages', () => {
    expect(daysLabel({ kind: 'daily' }, 'zh-CN')).toBe('每天')
    expect(daysLabel({ kind: 'working_days' }, 'en')).toBe('Working days')
    expect(daysLabel({ kind: 'weekdays', days: [5, 1, 3] }, 'zh-CN')).toBe('周一、三、五')
    expect(daysLabel({ kind: 'weekdays', days: [7, 6] }, 'en')).toBe('Sat, Sun')
  })
})

describe('the route form', () => {
  it('accepts a good route', () => {
    expect(formProblems(form(), points, true)).toEqual([])
    expect(formProblems(form({ route_id: undefined }), points, false)).toEqual([])
  })

  it('names each problem', () => {
    expect(formProblems(form({ route_id: 'bad id' }), points, true)).toEqual(['routes.err.id'])
    expect(formProblems(form({ name: '  ' }), points, true)).toEqual(['routes.err.name'])
    expect(formProblems(form({ vehicle_id: 0 }), points, true)).toEqual(['routes.err.vehicle'])
    expect(formProblems(form({ points: [] }), points, true)).toEqual(['routes.err.points'])
    expect(formProblems(form({ points: ['K1', 'K1'] }), points, true)).toEqual(['routes.err.duplicate'])
    expect(formProblems(form({ points: ['K1', 'O1'] }), points, true)).toEqual(['routes.err.category'])
    expect(formProblems(form({ points: ['K9'] }), points, true)).toEqual(['routes.err.category'])
    expect(formProblems(form({ days: { kind: 'weekdays', days: [] } }), points, true)).toEqual(['routes.err.days'])
    expect(formProblems(form({ finish_by: '25:00' }), points, true)).toEqual(['routes.err.finish'])
  })

  it('finish times are HH:MM from 00:01 to 24:00', () => {
    expect(validFinish('09:30')).toBe(true)
    expect(validFinish('24:00')).toBe(true)
    expect(validFinish('00:00')).toBe(false)
    expect(validFinish('24:01')).toBe(false)
    expect(validFinish('9:30')).toBe(false)
    expect(validFinish('09:60')).toBe(false)
  })

  it('offers the points of the route category, by id', () => {
    expect(pointsOf(points, 'kitchen').map((p) => p.id)).toEqual(['K1', 'K2'])
    expect(pointsOf(points, 'hazardous')).toEqual([])
  })
})
