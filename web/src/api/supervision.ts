// Supervision 督办: the list of supervised cases with their counts, and the escalation rules
// 自动督办规则 (read; admins write, 422 `invalid_rules` on bad input). A leader supervises a case
// by hand with the case action `supervise` (`api.act`), not here. The normalisers in
// `lib/supervision.ts` accept the shapes the server sends (and a few variants).
import { normaliseList, normaliseRules, rulesBody, type EscalationRule, type RuleRow, type SupervisionList, type SupervisionStatus } from '../lib/supervision'
import { http } from './http'

export const supervisionApi = {
  /** Supervised cases, open ones unless `status` says otherwise, newest 督办 first. */
  list: async (q: { status?: SupervisionStatus; limit?: number } = {}): Promise<SupervisionList> =>
    normaliseList(await http.get<unknown>('/api/supervision', { status: q.status, limit: q.limit })),
  rules: async (): Promise<EscalationRule[]> => normaliseRules(await http.get<unknown>('/api/config/escalation-rules')),
  /** Saves the whole set; answers the rules as stored (or those sent, if the server sends none back). */
  saveRules: async (rows: RuleRow[]): Promise<EscalationRule[]> => {
    const body = rulesBody(rows)
    const back = await http.put<unknown>('/api/config/escalation-rules', body)
    const rules = normaliseRules(back)
    return rules.length || (back && typeof back === 'object' && 'rules' in back) ? rules : body.rules
  },
}
