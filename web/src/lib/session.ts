// Who is signed in, the API vocabulary, and what the user's roles open up.
import { computed, ref } from 'vue'
import { api } from '../api'
import type { Me, Meta } from '../api/types'
import { setMeta } from '../i18n'

export const me = ref<Me | null>(null)
export const meta = ref<Meta | null>(null)

export const roles = computed(() => new Set((me.value?.grants ?? []).map((g) => g.role)))
export const hasRole = (...rs: string[]) => rs.some((r) => roles.value.has(r))
/** Departments the user handles cases for. */
export const myDepartmentIds = computed(
  () =>
    new Set(
      (me.value?.grants ?? [])
        .filter((g) => g.role === 'department_handler' && g.department_id != null)
        .map((g) => g.department_id as number),
    ),
)

export async function loadMeta(): Promise<void> {
  if (meta.value) return
  meta.value = await api.meta()
  setMeta(meta.value)
}

/** Loads the signed-in user; `false` if nobody is signed in. */
export async function loadMe(): Promise<boolean> {
  try {
    me.value = await api.me(true)
    return true
  } catch {
    me.value = null
    return false
  }
}

export function clearSession(): void {
  me.value = null
}

/** Roles that work cases from queues (the workbench). */
export const WORKBENCH_ROLES = ['operator', 'shift_supervisor', 'dispatcher', 'department_handler', 'inspector', 'leader', 'admin']
/** Roles that may report through some channel. */
export const REPORTER_ROLES = ['inspector', 'operator', 'citizen', 'volunteer', 'leader', 'admin']

/** Roles that watch the command centre (overview with the city map). */
export const OVERVIEW_ROLES = ['leader', 'admin', 'operator', 'shift_supervisor', 'dispatcher']

/** Where a user lands after signing in. */
export function homePath(): string {
  if (hasRole('leader', 'admin')) return '/overview'
  if (hasRole(...WORKBENCH_ROLES)) return '/workbench'
  if (hasRole('citizen', 'volunteer')) return '/mine'
  return '/report'
}
