// Supervision 督办: the list made whole (odd shapes tolerated, counts computed when missing),
// levels and origins named in both languages, the escalation rules in words, and the rules form
// checked the way the server will check it.
import { describe, expect, it } from 'vitest'
import { messages } from '../src/i18n/messages'
import {
  countsOf,
  DEFAULT_RULES,
  isClosed,
  levelLabel,
  levelTagType,
  newRule,
  normaliseList,
  normaliseRules,
  originLabel,
  problemText,
  ruleText,
  ruleIndexOf,
  rulesBody,
  SUPERVISION_ROLES,
  TRIGGERS,
  triggerLabel,
  validateRules,
  type RuleRow,
} from '../src/lib/supervision'

const kase = (id: number, state = 'handling', extra: Record<string, unknown> = {}) => ({
  id,
  case_no: `20261124${String(id).padStart(4, '0')}`,
  state,
  supervision_level: 1,
  closed_at: state === 'closed' ? '2026-11-24T10:00:00+08:00' : null,
  ...extra,
})

describe('supervision list', () => {
  it('keeps the server counts and the items with a case; level and last step made whole', () => {
    const list = normaliseList({
      items: [
        { case: kase(1), level: 2, events: 3, last: { at: '2026-11-24T09:00:00+08:00', automatic: true, actor_name: '系统', note: '案卷返工达 2 次' } },
        { case: kase(2, 'handling', { supervision_level: 2 }), events: '1', last: { at: '2026-11-24T08:00:00+08:00', automatic: false, actor_name: '区领导', note: '  ' } },
        { case: { id: '3', case_no: 'x', state: 'closed' }, level: '1' },
        { level: 2 },
        null,
      ],
      counts: { open: 12, closed: '4', level1: 10, level2: 6 },
    })
    expect(list.counts).toEqual({ open: 12, closed: 4, level1: 10, level2: 6 })
    expect(list.items.map((x) => x.case.id)).toEqual([1, 2, 3])
    expect(list.items[0]).toMatchObject({ level: 2, events: 3, last: { automatic: true, actor_name: '系统', note: '案卷返工达 2 次' } })
    // Level from the case when the item has none; a blank note is no reason.
    expect(list.items[1]).toMatchObject({ level: 2, events: 1, last: { automatic: false, note: null } })
    // No last step: no events claimed beyond what was sent.
    expect(list.items[2]).toMatchObject({ level: 1, events: 0, last: null })
  })

  it('counts the items itself when the server sends no counts', () => {
    const list = normaliseList([
      { case: kase(1), level: 1 },
      { case: kase(2, 'closed'), level: 2 },
      { case: kase(3, 'voided'), level: 2 },
    ])
    expect(list.counts).toEqual({ open: 1, closed: 2, level1: 1, level2: 2 })
    expect(countsOf([])).toEqual({ open: 0, closed: 0, level1: 0, level2: 0 })
    expect(normaliseList(null)).toEqual({ items: [], counts: { open: 0, closed: 0, level1: 0, level2: 0 } })
  })

  it('treats closed, voided, rejected and merged cases as finished', () => {
    for (const s of ['closed', 'voided', 'rejected', 'merged']) expect(isClosed({ state: s, closed_at: null }), s).toBe(true)
    expect(isClosed({ state: 'handling', closed_at: null })).toBe(false)
  })
})

describe('labels', () => {
  it('names both levels and both origins in Chinese and English', () => {
    expect(levelLabel(1)).toBe('部门督办')
    expect(levelLabel(2)).toBe('领导督办')
    expect(levelLabel(2, 'en')).toBe('Leader supervision')
    expect(levelLabel(7)).toBe('7')
    expect(levelTagType(2)).toBe('danger')
    expect(levelTagType(1)).toBe('warning')
    expect(originLabel(true)).toBe('自动督办')
    expect(originLabel(false)).toBe('人工督办')
    expect(originLabel(true, 'en')).toBe('Automatic')
    for (const tr of TRIGGERS) {
      expect(triggerLabel(tr)).not.toBe(tr)
      expect(triggerLabel(tr, 'en')).not.toBe(tr)
    }
  })

  it('describes the shipped rules in one sentence each', () => {
    expect(DEFAULT_RULES.map((r) => ruleText(r))).toEqual([
      '案卷亮红灯（超过办理时限），督办至部门负责人',
      '案卷返工达 2 次，督办至区领导',
      '群众回访不满意、案卷重新办理，督办至部门负责人',
      '案卷超时 24 小时，督办至区领导',
    ])
    expect(ruleText({ trigger: 'overdue_hours', threshold: 1, level: 1, enabled: false }, 'en')).toBe(
      'When a case is 1 hour overdue, it is supervised by the department head (off)',
    )
    expect(ruleText(DEFAULT_RULES[1], 'en')).toBe('When a case has been reworked 2 times, it is supervised by the district leader')
  })

  it('has every screen string in both languages and the menu for the four roles', () => {
    const zh = Object.keys(messages['zh-CN']).filter((k) => k.startsWith('supervision.'))
    expect(zh.length).toBeGreaterThan(20)
    for (const k of zh) expect(messages.en[k], k).toBeTruthy()
    expect(messages['zh-CN']['menu.supervision']).toBe('督办')
    expect([...SUPERVISION_ROLES].sort()).toEqual(['admin', 'dispatcher', 'leader', 'shift_supervisor'])
  })
})

