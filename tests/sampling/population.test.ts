import { describe, expect, it } from "@effect/vitest"
import { VALUES_10 } from "../../src/domain/values.js"
import type { DominantShares } from "../../src/sampling/population.js"
import { strategyWeights } from "../../src/sampling/population.js"

// Illustrative shares (not published figures): the ten value shares sum to 0.55, no-dominant 0.45.
const shares: DominantShares = {
  shares: { SD: 0.12, ST: 0.02, HE: 0.05, AC: 0.03, PO: 0.01, SE: 0.06, CO: 0.01, TR: 0.01, BE: 0.1, UN: 0.14 },
  noDominant: 0.45
}

const total = (ws: ReadonlyArray<{ weight: number }>): number => ws.reduce((a, w) => a + w.weight, 0)
const circleConditions = VALUES_10.map((v) => `value:${v}`)

describe("strategyWeights", () => {
  it("uniform: 0.1 for each value in circle order, no shares needed", () => {
    const ws = strategyWeights("uniform")
    expect(ws.map((w) => w.condition)).toEqual(circleConditions)
    for (const w of ws) expect(w.weight).toBeCloseTo(0.1, 15)
    expect(total(ws)).toBeCloseTo(1, 12)
  })

  it("h-norm: drops the no-dominant class and renormalises", () => {
    const ws = strategyWeights("h-norm", shares)
    expect(ws.map((w) => w.condition)).toEqual(circleConditions)
    expect(total(ws)).toBeCloseTo(1, 12)
    expect(ws[0]!.weight).toBeCloseTo(0.12 / 0.55, 12)
    expect(ws[9]!.weight).toBeCloseTo(0.14 / 0.55, 12)
  })

  it("h-even: spreads the no-dominant share evenly over the ten values", () => {
    const ws = strategyWeights("h-even", shares)
    expect(ws.map((w) => w.condition)).toEqual(circleConditions)
    expect(total(ws)).toBeCloseTo(1, 12)
    expect(ws[0]!.weight).toBeCloseTo(0.12 + 0.045, 12)
    expect(ws[4]!.weight).toBeCloseTo(0.01 + 0.045, 12)
  })

  it("h-np: keeps the ten shares and adds `none` with the no-dominant share", () => {
    const ws = strategyWeights("h-np", shares)
    expect(ws.map((w) => w.condition)).toEqual([...circleConditions, "none"])
    expect(total(ws)).toBeCloseTo(1, 12)
    expect(ws[10]).toEqual({ condition: "none", weight: expect.closeTo(0.45, 12) as number })
    expect(ws[8]!.weight).toBeCloseTo(0.1, 12)
  })

  it("normalises shares that do not sum to exactly 1", () => {
    const percent: DominantShares = {
      shares: { SD: 12, ST: 2, HE: 5, AC: 3, PO: 1, SE: 6, CO: 1, TR: 1, BE: 10, UN: 14 },
      noDominant: 46 // sums to 101, as rounded published percentages can
    }
    const ws = strategyWeights("h-np", percent)
    expect(total(ws)).toBeCloseTo(1, 12)
    expect(ws[10]!.weight).toBeCloseTo(46 / 101, 12)
  })

  it("throws a clear error when shares are missing or invalid", () => {
    expect(() => strategyWeights("h-np")).toThrow(/h-np.*needs human dominant-value shares/)
    expect(() => strategyWeights("h-norm", { ...shares, noDominant: -0.1 })).toThrow(/noDominant/)
    const nan: DominantShares = { shares: { ...shares.shares, BE: NaN }, noDominant: 0.45 }
    expect(() => strategyWeights("h-even", nan)).toThrow(/shares\.BE/)
    const missing = { shares: { SD: 0.5 }, noDominant: 0.5 } as unknown as DominantShares
    expect(() => strategyWeights("h-np", missing)).toThrow(/shares\.ST/)
    const zero: DominantShares = {
      shares: { SD: 0, ST: 0, HE: 0, AC: 0, PO: 0, SE: 0, CO: 0, TR: 0, BE: 0, UN: 0 },
      noDominant: 1
    }
    expect(() => strategyWeights("h-norm", zero)).toThrow(/sum to zero/)
    expect(() => strategyWeights("model-specific" as never)).toThrow(/unknown composition strategy/)
  })

  it("does not mutate the shares", () => {
    const copy = structuredClone(shares)
    strategyWeights("h-even", shares)
    expect(shares).toEqual(copy)
  })
})
