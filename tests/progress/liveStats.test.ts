import { describe, expect, it } from "vitest"
import { LIVE_BOOTSTRAP_SAMPLE, makeLiveStats, type LiveStatsOptions } from "../../src/progress/liveStats.js"
import { standardNormal, stream } from "../../src/sampling/rng.js"
import { correlationMatrix } from "../../src/stats/correlation.js"
import { bootstrapIterations, percentileCi } from "../../src/stats/inference.js"
import { valuesSimilarity } from "../../src/stats/procrustes.js"
import { expectMatrixClose, loadStatsReference } from "../helpers/statsFixture.js"

type M = Array<Array<number>>
const fixture = loadStatsReference<{ mds: { labels: Array<string>; r: M } }>()
const labels = fixture.mds.labels
const humanR = fixture.mds.r
const p = labels.length

/**
 * Respondents on a circumplex: value j sits at angle 2πj/p, a respondent's latent direction (a, b) gives value j
 * the score a·cos + b·sin plus noise and a per-respondent offset, then scores are centered on the respondent's
 * mean (MRAT-style). `offset` shifts every score to test numerical care with large means.
 */
const respondents = (n: number, seed: number, offset = 0): Array<Float64Array> => {
  const rng = stream(seed, "test-respondents")
  return Array.from({ length: n }, () => {
    const a = standardNormal(rng)
    const b = standardNormal(rng)
    const level = 3 * standardNormal(rng)
    const x = Float64Array.from({ length: p }, (_, j) => {
      const t = (2 * Math.PI * j) / p
      return level + a * Math.cos(t) + b * Math.sin(t) + 0.7 * standardNormal(rng)
    })
    const m = x.reduce((s, v) => s + v, 0) / p
    return x.map((v) => v - m + offset)
  })
}

const columnsOf = (rows: ReadonlyArray<ArrayLike<number>>): Array<Float64Array> =>
  Array.from({ length: p }, (_, j) => Float64Array.from(rows, (r) => r[j] as number))

const options = (over: Partial<LiveStatsOptions> = {}): LiveStatsOptions => ({
  labels,
  conditions: ["a", "b"],
  human: {
    title: "Human (PVQ-40)",
    matrix: humanR,
    hierarchy: labels.map((_, j) => j / 10),
    hierarchyTitle: "Human hierarchy"
  },
  seed: 7,
  ...over
})

const filled = (rows: ReadonlyArray<ArrayLike<number>>, over: Partial<LiveStatsOptions> = {}) => {
  const live = makeLiveStats(options(over))
  rows.forEach((r, i) => live.add(i % 2, r))
  return live
}

