// Stand-in answers for API endpoints that a server may not have yet (assessment, practical
// matters, cycle tasks, muck permits), in the shapes crates/server/src/routes/{assessment,permits}.rs
// answer with. The browser
// tests install them with `mockMissing(page)`: a request goes to the real server first and only
// a 404/405 answer is replaced, so once the server has an endpoint its real answers are used.

const names = {
  department: ['中原区环卫中心', '中原区市政工程管理所', '中原区园林绿化中心', '中原区城市管理综合执法大队', '中原区交通运输局', '中原区公用事业服务中心', '建设路街道办事处', '秦岭路街道办事处'],
  street: ['建设路街道', '秦岭路街道', '绿东村街道', '中原西路街道', '三官庙街道', '汝河路街道', '桐柏路街道', '林山寨街道', '棉纺路街道', '须水街道', '莲湖街道', '航海西路街道', '西流湖街道', '柳湖街道'],
  road_chief: ['路长1', '路长2', '路长3', '路长4', '路长5', '路长6'],
  inspector: ['建设路街道监督员', '秦岭路街道监督员', '绿东村街道监督员', '中原西路街道监督员'],
}
const GRADE = (s) => (s >= 90 ? 'A' : s >= 80 ? 'B' : s >= 70 ? 'C' : s >= 60 ? 'D' : 'E')

export function rankings(kind) {
  const list = names[kind] ?? Array.from({ length: 8 }, (_, i) => `${kind} ${i + 1}`)
  const rows = list.map((name, i) => {
    const score = Math.round((96 - i * (45 / list.length) - (i % 3) * 1.7) * 10) / 10
    const den = 40 + ((i * 7) % 23)
    return {
      scope: { kind, id: String(1000 + i), name },
      indicators: {
        reported: 120 - i * 5,
        filed: 100 - i * 4,
        dispatched: 90 - i * 4,
        handled: 80 - i * 4,
        closed: 76 - i * 4,
        overdue_open: i,
        third_party_findings: i % 4,
        valid_reports: 110 - i * 5,
        closure_rate: { num: den - i * 2, den, rate: (den - i * 2) / den },
        on_time_closure_rate: { num: den - i * 3, den, rate: (den - i * 3) / den },
        handling_rate: { num: den - i, den, rate: (den - i) / den },
        on_time_handling_rate: { num: den - i * 2, den, rate: (den - i * 2) / den },
        rework_rate: { num: i, den, rate: i / den },
        valid_report_rate: { num: 100 - i, den: 110, rate: (100 - i) / 110 },
        missed_report_rate: { num: i, den: 50, rate: i / 50 },
        on_time_verification_rate: { num: 45 - i, den: 50, rate: (45 - i) / 50 },
        on_time_check_rate: { num: 0, den: 0, rate: null },
        avg_handling_hours: 5.5 + i * 0.8,
      },
      score,
      grade: GRADE(score),
      rank: i + 1,
    }
  })
  return { period: { from: '2026-11-01', to: '2026-11-30' }, rows }
}

export function series(from, to) {
  const out = []
  const start = new Date(`${from}T00:00:00Z`).getTime()
  const end = new Date(`${to}T00:00:00Z`).getTime()
  for (let t = start, i = 0; t <= end && i < 62; t += 86_400_000, i++) out.push({ date: new Date(t).toISOString().slice(0, 10), value: 8 + ((i * 5) % 11) })
  return { points: out }
}

const flag = (week_start, kind, scope, rank, composite, findings = 0) => ({
  week_start,
  scope,
  kind,
  rank,
  composite,
  third_party_findings: findings,
  flag_score: Math.max(0, composite - findings * 2),
})
const road = (n) => ({ kind: 'road_chief', id: String(n), name: `路长${n}` })
const street = (code, name) => ({ kind: 'street', id: code, name })

export function flags(week) {
  const ws = '2026-11-16'
  return {
    week: { from: ws, to: '2026-11-22' },
    road_chiefs: [flag(ws, 'red', road(3), 1, 94.2), flag(ws, 'red', road(1), 2, 91.5), flag(ws, 'black', road(6), 1, 58.1, 3)],
    streets: [flag(ws, 'red', street('410102002', '建设路街道'), 1, 92.8), flag(ws, 'black', street('410102013', '须水街道'), 1, 61.4, 2)],
    third_party: [],
  }
}

export function flagHistory() {
  const weeks = ['2026-11-16', '2026-11-09', '2026-11-02', '2026-10-26']
  return {
    tally: [],
    flags: weeks.flatMap((w, i) => [
      flag(w, 'red', road(1 + (i % 3)), 1, 93 - i),
      flag(w, 'red', street('410102002', '建设路街道'), 1, 92 - i),
      flag(w, 'black', road(6), 1, 58 + i, 3),
      flag(w, 'black', street(i % 2 ? '410102009' : '410102013', i % 2 ? '莲湖街道' : '须水街道'), 1, 60 + i, 1),
    ]),
  }
}

