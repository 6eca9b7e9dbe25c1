// Error messages in plain words for people.
import { ApiError } from '../api/http'
import { t } from '../i18n'

const KNOWN = new Set([
  'bad_credentials',
  'unauthenticated',
  'token_expired',
  'not_found',
  'version_conflict',
  'invalid_transition',
  'request_pending',
  'payload_too_large',
  'unsupported_media_type',
  'network',
  'outside_city',
  'point_outside_area',
  'invalid_point',
  'internal',
])

/** What to tell the user about `e`. */
export function friendlyError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'forbidden') return t('error.forbidden', { msg: e.message })
    if (KNOWN.has(e.code)) return t(`error.${e.code}`)
    if (e.status >= 500) return t('error.internal')
    return t('error.generic', { msg: e.message })
  }
  if (e instanceof Error) return t('error.generic', { msg: e.message })
  return t('error.generic', { msg: String(e) })
}

export function isVersionConflict(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409 && e.code === 'version_conflict'
}
