// Loading alarms for one list: one request per source kind (the API filters by one kind at a
// time), merged newest first.
import { alarmsApi, type Alarm, type AlarmPage, type AlarmStateFilter } from '../api/alarms'

/** Newest raised first; ties by id, newest first. */
export function byRaisedDesc(a: Alarm, b: Alarm): number {
  return Date.parse(b.raised_at) - Date.parse(a.raised_at) || b.id - a.id
}

/**
 * The first `limit` alarms of `kinds` ([] = every kind) in `state` (and of `rule`, an id or a
 * family prefix ending in `.`), and how many there are.
 */
export async function loadAlarms(kinds: readonly string[], state: AlarmStateFilter | '', limit: number, rule?: string): Promise<AlarmPage> {
  const st = state || undefined
  if (kinds.length <= 1) {
    const page = await alarmsApi.list({ state: st, source_kind: kinds[0], rule, limit })
    return { items: [...page.items].sort(byRaisedDesc), total: page.total }
  }
  const pages = await Promise.all(kinds.map((k) => alarmsApi.list({ state: st, source_kind: k, rule, limit })))
  const seen = new Set<number>()
  const items: Alarm[] = []
  for (const p of pages) {
    for (const a of p.items) {
      if (seen.has(a.id)) continue
      seen.add(a.id)
      items.push(a)
    }
  }
  items.sort(byRaisedDesc)
  return { items: items.slice(0, limit), total: pages.reduce((n, p) => n + p.total, 0) }
}
