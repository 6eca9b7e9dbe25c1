import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { ASSESSMENT_ROLES, CYCLE_ROLES, MATTERS_ROLES } from './lib/assessment'
import { DEVICE_ROLES } from './lib/devices'
import { PERMIT_ROLES } from './lib/permits'
import { SUPERVISION_ROLES } from './lib/supervision'
import { VOLUNTEER_ROLES } from './lib/volunteers'
import { hasRole, homePath, loadMe, loadMeta, me, OVERVIEW_ROLES, REPORTER_ROLES, WORKBENCH_ROLES } from './lib/session'

/** Who may use the citizen portal. */
export const CITIZEN_ROLES = ['citizen', 'volunteer']

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  // The citizen portal 随手拍 on a phone: sign-in by SMS code, report, my reports (own layout).
  { path: '/citizen/login', name: 'citizen-login', component: () => import('./views/citizen/CitizenLoginView.vue'), meta: { public: true } },
  {
    path: '/citizen',
    component: () => import('./views/citizen/CitizenLayout.vue'),
    meta: { roles: CITIZEN_ROLES, login: 'citizen-login' },
    children: [
      { path: '', name: 'citizen-report', component: () => import('./views/citizen/CitizenReportView.vue') },
      { path: 'mine', name: 'citizen-mine', component: () => import('./views/citizen/CitizenMineView.vue') },
      { path: 'cases/:id(\\d+)', name: 'citizen-case', component: () => import('./views/citizen/CitizenCaseView.vue'), props: true },
      { path: ':rest(.*)*', redirect: '/citizen' },
    ],
  },
  // The inspector's phone view: nearby tasks on a map, verify/check on site, report with GPS.
  {
    path: '/m',
    component: () => import('./views/mobile/InspectorLayout.vue'),
    meta: { roles: ['inspector'] },
    children: [
      { path: '', name: 'm-tasks', component: () => import('./views/mobile/InspectorTasksView.vue') },
      { path: 'tasks/:id(\\d+)', name: 'm-task', component: () => import('./views/mobile/InspectorTaskView.vue'), props: true },
      { path: 'report', name: 'm-report', component: () => import('./views/mobile/InspectorReportView.vue') },
      { path: ':rest(.*)*', redirect: '/m' },
    ],
  },
  // The wall screen 一屏知全区: full screen, outside the menu layout.
  { path: '/wall', name: 'wall', component: () => import('./views/WallView.vue'), meta: { roles: OVERVIEW_ROLES } },
  {
    path: '/',
    component: () => import('./layouts/MainLayout.vue'),
    children: [
      { path: '', name: 'home', redirect: () => homePath() },
      { path: 'overview', name: 'overview', component: () => import('./views/OverviewView.vue'), meta: { roles: OVERVIEW_ROLES } },
      { path: 'workbench', name: 'workbench', component: () => import('./views/WorkbenchView.vue'), meta: { roles: WORKBENCH_ROLES } },
      { path: 'cases/:id(\\d+)', name: 'case', component: () => import('./views/CaseDetailView.vue'), props: true },
      { path: 'vehicles', name: 'vehicles', component: () => import('./views/VehiclesView.vue'), meta: { roles: DEVICE_ROLES } },
      { path: 'environment', name: 'environment', component: () => import('./views/EnvironmentView.vue'), meta: { roles: DEVICE_ROLES } },
      { path: 'permits', name: 'permits', component: () => import('./views/PermitsView.vue'), meta: { roles: PERMIT_ROLES } },
      { path: 'assessment/rankings', name: 'rankings', component: () => import('./views/assessment/RankingsView.vue'), meta: { roles: ASSESSMENT_ROLES } },
      { path: 'assessment/flags', name: 'flags', component: () => import('./views/assessment/FlagsView.vue'), meta: { roles: ASSESSMENT_ROLES } },
      { path: 'assessment/matters', name: 'matters', component: () => import('./views/assessment/MattersView.vue'), meta: { roles: MATTERS_ROLES } },
      { path: 'assessment/cycle-tasks', name: 'cycle-tasks', component: () => import('./views/assessment/CycleTasksView.vue'), meta: { roles: CYCLE_ROLES } },
      { path: 'assessment/volunteers', name: 'volunteers', component: () => import('./views/assessment/VolunteersView.vue'), meta: { roles: VOLUNTEER_ROLES } },
      { path: 'assessment/supervision', name: 'supervision', component: () => import('./views/assessment/SupervisionView.vue'), meta: { roles: SUPERVISION_ROLES } },
      { path: 'report', name: 'report', component: () => import('./views/ReportView.vue'), meta: { roles: REPORTER_ROLES } },
      { path: 'mine', name: 'mine', component: () => import('./views/MyReportsView.vue') },
      { path: 'admin/users', name: 'users', component: () => import('./views/admin/UsersView.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/departments', name: 'departments', component: () => import('./views/admin/DepartmentsView.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/taxonomy', name: 'taxonomy', component: () => import('./views/admin/TaxonomyView.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/node-limits', name: 'node-limits', component: () => import('./views/admin/NodeLimitsView.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/notifications', name: 'notifications', component: () => import('./views/admin/NotificationsView.vue'), meta: { roles: ['admin'] } },
      { path: ':rest(.*)*', redirect: '/' },
    ],
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

/** The sign-in page for a path: the portal's SMS sign-in under /citizen, else the staff login. */
export function loginFor(path: string): 'citizen-login' | 'login' {
  return path === '/citizen' || path.startsWith('/citizen/') ? 'citizen-login' : 'login'
}

router.beforeEach(async (to) => {
  await loadMeta().catch(() => undefined)
  if (to.meta.public) return true
  const login = loginFor(to.path)
  if (!me.value && !(await loadMe())) {
    return { name: login, query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  }
  const need = to.meta.roles as string[] | undefined
  if (need && !hasRole(...need)) {
    // Someone signed in as staff opening the portal signs in as a citizen there.
    if (login === 'citizen-login') return { name: login, query: { next: to.fullPath } }
    return homePath() === to.path ? true : homePath()
  }
  return true
})
