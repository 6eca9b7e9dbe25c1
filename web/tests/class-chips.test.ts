import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ClassChips from '../src/views/mobile/ClassChips.vue'

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

const suggestions = [
  { standard_ref: 'GB/T 47678.5-2026', kind: 'matter', code: '06010', name: '暴露垃圾', score: 0.9 },
  { standard_ref: 'GB/T 47678.5-2026', kind: 'component', code: '0105', name: '垃圾箱', score: 0.5 },
]

function mountChips(text: string) {
  const model = { code: null as string | null, standardRef: null as string | null }
  const w = mount(ClassChips, {
    props: {
      text,
      code: null,
      standardRef: null,
      'onUpdate:code': (v: string | null) => {
        model.code = v
        void w.setProps({ code: v })
      },
      'onUpdate:standardRef': (v: string | null) => {
        model.standardRef = v
        void w.setProps({ standardRef: v })
      },
    },
  })
  return { w, model }
}

describe('ClassChips', () => {
  it('asks once the typing settles and fills the class from a chip; a second tap clears it', async () => {
    vi.useFakeTimers()
    const fetch = vi.fn(async () => json(200, { suggestions }))
    vi.stubGlobal('fetch', fetch)
    const { w, model } = mountChips('路边')
    await w.setProps({ text: '路边垃圾' })
    await w.setProps({ text: '路边垃圾散落' })
    await vi.advanceTimersByTimeAsync(450)
    await flushPromises()
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(new URL((fetch.mock.calls[0] as unknown as [string])[0], 'http://x').searchParams.get('text')).toBe('路边垃圾散落')
    const chips = w.findAll('.m-chip')
    expect(chips.map((c) => c.text())).toEqual(['暴露垃圾', '垃圾箱'])
    await chips[1].trigger('click')
    expect(model).toEqual({ code: '0105', standardRef: 'GB/T 47678.5-2026' })
    expect(w.find('.m-chip.on').text()).toBe('垃圾箱')
    await w.find('.m-chip.on').trigger('click')
    expect(model).toEqual({ code: null, standardRef: null })
  })

  it('shows nothing while the server has no suggester (404)', async () => {
    vi.useFakeTimers()
    vi.stubGlobal('fetch', vi.fn(async () => json(404, { error: { code: 'not_found', message: 'API route not found' } })))
    const { w } = mountChips('井盖破损')
    await vi.advanceTimersByTimeAsync(450)
    await flushPromises()
    expect(w.find('[data-testid="class-chips"]').exists()).toBe(false)
  })
})
