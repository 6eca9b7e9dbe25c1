import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  canRate,
  debouncedLookup,
  emptyCitizenReport,
  feedbackPhotos,
  normalisePhone,
  reportPhotos,
  resendLeft,
  stageIndex,
  STAGES,
  toCitizenReportRequest,
  toRateRequest,
  unsatisfiedReopens,
  validateCitizenReport,
  validateRating,
  validCode,
  validPhone,
} from '../src/lib/citizen'
import type { CaseEvent } from '../src/api/types'

afterEach(() => {
  vi.useRealTimers()
})

describe('phone and code', () => {
  it.each(['13800000000', '19912345678', '138 0000 0000', '138-0000-0000'])('%s is a mobile number', (p) => {
    expect(validPhone(p)).toBe(true)
  })
  it.each(['', '1380000000', '138000000001', '12800000000', '23800000000', '1380000000a', '+8613800000000'])(
    '%s is not',
    (p) => {
      expect(validPhone(p)).toBe(false)
    },
  )
  it('strips spaces and dashes before sending', () => {
    expect(normalisePhone(' 138 0000-0000 ')).toBe('13800000000')
  })
  it('takes a 6-digit code only', () => {
    expect(validCode('123456')).toBe(true)
    expect(validCode(' 123456 ')).toBe(true)
    expect(validCode('12345')).toBe(false)
    expect(validCode('12345a')).toBe(false)
  })
})

describe('resend countdown', () => {
  it('counts whole seconds down to zero', () => {
    expect(resendLeft(null, 60, 5_000)).toBe(0)
    expect(resendLeft(1_000, 60, 1_000)).toBe(60)
    expect(resendLeft(1_000, 60, 1_500)).toBe(60)
    expect(resendLeft(1_000, 60, 2_000)).toBe(59)
    expect(resendLeft(1_000, 60, 60_999)).toBe(1)
    expect(resendLeft(1_000, 60, 61_000)).toBe(0)
    expect(resendLeft(1_000, 60, 999_000)).toBe(0)
  })
})

describe('debouncedLookup', () => {
  it('asks once after the typing stops and hands over only the newest answer', async () => {
    vi.useFakeTimers()
    const fetcher = vi.fn(async (q: string) => [q])
    const got: string[][] = []
    const l = debouncedLookup(fetcher, (xs) => got.push(xs), { delayMs: 300, minLength: 2 })
    l.run('井盖')
    await vi.advanceTimersByTimeAsync(100)
    l.run('井盖破')
    await vi.advanceTimersByTimeAsync(100)
    l.run('井盖破损')
    expect(fetcher).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(300)
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(fetcher.mock.calls[0][0]).toBe('井盖破损')
    expect(got).toEqual([['井盖破损']])
  })

  it('drops an answer overtaken by newer typing and aborts its request', async () => {
    vi.useFakeTimers()
    const signals: AbortSignal[] = []
    let release: (v: string[]) => void = () => undefined
    const fetcher = vi.fn(
      (q: string, signal: AbortSignal) =>
        new Promise<string[]>((res) => {
          signals.push(signal)
          if (q === 'old text') release = res
          else res([q])
        }),
    )
    const got: string[][] = []
    const l = debouncedLookup(fetcher, (xs) => got.push(xs), { delayMs: 50, minLength: 2 })
    l.run('old text')
    await vi.advanceTimersByTimeAsync(50)
    l.run('new text')
    expect(signals[0].aborted).toBe(true)
    release(['old text'])
    await vi.advanceTimersByTimeAsync(50)
    expect(got).toEqual([['new text']])
  })

  it('clears at once for short text without asking', () => {
    const fetcher = vi.fn(async () => ['x'])
    const got: string[][] = []
    debouncedLookup(fetcher, (xs) => got.push(xs), { minLength: 3 }).run(' a ')
    expect(got).toEqual([[]])
    expect(fetcher).not.toHaveBeenCalled()
  })

  it('reports failures, but not aborts', async () => {
    vi.useFakeTimers()
    const onError = vi.fn()
    const l = debouncedLookup(
      async () => {
        throw new Error('boom')
      },
      () => undefined,
      { delayMs: 10, minLength: 1, onError },
    )
    l.run('x')
    await vi.advanceTimersByTimeAsync(10)
    expect(onError).toHaveBeenCalledTimes(1)
  })
})

