import { describe, expect, it } from 'vitest'
import { loginFor, router } from '../src/router'

describe('phone routes', () => {
  it('sends the portal to the SMS sign-in and everything else to the staff login', () => {
    expect(loginFor('/citizen')).toBe('citizen-login')
    expect(loginFor('/citizen/mine')).toBe('citizen-login')
    expect(loginFor('/citizen/cases/5')).toBe('citizen-login')
    expect(loginFor('/citizenship')).toBe('login')
    expect(loginFor('/m')).toBe('login')
    expect(loginFor('/workbench')).toBe('login')
  })

  it('keeps the portal for citizens and the phone view for inspectors', () => {
    const portal = router.resolve('/citizen/cases/12')
    expect(portal.name).toBe('citizen-case')
    expect(portal.params.id).toBe('12')
    expect(portal.meta.roles).toEqual(['citizen', 'volunteer'])
    const task = router.resolve('/m/tasks/7')
    expect(task.name).toBe('m-task')
    expect(task.meta.roles).toEqual(['inspector'])
    expect(router.resolve('/citizen/login').meta.public).toBe(true)
    // Unknown paths inside each stay inside it.
    expect(router.resolve('/m/nowhere').matched.some((r) => r.redirect === '/m')).toBe(true)
  })
})
