// Reference data loaded once and shared: departments, inspectors, matter classes, area names.
import { reactive, ref } from 'vue'
import { api } from '../api'
import type { Department, Inspector, TaxonomyClass } from '../api/types'

export const departments = ref<Department[]>([])
export const inspectors = ref<Inspector[]>([])
export const matterClasses = ref<TaxonomyClass[]>([])
/** Area code → name, filled as codes are seen. */
export const areaNames = reactive<Record<string, string>>({})

const once: Record<string, Promise<void> | undefined> = {}

function loadOnce(key: string, f: () => Promise<void>): Promise<void> {
  if (!once[key]) {
    once[key] = f().catch((e) => {
      once[key] = undefined
      throw e
    })
  }
  return once[key] as Promise<void>
}

export const loadDepartments = () =>
  loadOnce('departments', async () => {
    departments.value = await api.departments()
  })
export const loadInspectors = () =>
  loadOnce('inspectors', async () => {
    inspectors.value = await api.inspectors()
  })
export const loadMatterClasses = () =>
  loadOnce('classes', async () => {
    matterClasses.value = await api.taxonomy({ kind: 'matter' })
  })

export function departmentName(id: number | null | undefined): string {
  if (id == null) return ''
  return departments.value.find((d) => d.id === id)?.name ?? `#${id}`
}

export function inspectorName(id: number | null | undefined): string {
  if (id == null) return ''
  return inspectors.value.find((i) => i.id === id)?.display_name ?? `#${id}`
}

const pendingAreas = new Set<string>()

/** Makes sure the names of `codes` are (being) loaded into [`areaNames`]. */
export function wantAreaNames(codes: (string | null | undefined)[]): void {
  for (const c of codes) {
    if (!c || c in areaNames || pendingAreas.has(c)) continue
    pendingAreas.add(c)
    api
      .area(c)
      .then((a) => {
        areaNames[c] = a.name
      })
      .catch(() => {
        areaNames[c] = c
      })
      .finally(() => pendingAreas.delete(c))
  }
}

/** Remembers names already known (e.g. from the area picker). */
export function rememberAreas(list: { code: string; name: string }[]): void {
  for (const a of list) areaNames[a.code] = a.name
}

/** Drops everything cached (on sign-out). */
export function clearRefData(): void {
  departments.value = []
  inspectors.value = []
  matterClasses.value = []
  for (const k of Object.keys(once)) once[k] = undefined
}
