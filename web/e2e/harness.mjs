// The shared harness of the browser tests: a demo server on a free port with a scratch
// database (or the server at YIWANG_E2E_URL), and a headless Chromium.
//
// Env: YIWANG_BIN (the binary; default <repo>/target/debug/yiwang), YIWANG_E2E_URL (use a
// running server instead), CHROMIUM (default /usr/bin/chromium), E2E_SLOWMO (ms).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
const webDir = resolve(here, '..')
const repoRoot = resolve(webDir, '..')

/** Where screenshots go (created). */
export const artifacts = join(webDir, 'test-artifacts')
mkdirSync(artifacts, { recursive: true })

/** Every demo account's password. */
export const PASSWORD = 'yiwang2026'

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.unref()
    s.on('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })
}

function serverEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('YIWANG_')))
  env.RUST_LOG = process.env.RUST_LOG ?? 'warn'
  return env
}

/**
 * Starts `yiwang demo --pace 0` (unless YIWANG_E2E_URL names a server), waits until it is
 * healthy, and launches Chromium. Returns `{ baseUrl, browser, close }`.
 */
export async function startDemo(scratchPrefix) {
  let baseUrl = process.env.YIWANG_E2E_URL?.replace(/\/$/, '')
  let server = null
  let scratch = null
  const serverLog = []
  if (!baseUrl) {
    const bin = resolve(repoRoot, process.env.YIWANG_BIN ?? 'target/debug/yiwang')
    const port = await freePort()
    scratch = mkdtempSync(join(tmpdir(), scratchPrefix))
    baseUrl = `http://127.0.0.1:${port}`
    server = spawn(
      bin,
      ['demo', '--pace', '0', '--listen', `127.0.0.1:${port}`, '--database', `sqlite://${join(scratch, 'e2e.db')}`],
      { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() },
    )
    server.stdout.on('data', (d) => serverLog.push(d.toString()))
    server.stderr.on('data', (d) => serverLog.push(d.toString()))
  }
  const until = Date.now() + 60_000
  let last = ''
  for (;;) {
    if (server && server.exitCode !== null) throw new Error(`yiwang exited (${server.exitCode}):\n${serverLog.join('')}`)
    try {
      const r = await fetch(`${baseUrl}/api/health`)
      if (r.ok) break
      last = `HTTP ${r.status}`
    } catch (e) {
      last = String(e)
    }
    if (Date.now() > until) throw new Error(`server at ${baseUrl} not healthy: ${last}\n${serverLog.join('')}`)
    await new Promise((r) => setTimeout(r, 250))
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    slowMo: Number(process.env.E2E_SLOWMO ?? 0),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
  async function close() {
    await browser.close().catch(() => undefined)
    if (server) {
      server.kill('SIGTERM')
      await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)))
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  }
  return { baseUrl, browser, close }
}

/** The text field with `testid` (Element Plus puts the attribute on the <input>/<textarea> itself). */
export function field(scope, testid) {
  const id = `[data-testid="${testid}"]`
  return scope.locator(`input${id}, textarea${id}, ${id} input, ${id} textarea`).first()
}

/**
 * A page signed in as `username` in its own browser context (own cookies), in Chinese on
 * Shanghai time; page errors are collected in `page.errors`.
 */
export async function signInAs(browser, baseUrl, username, { height = 900, timeout = 20_000 } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  ctx.setDefaultTimeout(timeout)
  const page = await ctx.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.errors = errors
  await page.goto(`${baseUrl}/login`)
  await field(page, 'login-username').fill(username)
  await field(page, 'login-password').fill(PASSWORD)
  await page.getByTestId('login-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  await page.getByTestId('current-user').waitFor()
  return page
}

/** A full-page screenshot into test-artifacts once charts, images and transitions settle. */
export async function settledShot(page, name) {
  await page.waitForLoadState('networkidle').catch(() => undefined)
  await page.waitForTimeout(400)
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
}
