// Browser walk through the supervision and assessment screens in a real Chromium: vehicles,
// environment, the command centre, indicator rankings, the weekly red/black flags, the
// practical-matters list, cycle tasks, supervision 督办, muck permits and the wall screen 一屏知全区 — in Chinese, then the assessment screens
// in English (no untranslated keys). Endpoints the server does not have yet are answered from
// e2e/mocks.mjs (only on a 404), so the walk runs before and after they land.
// Screenshots go to web/test-artifacts/screens-*.png.
//
// Env: as flow.test.mjs — YIWANG_BIN, YIWANG_E2E_URL, CHROMIUM.
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, artifacts, startDemo } from './harness.mjs'
import { mockMissing } from './mocks.mjs'

const TIMEOUT = 20_000

let baseUrl = ''
let browser = null
let demo = null

before(async () => {
  demo = await startDemo('yiwang-e2e-screens-')
  ;({ baseUrl, browser } = demo)
})

after(async () => {
  await demo?.close()
})

function field(scope, testid) {
  const id = `[data-testid="${testid}"]`
  return scope.locator(`input${id}, textarea${id}, ${id} input, ${id} textarea`).first()
}

async function signIn(username, locale = 'zh-CN') {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true })
  ctx.setDefaultTimeout(TIMEOUT)
  await ctx.addInitScript((l) => localStorage.setItem('yiwang.locale', l), locale)
  const page = await ctx.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.errors = errors
  await mockMissing(page)
  await page.goto(`${baseUrl}/login`)
  await field(page, 'login-username').fill(username)
  await field(page, 'login-password').fill(PASSWORD)
  await page.getByTestId('login-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  return page
}

/** A screenshot of the whole screen, the scrolling main area included. */
async function shot(page, name) {
  await page.evaluate(() => {
    const main = document.querySelector('.el-main')
    if (main) main.scrollTop = 0
  })
  // With a drawer or dialog open the screen is taken as it is (fixed overlays follow the viewport).
  const overlay = await page.evaluate(() => [...document.querySelectorAll('.el-overlay')].some((o) => getComputedStyle(o).display !== 'none'))
  if (overlay) return page.screenshot({ path: join(artifacts, `screens-${name}.png`) })
  const h = await page.evaluate(() => Math.max(900, (document.querySelector('.el-main')?.scrollHeight ?? 0) + 60))
  await page.setViewportSize({ width: 1440, height: Math.min(h, 2400) })
  await page.screenshot({ path: join(artifacts, `screens-${name}.png`) })
  await page.setViewportSize({ width: 1440, height: 900 })
}

/** Visible text that looks like an untranslated message key (`rank.title`). */
async function rawKeys(page) {
  const text = await page.evaluate(() => document.body.innerText)
  return [...new Set(text.match(/\b(?:rank|flags|matters|cycle|permit|period|scope|ind|report|menu|env|vehicle|alarm|wd|volunteers?)\.[a-z][A-Za-z_.]*/g) ?? [])]
}

