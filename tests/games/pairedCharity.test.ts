import { describe, expect, it } from "@effect/vitest"
import type { GameMachine, Move } from "../../src/domain/games.js"
import { makeGame, PAIRED_CHARITY_DEFAULTS } from "../../src/games/index.js"

const E = 15
const causes = PAIRED_CHARITY_DEFAULTS.causes

const both = (decision: string, a: number | null, b: number | null): Array<Move> => [
  { member: 0, decision, value: a },
  { member: 1, decision, value: b }
]

/** Plays intentions, decisions and (for contributors) causes; returns the final state. */
const play = (
  m: GameMachine<unknown>,
  intentions: [number | null, number | null],
  decisions: [number | null, number | null],
  causeMoves: Array<Move> = []
) => {
  let s = m.apply(m.init(), both("intention", ...intentions))
  if (m.next(s).length === 0) return s
  s = m.apply(s, both("decision", ...decisions))
  if (m.next(s).length === 0) return s
  return m.apply(s, causeMoves)
}

describe("paired charity game", () => {
  const m = makeGame("paired-charity", {})

  it("asks both intentions at once, then both decisions, then causes of contributors only", () => {
    const s0 = m.init()
    const intentions = m.next(s0)
    expect(intentions.map((r) => [r.member, r.decision, r.round])).toEqual([
      [0, "intention", 1],
      [1, "intention", 1]
    ])
    expect(intentions[0]!.options.map((o) => o.value)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(intentions[0]!.options[3]!.label).toBe("I can't decide")
    expect(intentions[0]!.facts).toEqual({ endowment: 15 })
    const s1 = m.apply(s0, both("intention", 6, 2))
    expect(m.feedback(s1, 0)).toBeNull()
    const decisions = m.next(s1)
    expect(decisions.map((r) => [r.member, r.decision])).toEqual([
      [0, "decision"],
      [1, "decision"]
    ])
    expect(decisions.map((r) => r.options.map((o) => o.value))).toEqual([
      [0, 1],
      [0, 1]
    ])
    expect(decisions[1]!.facts).toEqual({ endowment: 15, own_intention: 2 })
    const s2 = m.apply(s1, both("decision", 1, 0))
    const causeRequests = m.next(s2)
    expect(causeRequests.map((r) => [r.member, r.decision])).toEqual([[0, "cause"]])
    expect(causeRequests[0]!.options.map((o) => o.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(causeRequests[0]!.options.map((o) => o.label)).toEqual(causes)
    const s3 = m.apply(s2, [{ member: 0, decision: "cause", value: 1 }])
    expect(m.next(s3)).toEqual([])
    const out = m.outcome(s3)
    // member 0 contributed (0 kept) and partner kept: 0; member 1 kept 15 and received 15: 30
    expect(out.payoffs).toEqual([0, 30])
    expect(out.status).toBe("complete")
    expect(out.voidedInRound).toBeNull()
    expect(out.details).toEqual([
      { intention: 6, contributed: 1, cause: causes[1], donated: 15 },
      { intention: 2, contributed: 0, cause: null, donated: 0 }
    ])
    expect(out.rounds).toHaveLength(1)
    expect(out.rounds[0]!.moves.map((x) => [x.member, x.decision, x.value, x.role])).toEqual([
      [0, "intention", 6, "player"],
      [1, "intention", 2, "player"],
      [0, "decision", 1, "player"],
      [1, "decision", 0, "player"],
      [0, "cause", 1, "player"]
    ])
    expect(out.rounds[0]!.payoffs).toEqual([0, 30])
  })

  it("pays E each when both contribute, E each when both keep", () => {
    const give = play(m, [7, 7], [1, 1], [
      { member: 0, decision: "cause", value: 0 },
      { member: 1, decision: "cause", value: 8 }
    ])
    expect(m.outcome(give).payoffs).toEqual([E, E])
    expect(m.outcome(give).details.map((d) => [d.cause, d.donated])).toEqual([
      [causes[0], 15],
      [causes[8], 15]
    ])
    const keep = play(m, [1, 4], [0, 0])
    expect(m.outcome(keep).payoffs).toEqual([E, E])
    expect(m.outcome(keep).details.map((d) => d.donated)).toEqual([0, 0])
  })

  it("uses the endowment and causes it is given", () => {
    const g = makeGame("paired-charity", { endowment: 20, causes: ["Red Cross", "Local school"] })
    const s = play(g, [4, 4], [0, 1], [{ member: 1, decision: "cause", value: 1 }])
    expect(g.outcome(s).payoffs).toEqual([40, 0])
    expect(g.outcome(s).details[1]).toEqual({ intention: 4, contributed: 1, cause: "Local school", donated: 20 })
  })

  it("a missing intention voids the match before the decision", () => {
    const s = m.apply(m.init(), both("intention", 5, null))
    expect(m.next(s)).toEqual([])
    expect(m.feedback(s, 0)).toBeNull()
    const out = m.outcome(s)
    expect(out.status).toBe("void")
    expect(out.voidedInRound).toBe(1)
    expect(out.payoffs).toEqual([null, null])
    expect(out.rounds[0]!.payoffs).toEqual([null, null])
    expect(out.details).toEqual([
      { intention: 5, contributed: null, cause: null, donated: null },
      { intention: null, contributed: null, cause: null, donated: null }
    ])
  })

  it("a missing decision voids the match", () => {
    const s = play(m, [5, 5], [null, 1])
    expect(m.next(s)).toEqual([])
    const out = m.outcome(s)
    expect(out.status).toBe("void")
    expect(out.voidedInRound).toBe(1)
    expect(out.payoffs).toEqual([null, null])
    expect(out.details[1]).toEqual({ intention: 5, contributed: 1, cause: null, donated: 15 })
  })

  it("a missing cause keeps the payoffs and records cause null", () => {
    const s = play(m, [7, 7], [1, 1], [
      { member: 0, decision: "cause", value: null },
      { member: 1, decision: "cause", value: 2 }
    ])
    expect(m.next(s)).toEqual([])
    const out = m.outcome(s)
    expect(out.status).toBe("complete")
    expect(out.voidedInRound).toBeNull()
    expect(out.payoffs).toEqual([15, 15])
    expect(out.details).toEqual([
      { intention: 7, contributed: 1, cause: null, donated: 15 },
      { intention: 7, contributed: 1, cause: causes[2], donated: 15 }
    ])
  })

  it("rejects an intention off the scale and a cause from a keeper", () => {
    expect(() => m.apply(m.init(), both("intention", 0, 4))).toThrow(RangeError)
    const s = m.apply(m.apply(m.init(), both("intention", 4, 4)), both("decision", 1, 0))
    expect(() => m.apply(s, [{ member: 1, decision: "cause", value: 0 }])).toThrow(RangeError)
    expect(() => m.apply(s, [{ member: 0, decision: "cause", value: 9 }])).toThrow(RangeError)
  })
})
