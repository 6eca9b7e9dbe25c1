// The outbox 通知发件箱 and webhooks 集成推送 (admins): what was sent to whom and whether it
// went out; the integration endpoints that receive case changes.
import type { NewWebhook, Notification, Webhook, WebhookCreated } from '../lib/notifications'
import { http } from './http'

export const notificationsApi = {
  /** Outbox messages, newest first. */
  list: async (q: { channel?: string; to?: string; case_id?: number; limit?: number } = {}) =>
    (await http.get<{ notifications: Notification[] }>('/api/notifications', q)).notifications,
  webhooks: async () => (await http.get<{ webhooks: Webhook[] }>('/api/webhooks')).webhooks,
  /** Registers an endpoint; the answer carries the secret, shown only this once. */
  createWebhook: (w: NewWebhook) => http.post<WebhookCreated>('/api/webhooks', w),
  stopWebhook: (id: number) => http.delete<void>(`/api/webhooks/${id}`),
}
