import { describe, expect, it } from "vitest"
import { stream } from "../../src/sampling/rng.js"
import {
  circleItemDistribution,
  circleProfile,
  circleValueItemDistribution,
  latentProfile,
  SYNTHETIC_DEFAULTS,
  valueItemDistribution
} from "../../src/sampling/synthetic.js"
import { positionOn } from "../../src/domain/values.js"

const noiseless = { ...SYNTHETIC_DEFAULTS, noiseSd: 0, styleSd: 0 }

describe("the synthetic respondent on the 19-value circle", () => {
  it("peaks at the anchored refined value and bottoms out opposite it", () => {
    const p = circleProfile(19, 15, stream(1, "t"), noiseless) // Benevolence–Caring
    expect(p).toHaveLength(20)
    expect(p[15]).toBeCloseTo(1.5, 12)
    expect(p[5]).toBeCloseTo(1.5 * Math.cos((2 * Math.PI * 10) / 19), 12) // Power–Dominance, 9.5 steps away
    expect(p[19]).toBeCloseTo(0, 12)
    const sorted = [...p.subarray(0, 19)].map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0])
    expect(sorted.slice(0, 3).map((x) => x[1]).sort()).toEqual([14, 15, 16])
  })

  it("matches the ten-value model on the basic circle (same draws, same order)", () => {
    for (const d of [0, 4, 9]) {
      const a = latentProfile(d, stream(3, "p", d))
      const b = circleProfile(10, d, stream(3, "p", d))
      for (let k = 0; k < 11; k++) expect(b[k]).toBeCloseTo(a[k]!, 12)
      const bufA = valueItemDistribution(a, 2, false, 6, new Float64Array(6))
      const bufB = circleValueItemDistribution(b, 10, 2, false, 6, new Float64Array(6))
      for (let j = 0; j < 6; j++) expect(bufB[j]).toBeCloseTo(bufA[j]!, 12)
    }
  })

  it("places values across systems and answers items centred on a refined value", () => {
    expect(positionOn("refined", "basic", "SD")).toBe(0.5)
    expect(positionOn("basic", "refined", "FAC")).toBe(4.5)
    expect(positionOn("basic", "refined", "BEC")).toBe(8)
    expect(positionOn("refined", "refined", "UNT")).toBe(18)
    const p = circleProfile(19, 0, stream(1, "x"), noiseless)
    const near = circleItemDistribution(p, 19, 0, false, 6, new Float64Array(6))
    const far = circleItemDistribution(p, 19, 9, false, 6, new Float64Array(6))
    const meanOf = (d: Float64Array) => d.reduce((s, x, i) => s + x * (i + 1), 0)
    expect(meanOf(near)).toBeGreaterThan(meanOf(far) + 2)
  })

  it("rejects a circle too small and a non-finite position", () => {
    expect(() => circleProfile(2, 0, stream(1, "y"))).toThrow(RangeError)
    expect(() => circleProfile(19, Number.NaN, stream(1, "y"))).toThrow(RangeError)
  })
})
