/**
 * Turning composition weights into agent counts, and counts into a seeded per-agent condition assignment.
 * Pure: randomness only through the `rng` argument.
 */
import type { Rng } from "./rng.js"
import { shuffleInPlace } from "./rng.js"

// Quotas within this distance of an integer are treated as that integer, so that floating-point error in
// n·w/Σw (e.g. 10 · 0.1 / 0.9999999999999999) cannot move an agent between conditions; fractional parts are
// compared on the same grid so that mathematically equal remainders tie and fall to the lower index.
const QUOTA_EPSILON = 1e-9
const FRACTION_GRID = 1e9

const checkWeights = (fn: string, weights: ReadonlyArray<number>): number => {
  if (weights.length === 0) throw new RangeError(`${fn}: weights must not be empty`)
  let total = 0
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number
    if (!(w >= 0) || w === Infinity) {
      throw new RangeError(`${fn}: weight ${i} is ${w}; weights must be finite and ≥ 0`)
    }
    total += w
  }
  if (!(total > 0) || total === Infinity) {
    throw new RangeError(`${fn}: weights must have a positive finite total, got ${total}`)
  }
  return total
}

const checkCount = (fn: string, n: number): void => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${fn}: n must be a non-negative integer, got ${n}`)
}

/**
 * Exact counts for n units shared in proportion to `weights`, by the largest-remainder (Hamilton) method:
 * each category i gets ⌊q_i⌋ with quota q_i = n·w_i / Σw, and the n − Σ⌊q_i⌋ units left over go one
 * each to the categories with the largest fractional parts q_i − ⌊q_i⌋, ties broken by the lower index.
 *
 * The counts always sum to n and each differs from its quota by less than 1. Weights need not sum to 1.
 *
 * Reference: https://en.wikipedia.org/wiki/Largest_remainder_method
 *
 * Preconditions: at least one weight; every weight finite and ≥ 0 with a positive total; n a non-negative
 * integer.
 *
 * @throws {RangeError} on an empty, negative, NaN or infinite weight, a zero total, or a bad n.
 * @example
 * largestRemainder([0.5, 0.3, 0.2], 7) // [4, 2, 1]  (quotas 3.5, 2.1, 1.4)
 */
export const largestRemainder = (weights: ReadonlyArray<number>, n: number): Array<number> => {
  const total = checkWeights("largestRemainder", weights)
  checkCount("largestRemainder", n)
  const k = weights.length
  const counts = new Array<number>(k)
  const fractions = new Float64Array(k)
  let assigned = 0
  for (let i = 0; i < k; i++) {
    const quota = (n * (weights[i] as number)) / total
    let floor = Math.floor(quota)
    let fraction = quota - floor
    if (fraction > 1 - QUOTA_EPSILON) {
      floor += 1
      fraction = 0
    } else if (fraction < QUOTA_EPSILON) {
      fraction = 0
    }
    counts[i] = floor
    fractions[i] = Math.round(fraction * FRACTION_GRID)
    assigned += floor
  }
  const remaining = n - assigned
  if (remaining > 0) {
    const order = Array.from({ length: k }, (_, i) => i)
    order.sort((a, b) => (fractions[b] as number) - (fractions[a] as number) || a - b)
    for (let r = 0; r < remaining; r++) {
      const i = order[r % k] as number
      counts[i] = (counts[i] as number) + 1
    }
  }
  return counts
}

/**
 * Random counts for n units drawn independently with probabilities w_i / Σw: one draw from the multinomial
 * distribution Multinomial(n, w / Σw), by n categorical draws on the cumulative weights. Uses exactly n
 * `rng()` calls; O(n·k) time with k = number of weights.
 *
 * Use this instead of `largestRemainder` when the composition itself should vary between replications.
 *
 * Reference: https://en.wikipedia.org/wiki/Multinomial_distribution
 *
 * Preconditions: as `largestRemainder`. Zero-weight categories always get 0.
 *
 * @throws {RangeError} on an empty, negative, NaN or infinite weight, a zero total, or a bad n.
 * @example
 * multinomialCounts([1, 0, 3], 4, stream(1, "composition")) // e.g. [1, 0, 3]; always sums to 4, middle is 0
 */
export const multinomialCounts = (weights: ReadonlyArray<number>, n: number, rng: Rng): Array<number> => {
  const total = checkWeights("multinomialCounts", weights)
  checkCount("multinomialCounts", n)
  const k = weights.length
  const cumulative = new Float64Array(k)
  let last = 0
  let running = 0
  for (let i = 0; i < k; i++) {
    const w = weights[i] as number
    running += w
    cumulative[i] = running
    if (w > 0) last = i
  }
  const counts = new Array<number>(k).fill(0)
  for (let draw = 0; draw < n; draw++) {
    const u = rng() * total
    let chosen = last
    for (let i = 0; i < k; i++) {
      // A zero-weight category has the same cumulative sum as the one before it, so it is never the first to exceed u.
      if (u < (cumulative[i] as number)) {
        chosen = i
        break
      }
    }
    counts[chosen] = (counts[chosen] as number) + 1
  }
  return counts
}

/**
 * The condition of every agent: an array of length Σcounts in which condition index c appears exactly
 * counts[c] times, in an order given by a seeded Fisher–Yates shuffle, so conditions are interleaved across
 * agent ids (agent i gets condition `result[i]`) instead of running in blocks.
 *
 * The same counts and the same `rng` sequence give the same assignment. Uses Σcounts − 1 `rng()` calls.
 *
 * Preconditions: every count a non-negative integer; at most 65,536 conditions (indices fit a Uint16Array).
 *
 * @throws {RangeError} on a negative or non-integer count, or more than 65,536 conditions.
 * @example
 * const a = assignConditions([2, 1], stream(1, "assign")) // e.g. Uint16Array [0, 1, 0]
 * a.filter((c) => c === 0).length // 2
 */
export const assignConditions = (counts: ReadonlyArray<number>, rng: Rng): Uint16Array => {
  if (counts.length > 65536) throw new RangeError(`assignConditions: at most 65536 conditions, got ${counts.length}`)
  let total = 0
  for (let c = 0; c < counts.length; c++) {
    const count = counts[c] as number
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`assignConditions: count ${c} is ${count}; counts must be non-negative integers`)
    }
    total += count
  }
  const out = new Uint16Array(total)
  let at = 0
  for (let c = 0; c < counts.length; c++) {
    const end = at + (counts[c] as number)
    out.fill(c, at, end)
    at = end
  }
  return shuffleInPlace(out, rng)
}
