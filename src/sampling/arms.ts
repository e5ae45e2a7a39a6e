/**
 * Random assignment of agents to the arms of a `between` experiment, stratified by value condition and
 * balanced. Pure: randomness only through the `rng` argument.
 */
import type { Rng } from "./rng.js"
import { shuffleInPlace } from "./rng.js"

/**
 * The arm (0…arms−1) of each agent, given each agent's condition index: within each condition (in index
 * order) the agents are shuffled (Fisher–Yates, `shuffleInPlace`) and dealt to the arms in turn, the deal
 * carrying on from where the previous condition's ended. So every condition's arms differ in size by at most
 * one, and so do the arms over the whole population (permuted blocks within strata).
 *
 * Reference: stratified permuted-block randomisation, e.g. Rosenberger & Lachin (2016), Randomization in
 * Clinical Trials, ch. 3 and 7.
 *
 * @throws {RangeError} when `arms` is not an integer ≥ 1.
 * @example
 * assignArms([0, 0, 1, 1], 2, stream(1, "arms", 3)) // e.g. Int32Array [1, 0, 0, 1]: one of each arm per condition
 */
export const assignArms = (conditionOf: ArrayLike<number>, arms: number, rng: Rng): Int32Array => {
  if (!Number.isInteger(arms) || arms < 1) throw new RangeError(`assignArms: arms must be an integer ≥ 1, got ${arms}`)
  const byCondition = new Map<number, Array<number>>()
  for (let a = 0; a < conditionOf.length; a++) {
    const c = conditionOf[a]!
    const list = byCondition.get(c)
    if (list === undefined) byCondition.set(c, [a])
    else list.push(a)
  }
  const out = new Int32Array(conditionOf.length)
  let next = 0
  for (const c of [...byCondition.keys()].sort((x, y) => x - y)) {
    for (const agent of shuffleInPlace(byCondition.get(c)!, rng)) {
      out[agent] = next
      next = (next + 1) % arms
    }
  }
  return out
}
