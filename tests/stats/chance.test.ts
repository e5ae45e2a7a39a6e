import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { acrossSeeds, bootstrapSize, ceilingPosition, permutationNull, sbPermutationNull } from "../../src/stats/chance.js"
import { behaviourSimilarity } from "../../src/stats/similarity.js"

/** tests/fixtures/chance-reference.json: NumPy/SciPy values (tests/fixtures/make_chance_reference.py). */
const ref = JSON.parse(readFileSync(new URL("../fixtures/chance-reference.json", import.meta.url), "utf8"), (_k, v: unknown) => (v === null ? NaN : v)) as any

/** A `shuffle` that hands out the given permutations in turn. */
const fixed = (perms: ReadonlyArray<ReadonlyArray<number>>) => {
  let k = 0
  return (idx: Int32Array) => idx.set(perms[k++]!)
}

describe("sbPermutationNull (the chance level of S_B)", () => {
  it("matches NumPy/SciPy on the same permutations of the value rows", () => {
    const s = ref.sbNull
    expect(behaviourSimilarity(s.human, s.model)).toBeCloseTo(s.observed, 12)
    const r = sbPermutationNull(s.human, s.model, s.observed, s.permutations.length, fixed(s.permutations))
    expect(r.permutations).toBe(25)
    expect(Math.abs(r.mean - s.mean)).toBeLessThan(1e-12)
    expect(Math.abs(r.q95 - s.q95)).toBeLessThan(1e-12)
    expect(r.p).toBeCloseTo(s.p, 15)
  })

  it("counts an undefined permuted statistic as below the observed one and leaves it out of the mean", () => {
    let k = 0
    const r = permutationNull(3, 0.5, 4, () => undefined, () => [NaN, 0.2, 0.6, 0.4][k++]!)
    expect(r.mean).toBeCloseTo(0.4, 15)
    expect(r.p).toBeCloseTo(2 / 5, 15)
    expect(() => permutationNull(3, 0.5, 0, () => undefined, () => 0)).toThrow(RangeError)
  })
})

describe("ceilingPosition, bootstrapSize, acrossSeeds", () => {
  it("places a score between chance (0) and the human ceiling (1)", () => {
    expect(ceilingPosition(0.6, 0.2, 0.9)).toBeCloseTo(0.4 / 0.7, 15)
    expect(ceilingPosition(0.2, 0.2, 0.9)).toBe(0)
    expect(ceilingPosition(0.95, 0.2, 0.9)!).toBeGreaterThan(1)
    expect(ceilingPosition(0.5, 0.9, 0.8)).toBeNull()
    expect(ceilingPosition(null, 0.2, 0.9)).toBeNull()
  })

  it("resamples a small sample at its own size unless the paper's fixed size is asked for", () => {
    expect(bootstrapSize(200, 500, "own")).toBe(200)
    expect(bootstrapSize(200, 500, "paper")).toBe(500)
    expect(bootstrapSize(1441, 500, "own")).toBe(500)
  })

  it("summarises replicates as NumPy does (mean, sd ddof=1, min, max), leaving missing values out", () => {
    const s = ref.seeds
    const r = acrossSeeds(s.xs.map((x: number) => (Number.isNaN(x) ? null : x)))
    expect(r.n).toBe(s.n)
    expect(r.mean!).toBeCloseTo(s.mean, 14)
    expect(r.sd!).toBeCloseTo(s.sd, 14)
    expect(r.min).toBe(s.min)
    expect(r.max).toBe(s.max)
    expect(acrossSeeds([0.5])).toEqual({ mean: 0.5, sd: null, min: 0.5, max: 0.5, n: 1 })
    expect(acrossSeeds([null])).toEqual({ mean: null, sd: null, min: null, max: null, n: 0 })
  })
})