describe('the citizen report', () => {
  it('needs a description and a point', () => {
    const f = emptyCitizenReport()
    expect(validateCitizenReport(f)).toEqual(['citizen.required.description', 'citizen.required.point'])
    f.description = '  井盖破损 '
    f.lat = 34.75
    expect(validateCitizenReport(f)).toEqual(['citizen.required.point'])
    f.lon = 113.62
    expect(validateCitizenReport(f)).toEqual([])
  })

  it('is sent as citizen_app with the point, photos, the chosen class and (only when on) the anonymous flag', () => {
    const f = { ...emptyCitizenReport(), description: ' 井盖破损 ', lat: 34.75, lon: 113.62, attachments: [3, 4] }
    expect(toCitizenReportRequest(f)).toEqual({
      source: 'citizen_app',
      description: '井盖破损',
      lat: 34.75,
      lon: 113.62,
      attachments: [3, 4],
    })
    f.anonymous = true
    f.classCode = '0101'
    f.standardRef = 'GB/T 47678.5-2026'
    f.address = ' 建设路12号 '
    expect(toCitizenReportRequest(f)).toMatchObject({
      anonymous: true,
      class_code: '0101',
      standard_ref: 'GB/T 47678.5-2026',
      address: '建设路12号',
    })
  })
})

const ev = (id: number, action: string, attachments: number[] = []): CaseEvent => ({
  id,
  action,
  actor_id: 1,
  actor_role: 'x',
  from_state: null,
  to_state: 'reported',
  note: null,
  attachments,
  data: {},
  at: '2026-05-14T08:00:00Z',
})

describe('what the reporter sees', () => {
  it('maps every state onto four stages', () => {
    expect(STAGES[stageIndex('reported')]).toBe('received')
    expect(STAGES[stageIndex('verifying')]).toBe('accepted')
    expect(STAGES[stageIndex('pending_dispatch')]).toBe('accepted')
    expect(STAGES[stageIndex('handling')]).toBe('handling')
    expect(STAGES[stageIndex('checking')]).toBe('handling')
    expect(STAGES[stageIndex('closed')]).toBe('done')
    expect(STAGES[stageIndex('something_new')]).toBe('received')
  })

  it("separates the department's photos from the reporter's and the inspectors'", () => {
    const events = [ev(1, 'report', [1, 2]), ev(2, 'verify', [3]), ev(3, 'feedback', [4]), ev(4, 'check', [5]), ev(5, 'feedback', [6])]
    expect(reportPhotos(events)).toEqual([1, 2])
    expect(feedbackPhotos(events)).toEqual([4, 6])
  })
})

describe('rating', () => {
  it('is open on a closed, unrated case the server lets the user rate', () => {
    expect(canRate({ state: 'closed', rating: null }, ['rate'])).toBe(true)
    expect(canRate({ state: 'closed', rating: undefined }, ['rate'])).toBe(true)
    expect(canRate({ state: 'closed', rating: 'satisfied' }, ['rate'])).toBe(false)
    expect(canRate({ state: 'closed', rating: null }, [])).toBe(false)
    expect(canRate({ state: 'handling', rating: null }, ['rate'])).toBe(false)
  })

  it('reopens on 不满意 only the first time', () => {
    expect(unsatisfiedReopens({ reopen_count: 0 })).toBe(true)
    expect(unsatisfiedReopens({})).toBe(true)
    expect(unsatisfiedReopens({ reopen_count: 1 })).toBe(false)
  })

  it('needs a choice, and a reason for 不满意', () => {
    expect(validateRating(null, '')).toEqual(['citizen.rate.required'])
    expect(validateRating('satisfied', '')).toEqual([])
    expect(validateRating('unsatisfied', '  ')).toEqual(['citizen.rate.noteRequired'])
    expect(validateRating('unsatisfied', '垃圾还在')).toEqual([])
  })

  it('is posted like every other action, with the expected version', () => {
    expect(toRateRequest('basically_satisfied', 7, '  ')).toEqual({ action: 'rate', rating: 'basically_satisfied', expected_version: 7 })
    expect(toRateRequest('unsatisfied', 9, ' 垃圾还在 ')).toEqual({ action: 'rate', rating: 'unsatisfied', expected_version: 9, note: '垃圾还在' })
  })
})
