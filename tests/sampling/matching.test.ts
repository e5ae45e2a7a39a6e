import { describe, expect, it } from "@effect/vitest"
import { matchGroups } from "../../src/sampling/matching.js"
import { stream } from "../../src/sampling/rng.js"

const ids = (n: number): Array<number> => Array.from({ length: n }, (_, i) => 100 + i)

describe("matchGroups", () => {
  it("matches the hand-worked shuffle", () => {
    // rng ≡ 0: Fisher–Yates swaps i with 0 for i = 4…1, giving [2, 3, 4, 5, 1]
    expect(matchGroups([1, 2, 3, 4, 5], 2, () => 0)).toEqual({ groups: [[2, 3], [4, 5]], unmatched: [1] })
  })

  it("gives the same groups for the same seed", () => {
    const a = matchGroups(ids(20), 4, stream(7, "test"))
    const b = matchGroups(ids(20), 4, stream(7, "test"))
    expect(a).toEqual(b)
  })

  it("puts every agent exactly once in a group or unmatched, remainder unmatched", () => {
    for (const [n, size] of [
      [10, 2],
      [11, 2],
      [23, 4],
      [3, 4],
      [0, 2],
      [8, 1]
    ] as const) {
      const { groups, unmatched } = matchGroups(ids(n), size, stream(1, "test", n, size))
      expect(groups).toHaveLength(Math.floor(n / size))
      for (const g of groups) expect(g).toHaveLength(size)
      expect(unmatched).toHaveLength(n % size)
      expect([...groups.flat(), ...unmatched].sort((x, y) => x - y)).toEqual(ids(n))
    }
  })

  it("gives different groups for different seeds", () => {
    const a = matchGroups(ids(30), 2, stream(1, "test"))
    const b = matchGroups(ids(30), 2, stream(2, "test"))
    expect(a.groups).not.toEqual(b.groups)
  })

  it("does not mutate its input", () => {
    const input = ids(9)
    const copy = [...input]
    matchGroups(input, 3, stream(3, "test"))
    expect(input).toEqual(copy)
  })

  it("throws on a bad group size or repeated ids", () => {
    expect(() => matchGroups(ids(4), 0, stream(1, "test"))).toThrow(RangeError)
    expect(() => matchGroups(ids(4), 1.5, stream(1, "test"))).toThrow(RangeError)
    expect(() => matchGroups([1, 2, 2, 3], 2, stream(1, "test"))).toThrow(RangeError)
  })
})
