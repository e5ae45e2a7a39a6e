import { readAgentCount, readValuePages } from "../store/reads.js"
import type { RunDb } from "../store/RunStore.js"
import { valueSystemOf, type Questionnaire } from "../domain/questionnaire.js"
import { valuesOf } from "../domain/values.js"
import type { ItemKey } from "../stats/mrat.js"
import { respondentScorer } from "../stats/mrat.js"
import { alphaAccumulator } from "../stats/reliability.js"

/** A questionnaire's scoring key: its subscales in first-appearance order and each item's subscale and keying. */
export interface ScoringKey {
  readonly subscales: ReadonlyArray<string>
  readonly keys: ReadonlyArray<ItemKey>
  readonly min: number
  readonly max: number
}

/** Value questionnaires list their subscales in their value system's circle order; others in item order. */
export const scoringKey = (q: Questionnaire): ScoringKey => {
  const CANONICAL = valuesOf(valueSystemOf(q))
  const found = [...new Set(q.items.map((i) => i.subscale))]
  const subscales =
    q.construct === "values" && found.every((s) => CANONICAL.includes(s))
      ? [...found].sort((a, b) => CANONICAL.indexOf(a) - CANONICAL.indexOf(b))
      : found
  return {
    subscales,
    keys: q.items.map((i) => ({ subscale: subscales.indexOf(i.subscale), reverse: i.reverse })),
    min: Math.min(...q.scale.map((o) => o.value)),
    max: Math.max(...q.scale.map((o) => o.value))
  }
}

export { forEachRespondent } from "../store/reads.js"

/** Every agent's scores on one step, as columns (row r = the r-th agent with any answer, in agent order). */
export interface StepScores {
  readonly step: number
  readonly questionnaire: Questionnaire
  readonly subscales: ReadonlyArray<string>
  readonly rows: number
  readonly agentIds: Int32Array
  readonly conditionIdx: Int32Array
  /** raw[s][r]: mean of subscale s's answered items (reverse keying applied); NaN when none was answered. */
  readonly raw: ReadonlyArray<Float64Array>
  /** centered[s][r] = raw − the agent's MRAT (for every questionnaire; meaningful for `mrat` scoring). */
  readonly centered: ReadonlyArray<Float64Array>
  /** Cronbach's α per subscale over agents who answered all its items. */
  readonly reliability: ReadonlyArray<{ readonly subscale: string; readonly items: number; readonly alpha: number }>
}

/**
 * Reads and scores one step for every agent (DESIGN.md "Metrics": value score = mean of the value's items,
 * MRAT = mean over all items, centered = score − MRAT). Memory is two floats per agent and subscale; α is
 * accumulated in one pass.
 */
export const readStepScores = (db: RunDb, questionnaire: Questionnaire, step: number): StepScores => {
  const key = scoringKey(questionnaire)
  const agents = readAgentCount(db)
  const k = key.subscales.length
  const raw = key.subscales.map(() => new Float64Array(agents).fill(NaN))
  const centered = key.subscales.map(() => new Float64Array(agents).fill(NaN))
  const agentIds = new Int32Array(agents)
  const conditionIdx = new Int32Array(agents)
  const itemsOf = key.subscales.map((_, s) => key.keys.flatMap((kk, i) => (kk.subscale === s ? [i] : [])))
  const accumulators = itemsOf.map((items) => alphaAccumulator(items.length))
  const rows = itemsOf.map((items) => new Float64Array(items.length))
  const score = respondentScorer(key.keys, k, key.min, key.max)
  const nItems = questionnaire.items.length
  const answers = new Float64Array(nItems)
  let n = 0
  // One stored row per agent, values only: the report never walks the answers one by one.
  for (const page of readValuePages(db, step)) {
    for (let a = 0; a < page.rows && n < agents; a++) {
      for (let i = 0; i < nItems; i++) answers[i] = i < page.items ? page.values[a * page.items + i]! : NaN
      score(answers, 0, raw, centered, n)
      for (let s = 0; s < k; s++) {
        const items = itemsOf[s]!
        const row = rows[s]!
        for (let j = 0; j < items.length; j++) {
          const i = items[j]!
          const x = answers[i]!
          row[j] = key.keys[i]!.reverse ? key.min + key.max - x : x
        }
        accumulators[s]!.add(row)
      }
      agentIds[n] = page.agentIds[a]!
      conditionIdx[n] = page.conditionIdx[a]!
      n++
    }
  }
  return {
    step,
    questionnaire,
    subscales: key.subscales,
    rows: n,
    agentIds: agentIds.subarray(0, n),
    conditionIdx: conditionIdx.subarray(0, n),
    raw: raw.map((c) => c.subarray(0, n)),
    centered: centered.map((c) => c.subarray(0, n)),
    reliability: key.subscales.map((subscale, s) => ({ subscale, items: itemsOf[s]!.length, alpha: accumulators[s]!.alpha() }))
  }
}
