// Volunteers 志愿者: the summary made whole (eleven projects in seed order, zeros included,
// odd shapes tolerated), totals and rates, the bar chart, and every project named in both
// languages.
import { describe, expect, it } from 'vitest'
import { messages } from '../src/i18n/messages'
import { percent, projectChart, projectRows, totals, VOLUNTEER_PROJECTS } from '../src/lib/volunteers'

describe('volunteer summary', () => {
  it('has the eleven projects of seed 002, each named in Chinese and English', () => {
    expect(VOLUNTEER_PROJECTS).toHaveLength(11)
    expect(new Set(VOLUNTEER_PROJECTS).size).toBe(11)
    for (const p of VOLUNTEER_PROJECTS) {
      expect(messages['zh-CN'][`volunteer.project.${p}`], p).toBeTruthy()
      expect(messages.en[`volunteer.project.${p}`], p).toBeTruthy()
    }
    expect(messages['zh-CN']['volunteer.project.shared_bikes']).toBe('共享单车整治')
  })

  it('fills in missing projects with zeros and keeps the seed order', () => {
    const rows = projectRows({
      projects: [
        { project: 'shared_bikes', label: '共享单车整治', volunteers: 2, honorary: 1, reports: 5, verified: 4, filed: 3, closed: '2' },
        { project: 'road_patrol', volunteers: 1, reports: -3, filed: 'x' },
        { project: 'knitting', volunteers: 1 },
        null,
        { volunteers: 9 },
      ],
    })
    expect(rows.map((r) => r.project)).toEqual([...VOLUNTEER_PROJECTS, 'knitting'])
    expect(rows[0]).toMatchObject({ project: 'road_patrol', volunteers: 1, reports: 0, filed: 0 })
    expect(rows[10]).toEqual({
      project: 'shared_bikes',
      label: '共享单车整治',
      volunteers: 2,
      honorary: 1,
      reports: 5,
      verified: 4,
      filed: 3,
      closed: 2,
    })
    expect(rows[4]).toMatchObject({ project: 'sanitation', volunteers: 0, reports: 0 })
    expect(projectRows(null)).toHaveLength(11)
    expect(projectRows({ projects: 'nope' }).every((r) => r.volunteers === 0)).toBe(true)
  })

  it('sums the rows and gives rates only when there is something to divide', () => {
    const rows = projectRows({
      projects: [
        { project: 'waterways', volunteers: 3, reports: 4, filed: 3, closed: 1 },
        { project: 'community', volunteers: 2, honorary: 1, reports: 4, filed: 1, closed: 1 },
      ],
    })
    expect(totals(rows)).toEqual({ volunteers: 5, honorary: 1, reports: 8, verified: 0, filed: 4, closed: 2 })
    expect(percent(4, 8)).toBe(50)
    expect(percent(1, 3)).toBe(33)
    expect(percent(0, 0)).toBeNull()
    expect(percent(5, 4)).toBe(100)
  })

  it('charts volunteers, reports, filed and closed per project by name', () => {
    const rows = projectRows({ projects: [{ project: 'waterways', volunteers: 3, reports: 4, filed: 2, closed: 1 }] })
    const names = { volunteers: 'V', reports: 'R', filed: 'F', closed: 'C' }
    const o = projectChart(rows, (c) => `#${c}`, names)
    expect(o.yAxis.data).toHaveLength(11)
    expect(o.yAxis.data[2]).toBe('#waterways')
    expect(o.series.map((s) => s.name)).toEqual(['V', 'R', 'F', 'C'])
    expect(o.series.map((s) => s.data[2])).toEqual([3, 4, 2, 1])
    expect(o.legend.data).toEqual(['V', 'R', 'F', 'C'])
  })
})
