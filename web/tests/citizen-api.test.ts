import { afterEach, describe, expect, it, vi } from 'vitest'
import { citizenApi } from '../src/api/citizen'
import { ApiError, setUnauthenticatedHandler } from '../src/api/http'

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

afterEach(() => {
  vi.unstubAllGlobals()
  setUnauthenticatedHandler(null)
})

describe('citizenApi', () => {
  it('asks for a code with the phone number', async () => {
    const fetch = vi.fn(async () => json(202, { sent: true, expires_in_seconds: 300, resend_after_seconds: 60 }))
    vi.stubGlobal('fetch', fetch)
    const r = await citizenApi.requestOtp('13800000000')
    expect(r.resend_after_seconds).toBe(60)
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/auth/otp')
    expect(init.method).toBe('POST')
    expect(JSON.parse(init.body as string)).toEqual({ phone: '13800000000' })
  })

  it("passes on the server's rate limit message", async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(429, { error: { code: 'rate_limited', message: '请 42 秒后再试' } })))
    const e = await citizenApi.requestOtp('13800000000').catch((x) => x)
    expect(e).toBeInstanceOf(ApiError)
    expect(e.code).toBe('rate_limited')
    expect(e.message).toBe('请 42 秒后再试')
  })

  it('a wrong code does not send the user to the login page', async () => {
    const handler = vi.fn()
    setUnauthenticatedHandler(handler)
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { error: { code: 'invalid_code', message: 'wrong code' } })))
    const e = await citizenApi.verifyOtp('13800000000', '000000').catch((x) => x)
    expect(e.code).toBe('invalid_code')
    expect(handler).not.toHaveBeenCalled()
  })

  it('asks for suggestions with the text and limit', async () => {
    const fetch = vi.fn(async () =>
      json(200, { suggestions: [{ standard_ref: 'GB', kind: 'component', code: '0101', name: '井盖', score: 0.9 }] }),
    )
    vi.stubGlobal('fetch', fetch)
    const r = await citizenApi.suggest('井盖 破损', 5)
    expect(r.map((s) => s.name)).toEqual(['井盖'])
    const url = new URL((fetch.mock.calls[0] as unknown as [string])[0], 'http://x')
    expect(url.pathname).toBe('/api/taxonomy/suggest')
    expect(url.searchParams.get('text')).toBe('井盖 破损')
    expect(url.searchParams.get('limit')).toBe('5')
  })

  it('takes a missing suggester (404) as no suggestions, but not other failures', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(404, { error: { code: 'not_found', message: 'API route not found' } })))
    await expect(citizenApi.suggest('井盖')).resolves.toEqual([])
    vi.stubGlobal('fetch', vi.fn(async () => json(500, { error: { code: 'internal', message: 'x' } })))
    await expect(citizenApi.suggest('井盖')).rejects.toBeInstanceOf(ApiError)
  })

  it('posts the rating as an action of the case', async () => {
    const fetch = vi.fn(async () => json(200, { case: { id: 9 }, event: {}, available_actions: [] }))
    vi.stubGlobal('fetch', fetch)
    await citizenApi.rate(9, { action: 'rate', rating: 'satisfied', expected_version: 12 })
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/cases/9/actions')
    expect(JSON.parse(init.body as string)).toEqual({ action: 'rate', rating: 'satisfied', expected_version: 12 })
  })
})
