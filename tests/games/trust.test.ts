import { describe, expect, it } from "@effect/vitest"
import { makeGame } from "../../src/games/index.js"

describe("trust game", () => {
  const m = makeGame("trust", {})
  const send = (x: number | null) => m.apply(m.init(), [{ member: 0, decision: "send", value: x }])

  it("asks the investor, then the trustee with what was received", () => {
    const first = m.next(m.init())
    expect(first).toHaveLength(1)
    expect(first[0]).toMatchObject({ member: 0, role: "investor", decision: "send" })
    expect(first[0]!.facts).toEqual({ endowment: 10, multiplier: 3 })
    expect(first[0]!.options.map((o) => o.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const s = send(4)
    const second = m.next(s)
    expect(second).toHaveLength(1)
    expect(second[0]).toMatchObject({ member: 1, role: "trustee", decision: "return", theoryShift: 0 })
    expect(second[0]!.facts).toEqual({ endowment: 10, multiplier: 3, sent: 4, received: 12 })
    expect(second[0]!.options.map((o) => o.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(second[0]!.options[5]!.label).toBe("return 5 of 12")
  })

  it("pays [E − x + y, m·x − y]", () => {
    const out = m.outcome(m.apply(send(4), [{ member: 1, decision: "return", value: 5 }]))
    expect(out.payoffs).toEqual([11, 7])
    expect(out.details).toEqual([{ send: 4 }, { received: 12, return: 5 }])
    const all = m.outcome(m.apply(send(10), [{ member: 1, decision: "return", value: 30 }]))
    expect(all.payoffs).toEqual([30, 0])
    const none = m.outcome(m.apply(send(10), [{ member: 1, decision: "return", value: 0 }]))
    expect(none.payoffs).toEqual([0, 30])
  })

  it("x = 0: the trustee has no decision and the investor keeps E", () => {
    const s = send(0)
    expect(m.next(s)).toEqual([])
    const out = m.outcome(s)
    expect(out.status).toBe("complete")
    expect(out.payoffs).toEqual([10, 0])
    expect(out.rounds[0]!.moves).toHaveLength(1)
    expect(out.details).toEqual([{ send: 0 }, { received: 0, return: null }])
  })

  it("honours multiplier and step", () => {
    const g = makeGame("trust", { endowment: 10, multiplier: 2, step: 5 })
    const s = g.apply(g.init(), [{ member: 0, decision: "send", value: 5 }])
    expect(g.next(s)[0]!.options.map((o) => o.value)).toEqual([0, 5, 10])
    expect(g.outcome(g.apply(s, [{ member: 1, decision: "return", value: 5 }])).payoffs).toEqual([10, 5])
  })

  it("a missing send or return voids the match", () => {
    const noSend = send(null)
    expect(m.next(noSend)).toEqual([])
    expect(m.outcome(noSend)).toMatchObject({ status: "void", voidedInRound: 1, payoffs: [null, null] })
    expect(m.outcome(noSend).details).toEqual([{ send: null }, { received: null, return: null }])
    const noReturn = m.apply(send(3), [{ member: 1, decision: "return", value: null }])
    expect(m.next(noReturn)).toEqual([])
    expect(m.outcome(noReturn)).toMatchObject({ status: "void", voidedInRound: 1, payoffs: [null, null] })
    expect(m.outcome(noReturn).details).toEqual([{ send: 3 }, { received: 9, return: null }])
  })

  it("throws on returning more than was received", () => {
    expect(() => m.apply(send(3), [{ member: 1, decision: "return", value: 10 }])).toThrow(RangeError)
  })
})
