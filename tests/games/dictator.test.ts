import { describe, expect, it } from "@effect/vitest"
import { makeGame } from "../../src/games/index.js"

describe("dictator game", () => {
  const m = makeGame("dictator", {})

  it("asks the proposer only, amounts 0…E", () => {
    const due = m.next(m.init())
    expect(due).toHaveLength(1)
    expect(due[0]).toMatchObject({ member: 0, role: "proposer", decision: "give", round: 1, theoryShift: 0 })
    expect(due[0]!.options.map((o) => o.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(due[0]!.options[3]!.label).toBe("give 3 of 10")
    expect(due[0]!.facts).toEqual({ endowment: 10 })
  })

  for (const [x, payoffs] of [
    [0, [10, 0]],
    [3, [7, 3]],
    [10, [0, 10]]
  ] as const) {
    it(`give ${x} pays [${payoffs.join(", ")}]`, () => {
      const s = m.apply(m.init(), [{ member: 0, decision: "give", value: x }])
      expect(m.next(s)).toEqual([])
      expect(m.feedback(s, 1)).toBeNull()
      const out = m.outcome(s)
      expect(out).toEqual({
        status: "complete",
        voidedInRound: null,
        rounds: [{ round: 1, moves: [{ member: 0, decision: "give", value: x, role: "proposer" }], payoffs }],
        payoffs,
        details: [{ give: x }, {}]
      })
    })
  }

  it("honours endowment and step", () => {
    const g = makeGame("dictator", { endowment: 100, step: 25 })
    expect(g.next(g.init())[0]!.options.map((o) => o.value)).toEqual([0, 25, 50, 75, 100])
    expect(g.outcome(g.apply(g.init(), [{ member: 0, decision: "give", value: 25 }])).payoffs).toEqual([75, 25])
  })

  it("a missing gift voids the match", () => {
    const s = m.apply(m.init(), [{ member: 0, decision: "give", value: null }])
    expect(m.next(s)).toEqual([])
    const out = m.outcome(s)
    expect(out.status).toBe("void")
    expect(out.voidedInRound).toBe(1)
    expect(out.payoffs).toEqual([null, null])
    expect(out.rounds[0]!.payoffs).toEqual([null, null])
    expect(out.details).toEqual([{ give: null }, {}])
  })

  it("throws on an amount above the endowment", () => {
    expect(() => m.apply(m.init(), [{ member: 0, decision: "give", value: 11 }])).toThrow(RangeError)
    expect(() => m.apply(m.init(), [{ member: 1, decision: "give", value: 1 }])).toThrow(RangeError)
  })
})
