// End-to-end on a phone (375×812): the citizen portal 随手拍 and the inspector's phone view.
//
// Starts `yiwang demo --pace 0` (or uses YIWANG_E2E_URL), then:
//   a citizen signs in by SMS code (read from the demo's SMS log through the admin API), reports
//   with a camera photo and the device position, anonymous off, and finds it under 我的上报;
//   the operator sends it to inspector1, who sees it on the map and in the list of nearby tasks,
//   verifies it on site with a photo, and reports a self-handled problem with photo + GPS;
//   the case is taken round the loop through the API and closed, and the citizen rates it.
// Screenshots go to web/test-artifacts/citizen-*.png and mobile-*.png.
//
// Env: YIWANG_BIN, YIWANG_E2E_URL, CHROMIUM, E2E_SLOWMO (see harness.mjs).
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { PASSWORD, artifacts, startDemo } from './harness.mjs'
import { makePng } from './png.mjs'

const TIMEOUT = 20_000
const PHONE_VIEW = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' }

let baseUrl = ''
let browser = null
let demo = null

before(async () => {
  demo = await startDemo('yiwang-citizen-e2e-')
  ;({ baseUrl, browser } = demo)
})

after(async () => {
  await demo?.close()
})

/** A signed-in API client for a demo account (set-up and checks, not the UI under test). */
async function apiAs(username) {
  const r = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  assert.equal(r.status, 200, `login ${username}`)
  const { token } = await r.json()
  const call = async (method, path, body) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}) },
      body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    let json = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = null
    }
    return { status: res.status, json, text }
  }
  const ok = async (method, path, body) => {
    const r = await call(method, path, body)
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} as ${username}: HTTP ${r.status} ${r.text.slice(0, 300)}`)
    return r.json
  }
  return {
    call,
    get: (p) => ok('GET', p),
    post: (p, b) => ok('POST', p, b ?? {}),
    /** One step of the loop at the case's current version. */
    act: async (id, body) => {
      const { case: c } = await ok('GET', `/api/cases/${id}`)
      return (await ok('POST', `/api/cases/${id}/actions`, { ...body, expected_version: c.version })).case
    },
    upload: async (name, colours) => {
      const fd = new FormData()
      fd.append('file', new Blob([makePng(...colours)], { type: 'image/png' }), name)
      return (await ok('POST', '/api/attachments', fd)).id
    },
  }
}

/** The text field with `testid` (Element Plus puts the attribute on the <input>/<textarea> itself). */
function field(scope, testid) {
  const id = `[data-testid="${testid}"]`
  return scope.locator(`input${id}, textarea${id}, ${id} input, ${id} textarea`).first()
}

/**
 * A screenshot of what the phone shows (the viewport: the top bar and the tab bar are fixed, so
 * a full-page picture would draw them mid-page). `at` scrolls an element into view first, else
 * the page is shown from the top.
 */
async function shot(page, name, at) {
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined)
  if (at) await page.getByTestId(at).evaluate((el) => el.scrollIntoView({ block: 'center' }))
  else await page.evaluate(() => window.scrollTo(0, 0))
  await page.waitForTimeout(400)
  await page.screenshot({ path: join(artifacts, `${name}.png`) })
}

async function phonePage(extra = {}) {
  const ctx = await browser.newContext({ ...PHONE_VIEW, ...extra })
  ctx.setDefaultTimeout(TIMEOUT)
  const page = await ctx.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.errors = errors
  return page
}

async function addPhoto(page, testid, name, colours) {
  const before = await page.getByTestId(testid).locator('.item').count()
  await page.getByTestId(`${testid}-input`).setInputFiles({ name, mimeType: 'image/png', buffer: makePng(...colours) })
  await page.getByTestId(testid).locator('.item').nth(before).waitFor()
}

/** A point well inside one of the unit grids of inspector1's street (WGS-84), checked by geocoding. */
async function pointInStreet(admin, street) {
  const fc = await admin.get(`/api/map/areas?parent=${street}&level=grid&zoom=16`)
  for (const f of fc.features) {
    const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0]
    const pts = ring.slice(0, -1)
    const lon = pts.reduce((s, p) => s + p[0], 0) / pts.length
    const lat = pts.reduce((s, p) => s + p[1], 0) / pts.length
    const g = await admin.get(`/api/geocode?lat=${lat}&lon=${lon}`)
    if (g.kind === 'inside' && g.grid.code === f.properties.code) return { lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6, grid: g.grid.code }
  }
  throw new Error(`no grid of street ${street} has its centroid inside it`)
}

/** The code of the newest SMS to `phone` in the demo's notification log (admin only). */
async function smsCode(admin, phone) {
  const until = Date.now() + 10_000
  for (;;) {
    const r = await admin.call('GET', `/api/notifications?channel=sms&to=${phone}&limit=1`)
    assert.equal(r.status, 200, `GET /api/notifications: HTTP ${r.status} ${r.text.slice(0, 200)}`)
    const n = r.json.notifications?.[0]
    const m = n && /(\d{6})/.exec(n.body)
    if (m) return m[1]
    if (Date.now() > until) throw new Error(`no SMS code for ${phone}: ${r.text}`)
    await new Promise((res) => setTimeout(res, 200))
  }
}

test('citizen portal and inspector phone view', async (t) => {
  const admin = await apiAs('admin')
  const users = await admin.get('/api/users')
  const byName = (u) => users.find((x) => x.user.username === u)
  const inspector = byName('inspector1')
  const street = inspector.grants.find((g) => g.role === 'inspector').area
  const deptId = byName('dept1').grants[0].department_id
  const spot = await pointInStreet(admin, street)
  // The citizen stands at the spot; the inspector a little way off.
  const atSpot = { latitude: spot.lat, longitude: spot.lon }
  const near = { latitude: spot.lat + 0.0008, longitude: spot.lon + 0.0003 }
  const phone = `139${String(Date.now()).slice(-8)}`
  const description = `E2E 随手拍：人行道上有暴露垃圾，垃圾袋堆放 ${Date.now()}`

  const pages = []
  let broken = false
  let caseId = 0
  let caseNo = ''
  const step = (name, fn) =>
    t.test(name, { skip: broken && 'an earlier step failed' }, async () => {
      try {
        await fn()
      } catch (e) {
        broken = true
        for (const [i, p] of pages.entries()) await p.screenshot({ path: join(artifacts, `citizen-failed-${i}.png`), fullPage: true }).catch(() => undefined)
        throw e
      }
    })

  const citizen = await phonePage({ permissions: ['geolocation'], geolocation: atSpot })
  pages.push(citizen)

  await step('citizen signs in with an SMS code', async () => {
    await citizen.goto(`${baseUrl}/citizen`)
    await citizen.waitForURL(/\/citizen\/login/)
    await citizen.getByTestId('otp-form').waitFor()
    await shot(citizen, 'citizen-01-login')
    // A wrong number is stopped before anything is sent.
    await field(citizen, 'otp-phone').fill('1380000')
    await citizen.getByTestId('otp-send').click()
    await citizen.getByTestId('otp-error').filter({ hasText: '手机号' }).waitFor()
    await field(citizen, 'otp-phone').fill(phone)
    await citizen.getByTestId('otp-send').click()
    await citizen.getByTestId('otp-info').waitFor()
    const left = Number(await citizen.getByTestId('otp-send').getAttribute('data-left'))
    assert.ok(left > 50 && left <= 60, `resend countdown ${left}`)
    assert.equal(await citizen.getByTestId('otp-send').isDisabled(), true)
    const code = await smsCode(admin, phone)
    await field(citizen, 'otp-code').fill(code)
    await shot(citizen, 'citizen-02-code-sent')
    await citizen.getByTestId('otp-submit').click()
    await citizen.waitForURL((u) => u.pathname === '/citizen')
    await citizen.getByTestId('citizen-report').waitFor()
    const me = await citizen.evaluate(async () => (await fetch('/api/me')).json())
    assert.ok(me.grants.some((g) => g.role === 'citizen'), 'a citizen account was created')
  })

  await step('citizen reports with a photo and the device position, not anonymously', async () => {
    await addPhoto(citizen, 'citizen-photos', 'spot.png', [[150, 120, 60], [60, 50, 40]])
    await citizen.getByTestId('locate-device').click()
    await citizen.locator('[data-testid="locate-result"][data-kind="inside"]').waitFor()
    await field(citizen, 'citizen-description').fill(description)
    // Category chips, when the server suggests any (GET /api/taxonomy/suggest).
    const chips = citizen.getByTestId('class-chips')
    await chips.waitFor({ timeout: 3000 }).catch(() => undefined)
    let chosen = null
    if (await chips.isVisible()) {
      const first = chips.locator('.m-chip').first()
      chosen = await first.getAttribute('data-code')
      await first.click()
      await chips.locator('.m-chip.on').waitFor()
    }
    // Element Plus marks an on switch with `is-checked` on its root.
    const anonymousOn = await citizen.getByTestId('citizen-anonymous').evaluate((el) => el.classList.contains('is-checked'))
    assert.equal(anonymousOn, false)
    await shot(citizen, 'citizen-03-report')
    await shot(citizen, 'citizen-03b-report-bottom', 'citizen-submit')
    await citizen.getByTestId('citizen-submit').click()
    await citizen.waitForURL(/\/citizen\/cases\/\d+/)
    await citizen.getByTestId('citizen-case-description').filter({ hasText: description }).waitFor()
    caseId = Number(new URL(citizen.url()).pathname.split('/').pop())
    caseNo = (await citizen.getByTestId('citizen-case-no').textContent()).trim()
    const { case: c, events } = await admin.get(`/api/cases/${caseId}`)
    assert.equal(c.source, 'citizen_app')
    assert.equal(c.grid_code, spot.grid)
    assert.equal(c.anonymous ?? false, false)
    assert.equal(c.reporter_phone, phone)
    assert.equal(events[0].attachments.length, 1)
    if (chosen) assert.equal(c.class?.code, chosen)
    await shot(citizen, 'citizen-04-case')
  })

  await step('citizen finds it under 我的上报', async () => {
    await citizen.getByTestId('tab-mine').click()
    await citizen.locator(`[data-testid="citizen-case-item"][data-case-no="${caseNo}"]`).waitFor()
    await shot(citizen, 'citizen-05-mine')
  })

  await step('a refused location is said plainly', async () => {
    const page = await phonePage()
    pages.push(page)
    await page.context().addCookies(await citizen.context().cookies())
    await page.goto(`${baseUrl}/citizen`)
    await page.getByTestId('locate-device').click()
    await page.getByTestId('geo-error').waitFor()
    assert.match(await page.getByTestId('geo-error').textContent(), /位置|定位/)
    await shot(page, 'citizen-06-geo-refused')
    await page.context().close()
    pages.pop()
  })

  const operator = await apiAs('operator')
  const inspectorPage = await phonePage({ permissions: ['geolocation'], geolocation: near })
  pages.push(inspectorPage)

  await step('inspector sees the task on the map and in the list, nearest first', async () => {
    await operator.act(caseId, { action: 'send_verify', inspector_id: inspector.user.id })
    await inspectorPage.goto(`${baseUrl}/m`)
    await inspectorPage.waitForURL(/\/login/)
    await field(inspectorPage, 'login-username').fill('inspector1')
    await field(inspectorPage, 'login-password').fill(PASSWORD)
    await inspectorPage.getByTestId('login-submit').click()
    await inspectorPage.waitForURL((u) => u.pathname === '/m')
    await inspectorPage.locator('[data-testid="task-map"][data-status="ready"][data-here="yes"]').waitFor()
    const item = inspectorPage.locator(`[data-testid="task-item"][data-case-no="${caseNo}"]`)
    await item.waitFor()
    assert.equal(await item.getAttribute('data-kind'), 'verify')
    const d = Number(await item.getAttribute('data-distance'))
    assert.ok(d > 50 && d < 300, `distance ${d}`)
    const distances = (await inspectorPage.getByTestId('task-item').evaluateAll((els) => els.map((e) => e.dataset.distance))).filter(Boolean).map(Number)
    assert.deepEqual(distances, [...distances].sort((a, b) => a - b), 'sorted by distance')
    assert.ok(Number(await inspectorPage.getByTestId('task-map').getAttribute('data-pins')) >= 1)
    // The inspector's own grids among the district's.
    const map = inspectorPage.getByTestId('task-map')
    const own = Number(await map.getAttribute('data-own-grids'))
    const all = Number(await map.getAttribute('data-grids'))
    assert.ok(own > 0 && all > own, `own grids ${own} of ${all}`)
    const layer = await inspectorPage.evaluate(async (s) => {
      const r = await fetch(`/api/map/areas?parent=${s.slice(0, 6)}&level=grid&zoom=14`, { credentials: 'include' })
      const fc = await r.json()
      return { all: fc.features.length, own: fc.features.filter((f) => f.properties.code.startsWith(s)).length }
    }, street)
    assert.deepEqual({ all, own }, layer)
    await shot(inspectorPage, 'mobile-01-tasks')
  })

  await step('inspector opens the pin and verifies on site with a photo', async () => {
    const canvas = inspectorPage.locator('[data-testid="task-map"] .canvas')
    const px = await canvas.evaluate((el, id) => el.__pixelOfTask(id), caseId)
    assert.ok(px, 'the task has a pin')
    await canvas.click({ position: { x: px[0], y: px[1] - 12 } })
    await inspectorPage.waitForURL(new RegExp(`/m/tasks/${caseId}$`))
    await inspectorPage.locator('[data-testid="task-form"][data-action="verify"]').waitFor()
    // A confirmed verification needs a photo.
    await inspectorPage.getByTestId('task-submit').click()
    await inspectorPage.locator('.m-error', { hasText: '照片' }).waitFor()
    await addPhoto(inspectorPage, 'task-photos', 'verify.png', [[200, 120, 40], [90, 60, 20]])
    await field(inspectorPage, 'task-note').fill('现场核实属实')
    await shot(inspectorPage, 'mobile-02-verify', 'task-submit')
    await inspectorPage.getByTestId('task-submit').click()
    await inspectorPage.waitForURL((u) => u.pathname === '/m')
    await inspectorPage.locator(`[data-testid="task-item"][data-case-no="${caseNo}"]`).waitFor({ state: 'detached' })
    const { case: c } = await admin.get(`/api/cases/${caseId}`)
    assert.equal(c.state, 'pending_filing')
    assert.equal(c.verified, true)
  })

  await step('inspector reports a self-handled problem with photo and GPS', async () => {
    await inspectorPage.getByTestId('tab-report').click()
    await inspectorPage.getByTestId('inspector-report').waitFor()
    // The position is taken as the page opens.
    await inspectorPage.locator('[data-testid="locate-result"][data-kind="inside"]').waitFor()
    const text = `E2E 巡查：果皮纸屑，已现场清理 ${Date.now()}`
    await field(inspectorPage, 'inspector-description').fill(text)
    await inspectorPage.getByTestId('inspector-self-handled').click()
    await inspectorPage.getByTestId('inspector-submit').click()
    await inspectorPage.locator('.m-error', { hasText: '自行处置需上传照片' }).waitFor()
    await addPhoto(inspectorPage, 'inspector-photos', 'done.png', [[60, 170, 90], [20, 90, 160]])
    await shot(inspectorPage, 'mobile-03-report', 'inspector-self-handled')
    await inspectorPage.getByTestId('inspector-submit').click()
    await inspectorPage.waitForURL((u) => u.pathname === '/m')
    const mine = await admin.get(`/api/cases?q=${encodeURIComponent(text)}&limit=5`)
    const c = mine.items.find((x) => x.description === text)
    assert.ok(c, 'the report was filed')
    assert.equal(c.source, 'inspector')
    assert.equal(c.self_handled, true)
    assert.ok(Math.abs(c.lat - near.latitude) < 1e-5 && Math.abs(c.lon - near.longitude) < 1e-5, `GPS point ${c.lat},${c.lon}`)
  })

  await step('closed after the loop, the citizen reads the answer and rates it', async () => {
    const supervisor = await apiAs('supervisor')
    const dispatcher = await apiAs('dispatcher')
    const dept = await apiAs('dept1')
    const insp = await apiAs('inspector1')
    const classes = await admin.get(`/api/taxonomy?kind=matter&q=${encodeURIComponent('暴露垃圾')}`)
    await supervisor.act(caseId, { action: 'file', class_code: classes[0].code })
    await dispatcher.act(caseId, { action: 'dispatch', department_id: deptId })
    await dept.act(caseId, { action: 'accept_task' })
    const after = await dept.upload('after.png', [[60, 170, 90], [20, 90, 160]])
    await dept.act(caseId, { action: 'feedback', note: '已清运完毕', attachments: [after] })
    await operator.act(caseId, { action: 'send_check', inspector_id: inspector.user.id })
    const checked = await insp.upload('check.png', [[40, 140, 200], [20, 180, 120]])
    await insp.act(caseId, { action: 'check', passed: true, attachments: [checked] })
    await supervisor.act(caseId, { action: 'close' })
    await operator.act(caseId, { action: 'reply', note: '您反映的暴露垃圾已清运，感谢您的监督。' })

    await citizen.goto(`${baseUrl}/citizen/cases/${caseId}`)
    await citizen.locator('[data-testid="citizen-case"][data-state="closed"]').waitFor()
    await citizen.getByTestId('citizen-reply').filter({ hasText: '已清运' }).waitFor()
    assert.equal(await citizen.getByTestId('citizen-feedback-photos').locator('.el-image').count(), 1)
    await citizen.getByTestId('citizen-rate-explain').filter({ hasText: '仅限一次' }).waitFor()
    await citizen.locator('[data-rating="satisfied"]').click()
    await shot(citizen, 'citizen-07-rate', 'citizen-rate')
    await citizen.getByTestId('citizen-rate-submit').click()
    await citizen.getByTestId('citizen-rated').filter({ hasText: '满意' }).waitFor()
    const { case: c } = await admin.get(`/api/cases/${caseId}`)
    assert.equal(c.rating, 'satisfied')
    await shot(citizen, 'citizen-08-rated', 'citizen-rated')
  })

  await step('the portal in English', async () => {
    await citizen.getByTestId('lang-switch').getByText('EN').click()
    await citizen.getByText('How did we do?').waitFor()
    await citizen.getByTestId('tab-report').click()
    await citizen.getByTestId('locate-device').getByText('Use my location').waitFor()
    await shot(citizen, 'citizen-09-report-en')
    await citizen.getByTestId('lang-switch').getByText('中文').click()
  })

  await step('the app can be installed: manifest, icons and service worker', async () => {
    const m = await fetch(`${baseUrl}/manifest.webmanifest`)
    assert.equal(m.status, 200)
    assert.match(m.headers.get('content-type'), /manifest\+json/)
    const manifest = await m.json()
    assert.equal(manifest.display, 'standalone')
    for (const size of ['192x192', '512x512']) {
      const icon = manifest.icons.find((i) => i.sizes === size)
      assert.ok(icon, `icon ${size}`)
      const r = await fetch(`${baseUrl}${icon.src}`)
      assert.equal(r.status, 200)
      assert.equal(r.headers.get('content-type'), 'image/png')
    }
    const sw = await fetch(`${baseUrl}/sw.js`)
    assert.equal(sw.status, 200)
    assert.match(sw.headers.get('content-type'), /javascript/)
    const registered = await citizen.evaluate(async () => {
      const reg = await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(() => r(null), 5000))])
      return reg ? reg.active?.scriptURL ?? 'installing' : null
    })
    assert.ok(registered, 'the service worker is registered')
  })

  for (const p of pages) assert.deepEqual(p.errors, [], 'no uncaught errors in the page')
})
