/**
 * Seeded random streams and the small samplers built on them. Every random number in a simulation comes from
 * a stream derived here from `(runSeed, ...purpose)`, so a run is replayable and two purposes (say an agent's
 * latent profile and its answer draws) never share a sequence. Pure: no global random source, no clock, no I/O.
 */
import seedrandom from "seedrandom"

/**
 * A source of uniform numbers in [0, 1), in the style of simple-statistics' `randomSource`. Samplers take one
 * as a parameter instead of reaching for global state.
 */
export type Rng = () => number

/**
 * A reproducible random stream for one purpose within one run: Baguette's Alea generator (`seedrandom.alea`)
 * seeded with the string `` `${runSeed}|${purpose.join("|")}` ``.
 *
 * The same `(runSeed, ...purpose)` always yields the same sequence, on every platform; different purposes yield
 * unrelated sequences. Outputs are uniform on [0, 1) with 2⁻³² resolution.
 *
 * Reference: Johannes Baagøe's Alea, via seedrandom 3 (https://github.com/davidbau/seedrandom).
 *
 * Preconditions: `runSeed` is a finite number. Purpose parts are joined with `"|"`, so a string part should not
 * itself contain `"|"` (`stream(1, "a|b")` and `stream(1, "a", "b")` are the same stream).
 *
 * @throws {RangeError} if `runSeed` is not finite.
 * @example
 * const a = stream(42, "agent", 7, "profile")
 * const b = stream(42, "agent", 7, "profile")
 * a() === b() // true
 */
export const stream = (runSeed: number, ...purpose: ReadonlyArray<string | number>): Rng => {
  if (!Number.isFinite(runSeed)) throw new RangeError(`stream: runSeed must be a finite number, got ${runSeed}`)
  return seedrandom.alea(`${runSeed}|${purpose.join("|")}`)
}

/**
 * Draws an index i with probability probs[i] / Σ probs (inverse-CDF on the cumulative sums).
 *
 * The probabilities need not sum exactly to 1: they are rescaled by their total, so renormalised logprob
 * distributions with rounding error, or unnormalised weights, are fine. Zero-probability entries are never
 * drawn. Uses one `rng()` call and allocates nothing.
 *
 * Reference: https://en.wikipedia.org/wiki/Categorical_distribution#Sampling
 *
 * Preconditions: at least one entry; every entry finite and ≥ 0; positive total.
 *
 * @throws {RangeError} on an empty array, a negative or NaN entry, or a total that is not positive and finite.
 * @example
 * categorical([0, 0, 1], rng) // 2
 * categorical([0.2, 0.8], () => 0.5) // 1  (0.5 · 1.0 ≥ 0.2)
 */
export const categorical = (probs: ArrayLike<number>, rng: Rng): number => {
  const n = probs.length
  let total = 0
  for (let i = 0; i < n; i++) {
    const p = probs[i] as number
    if (!(p >= 0)) throw new RangeError(`categorical: probability ${i} is ${p}; must be ≥ 0`)
    total += p
  }
  if (!(total > 0) || total === Infinity) {
    throw new RangeError(`categorical: probabilities must have a positive finite total, got ${total}`)
  }
  const u = rng() * total
  let cumulative = 0
  let last = 0
  for (let i = 0; i < n; i++) {
    const p = probs[i] as number
    if (p > 0) {
      cumulative += p
      last = i
      if (u < cumulative) return i
    }
  }
  // Only reached when rounding left the running sum a hair below `total`: the draw belongs to the last
  // category that can be drawn.
  return last
}

/**
 * Draws one standard normal deviate, Z ~ N(0, 1), by the Box–Muller transform:
 * Z = √(−2 ln U₁) · cos(2π U₂) with U₁ = 1 − rng() ∈ (0, 1] and U₂ = rng().
 *
 * Uses exactly two `rng()` calls and keeps no state (the paired sine deviate is discarded), so the number of
 * draws consumed is predictable. With Alea's 2⁻³² resolution, |Z| ≤ 6.7.
 *
 * Reference: Box & Muller (1958), https://doi.org/10.1214/aoms/1177706645
 *
 * @example
 * standardNormal(() => 0) // √(−2 ln 1)·cos 0 = 0
 */
export const standardNormal = (rng: Rng): number => {
  const u1 = 1 - rng()
  const u2 = rng()
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}

/** Anything indexable and writable by position: plain arrays and typed arrays. */
export interface MutableArrayLike<T> {
  readonly length: number
  [index: number]: T
}

/**
 * Shuffles `array` in place with the Fisher–Yates (Durstenfeld) algorithm and returns it: for i from n−1 down
 * to 1, swap element i with element j = ⌊rng()·(i+1)⌋. Every permutation is equally likely given a uniform
 * `rng`; uses n − 1 `rng()` calls.
 *
 * Reference: https://en.wikipedia.org/wiki/Fisher%E2%80%93Yates_shuffle
 *
 * @example
 * shuffleInPlace([1, 2, 3], () => 0) // [2, 3, 1]
 */
export const shuffleInPlace = <A extends MutableArrayLike<unknown>>(array: A, rng: Rng): A => {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(rng() * (i + 1)))
    const tmp = array[i]
    array[i] = array[j]
    array[j] = tmp
  }
  return array
}