describe("makeLiveStats", () => {
  it("gives the hierarchy and C⁽ⱽ⁾ of the batch statistics of the same vectors (exact up to rounding)", () => {
    for (const offset of [0, 1e6]) {
      const rows = respondents(400, 1, offset)
      const live = filled(rows)
      const s = live.snapshot()
      expect(s.respondents).toBe(400)
      expect(s.labels).toEqual(labels)
      const cols = columnsOf(rows)
      s.hierarchy.forEach((h, j) => {
        const mean = (cols[j] as Float64Array).reduce((a, v) => a + v, 0) / rows.length
        expect(Math.abs((h as number) - mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(mean)))
      })
      expectMatrixClose(live.correlation(), correlationMatrix(cols), 1e-9)
    }
  })

  it("skips vectors with a NaN and rejects vectors of the wrong length", () => {
    const rows = respondents(50, 2)
    const live = makeLiveStats(options())
    rows.forEach((r, i) => {
      live.add(0, r)
      if (i % 5 === 0) live.add(1, Float64Array.from(r, (v, j) => (j === 3 ? NaN : v)))
    })
    const s = live.snapshot()
    expect(s.respondents).toBe(50)
    const b = s.conditionMeans.find((c) => c.condition === "b")
    expect(b).toEqual({ condition: "b", n: 0, means: labels.map(() => null) })
    expectMatrixClose(live.correlation(), correlationMatrix(columnsOf(rows)), 1e-9)
    expect(() => live.add(0, [1, 2, 3])).toThrow(RangeError)
  })

  it("computes S_V and the aligned maps as valuesSimilarity(human, correlationMatrix(...))", () => {
    const rows = respondents(300, 3)
    const s = filled(rows).snapshot()
    const batch = valuesSimilarity(humanR, correlationMatrix(columnsOf(rows)))
    expect(s.sv).not.toBeNull()
    expect(s.sv!.title).toBe("Human (PVQ-40)")
    expect(Math.abs(s.sv!.value - batch.sv)).toBeLessThanOrEqual(1e-9)
    expectMatrixClose(s.map!.run, batch.model, 1e-9)
    expectMatrixClose(s.map!.human, batch.human, 1e-9)
    expect(s.humanHierarchy).toEqual({ title: "Human hierarchy", means: labels.map((_, j) => j / 10) })
  })

  it("gives a bootstrap CI with lower ≤ upper, deterministic for the same seed and inputs", () => {
    const rows = respondents(700, 4)
    const a = filled(rows).snapshot()
    const b = filled(rows).snapshot()
    expect(a.sv!.lower).not.toBeNull()
    expect(a.sv!.upper).not.toBeNull()
    expect(a.sv!.lower!).toBeLessThanOrEqual(a.sv!.upper!)
    expect(a.sv!.lower!).toBeGreaterThanOrEqual(0)
    expect(a.sv!.upper!).toBeLessThanOrEqual(1)
    expect(b).toEqual(a)
    const other = filled(rows, { seed: 8 }).snapshot()
    expect(other.sv!.value).toBeCloseTo(a.sv!.value, 12)
    expect([other.sv!.lower, other.sv!.upper]).not.toEqual([a.sv!.lower, a.sv!.upper])
  })

  it("takes the CI from 20 seeded resamples of the reservoir (replayed here with valuesSimilarity)", () => {
    const rows = respondents(300, 11) // fewer than the reservoir size: the reservoir holds them all, in order
    const live = filled(rows)
    live.snapshot() // k = 0
    live.add(0, rows[0]!)
    const all = [...rows, rows[0]!]
    const s = live.snapshot() // k = 1
    const draws = bootstrapIterations(all.length, 20, all.length, stream(7, "live-bootstrap", 1), (idx) =>
      valuesSimilarity(humanR, correlationMatrix(columnsOf(Array.from(idx, (i) => all[i]!)))).sv
    )
    const ci = percentileCi(draws)
    expect(Math.abs(s.sv!.lower! - ci.lower)).toBeLessThanOrEqual(1e-9)
    expect(Math.abs(s.sv!.upper! - ci.upper)).toBeLessThanOrEqual(1e-9)
  })

  it("returns the same snapshot while nothing is added, and a new one after", () => {
    const rows = respondents(60, 5)
    const live = filled(rows)
    const first = live.snapshot()
    expect(live.snapshot()).toBe(first)
    live.add(0, rows[0]!)
    live.add(0, [0, 0, Infinity, 0, 0, 0, 0, 0, 0, 0]) // skipped: not finite
    const second = live.snapshot()
    expect(second).not.toBe(first)
    expect(second.respondents).toBe(61)
  })

  it("keeps per-condition means with their n", () => {
    const rows = respondents(90, 6)
    const live = makeLiveStats(options({ conditions: ["x", "y", "z"] }))
    rows.forEach((r, i) => live.add(i % 3 === 0 ? 0 : 2, r))
    live.add(9, rows[0]!) // an unknown condition counts overall only
    const s = live.snapshot()
    expect(s.respondents).toBe(91)
    const mean = (sel: ReadonlyArray<Float64Array>, j: number) => sel.reduce((a, r) => a + r[j]!, 0) / sel.length
    const x = rows.filter((_, i) => i % 3 === 0)
    const z = rows.filter((_, i) => i % 3 !== 0)
    expect(s.conditionMeans.map((c) => [c.condition, c.n])).toEqual([["x", 30], ["y", 0], ["z", 60]])
    s.conditionMeans[0]!.means.forEach((m, j) => expect(m!).toBeCloseTo(mean(x, j), 12))
    s.conditionMeans[2]!.means.forEach((m, j) => expect(m!).toBeCloseTo(mean(z, j), 12))
    expect(s.conditionMeans[1]!.means.every((m) => m === null)).toBe(true)
    expect(s.games).toEqual([])
  })

  it("never lets the reservoir exceed its size", () => {
    const live = makeLiveStats(options({ reservoirSize: 25 }))
    const rows = respondents(200, 7)
    rows.forEach((r, i) => {
      live.add(0, r)
      expect(live.reservoirCount()).toBe(Math.min(i + 1, 25))
    })
    const s = live.snapshot()
    expect(s.respondents).toBe(200)
    expect(s.sv!.lower).not.toBeNull()
  })

  it("has no S_V or map below 30 respondents or without a human structure", () => {
    const rows = respondents(40, 8)
    const live = makeLiveStats(options())
    rows.slice(0, 29).forEach((r) => live.add(0, r))
    const few = live.snapshot()
    expect(few.respondents).toBe(29)
    expect(few.sv).toBeNull()
    expect(few.map).toBeNull()
    live.add(0, rows[29]!)
    expect(live.snapshot().sv).not.toBeNull()
    const noHuman = filled(rows, { human: null }).snapshot()
    expect(noHuman.sv).toBeNull()
    expect(noHuman.map).toBeNull()
    expect(noHuman.humanHierarchy).toBeNull()
  })

  it("reports an empty state and a degenerate structure as null, not as an error", () => {
    const empty = makeLiveStats(options()).snapshot()
    expect(empty.respondents).toBe(0)
    expect(empty.hierarchy).toEqual(labels.map(() => null))
    expect(empty.sv).toBeNull()
    const constant = makeLiveStats(options())
    for (let i = 0; i < 40; i++) constant.add(0, labels.map((_, j) => j - (p - 1) / 2))
    const s = constant.snapshot()
    expect(s.respondents).toBe(40)
    expect(s.sv).toBeNull()
    expect(s.map).toBeNull()
    expect(constant.correlation().every((row) => row.every(Number.isNaN))).toBe(true)
  })

  it("rejects a human matrix of the wrong size", () => {
    expect(() =>
      makeLiveStats(options({ human: { title: "h", matrix: [[1]], hierarchy: null, hierarchyTitle: null } }))
    ).toThrow(RangeError)
  })

  it("does not mutate the vectors it is given", () => {
    const rows = respondents(40, 9)
    const copy = rows.map((r) => Float64Array.from(r))
    filled(rows).snapshot()
    expect(rows).toEqual(copy)
  })

  // How long a snapshot takes is measured by `npm run bench` (the dashboard's share of the run), not here.
  it(`snapshots 10 labels with a full 2000 reservoir (${LIVE_BOOTSTRAP_SAMPLE}-respondent resamples), the same twice`, () => {
    const a = filled(respondents(5000, 10))
    const b = filled(respondents(5000, 10))
    expect(a.reservoirCount()).toBe(2000)
    const sa = a.snapshot()
    expect(sa.sv?.lower).not.toBeNull()
    expect(sa.sv!.lower!).toBeLessThanOrEqual(sa.sv!.upper!)
    expect(b.snapshot().sv).toEqual(sa.sv)
  })
})

