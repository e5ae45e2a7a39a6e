import { describe, expect, it } from "vitest"
import { anchoringCurve, compareHierarchy, compareStructure, valueRanking } from "../../src/analysis/anchoring.js"
import { VALUES_19 } from "../../src/domain/values.js"
import { stream, standardNormal } from "../../src/sampling/rng.js"
import { correlationMatrix } from "../../src/stats/correlation.js"
import { correlationPValue } from "../../src/stats/inference.js"

const N = VALUES_19.length

/** Respondents anchored on each of the 19 values (`perAnchor` each) whose centered scores are `f(offset from anchor)`. */
const fixture = (perAnchor: number, f: (offset: number) => number, extraUnanchored = 0) => {
  const rows = N * perAnchor + extraUnanchored
  const columns = VALUES_19.map(() => new Float64Array(rows))
  const anchorOf = new Int32Array(rows).fill(-1)
  let r = 0
  for (let a = 0; a < N; a++) {
    for (let p = 0; p < perAnchor; p++, r++) {
      anchorOf[r] = a
      for (let j = 0; j < N; j++) columns[j]![r] = f((j - a + N) % N)
    }
  }
  // Unanchored respondents (names, personas…) with scores that would wreck the curve if they were counted.
  for (; r < rows; r++) for (let j = 0; j < N; j++) columns[j]![r] = j === 3 ? 50 : -50
  return { columns, anchorOf }
}

describe("anchoring curve (paper 002 figure 4)", () => {
  it("recovers a sinusoid peaking at the anchor and ignores unanchored respondents", () => {
    const { columns, anchorOf } = fixture(2, (k) => 1.5 * Math.cos((2 * Math.PI * k) / N), 7)
    const c = anchoringCurve(VALUES_19, columns, anchorOf)!
    expect(c.anchors).toBe(19)
    expect(c.agents).toBe(38)
    expect(c.byOffset).toHaveLength(19)
    expect(c.byOffset[0]!.mean).toBeCloseTo(1.5, 12)
    expect(c.byDistance).toHaveLength(10)
    expect(c.byDistance[9]!.mean).toBeCloseTo(1.5 * Math.cos((2 * Math.PI * 9) / N), 12)
    expect(c.sinusoid.amplitude).toBeCloseTo(1.5, 9)
    expect(c.sinusoid.phase).toBeCloseTo(0, 9)
    expect(c.sinusoid.r2).toBeCloseTo(1, 9)
    expect(c.byAnchor[5]).toMatchObject({ condition: "value:POD", anchor: "POD", agents: 2 })
  })

  it("reports a peak before the anchor as a negative phase and folds both neighbours into one distance", () => {
    const { columns, anchorOf } = fixture(1, (k) => Math.cos((2 * Math.PI * (k + 1)) / N) + (k === 1 ? 0.4 : 0))
    const c = anchoringCurve(VALUES_19, columns, anchorOf)!
    expect(c.sinusoid.phase!).toBeLessThan(-0.5)
    expect(c.sinusoid.phase!).toBeGreaterThan(-1.5)
    // distance 1 = mean of offsets 1 and 18
    expect(c.byDistance[1]!.mean).toBeCloseTo((c.byOffset[1]!.mean! + c.byOffset[18]!.mean!) / 2, 12)
    expect(c.sinusoid.r2!).toBeLessThan(1)
  })

  it("is null without anchored respondents", () => {
    const { columns, anchorOf } = fixture(0, () => 0, 5)
    expect(anchoringCurve(VALUES_19, columns, anchorOf)).toBeNull()
  })
})

describe("value ranking and structure (paper 002 §3.2)", () => {
  const human: Record<string, number> = Object.fromEntries(VALUES_19.map((v, i) => [v, i / 10]))

  it("ranks values by mean centered score and correlates the ranking with a human hierarchy", () => {
    const cols = VALUES_19.map((_, i) => Float64Array.of(i, i + 0.2, i - 0.2))
    const ranking = valueRanking(VALUES_19, cols)
    expect(ranking[18]).toMatchObject({ value: "UNT", rank: 1 })
    expect(ranking[0]!.mean).toBeCloseTo(0, 12)
    const same = compareHierarchy(ranking, human)
    expect(same).toMatchObject({ values: 19, spearman: 1, p: 0 })
    expect(same.human[18]).toEqual({ value: "UNT", mean: 1.8, rank: 1 })
    const reversed = compareHierarchy(ranking, Object.fromEntries(VALUES_19.map((v, i) => [v, -i])))
    expect(reversed.spearman).toBeCloseTo(-1, 12)
    // A hierarchy over other codes shares too few values to rank.
    expect(compareHierarchy(ranking, { SD: 1, PO: 0 })).toMatchObject({ values: 0, spearman: null })
  })

  it("gives SSD 0 for the run's own structure and more for a scrambled one", () => {
    const rng = stream(7, "anchoring-test")
    const rows = 400
    const cols = VALUES_19.map(() => new Float64Array(rows))
    for (let r = 0; r < rows; r++) {
      const a = 2 * Math.PI * rng()
      for (let j = 0; j < N; j++) cols[j]![r] = Math.cos(a - (2 * Math.PI * j) / N) + 0.5 * standardNormal(rng)
    }
    const own = correlationMatrix(cols)
    const s = compareStructure(cols, own)!
    expect(s.ssd).toBeCloseTo(0, 9)
    expect(s.sv).toBeCloseTo(1, 9)
    expect(s.aligned.model).toHaveLength(19)
    const perm = VALUES_19.map((_, i) => (i * 7) % N)
    const scrambled = perm.map((i) => perm.map((j) => own[i]![j]!))
    expect(compareStructure(cols, scrambled)!.ssd).toBeGreaterThan(0.3)
  })

  it("tests a rank correlation as SciPy's spearmanr does", () => {
    // scipy: 2 * t.sf(0.79 * sqrt(8 / (1 - 0.79**2)), 8)
    expect(correlationPValue(0.79, 10)).toBeCloseTo(0.006546375712996872, 10)
    expect(correlationPValue(0.5, 2)).toBeNaN()
  })
})
