import { describe, expect, it } from "@effect/vitest"
import { makeGame } from "../../src/games/index.js"

describe("ultimatum game", () => {
  const m = makeGame("ultimatum", {})
  const offer = (x: number | null) => m.apply(m.init(), [{ member: 0, decision: "offer", value: x }])

  it("asks the proposer, then the responder with the offer", () => {
    const first = m.next(m.init())
    expect(first).toHaveLength(1)
    expect(first[0]).toMatchObject({ member: 0, role: "proposer", decision: "offer", theoryShift: 0 })
    expect(first[0]!.options).toHaveLength(11)
    const s = offer(4)
    expect(m.feedback(s, 0)).toBeNull()
    const second = m.next(s)
    expect(second).toHaveLength(1)
    expect(second[0]).toMatchObject({ member: 1, role: "responder", decision: "accept", round: 1 })
    expect(second[0]!.facts).toEqual({ endowment: 10, offer: 4, proposer_keeps: 6 })
    expect(second[0]!.options.map((o) => o.value)).toEqual([0, 1])
    expect(second[0]!.options[1]!.label).toBe("accept: I get 4 and the proposer keeps 6")
  })

  it("theoryShift of accept is fairness_slope × (offer/E − 0.3)", () => {
    expect(m.next(offer(3))[0]!.theoryShift).toBeCloseTo(0, 12)
    expect(m.next(offer(5))[0]!.theoryShift).toBeCloseTo(6 * 0.2, 12)
    expect(m.next(offer(0))[0]!.theoryShift).toBeCloseTo(-1.8, 12)
    expect(m.next(offer(10))[0]!.theoryShift).toBeCloseTo(4.2, 12)
    const g = makeGame("ultimatum", { endowment: 20, fairness_slope: 2 })
    const s = g.apply(g.init(), [{ member: 0, decision: "offer", value: 10 }])
    expect(g.next(s)[0]!.theoryShift).toBeCloseTo(2 * (0.5 - 0.3), 12)
  })

  for (const [x, accept, payoffs] of [
    [4, 1, [6, 4]],
    [4, 0, [0, 0]],
    [0, 1, [10, 0]],
    [0, 0, [0, 0]],
    [10, 1, [0, 10]],
    [10, 0, [0, 0]]
  ] as const) {
    it(`offer ${x}, ${accept === 1 ? "accept" : "reject"} pays [${payoffs.join(", ")}]`, () => {
      const s = m.apply(offer(x), [{ member: 1, decision: "accept", value: accept }])
      expect(m.next(s)).toEqual([])
      const out = m.outcome(s)
      expect(out.status).toBe("complete")
      expect(out.payoffs).toEqual(payoffs)
      expect(out.details).toEqual([{ offer: x }, { accept }])
      expect(out.rounds[0]!.moves.map((mv) => mv.role)).toEqual(["proposer", "responder"])
    })
  }

  it("a missing offer or a missing answer voids the match", () => {
    const noOffer = offer(null)
    expect(m.next(noOffer)).toEqual([])
    expect(m.outcome(noOffer)).toMatchObject({ status: "void", voidedInRound: 1, payoffs: [null, null] })
    expect(m.outcome(noOffer).details).toEqual([{ offer: null }, { accept: null }])
    const noAnswer = m.apply(offer(5), [{ member: 1, decision: "accept", value: null }])
    expect(m.next(noAnswer)).toEqual([])
    const out = m.outcome(noAnswer)
    expect(out).toMatchObject({ status: "void", voidedInRound: 1, payoffs: [null, null] })
    expect(out.rounds[0]!.payoffs).toEqual([null, null])
    expect(out.rounds[0]!.moves).toHaveLength(2)
    expect(out.details).toEqual([{ offer: 5 }, { accept: null }])
  })

  it("throws when the proposer answers the responder's request", () => {
    expect(() => m.apply(offer(5), [{ member: 0, decision: "accept", value: 1 }])).toThrow(RangeError)
  })
})
