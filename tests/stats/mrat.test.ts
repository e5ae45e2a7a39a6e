import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { respondentScorer, scoreRespondent } from "../../src/stats/mrat.js"

const keysOf = (subscales: number, perSubscale: number, reverseEvery = 0) =>
  Array.from({ length: subscales * perSubscale }, (_, i) => ({
    subscale: Math.floor(i / perSubscale),
    reverse: reverseEvery > 0 && i % reverseEvery === reverseEvery - 1
  }))

describe("scoreRespondent", () => {
  it("computes raw, MRAT and centred scores by hand", () => {
    // Subscale 0: 2, 4 → 3; subscale 1: 5, 6 → 5.5; subscale 2: 1, 3 → 2; MRAT = 21/6 = 3.5.
    const s = scoreRespondent([2, 4, 5, 6, 1, 3], keysOf(3, 2), 3, 1, 6)
    expect(Array.from(s.raw)).toEqual([3, 5.5, 2])
    expect(s.mrat).toBe(3.5)
    expect(Array.from(s.centered)).toEqual([-0.5, 2, -1.5])
  })

  it("reverse-keys answers as min + max − x", () => {
    const keys = [{ subscale: 0, reverse: false }, { subscale: 0, reverse: true }, { subscale: 1, reverse: false }]
    const s = scoreRespondent([6, 1, 4], keys, 2, 1, 6)
    expect(Array.from(s.raw)).toEqual([6, 4])
    expect(s.mrat).toBeCloseTo(16 / 3, 14)
    // On a 0…10 scale a reverse-keyed 3 scores 7.
    expect(scoreRespondent([3], [{ subscale: 0, reverse: true }], 1, 0, 10).raw[0]).toBe(7)
  })

  it("skips missing answers (null or NaN) in subscale means and the MRAT", () => {
    const s = scoreRespondent([6, null, 4, NaN, 2, 2], keysOf(3, 2), 3, 1, 6)
    expect(Array.from(s.raw)).toEqual([6, 4, 2])
    expect(s.mrat).toBe(14 / 4)
    const none = scoreRespondent([null, null, 3, 5], keysOf(2, 2), 2, 1, 6)
    expect(none.raw[0]).toBeNaN()
    expect(none.centered[0]).toBeNaN()
    expect(none.mrat).toBe(4)
    expect(none.centered[1]).toBe(0)
    const empty = scoreRespondent([null, null], keysOf(2, 1), 2, 1, 6)
    expect(empty.mrat).toBeNaN()
    expect(Number.isNaN(empty.centered[1]!)).toBe(true)
  })

  it.prop(
    "centred scores sum to 0 when subscales have equal item counts",
    [FastCheck.array(FastCheck.integer({ min: 1, max: 6 }), { minLength: 40, maxLength: 40 })],
    ([answers]) => {
      const { centered } = scoreRespondent(answers, keysOf(10, 4, 3), 10, 1, 6)
      let total = 0
      for (const c of centered) total += c
      expect(Math.abs(total)).toBeLessThan(1e-12)
    }
  )

  it("does not mutate its inputs", () => {
    const answers = [1, 2, null, 4]
    const keys = keysOf(2, 2, 2)
    const keysCopy = structuredClone(keys)
    scoreRespondent(answers, keys, 2, 1, 6)
    expect(answers).toEqual([1, 2, null, 4])
    expect(keys).toEqual(keysCopy)
  })

  it("rejects violated preconditions", () => {
    expect(() => scoreRespondent([1, 2], keysOf(1, 1), 1, 1, 6)).toThrow(/answers but/)
    expect(() => scoreRespondent([7], keysOf(1, 1), 1, 1, 6)).toThrow(/outside the scale/)
    expect(() => scoreRespondent([1], [{ subscale: 2, reverse: false }], 2, 1, 6)).toThrow(/subscale/)
    expect(() => scoreRespondent([1], keysOf(1, 1), 1, 6, 1)).toThrow(RangeError)
  })
})

describe("respondentScorer", () => {
  it("scores rows of a flat array exactly as scoreRespondent does, missing answers included", () => {
    const keys = [
      { subscale: 0, reverse: false }, { subscale: 0, reverse: true },
      { subscale: 1, reverse: false }, { subscale: 1, reverse: false }, { subscale: 2, reverse: false }
    ]
    const rows: Array<Array<number | null>> = [[6, 1, 4, null, 2], [null, null, null, null, null], [1, 2, 3, 4, 5], [3, null, null, null, 6]]
    const flat = Float64Array.from(rows.flat(), (x) => (x === null ? NaN : x))
    const raw = [0, 1, 2].map(() => new Float64Array(rows.length))
    const centered = [0, 1, 2].map(() => new Float64Array(rows.length))
    const score = respondentScorer(keys, 3, 1, 6)
    rows.forEach((row, r) => {
      const mrat = score(flat, r * 5, raw, centered, r)
      const want = scoreRespondent(row, keys, 3, 1, 6)
      expect(Object.is(mrat, want.mrat) || mrat === want.mrat).toBe(true)
      for (let s = 0; s < 3; s++) {
        expect(raw[s]![r]).toStrictEqual(want.raw[s])
        expect(centered[s]![r]).toStrictEqual(want.centered[s])
      }
    })
  })

  it("refuses an answer outside the scale", () => {
    const score = respondentScorer([{ subscale: 0, reverse: false }], 1, 1, 6)
    expect(() => score([7], 0, [new Float64Array(1)], [new Float64Array(1)], 0)).toThrow(RangeError)
  })
})
