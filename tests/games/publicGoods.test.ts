import { describe, expect, it } from "@effect/vitest"
import type { GameMachine, Move } from "../../src/domain/games.js"
import { makeGame } from "../../src/games/index.js"

const contribute = (cs: ReadonlyArray<number | null>): Array<Move> =>
  cs.map((value, member) => ({ member, decision: "contribute", value }))

// Hand-computed with E = 20, multiplier 1.6, n = 4: π_i = 20 − c_i + 0.4 · Σc.
const CONTRIBUTIONS = [
  [10, 5, 0, 20], // Σ 35, share 14
  [20, 20, 20, 20], // Σ 80, share 32
  [0, 0, 0, 0],
  [5, 5, 5, 5], // Σ 20, share 8
  [20, 0, 0, 0],
  [0, 20, 20, 20], // Σ 60, share 24
  [10, 10, 0, 0],
  [1, 2, 3, 4], // Σ 10, share 4
  [15, 10, 5, 0], // Σ 30, share 12
  [20, 20, 20, 0]
]
const PAYOFFS = [
  [24, 29, 34, 14],
  [32, 32, 32, 32],
  [20, 20, 20, 20],
  [23, 23, 23, 23],
  [8, 28, 28, 28],
  [44, 24, 24, 24],
  [18, 18, 28, 28],
  [23, 22, 21, 20],
  [17, 22, 27, 32],
  [24, 24, 24, 44]
]
const TOTALS = [233, 242, 261, 265]

const playRounds = (m: GameMachine<unknown>, rounds: ReadonlyArray<ReadonlyArray<number | null>>) => {
  let s = m.init()
  for (const cs of rounds) s = m.apply(s, contribute(cs))
  return s
}

