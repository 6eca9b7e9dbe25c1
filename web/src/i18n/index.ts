// A small i18n: a reactive locale, `t(key, params)`, and the API vocabulary's labels.
import { ref } from 'vue'
import type { Meta } from '../api/types'
import { enVocab, messages, zhVocab, type Locale } from './messages'

export type { Locale } from './messages'

const STORAGE_KEY = 'yiwang.locale'

function initialLocale(): Locale {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY)
    if (saved === 'en' || saved === 'zh-CN') return saved
  } catch {
    /* storage unavailable */
  }
  return 'zh-CN'
}

export const locale = ref<Locale>(initialLocale())

export function setLocale(l: Locale): void {
  locale.value = l
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, l)
  } catch {
    /* ignore */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l
}

/** Translates `key`, filling `{name}` placeholders from `params`. Unknown keys come back as is. */
export function t(key: string, params?: Record<string, string | number>): string {
  const s = messages[locale.value][key] ?? messages['zh-CN'][key] ?? key
  if (!params) return s
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m))
}

/** The API vocabulary in Chinese, from `/api/meta`. */
const zhFromMeta = ref<Record<string, Record<string, string>>>({})

export function setMeta(meta: Meta): void {
  const table = (xs: { code: string; label: string }[]) => Object.fromEntries(xs.map((x) => [x.code, x.label]))
  zhFromMeta.value = {
    state: table(meta.states),
    action: table(meta.actions),
    source: table(meta.sources),
    role: table(meta.roles),
    urgency: table(meta.urgencies),
    department_type: table(meta.department_types),
  }
}

type Vocab = 'state' | 'action' | 'source' | 'role' | 'urgency' | 'department_type'

/** The label of a vocabulary code in the current language; the code itself if unknown. */
export function label(kind: Vocab, code: string | null | undefined): string {
  if (!code) return ''
  if (locale.value === 'en') return enVocab[kind]?.[code] ?? code
  return zhFromMeta.value[kind]?.[code] ?? zhVocab[kind]?.[code] ?? code
}

export const stateLabel = (c: string | null | undefined) => label('state', c)
export const actionLabel = (c: string | null | undefined) => label('action', c)
export const sourceLabel = (c: string | null | undefined) => label('source', c)
export const roleLabel = (c: string | null | undefined) => label('role', c)
export const urgencyLabel = (c: string | null | undefined) => label('urgency', c)
export const deptTypeLabel = (c: string | null | undefined) => label('department_type', c)
