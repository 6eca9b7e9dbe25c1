// Dates, durations and deadlines for display (times shown in Asia/Shanghai, as the city works).
import { t } from '../i18n'

const fmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})

/** `2026-05-14 16:30` (Asia/Shanghai). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const parts = Object.fromEntries(fmt.formatToParts(d).map((p) => [p.type, p.value]))
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour === '24' ? '00' : parts.hour}:${parts.minute}`
}

/** Working minutes as `45分钟`, `2小时5分`, `3天1小时` (a working day = 420 minutes). */
export function formatMinutes(minutes: number, perDay = 420): string {
  const m = Math.max(0, Math.round(Math.abs(minutes)))
  if (m < 60) return t('dur.m', { n: m })
  if (m < perDay) return t('dur.h', { h: Math.floor(m / 60), m: m % 60 })
  const d = Math.floor(m / perDay)
  return t('dur.d', { d, h: Math.floor((m % perDay) / 60) })
}

/** How much working time is left (or over) at the case's current node. */
export function deadlineText(c: {
  node_limit_minutes: number | null
  node_used_minutes: number | null
  deadline_at: string | null
  light: string | null
}): string {
  if (c.node_limit_minutes == null || c.node_used_minutes == null || c.light == null) return ''
  const left = c.node_limit_minutes - c.node_used_minutes
  const rel = left >= 0 ? t('deadline.left', { t: formatMinutes(left) }) : t('deadline.over', { t: formatMinutes(-left) })
  if (!c.deadline_at) return `${t('deadline.paused')}·${rel}`
  return rel
}
