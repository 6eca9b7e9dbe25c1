// Live updates: one EventSource on `/api/events` (the session cookie authenticates it).
// Views subscribe to case changes; the layout shows a notification when a case lands in the
// user's queues.
import { ref } from 'vue'
import type { CaseChange } from '../api/types'

type Listener = (c: CaseChange) => void

const listeners = new Set<Listener>()
const resyncListeners = new Set<() => void>()
const cityListeners = new Set<(version: number) => void>()
let source: EventSource | null = null
let retryTimer: ReturnType<typeof setTimeout> | null = null

/** Whether the stream is open. */
export const connected = ref(false)

export function onCaseChange(fn: Listener): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

/** Called when events may have been missed (reconnect, lag): reload what is shown. */
export function onResync(fn: () => void): () => void {
  resyncListeners.add(fn)
  return () => resyncListeners.delete(fn)
}

/** Called with the new version when the city model (areas, roads, components) changes. */
export function onCityChange(fn: (version: number) => void): () => void {
  cityListeners.add(fn)
  return () => cityListeners.delete(fn)
}

export function startLive(): void {
  if (source || typeof EventSource === 'undefined') return
  const es = new EventSource('/api/events', { withCredentials: true })
  source = es
  let opened = false
  es.addEventListener('hello', () => {
    connected.value = true
    if (opened) resyncListeners.forEach((f) => f())
    opened = true
  })
  es.addEventListener('case', (ev) => {
    let data: CaseChange
    try {
      data = JSON.parse((ev as MessageEvent).data) as CaseChange
    } catch {
      return
    }
    listeners.forEach((f) => f(data))
  })
  es.addEventListener('city', (ev) => {
    let version: unknown
    try {
      version = (JSON.parse((ev as MessageEvent).data) as { version?: unknown }).version
    } catch {
      return
    }
    if (typeof version === 'number') cityListeners.forEach((f) => f(version as number))
  })
  es.addEventListener('lagged', () => resyncListeners.forEach((f) => f()))
  es.onerror = () => {
    connected.value = false
    // The browser retries by itself while the stream is CONNECTING; a CLOSED one (e.g. 401)
    // is retried here a little later.
    if (es.readyState === EventSource.CLOSED) {
      stopLive()
      retryTimer = setTimeout(startLive, 5000)
    }
  }
}

export function stopLive(): void {
  if (retryTimer) clearTimeout(retryTimer)
  retryTimer = null
  source?.close()
  source = null
  connected.value = false
}
