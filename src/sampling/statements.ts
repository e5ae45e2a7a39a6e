/**
 * Seeded choice of which statements of a behaviour are asked (paper 000 §4: 50 random statements per
 * behaviour). Pure.
 */
import { shuffleInPlace, stream } from "./rng.js"

/**
 * `k` of the indices 0…n−1 without replacement, in increasing order, from the stream
 * `(runSeed, "persona-statements", behaviour)`: a behaviour's sample depends only on the seed and the behaviour,
 * not on which other behaviours are run. All n indices when k ≥ n.
 *
 * Preconditions: n ≥ 0 and k ≥ 0 integers; `behaviour` contains no "|".
 *
 * @example
 * sampleStatementIndices(1, "interest-in-art", 1000, 50) // 50 increasing indices in [0, 1000)
 */
export const sampleStatementIndices = (runSeed: number, behaviour: string, n: number, k: number): Array<number> => {
  const all = Array.from({ length: n }, (_, i) => i)
  if (k >= n) return all
  return shuffleInPlace(all, stream(runSeed, "persona-statements", behaviour))
    .slice(0, k)
    .sort((a, b) => a - b)
}
