// Vehicle filters, monitor readings against limits, live alarm merging and who may act on an alarm.
import { describe, expect, it } from 'vitest'
import type { Alarm } from '../src/api/alarms'
import type { Vehicle } from '../src/api/devices'
import {
  alarmActions,
  filterVehicles,
  fleetCounts,
  limitState,
  mergeAlarm,
  monitorOnline,
  normalizePlate,
  readingSeries,
  ruleMatches,
  vehicleColour,
  KIND_COLOURS,
  OFFLINE_COLOUR,
} from '../src/lib/devices'

function vehicle(id: number, plate: string, kind: string, online: boolean, extra: Partial<Vehicle> = {}): Vehicle {
  return { id, plate, kind, online, company: null, phone: null, terminal_id: null, registered: true, last_seen_at: null, position: null, ...extra }
}

const fleet = [
  vehicle(1, '豫A·M1001', 'muck_truck', true, { company: '郑州中原建投渣土运输有限公司', phone: '13800001111' }),
  vehicle(2, '豫A·M1002', 'muck_truck', false),
  vehicle(3, '豫A·S1001', 'sweeper', true),
  vehicle(4, '豫A·E1001', 'enforcement', false, { phone: '13900002222' }),
]

describe('filterVehicles', () => {
  const all = { kind: '', online: '' as const, q: '' }
  it('keeps everything without a filter', () => {
    expect(filterVehicles(fleet, all).map((v) => v.id)).toEqual([1, 2, 3, 4])
  })
  it('filters by kind and online state together', () => {
    expect(filterVehicles(fleet, { ...all, kind: 'muck_truck' }).map((v) => v.id)).toEqual([1, 2])
    expect(filterVehicles(fleet, { ...all, kind: 'muck_truck', online: 'online' }).map((v) => v.id)).toEqual([1])
    expect(filterVehicles(fleet, { ...all, online: 'offline' }).map((v) => v.id)).toEqual([2, 4])
  })
  it('finds a plate typed without the middle dot, in any case, or by company or terminal phone', () => {
    expect(filterVehicles(fleet, { ...all, q: 'am1002' }).map((v) => v.id)).toEqual([2])
    expect(filterVehicles(fleet, { ...all, q: ' 豫A M10 ' }).map((v) => v.id)).toEqual([1, 2])
    expect(filterVehicles(fleet, { ...all, q: '中原建投' }).map((v) => v.id)).toEqual([1])
    expect(filterVehicles(fleet, { ...all, q: '139000' }).map((v) => v.id)).toEqual([4])
    expect(filterVehicles(fleet, { ...all, q: 'nothing' })).toEqual([])
  })
  it('normalizes plates', () => {
    expect(normalizePlate('豫A·d 1234')).toBe('豫AD1234')
  })
  it('counts per kind and online', () => {
    expect(fleetCounts(fleet)).toEqual({ total: 4, online: 2, byKind: { muck_truck: 2, sweeper: 1, enforcement: 1 } })
  })
  it('colours by kind, grey when offline', () => {
    expect(vehicleColour(fleet[0]!)).toBe(KIND_COLOURS.muck_truck)
    expect(vehicleColour(fleet[1]!)).toBe(OFFLINE_COLOUR)
  })
})

describe('monitor readings', () => {
  it('charts the real-time values, skipping unreadable ones, oldest first', () => {
    const s = readingSeries([
      { data_time: '2026-11-24T10:10:00+08:00', cn: 2011, field: 'Rtd', value: '2.35', flag: 'N' },
      { data_time: '2026-11-24T10:00:00+08:00', cn: 2011, field: 'Rtd', value: '1.80', flag: 'N' },
      { data_time: '2026-11-24T10:05:00+08:00', cn: 2011, field: 'Rtd', value: '', flag: 'N' },
      { data_time: '2026-11-24T10:00:00+08:00', cn: 2051, field: 'Avg', value: '9.9', flag: 'N' },
    ])
    expect(s.field).toBe('Rtd')
    expect(s.points).toEqual([
      [Date.parse('2026-11-24T02:00:00Z'), 1.8],
      [Date.parse('2026-11-24T02:10:00Z'), 2.35],
    ])
  })
  it('falls back to averages when there are no real-time values', () => {
    const s = readingSeries([{ data_time: '2026-11-24T10:00:00+08:00', cn: 2051, field: 'Avg', value: 1.23, flag: 'N' }])
    expect(s).toEqual({ field: 'Avg', points: [[Date.parse('2026-11-24T02:00:00Z'), 1.23]] })
  })
  it('is over the 2.0 mg/m³ fume limit only above it', () => {
    expect(limitState(2.01, 2.0)).toBe('over')
    expect(limitState(2.0, 2.0)).toBe('ok')
    expect(limitState(null, 2.0)).toBe('none')
    expect(limitState(80, null)).toBe('none')
  })
  it('counts a monitor online for 15 minutes after its last report', () => {
    const now = Date.parse('2026-11-24T10:15:00+08:00')
    expect(monitorOnline({ last_seen_at: '2026-11-24T10:00:00+08:00' }, now)).toBe(true)
    expect(monitorOnline({ last_seen_at: '2026-11-24T09:59:59+08:00' }, now)).toBe(false)
    expect(monitorOnline({ last_seen_at: null }, now)).toBe(false)
  })
})

