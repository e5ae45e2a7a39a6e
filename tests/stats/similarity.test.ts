import { describe, expect, it } from "vitest"
import { pearson } from "../../src/stats/correlation.js"
import { behaviourSimilarity } from "../../src/stats/similarity.js"

describe("behaviourSimilarity", () => {
  it("is the Pearson correlation of the vectorised matrices", () => {
    const h = [[0.3, -0.1, 0.05], [0.2, 0.12, -0.3]]
    const m = [[0.6, -0.2, 0.0], [0.5, 0.1, -0.4]]
    expect(behaviourSimilarity(h, m)).toBe(pearson(h.flat(), m.flat()))
    // np.corrcoef([0.3, -0.1, 0.2], [0.6, -0.2, 0.5])[0, 1] (NumPy 2.4.6)
    expect(behaviourSimilarity([[0.3, -0.1], [0.2, NaN]], [[0.6, -0.2], [0.5, 0.1]])).toBeCloseTo(
      0.9918697838003708,
      14
    )
  })

  it("uses only the cells finite in both matrices", () => {
    const h = [[0.3, NaN, 0.1], [0.2, 0.4, -0.2]]
    const m = [[0.5, 0.9, Infinity], [0.1, 0.6, NaN]]
    expect(behaviourSimilarity(h, m)).toBe(pearson([0.3, 0.2, 0.4], [0.5, 0.1, 0.6]))
  })

  it("is 1 for a matrix with itself and invariant to positive affine maps of either", () => {
    const h = [[0.3, -0.1], [0.2, 0.4], [-0.25, 0.05]]
    expect(behaviourSimilarity(h, h)).toBeCloseTo(1, 14)
    const scaled = h.map((row) => row.map((v) => 2 * v + 0.1))
    expect(behaviourSimilarity(h, scaled)).toBeCloseTo(1, 14)
    const flipped = h.map((row) => row.map((v) => -v))
    expect(behaviourSimilarity(h, flipped)).toBeCloseTo(-1, 14)
  })

  it("is NaN with fewer than two shared cells or a constant matrix", () => {
    expect(behaviourSimilarity([], [])).toBeNaN()
    expect(behaviourSimilarity([[0.1, NaN]], [[0.2, 0.3]])).toBeNaN()
    expect(behaviourSimilarity([[0.1, 0.1]], [[0.2, 0.3]])).toBeNaN()
  })

  it("throws when the shapes differ", () => {
    expect(() => behaviourSimilarity([[1, 2]], [[1, 2], [3, 4]])).toThrow(RangeError)
    expect(() => behaviourSimilarity([[1, 2]], [[1, 2, 3]])).toThrow(RangeError)
  })

  it("does not mutate its inputs", () => {
    const h = [[0.3, NaN], [0.2, 0.4]]
    const m = [[0.5, 0.9], [0.1, 0.6]]
    behaviourSimilarity(h, m)
    expect(h).toEqual([[0.3, NaN], [0.2, 0.4]])
    expect(m).toEqual([[0.5, 0.9], [0.1, 0.6]])
  })
})
