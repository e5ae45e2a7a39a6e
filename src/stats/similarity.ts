/**
 * Similarity of human and model correlation matrices: the Behaviour Similarity S_B of paper 000 §5.3. Pure.
 * (The Values Similarity S_V, which needs MDS and Procrustes, is `valuesSimilarity` in procrustes.ts.)
 */
import { pearson } from "./correlation.js"

/**
 * The Behaviour Similarity score of paper 000 §5.3, S_B = ρ(vec(C⁽ᴴ⁾), vec(C⁽ᴹ⁾)): the Pearson correlation
 * of the two value × behaviour correlation matrices flattened cell by cell (row-major; the order does not matter
 * as long as both use the same one).
 *
 * Missing-data policy: only the cells that are finite in **both** matrices enter (a human study that did not
 * report a cell, or a model cell that is NaN because a behaviour was constant, is dropped pairwise, as DESIGN.md
 * "Metrics" says: "over the value × behaviour cells both have").
 *
 * Reference: paper 000 (seed 000_1c83bdc581a620a9) §5.3 "Behavior Similarity"; DESIGN.md "Metrics".
 *
 * Preconditions: h and m have the same shape (same number of rows, and row i of each the same length), with
 * rows = values and columns = behaviours in the same order in both.
 *
 * @returns S_B in [−1, 1]; NaN when fewer than two shared finite cells remain or either matrix is constant on
 * them.
 * @throws {RangeError} if the shapes differ.
 * @example
 * behaviourSimilarity([[0.3, -0.1], [0.2, NaN]], [[0.6, -0.2], [0.5, 0.1]])
 * // = pearson([0.3, −0.1, 0.2], [0.6, −0.2, 0.5]) ≈ 0.99187
 */
export const behaviourSimilarity = (
  h: ReadonlyArray<ArrayLike<number>>,
  m: ReadonlyArray<ArrayLike<number>>
): number => {
  if (h.length !== m.length) {
    throw new RangeError(`behaviourSimilarity: ${h.length} human rows but ${m.length} model rows`)
  }
  const xs: Array<number> = []
  const ys: Array<number> = []
  for (let i = 0; i < h.length; i++) {
    const hi = h[i] as ArrayLike<number>
    const mi = m[i] as ArrayLike<number>
    if (hi.length !== mi.length) {
      throw new RangeError(`behaviourSimilarity: row ${i} has ${hi.length} human cells but ${mi.length} model cells`)
    }
    for (let j = 0; j < hi.length; j++) {
      const x = hi[j] as number
      const y = mi[j] as number
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x)
        ys.push(y)
      }
    }
  }
  return pearson(xs, ys)
}
