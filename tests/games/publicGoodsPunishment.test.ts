import { describe, expect, it } from "@effect/vitest"
import type { GameMachine, Move } from "../../src/domain/games.js"
import { gameParamProblems, makeGame } from "../../src/games/index.js"

/**
 * The punishment stage of the public goods game (issue 24; Fehr & Gächter 2000's rule change). Payoffs computed by
 * hand with E = 20, multiplier 1.6, n = 4, cost 1 and impact 3 per point:
 * π_i = 20 − c_i + 0.4 · Σc − 1 · (points i gave) − 3 · (points i received).
 */
const moves = (decision: string, values: ReadonlyArray<number | null>): Array<Move> => values.map((value, member) => ({ member, decision, value }))

/** Plays one round: the contributions, then each member's points to the others in member order (rows = punisher). */
const round = (m: GameMachine<unknown>, s: unknown, cs: ReadonlyArray<number>, pts: ReadonlyArray<ReadonlyArray<number>>) => {
  let state = m.apply(s, moves("contribute", cs))
  for (let k = 0; k < 3; k++) state = m.apply(state, moves("punish", pts.map((row) => row[k]!)))
  return state
}

describe("public goods game with punishment", () => {
  const m = makeGame("public-goods", { punishment: true })

  it("asks each member, after the contributions, one punishment per other member in member order", () => {
    let s = m.apply(m.init(), moves("contribute", [20, 20, 20, 0]))
    const first = m.next(s)
    expect(first.map((d) => [d.member, d.decision, d.repeat])).toEqual([[0, "punish", 1], [1, "punish", 1], [2, "punish", 1], [3, "punish", 1]])
    expect(first[0]!.options).toHaveLength(11)
    expect(first[0]!.options[3]).toEqual({ value: 3, label: "assign 3 of 10 to member 1" })
    // Nobody is told anything before the round is over.
    expect(m.feedback(s, 0)).toBeNull()
    s = m.apply(s, moves("punish", [0, 0, 0, 2]))
    s = m.apply(s, moves("punish", [0, 0, 1, 0]))
    const third = m.next(s)
    expect(third.map((d) => d.repeat)).toEqual([3, 3, 3, 3])
    // Member 0's third other is member 3, who gave nothing: the theory model's shift −4 + 6 · 20/20.
    expect(third[0]!.facts).toEqual({ round: 1, rounds: 10, other: 3, other_contribution: 0, own_contribution: 20, contributions: "you 20; others 20, 20, 0", max_punishment: 10 })
    expect(third[0]!.theoryShift).toBe(2)
    expect(third[3]!.theoryShift).toBe(-4)
    expect(third[3]!.options[0]!.label).toBe("assign 0 of 10 to member 2")
  })

  it("charges the punisher the cost and the punished the impact of every point (1:3)", () => {
    // points[i] = what member i assigns its others (in member order, itself left out).
    const s = round(m, m.init(), [20, 20, 20, 0], [[0, 0, 5], [0, 0, 4], [0, 1, 3], [2, 0, 0]])
    // Round without punishment: [24, 24, 24, 44]. Given 5, 4, 4, 2; received 2, 1, 0, 12.
    const out = (m as GameMachine<unknown>).feedback(s, 3)
    expect(out).toEqual({
      round: 1,
      contributions: "you 0; others 20, 20, 20",
      group_total: 60,
      others_mean: 20,
      own_contribution: 0,
      own_payoff: 6,
      total_so_far: 6,
      punishment_received: 12,
      punishment_given: 2
    })
    expect([0, 1, 2].map((i) => (m.feedback(s, i) as Record<string, number>)["own_payoff"])).toEqual([13, 17, 20])
    // Round 2: the punished free rider's contribution is pulled up by what it received (deterrence 3 · 12/10) on top
    // of conditional cooperation (2 · (20/20 − 0.5)).
    const next = m.next(s)
    expect(next.map((d) => d.decision)).toEqual(["contribute", "contribute", "contribute", "contribute"])
    expect(next[3]!.theoryShift).toBeCloseTo(1 + 3.6, 12)
    expect(next[2]!.theoryShift).toBeCloseTo(2 * (40 / 3 / 20 - 0.5), 12)
  })

  it("sums punishment in the details, takes other cost and impact ratios, and leaves the game without punishment as it was", () => {
    const two = makeGame("public-goods", { punishment: true, rounds: 2, punishment_cost: 2, punishment_impact: 4 })
    let s = round(two, two.init(), [10, 10, 10, 10], [[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    s = round(two, s, [0, 20, 20, 20], [[0, 0, 0], [3, 0, 0], [3, 0, 0], [3, 0, 0]])
    expect(two.next(s)).toEqual([])
    const out = two.outcome(s)
    // Round 1: 20 − 10 + 16 = 26 each; member 0 pays 2, member 1 loses 4. Round 2: [44, 24, 24, 24]; member 0
    // loses 9 · 4, members 1–3 pay 3 · 2 each.
    expect(out.rounds.map((r) => r.payoffs)).toEqual([[24, 22, 26, 26], [8, 18, 18, 18]])
    expect(out.details[0]).toMatchObject({ total_contribution: 10, total_punishment_received: 9, total_punishment_given: 1 })
    expect(out.details[1]).toMatchObject({ total_punishment_received: 1, total_punishment_given: 3 })
    const plain = makeGame("public-goods", {})
    const after = plain.apply(plain.init(), moves("contribute", [20, 20, 20, 0]))
    expect(plain.next(after).map((d) => [d.decision, d.round])).toEqual([["contribute", 2], ["contribute", 2], ["contribute", 2], ["contribute", 2]])
    expect(Object.keys(plain.outcome(playOut(plain, after)).details[0]!)).not.toContain("total_punishment_received")
  })

  it("rejects bad punishment parameters by name", () => {
    expect(gameParamProblems("public-goods", { punishment: "yes" })[0]).toMatch(/^punishment: must be true or false/)
    expect(gameParamProblems("public-goods", { punishment_impact: 0 })[0]).toMatch(/^punishment_impact: /)
    expect(gameParamProblems("public-goods", { max_punishment: 0 })[0]).toMatch(/^max_punishment: /)
  })
})

/** Plays the rest of a match with everyone contributing 0. */
const playOut = (m: GameMachine<unknown>, s: unknown) => {
  let state = s
  for (let due = m.next(state); due.length > 0; due = m.next(state)) state = m.apply(state, due.map((d) => ({ member: d.member, decision: d.decision, value: 0 })))
  return state
}
