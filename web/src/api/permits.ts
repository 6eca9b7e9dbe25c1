// Muck-disposal permits 渣土处置核准: list, one, create, update, revoke. The body mirrors
// `supervision::muck::permit::Permit` (see `lib/permits.ts`); the server assigns the id.
// Writers: admins and handlers of an enforcement department (others get 403).
import type { Permit, PermitBody } from '../lib/permits'
import { http } from './http'

/** The record id is a number in the API; the UI keeps it as text (routes, comparisons). */
const norm = (p: Permit): Permit => ({ ...p, id: String(p.id ?? '') })
const asList = (v: unknown): Permit[] => {
  if (Array.isArray(v)) return (v as Permit[]).map(norm)
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>
  for (const k of ['items', 'permits']) if (Array.isArray(o[k])) return (o[k] as Permit[]).map(norm)
  return []
}
/** A permit whether it comes bare or as `{permit: …}`. */
const one = (v: unknown): Permit => {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>
  return norm((o.permit && typeof o.permit === 'object' ? o.permit : o) as Permit)
}

export const permitsApi = {
  /** Permits, optionally those valid on a day (`YYYY-MM-DD`) or naming a plate. */
  list: async (q: { valid_on?: string; plate?: string } = {}) => asList(await http.get<unknown>('/api/permits', q)),
  get: async (id: string) => one(await http.get<unknown>(`/api/permits/${encodeURIComponent(id)}`)),
  create: async (p: PermitBody) => one(await http.post<unknown>('/api/permits', p)),
  update: async (id: string, p: PermitBody) => one(await http.put<unknown>(`/api/permits/${encodeURIComponent(id)}`, p)),
  revoke: async (id: string, reason: string) => one(await http.post<unknown>(`/api/permits/${encodeURIComponent(id)}/revoke`, { reason })),
}
