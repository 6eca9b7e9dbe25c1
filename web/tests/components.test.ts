import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import LightDot from '../src/components/LightDot.vue'
import { setLocale } from '../src/i18n'

describe('LightDot', () => {
  it.each([
    ['green', '绿灯（正常）'],
    ['yellow', '黄灯（将超时）'],
    ['red', '红灯（已超时）'],
  ])('shows a %s dot with its meaning', (light, title) => {
    const w = mount(LightDot, { props: { light } })
    const dot = w.get('span')
    expect(dot.classes()).toContain(`light-${light}`)
    expect(dot.attributes('data-light')).toBe(light)
    expect(dot.attributes('title')).toBe(title)
  })

  it('is grey once the case is finished (no light)', () => {
    const w = mount(LightDot, { props: { light: null } })
    expect(w.get('span').classes()).toContain('light-none')
    expect(w.get('span').attributes('title')).toBe('已办结')
  })

  it('follows the language switch', async () => {
    const w = mount(LightDot, { props: { light: 'red' } })
    setLocale('en')
    await w.vm.$nextTick()
    expect(w.get('span').attributes('title')).toBe('Red (overdue)')
    setLocale('zh-CN')
  })
})
