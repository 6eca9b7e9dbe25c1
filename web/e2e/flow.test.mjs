// End-to-end: the whole case loop through the web UI in a real Chromium.
//
// Starts `yiwang demo --pace 0` on a free port with a temporary database (or uses the server at
// YIWANG_E2E_URL), then, each person in their own browser context:
//   operator reports a hotline case and sends it to verify → inspector verifies with a photo →
//   shift supervisor files → dispatcher dispatches → department accepts and feeds back with a
//   photo → operator sends the check → inspector checks with a photo → supervisor closes.
// Then the city map: the leader's command centre (up to the city, drilled down to a community's
// unit grids) and a citizen reporting by clicking the spot on the map.
// Screenshots of every main screen go to web/test-artifacts/.
//
// Env: YIWANG_BIN (the binary; default <repo>/target/debug/yiwang), YIWANG_E2E_URL (use a
// running server instead), CHROMIUM (default /usr/bin/chromium), E2E_SLOWMO (ms).
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, artifacts, field, settledShot, signInAs, startDemo } from './harness.mjs'
import { makePng } from './png.mjs'

const TIMEOUT = 20_000

let baseUrl = ''
let browser = null
let demo = null

before(async () => {
  demo = await startDemo('yiwang-e2e-')
  ;({ baseUrl, browser } = demo)
})

after(async () => {
  await demo?.close()
})

async function signIn(username) {
  return signInAs(browser, baseUrl, username, { height: 900, timeout: TIMEOUT })
}

const shot = settledShot

async function openCase(page, id) {
  await page.goto(`${baseUrl}/cases/${id}`)
  await page.getByTestId('case-state').waitFor()
}

async function expectState(page, state) {
  await page.locator(`[data-testid="case-state"][data-state="${state}"]`).waitFor()
}

/** Picks the option labelled `label` (or the first enabled one) in an Element Plus select. */
async function pickOption(page, testid, label, search) {
  const select = page.getByTestId(testid)
  await select.click()
  if (search) await select.locator('input').fill(search)
  const items = page.locator('.el-select-dropdown:visible .el-select-dropdown__item:not(.is-disabled)')
  const item = label ? items.filter({ hasText: label }).first() : items.first()
  await item.click()
}

/** Opens the action's dialog, lets `fill` fill it in, sends it and waits for the dialog to close. */
async function act(page, action, fill) {
  await page.locator(`[data-testid="case-actions"] [data-action="${action}"]`).click()
  const dialog = page.locator('.el-dialog:visible')
  await dialog.waitFor()
  if (fill) await fill(dialog)
  await dialog.getByTestId('action-submit').click()
  await dialog.waitFor({ state: 'hidden' })
}

async function uploadPhoto(page, testid, name, colours) {
  const before = await page.getByTestId(testid).locator('.item').count()
  await page.getByTestId(`${testid}-input`).setInputFiles({ name, mimeType: 'image/png', buffer: makePng(...colours) })
  await page.getByTestId(testid).locator('.item').nth(before).waitFor()
}

/** The city map with `testid` once it shows `level` (and, if given, the areas under `parent`). */
async function mapReady(page, testid, level, parent) {
  const sel = `[data-testid="${testid}"][data-status="ready"][data-level="${level}"]` + (parent !== undefined ? `[data-parent="${parent}"]` : '')
  await page.locator(sel).waitFor()
  // Let ECharts lay out and paint the new layer.
  await page.waitForTimeout(300)
  return page.locator(sel)
}

/** The codes of the areas the map shows. */
async function mapCodes(page, testid) {
  return page.locator(`[data-testid="${testid}"] .canvas`).evaluate((el) => el.__codes())
}

/** Clicks inside area `code` on the map `testid` (a point inside its outline, in page pixels). */
async function clickArea(page, testid, code) {
  const canvas = page.locator(`[data-testid="${testid}"] .canvas`)
  const px = await canvas.evaluate((el, c) => el.__pixelOf(c), code)
  assert.ok(px, `area ${code} is drawn on ${testid}`)
  await canvas.click({ position: { x: px[0], y: px[1] } })
}

/** Features in the map's current layer. */
async function mapFeatures(page, testid) {
  return Number(await page.getByTestId(testid).getAttribute('data-features'))
}

