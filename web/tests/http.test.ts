import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, errorFromResponse, request, setUnauthenticatedHandler, withQuery } from '../src/api/http'
import { friendlyError, isVersionConflict } from '../src/lib/errors'
import { setLocale } from '../src/i18n'

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

afterEach(() => {
  vi.unstubAllGlobals()
  setUnauthenticatedHandler(null)
  setLocale('zh-CN')
})

describe('errorFromResponse', () => {
  it('reads the API error shape', async () => {
    const e = await errorFromResponse(json(422, { error: { code: 'missing_field', message: 'note is required' } }))
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(422)
    expect(e.code).toBe('missing_field')
    expect(e.message).toBe('note is required')
  })

  it('keeps the current case of a version conflict', async () => {
    const e = await errorFromResponse(
      json(409, { error: { code: 'version_conflict', message: 'changed', current: { id: 7, version: 3 } } }),
    )
    expect(e.code).toBe('version_conflict')
    expect(e.current).toEqual({ id: 7, version: 3 })
    expect(isVersionConflict(e)).toBe(true)
  })

  it('copes with bodies that are not the API shape', async () => {
    const html = await errorFromResponse(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }))
    expect(html.code).toBe('http_502')
    expect(html.message).toBe('Bad Gateway')
    const text = await errorFromResponse(new Response('upstream timed out', { status: 504 }))
    expect(text.message).toBe('upstream timed out')
  })
})

describe('request', () => {
  it('sends JSON and the cookie, and parses JSON', async () => {
    const fetch = vi.fn(async () => json(200, { ok: true }))
    vi.stubGlobal('fetch', fetch)
    const r = await request<{ ok: boolean }>('/api/x', { method: 'POST', body: { a: 1 } })
    expect(r.ok).toBe(true)
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/x')
    expect(init.credentials).toBe('same-origin')
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json')
    expect(init.body).toBe('{"a":1}')
  })

  it('maps a network failure to code network', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    const e = (await request('/api/x').catch((x: unknown) => x)) as ApiError
    expect(e).toBeInstanceOf(ApiError)
    expect(e.code).toBe('network')
    expect(e.status).toBe(0)
  })

  it('calls the unauthenticated handler on 401 unless told to be quiet', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { error: { code: 'unauthenticated', message: 'sign in first' } })))
    const seen = vi.fn()
    setUnauthenticatedHandler(seen)
    await request('/api/me').catch(() => undefined)
    expect(seen).toHaveBeenCalledTimes(1)
    await request('/api/auth/login', { method: 'POST', body: {}, quiet401: true }).catch(() => undefined)
    expect(seen).toHaveBeenCalledTimes(1)
  })

  it('returns nothing for 204', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })))
    expect(await request('/api/auth/logout', { method: 'POST' })).toBeUndefined()
  })
})

describe('withQuery', () => {
  it('drops empty values and encodes the rest', () => {
    expect(withQuery('/api/cases', { state: 'reported', q: '井盖 破损', light: '', cursor: undefined, limit: 30 })).toBe(
      '/api/cases?state=reported&q=%E4%BA%95%E7%9B%96+%E7%A0%B4%E6%8D%9F&limit=30',
    )
    expect(withQuery('/api/cases', {})).toBe('/api/cases')
  })
})

describe('friendlyError', () => {
  it('speaks plainly in Chinese by default', () => {
    expect(friendlyError(new ApiError(401, 'bad_credentials', 'wrong username or password'))).toBe('用户名或密码错误')
    expect(friendlyError(new ApiError(0, 'network', 'Failed to fetch'))).toBe('无法连接服务器，请检查网络')
    expect(friendlyError(new ApiError(403, 'forbidden', 'this needs the role admin'))).toBe('没有权限：this needs the role admin')
    expect(friendlyError(new ApiError(500, 'internal', 'internal error'))).toBe('服务器内部错误，请稍后再试')
    expect(friendlyError(new ApiError(422, 'missing_field', 'note is required'))).toBe('操作失败：note is required')
  })

  it('switches to English', () => {
    setLocale('en')
    expect(friendlyError(new ApiError(401, 'bad_credentials', 'x'))).toBe('Wrong username or password')
    expect(friendlyError(new ApiError(409, 'version_conflict', 'x'))).toContain('Someone else just changed this case')
  })
})
