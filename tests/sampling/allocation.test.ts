import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { assignConditions, largestRemainder, multinomialCounts } from "../../src/sampling/allocation.js"
import { strategyWeights } from "../../src/sampling/population.js"
import { stream } from "../../src/sampling/rng.js"

const sum = (xs: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i]!
  return s
}

describe("largestRemainder", () => {
  it("gives the hand-computed counts", () => {
    // quotas 3.5, 2.1, 1.4 → floors 3, 2, 1; the one left over goes to the largest fraction (0.5)
    expect(largestRemainder([0.5, 0.3, 0.2], 7)).toEqual([4, 2, 1])
    expect(largestRemainder([1, 1, 1], 10)).toEqual([4, 3, 3]) // equal fractions: lower index first
    expect(largestRemainder([1, 1, 1], 2)).toEqual([1, 1, 0])
    expect(largestRemainder([2, 0, 1], 3)).toEqual([2, 0, 1])
    expect(largestRemainder([0.25, 0.75], 0)).toEqual([0, 0])
  })

  it("is exact when the quotas are integers despite floating-point weights", () => {
    expect(largestRemainder(new Array<number>(10).fill(0.1), 10)).toEqual(new Array<number>(10).fill(1))
    expect(largestRemainder(new Array<number>(10).fill(0.1), 1000)).toEqual(new Array<number>(10).fill(100))
  })

  it("allocates an ESS-like h-np population of 1000 agents", () => {
    // Illustrative shares shaped like a European country's (large no-dominant class, SD/BE/UN common, PO/TR rare);
    // they are NOT published figures. Quotas ×1000: 123.4 21.3 51.7 34.2 11.8 60.5 13.1 9.7 105.6 141.2 427.5;
    // floors sum to 995; the 5 left over go to fractions .8 (PO), .7 (HE), .7 (TR), .6 (BE), then the .5 tie
    // between SE (index 5) and none (index 10) goes to SE, the lower index.
    const weights = strategyWeights("h-np", {
      shares: {
        SD: 0.1234, ST: 0.0213, HE: 0.0517, AC: 0.0342, PO: 0.0118,
        SE: 0.0605, CO: 0.0131, TR: 0.0097, BE: 0.1056, UN: 0.1412
      },
      noDominant: 0.4275
    }).map((w) => w.weight)
    expect(largestRemainder(weights, 1000)).toEqual([123, 21, 52, 34, 12, 61, 13, 10, 106, 141, 427])
  })

  it.prop(
    "sums to n and stays within 1 of each quota",
    [
      FastCheck.array(FastCheck.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 12 }),
      FastCheck.nat(5000)
    ],
    ([weights, n]) => {
      FastCheck.pre(sum(weights) > 0)
      const counts = largestRemainder(weights, n)
      expect(sum(counts)).toBe(n)
      const total = sum(weights)
      counts.forEach((c, i) => {
        expect(Number.isInteger(c)).toBe(true)
        expect(Math.abs(c - (n * weights[i]!) / total)).toBeLessThan(1 + 1e-9)
      })
    }
  )

  it("does not mutate its input", () => {
    const w = [0.5, 0.3, 0.2]
    largestRemainder(w, 7)
    expect(w).toEqual([0.5, 0.3, 0.2])
  })

  it("rejects bad weights and n", () => {
    expect(() => largestRemainder([], 3)).toThrow(RangeError)
    expect(() => largestRemainder([0, 0], 3)).toThrow(/positive/)
    expect(() => largestRemainder([1, -1, 1], 3)).toThrow(RangeError)
    expect(() => largestRemainder([1, NaN], 3)).toThrow(RangeError)
    expect(() => largestRemainder([1, 1], 2.5)).toThrow(RangeError)
    expect(() => largestRemainder([1, 1], -1)).toThrow(RangeError)
  })
})

describe("multinomialCounts", () => {
  it("sums to n, never picks a zero weight, and is seeded", () => {
    const a = multinomialCounts([1, 0, 3, 6], 10_000, stream(1, "multinomial"))
    expect(sum(a)).toBe(10_000)
    expect(a[1]).toBe(0)
    expect(Math.abs(a[3]! / 10_000 - 0.6)).toBeLessThan(0.03)
    expect(multinomialCounts([1, 0, 3, 6], 10_000, stream(1, "multinomial"))).toEqual(a)
    expect(multinomialCounts([1, 0, 3, 6], 10_000, stream(2, "multinomial"))).not.toEqual(a)
  })

  it("rejects bad weights", () => {
    expect(() => multinomialCounts([0], 5, () => 0.5)).toThrow(RangeError)
  })
})

describe("assignConditions", () => {
  const counts = [123, 21, 52, 34, 12, 61, 13, 10, 106, 141, 427]

  it("has exactly the counts", () => {
    const a = assignConditions(counts, stream(9, "assign"))
    expect(a).toBeInstanceOf(Uint16Array)
    expect(a.length).toBe(1000)
    const seen = new Array<number>(counts.length).fill(0)
    for (const c of a) seen[c]! += 1
    expect(seen).toEqual(counts)
  })

  it("is the same for the same seed and different for another", () => {
    const a = assignConditions(counts, stream(9, "assign"))
    expect(assignConditions(counts, stream(9, "assign"))).toEqual(a)
    expect(assignConditions(counts, stream(10, "assign"))).not.toEqual(a)
  })

  it("interleaves conditions across agent ids", () => {
    const a = assignConditions([500, 500], stream(9, "interleave"))
    // Blocks would put all of condition 0 first; a shuffle leaves about half of the first 100 in each.
    const firstHundred = sum(a.subarray(0, 100))
    expect(firstHundred).toBeGreaterThan(30)
    expect(firstHundred).toBeLessThan(70)
  })

  it("handles empty conditions and rejects bad counts", () => {
    expect(assignConditions([0, 3, 0], () => 0.5)).toEqual(Uint16Array.of(1, 1, 1))
    expect(assignConditions([], () => 0.5).length).toBe(0)
    expect(() => assignConditions([1, -1], () => 0.5)).toThrow(RangeError)
    expect(() => assignConditions([1.5], () => 0.5)).toThrow(RangeError)
  })
})
