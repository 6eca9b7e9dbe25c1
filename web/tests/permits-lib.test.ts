// Muck permits without IO: coordinates typed or pasted, the form's checks (those of
// `Permit::validate`), the API body, a 422's problems mapped to fields, and a permit's state.
import { describe, expect, it } from 'vitest'
import {
  closeRing,
  emptyForm,
  fieldOfMessage,
  formToPermit,
  parsePoints,
  permitState,
  permitToForm,
  problemsFromApi,
  routeLengthM,
  validateForm,
  windowsText,
  type PermitForm,
} from '../src/lib/permits'

const good = (): PermitForm => ({
  ...emptyForm('2026-11-24'),
  number: 'ZT-2026-0118',
  company: '顺达渣土运输有限公司',
  vehicles: [{ phone: '13800000101', plate: '豫A·M1001' }],
  construction: '113.6195,34.7585\n113.6235,34.7585\n113.6235,34.7612',
  disposal: '[[113.5985,34.7335],[113.6025,34.7335],[113.6025,34.7365],[113.5985,34.7335]]',
  route: '113.6215,34.7585; 113.6215,34.75\n113.6005，34.7365',
  corridor_width_m: 80,
  windows: [{ start: '22:00', end: '06:00' }],
  valid_from: '2026-11-01',
  valid_to: '2026-12-31',
})

describe('coordinates', () => {
  it('reads lon,lat lines, semicolons, full-width commas and GeoJSON arrays', () => {
    expect(parsePoints('113.6,34.7\n113.61 34.71; 113.62，34.72').points).toEqual([
      { lon: 113.6, lat: 34.7 },
      { lon: 113.61, lat: 34.71 },
      { lon: 113.62, lat: 34.72 },
    ])
    expect(parsePoints('[[113.6,34.7],[113.61,34.71]]').points).toHaveLength(2)
    // A GeoJSON polygon's rings: the exterior is taken.
    expect(parsePoints('[[[1,2],[3,4],[5,6],[1,2]]]').points).toEqual([
      { lon: 1, lat: 2 },
      { lon: 3, lat: 4 },
      { lon: 5, lat: 6 },
      { lon: 1, lat: 2 },
    ])
  })

  it('numbers the lines that are not coordinates', () => {
    expect(parsePoints('113.6,34.7\nabc\n113.6\n113.6,34.7').bad).toEqual([2, 3])
    expect(parsePoints('  ')).toEqual({ points: [], bad: [] })
  })

  it('closes rings once', () => {
    const open = [
      { lon: 0, lat: 0 },
      { lon: 1, lat: 0 },
      { lon: 1, lat: 1 },
    ]
    expect(closeRing(open)).toHaveLength(4)
    expect(closeRing(closeRing(open))).toHaveLength(4)
  })

  it('measures a route in metres', () => {
    // 0.01° of latitude is about 1.1 km.
    const m = routeLengthM([
      { lon: 113.6, lat: 34.7 },
      { lon: 113.6, lat: 34.71 },
    ])
    expect(m).toBeGreaterThan(1100)
    expect(m).toBeLessThan(1112)
  })
})

describe('form checks', () => {
  it('accepts a complete permit', () => {
    expect(validateForm(good())).toEqual([])
  })

  it('lists every problem of an empty form at its field', () => {
    const f = { ...emptyForm('2026-11-24'), windows: [{ start: '22:00', end: '22:00' }], corridor_width_m: 0 }
    const p = validateForm(f)
    expect(p.map((x) => [x.field, x.key])).toEqual([
      ['number', 'permit.err.number'],
      ['company', 'permit.err.company'],
      ['vehicles', 'permit.err.noVehicle'],
      ['construction', 'permit.err.site'],
      ['disposal', 'permit.err.site'],
      ['route', 'permit.err.route'],
      ['corridor_width_m', 'permit.err.width'],
      ['windows', 'permit.err.windowEmpty'],
    ])
    expect(p.find((x) => x.field === 'route')!.params).toEqual({ n: 0 })
  })

  it('does not count a closing point as a corner of a site', () => {
    const f = { ...good(), construction: '1,1\n2,1\n1,1' }
    expect(validateForm(f).map((x) => x.key)).toEqual(['permit.err.site'])
  })

  it('wants terminal phones as digits, as the gateway reports them', () => {
    const f = { ...good(), vehicles: [{ phone: '1380000010a', plate: '' }] }
    expect(validateForm(f).map((x) => x.key)).toEqual(['permit.err.phoneDigits'])
  })

  it('catches a truck without a phone, reversed dates and coordinates out of range', () => {
    const f = { ...good(), vehicles: [{ phone: '', plate: '豫A·1' }], valid_from: '2026-12-31', valid_to: '2026-11-01', route: '200,34\n113,34' }
    expect(validateForm(f).map((x) => [x.field, x.key])).toEqual([
      ['vehicles', 'permit.err.phone'],
      ['route', 'permit.err.range'],
      ['valid_to', 'permit.err.reversed'],
    ])
  })
})

