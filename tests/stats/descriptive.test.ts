import { describe, expect, it } from "@effect/vitest"
import { mean, sampleSd } from "../../src/stats/descriptive.js"

// Reference values from NumPy 2.4:
//   python3 -c "import numpy as np; x=[2.5,3.1,4.7,1.2,6.8,5.5,3.3]; print(repr(np.mean(x)), repr(np.std(x, ddof=1)))"
//   python3 -c "import numpy as np; print(repr(np.std([2,4,4,4,5,5,7,9], ddof=1)))"
const x = [2.5, 3.1, 4.7, 1.2, 6.8, 5.5, 3.3]

describe("mean", () => {
  it("matches NumPy", () => {
    expect(mean(x)).toBeCloseTo(3.8714285714285714, 14)
    expect(mean([1, 2, 3, 4])).toBe(2.5)
    expect(mean(Float64Array.of(-1, 1))).toBe(0)
  })

  it("handles edge cases: empty → NaN, NaN propagates, large offsets keep precision", () => {
    expect(mean([])).toBeNaN()
    expect(mean([1, NaN])).toBeNaN()
    expect(mean([1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.3])).toBeCloseTo(1e9 + 0.2, 6)
  })
})

describe("sampleSd", () => {
  it("matches NumPy (ddof = 1)", () => {
    expect(sampleSd(x)).toBeCloseTo(1.9085022798993332, 14)
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935299395, 14)
  })

  it("is NaN for n < 2 and 0 for a constant sample", () => {
    expect(sampleSd([])).toBeNaN()
    expect(sampleSd([3])).toBeNaN()
    expect(sampleSd([0.1, 0.1, 0.1])).toBe(0)
  })

  it("does not mutate its input", () => {
    const copy = [...x]
    sampleSd(x)
    expect(x).toEqual(copy)
  })
})