describe('escalation rules form', () => {
  const rows = (): RuleRow[] => DEFAULT_RULES.map((r) => ({ ...r }))

  it('accepts the shipped rules', () => {
    expect(validateRules(rows())).toEqual([])
  })

  it('needs a whole threshold of at least 1 for rework and hours overdue', () => {
    const r = rows()
    r[1].threshold = null
    r[3].threshold = 0
    expect(validateRules(r)).toEqual([
      { index: 1, field: 'threshold', code: 'threshold_required' },
      { index: 3, field: 'threshold', code: 'threshold_range' },
    ])
    r[1].threshold = 1.5
    r[3].threshold = -2
    const p = validateRules(r)
    expect(p.map((x) => x.code)).toEqual(['threshold_whole', 'threshold_range'])
    expect(problemText(p[1], r)).toBe('阈值至少为 1')
    expect(problemText({ index: 1, field: 'threshold', code: 'threshold_required' }, r, 'en')).toBe('Enter the number of reworks')
    expect(problemText({ index: 3, field: 'threshold', code: 'threshold_required' }, r)).toBe('请填写超时小时数')
    r[1].threshold = 1
    r[3].threshold = 1000
    expect(validateRules(r)).toEqual([])
  })

  it('refuses a rule that repeats another, but allows two overdue thresholds', () => {
    const r = [...rows(), newRule('overdue_hours'), newRule('red_light')]
    expect(validateRules(r)).toEqual([
      { index: 4, field: 'trigger', code: 'duplicate' },
      { index: 5, field: 'trigger', code: 'duplicate' },
    ])
    r[4] = { trigger: 'overdue_hours', threshold: 8, level: 1, enabled: true }
    r.pop()
    expect(validateRules(r)).toEqual([])
  })

  it('refuses a level other than 1 or 2', () => {
    const r = rows()
    r[0].level = 3 as never
    expect(validateRules(r)).toEqual([{ index: 0, field: 'level', code: 'level' }])
  })

  it('sends thresholds only where a trigger takes one', () => {
    const r = rows()
    r[0].threshold = 5
    r[2].enabled = false
    expect(rulesBody(r).rules).toEqual([
      { trigger: 'red_light', threshold: null, level: 1, enabled: true },
      { trigger: 'rework', threshold: 2, level: 2, enabled: true },
      { trigger: 'citizen_reopen', threshold: null, level: 1, enabled: false },
      { trigger: 'overdue_hours', threshold: 24, level: 2, enabled: true },
    ])
  })

  it('finds the row a 422 names', () => {
    expect(ruleIndexOf('rule 0: Rework needs a threshold of at least 1', 4)).toBe(0)
    expect(ruleIndexOf('rule 7: RedLight takes no threshold', 4)).toBeNull()
    expect(ruleIndexOf('invalid rules', 4)).toBeNull()
  })

  it('reads the rules the server sends, unknown triggers dropped', () => {
    expect(
      normaliseRules({
        rules: [
          { trigger: 'rework', threshold: '3', level: 2, enabled: true },
          { trigger: 'weather', threshold: null, level: 1, enabled: true },
          { trigger: 'red_light', threshold: null, level: 9 },
        ],
      }),
    ).toEqual([
      { trigger: 'rework', threshold: 3, level: 2, enabled: true },
      { trigger: 'red_light', threshold: null, level: 1, enabled: true },
    ])
    expect(normaliseRules(undefined)).toEqual([])
  })
})
