import { describe, expect, it } from "vitest"
import { composedHierarchy, robustnessTable, type RobustnessVariantInput } from "../../src/analysis/robustness.js"
import type { HumanStructure } from "../../src/analysis/strategies.js"
import { composedResample } from "../../src/analysis/strategies.js"
import { VALUES_10 } from "../../src/domain/values.js"
import { strategyWeights } from "../../src/sampling/population.js"
import { standardNormal, stream } from "../../src/sampling/rng.js"
import { bootstrapDifferenceP } from "../../src/stats/inference.js"

/** The pure robustness table: paired differences, BH adjustment, hierarchies. */

const K = VALUES_10.length
/** Circular-ish pools: agents of value:v score high on v and its neighbours, plus noise; `none` is noise only. */
const makePools = (perCondition: number, noise: number, seed: number) => {
  const rng = stream(seed, "test-pools")
  const conditions = [...VALUES_10.map((v) => `value:${v}`), "none"]
  const columns = VALUES_10.map(() => new Float64Array(perCondition * conditions.length))
  const byCondition = new Map<string, Array<number>>()
  conditions.forEach((c, ci) => {
    for (let a = 0; a < perCondition; a++) {
      const r = ci * perCondition + a
      byCondition.set(c, [...(byCondition.get(c) ?? []), r])
      for (let k = 0; k < K; k++) columns[k]![r] = (ci < K ? Math.cos((2 * Math.PI * (k - ci)) / K) : 0) + noise * standardNormal(rng)
    }
  })
  return { columns, byCondition }
}

const circle: HumanStructure = {
  ref: { file: "x", id: "circle", title: "ideal circle", instrument: "-", population: "-", n: null, source: "-", obtained: "published", confidence: "low" },
  matrix: VALUES_10.map((_, i) => VALUES_10.map((__, j) => (i === j ? 1 : 0.8 * Math.cos((2 * Math.PI * (i - j)) / K))))
}

describe("bootstrapDifferenceP", () => {
  it("is 1 for all-zero differences, small when every difference has one sign, and two-sided", () => {
    expect(bootstrapDifferenceP([0, 0, 0, 0])).toBe(1)
    expect(bootstrapDifferenceP(new Array(99).fill(0.1))).toBeCloseTo(2 / 100, 12)
    expect(bootstrapDifferenceP(new Array(99).fill(-0.1))).toBeCloseTo(2 / 100, 12)
    expect(bootstrapDifferenceP([0.1, 0.2, 0.3, -0.05])).toBeCloseTo(0.8, 12)
    expect(bootstrapDifferenceP([NaN, NaN])).toBeNaN()
  })
})

describe("robustnessTable", () => {
  const settings = { iterations: 40, sampleSize: 200, level: 0.95 }
  const base = makePools(30, 0.5, 1)
  const noisier = makePools(30, 1.5, 2)
  const hnp = strategyWeights("h-np", { shares: Object.fromEntries(VALUES_10.map((v, i) => [v, (i + 1) / 100])) as never, noDominant: 0.45 })
  const variants: Array<RobustnessVariantInput> = [
    { name: "base", description: "base", columns: base.columns, weights: hnp },
    { name: "copy", description: "identical answers", columns: base.columns, weights: hnp },
    { name: "noisier", description: "much noisier answers", columns: noisier.columns, weights: hnp },
    { name: "control", description: "uniform", columns: base.columns, weights: strategyWeights("uniform") }
  ]
  const rows = robustnessTable(variants, base.byCondition, [circle], 7, settings)

  it("has one row per variant, the base without a difference, and is replayable", () => {
    expect(rows.map((r) => r.variant)).toEqual(["base", "copy", "noisier", "control"])
    expect(rows[0]!.cells[0]!.difference).toBeNull()
    expect(robustnessTable(variants, base.byCondition, [circle], 7, settings)).toEqual(rows)
  })

  it("scores identical answers on the same resamples: difference exactly 0, p = 1", () => {
    const copy = rows[1]!.cells[0]!
    expect(copy.bootstrap.mean).toBe(rows[0]!.cells[0]!.bootstrap.mean)
    expect(copy.difference!.mean).toBe(0)
    expect(copy.difference!.p).toBe(1)
    expect(rows[1]!.hierarchySpearmanVsBase).toBeCloseTo(1, 12)
  })

  it("detects a real loss of structure, and BH-adjusted p's are never below the raw ones", () => {
    const noisy = rows[2]!.cells[0]!
    expect(noisy.difference!.mean!).toBeLessThan(0)
    expect(noisy.difference!.ci.upper!).toBeLessThan(0)
    expect(noisy.difference!.p!).toBeLessThan(0.05)
    for (const r of rows.slice(1)) {
      const d = r.cells[0]!.difference!
      expect(d.pAdjusted!).toBeGreaterThanOrEqual(d.p!)
      expect(d.pAdjusted!).toBeLessThanOrEqual(1)
    }
    for (const r of rows) expect(r.cells[0]!.bootstrap.pAdjusted!).toBeGreaterThanOrEqual(r.cells[0]!.bootstrap.p!)
  })

  it("composes the hierarchy from the pools' means with the variant's weights", () => {
    const uniform = composedHierarchy(base.columns, base.byCondition, strategyWeights("uniform"))
    expect(rows[3]!.hierarchy).toEqual(uniform)
    // Uniform over the ten value pools: each value is high in its own pool and low opposite, so all means are equal-ish.
    const mean = uniform.reduce((s: number, x) => s + x!, 0) / K
    for (const x of uniform) expect(Math.abs(x! - mean)).toBeLessThan(0.2)
  })

  it("draws resamples by condition weight, then uniformly within the pool", () => {
    const only = [{ condition: "value:BE", weight: 1 }]
    const rowsDrawn = composedResample(base.byCondition, only, 500, stream(1, "x"))
    const be = new Set(base.byCondition.get("value:BE"))
    expect([...rowsDrawn].every((r) => be.has(r))).toBe(true)
  })
})
