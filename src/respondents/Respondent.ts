import type { Effect } from "effect"
import type { ItemAnswer } from "../domain/answers.js"
import type { Questionnaire } from "../domain/questionnaire.js"
import { scoringCode } from "../store/encoding.js"
import type { PendingAgent } from "../store/reads.js"
import type { AnswerPage } from "../store/RunStore.js"

/**
 * Who answers a questionnaire step, for every backend. The engine hands a respondent pages of pending agents
 * (at most `pageSize`, up to `pagesInFlight` pages at once) and writes the columnar page it gets back; how the
 * answers came about (a theory model's distributions, one shared request per condition × item, an agent's own
 * conversation) is the respondent's business.
 */
export interface Respondent {
  readonly paging: (q: Questionnaire) => { readonly pageSize: number; readonly pagesInFlight: number }
  readonly answer: (step: number, q: Questionnaire, agents: ReadonlyArray<PendingAgent>) => Effect.Effect<AnswerPage>
}

/** The `redo` column of a page: which agents' units had failed before. */
export const redoOf = (agents: ReadonlyArray<PendingAgent>): Uint8Array | null =>
  agents.some((a) => a.failedBefore) ? Uint8Array.from(agents, (a) => (a.failedBefore ? 1 : 0)) : null

/**
 * Agents' answers as one page. `failed[a]`: a request of agent a's unit failed for good; `degraded`: answers
 * that fell back to the agent's own sampled request.
 */
export const pageOfAnswers = (
  step: number,
  k: number,
  agents: ReadonlyArray<PendingAgent>,
  units: ReadonlyArray<{ readonly failed: boolean; readonly answers: ReadonlyArray<ItemAnswer> }>,
  degraded: number
): AnswerPage => {
  const items = units[0]?.answers.length ?? 0
  const n = agents.length * items
  const dists = new Float64Array(n * k).fill(NaN)
  const values = new Float64Array(n)
  const scoring = new Uint8Array(n)
  const attempts = new Uint8Array(n)
  const requestKeys: Array<string | null> = []
  const raws: Array<string | null> = []
  const errors: Array<string | null> = []
  units.forEach((u, a) =>
    u.answers.forEach((ans, i) => {
      const m = a * items + i
      if (ans.dist !== null) for (let j = 0; j < k; j++) dists[m * k + j] = ans.dist[j] ?? 0
      values[m] = ans.value ?? NaN
      scoring[m] = scoringCode(ans.scoring)
      attempts[m] = Math.min(255, ans.attempts)
      requestKeys.push(ans.requestKey)
      raws.push(ans.requestKey === null ? ans.raw : null)
      errors.push(ans.error)
    })
  )
  return {
    _tag: "AnswerPage",
    step,
    items,
    k,
    agentIds: agents.map((a) => a.agentId),
    failed: units.some((u) => u.failed) ? Uint8Array.from(units, (u) => (u.failed ? 1 : 0)) : null,
    redo: redoOf(agents),
    values,
    scoring,
    dists,
    requestKeys,
    attempts,
    raws,
    errors,
    degraded
  }
}