const CATS = ['城市环境提升', '道路交通秩序', '市政设施完善', '园林绿化美化', '便民服务优化', '智慧城管建设', '安全隐患整治']
export const categories = () => CATS.map((name, i) => ({ id: i + 1, name }))

export function matters() {
  const items = []
  for (let i = 0; i < 24; i++) {
    const status = i % 3 === 0 ? 'done' : i % 3 === 1 ? 'in_progress' : 'planned'
    const pct = status === 'done' ? 100 : status === 'in_progress' ? 30 + ((i * 7) % 60) : 0
    items.push({
      id: i + 1,
      category_id: (i % 7) + 1,
      title: ['背街小巷改造', '占道经营整治', '井盖病害处置', '口袋公园建设', '公厕提质改造', '违规广告清理', '渣土车夜间巡查', '路灯亮化'][i % 8] + `（第${Math.floor(i / 8) + 1}批）`,
      plan: '摸排问题清单，制定整改方案，分片包干，限期完成。',
      measures: ['建立问题台账', '责任到人、每周通报'],
      owner_department_id: (i % 6) + 1,
      owner_department_name: names.department[i % 6],
      milestones: [
        { title: '完成摸排', due: '2026-09-30', done_on: status === 'planned' ? null : '2026-09-28' },
        { title: '完成整改', due: '2026-12-31', done_on: status === 'done' ? '2026-11-10' : null },
      ],
      progress: pct ? [{ on: '2026-11-10', percent: pct, note: '按计划推进' }] : [],
      status,
    })
  }
  return { items }
}

export function mattersSummary() {
  const by = {}
  const { items } = matters()
  const total = { total: 0, done: 0, in_progress: 0, planned: 0, with_overdue_milestones: 0 }
  for (const c of categories()) by[c.id] = { total: 0, done: 0, in_progress: 0, planned: 0, with_overdue_milestones: 0 }
  for (const it of items) {
    for (const x of [total, by[it.category_id]]) {
      x.total++
      x[it.status]++
    }
  }
  total.with_overdue_milestones = 2
  return { total, by_category: categories().map((c) => ({ ...by[c.id], category_id: c.id, name: c.name })), by_department: [] }
}

export const cycleTasks = () => ({ tasks: [
  {
    id: 1,
    title: '碧沙岗夜市周一巡查',
    class_code: '0101',
    place: { kind: 'road', road_id: 'R0012', name: '建设路' },
    schedule: { kind: 'weekly', days: ['Mon', 'Thu'] },
    time: '08:00:00',
    non_working: 'next_working_day',
    inspector_id: 7,
  },
  {
    id: 2,
    title: '月度渣土消纳场检查',
    class_code: '0105',
    place: { kind: 'grid', code: '410102002001001' },
    schedule: { kind: 'monthly', day: 5 },
    time: '09:30:00',
    non_working: 'skip',
    inspector_id: 7,
  },
  {
    id: 3,
    title: '学校周边秩序巡查',
    class_code: '0102',
    place: { kind: 'point', lat: 34.7466, lon: 113.6253 },
    schedule: { kind: 'every_n_working_days', n: 3, anchor: '2026-11-02' },
    time: '07:30:00',
    non_working: 'keep',
    inspector_id: 8,
  },
] })