describe("a model that answers the same to everything (issue 21 item 15)", () => {
  it("the snapshot names the values without variance and the S_V line says so instead of 'not available yet'", async () => {
    const { svLine } = await import("../../src/ui/components/StatsPanel.js")
    const text = (s: ReturnType<ReturnType<typeof makeLiveStats>["snapshot"]>) => svLine(s).map((x) => x.text).join("")
    const same = filled(Array.from({ length: 40 }, () => new Float64Array(p)))
    const s = same.snapshot()
    expect(s.sv).toBeNull()
    expect(s.constantValues).toEqual(labels)
    expect(text(s)).toMatch(/^S_V none: no variance in the answers \(every respondent has the same score on every value\)/)
    // Too few respondents yet: S_V is only not available yet.
    expect(text(filled(Array.from({ length: 5 }, () => new Float64Array(p))).snapshot())).toMatch(/not available yet/)
    // Answers that vary: no such word.
    expect(filled(respondents(60, 3)).snapshot().constantValues).toBeUndefined()
  })
})

describe("the dashboard's S_V line (issue 21 item 16)", () => {
  it("an S_V outside its CI carries a word", async () => {
    const { svLine } = await import("../../src/ui/components/StatsPanel.js")
    const s = filled(respondents(60, 3)).snapshot()
    const text = (sv: { value: number; lower: number; upper: number }) => svLine({ ...s, sv: { title: "H", ...sv } }).map((x) => x.text).join("")
    expect(text({ value: 0.434, lower: 0.058, upper: 0.407 })).toMatch(/^S_V 0\.43 \[0\.06, 0\.41\] outside its CI: small or structureless sample vs H/)
    expect(text({ value: 0.3, lower: 0.058, upper: 0.407 })).not.toMatch(/outside/)
  })
})
