import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { pearson } from "../../src/stats/correlation.js"

const finite = FastCheck.double({ min: -1e6, max: 1e6, noNaN: true })

describe("pearson", () => {
  it("matches NumPy and hand-computed values", () => {
    // NumPy 2.4, x and y below pasted in: python3 -c "import numpy as np; print(repr(np.corrcoef(x, y)[0, 1]))"
    const x = [2.5, 3.1, 4.7, 1.2, 6.8, 5.5, 3.3]
    const y = [1.0, 2.2, 3.9, 0.4, 5.1, 6.0, 2.0]
    expect(pearson(x, y)).toBeCloseTo(0.9398244167326767, 14)
    // By hand: deviations (−2,−1,0,1,2) and (2,0,1,−2,−1): Σxy = −8, Σx² = Σy² = 10, r = −0.8.
    expect(pearson([1, 2, 3, 4, 5], [5, 3, 4, 1, 2])).toBeCloseTo(-0.8, 14)
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBe(1)
    expect(pearson(Float64Array.of(1, 2, 3), Float64Array.of(3, 2, 1))).toBe(-1)
  })

  it("is NaN for n < 2 or a constant sample, and throws on unequal lengths", () => {
    expect(pearson([], [])).toBeNaN()
    expect(pearson([1], [2])).toBeNaN()
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN()
    expect(pearson([0.1, 0.1, 0.1], [1, 2, 3])).toBeNaN()
    expect(pearson([1, NaN, 3], [1, 2, 3])).toBeNaN()
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(RangeError)
  })

  it.prop(
    "lies in [−1, 1] and is symmetric",
    [FastCheck.array(FastCheck.tuple(finite, finite), { minLength: 2, maxLength: 40 })],
    ([pairs]) => {
      const x = pairs.map((p) => p[0])
      const y = pairs.map((p) => p[1])
      const r = pearson(x, y)
      if (!Number.isNaN(r)) {
        expect(r).toBeGreaterThanOrEqual(-1)
        expect(r).toBeLessThanOrEqual(1)
        expect(pearson(y, x)).toBeCloseTo(r, 12)
      }
    }
  )
})
