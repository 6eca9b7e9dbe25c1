// End-to-end: the operator's hotline intake 热线受理 in a real Chromium.
//
// Set-up (through the API): a 12319 case of 暴露垃圾 already open at 建设路与陇海路交叉口. Then the
// operator takes a new call in the report form: finds the caller's address (placed by the
// gazetteer, `GET /api/address`, the point shown on the map), picks the class, sees the open
// case as a likely duplicate (`GET /api/duplicates/candidates`) — first with the caller's
// words matching so closely that the server would link it by itself (explained in the form),
// then with other words — chooses it, files, and the new case is merged into it
// (`link_duplicate`). Screenshots go to web/test-artifacts/intake-*.png.
//
// Env as flow.test.mjs: YIWANG_BIN, YIWANG_E2E_URL, CHROMIUM, E2E_SLOWMO.
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, artifacts, field, settledShot, signInAs, startDemo } from './harness.mjs'

const TIMEOUT = 20_000
const ADDRESS = '建设路与陇海路交叉口'

let baseUrl = ''
let browser = null
let demo = null

before(async () => {
  demo = await startDemo('yiwang-e2e-intake-')
  ;({ baseUrl, browser } = demo)
})

after(async () => {
  await demo?.close()
})

/** An API client signed in as `username` (set-up and checks, not part of the UI flow). */
async function apiAs(username) {
  const login = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  assert.equal(login.status, 200)
  const { token } = await login.json()
  const call = async (method, path, body) => {
    const r = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: r.status, body: await r.json().catch(() => null) }
  }
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b) }
}

async function signIn(username) {
  return signInAs(browser, baseUrl, username, { height: 1000, timeout: TIMEOUT })
}

const shot = settledShot

async function pickOption(page, testid, label, search) {
  const select = page.getByTestId(testid)
  await select.click()
  if (search) await select.locator('input').fill(search)
  const items = page.locator('.el-select-dropdown:visible .el-select-dropdown__item:not(.is-disabled)')
  await items.filter({ hasText: label }).first().click()
}

test('a hotline intake by address finds the open case it repeats and merges into it', async () => {
  const ops = await apiAs('operator')
  // The address is known to the gazetteer: an intersection of two roads of the demo city.
  const placed = await ops.get(`/api/address?q=${encodeURIComponent(ADDRESS)}`)
  assert.equal(placed.status, 200, JSON.stringify(placed.body))
  assert.equal(placed.body.kind, 'match')
  assert.equal(placed.body.precision, 'intersection')

  const earlier = await ops.post('/api/cases', {
    source: 'hotline_12319',
    description: '建设路陇海路口东北角有成堆的暴露垃圾，气味很大',
    address: ADDRESS,
    class_code: '06010',
    reporter_name: '李女士',
    reporter_phone: '13900139000',
  })
  assert.equal(earlier.status, 201, JSON.stringify(earlier.body))
  const master = earlier.body.case
  assert.notEqual(master.state, 'merged')

  const page = await signIn('operator')
  try {
    await page.getByRole('menuitem', { name: '上报', exact: true }).click()
    await page.getByTestId('report-form').waitFor()
    await pickOption(page, 'report-source', '12319')
    await field(page, 'report-caller-name').fill('赵先生')
    await field(page, 'report-caller-phone').fill('13700137000')
    await field(page, 'report-description').fill('建设路陇海路口东北角有成堆的暴露垃圾，气味很大')

    // The caller's address → the point on the map, with the grid the geocoder finds.
    await field(page, 'intake-address-input').fill(ADDRESS)
    await page.getByTestId('intake-address-search').click()
    await page.locator('[data-testid="intake-address-result"][data-kind="match"]').waitFor()
    assert.match(await page.getByTestId('intake-address-result').textContent(), /陇海路/)
    await page.locator('[data-testid="geocode-result"][data-kind="inside"]').waitFor()
    assert.equal(await field(page, 'report-address').inputValue(), ADDRESS)

    // Before the class is known there is nothing to look for.
    await page.locator('[data-testid="intake-duplicates"][data-state="idle"]').waitFor()
    await pickOption(page, 'class-picker', '暴露垃圾', '暴露垃圾')

    // The open case is listed; the caller's words match it so closely that filing would link
    // it automatically, and the form says so.
    const dups = page.getByTestId('intake-duplicates')
    await page.locator('[data-testid="intake-duplicates"][data-state="found"]').waitFor()
    await dups.getByTestId(`intake-dup-${master.id}`).waitFor()
    assert.equal((await dups.getByTestId(`intake-dup-${master.id}`).textContent()).trim(), master.case_no)
    await dups.getByTestId('intake-dup-auto').waitFor()
    assert.match(await dups.getByTestId('intake-dup-auto').textContent(), new RegExp(master.case_no))
    await shot(page, 'intake-01-auto-link')

    // Other words: still a candidate, below the automatic threshold; the operator chooses it.
    await field(page, 'report-description').fill('来电反映陇海路这边路口垃圾好几天没人清理')
    await dups.getByTestId('intake-dup-auto').waitFor({ state: 'detached' })
    await dups.getByTestId(`intake-dup-${master.id}`).waitFor()
    await dups.getByTestId(`intake-dup-choose-${master.id}`).click()
    await dups.getByTestId('intake-dup-chosen').waitFor()
    assert.match(await dups.getByTestId('intake-dup-chosen').textContent(), new RegExp(master.case_no))
    await page.getByTestId('intake-duplicates').scrollIntoViewIfNeeded()
    await shot(page, 'intake-02-candidate-chosen')

    // Filed, then merged into the chosen case: the form opens the master.
    await page.getByTestId('report-submit').click()
    await page.waitForURL(new RegExp(`/cases/${master.id}$`))
    await page.getByTestId('case-state').waitFor()
    await page.locator('.el-message--success').filter({ hasText: master.case_no }).waitFor()
    await shot(page, 'intake-03-merged')

    const list = await ops.get(`/api/cases?q=${encodeURIComponent('好几天没人清理')}&limit=5`)
    assert.equal(list.status, 200)
    const filed = list.body.items.find((c) => c.description.includes('好几天没人清理'))
    assert.ok(filed, JSON.stringify(list.body))
    assert.equal(filed.state, 'merged')
    assert.equal(filed.master_case_id, master.id)
    assert.equal(filed.reporter_name, '赵先生')
    assert.deepEqual(page.errors, [])
  } catch (e) {
    await page.screenshot({ path: join(artifacts, 'intake-failed.png'), fullPage: true }).catch(() => undefined)
    throw e
  }
})
