import { afterEach, describe, expect, it, vi } from 'vitest'
import { intakeApi } from '../src/api/intake'
import { ApiError } from '../src/api/http'
import type { Case } from '../src/api/types'
import { setLocale, t } from '../src/i18n'
import { messages } from '../src/i18n/messages'
import {
  addressOutcome,
  addressQuery,
  afterFiling,
  ageParts,
  autoLinkTarget,
  duplicateQuery,
  queryKey,
} from '../src/lib/intake'
import { emptyReport } from '../src/lib/report'

afterEach(() => {
  vi.unstubAllGlobals()
  setLocale('zh-CN')
})

function caseOf(p: Partial<Case>): Case {
  return { id: 7, case_no: 'ZY20261124-0007', version: 1, state: 'reported', master_case_id: null, ...p } as Case
}

describe('address search', () => {
  it('turns a match into a point with its explanation', () => {
    const o = addressOutcome({
      kind: 'match',
      lat: 34.755,
      lon: 113.61,
      precision: 'intersection',
      area_code: '410102',
      area_name: '中原区',
      road_id: 'R1',
      road_name: '建设路',
      cross_road_id: 'R2',
      cross_road_name: '百花路',
      house_number: null,
      matched: ['建设路', '百花路'],
      notes: [],
      explain: '已定位到路口：建设路与百花路（中原区）',
      located: null,
    })
    expect(o).toEqual({ kind: 'match', lat: 34.755, lon: 113.61, explain: '已定位到路口：建设路与百花路（中原区）' })
  })

  it('lists every place of an ambiguous name to pick from', () => {
    const o = addressOutcome({
      kind: 'ambiguous',
      name: '建设路',
      message: 'x',
      candidates: [
        { label: '建设路（中原区）', area_code: '410102', lat: 34.75, lon: 113.61 },
        { label: '建设路（金水区）', area_code: '410105', lat: 34.76, lon: 113.65 },
      ],
    })
    expect(o.kind).toBe('ambiguous')
    if (o.kind !== 'ambiguous') return
    expect(o.name).toBe('建设路')
    expect(o.options.map((c) => c.label)).toEqual(['建设路（中原区）', '建设路（金水区）'])
    expect(o.options[1]).toEqual({ label: '建设路（金水区）', lat: 34.76, lon: 113.65 })
  })

  it('reads address_not_found (with its reason) or a 404 as not found and keeps other refusals as errors', () => {
    expect(addressOutcome(null, new ApiError(422, 'address_not_found', '建设路 and 黄河路 do not meet'))).toEqual({
      kind: 'not_found',
      message: '建设路 and 黄河路 do not meet',
    })
    expect(addressOutcome(null, new ApiError(404, 'not_found', 'address not found')).kind).toBe('not_found')
    const e = new ApiError(422, 'too_long', 'x')
    expect(addressOutcome(null, e)).toEqual({ kind: 'error', error: e })
  })

  it('sends only 1–200 trimmed characters', () => {
    expect(addressQuery('  建设路 ')).toBe('建设路')
    expect(addressQuery('   ')).toBeNull()
    expect(addressQuery('路'.repeat(200))).toHaveLength(200)
    expect(addressQuery('路'.repeat(201))).toBeNull()
  })

  it('asks GET /api/address with the text', async () => {
    const urls: URL[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => {
        urls.push(new URL(String(input), 'http://ui.test'))
        return new Response(JSON.stringify({ kind: 'ambiguous', name: '建设路', message: '', candidates: [] }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        })
      }),
    )
    const r = await intakeApi.lookupAddress('建设路')
    expect(r.kind).toBe('ambiguous')
    expect(urls[0].pathname).toBe('/api/address')
    expect(urls[0].searchParams.get('q')).toBe('建设路')
  })
})

describe('duplicate search before filing', () => {
  it('runs only for a caller channel with a class and a point', () => {
    const f = emptyReport('hotline_12319')
    expect(duplicateQuery(f)).toBeNull()
    f.classCode = '06010'
    expect(duplicateQuery(f)).toBeNull()
    f.lat = 34.755
    f.lon = 113.61
    f.description = '  路口有垃圾 '
    expect(duplicateQuery(f)).toEqual({
      class_code: '06010',
      lat: 34.755,
      lon: 113.61,
      source: 'hotline_12319',
      description: '路口有垃圾',
    })
    for (const s of ['hotline_12345', 'weibo', 'mailbox']) expect(duplicateQuery({ ...f, source: s })).not.toBeNull()
    for (const s of ['inspector', 'citizen_app', 'camera']) expect(duplicateQuery({ ...f, source: s })).toBeNull()
  })

  it('keys a search by what it asks, so the same one is not sent twice', () => {
    const f = { ...emptyReport('weibo'), classCode: '06010', lat: 34.7550001, lon: 113.61 }
    const k = queryKey(duplicateQuery(f))
    expect(queryKey(duplicateQuery({ ...f, lat: 34.7550002 }))).toBe(k)
    expect(queryKey(duplicateQuery({ ...f, lat: 34.756 }))).not.toBe(k)
    expect(queryKey(duplicateQuery({ ...f, description: '井盖' }))).not.toBe(k)
    expect(queryKey(null)).toBe('')
  })

  it('says the age in the largest whole unit', () => {
    expect(ageParts(0)).toEqual({ n: 0, unit: 'minute' })
    expect(ageParts(59)).toEqual({ n: 59, unit: 'minute' })
    expect(ageParts(60)).toEqual({ n: 1, unit: 'hour' })
    expect(ageParts(24 * 60 - 1)).toEqual({ n: 23, unit: 'hour' })
    expect(ageParts(3 * 24 * 60 + 5)).toEqual({ n: 3, unit: 'day' })
    expect(ageParts(-5)).toEqual({ n: 0, unit: 'minute' })
    setLocale('en')
    expect(t('intake.age.hour', { n: 2 })).toBe('2 h ago')
  })

  it('finds the candidate the server links by itself', () => {
    const c = (id: number, auto: boolean) => ({ case: caseOf({ id }), score: 0.5, distance_m: 3, age_minutes: 1, auto_link: auto })
    expect(autoLinkTarget([c(1, false), c(2, false)])).toBeNull()
    expect(autoLinkTarget([c(1, true), c(2, false)])?.case.id).toBe(1)
  })
})

describe('after filing', () => {
  it('reports the server’s own link and does not link again', () => {
    const created = caseOf({ state: 'merged', master_case_id: 3 })
    expect(afterFiling(created, 5, 'n')).toEqual({ kind: 'auto', masterId: 3 })
  })

  it('links to the chosen case with the new case’s version', () => {
    const created = caseOf({ version: 2 })
    expect(afterFiling(created, 3, '同一问题')).toEqual({
      kind: 'link',
      masterId: 3,
      request: { action: 'link_duplicate', expected_version: 2, master_case_id: 3, note: '同一问题' },
    })
  })

  it('does nothing without a choice (or with the case itself)', () => {
    expect(afterFiling(caseOf({}), null, '')).toEqual({ kind: 'none' })
    expect(afterFiling(caseOf({ id: 7 }), 7, '')).toEqual({ kind: 'none' })
  })
})

describe('strings', () => {
  it('has every intake string in Chinese and English', () => {
    const zh = Object.keys(messages['zh-CN']).filter((k) => k.startsWith('intake.'))
    const en = Object.keys(messages.en).filter((k) => k.startsWith('intake.'))
    expect(zh.length).toBeGreaterThan(20)
    expect(en.sort()).toEqual(zh.sort())
  })
})
