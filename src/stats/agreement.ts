/**
 * Behavioural agreement (paper 000 §4, after Perez et al. 2023): how often a respondent's Yes/No answers to a
 * behaviour's statements match the answer a holder of that behaviour would give, aggregated by value prompt and
 * by higher-order value, and the correlations between the higher-order "value vectors" (figure 4a). Pure.
 */
import type { HedonismPlacement, HigherOrder, Value10 } from "../domain/values.js"
import { HIGHER_ORDER, higherOrderOf, VALUES_10 } from "../domain/values.js"
import { correlationMatrix } from "./correlation.js"

/**
 * Agreement of one Yes/No answer with a behaviour. With option probabilities (logprob scoring), the answer is
 * the likelier option, as paper 000 scores P(Yes) against P(No): 1 when the matching option is likelier, 0
 * when the other one is, ½ on an exact tie. Without probabilities (sampled text), 1 when the parsed answer is
 * the matching one. `null` when neither is available (a missing answer).
 *
 * @example
 * answerAgreement(0.8, null) // 1   (P(matching) = 0.8)
 * answerAgreement(null, false) // 0 (the text answer did not match)
 */
export const answerAgreement = (pMatching: number | null, matched: boolean | null): number | null => {
  if (pMatching !== null && Number.isFinite(pMatching)) return pMatching > 0.5 ? 1 : pMatching < 0.5 ? 0 : 0.5
  if (matched !== null) return matched ? 1 : 0
  return null
}

/**
 * Per higher-order value, the mean of the agreement percentages of its basic values that were measured
 * (undefined or NaN entries are skipped); NaN when none of its values was measured. Each basic value weighs
 * the same, whatever its number of answers. Hedonism goes where `hedonism` says (default Openness to Change).
 *
 * @example
 * higherOrderAgreement({ SD: 80, ST: 60, BE: 10 }).OPEN // 70
 */
export const higherOrderAgreement = (
  byValue: Readonly<Partial<Record<Value10, number>>>,
  hedonism: HedonismPlacement = "OPEN"
): Record<HigherOrder, number> => {
  const sums = Object.fromEntries(HIGHER_ORDER.map((h) => [h, [0, 0]])) as Record<HigherOrder, [number, number]>
  for (const v of VALUES_10) {
    const x = byValue[v]
    const h = higherOrderOf(v, hedonism)
    if (h === undefined || x === undefined || Number.isNaN(x)) continue
    sums[h][0] += x
    sums[h][1] += 1
  }
  return Object.fromEntries(HIGHER_ORDER.map((h) => [h, sums[h][1] === 0 ? NaN : sums[h][0] / sums[h][1]])) as Record<HigherOrder, number>
}

/**
 * The correlation matrix of the higher-order value vectors (paper 000 figure 4a): `vectors[h][b]` is the
 * agreement of higher-order value h with behaviour b; the result is the 4 × 4 Pearson matrix across behaviours
 * in `HIGHER_ORDER` order. Behaviours missing (NaN) for a pair are left out of that pair (pairwise deletion);
 * an entry is NaN with fewer than two behaviours or a constant vector.
 *
 * @example
 * valueVectorCorrelations({ OPEN: [1, 2, 3], SELF_ENH: [3, 2, 1], CONS: [3, 2, 1], SELF_TRANS: [1, 2, 4] })[0][1] // -1
 */
export const valueVectorCorrelations = (vectors: Readonly<Record<HigherOrder, ReadonlyArray<number>>>): Array<Array<number>> =>
  correlationMatrix(HIGHER_ORDER.map((h) => vectors[h]))
