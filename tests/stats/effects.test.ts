import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { assignArms } from "../../src/sampling/arms.js"
import { stream } from "../../src/sampling/rng.js"
import { betweenEffect, chiSquareSf, cochranQ, labelShuffleP, normalEffect, pairedEffect, signFlipP, upperIncompleteGamma, Z95 } from "../../src/stats/effects.js"

/** SciPy reference values: tests/fixtures/make_effects_reference.py (says how each was computed). */
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "effects-reference.json"), "utf8")) as {
  signFlip: Array<{ control: Array<number>; treatment: Array<number>; effect: number; p: number; se: number }>
  labelShuffle: Array<{ control: Array<number>; treatment: Array<number>; effect: number; p: number; se: number }>
  chi2: Array<{ x: number; df: number; sf: number }>
  gammaincc: Array<{ a: number; x: number; q: number }>
  cochranQ: Array<{ effects: Array<number>; ses: Array<number>; q: number; df: number; p: number; pooled: number }>
  normal: { z: number; paired: Array<{ lower: number; upper: number }>; between: Array<{ lower: number; upper: number }> }
}

const opts = (seed: number) => ({ iterations: 2000, permutations: 1 << 16, level: 0.95, rng: stream(seed, "test") })

describe("effects against SciPy", () => {
  it("paired: exact sign-flip p, mean difference and its standard error", () => {
    for (const c of ref.signFlip) {
      const d = c.treatment.map((t, i) => t - c.control[i]!)
      const exact = signFlipP(d, 1 << 16, stream(1, "x"))
      expect(exact.exact).toBe(true)
      expect(exact.p).toBeCloseTo(c.p, 12)
      const e = pairedEffect(c.control, c.treatment, opts(2))
      expect(e.effect).toBeCloseTo(c.effect, 12)
      expect(e.se).toBeCloseTo(c.se, 12)
      expect(e.ci.lower).toBeLessThan(e.effect)
      expect(e.ci.upper).toBeGreaterThan(e.effect)
    }
  })
  it("between: exact label-shuffle p, difference of means and its standard error", () => {
    for (const c of ref.labelShuffle) {
      const exact = labelShuffleP(c.control, c.treatment, 1 << 16, stream(1, "y"))
      expect(exact.exact).toBe(true)
      expect(exact.p).toBeCloseTo(c.p, 12)
      const e = betweenEffect(c.control, c.treatment, opts(3))
      expect(e.effect).toBeCloseTo(c.effect, 12)
      expect(e.se).toBeCloseTo(c.se, 12)
    }
  })
  it("randomised permutation p is close to the exact one", () => {
    const c = ref.labelShuffle[0]!
    const r = labelShuffleP(c.control, c.treatment, 20_000, stream(4, "z"), { control: c.control.map(() => 0), treatment: c.treatment.map(() => 0) })
    expect(r.exact).toBe(false)
    expect(Math.abs(r.p - c.p)).toBeLessThan(0.01)
  })
  it("normal-approximation intervals (the live dashboard's), paired and between", () => {
    expect(Z95).toBeCloseTo(ref.normal.z, 14)
    ref.signFlip.forEach((c, i) => {
      const e = normalEffect(c.control, c.treatment, true)
      expect([e.effect, e.se, e.n]).toEqual([expect.closeTo(c.effect, 12), expect.closeTo(c.se, 12), c.control.length])
      expect(e.lower).toBeCloseTo(ref.normal.paired[i]!.lower, 12)
      expect(e.upper).toBeCloseTo(ref.normal.paired[i]!.upper, 12)
    })
    ref.labelShuffle.forEach((c, i) => {
      const e = normalEffect(c.control, c.treatment, false)
      expect(e.lower).toBeCloseTo(ref.normal.between[i]!.lower, 12)
      expect(e.upper).toBeCloseTo(ref.normal.between[i]!.upper, 12)
      expect(e.n).toBe(c.control.length + c.treatment.length)
    })
    expect(Number.isNaN(normalEffect([1], [2], true).se)).toBe(true)
  })
  it("chi-square tail and the upper incomplete gamma", () => {
    for (const c of ref.chi2) expect(chiSquareSf(c.x, c.df)).toBeCloseTo(c.sf, 12)
    for (const c of ref.gammaincc) expect(upperIncompleteGamma(c.a, c.x)).toBeCloseTo(c.q, 12)
  })
  it("Cochran's Q", () => {
    for (const c of ref.cochranQ) {
      const h = cochranQ(c.effects, c.ses)
      expect(h.q).toBeCloseTo(c.q, 10)
      expect(h.df).toBe(c.df)
      expect(h.p).toBeCloseTo(c.p, 10)
      expect(h.pooled).toBeCloseTo(c.pooled, 12)
    }
    expect(Number.isNaN(cochranQ([0.3], [0.1]).p)).toBe(true)
  })
})

describe("between assignment", () => {
  it("is balanced within every condition and overall, and seeded", () => {
    const conditions = Array.from({ length: 1001 }, (_, i) => (i * 7) % 11)
    for (const arms of [2, 3]) {
      const a = assignArms(conditions, arms, stream(5, "arms", 1))
      for (let c = 0; c < 11; c++) {
        const counts = Array.from({ length: arms }, (_, j) => conditions.filter((x, i) => x === c && a[i] === j).length)
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
      }
      const total = Array.from({ length: arms }, (_, j) => a.filter((x) => x === j).length)
      expect(Math.max(...total) - Math.min(...total)).toBeLessThanOrEqual(1)
      expect(assignArms(conditions, arms, stream(5, "arms", 1))).toEqual(a)
      expect(assignArms(conditions, arms, stream(6, "arms", 1))).not.toEqual(a)
    }
  })
})
