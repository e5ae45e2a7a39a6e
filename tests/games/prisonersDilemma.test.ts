import { describe, expect, it } from "@effect/vitest"
import type { GameMachine, Move } from "../../src/domain/games.js"
import { makeGame } from "../../src/games/index.js"

const moves = (a: number | null, b: number | null): Array<Move> => [
  { member: 0, decision: "cooperate", value: a },
  { member: 1, decision: "cooperate", value: b }
]

const playRounds = (m: GameMachine<unknown>, rounds: ReadonlyArray<[number | null, number | null]>) => {
  let s = m.init()
  for (const [a, b] of rounds) s = m.apply(s, moves(a, b))
  return s
}

describe("prisoner's dilemma, one-shot", () => {
  const m = makeGame("prisoners-dilemma", {})

  it("asks both players at once", () => {
    const due = m.next(m.init())
    expect(due.map((r) => [r.member, r.decision, r.role, r.round, r.theoryShift])).toEqual([
      [0, "cooperate", "player", 1, 0],
      [1, "cooperate", "player", 1, 0]
    ])
    expect(due[0]!.options).toEqual([
      { value: 0, label: "defect" },
      { value: 1, label: "cooperate" }
    ])
    expect(due[0]!.facts).toEqual({ round: 1, rounds: 1, temptation: 5, reward: 3, punishment: 1, sucker: 0 })
  })

  for (const [a, b, payoffs] of [
    [0, 0, [1, 1]],
    [1, 1, [3, 3]],
    [0, 1, [5, 0]],
    [1, 0, [0, 5]]
  ] as const) {
    it(`moves ${a}/${b} pay [${payoffs.join(", ")}]`, () => {
      const s = m.apply(m.init(), moves(a, b))
      expect(m.next(s)).toEqual([])
      const out = m.outcome(s)
      expect(out.status).toBe("complete")
      expect(out.payoffs).toEqual(payoffs)
      expect(out.details).toEqual([
        { cooperations: a, cooperation_rate: a, first_move: a },
        { cooperations: b, cooperation_rate: b, first_move: b }
      ])
      expect(m.feedback(s, 0)).toEqual({
        round: 1,
        partner_move: b === 1 ? "cooperated" : "defected",
        own_payoff: payoffs[0],
        total_so_far: payoffs[0]
      })
    })
  }

  it("uses a custom payoff matrix", () => {
    const g = makeGame("prisoners-dilemma", { payoffs: { temptation: 10, reward: 7, punishment: 2, sucker: -1 } })
    expect(g.outcome(g.apply(g.init(), moves(1, 0))).payoffs).toEqual([-1, 10])
  })

  it("a missing move voids the match", () => {
    const s = m.apply(m.init(), moves(1, null))
    expect(m.next(s)).toEqual([])
    expect(m.feedback(s, 0)).toBeNull()
    const out = m.outcome(s)
    expect(out).toMatchObject({ status: "void", voidedInRound: 1, payoffs: [null, null] })
    expect(out.rounds[0]!.payoffs).toEqual([null, null])
    expect(out.details[0]).toEqual({ cooperations: null, cooperation_rate: null, first_move: null })
  })
})

describe("prisoner's dilemma, repeated", () => {
  const m = makeGame("prisoners-dilemma", { rounds: 4 })

  it("plays every round, with feedback and running totals", () => {
    const history: Array<[number, number]> = [
      [1, 1], // 3, 3
      [1, 0], // 0, 5
      [0, 0], // 1, 1
      [0, 1] //  5, 0
    ]
    let s = m.init()
    const expected = [
      [3, 3],
      [0, 5],
      [1, 1],
      [5, 0]
    ]
    const totals = [
      [3, 3],
      [3, 8],
      [4, 9],
      [9, 9]
    ]
    history.forEach(([a, b], r) => {
      s = m.apply(s, moves(a, b))
      expect(m.feedback(s, 0)).toEqual({
        round: r + 1,
        partner_move: b === 1 ? "cooperated" : "defected",
        own_payoff: expected[r]![0],
        total_so_far: totals[r]![0]
      })
      expect(m.feedback(s, 1)).toEqual({
        round: r + 1,
        partner_move: a === 1 ? "cooperated" : "defected",
        own_payoff: expected[r]![1],
        total_so_far: totals[r]![1]
      })
    })
    expect(m.next(s)).toEqual([])
    const out = m.outcome(s)
    expect(out.rounds.map((r) => r.payoffs)).toEqual(expected)
    expect(out.payoffs).toEqual([9, 9])
    expect(out.details).toEqual([
      { cooperations: 2, cooperation_rate: 0.5, first_move: 1 },
      { cooperations: 2, cooperation_rate: 0.5, first_move: 1 }
    ])
  })

  it("all-defect and all-cooperate totals", () => {
    expect(m.outcome(playRounds(m, [[0, 0], [0, 0], [0, 0], [0, 0]])).payoffs).toEqual([4, 4])
    expect(m.outcome(playRounds(m, [[1, 1], [1, 1], [1, 1], [1, 1]])).payoffs).toEqual([12, 12])
  })

  it("from round 2, theoryShift = reciprocity × (±1 by the partner's last move)", () => {
    const s = m.apply(m.init(), moves(1, 0))
    // member 0's partner defected: −1; member 1's partner cooperated: +1
    expect(m.next(s).map((r) => [r.round, r.theoryShift])).toEqual([
      [2, -1],
      [2, 1]
    ])
    const g = makeGame("prisoners-dilemma", { rounds: 3, reciprocity: 0.5 })
    const s2 = g.apply(g.apply(g.init(), moves(1, 0)), moves(0, 1))
    expect(g.next(s2).map((r) => r.theoryShift)).toEqual([0.5, -0.5])
  })

  it("a missing move in round 3 keeps rounds 1–2", () => {
    const s = playRounds(m, [[1, 1], [0, 1], [null, 1]])
    expect(m.next(s)).toEqual([])
    const out = m.outcome(s)
    expect(out.status).toBe("void")
    expect(out.voidedInRound).toBe(3)
    expect(out.rounds.map((r) => r.payoffs)).toEqual([
      [3, 3],
      [5, 0],
      [null, null]
    ])
    expect(out.payoffs).toEqual([8, 3])
    expect(out.details[1]).toEqual({ cooperations: 2, cooperation_rate: 1, first_move: 1 })
  })
})
