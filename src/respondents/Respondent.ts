import type { Effect } from "effect"
import type { Questionnaire } from "../domain/questionnaire.js"
import type { PendingAgent } from "../store/reads.js"
import type { AnswerPage } from "../store/RunStore.js"

/**
 * Who answers a questionnaire step, for every backend. The engine hands a respondent pages of pending agents
 * (at most `pageSize`, up to `pagesInFlight` pages at once, or up to `maxPagesInFlight` while the backend's
 * permits idle because requests back off) and writes the columnar page it gets back; how the
 * answers came about (a theory model's distributions, one shared request per condition × item, an agent's own
 * conversation) is the respondent's business.
 */
export interface Respondent {
  readonly paging: (q: Questionnaire) => { readonly pageSize: number; readonly pagesInFlight: number; readonly maxPagesInFlight?: number }
  readonly answer: (step: number, q: Questionnaire, agents: ReadonlyArray<PendingAgent>) => Effect.Effect<AnswerPage>
}

/**
 * The columns of a page while a respondent fills them: entry `a·items + i` is agent a's answer to item i.
 * Columns that stay empty for most pages (distributions, request keys, errors, failed units) are made on first
 * use; `values` start as NaN (no value) and `scoring` as the code given.
 */
export class PageColumns {
  readonly values: Float64Array
  readonly scoring: Uint8Array
  dists: Float64Array | null = null
  requestKeys: Array<string | null> | null = null
  attempts: Uint8Array | null = null
  raws: Array<string | null> | null = null
  errors: Array<string | null> | null = null
  failed: Uint8Array | null = null
  /** Per answer: the option mass of its condition × item's first-token logprobs (NaN: none measured). */
  masses: Float64Array | null = null
  degraded = 0
  constructor(
    readonly agents: number,
    readonly items: number,
    readonly k: number,
    scoring: number
  ) {
    this.values = new Float64Array(agents * items).fill(NaN)
    this.scoring = new Uint8Array(agents * items).fill(scoring)
  }
  /** Answer m's distribution (k probabilities, canonical order). */
  setDist(m: number, d: ArrayLike<number>): void {
    this.dists ??= new Float64Array(this.agents * this.items * this.k).fill(NaN)
    if (d instanceof Float64Array && d.length === this.k) this.dists.set(d, m * this.k)
    else for (let j = 0; j < this.k; j++) this.dists[m * this.k + j] = d[j] ?? 0
  }
  setMass(m: number, mass: number): void {
    this.masses ??= new Float64Array(this.agents * this.items).fill(NaN)
    this.masses[m] = mass
  }
  setRequest(m: number, key: string, asks: number): void {
    this.requestKeys ??= new Array<string | null>(this.agents * this.items).fill(null)
    this.attempts ??= new Uint8Array(this.agents * this.items)
    this.requestKeys[m] = key
    this.attempts[m] = Math.min(255, asks)
  }
  /** Answer m has no value, for `message`; `unitFailed`: a request failed for good (resume redoes agent m / items). */
  setError(m: number, message: string, unitFailed: boolean): void {
    this.errors ??= new Array<string | null>(this.agents * this.items).fill(null)
    this.errors[m] = message
    if (unitFailed) {
      this.failed ??= new Uint8Array(this.agents)
      this.failed[Math.floor(m / this.items)] = 1
    }
  }
}

/** The `redo` column of a page: which agents' units had failed before. */
const redoOf = (agents: ReadonlyArray<PendingAgent>): Uint8Array | null =>
  agents.some((a) => a.failedBefore) ? Uint8Array.from(agents, (a) => (a.failedBefore ? 1 : 0)) : null

/** The page of answers a respondent hands the writer: its columns, for these agents of this step. */
export const answerPage = (step: number, agents: ReadonlyArray<PendingAgent>, c: PageColumns): AnswerPage => ({
  _tag: "AnswerPage",
  step,
  items: c.items,
  k: c.k,
  agentIds: agents.map((a) => a.agentId),
  failed: c.failed,
  redo: redoOf(agents),
  values: c.values,
  scoring: c.scoring,
  dists: c.dists,
  requestKeys: c.requestKeys,
  attempts: c.attempts,
  raws: c.raws,
  errors: c.errors,
  masses: c.masses,
  degraded: c.degraded
})