function alarm(id: number, state: string, extra: Partial<Alarm> = {}): Alarm {
  return {
    id,
    source_kind: 'vehicle',
    source_id: '13800001111',
    rule: 'muck.off_route',
    state,
    level: 'warning',
    message: `alarm ${id}`,
    lat: 34.75,
    lon: 113.6,
    grid_code: null,
    case_id: null,
    detail: null,
    raised_at: '2026-11-24T10:00:00+08:00',
    updated_at: '2026-11-24T10:00:00+08:00',
    cleared_at: null,
    ...extra,
  }
}

describe('mergeAlarm', () => {
  const shown = [alarm(2, 'raised'), alarm(1, 'acknowledged')]
  it('puts a new matching alarm first and counts it', () => {
    const r = mergeAlarm(shown, alarm(3, 'raised'), 'open', ['vehicle'])
    expect(r.items.map((a) => a.id)).toEqual([3, 2, 1])
    expect(r.delta).toBe(1)
  })
  it('ignores an alarm of another source kind', () => {
    const r = mergeAlarm(shown, alarm(3, 'raised', { source_kind: 'monitor' }), 'open', ['vehicle'])
    expect(r.items.map((a) => a.id)).toEqual([2, 1])
    expect(r.delta).toBe(0)
  })
  it('updates an alarm in place', () => {
    const r = mergeAlarm(shown, alarm(2, 'acknowledged', { updated_at: '2026-11-24T10:01:00+08:00' }), 'open', [])
    expect(r.items.map((a) => [a.id, a.state])).toEqual([
      [2, 'acknowledged'],
      [1, 'acknowledged'],
    ])
    expect(r.delta).toBe(0)
  })
  it('drops a cleared alarm from the open list', () => {
    const r = mergeAlarm(shown, alarm(1, 'cleared', { updated_at: '2026-11-24T10:02:00+08:00' }), 'open', [])
    expect(r.items.map((a) => a.id)).toEqual([2])
    expect(r.delta).toBe(-1)
  })
  it('keeps what is shown when an older event arrives late', () => {
    const newer = [alarm(2, 'linked', { updated_at: '2026-11-24T10:05:00+08:00', case_id: 7 })]
    const r = mergeAlarm(newer, alarm(2, 'raised', { updated_at: '2026-11-24T10:00:00+08:00' }), 'open', [])
    expect(r.items[0]?.state).toBe('linked')
  })
})

describe('alarmActions', () => {
  const operator = new Set(['operator'])
  const dispatcher = new Set(['dispatcher'])
  it('offers an operator or a dispatcher everything on a new alarm', () => {
    expect(alarmActions(alarm(1, 'raised'), operator)).toEqual(['acknowledge', 'case', 'clear'])
    expect(alarmActions(alarm(1, 'raised'), dispatcher)).toEqual(['acknowledge', 'case', 'clear'])
  })
  it('offers no acknowledge once acknowledged, and no case once linked', () => {
    expect(alarmActions(alarm(1, 'acknowledged'), operator)).toEqual(['case', 'clear'])
    expect(alarmActions(alarm(1, 'linked', { case_id: 9 }), operator)).toEqual(['clear'])
  })
  it('offers nothing on a cleared alarm, nor to a leader or an inspector', () => {
    expect(alarmActions(alarm(1, 'cleared'), operator)).toEqual([])
    expect(alarmActions(alarm(1, 'raised'), new Set(['leader']))).toEqual([])
    expect(alarmActions(alarm(1, 'raised'), new Set(['inspector', 'road_chief']))).toEqual([])
  })
})

describe('rule families', () => {
  it('matches a family prefix ending in a dot, or one rule exactly', () => {
    expect(ruleMatches('muck.off_route', 'muck.')).toBe(true)
    expect(ruleMatches('sweep.speed', 'muck.')).toBe(false)
    expect(ruleMatches('muck.off_route', 'muck.off_route')).toBe(true)
    expect(ruleMatches('muck.off_route_far', 'muck.off_route')).toBe(false)
    expect(ruleMatches('anything', undefined)).toBe(true)
  })
  it('keeps a live alarm of another family out of a muck-truck list', () => {
    const r = mergeAlarm([], alarm(5, 'raised', { rule: 'sweep.speed' }), 'open', ['vehicle'], 'muck.')
    expect(r).toEqual({ items: [], delta: 0 })
  })
})