const rect = (w, s, e, n) => [{ exterior: [{ lon: w, lat: s }, { lon: e, lat: s }, { lon: e, lat: n }, { lon: w, lat: n }, { lon: w, lat: s }] }]
export const permits = () => [
  {
    id: 118,
    number: 'ZT-2026-0118',
    company: '郑州市中原区顺达渣土运输有限公司',
    vehicles: [
      { phone: '13800000101', plate: '豫A·M1001' },
      { phone: '13800000102', plate: '豫A·M1002' },
    ],
    construction_site: rect(113.6195, 34.7585, 113.6235, 34.7612),
    disposal_site: rect(113.5985, 34.7335, 113.6025, 34.7365),
    route: [
      { lon: 113.6215, lat: 34.7585 },
      { lon: 113.6215, lat: 34.7500 },
      { lon: 113.6100, lat: 34.7480 },
      { lon: 113.6060, lat: 34.7400 },
      { lon: 113.6005, lat: 34.7365 },
    ],
    corridor_width_m: 80,
    windows: [{ start: '22:00:00', end: '06:00:00' }],
    valid_from: '2026-11-01',
    valid_to: '2026-12-31',
  },
  {
    id: 97,
    number: 'ZT-2026-0097',
    company: '郑州恒通土方工程有限公司',
    vehicles: [{ phone: '13800000103', plate: '豫A·M1003' }],
    construction_site: rect(113.62, 34.73, 113.624, 34.733),
    disposal_site: rect(113.596, 34.744, 113.6, 34.747),
    route: [
      { lon: 113.622, lat: 34.73 },
      { lon: 113.61, lat: 34.738 },
      { lon: 113.598, lat: 34.744 },
    ],
    corridor_width_m: 60,
    windows: [],
    valid_from: '2026-10-01',
    valid_to: '2026-10-31',
  },
  {
    id: 120,
    number: 'ZT-2026-0120',
    company: '郑州宏远运输有限公司',
    vehicles: [{ phone: '13800000104', plate: '豫A·M1004' }],
    construction_site: rect(113.61, 34.76, 113.614, 34.763),
    disposal_site: rect(113.595, 34.733, 113.599, 34.737),
    route: [
      { lon: 113.612, lat: 34.76 },
      { lon: 113.597, lat: 34.737 },
    ],
    corridor_width_m: 50,
    windows: [{ start: '21:00:00', end: '23:30:00' }],
    valid_from: '2026-11-10',
    valid_to: '2026-12-10',
    revoked: true,
    revoked_at: '2026-11-20T10:00:00+08:00',
    revoked_reason: '车辆未密闭运输',
  },
]

let permits_ = null
/** The permits as this process has changed them (created, edited, revoked). */
const permitStore = () => (permits_ ??= permits())

// Supervision 督办 (`GET /api/supervision`) over real cases of the demo (so their links open),
// and the escalation rules (`/api/config/escalation-rules`) as this process has saved them.
const REASONS = [
  [true, '系统', '案卷亮红灯（超过办理时限），督办至部门负责人'],
  [false, '区领导', '群众反映强烈，请于今日内处置到位并反馈'],
  [true, '系统', '案卷超时 24 小时，督办至区领导'],
  [false, '区领导', '主干道影响通行，立即处置'],
  [true, '系统', '案卷返工达 2 次，督办至区领导'],
  [true, '系统', '群众回访不满意、案卷重新办理，督办至部门负责人'],
]
/** The supervision list built from `cases` (items of `GET /api/cases`): the last third finished. */
export function supervision(q, cases) {
  const all = cases.slice(0, 9).map((c, i) => {
    const closed = i >= 6
    const [automatic, actor_name, note] = REASONS[i % REASONS.length]
    const level = note.includes('区领导') ? 2 : 1
    const kase = closed
      ? { ...c, state: 'closed', state_label: '已结案', light: null, closed_at: '2026-11-23T16:20:00+08:00', supervision_level: level }
      : { ...c, supervision_level: level, light: i % 3 === 0 ? 'red' : c.light, node_used_minutes: i % 3 === 0 ? (c.node_limit_minutes ?? 60) + 95 : c.node_used_minutes }
    return { case: kase, level, events: 1 + (i % 3), last: { at: new Date(Date.UTC(2026, 10, 24, 1 + i, 15)).toISOString(), automatic, actor_name, note } }
  })
  const open = all.filter((x) => x.case.state !== 'closed')
  const items = q.status === 'closed' ? all.filter((x) => x.case.state === 'closed') : q.status === 'all' ? all : open
  return {
    items: items.slice(0, Number(q.limit ?? 50)),
    counts: { open: open.length, closed: all.length - open.length, level1: all.filter((x) => x.level === 1).length, level2: all.filter((x) => x.level === 2).length },
  }
}
export const escalationRules = () => ({
  rules: [
    { trigger: 'red_light', threshold: null, level: 1, enabled: true },
    { trigger: 'rework', threshold: 2, level: 2, enabled: true },
    { trigger: 'citizen_reopen', threshold: null, level: 1, enabled: true },
    { trigger: 'overdue_hours', threshold: 24, level: 2, enabled: true },
  ],
})
let rules_ = null
/** `PUT` checks as the server does: a whole threshold of at least 1 for rework and overdue_hours. */
function putRules(body) {
  const rules = Array.isArray(body?.rules) ? body.rules : null
  const bad = !rules || rules.some((r) => ['rework', 'overdue_hours'].includes(r.trigger) && !(Number.isInteger(r.threshold) && r.threshold >= 1))
  if (bad) return { status: 422, json: { error: { code: 'invalid_rules', message: 'a rework or overdue_hours rule needs a threshold of at least 1' } } }
  rules_ = { rules }
  return { json: rules_ }
}

/** The answer to a request the server does not know, or `null` to pass the 404 on. `ctx.cases`:
 * real cases for the supervision list. */
