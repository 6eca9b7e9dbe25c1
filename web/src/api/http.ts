// A light fetch wrapper: same-origin requests with the session cookie, JSON in and out, and
// one error type carrying the API's `{"error":{"code","message"}}`.

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number
  /** The API's error code (e.g. `version_conflict`), or `network` / `http_<status>`. */
  readonly code: string
  /** For 409 version conflicts: the case as it is now. */
  readonly current?: unknown
  /** The whole `error` object of the body (e.g. a 422's list of problems), when there was one. */
  readonly details?: Record<string, unknown>

  constructor(status: number, code: string, message: string, current?: unknown, details?: Record<string, unknown>) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.current = current
    this.details = details
  }
}

/** Called on a 401 from any request except login (the app sends the user to the login page). */
let onUnauthenticated: (() => void) | null = null
export function setUnauthenticatedHandler(fn: (() => void) | null): void {
  onUnauthenticated = fn
}

/** Turns a failed response into an [`ApiError`], whatever its body. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown = null
  const text = await res.text().catch(() => '')
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = null
  }
  const err = (body as { error?: { code?: unknown; message?: unknown; current?: unknown } } | null)?.error
  if (err && typeof err.code === 'string') {
    const message = typeof err.message === 'string' && err.message ? err.message : err.code
    return new ApiError(res.status, err.code, message, err.current, err as Record<string, unknown>)
  }
  const fallback = text && text.length < 200 && !text.trimStart().startsWith('<') ? text.trim() : res.statusText
  const details = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined
  return new ApiError(res.status, `http_${res.status}`, fallback || `HTTP ${res.status}`, undefined, details)
}

export type Query = Record<string, string | number | boolean | null | undefined>

/** `path?k=v&…`, leaving out empty values. */
export function withQuery(path: string, q?: Query): string {
  if (!q) return path
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue
    p.set(k, String(v))
  }
  const s = p.toString()
  return s ? `${path}?${s}` : path
}

export interface RequestOptions {
  method?: string
  body?: unknown
  query?: Query
  signal?: AbortSignal
  /** Do not call the unauthenticated handler on 401 (login, the first `me`). */
  quiet401?: boolean
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let body: BodyInit | undefined
  if (opts.body instanceof FormData) {
    body = opts.body
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  let res: Response
  try {
    res = await fetch(withQuery(path, opts.query), {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', (e as Error)?.message || 'network error')
  }
  if (!res.ok) {
    const err = await errorFromResponse(res)
    if (res.status === 401 && !opts.quiet401 && onUnauthenticated) onUnauthenticated()
    throw err
  }
  if (res.status === 204) return undefined as T
  const ct = res.headers.get('content-type') ?? ''
  if (!ct.includes('json')) return (await res.text()) as unknown as T
  return (await res.json()) as T
}

export const http = {
  get: <T>(path: string, query?: Query, opts: RequestOptions = {}) => request<T>(path, { ...opts, query }),
  post: <T>(path: string, body?: unknown, opts: RequestOptions = {}) =>
    request<T>(path, { ...opts, method: 'POST', body: body ?? {} }),
  put: <T>(path: string, body: unknown, opts: RequestOptions = {}) => request<T>(path, { ...opts, method: 'PUT', body }),
  delete: <T>(path: string, opts: RequestOptions = {}) => request<T>(path, { ...opts, method: 'DELETE' }),
}
