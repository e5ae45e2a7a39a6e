/**
 * Seeded matching of agents into the pairs or groups of a game. Pure: randomness only through the `rng` argument.
 */
import type { Rng } from "./rng.js"
import { shuffleInPlace } from "./rng.js"

/**
 * Splits agents into random groups of `groupSize`: a Fisher–Yates shuffle of a copy of `agentIds` (via
 * `shuffleInPlace`, n − 1 `rng()` calls), then consecutive chunks of the shuffled order. The last
 * `agentIds.length mod groupSize` agents of that order are left `unmatched` (they play no match).
 *
 * Every agent appears exactly once, in a group or in `unmatched`. The same `agentIds` (in the same order) and a
 * fresh rng with the same seed always give the same groups, so a run's matching is replayable; the input array
 * is not modified.
 *
 * Reference: random matching as in the stranger protocol of experimental economics (Andreoni 1988).
 *
 * Preconditions: `groupSize` a whole number ≥ 1; agent ids distinct.
 *
 * @throws {RangeError} on a bad group size or a repeated agent id.
 * @example
 * matchGroups([1, 2, 3, 4, 5], 2, () => 0) // { groups: [[2, 3], [4, 5]], unmatched: [1] }
 */
export const matchGroups = (
  agentIds: ReadonlyArray<number>,
  groupSize: number,
  rng: Rng
): { groups: Array<Array<number>>; unmatched: Array<number> } => {
  if (!Number.isSafeInteger(groupSize) || groupSize < 1) {
    throw new RangeError(`matchGroups: groupSize must be a whole number ≥ 1, got ${groupSize}`)
  }
  const seen = new Set<number>()
  for (const id of agentIds) {
    if (seen.has(id)) throw new RangeError(`matchGroups: agent id ${id} appears more than once`)
    seen.add(id)
  }
  const order = shuffleInPlace([...agentIds], rng)
  const matched = order.length - (order.length % groupSize)
  const groups: Array<Array<number>> = []
  for (let start = 0; start < matched; start += groupSize) groups.push(order.slice(start, start + groupSize))
  return { groups, unmatched: order.slice(matched) }
}
