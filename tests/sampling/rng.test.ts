import { describe, expect, it } from "@effect/vitest"
import { categorical, shuffleInPlace, standardNormal, stream } from "../../src/sampling/rng.js"

const take = (rng: () => number, n: number): Array<number> => Array.from({ length: n }, () => rng())

describe("stream", () => {
  it("is reproducible for the same seed and purpose", () => {
    expect(take(stream(42, "agent", 7, "profile"), 5)).toEqual(take(stream(42, "agent", 7, "profile"), 5))
  })

  it("differs between purposes and between seeds", () => {
    const base = take(stream(42, "agent", 7, "profile"), 5)
    expect(take(stream(42, "agent", 8, "profile"), 5)).not.toEqual(base)
    expect(take(stream(42, "agent", 7, "answers"), 5)).not.toEqual(base)
    expect(take(stream(43, "agent", 7, "profile"), 5)).not.toEqual(base)
  })

  it("yields numbers in [0, 1)", () => {
    const us = take(stream(1, "range"), 10_000)
    expect(Math.min(...us)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...us)).toBeLessThan(1)
  })

  it("rejects a non-finite seed", () => {
    expect(() => stream(NaN, "x")).toThrow(RangeError)
  })
})

describe("categorical", () => {
  it("matches the probabilities over 100k draws", () => {
    const probs = [0.1, 0.25, 0, 0.4, 0.25]
    const rng = stream(7, "categorical")
    const counts = new Array<number>(probs.length).fill(0)
    const n = 100_000
    for (let i = 0; i < n; i++) {
      const c = categorical(probs, rng)
      counts[c] = (counts[c] ?? 0) + 1
    }
    probs.forEach((p, i) => expect(Math.abs((counts[i] ?? 0) / n - p)).toBeLessThan(0.01))
    expect(counts[2]).toBe(0)
  })

  it("accepts probabilities that do not sum exactly to 1", () => {
    const rng = stream(7, "unnormalised")
    const counts = [0, 0]
    for (let i = 0; i < 20_000; i++) counts[categorical([2, 6], rng)]! += 1
    expect(counts[1]! / 20_000).toBeCloseTo(0.75, 1)
    // Rounding just below 1: a draw at the very top still lands on the last drawable category.
    expect(categorical([0.3, 0.3, 0.3999999999, 0], () => 0.9999999999)).toBe(2)
  })

  it("inverts the CDF", () => {
    expect(categorical([0.2, 0.8], () => 0.19)).toBe(0)
    expect(categorical([0.2, 0.8], () => 0.2)).toBe(1)
    expect(categorical([0, 0, 1], () => 0)).toBe(2)
  })

  it("rejects bad probabilities", () => {
    expect(() => categorical([], () => 0.5)).toThrow(RangeError)
    expect(() => categorical([0, 0], () => 0.5)).toThrow(RangeError)
    expect(() => categorical([0.5, -0.1], () => 0.5)).toThrow(RangeError)
    expect(() => categorical([0.5, NaN], () => 0.5)).toThrow(RangeError)
  })
})

describe("standardNormal", () => {
  it("has mean ≈ 0 and sd ≈ 1", () => {
    const rng = stream(3, "normal")
    const n = 50_000
    let s = 0
    let ss = 0
    for (let i = 0; i < n; i++) {
      const z = standardNormal(rng)
      s += z
      ss += z * z
    }
    const m = s / n
    expect(Math.abs(m)).toBeLessThan(0.02)
    expect(Math.abs(Math.sqrt(ss / n - m * m) - 1)).toBeLessThan(0.02)
  })

  it("is finite when the generator returns 0", () => {
    expect(standardNormal(() => 0)).toBeCloseTo(0, 15)
  })
})

describe("shuffleInPlace", () => {
  it("permutes in place and returns the same array", () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    const out = shuffleInPlace(a, stream(1, "shuffle"))
    expect(out).toBe(a)
    expect([...a].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it("follows Fisher–Yates for a fixed sequence", () => {
    expect(shuffleInPlace([1, 2, 3], () => 0)).toEqual([2, 3, 1])
    expect(shuffleInPlace([1, 2, 3], () => 0.999)).toEqual([1, 2, 3])
  })

  it("works on typed arrays and is seeded", () => {
    const a = shuffleInPlace(Uint16Array.from({ length: 50 }, (_, i) => i), stream(5, "s"))
    const b = shuffleInPlace(Uint16Array.from({ length: 50 }, (_, i) => i), stream(5, "s"))
    const c = shuffleInPlace(Uint16Array.from({ length: 50 }, (_, i) => i), stream(6, "s"))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
  })

  it("makes every permutation of 3 about equally likely", () => {
    const rng = stream(11, "perm")
    const seen = new Map<string, number>()
    for (let i = 0; i < 60_000; i++) {
      const key = shuffleInPlace([0, 1, 2], rng).join("")
      seen.set(key, (seen.get(key) ?? 0) + 1)
    }
    expect(seen.size).toBe(6)
    for (const count of seen.values()) expect(Math.abs(count / 60_000 - 1 / 6)).toBeLessThan(0.01)
  })
})