describe('the API body', () => {
  it('builds the Permit struct without an id (the server assigns it): closed rings, no empty plates', () => {
    const f = good()
    f.vehicles.push({ phone: '13800000102', plate: ' ' })
    const p = formToPermit(f)
    expect('id' in p).toBe(false)
    expect(p.vehicles).toEqual([{ phone: '13800000101', plate: '豫A·M1001' }, { phone: '13800000102' }])
    expect(p.construction_site[0]!.exterior).toHaveLength(4)
    expect(p.construction_site[0]!.exterior[3]).toEqual(p.construction_site[0]!.exterior[0])
    expect(p.disposal_site[0]!.exterior).toHaveLength(4)
    expect(p.route).toHaveLength(3)
    expect(p.windows).toEqual([{ start: '22:00', end: '06:00' }])
    expect(p.corridor_width_m).toBe(80)
  })

  it('round-trips through the form', () => {
    const p = formToPermit(good())
    const back = formToPermit(permitToForm({ ...p, id: '7', windows: [{ start: '22:00:00', end: '06:00:00' }] }))
    expect(back).toEqual(p)
  })
})

describe('422 answers', () => {
  it('maps PermitError messages to the fields they are about', () => {
    const ps = problemsFromApi(
      { code: 'invalid_permit', message: 'x' },
      'permit "p1" is invalid: no vehicle is named; the disposal site has no polygon with at least 3 points; valid_from 2026-12-01 is after valid_to 2026-11-01',
    )
    expect(ps.map((p) => p.field)).toEqual(['vehicles', 'disposal', 'valid_to'])
    expect(ps[0]!.params).toEqual({ msg: 'no vehicle is named' })
  })

  it('maps the server\'s own 422 body (problems as sentences) field by field', () => {
    // As `POST /api/permits` answered in the demo.
    const details = {
      code: 'invalid_permit',
      message: 'the permit is not usable: …',
      problems: [
        'the disposal site has no polygon with at least 3 points',
        'the route has 1 point(s), at least 2 are needed',
        'the corridor width 0 m is not positive',
        'time window 0 starts and ends at 22:00:00',
        'valid_from 2026-12-01 is after valid_to 2026-11-01',
      ],
    }
    expect(problemsFromApi(details, '').map((p) => p.field)).toEqual(['disposal', 'route', 'corridor_width_m', 'windows', 'valid_to'])
  })

  it('takes structured problems and field maps as given', () => {
    expect(problemsFromApi({ problems: [{ field: 'corridor_width_m', message: 'must be positive' }, 'the route has 1 point(s), at least 2 are needed'] }, '').map((p) => p.field)).toEqual([
      'corridor_width_m',
      'route',
    ])
    expect(problemsFromApi({ fields: { number: 'already used' } }, '')).toEqual([{ field: 'number', key: '', params: { msg: 'already used' } }])
    expect(fieldOfMessage('time window 0 starts and ends at 22:00')).toBe('windows')
    expect(fieldOfMessage('the id is empty')).toBe('id')
    expect(fieldOfMessage('something else')).toBe('general')
  })
})

describe('state and hours', () => {
  const p = { valid_from: '2026-11-01', valid_to: '2026-11-30' }
  it('tells valid, pending, expired and revoked apart', () => {
    expect(permitState(p, '2026-11-30')).toBe('valid')
    expect(permitState(p, '2026-12-01')).toBe('expired')
    expect(permitState(p, '2026-10-31')).toBe('pending')
    expect(permitState({ ...p, revoked_at: '2026-11-20T10:00:00+08:00' }, '2026-11-21')).toBe('revoked')
  })

  it('writes hours with the next-day mark and all day for none', () => {
    expect(windowsText([{ start: '22:00:00', end: '06:00:00' }, { start: '12:00', end: '13:30' }], '全天', '（次日）')).toBe('22:00–06:00（次日）, 12:00–13:30')
    expect(windowsText([], '全天', '（次日）')).toBe('全天')
  })
})
