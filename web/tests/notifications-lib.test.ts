import { describe, expect, it } from 'vitest'
import { countByStatus, maskRecipient, statusTag, webhookProblems, type Notification } from '../src/lib/notifications'

const msg = (status: Notification['status']): Notification => ({
  id: 1,
  channel: 'sms',
  kind: 'close',
  to: '13812345678',
  subject: '案卷',
  body: '已办结',
  case_id: 1,
  status,
  attempts: 1,
  error: null,
  created_at: '2026-11-24T10:00:00+08:00',
  sent_at: null,
})

describe('notifications', () => {
  it('masks mobile numbers but not URLs', () => {
    expect(maskRecipient('13812345678')).toBe('138****5678')
    expect(maskRecipient('http://127.0.0.1:9/hook')).toBe('http://127.0.0.1:9/hook')
    expect(maskRecipient('0371-67180000')).toBe('0371-67180000')
  })

  it('counts every status, zeros included', () => {
    expect(countByStatus([msg('sent'), msg('sent'), msg('failed')])).toEqual({ pending: 0, sending: 0, sent: 2, failed: 1 })
    expect(statusTag('failed')).toBe('danger')
    expect(statusTag('sent')).toBe('success')
    expect(statusTag('pending')).toBe('info')
  })

  it('checks a webhook form as the server does', () => {
    expect(webhookProblems({ name: '12345 平台', url: 'http://10.0.0.5:8080/hook', actions: [] })).toEqual([])
    expect(webhookProblems({ name: ' ', url: 'https://x.org/h', actions: [] })).toEqual(['notify.badName', 'notify.badUrl'])
    expect(webhookProblems({ name: 'x', url: 'http://h/x', actions: [], secret: 'short' })).toEqual(['notify.badSecret'])
    expect(webhookProblems({ name: 'x', url: 'http://h/x', actions: [], secret: '' })).toEqual([])
  })
})
