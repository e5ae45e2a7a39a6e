import { describe, expect, it } from "vitest"
import { compareStrategies, type Pools } from "../../src/analysis/strategies.js"
import { renderStrategies, type StrategyComparison } from "../../src/app/compareStrategies.js"
import { VALUES_10 } from "../../src/domain/values.js"
import { STRATEGIES } from "../../src/sampling/population.js"
import { standardNormal, stream } from "../../src/sampling/rng.js"
import { behaviourAgainst, structureAgainst } from "../../src/analysis/alignment.js"

/** A circumplex correlation matrix of the ten values in circle order (what a structured model reproduces). */
const circle = (): Array<Array<number>> =>
  VALUES_10.map((_, i) => VALUES_10.map((_, j) => (i === j ? 1 : 0.45 * Math.cos((2 * Math.PI * (i - j)) / 10))))

/** Pools of a model with no value structure at all: every answer independent noise, 40 agents per condition. */
const structureless = (): Pools => {
  const rng = stream(5, "test", "structureless")
  const conditions = [...VALUES_10.map((v) => `value:${v}`), "none"]
  const n = conditions.length * 40
  const columns = VALUES_10.map(() => Float64Array.from({ length: n }, () => standardNormal(rng)))
  return { columns, byCondition: new Map(conditions.map((c, k) => [c, Array.from({ length: 40 }, (_, i) => k * 40 + i)])) }
}

const human = { ref: { file: "x", id: "circle.correlations-centered", title: "a circle", instrument: "t", population: "t", n: 100, source: "test", obtained: "published" as const, confidence: "high" as const }, matrix: circle() }
const shares = { shares: Object.fromEntries(VALUES_10.map((v) => [v, 0.08])) as any, noDominant: 0.2 }

describe("significance by chance level (issue 22 item 2)", () => {
  it("a structureless model gets no star in compare-strategies, though the paper's t-test stars every cell", () => {
    const rows = compareStrategies(structureless(), [human], shares, 3, { iterations: 20, sampleSize: 200, level: 0.95 }, "smacof", 200)
    expect(rows.map((r) => r.strategy)).toEqual([...STRATEGIES, "model-specific"])
    for (const cell of rows.flatMap((r) => r.cells)) {
      // unrelated structures are far above 0: the paper's test calls them all significant …
      expect(cell.bootstrap.mean!).toBeGreaterThan(0.05)
      expect(cell.bootstrap.pAdjusted!).toBeLessThan(0.01)
      // … the chance level does not
      expect(cell.null).not.toBeNull()
      expect(cell.null!.pAdjusted!).toBeGreaterThan(0.05)
    }
    const c = { run: { runId: "r", runDir: "d", backend: "synthetic", model: "m", synthetic: false, label: null, questionnaire: "q", pools: {} }, shares: { file: "f", dataset: "d" },
      settings: { bootstrapIterations: 20, bootstrapSampleSize: 200, bootstrapSizeRule: "own", ciLevel: 0.95, seed: 3, permutations: 200 }, mdsMethod: "smacof",
      baselines: [human.ref], strategies: rows, notes: [] } as unknown as StrategyComparison
    const text = renderStrategies(c)
    const table = text.split("\n").filter((l) => /^(Uniform|H-|Model-Specific)/.test(l))
    expect(table).toHaveLength(5)
    // the S_V cells carry no star; the paper's t-test column (last) says ** for every row
    for (const line of table) {
      expect(line.replace(/\*\*\s*$/, "")).not.toContain("*")
      expect(line.trimEnd().endsWith("**")).toBe(true)
    }
  })

  it("a model that reproduces the circle is starred", () => {
    const rng = stream(6, "test", "structured")
    // ten values as noisy projections of an angle: a circular structure
    const n = 440
    const angle = Float64Array.from({ length: n }, () => 2 * Math.PI * rng())
    const columns = VALUES_10.map((_, k) => Float64Array.from(angle, (a) => Math.cos(a - (2 * Math.PI * k) / 10) + 0.5 * standardNormal(rng)))
    const pools: Pools = { columns, byCondition: new Map([...VALUES_10.map((v, k) => [`value:${v}`, Array.from({ length: 40 }, (_, i) => k * 40 + i)] as const), ["none", Array.from({ length: 40 }, (_, i) => 400 + i)]]) }
    const rows = compareStrategies(pools, [human], shares, 3, { iterations: 10, sampleSize: 200, level: 0.95 }, "smacof", 200)
    for (const cell of rows.flatMap((r) => r.cells)) expect(cell.null!.pAdjusted!).toBeLessThan(0.01)
  })
})