export function answer(method, url, body, ctx = {}) {
  const u = new URL(url)
  const p = u.pathname
  const q = Object.fromEntries(u.searchParams)
  if (p === '/api/supervision') return { json: supervision(q, ctx.cases ?? []) }
  if (p === '/api/config/escalation-rules') return method === 'PUT' ? putRules(body) : { json: rules_ ?? escalationRules() }
  if (p === '/api/assessment/indicators') return { json: rankings(q.scope_kind ?? 'department') }
  if (p === '/api/assessment/series') return { json: series(q.from ?? '2026-11-01', q.to ?? '2026-11-30') }
  if (p === '/api/assessment/flags') return { json: flags(q.week) }
  if (p === '/api/assessment/flags/history') return { json: flagHistory() }
  if (p === '/api/assessment/report.csv') return { body: '\ufeff排名,名称,得分\n1,建设路街道,92.8\n', type: 'text/csv; charset=utf-8', name: `assessment-${q.kind}-${q.period}.csv` }
  if (p === '/api/assessment/report.xlsx') return { body: 'PK', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', name: `assessment-${q.kind}-${q.period}.xlsx` }
  if (p === '/api/cycle-tasks') return method === 'POST' ? { status: 201, json: { ...body, id: 99 } } : { json: cycleTasks() }
  if (/^\/api\/cycle-tasks\/\d+$/.test(p)) return { status: 204 }
  if (p === '/api/matters/categories') return { json: { categories: categories() } }
  if (p === '/api/matters/summary') return { json: mattersSummary() }
  if (p === '/api/matters') return method === 'POST' ? { json: { id: 99, ...body } } : { json: matters() }
  if (/^\/api\/matters\/\d+\/progress$/.test(p)) return { json: matters().items[0] }
  if (p === '/api/permits') {
    const store = permitStore()
    if (method === 'POST') {
      if (!body?.route || body.route.length < 2) {
        const problems = [`the route has ${body?.route?.length ?? 0} point(s), at least 2 are needed`]
        return { status: 422, json: { error: { code: 'invalid_permit', message: `the permit is not usable: ${problems.join('; ')}`, problems } } }
      }
      const made = { ...body, id: 200 + store.length, revoked: false, revoked_at: null }
      store.push(made)
      return { status: 201, json: made }
    }
    let list = store
    if (q.plate) list = list.filter((x) => x.vehicles.some((v) => (v.plate ?? '').includes(q.plate)))
    if (q.valid_on) list = list.filter((x) => x.valid_from <= q.valid_on && q.valid_on <= x.valid_to)
    return { json: { items: list } }
  }
  const m = /^\/api\/permits\/([^/]+)(\/revoke)?$/.exec(p)
  if (m) {
    const store = permitStore()
    const i = store.findIndex((x) => String(x.id) === decodeURIComponent(m[1]))
    if (i < 0) return null
    if (m[2]) store[i] = { ...store[i], revoked: true, revoked_at: new Date().toISOString(), revoked_reason: body?.reason ?? '' }
    else if (method === 'PUT') store[i] = { ...store[i], ...body, id: store[i].id }
    return { json: store[i] }
  }
  return null
}

const MOCKED = /\/api\/(assessment|cycle-tasks|matters|permits|supervision|config\/escalation-rules)(\/|\?|$)/

/** Serves `answer()` for the endpoints above whenever the real server answers 404/405. */
export async function mockMissing(page, { always = false } = {}) {
  await page.route(MOCKED, async (route) => {
    const req = route.request()
    if (!always) {
      const real = await route.fetch().catch(() => null)
      if (real && real.status() !== 404 && real.status() !== 405) return route.fulfill({ response: real })
    }
    let body = null
    try {
      body = req.postDataJSON()
    } catch {
      body = null
    }
    // The supervision list stands on real cases (the caller's own view of them).
    let cases = []
    if (new URL(req.url()).pathname === '/api/supervision') {
      const r = await route.fetch({ url: new URL('/api/cases?limit=40', req.url()).toString(), method: 'GET', postData: undefined }).catch(() => null)
      cases = r && r.ok() ? ((await r.json()).items ?? []) : []
    }
    const a = answer(req.method(), req.url(), body, { cases })
    if (!a) return route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'not_found', message: 'not found' } }) })
    if (a.json !== undefined) return route.fulfill({ status: a.status ?? 200, contentType: 'application/json', body: JSON.stringify(a.json) })
    if (a.body !== undefined)
      return route.fulfill({ status: 200, contentType: a.type, headers: { 'content-disposition': `attachment; filename="${a.name}"` }, body: a.body })
    return route.fulfill({ status: a.status ?? 204, body: '' })
  })
}
