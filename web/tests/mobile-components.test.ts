// The phone components shared by the citizen and inspector views: the report body (photos, where,
// what) and the case timeline.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { defineComponent, h, reactive } from 'vue'
import type { CaseEvent } from '../src/api/types'
import CaseHeadCard from '../src/components/mobile/CaseHeadCard.vue'
import CaseTimeline from '../src/components/mobile/CaseTimeline.vue'
import PhotoGpsForm from '../src/components/mobile/PhotoGpsForm.vue'
import { setLocale } from '../src/i18n'

const ev = (id: number, action: string, note: string | null, at: string): CaseEvent =>
  ({ id, action, note, at, actor_id: 1, actor_role: 'operator', from_state: null, to_state: 'reported', attachments: [], data: {} }) as unknown as CaseEvent

beforeEach(() => setLocale('zh-CN'))
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('CaseTimeline', () => {
  const events = [
    ev(1, 'report', '内部备注', '2026-11-24T09:00:00+08:00'),
    ev(2, 'dispatch', '派环卫', '2026-11-24T09:10:00+08:00'),
    ev(3, 'feedback', '已清运', '2026-11-24T11:00:00+08:00'),
  ]

  it('lists the steps newest first, with only the public notes for citizens', () => {
    const w = mount(CaseTimeline, { props: { events, testid: 'tl' } })
    expect(w.findAll('li').map((li) => li.attributes('data-action'))).toEqual(['feedback', 'dispatch', 'report'])
    expect(w.findAll('.ev-note').map((n) => n.text())).toEqual(['已清运'])
    expect(w.find('[data-testid="tl"]').exists()).toBe(true)
  })

  it('shows every note to staff', () => {
    const w = mount(CaseTimeline, { props: { events, notes: 'all' } })
    expect(w.findAll('.ev-note').map((n) => n.text())).toEqual(['已清运', '派环卫', '内部备注'])
  })
})

describe('CaseHeadCard', () => {
  it('shows the number, the text and the slots', () => {
    const w = mount(CaseHeadCard, {
      props: { caseNo: '2026112400000001', description: '井盖缺失', noTestid: 'no', descriptionTestid: 'desc' },
      slots: { aside: '<b class="aside">核实</b>', details: '<p class="addr">建设路</p>' },
    })
    expect(w.get('[data-testid="no"]').text()).toBe('2026112400000001')
    expect(w.get('[data-testid="desc"]').text()).toBe('井盖缺失')
    expect(w.find('.aside').exists()).toBe(true)
    expect(w.find('.addr').exists()).toBe(true)
  })
})

describe('PhotoGpsForm', () => {
  it('binds the description, shows the messages it is given and the required marks', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } })))
    const form = reactive({ attachments: [] as number[], lat: null as number | null, lon: null as number | null, description: '', classCode: null as string | null, standardRef: null as string | null })
    const Host = defineComponent({
      setup() {
        return () =>
          h(PhotoGpsForm, {
            prefix: 'x',
            attachments: form.attachments,
            'onUpdate:attachments': (v: number[]) => (form.attachments = v),
            lat: form.lat,
            'onUpdate:lat': (v: number | null) => (form.lat = v),
            lon: form.lon,
            'onUpdate:lon': (v: number | null) => (form.lon = v),
            description: form.description,
            'onUpdate:description': (v: string) => (form.description = v),
            classCode: form.classCode,
            'onUpdate:classCode': (v: string | null) => (form.classCode = v),
            standardRef: form.standardRef,
            'onUpdate:standardRef': (v: string | null) => (form.standardRef = v),
            photosLabel: '照片',
            photosRequired: true,
            photosError: '请拍照',
            whereLabel: '位置',
            pointError: '请定位',
            descriptionLabel: '问题',
            descriptionPlaceholder: '写点什么',
            descriptionError: '',
          })
      },
    })
    const w = mount(Host, { global: { plugins: [ElementPlus] }, attachTo: document.body })
    await w.get('textarea[data-testid="x-description"]').setValue('路灯不亮')
    expect(form.description).toBe('路灯不亮')
    expect(w.findAll('.m-error').map((e) => e.text())).toEqual(['请拍照', '请定位'])
    expect(w.findAll('.req')).toHaveLength(3)
    expect(w.find('[data-testid="x-photos"]').exists()).toBe(true)
  })
})
