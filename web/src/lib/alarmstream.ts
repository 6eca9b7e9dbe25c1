// Live alarms: the `alarm` events of `/api/events`, to every component that listens.
// The shared stream in lib/live.ts does not hand out `alarm` events, so this module keeps its own
// EventSource, open only while at least one component listens.
import type { Alarm } from '../api/alarms'

type Listener = (a: Alarm) => void

const listeners = new Set<Listener>()
const resyncListeners = new Set<() => void>()
let source: EventSource | null = null
let retryTimer: ReturnType<typeof setTimeout> | null = null

/** Hands one alarm to every listener (the stream's handler; tests call it directly). */
export function deliverAlarm(a: Alarm): void {
  listeners.forEach((f) => f(a))
}

function parse(data: string): Alarm | null {
  try {
    const a = JSON.parse(data) as Partial<Alarm>
    return typeof a.id === 'number' && typeof a.state === 'string' ? (a as Alarm) : null
  } catch {
    return null
  }
}

function open(): void {
  if (source || typeof EventSource === 'undefined') return
  const es = new EventSource('/api/events', { withCredentials: true })
  source = es
  let opened = false
  es.addEventListener('hello', () => {
    if (opened) resyncListeners.forEach((f) => f())
    opened = true
  })
  es.addEventListener('alarm', (ev) => {
    const a = parse(String((ev as MessageEvent).data))
    if (a) deliverAlarm(a)
  })
  es.addEventListener('lagged', () => resyncListeners.forEach((f) => f()))
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      close()
      if (listeners.size) retryTimer = setTimeout(open, 5000)
    }
  }
}

function close(): void {
  if (retryTimer) clearTimeout(retryTimer)
  retryTimer = null
  source?.close()
  source = null
}

/** Calls `fn` with every alarm raised, updated or cleared; returns the unsubscribe. */
export function onAlarm(fn: Listener, onResync?: () => void): () => void {
  listeners.add(fn)
  if (onResync) resyncListeners.add(onResync)
  open()
  return () => {
    listeners.delete(fn)
    if (onResync) resyncListeners.delete(onResync)
    if (!listeners.size) close()
  }
}