test('supervision screens: vehicles, environment, command centre', async () => {
  const page = await signIn('leader')
  await page.goto(`${baseUrl}/vehicles`)
  await page.locator('[data-testid="fleet-map"][data-status="ready"]').waitFor()
  // 垃圾收运路线: the demo gives each garbage truck a route; the day's report lists them.
  await page.locator('[data-testid="collection-routes"][data-status="ready"]').waitFor()
  await page.locator('[data-testid="route-table"] [data-testid^="route-counts-"]').first().waitFor()
  assert.ok((await page.locator('[data-testid^="route-counts-"]').count()) >= 1)
  await shot(page, 'vehicles')
  await page.goto(`${baseUrl}/environment`)
  await page.getByTestId('monitor-table').waitFor()
  await page.locator('[data-testid="monitor-readings"]:not([data-points="0"]), [data-testid="readings-empty"]').first().waitFor()
  await page.waitForTimeout(1500)
  await shot(page, 'environment')
  await page.goto(`${baseUrl}/overview`)
  await page.locator('[data-testid="city-map"][data-status="ready"]').waitFor()
  await shot(page, 'command-centre')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

/** Clicks areas of the wall's map until it shows `level` (an area may sit under a panel). */
async function wallClickUntil(page, wantLevel) {
  const map = page.locator('[data-testid="wall-map"]')
  const codes = await page.evaluate(() => document.querySelector('[data-testid="wall-map"] .canvas').__codes())
  const box = await map.locator('.stage').boundingBox()
  for (const code of codes.slice(0, 12)) {
    const px = await page.evaluate((c) => document.querySelector('[data-testid="wall-map"] .canvas').__pixelOf(c), code)
    if (!px) continue
    await page.mouse.click(box.x + px[0], box.y + px[1])
    const ok = await page
      .locator(wantLevel === 'picked' ? '[data-testid="wall-grid"]' : `[data-testid="wall-map"][data-level="${wantLevel}"][data-status="ready"]`)
      .waitFor({ timeout: 3000 })
      .then(() => true, () => false)
    if (ok) return code
  }
  throw new Error(`no click on the wall map reached ${wantLevel}`)
}

/**
 * Waits for the wall's breakdown panel to show `area` ('' = all the user sees) and checks it
 * against `GET /api/stats/breakdown` asked by the same session: the total, the channel counts
 * (summing to the total) and the top classes.
 */
async function wallBreakdownIs(page, area) {
  const panel = page.locator(`[data-testid="wall-breakdown"][data-scope="${area}"]`)
  await panel.waitFor({ state: 'attached' })
  const server = await page.evaluate(async (a) => {
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
    const r = await fetch(`/api/stats/breakdown?from=${day}&top=6${a ? `&area=${a}` : ''}`, { credentials: 'include' })
    return r.json()
  }, area)
  const total = Number(await panel.getAttribute('data-total'))
  assert.ok(Math.abs(total - server.total) <= 3, `wall total ${total}, server ${server.total} (simulated reports keep coming)`)
  const sources = (await panel.getAttribute('data-sources')).split(',').filter(Boolean).map((x) => Number(x.split(':')[1]))
  assert.equal(sources.reduce((a, b) => a + b, 0), total, 'the source mix adds up to the day\'s reports')
  const classes = (await panel.getAttribute('data-classes')).split(',').filter(Boolean)
  assert.ok(classes.length <= 6)
  if (area.length <= 6) assert.ok(total > 0, 'the demo reports cases today')
  if (server.by_class.length) assert.ok(classes.length > 0, 'top problems shown')
  const due = Number(await panel.getAttribute('data-due'))
  const closed = Number(await panel.getAttribute('data-closed'))
  assert.ok(closed <= due, `closed ${closed} ≤ due ${due}`)
}

test('wall screen: dark full-screen command centre, live layer, drill-down to a grid, English', async () => {
  const page = await signIn('leader')
  await page.setViewportSize({ width: 1920, height: 1080 })
  await page.goto(`${baseUrl}/overview`)
  await page.getByTestId('open-wall').click()
  await page.waitForURL((u) => u.pathname === '/wall')
  // No menus or header of the ordinary layout.
  assert.equal(await page.locator('.el-aside, .el-header').count(), 0)
  await page.locator('[data-testid="wall-map"][data-status="ready"]').waitFor()
  const layer = page.getByTestId('wall-layer')
  await layer.waitFor()
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="wall-layer"]')?.getAttribute('data-vehicles')) > 0)
  assert.ok(Number(await layer.getAttribute('data-cases')) > 0, 'open cases on the map')
  assert.match(await page.getByTestId('wall-fig-reported').locator('.tile-v').innerText(), /^\d[\d,.]*(万|亿)?$/)
  await page.getByTestId('wall-trend').waitFor()
  // Source mix, top problems and the closure rate come from the server's breakdown of the day.
  await wallBreakdownIs(page, await page.getByTestId('wall').getAttribute('data-scope'))
  const closure = await page.getByTestId('wall-fig-closure').locator('.tile-v').innerText()
  assert.ok(closure === '—' || Number(closure.replace('%', '')) <= 100, `closure rate ${closure}`)
  await page.waitForTimeout(2500)
  await page.screenshot({ path: join(artifacts, 'screens-wall.png') })

  // District → street → community → grid, no page load.
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation').length)
  const top = await page.getByTestId('wall-map').getAttribute('data-level')
  if (top === 'district') await wallClickUntil(page, 'street')
  const street = await wallClickUntil(page, 'community')
  assert.equal(await page.getByTestId('wall').getAttribute('data-scope'), street)
  await wallBreakdownIs(page, street)
  await wallClickUntil(page, 'grid')
  await wallClickUntil(page, 'picked')
  assert.equal((await page.getByTestId('wall').getAttribute('data-scope')).length, 15, 'the figures follow the picked grid')
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), nav)
  await page.waitForTimeout(1500)
  await page.screenshot({ path: join(artifacts, 'screens-wall-drill.png') })

  await page.getByTestId('wall-lang').click()
  await page.getByText('City Operations Command Centre').waitFor()
  const text = await page.evaluate(() => document.body.innerText)
  assert.deepEqual([...new Set(text.match(/\bwall\.[a-z][A-Za-z_.]*/g) ?? [])], [], 'untranslated wall keys')
  await page.getByTestId('wall-lang').click()
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('rankings: a family over a month, the chart, a scope\'s indicators, another family', async () => {
  const page = await signIn('leader')
  await page.goto(`${baseUrl}/assessment/rankings`)
  const table = page.getByTestId('ranking-table')
  await table.locator('.el-table__body tr').first().waitFor()
  assert.ok((await table.locator('[data-grade]').count()) > 0)
  await page.getByTestId('ranking-chart').waitFor()
  await page.getByTestId('scope-kind').getByText('街道', { exact: true }).click()
  await table.locator('.el-table__body tr').first().waitFor()
  await table.locator('.el-table__body tr').first().click()
  await page.locator('.el-drawer').getByText('全部指标').waitFor()
  await shot(page, 'rankings-detail')
  await page.keyboard.press('Escape')
  await page.locator('.el-drawer').waitFor({ state: 'hidden' })
  await shot(page, 'rankings')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('weekly review: red and black flags, history, a report download', async () => {
  const page = await signIn('leader')
  await page.goto(`${baseUrl}/assessment/flags`)
  await page.getByTestId('red-flags').first().waitFor()
  assert.ok((await page.getByTestId('black-flags').count()) > 0)
  await page.getByTestId('flag-history').locator('.el-table__body tr').first().waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-weekly-csv').click()])
  assert.match(download.suggestedFilename(), /\.csv$/)
  await shot(page, 'flags')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('practical matters: roll-up and a progress update that must say what was done', async () => {
  const page = await signIn('leader')
  // A server with the API but an empty list gets one category and one item (through the API).
  const have = await page.request.get(`${baseUrl}/api/matters`)
  if (have.ok() && !(await have.json()).items?.length) {
    const cat = await (await page.request.post(`${baseUrl}/api/matters/categories`, { data: { name: '城市环境提升' } })).json()
    const depts = await (await page.request.get(`${baseUrl}/api/departments`)).json()
    const made = await page.request.post(`${baseUrl}/api/matters`, {
      data: { category_id: cat.id, title: '背街小巷改造', plan: '分片包干，限期完成', measures: ['建立问题台账'], owner_department_id: depts[0].id, milestones: [] },
    })
    assert.ok(made.ok(), `seeding a practical matter: HTTP ${made.status()}`)
  }
  await page.goto(`${baseUrl}/assessment/matters`)
  await page.getByTestId('matter-table').locator('.el-table__body tr').first().waitFor()
  await page.getByTestId('matter-progress').first().click()
  const dialog = page.getByTestId('progress-dialog')
  await dialog.getByTestId('progress-save').click()
  await dialog.getByText('请填写进展情况').waitFor()
  await shot(page, 'matters-progress')
  await field(dialog, 'progress-note').fill('完成 3 条巷道改造')
  await dialog.locator('.el-slider .el-input input').fill('100')
  await dialog.locator('.el-slider .el-input input').press('Enter')
  await dialog.getByTestId('progress-save').click()
  await page.getByText('进度已更新').waitFor()
  await shot(page, 'matters')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('cycle tasks: list and a new task checked before it is sent', async () => {
  const page = await signIn('leader')
  await page.goto(`${baseUrl}/assessment/cycle-tasks`)
  await page.locator('[data-testid="cycle-table"]').waitFor()
  // The demo's main-road tasks started a week back: their occurrences of the last seven days
  // are 周期案件 already, each linked to its case.
  const runCase = page.getByTestId('cycle-runs').getByTestId('cycle-run-case').first()
  await runCase.waitFor({ timeout: 20_000 })
  // Sent to the inspector at once: never left waiting for the operator (待受理).
  assert.match(await runCase.innerText(), /#\d+ · \S+/)
  assert.doesNotMatch(await page.getByTestId('cycle-runs').innerText(), /待受理/)
  await shot(page, 'cycle-runs')
  await page.getByTestId('cycle-new').click()
  await page.getByTestId('cycle-save').click()
  await page.getByTestId('cycle-dialog').getByText('请填写任务名称').waitFor()
  await shot(page, 'cycle-new')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('volunteers: counts for all eleven projects and the register', async () => {
  const page = await signIn('leader')
  await page.goto(`${baseUrl}/assessment/volunteers`)
  const projects = page.getByTestId('volunteer-projects')
  await projects.getByText('共享单车整治').waitFor()
  assert.equal(await projects.locator('.el-table__body tr').count(), 11)
  await page.getByTestId('volunteer-list').waitFor()
  await page.waitForTimeout(800)
  await shot(page, 'volunteers')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('supervision 督办: counts, open and finished cases, a case opened, the rules for admins', async () => {
  const page = await signIn('leader')
  await page.getByTestId('menu-assessment').click()
  await page.getByTestId('menu-supervision').click()
  await page.waitForURL('**/assessment/supervision')
  const table = page.getByTestId('supervision-table')
  const rows = table.locator('.el-table__body tr')
  await rows.first().waitFor()
  const open = await rows.count()
  assert.ok(open >= 1, 'open supervised cases are listed')
  assert.match(await page.getByTestId('count-open').innerText(), new RegExp(`督办中\\s*${open}`))
  // Every row has its level and how it was raised (the mock has both levels and both ways).
  assert.equal(await table.getByTestId('supervision-level').filter({ hasText: /^(部门督办|领导督办)$/ }).count(), open)
  assert.equal(await table.getByTestId('supervision-origin').filter({ hasText: /^(自动督办|人工督办)$/ }).count(), open)
  // Everyone who may read the rules sees them in words; only admins change them.
  const rules = page.getByTestId('escalation-rules')
  await rules.getByText('案卷返工达 2 次，督办至区领导').waitFor()
  assert.equal(await rules.getByTestId('rules-save').count(), 0)
  await page.waitForTimeout(600)
  await shot(page, 'supervision')
  // Finished ones, then back to the open ones and into a case.
  const closed = Number((await page.getByTestId('count-closed').innerText()).match(/\d+/)?.[0] ?? 0)
  await page.getByTestId('supervision-status').getByText('已办结').click()
  if (closed > 0) {
    await table.getByText('已结案').first().waitFor()
    assert.equal(await rows.filter({ hasText: '已结案' }).count(), await rows.count())
  } else {
    await table.getByText('暂无督办案卷').waitFor()
  }
  await page.getByTestId('supervision-status').getByText('督办中').click()
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="supervision-table"] .el-table__body tr').length === n, open)
  const no = (await table.getByTestId('supervision-case').first().innerText()).trim()
  await table.getByTestId('supervision-case').first().click()
  await page.waitForURL(/\/cases\/\d+$/)
  await page.getByText(no).first().waitFor()
  assert.deepEqual(page.errors, [])
  await page.context().close()

  // In English: no untranslated keys.
  const en = await signIn('leader', 'en')
  await en.goto(`${baseUrl}/assessment/supervision`)
  await en.getByTestId('supervision-table').locator('.el-table__body tr').first().waitFor()
  await en.getByTestId('supervision-level').filter({ hasText: /^(Department|Leader) supervision$/ }).first().waitFor()
  const text = await en.evaluate(() => document.body.innerText)
  assert.deepEqual([...new Set(text.match(/\bsupervision\.[a-z][A-Za-z_.]*/g) ?? [])], [])
  await en.waitForTimeout(600)
  await shot(en, 'en-supervision')
  await en.context().close()

  // An admin edits the rules: a bad threshold is refused before sending, a good one is saved.
  const admin = await signIn('admin')
  await admin.goto(`${baseUrl}/assessment/supervision`)
  const card = admin.getByTestId('escalation-rules')
  const rework = card.locator('[data-testid="rule-threshold"] input').first()
  await rework.waitFor()
  await rework.fill('0')
  await rework.press('Tab')
  await card.getByTestId('rule-problem').getByText('阈值至少为 1').waitFor()
  assert.equal(await card.getByTestId('rules-save').isDisabled(), true)
  await rework.fill('3')
  await rework.press('Tab')
  await card.getByText('案卷返工达 3 次，督办至区领导').waitFor()
  await card.getByTestId('rules-save').click()
  await admin.getByText('自动督办规则已保存').waitFor()
  await admin.reload()
  await admin.getByTestId('escalation-rules').getByText('案卷返工达 3 次，督办至区领导').waitFor()
  await admin.waitForTimeout(600)
  await shot(admin, 'supervision-rules')
  assert.deepEqual(admin.errors, [])
  await admin.context().close()
})

test('notifications: the outbox, the demo\'s 12345 webhook, a new webhook with its secret shown once', async () => {
  const page = await signIn('admin')
  await page.goto(`${baseUrl}/admin/notifications`)
  const hooks = page.getByTestId('webhook-table')
  await hooks.getByText('12345 政务服务平台 (demo)').first().waitFor()
  // The demo runs without its simulation here (pace 0): a citizen asks for a sign-in code.
  const sent = await page.request.post(`${baseUrl}/api/auth/otp`, { data: { phone: '13700001111' } })
  assert.equal(sent.status(), 202)
  await page.getByRole('button', { name: '刷新' }).click()
  const rows = page.getByTestId('notify-table').locator('.el-table__body tr')
  await rows.getByText('137****1111').first().waitFor()
  const form = page.getByTestId('webhook-form')
  await form.locator('input').nth(0).fill('区数据平台')
  await form.locator('input').nth(1).fill('https://example.org/hook')
  assert.equal(await form.getByRole('button', { name: '注册' }).isDisabled(), true, 'https is refused before sending')
  await form.locator('input').nth(1).fill('http://127.0.0.1:9/district-hook')
  await form.getByRole('button', { name: '注册' }).click()
  await page.getByTestId('webhook-secret').waitFor()
  await hooks.getByText('区数据平台').waitFor()
  await shot(page, 'notifications')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('muck permits: detail on the map, form checks, revoke', async () => {
  // Admins (and enforcement departments) write permits.
  const page = await signIn('admin')
  await page.goto(`${baseUrl}/permits`)
  const table = page.getByTestId('permit-table')
  await table.locator('.el-table__body tr').first().waitFor()
  await table.locator('.el-table__body tr').first().click()
  const layer = page.locator('[data-testid="permit-map"] [data-testid="permit-layer"]')
  await layer.waitFor()
  assert.ok(Number(await layer.getAttribute('data-route')) >= 2)
  await page.waitForTimeout(600)
  await shot(page, 'permit-detail')

  await page.getByTestId('permit-new').click()
  await page.getByTestId('permit-save').click()
  const errs = page.getByTestId('permit-form-errors')
  await errs.getByText('请填写核准证号').waitFor()
  await field(page, 'permit-number').fill('ZT-E2E-1')
  await field(page, 'permit-company').fill('测试运输公司')
  await field(page, 'permit-phone-0').fill('13800000199')
  await field(page, 'permit-construction').fill('113.6195,34.7585\n113.6235,34.7585\n113.6235,34.7612')
  await field(page, 'permit-disposal').fill('113.5985,34.7335\n113.6025,34.7335\n113.6025,34.7365')
  await field(page, 'permit-route').fill('113.6215,34.7585')
  await errs.getByText('路线至少需要 2 个点（现有 1 个）').waitFor()
  await page.waitForTimeout(1200)
  await shot(page, 'permit-form')
  // Complete the route: the permit is accepted and opens.
  const number = `ZT-E2E-${Date.now()}`
  await field(page, 'permit-number').fill(number)
  await field(page, 'permit-route').fill('113.6215,34.7585\n113.6215,34.7500\n113.6005,34.7365')
  await page.getByTestId('permit-save').click()
  await page.getByTestId('permit-detail').getByText(number).first().waitFor()

  const row = table.locator('.el-table__body tr', { hasText: number })
  await row.getByTestId('permit-revoke').click()
  await page.locator('.el-message-box input').fill('车辆未密闭')
  await page.locator('.el-message-box .el-button--primary').click()
  await row.getByText('已撤销').waitFor()
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('assessment screens in English have no untranslated keys', async () => {
  const page = await signIn('leader', 'en')
  for (const [path, name] of [
    ['/assessment/rankings', 'rankings'],
    ['/assessment/flags', 'flags'],
    ['/assessment/matters', 'matters'],
    ['/assessment/cycle-tasks', 'cycle'],
    ['/assessment/volunteers', 'volunteers'],
    ['/permits', 'permits'],
    ['/vehicles', 'vehicles'],
    ['/environment', 'environment'],
  ]) {
    await page.goto(`${baseUrl}${path}`)
    await page.waitForTimeout(1500)
    assert.deepEqual(await rawKeys(page), [], `untranslated keys on ${path}`)
    if (['rankings', 'flags', 'matters', 'permits'].includes(name)) await shot(page, `en-${name}`)
  }
  assert.deepEqual(page.errors, [])
  await page.context().close()
})