describe("public goods game", () => {
  const m = makeGame("public-goods", {})

  it("asks all four members at once each round", () => {
    const due = m.next(m.init())
    expect(m.groupSize).toBe(4)
    expect(due.map((r) => [r.member, r.decision, r.role, r.round, r.theoryShift])).toEqual([
      [0, "contribute", "player", 1, 0],
      [1, "contribute", "player", 1, 0],
      [2, "contribute", "player", 1, 0],
      [3, "contribute", "player", 1, 0]
    ])
    expect(due[0]!.options).toHaveLength(21)
    expect(due[0]!.options[20]).toEqual({ value: 20, label: "contribute 20 of 20" })
    expect(due[0]!.facts).toEqual({ round: 1, rounds: 10, endowment: 20, multiplier: 1.6, group_size: 4 })
  })

  it("plays 10 rounds with the hand-computed payoffs, totals and feedback", () => {
    let s = m.init()
    const running = [0, 0, 0, 0]
    CONTRIBUTIONS.forEach((cs, r) => {
      expect(m.next(s).every((req) => req.round === r + 1)).toBe(true)
      s = m.apply(s, contribute(cs))
      const total = cs.reduce((a, b) => a + b, 0)
      for (let i = 0; i < 4; i++) {
        running[i] = running[i]! + PAYOFFS[r]![i]!
        const others = cs.filter((_, j) => j !== i)
        expect(m.feedback(s, i)).toEqual({
          round: r + 1,
          contributions: `you ${cs[i]}; others ${others.join(", ")}`,
          group_total: total,
          others_mean: Math.round((others.reduce((a, b) => a + b, 0) / 3) * 100) / 100,
          own_contribution: cs[i],
          own_payoff: PAYOFFS[r]![i],
          total_so_far: running[i]
        })
      }
    })
    expect(m.next(s)).toEqual([])
    const out = m.outcome(s)
    expect(out.status).toBe("complete")
    expect(out.voidedInRound).toBeNull()
    expect(out.rounds.map((r) => r.payoffs)).toEqual(PAYOFFS)
    expect(out.rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(out.payoffs).toEqual(TOTALS)
    expect(running).toEqual(TOTALS)
    expect(out.details[0]).toEqual({
      total_contribution: 101,
      mean_contribution: 10.1,
      first_contribution: 10,
      last_contribution: 20
    })
    expect(out.details[3]).toEqual({
      total_contribution: 69,
      mean_contribution: 6.9,
      first_contribution: 20,
      last_contribution: 0
    })
  })

  it("shows round 1's contributions with the member's own first", () => {
    const s = m.apply(m.init(), contribute([10, 5, 0, 20]))
    expect(m.feedback(s, 0)).toMatchObject({ contributions: "you 10; others 5, 0, 20", others_mean: 8.33 })
    expect(m.feedback(s, 2)).toMatchObject({ contributions: "you 0; others 10, 5, 20", others_mean: 11.67 })
    expect(m.feedback(s, 3)).toMatchObject({ contributions: "you 20; others 10, 5, 0", others_mean: 5 })
  })

  it("from round 2, theoryShift = conditional_slope × (previous others' mean / E − 0.5)", () => {
    const s = m.apply(m.init(), contribute([10, 5, 0, 20]))
    const shifts = m.next(s).map((r) => r.theoryShift)
    expect(shifts[0]).toBeCloseTo(2 * (25 / 3 / 20 - 0.5), 12)
    expect(shifts[1]).toBeCloseTo(2 * (10 / 20 - 0.5), 12)
    expect(shifts[2]).toBeCloseTo(2 * (35 / 3 / 20 - 0.5), 12)
    expect(shifts[3]).toBeCloseTo(-0.5, 12)
    const all = makeGame("public-goods", { conditional_slope: 3 })
    const s2 = all.apply(all.init(), contribute([20, 20, 20, 20]))
    expect(all.next(s2).map((r) => r.theoryShift)).toEqual([1.5, 1.5, 1.5, 1.5])
  })

  it("pays fractional shares exactly (no floating-point noise)", () => {
    const g = makeGame("public-goods", { group_size: 3, multiplier: 1.1, rounds: 1, endowment: 10 })
    const s = g.apply(g.init(), contribute([1, 0, 0]))
    // share = 1.1 · 1 / 3 = 0.3666…, rounded to 9 decimals
    expect(g.outcome(s).payoffs).toEqual([9.366666667, 10.366666667, 10.366666667])
  })

  it("a missing contribution in round 4 voids the match from round 4; rounds 1–3 stand", () => {
    const s = playRounds(m, [...CONTRIBUTIONS.slice(0, 3), [5, null, 5, 5]])
    expect(m.next(s)).toEqual([])
    for (let i = 0; i < 4; i++) expect(m.feedback(s, i)).toBeNull()
    const out = m.outcome(s)
    expect(out.status).toBe("void")
    expect(out.voidedInRound).toBe(4)
    expect(out.rounds).toHaveLength(4)
    expect(out.rounds.slice(0, 3).map((r) => r.payoffs)).toEqual(PAYOFFS.slice(0, 3))
    expect(out.rounds[3]!.payoffs).toEqual([null, null, null, null])
    expect(out.rounds[3]!.moves.map((mv) => mv.value)).toEqual([5, null, 5, 5])
    expect(out.payoffs).toEqual([76, 81, 86, 66])
    expect(out.details[0]).toMatchObject({ total_contribution: 30, first_contribution: 10, last_contribution: 0 })
  })

  it("a missing contribution in round 1 or 10", () => {
    const first = m.outcome(playRounds(m, [[null, 0, 0, 0]]))
    expect(first).toMatchObject({ status: "void", voidedInRound: 1, payoffs: [null, null, null, null] })
    expect(first.details[0]).toEqual({
      total_contribution: null,
      mean_contribution: null,
      first_contribution: null,
      last_contribution: null
    })
    const last = m.outcome(playRounds(m, [...CONTRIBUTIONS.slice(0, 9), [null, null, null, null]]))
    expect(last).toMatchObject({ status: "void", voidedInRound: 10, payoffs: [209, 218, 237, 221] })
  })

  it("throws on a contribution above the endowment", () => {
    expect(() => m.apply(m.init(), contribute([21, 0, 0, 0]))).toThrow(RangeError)
    expect(() => m.apply(m.init(), contribute([0, 0, 0]))).toThrow(RangeError)
  })
})
