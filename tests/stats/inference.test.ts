import { describe, expect, it } from "vitest"
import { loadStatsReference } from "../helpers/statsFixture.js"
import { stream } from "../../src/sampling/rng.js"
import {
  benjaminiHochberg,
  bootstrapIterations,
  oneSampleT,
  percentileCi,
  quantile,
  regularizedIncompleteBeta,
  studentTCdf
} from "../../src/stats/inference.js"

// SciPy/NumPy reference values: tests/fixtures/make_stats_reference.py (command and versions in its header).
interface TTest {
  mu: number
  t: number
  df: number
  p: number
}
interface Fixture {
  readonly inference: {
    ttest: { boot: Array<number>; small: Array<number>; bootVs0: TTest; bootVs03: TTest; smallVs0: TTest }
    tCdf: { cases: Array<{ t: number; df: number; cdf: number }> }
    betainc: { cases: Array<{ a: number; b: number; x: number; value: number }> }
    percentile: { x: Array<number>; q: Array<number>; values: Array<number>; x7: Array<number>; values7: Array<number> }
    bh: { p: Array<number>; adjusted: Array<number> }
  }
}
const ref = loadStatsReference<Fixture>().inference

/** |actual − expected| ≤ rel · |expected|: relative, so that tiny p-values are compared meaningfully. */
const expectRelClose = (actual: number, expected: number, rel = 1e-9) => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + 1e-300)
}

describe("bootstrapIterations", () => {
  it("draws sampleSize indices with replacement per iteration, in rng order", () => {
    const seen: Array<Array<number>> = []
    const values = [0.0, 0.2, 0.45, 0.99, 0.5, 0.7]
    let k = 0
    const out = bootstrapIterations(4, 2, 3, () => values[k++]!, (rows) => {
      seen.push(Array.from(rows))
      return rows.reduce((a, b) => a + b, 0)
    })
    expect(seen).toEqual([[0, 0, 1], [3, 2, 2]])
    expect(Array.from(out)).toEqual([1, 7])
  })

  it("is reproducible with a seeded stream and covers the rows uniformly (paper 000: 100 × 500)", () => {
    const n = 1441
    const counts = new Float64Array(n)
    const stat = (rows: Int32Array) => {
      for (const r of rows) counts[r] = counts[r]! + 1
      return rows[0]!
    }
    const a = bootstrapIterations(n, 100, 500, stream(3, "boot"), stat)
    expect(a.length).toBe(100)
    expect(Array.from(bootstrapIterations(n, 100, 500, stream(3, "boot"), (rows) => rows[0]!))).toEqual(Array.from(a))
    // 50 000 draws over 1441 rows: mean count ≈ 34.7; every row well inside Poisson range, none out of bounds.
    expect(counts.reduce((s, c) => s + c, 0)).toBe(50_000)
    for (const c of counts) expect(c).toBeGreaterThan(5)
  })

  it("clamps an rng that returns 1 and rejects bad counts", () => {
    expect(Array.from(bootstrapIterations(3, 1, 2, () => 1, (rows) => rows[1]!))).toEqual([2])
    expect(() => bootstrapIterations(0, 1, 1, () => 0.5, () => 0)).toThrow(RangeError)
    expect(() => bootstrapIterations(3, 1.5, 1, () => 0.5, () => 0)).toThrow(RangeError)
    expect(() => bootstrapIterations(3, 1, 0, () => 0.5, () => 0)).toThrow(RangeError)
  })
})

describe("regularizedIncompleteBeta and studentTCdf", () => {
  it("match scipy.special.betainc", () => {
    for (const c of ref.betainc.cases) expectRelClose(regularizedIncompleteBeta(c.x, c.a, c.b), c.value, 1e-10)
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0)
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1)
    expect(regularizedIncompleteBeta(0.5, 2, 3)).toBeCloseTo(0.6875, 14)
  })

  it("match scipy.stats.t.cdf, including far tails", () => {
    for (const c of ref.tCdf.cases) {
      const got = studentTCdf(c.t, c.df)
      // Relative accuracy in the lower tail (small cdf), absolute near 1.
      expectRelClose(got, c.cdf, 1e-9)
      if (c.t > 0) expectRelClose(1 - got, 1 - c.cdf, 1e-6)
    }
    expect(studentTCdf(0, 7)).toBe(0.5)
    expect(studentTCdf(Infinity, 3)).toBe(1)
    expect(studentTCdf(-Infinity, 3)).toBe(0)
  })

  it("reject invalid parameters", () => {
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(RangeError)
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(RangeError)
    expect(() => studentTCdf(1, 0)).toThrow(RangeError)
    expect(studentTCdf(NaN, 3)).toBeNaN()
  })
})