/** Who is who in the demo district, read through the API (set-up, not part of the UI flow). */
async function demoDirectory() {
  const login = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  })
  assert.equal(login.status, 200)
  const { token } = await login.json()
  const get = async (p) => {
    const r = await fetch(`${baseUrl}${p}`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(r.status, 200, p)
    return r.json()
  }
  const users = await get('/api/users')
  const byName = (u) => users.find((x) => x.user.username === u)
  const inspector = byName('inspector1')
  const street = inspector.grants.find((g) => g.role === 'inspector').area
  const district = street.slice(0, 6)
  const districts = await get('/api/areas')
  const streets = await get(`/api/areas?parent=${district}`)
  const depts = await get('/api/departments')
  const dept1 = byName('dept1').grants[0].department_id
  return {
    inspectorName: inspector.user.display_name,
    streetCode: street,
    districtName: districts.find((a) => a.code === district).name,
    streetName: streets.find((a) => a.code === street).name,
    departmentName: depts.find((d) => d.id === dept1).name,
  }
}

test('the case loop through the web UI', async (t) => {
  const dir = await demoDirectory()
  const description = `E2E 热线反映：建设路与桐柏路交叉口有暴露垃圾 ${Date.now()}`
  let caseId = 0
  let caseNo = ''
  const pages = []
  let broken = false
  // Steps run in order; once one fails the rest are skipped (they build on it), and every open
  // page is captured for a look.
  const step = (name, fn) =>
    t.test(name, { skip: broken && 'an earlier step failed' }, async () => {
      try {
        await fn()
      } catch (e) {
        broken = true
        for (const [i, p] of pages.entries()) await p.screenshot({ path: join(artifacts, `failed-${i}.png`), fullPage: true }).catch(() => undefined)
        throw e
      }
    })

  await step('login page shows a plain error for a wrong password', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    const page = await ctx.newPage()
    await page.goto(`${baseUrl}/`)
    await page.waitForURL(/\/login/)
    await shot(page, '01-login')
    await field(page, 'login-username').fill('operator')
    await field(page, 'login-password').fill('not-the-password')
    await page.getByTestId('login-submit').click()
    await page.getByTestId('login-error').filter({ hasText: '用户名或密码错误' }).waitFor()
    await shot(page, '02-login-error')
    await ctx.close()
  })

  const operator = await signIn('operator')
  const inspector = await signIn('inspector1')
  pages.push(operator, inspector)

  await step('operator: workbench and a hotline report', async () => {
    await operator.waitForURL(/\/workbench/)
    await operator.getByTestId('queue-reported').waitFor()
    await shot(operator, '03-operator-workbench')
    await operator.getByRole('menuitem', { name: '上报', exact: true }).click()
    await operator.getByTestId('report-form').waitFor()
    await pickOption(operator, 'report-source', '12319')
    await field(operator, 'report-caller-name').fill('王先生')
    await field(operator, 'report-caller-phone').fill('13800138000')
    await field(operator, 'report-description').fill(description)
    // District → street → community → grid.
    await operator.getByTestId('area-cascader').click()
    const menus = operator.locator('.el-cascader-menu:visible')
    await menus.nth(0).locator('.el-cascader-node', { hasText: dir.districtName }).click()
    await menus.nth(1).locator('.el-cascader-node', { hasText: dir.streetName }).click()
    await menus.nth(2).locator('.el-cascader-node').first().click()
    await menus.nth(3).locator('.el-cascader-node').first().locator('.el-radio').click()
    await operator.keyboard.press('Escape')
    await field(operator, 'report-address').fill('建设路与桐柏路交叉口东北角')
    await shot(operator, '04-report-form')
    await operator.getByTestId('report-submit').click()
    await operator.waitForURL(/\/cases\/\d+/)
    await expectState(operator, 'reported')
    caseId = Number(new URL(operator.url()).pathname.split('/').pop())
    caseNo = (await operator.getByTestId('case-no').textContent()).trim()
    assert.ok(caseId > 0 && caseNo.length > 0)
    assert.equal((await operator.getByTestId('case-description').textContent()).trim(), description)
    await shot(operator, '05-case-reported')
  })

  await step('operator sends it to verify; the inspector is told at once', async () => {
    // The inspector sits on the workbench with the live stream open.
    await inspector.getByTestId('queue-my_tasks').waitFor()
    // A note-less rejection is stopped before it is sent.
    await operator.locator('[data-testid="case-actions"] [data-action="reject_report"]').click()
    const dialog = operator.locator('.el-dialog:visible')
    await dialog.getByTestId('action-submit').click()
    await dialog.locator('.el-form-item__error', { hasText: '请填写说明' }).waitFor()
    await shot(operator, '06-action-validation')
    await dialog.getByRole('button', { name: '取消' }).click()
    await dialog.waitFor({ state: 'hidden' })

    await act(operator, 'send_verify', async () => {
      await pickOption(operator, 'inspector-select', dir.inspectorName)
    })
    await expectState(operator, 'verifying')
    await inspector.locator('.el-notification', { hasText: caseNo }).waitFor()
    await shot(inspector, '07-inspector-notified')
  })

  await step('inspector verifies on site with a photo', async () => {
    await inspector.getByTestId('queue-my_tasks').click()
    await inspector.getByTestId('case-table').getByText(caseNo).click()
    await expectState(inspector, 'verifying')
    await act(inspector, 'verify', async () => {
      await uploadPhoto(inspector, 'action-photos', 'verify.png', [[200, 120, 40], [90, 60, 20]])
      await field(inspector, 'note-input').fill('现场核实属实，垃圾约2立方米')
    })
    await expectState(inspector, 'pending_filing')
  })

  const supervisor = await signIn('supervisor')
  pages.push(supervisor)
  await step('shift supervisor files it with a class', async () => {
    await supervisor.waitForURL(/\/workbench/)
    await supervisor.getByTestId('case-table').getByText(caseNo).waitFor()
    await shot(supervisor, '08-supervisor-workbench')
    await supervisor.getByTestId('case-table').getByText(caseNo).click()
    await expectState(supervisor, 'pending_filing')
    await act(supervisor, 'file', async () => {
      await pickOption(supervisor, 'class-picker', '暴露垃圾', '暴露垃圾')
    })
    await expectState(supervisor, 'pending_dispatch')
  })

  const dispatcher = await signIn('dispatcher')
  pages.push(dispatcher)
  await step('dispatcher dispatches it to the sanitation department', async () => {
    await dispatcher.getByTestId('case-table').getByText(caseNo).click()
    await expectState(dispatcher, 'pending_dispatch')
    await act(dispatcher, 'dispatch', async (dialog) => {
      await pickOption(dispatcher, 'department-select', dir.departmentName)
      await shot(dispatcher, '09-dispatch-dialog')
      void dialog
    })
    await expectState(dispatcher, 'dispatched')
  })

  const dept = await signIn('dept1')
  pages.push(dept)
  await step('department accepts and feeds back with a photo', async () => {
    await dept.getByTestId('case-table').getByText(caseNo).waitFor()
    await shot(dept, '10-department-workbench')
    await dept.getByTestId('case-table').getByText(caseNo).click()
    await act(dept, 'accept_task')
    await expectState(dept, 'handling')
    await act(dept, 'feedback', async () => {
      await field(dept, 'note-input').fill('已清运完毕，现场已冲洗')
      await uploadPhoto(dept, 'action-photos', 'after.png', [[60, 170, 90], [20, 90, 160]])
    })
    await expectState(dept, 'pending_check')
  })

  await step('operator sends the check; inspector checks with a photo', async () => {
    await openCase(operator, caseId)
    await expectState(operator, 'pending_check')
    await act(operator, 'send_check', async () => {
      await pickOption(operator, 'inspector-select', dir.inspectorName)
    })
    await expectState(operator, 'checking')
    await openCase(inspector, caseId)
    await expectState(inspector, 'checking')
    await act(inspector, 'check', async () => {
      await uploadPhoto(inspector, 'action-photos', 'check.png', [[40, 140, 200], [20, 180, 120]])
    })
    await expectState(inspector, 'pending_close')
  })

  await step('shift supervisor closes it; the history shows every step', async () => {
    await openCase(supervisor, caseId)
    await act(supervisor, 'close')
    await expectState(supervisor, 'closed')
    const steps = await supervisor.getByTestId('timeline').locator('.ev-action').allTextContents()
    assert.deepEqual(
      steps.map((s) => s.trim()).reverse(),
      ['上报', '发核实', '核实', '立案', '派遣', '签收', '处置反馈', '发核查', '核查', '结案'],
    )
    assert.equal(await supervisor.getByTestId('case-photos').locator('.el-image').count(), 3)
    await supervisor.getByTestId('case-actions').waitFor({ state: 'detached' })
    await shot(supervisor, '11-case-closed')
  })

  await step('leader overview, admin screens and the English switch', async () => {
    const leader = await signIn('leader')
    pages.push(leader)
    await leader.waitForURL(/\/overview/)
    await leader.getByTestId('stat-closed').waitFor()
    await leader.locator('canvas').first().waitFor()
    await shot(leader, '12-leader-overview')

    const admin = await signIn('admin')
    pages.push(admin)
    await admin.goto(`${baseUrl}/admin/users`)
    await admin.getByTestId('users-table').getByText('inspector1').waitFor()
    await shot(admin, '13-admin-users')
    await admin.goto(`${baseUrl}/admin/taxonomy`)
    await admin.getByTestId('taxonomy-table').getByText('暴露垃圾').first().waitFor()
    await shot(admin, '14-admin-taxonomy')
    await admin.goto(`${baseUrl}/admin/node-limits`)
    await admin.getByTestId('node-limits-form').waitFor()
    await shot(admin, '15-admin-node-limits')
    await admin.goto(`${baseUrl}/admin/departments`)
    await admin.getByTestId('departments-table').getByText(dir.departmentName).waitFor()
    await shot(admin, '16-admin-departments')

    await openCase(operator, caseId)
    await operator.getByTestId('lang-switch').getByText('EN').click()
    await operator.getByText('History').waitFor()
    await expectState(operator, 'closed')
    await shot(operator, '17-case-closed-en')
    await operator.goto(`${baseUrl}/workbench`)
    await operator.getByTestId('queue-reported').filter({ hasText: 'To accept' }).waitFor()
    await shot(operator, '18-workbench-en')
  })

  let leader = null
  await step('leader: the city map on the command centre, drilled down to the grids', async () => {
    leader = await signIn('leader')
    pages.push(leader)
    await leader.waitForURL(/\/overview/)
    // The district leader starts at 中原区 (the streets), coloured by open cases.
    await mapReady(leader, 'city-map', 'street', '410102')
    assert.ok((await mapFeatures(leader, 'city-map')) > 5)
    // The city model's sizes are shown.
    const grids = Number((await leader.getByTestId('city-grids').locator('.count-n').textContent()).replace(/[^0-9]/g, ''))
    assert.ok(grids > 1000, `city grids shown: ${grids}`)
    // Up to the whole city: the three districts.
    await leader.getByTestId('map-crumbs').getByText('全市').click()
    await mapReady(leader, 'city-map', 'district', '')
    const districts = await mapCodes(leader, 'city-map')
    assert.deepEqual([...districts].sort(), ['410102', '410105', '410122'])
    await shot(leader, '19-overview-map-city')

    // Into 中原区 (where the demo's cases are): its streets, coloured by open cases.
    await clickArea(leader, 'city-map', '410102')
    await mapReady(leader, 'city-map', 'street', '410102')
    assert.ok((await mapFeatures(leader, 'city-map')) > 5)
    await leader.getByTestId('map-crumbs').getByText('中原区').waitFor()
    await leader.getByTestId('hot-areas').waitFor()
    await shot(leader, '20-overview-map-district')

    // Down to one community's unit grids.
    const street = dir.streetCode
    await clickArea(leader, 'city-map', street)
    await mapReady(leader, 'city-map', 'community', street)
    const communities = await mapCodes(leader, 'city-map')
    assert.ok(communities.length > 0 && communities.every((c) => c.startsWith(street) && c.length === 12))
    await clickArea(leader, 'city-map', communities[0])
    await mapReady(leader, 'city-map', 'grid', communities[0])
    const gridCodes = await mapCodes(leader, 'city-map')
    assert.ok(gridCodes.length > 0, 'the community has unit grids')
    assert.ok(gridCodes.every((c) => c.length === 15 && c.startsWith(communities[0])))
    await shot(leader, '21-overview-map-grids')

    // A unit grid has nothing below it: a click lists its cases on the workbench.
    await clickArea(leader, 'city-map', gridCodes[0])
    await leader.waitForURL((u) => u.pathname === '/workbench' && u.searchParams.get('area') === gridCodes[0])
    await leader.getByTestId('case-table').waitFor()
    await leader.goBack()
    await mapReady(leader, 'city-map', 'street', '410102')

    // The breadcrumb goes back up to the whole city.
    await leader.getByTestId('map-crumbs').getByText('全市').click()
    await mapReady(leader, 'city-map', 'district', '')
    await leader.getByTestId('lang-switch').getByText('EN').click()
    await leader.getByTestId('map-crumbs').getByText('Whole city').waitFor()
    await shot(leader, '22-overview-map-en')
    await leader.getByTestId('lang-switch').getByText('中文').click()
  })

  await step('citizen reports by clicking the spot on the map; the leader map counts it live', async () => {
    // The leader keeps the whole city open; its open-case count follows the live stream.
    const openBefore = Number(await leader.getByTestId('city-map').getAttribute('data-total'))
    const citizen = await signIn('citizen1')
    pages.push(citizen)
    await citizen.getByRole('menuitem', { name: '上报', exact: true }).click()
    await citizen.getByTestId('report-form').waitFor()
    await mapReady(citizen, 'pick-map', 'district', '')
    const text = `E2E 市民随手拍：井盖破损 ${Date.now()}`
    await field(citizen, 'report-description').fill(text)

    // A point outside the city: said so before sending, and the server's refusal in plain words.
    await field(citizen, 'report-lat').fill('30.5')
    await field(citizen, 'report-lon').fill('114.3')
    await field(citizen, 'report-description').click()
    await citizen.locator('[data-testid="geocode-result"][data-kind="outside"]').waitFor()
    await citizen.getByTestId('report-submit').click()
    await citizen.locator('.el-message--error', { hasText: '不在本市任何单元网格内' }).waitFor()
    await citizen.getByTestId('point-picker').evaluate((el) => el.scrollIntoView({ block: 'start' }))
    await shot(citizen, '23-report-point-outside')

    // Click 中原区, then a street, then a community: each click marks the point and zooms in.
    await clickArea(citizen, 'pick-map', '410102')
    await mapReady(citizen, 'pick-map', 'street', '410102')
    await clickArea(citizen, 'pick-map', dir.streetCode)
    await mapReady(citizen, 'pick-map', 'community', dir.streetCode)
    const communities = await mapCodes(citizen, 'pick-map')
    await clickArea(citizen, 'pick-map', communities[0])
    await mapReady(citizen, 'pick-map', 'grid', communities[0])
    const grids = await mapCodes(citizen, 'pick-map')
    assert.ok(grids.length > 0)
    const target = grids[Math.floor(grids.length / 2)]
    await clickArea(citizen, 'pick-map', target)
    const result = citizen.locator('[data-testid="geocode-result"][data-kind="inside"]')
    await result.filter({ hasText: target }).waitFor()
    const address = (await citizen.getByTestId('geocode-address').textContent()).trim()
    assert.ok(address.includes(dir.districtName), `address ${address}`)
    const lat = Number(await field(citizen, 'report-lat').inputValue())
    const lon = Number(await field(citizen, 'report-lon').inputValue())
    assert.ok(lat > 34 && lat < 35.5 && lon > 113 && lon < 114.5, `picked ${lat}, ${lon}`)
    await citizen.getByTestId('point-picker').evaluate((el) => el.scrollIntoView({ block: 'start' }))
    await shot(citizen, '24-report-point-picked')

    // Sent with the point only (no area chosen): the server files it in the clicked grid.
    await citizen.getByTestId('report-submit').click()
    await citizen.waitForURL(/\/cases\/\d+/)
    await expectState(citizen, 'reported')
    const id = Number(new URL(citizen.url()).pathname.split('/').pop())
    const c = await citizen.evaluate(async (id) => (await (await fetch(`/api/cases/${id}`)).json()).case, id)
    assert.equal(c.grid_code, target)
    assert.equal(c.description, text)
    assert.ok(Math.abs(c.lat - lat) < 1e-6 && Math.abs(c.lon - lon) < 1e-6)
    await shot(citizen, '25-citizen-case')
    await leader.locator(`[data-testid="city-map"][data-total="${openBefore + 1}"]`).waitFor()

    // The picker in English.
    await citizen.goto(`${baseUrl}/report`)
    await citizen.getByTestId('lang-switch').getByText('EN').click()
    await mapReady(citizen, 'pick-map', 'district', '')
    await clickArea(citizen, 'pick-map', '410105')
    await mapReady(citizen, 'pick-map', 'street', '410105')
    await citizen.locator('[data-testid="geocode-result"][data-kind="inside"]').filter({ hasText: 'Grid: ' }).waitFor()
    await citizen.getByTestId('pick-hint').filter({ hasText: 'Click' }).waitFor()
    await citizen.getByTestId('point-picker').evaluate((el) => el.scrollIntoView({ block: 'start' }))
    await shot(citizen, '27-report-picker-en')
  })

  await step("an inspector's point picker opens at the grids of their street", async () => {
    await inspector.goto(`${baseUrl}/report`)
    await mapReady(inspector, 'pick-map', 'grid', dir.streetCode)
    const grids = await mapCodes(inspector, 'pick-map')
    assert.ok(grids.length > 0 && grids.every((c) => c.length === 15 && c.startsWith(dir.streetCode)))
    await inspector.getByTestId('point-picker').evaluate((el) => el.scrollIntoView({ block: 'start' }))
    await shot(inspector, '26-inspector-picker')
  })

  for (const p of pages) assert.deepEqual(p.errors, [], 'no uncaught errors in the page')
})
