// Notifications helpers with no IO: the shapes of the outbox and webhooks, masked phone numbers,
// status tags, counts per status, and the check of a webhook form before it is sent.

export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed'

/** One outbox message (`GET /api/notifications`). */
export interface Notification {
  id: number
  channel: 'sms' | 'webhook'
  /** `otp`, or the case action it tells of. */
  kind: string
  to: string
  subject: string
  body: string
  case_id: number | null
  status: NotificationStatus
  attempts: number
  error: string | null
  created_at: string
  sent_at: string | null
}

export interface Webhook {
  id: number
  name: string
  url: string
  actions: string[]
  active: boolean
  created_at: string
}

export interface WebhookCreated extends Webhook {
  secret: string
}

export interface NewWebhook {
  name: string
  url: string
  actions: string[]
  secret?: string
}

/** The case actions an integration usually follows, offered first in the form. */
export const COMMON_ACTIONS = ['report', 'file', 'dispatch', 'feedback', 'close', 'reply', 'rate', 'reject', 'link_duplicate']

/** `13812345678` → `138****5678`; URLs and other text are left as they are. */
export function maskRecipient(to: string): string {
  return /^1[3-9]\d{9}$/.test(to) ? `${to.slice(0, 3)}****${to.slice(7)}` : to
}

/** The Element Plus tag type of a status. */
export function statusTag(s: NotificationStatus): 'success' | 'warning' | 'danger' | 'info' {
  switch (s) {
    case 'sent':
      return 'success'
    case 'failed':
      return 'danger'
    case 'sending':
      return 'warning'
    default:
      return 'info'
  }
}

/** Counts of messages per status (every status present, zeros included). */
export function countByStatus(list: Notification[]): Record<NotificationStatus, number> {
  const out: Record<NotificationStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0 }
  for (const n of list) if (n.status in out) out[n.status] += 1
  return out
}

/** What is wrong with a webhook form, as i18n keys (empty when it can be sent). */
export function webhookProblems(w: NewWebhook): string[] {
  const out: string[] = []
  const name = w.name.trim()
  if (!name || name.length > 100) out.push('notify.badName')
  if (!/^http:\/\/[^/\s?#]+/.test(w.url) || w.url.length > 500 || /\s/.test(w.url)) out.push('notify.badUrl')
  if (w.secret !== undefined && w.secret !== '' && (w.secret.length < 16 || w.secret.length > 200)) out.push('notify.badSecret')
  return out
}
