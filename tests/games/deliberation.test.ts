import { describe, expect, it } from "@effect/vitest"
import type { GameMachine, Move } from "../../src/domain/games.js"
import { DELIBERATION_DEFAULTS, GAME_DEFAULTS, gameParamProblems, makeGame } from "../../src/games/index.js"
import { sampleOf } from "../../src/games/deliberation.js"

const SCALE = ["Strongly oppose", "Somewhat oppose", "Neither support nor oppose", "Somewhat support", "Strongly support"]

const answer = (vs: ReadonlyArray<number | null>): Array<Move> =>
  vs.map((value, member) => ({ member, decision: "position", value }))

const playRounds = (m: GameMachine<unknown>, rounds: ReadonlyArray<ReadonlyArray<number | null>>) => {
  let s = m.init()
  for (const vs of rounds) s = m.apply(s, answer(vs))
  return s
}

const R1 = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
const R2 = [2, 2, 3, 4, 4, 1, 3, 3, 4, 5]
const R3 = [2, 3, 3, 4, 4, 2, 3, 3, 4, 4]

describe("deliberation", () => {
  const m = makeGame("deliberation", {})

  it("has documented defaults", () => {
    expect(DELIBERATION_DEFAULTS).toEqual({ group_size: 10, rounds: 3, sample_size: 3, options: SCALE, influence: 1 })
    expect(GAME_DEFAULTS.deliberation).toBe(DELIBERATION_DEFAULTS)
    expect(gameParamProblems("deliberation", {})).toEqual([])
    expect(gameParamProblems("deliberation", { group_size: 2, sample_size: 1, rounds: 1, options: ["no", "yes"] })).toEqual([])
  })

  it("reports parameter problems as field: message", () => {
    const problems = (params: Record<string, unknown>) => gameParamProblems("deliberation", params)
    expect(problems({ group_size: 1 })).toEqual([expect.stringMatching(/^group_size: must be a whole number from 2/)])
    expect(problems({ rounds: 0 })).toEqual([expect.stringMatching(/^rounds: /)])
    expect(problems({ sample_size: -1 })).toEqual([expect.stringMatching(/^sample_size: /)])
    expect(problems({ sample_size: 10 })).toEqual([expect.stringMatching(/^sample_size: must be less than group_size \(10\)/)])
    expect(problems({ group_size: 4, sample_size: 3 })).toEqual([])
    expect(problems({ options: ["only"] })).toEqual([expect.stringMatching(/^options: must have at least 2 labels/)])
    expect(problems({ options: ["a", "a"] })).toEqual([expect.stringMatching(/^options: label "a" appears more than once/)])
    expect(problems({ options: "a, b" })).toEqual([expect.stringMatching(/^options: must be a list/)])
    expect(problems({ influence: "strong" })).toEqual([expect.stringMatching(/^influence: must be a number/)])
    expect(problems({ sample: 3 })).toEqual([expect.stringMatching(/^sample: unknown parameter/)])
    expect(() => makeGame("deliberation", { sample_size: 12 })).toThrow(RangeError)
  })

  it("asks every member 'position' each round, with own_previous from round 2", () => {
    expect(m.groupSize).toBe(10)
    let s = m.init()
    const first = m.next(s)
    expect(first).toHaveLength(10)
    expect(first.map((r) => [r.member, r.decision, r.role, r.round, r.theoryShift])).toEqual(
      R1.map((_, i) => [i, "position", "participant", 1, 0])
    )
    expect(first[0]!.options).toEqual(SCALE.map((label, i) => ({ value: i + 1, label })))
    expect(first[0]!.facts).toEqual({ round: 1, rounds: 3 })
    s = m.apply(s, answer(R1))
    const second = m.next(s)
    expect(second.every((r) => r.round === 2 && r.decision === "position")).toBe(true)
    expect(second[0]!.facts).toEqual({ round: 2, rounds: 3, own_previous: "Strongly oppose" })
    expect(second[4]!.facts).toEqual({ round: 2, rounds: 3, own_previous: "Strongly support" })
    s = m.apply(s, answer(R2))
    expect(m.next(s)[1]!.facts).toEqual({ round: 3, rounds: 3, own_previous: "Somewhat oppose" })
    s = m.apply(s, answer(R3))
    expect(m.next(s)).toEqual([])
    const out = m.outcome(s)
    expect(out.status).toBe("complete")
    expect(out.rounds.map((r) => r.payoffs)).toEqual([R1, R2, R3].map(() => new Array(10).fill(0)))
    expect(out.payoffs).toEqual(new Array(10).fill(0))
  })

  it("shows each member the labels and mean of sample_size others' previous answers", () => {
    const s = m.apply(m.init(), answer(R1))
    // After round 1, member i sees i+1, i+2, i+3 (mod 10).
    expect(m.feedback(s, 0)).toEqual({
      round: 1,
      sample: "Somewhat oppose; Neither support nor oppose; Somewhat support",
      sample_mean: 3
    })
    expect(m.feedback(s, 9)).toEqual({
      round: 1,
      sample: "Strongly oppose; Somewhat oppose; Neither support nor oppose",
      sample_mean: 2
    })
    // Member 3 sees members 4, 5, 6: 5, 1, 2 → mean 2.67.
    expect(m.feedback(s, 3)).toEqual({ round: 1, sample: "Strongly support; Strongly oppose; Somewhat oppose", sample_mean: 2.67 })
    // After round 2, the rotation moves on by 3: member 0 sees 4, 5, 6 (4, 1, 3 in R2).
    const s2 = m.apply(s, answer(R2))
    expect(m.feedback(s2, 0)).toEqual({
      round: 2,
      sample: "Somewhat support; Strongly oppose; Neither support nor oppose",
      sample_mean: 2.67
    })
  })

  it("a member never sees itself and sees exactly sample_size distinct others; samples change by round", () => {
    for (const [n, k] of [[10, 3], [10, 9], [4, 3], [2, 1], [7, 4], [5, 0]] as const) {
      for (let r = 1; r <= 6; r++) {
        for (let i = 0; i < n; i++) {
          const sample = sampleOf(n, k, r, i)
          expect(sample).toHaveLength(k)
          expect(new Set(sample).size).toBe(k)
          expect(sample).not.toContain(i)
          expect(sample.every((j) => Number.isInteger(j) && j >= 0 && j < n)).toBe(true)
        }
      }
    }
    expect(sampleOf(10, 3, 1, 0)).toEqual([1, 2, 3])
    expect(sampleOf(10, 3, 2, 0)).toEqual([4, 5, 6])
    expect(sampleOf(10, 3, 3, 0)).toEqual([7, 8, 9])
    expect(sampleOf(10, 3, 4, 0)).toEqual([1, 2, 3])
    expect(sampleOf(10, 3, 2, 8)).toEqual([2, 3, 4])
    expect(sampleOf(7, 4, 2, 3)).toEqual([1, 2, 4, 5])
    // Through the machine: one answer per member equal to its index + 1 identifies who was shown.
    const g = makeGame("deliberation", { group_size: 7, sample_size: 2, rounds: 4, options: ["1", "2", "3", "4", "5", "6", "7"] })
    const ids = [1, 2, 3, 4, 5, 6, 7]
    let s = g.init()
    const seen: Array<Array<string>> = []
    for (let r = 1; r <= 3; r++) {
      s = g.apply(s, answer(ids))
      seen.push([])
      for (let i = 0; i < 7; i++) {
        const fb = g.feedback(s, i)!
        const shown = String(fb.sample).split("; ").map(Number)
        expect(shown).toHaveLength(2)
        expect(new Set(shown).size).toBe(2)
        expect(shown).not.toContain(i + 1)
        expect(fb.sample_mean).toBe(Math.round(((shown[0]! + shown[1]!) / 2) * 100) / 100)
        seen[r - 1]!.push(String(fb.sample))
      }
    }
    for (let i = 0; i < 7; i++) {
      expect(seen[0]![i]).not.toBe(seen[1]![i])
      expect(seen[1]![i]).not.toBe(seen[2]![i])
    }
  })

  it("theoryShift = influence × (sample mean − own previous) / (k − 1) × 2 from round 2", () => {
    const s = m.apply(m.init(), answer(R1))
    const shifts = m.next(s).map((r) => r.theoryShift)
    expect(shifts[0]).toBeCloseTo(((3 - 1) / 4) * 2, 12) // sees 2, 3, 4
    expect(shifts[9]).toBeCloseTo(((2 - 5) / 4) * 2, 12) // sees 1, 2, 3
    expect(shifts[3]).toBeCloseTo(((8 / 3 - 4) / 4) * 2, 12) // sees 5, 1, 2
    expect(shifts[4]).toBeCloseTo(((2 - 5) / 4) * 2, 12) // sees 1, 2, 3
    const s2 = m.apply(s, answer(R2))
    expect(m.next(s2)[0]!.theoryShift).toBeCloseTo(((8 / 3 - 2) / 4) * 2, 12) // sees 4, 1, 3; own 2
    const strong = makeGame("deliberation", { influence: 2.5, options: ["no", "yes"], group_size: 3, sample_size: 2 })
    const t = strong.apply(strong.init(), answer([1, 2, 2]))
    expect(strong.next(t).map((r) => r.theoryShift)).toEqual([5, -2.5, -2.5])
    const none = makeGame("deliberation", { sample_size: 0 })
    const u = none.apply(none.init(), answer(R1))
    expect(none.next(u).every((r) => r.theoryShift === 0)).toBe(true)
    expect(none.feedback(u, 0)).toEqual({ round: 1, sample: "none", sample_mean: "n/a" })
  })

  it("gives no feedback after the last round", () => {
    const s = playRounds(m, [R1, R2, R3])
    for (let i = 0; i < 10; i++) expect(m.feedback(s, i)).toBeNull()
  })

  it("details: first, last and whether the answer changed", () => {
    const out = m.outcome(playRounds(m, [R1, R2, R3]))
    expect(out.details).toEqual(R1.map((first, i) => ({ first, last: R3[i], changed: first === R3[i] ? 0 : 1 })))
    expect(out.details[0]).toEqual({ first: 1, last: 2, changed: 1 })
    expect(out.details[2]).toEqual({ first: 3, last: 3, changed: 0 })
    // Changed and changed back counts as unchanged: first and last are compared.
    expect(m.outcome(playRounds(m, [R1, R2, R1])).details[0]).toEqual({ first: 1, last: 1, changed: 0 })
  })

  it("a missing answer voids the match from its round; earlier rounds stand", () => {
    const s = playRounds(m, [R1, [2, 2, 3, 4, null, 1, 3, 3, 4, 5]])
    expect(m.next(s)).toEqual([])
    for (let i = 0; i < 10; i++) expect(m.feedback(s, i)).toBeNull()
    const out = m.outcome(s)
    expect(out.status).toBe("void")
    expect(out.voidedInRound).toBe(2)
    expect(out.rounds[1]!.payoffs).toEqual(new Array(10).fill(null))
    expect(out.payoffs).toEqual(new Array(10).fill(0))
    expect(out.details[0]).toEqual({ first: 1, last: 1, changed: 0 })
    const first = m.outcome(playRounds(m, [[null, 1, 1, 1, 1, 1, 1, 1, 1, 1]]))
    expect(first).toMatchObject({ status: "void", voidedInRound: 1, payoffs: new Array(10).fill(null) })
    expect(first.details[0]).toEqual({ first: null, last: null, changed: null })
  })

  it("rounds = 1 is a single answer without feedback", () => {
    const g = makeGame("deliberation", { rounds: 1 })
    const s = g.apply(g.init(), answer(R1))
    for (let i = 0; i < 10; i++) expect(g.feedback(s, i)).toBeNull()
    expect(g.next(s)).toEqual([])
    expect(g.outcome(s).details[4]).toEqual({ first: 5, last: 5, changed: 0 })
  })

  it("throws on a value outside the scale", () => {
    expect(() => m.apply(m.init(), answer([0, 1, 1, 1, 1, 1, 1, 1, 1, 1]))).toThrow(RangeError)
    expect(() => m.apply(m.init(), answer([6, 1, 1, 1, 1, 1, 1, 1, 1, 1]))).toThrow(RangeError)
  })
})
