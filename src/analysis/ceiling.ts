/**
 * The human ceiling of S_V: how well two human samples agree with each other on the same instrument family, so a
 * model's S_V can be read on the scale from chance (the permutation null) to human agreement. valuesim's own
 * addition (paper 000 reads S_V against neither). No I/O: matrices in, numbers out.
 */
import { ceilingPosition } from "../stats/chance.js"
import type { MdsMethod } from "../stats/mds.js"
import { num, svOf } from "./alignment.js"

/** A human sample's value structure as the ceiling needs it. */
export interface HumanSample {
  readonly id: string
  readonly instrument: string
  readonly centered: boolean
  readonly labels: ReadonlyArray<string>
  readonly matrix: ReadonlyArray<ReadonlyArray<number>>
}

/** The human ceiling of one comparison: JSON `ceiling` beside `null`. */
export interface HumanCeiling {
  /** The instrument family both samples belong to ("PVQ": PVQ-21, the ESS Human Values Scale, PVQ-40; "SVS"). */
  readonly family: string
  /** Mean S_V of this baseline with each other human sample of the family (same centering, same MDS). Null when there is none. */
  readonly sv: number | null
  readonly pairs: ReadonlyArray<{ readonly baseline: string; readonly sv: number | null }>
  /** (S_V − chance mean) / (ceiling − chance mean): 0 at chance, 1 at human agreement. */
  readonly position: number | null
}

/**
 * The instrument family of a baseline's `instrument` text: the portrait questionnaires (PVQ-21, the ESS Human
 * Values Scale, PVQ-40, PVQ-RR) are one family, the Schwartz Value Survey another; anything else is its own.
 */
export const instrumentFamily = (instrument: string): string =>
  /\bPVQ|Portrait Values|Human Values Scale/i.test(instrument) ? "PVQ" : /\bSVS\b|Schwartz Value Survey/i.test(instrument) ? "SVS" : instrument.trim()

/**
 * The ceiling for `target` (its matrix in `labels` order) among `samples`: S_V of target with every other sample
 * of its family and centering that covers the same labels, averaged; its position for a model's `sv` whose
 * chance level has mean `chanceMean`.
 */
export const humanCeiling = (
  target: HumanSample,
  samples: ReadonlyArray<HumanSample>,
  labels: ReadonlyArray<string>,
  method: MdsMethod,
  sv: number | null,
  chanceMean: number | null
): HumanCeiling => {
  const family = instrumentFamily(target.instrument)
  const reorder = (s: HumanSample) => {
    const order = labels.map((l) => s.labels.indexOf(l))
    return order.map((i) => order.map((j) => s.matrix[i]![j]!))
  }
  const mine = reorder(target)
  const pairs = samples
    .filter((s) => s.id !== target.id && s.centered === target.centered && instrumentFamily(s.instrument) === family && labels.every((l) => s.labels.includes(l)))
    .map((s) => ({ baseline: s.id, sv: num(svOf(mine, reorder(s), method)) }))
  const defined = pairs.flatMap((p) => (p.sv === null ? [] : [p.sv]))
  const ceiling = defined.length > 0 ? defined.reduce((a, b) => a + b, 0) / defined.length : null
  return { family, sv: ceiling, pairs, position: num(ceilingPosition(sv, chanceMean, ceiling) ?? NaN) }
}