describe("S_B carries a chance level (issue 22 item 3)", () => {
  it("permuting value labels: related behaviours are above it, unrelated ones are not", () => {
    const rng = stream(7, "test", "sb")
    const n = 300
    const values = VALUES_10.map(() => Float64Array.from({ length: n }, () => standardNormal(rng)))
    // behaviour j follows value j (j < 3), plus noise
    const related = [0, 1, 2].map((j) => Float64Array.from(values[j]!, (x) => x + standardNormal(rng)))
    const unrelated = [0, 1, 2].map(() => Float64Array.from({ length: n }, () => standardNormal(rng)))
    const humanSb = VALUES_10.map((_, i) => [0, 1, 2].map((j) => (i === j ? 0.6 : 0)))
    const settings = { iterations: 10, sampleSize: 500, level: 0.95 }
    const good = behaviourAgainst(values, related, humanSb, stream(1, "b"), settings, { permutations: 500, nullRng: stream(1, "n") })
    const bad = behaviourAgainst(values, unrelated, humanSb, stream(1, "b"), settings, { permutations: 500, nullRng: stream(1, "n") })
    expect(good.null!.permutations).toBe(500)
    expect(good.sb!).toBeGreaterThan(good.null!.q95!)
    expect(good.null!.p!).toBeLessThan(0.01)
    expect(bad.null!.p!).toBeGreaterThan(0.05)
    // the resample size: the sample's own (300) below the paper's 500, unless the paper's rule is asked for
    expect(good.bootstrap.sampleSize).toBe(300)
    expect(behaviourAgainst(values, related, humanSb, stream(1, "b"), { ...settings, sizeRule: "paper" }).bootstrap.sampleSize).toBe(500)
  })
})

describe("honest small samples (issue 22 item 5)", () => {
  it("a small sample's CI is wider when resampled at its own size than at the paper's 500", () => {
    const rng = stream(8, "test", "small")
    const n = 120
    const angle = Float64Array.from({ length: n }, () => 2 * Math.PI * rng())
    const columns = VALUES_10.map((_, k) => Float64Array.from(angle, (a) => Math.cos(a - (2 * Math.PI * k) / 10) + 0.8 * standardNormal(rng)))
    const width = (sizeRule: "own" | "paper") => {
      const r = structureAgainst(columns, circle(), stream(2, "boot"), { iterations: 100, sampleSize: 500, level: 0.95, sizeRule }, { mdsMethod: "smacof", permutations: 0, nullRng: stream(2, "n") })
      expect(r.bootstrap.sizeRule).toBe(sizeRule)
      return { size: r.bootstrap.sampleSize, width: r.bootstrap.ci.upper! - r.bootstrap.ci.lower! }
    }
    const own = width("own")
    const paper = width("paper")
    expect(own.size).toBe(120)
    expect(paper.size).toBe(500)
    // variance scales with 1/size: the own-size CI should be about √(500/120) ≈ 2 times as wide
    expect(own.width / paper.width).toBeGreaterThan(1.5)
  })
})

describe("the models side-by-side table stars by chance level (issue 22 items 2, 3)", () => {
  it("a structureless model's S_V gets no star and shows its chance level; the paper's t-test has its own column", async () => {
    const { modelTables } = await import("../../src/report/models.js")
    const comparison = (sv: number, chanceP: number) => ({
      baseline: { id: "circle.correlations-centered", title: "a circle" },
      sv,
      bootstrap: { ci: { lower: sv - 0.05, upper: sv + 0.05 }, pAdjusted: 1e-9 },
      null: { permutations: 1000, mean: 0.25, q95: 0.45, p: chanceP, pAdjusted: null },
      ceiling: { family: "PVQ", sv: 0.88, pairs: [], position: null }
    })
    const model = (name: string, sv: number, chanceP: number) => ({
      name,
      report: {
        run: { synthetic: false },
        valueStructure: { respondents: 200, structureComparisons: [comparison(sv, chanceP)], hierarchyComparisons: [] },
        behaviour: { comparisons: [] },
        games: []
      }
    })
    const report = { settings: { ciLevel: 0.95 }, models: [model("structured", 0.91, 0.001), model("noise", 0.3, 0.2)] } as any
    const t = modelTables(report)[0]!
    expect(t.header.at(-1)).toBe("paper's t-test")
    const [structured, noise] = t.rows
    expect(structured![2]).toBe("0.910 [0.860, 0.960]** chance 0.450 ceiling 0.880")
    expect(noise![2]).toBe("0.300 [0.250, 0.350] chance 0.450 ceiling 0.880")
    // the paper's test stars both: that is why it is only a column of its own
    expect(noise![3]).toBe("**")
    expect(t.note).toContain("against the chance level")
  })
})
