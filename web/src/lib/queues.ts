// The workbench queues each role works from, and whether a changed case belongs to one of the
// user's queues.
import type { Case, Me, Queues } from '../api/types'

export interface QueueDef {
  key: string
  /** i18n key of the tab title. */
  title: string
  /** The `GET /api/cases` filter. */
  filter: { state?: string; pending?: string; assigned?: boolean; light?: string; mine?: boolean }
  /** The badge count from `GET /api/queues`; `null` for none. */
  count: (q: Queues) => number | null
}

const st = (state: string): QueueDef => ({
  key: state,
  title: `queue.${state}`,
  filter: { state },
  count: (q) => q.states[state] ?? 0,
})
const pending = (kind: 'return' | 'extension' | 'suspension' | 'void'): QueueDef => ({
  key: `pending_${kind}`,
  title: `queue.pending.${kind}`,
  filter: { pending: kind },
  count: (q) => q.pending_requests[kind] ?? 0,
})

const MY_TASKS: QueueDef = {
  key: 'my_tasks',
  title: 'queue.my_tasks',
  filter: { state: 'verifying,checking', assigned: true },
  count: (q) => q.my_inspection_tasks,
}
const RED: QueueDef = { key: 'red', title: 'queue.red', filter: { light: 'red' }, count: (q) => q.lights.red }
const MINE: QueueDef = { key: 'mine', title: 'queue.mine', filter: { mine: true }, count: () => null }

/** The queues of each role, in the order they are worked. */
const BY_ROLE: Record<string, QueueDef[]> = {
  operator: [st('reported'), st('verifying'), st('pending_check'), st('checking')],
  shift_supervisor: [st('pending_filing'), st('pending_close'), pending('void')],
  dispatcher: [st('pending_dispatch'), pending('return'), pending('extension'), pending('suspension'), st('suspended')],
  department_handler: [st('dispatched'), st('handling'), st('suspended')],
  inspector: [MY_TASKS, MINE],
  leader: [RED, st('reported'), st('pending_filing'), st('pending_dispatch'), st('dispatched'), st('handling'), st('pending_check'), st('pending_close'), st('suspended'), pending('return'), pending('extension'), pending('suspension'), pending('void')],
  admin: [RED, st('reported'), st('pending_filing'), st('pending_dispatch'), st('dispatched'), st('handling'), st('pending_check'), st('pending_close'), st('suspended'), pending('return'), pending('extension'), pending('suspension'), pending('void')],
}

/** The user's queues, without repeats, in role order. */
export function queuesFor(roles: Iterable<string>): QueueDef[] {
  const order = ['operator', 'shift_supervisor', 'dispatcher', 'department_handler', 'inspector', 'leader', 'admin']
  const have = new Set(roles)
  const seen = new Set<string>()
  const out: QueueDef[] = []
  for (const r of order) {
    if (!have.has(r)) continue
    for (const q of BY_ROLE[r]) {
      if (seen.has(q.key)) continue
      seen.add(q.key)
      out.push(q)
    }
  }
  return out
}

/** States in which each role must act on a case it can see. */
const ROLE_STATES: Record<string, string[]> = {
  operator: ['reported', 'pending_check'],
  shift_supervisor: ['pending_filing', 'pending_close'],
  dispatcher: ['pending_dispatch'],
}

export type Landing = 'personal' | 'queue' | null

/**
 * Whether a changed case now waits for this user: `personal` when it is theirs by name
 * (an inspection task assigned to them, a task for their department), `queue` when it entered
 * a role queue they work, `null` otherwise. Changes the user made themselves do not count.
 */
export function landsFor(me: Me, c: Case, actorId: number): Landing {
  if (actorId === me.user.id) return null
  const roles = new Set(me.grants.map((g) => g.role))
  if (roles.has('inspector') && c.assignee_id === me.user.id && (c.state === 'verifying' || c.state === 'checking'))
    return 'personal'
  const depts = me.grants.filter((g) => g.role === 'department_handler').map((g) => g.department_id)
  if (c.department_id != null && depts.includes(c.department_id) && c.state === 'dispatched') return 'personal'
  if (c.pending) {
    if (roles.has('dispatcher') && ['return', 'extension', 'suspension'].includes(c.pending.kind)) return 'queue'
    if (roles.has('shift_supervisor') && c.pending.kind === 'void') return 'queue'
  }
  for (const [role, states] of Object.entries(ROLE_STATES)) {
    if (roles.has(role) && states.includes(c.state)) return 'queue'
  }
  return null
}
