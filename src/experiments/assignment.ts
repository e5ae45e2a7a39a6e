/**
 * Which agents answer which arm: `within` every agent every arm; `between` one arm each, drawn from the run
 * seed (stream "arms", the experiment's study step; a branch keeps its parent's seed for it) stratified by value condition (src/sampling/arms.ts).
 */
import type { RunSpec } from "../config/RunSpec.js"
import { assignArms } from "../sampling/arms.js"
import { stream } from "../sampling/rng.js"

/**
 * Per run step, the ids of the agents (of one population of `conditionOf.length` agents) who answer it, in id
 * order; null when every agent does (steps outside experiments and `within` arms).
 */
export const stepAgents = (spec: RunSpec, conditionOf: ArrayLike<number>): Array<ReadonlyArray<number> | null> => {
  const out: Array<ReadonlyArray<number> | null> = spec.steps.map(() => null)
  for (const e of spec.experiments ?? []) {
    if (e.assignment !== "between") continue
    const arm = assignArms(conditionOf, e.arms.length, stream(e.assignmentSeed ?? spec.seed, "arms", e.studyStep))
    e.arms.forEach((a, j) => {
      const ids: Array<number> = []
      for (let i = 0; i < arm.length; i++) if (arm[i] === j) ids.push(i)
      out[a.step] = ids
    })
  }
  return out
}