describe("oneSampleT", () => {
  it("matches scipy.stats.ttest_1samp", () => {
    const cases: Array<[Array<number>, TTest]> = [
      [ref.ttest.boot, ref.ttest.bootVs0],
      [ref.ttest.boot, ref.ttest.bootVs03],
      [ref.ttest.small, ref.ttest.smallVs0]
    ]
    for (const [xs, want] of cases) {
      const got = oneSampleT(xs, want.mu)
      expectRelClose(got.t, want.t, 1e-9)
      expect(got.df).toBe(want.df)
      // The bootstrap-vs-0 p is about 3e−79: compare relatively.
      expectRelClose(got.p, want.p, 1e-8)
    }
  })

  it("follows SciPy on edge cases", () => {
    expect(oneSampleT([2, 2, 2])).toEqual({ t: Infinity, df: 2, p: 0, mean: 2 })
    const same = oneSampleT([0.1, 0.1, 0.1], 0.1)
    expect(same.t).toBeNaN()
    expect(same.p).toBeNaN()
    const one = oneSampleT([1])
    expect(one.t).toBeNaN()
    expect(one.df).toBe(0)
    expect(oneSampleT([]).df).toBeNaN()
    expect(oneSampleT([1, NaN, 2]).p).toBeNaN()
  })

  it("does not mutate its input", () => {
    const xs = ref.ttest.small.slice()
    oneSampleT(xs)
    expect(xs).toEqual(ref.ttest.small)
  })
})

describe("quantile and percentileCi", () => {
  it("match numpy.percentile (linear)", () => {
    ref.percentile.q.forEach((q, i) => {
      expect(Math.abs(quantile(ref.percentile.x, q / 100) - ref.percentile.values[i]!)).toBeLessThan(1e-12)
      expect(Math.abs(quantile(ref.percentile.x7, q / 100) - ref.percentile.values7[i]!)).toBeLessThan(1e-12)
    })
    const ci = percentileCi(ref.percentile.x)
    expect(Math.abs(ci.lower - ref.percentile.values[1]!)).toBeLessThan(1e-12)
    expect(Math.abs(ci.upper - ref.percentile.values[5]!)).toBeLessThan(1e-12)
    expect(percentileCi([1, 2, 3, 4])).toEqual({ lower: 1.075, upper: 3.925 })
  })

  it("handles empty input, NaN and bad levels", () => {
    expect(quantile([], 0.5)).toBeNaN()
    expect(quantile([1, NaN], 0.5)).toBeNaN()
    expect(quantile([7], 0.3)).toBe(7)
    expect(() => quantile([1], 1.1)).toThrow(RangeError)
    expect(() => percentileCi([1, 2], 1)).toThrow(RangeError)
    expect(percentileCi([]).lower).toBeNaN()
  })

  it("does not mutate its input", () => {
    const xs = [3, 1, 2]
    percentileCi(xs)
    expect(xs).toEqual([3, 1, 2])
  })
})

describe("benjaminiHochberg", () => {
  it("matches scipy.stats.false_discovery_control(method='bh')", () => {
    const got = benjaminiHochberg(ref.bh.p)
    got.forEach((v, i) => expect(Math.abs(v - ref.bh.adjusted[i]!)).toBeLessThan(1e-12))
    const small = benjaminiHochberg([0.01, 0.04, 0.03, 0.2])
    expect(small[0]).toBeCloseTo(0.04, 15)
    expect(small[1]).toBeCloseTo(0.16 / 3, 15)
    expect(small[2]).toBeCloseTo(0.16 / 3, 15)
    expect(small[3]).toBeCloseTo(0.2, 15)
  })

  it("adjusted ≥ raw, ≤ 1, and monotone in the raw p-values", () => {
    const rng = stream(5, "bh")
    for (let trial = 0; trial < 50; trial++) {
      const p = Array.from({ length: 1 + Math.floor(rng() * 30) }, () => (rng() < 0.3 ? rng() * 0.01 : rng()))
      const adj = benjaminiHochberg(p)
      const order = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]!)
      order.forEach((i, k) => {
        expect(adj[i]!).toBeGreaterThanOrEqual(p[i]!)
        expect(adj[i]!).toBeLessThanOrEqual(1)
        if (k > 0) expect(adj[i]!).toBeGreaterThanOrEqual(adj[order[k - 1]!]!)
      })
    }
  })

  it("keeps NaN in place and out of m (R's p.adjust), and rejects p outside [0, 1]", () => {
    const adj = benjaminiHochberg([0.01, NaN, 0.04])
    expect(adj[1]).toBeNaN()
    expect(adj[0]).toBeCloseTo(0.02, 15)
    expect(adj[2]).toBeCloseTo(0.04, 15)
    expect(benjaminiHochberg([])).toEqual([])
    expect(() => benjaminiHochberg([0.5, 1.2])).toThrow(RangeError)
    expect(() => benjaminiHochberg([-0.1])).toThrow(RangeError)
  })

  it("does not mutate its input", () => {
    const p = ref.bh.p.slice()
    benjaminiHochberg(p)
    expect(p).toEqual(ref.bh.p)
  })
})
