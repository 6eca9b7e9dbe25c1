import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import AddressSearch from '../src/components/intake/AddressSearch.vue'
import DuplicateCandidates from '../src/components/intake/DuplicateCandidates.vue'
import { setLocale } from '../src/i18n'

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
  setLocale('zh-CN')
})

describe('AddressSearch', () => {
  it('lets the operator pick one place of an ambiguous address', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        json(200, {
          kind: 'ambiguous',
          name: '桐柏路',
          message: '',
          candidates: [
            { label: '桐柏路（中原区）', area_code: '410102', lat: 34.755, lon: 113.61 },
            { label: '桐柏路（金水区）', area_code: '410105', lat: 34.756, lon: 113.65 },
          ],
        }),
      ),
    )
    const w = mount(AddressSearch)
    await w.get('input[data-testid="intake-address-input"]').setValue('桐柏路')
    await w.get('[data-testid="intake-address-search"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="intake-address-result"]').attributes('data-kind')).toBe('ambiguous')
    expect(w.emitted('place')).toBeUndefined()
    await w.get('[data-testid="intake-address-option-1"]').trigger('click')
    expect(w.emitted('place')?.[0]).toEqual([{ lat: 34.756, lon: 113.65, text: '桐柏路' }])
    expect(w.get('[data-testid="intake-address-result"]').text()).toContain('桐柏路（金水区）')
  })

  it('says so when nothing is recognised', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(422, { error: { code: 'address_not_found', message: '建设路 and 黄河路 do not meet' } })))
    const w = mount(AddressSearch)
    await w.get('input[data-testid="intake-address-input"]').setValue('火星基地')
    await w.get('[data-testid="intake-address-search"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="intake-address-result"]').attributes('data-kind')).toBe('not_found')
    expect(w.get('[data-testid="intake-address-result"]').text()).toContain('未能识别该地址')
    expect(w.get('[data-testid="intake-address-result"]').text()).toContain('do not meet')
    expect(w.emitted('place')).toBeUndefined()
  })
})

describe('DuplicateCandidates', () => {
  const candidate = (id: number, auto: boolean) => ({
    case: { id, case_no: `NO${id}`, state: 'reported', state_label: '待受理', created_at: '2026-11-24T10:00:00+08:00' },
    score: 0.93,
    distance_m: 12.4,
    age_minutes: 125,
    auto_link: auto,
  })
  const rule = { radius_m: 50, window_minutes: 4320, auto_link_score: 0.9 }

  it('lists the candidates and explains the server’s own link', async () => {
    vi.useFakeTimers()
    const urls: URL[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => {
        urls.push(new URL(String(input), 'http://ui.test'))
        return json(200, { candidates: [candidate(3, true), candidate(4, false)], rule, lat: 34.755, lon: 113.61 })
      }),
    )
    const w = mount(DuplicateCandidates, {
      props: { query: { class_code: '06010', lat: 34.755, lon: 113.61, source: 'hotline_12319' }, chosen: null },
    })
    await vi.advanceTimersByTimeAsync(500)
    await flushPromises()
    expect(urls).toHaveLength(1)
    expect(urls[0].pathname).toBe('/api/duplicates/candidates')
    expect(urls[0].searchParams.get('class_code')).toBe('06010')
    expect(w.get('[data-testid="intake-duplicates"]').attributes('data-state')).toBe('found')
    expect(w.get('[data-testid="intake-dup-3"]').text()).toBe('NO3')
    expect(w.text()).toContain('12 米')
    expect(w.text()).toContain('2 小时前')
    expect(w.get('[data-testid="intake-dup-auto"]').text()).toContain('NO3')
    expect(w.emitted('loaded')?.[0]?.[0]).toHaveLength(2)
  })

  it('asks nothing until the class and the point are known', async () => {
    vi.useFakeTimers()
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    const w = mount(DuplicateCandidates, { props: { query: null, chosen: null } })
    await vi.advanceTimersByTimeAsync(500)
    expect(fetch).not.toHaveBeenCalled()
    expect(w.get('[data-testid="intake-duplicates"]').attributes('data-state')).toBe('idle')
  })
})
