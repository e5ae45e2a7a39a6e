import { describe, expect, it } from "@effect/vitest"
import type { GameMachine, Move } from "../../src/domain/games.js"
import { GAME_KINDS } from "../../src/domain/games.js"
import { GAME_DEFAULTS, makeGame } from "../../src/games/index.js"

const answerAll = (machine: GameMachine<unknown>, state: unknown, pick: (n: number) => number): Array<Move> =>
  machine.next(state).map((r) => ({
    member: r.member,
    decision: r.decision,
    value: r.options[pick(r.options.length)]!.value
  }))

describe("apply checks the moves against the requests", () => {
  const machine = makeGame("prisoners-dilemma", {})
  const s0 = machine.init()

  it("throws on a wrong count, member, decision, order or value", () => {
    expect(() => machine.apply(s0, [{ member: 0, decision: "cooperate", value: 1 }])).toThrow(RangeError)
    expect(() =>
      machine.apply(s0, [
        { member: 1, decision: "cooperate", value: 1 },
        { member: 0, decision: "cooperate", value: 1 }
      ])
    ).toThrow(RangeError)
    expect(() =>
      machine.apply(s0, [
        { member: 0, decision: "contribute", value: 1 },
        { member: 1, decision: "cooperate", value: 1 }
      ])
    ).toThrow(RangeError)
    expect(() =>
      machine.apply(s0, [
        { member: 0, decision: "cooperate", value: 2 },
        { member: 1, decision: "cooperate", value: 1 }
      ])
    ).toThrow(/not one of the offered values/)
    expect(() =>
      machine.apply(s0, [
        { member: 0, decision: "cooperate", value: 0.5 },
        { member: 1, decision: "cooperate", value: 1 }
      ])
    ).toThrow(RangeError)
  })

  it("throws when the match is over, and outcome throws before it is", () => {
    expect(() => machine.outcome(s0)).toThrow(RangeError)
    const s1 = machine.apply(s0, [
      { member: 0, decision: "cooperate", value: 1 },
      { member: 1, decision: "cooperate", value: 1 }
    ])
    expect(machine.next(s1)).toEqual([])
    expect(() => machine.apply(s1, [])).toThrow(RangeError)
    expect(() => machine.feedback(s1, 2)).toThrow(RangeError)
  })

  it("an amount not on the step grid is rejected", () => {
    const dictator = makeGame("dictator", { endowment: 10, step: 5 })
    expect(dictator.next(dictator.init())[0]!.options.map((o) => o.value)).toEqual([0, 5, 10])
    expect(() => dictator.apply(dictator.init(), [{ member: 0, decision: "give", value: 3 }])).toThrow(RangeError)
  })
})

describe("every game", () => {
  for (const kind of GAME_KINDS) {
    it(`${kind}: states are never mutated, so old states replay identically`, () => {
      const machine = makeGame(kind, GAME_DEFAULTS[kind])
      const states: Array<unknown> = [machine.init()]
      const snapshots: Array<string> = [JSON.stringify(states[0])]
      for (let s = states[0]; machine.next(s).length > 0; ) {
        s = machine.apply(s, answerAll(machine, s, (n) => n - 1))
        states.push(s)
        snapshots.push(JSON.stringify(s))
      }
      states.forEach((s, i) => expect(JSON.stringify(s)).toBe(snapshots[i]))
      // Replaying from the initial state with other moves leaves the first path untouched.
      const other = machine.apply(states[0], answerAll(machine, states[0], () => 0))
      expect(other).not.toBe(states[1])
      expect(JSON.stringify(states[1])).toBe(snapshots[1])
      expect(machine.outcome(states[states.length - 1]).status).toBe("complete")
    })

    it(`${kind}: options are in canonical order and requests are well formed`, () => {
      const machine = makeGame(kind, {})
      let s = machine.init()
      for (let due = machine.next(s); due.length > 0; due = machine.next(s)) {
        for (const r of due) {
          expect(r.options.length).toBeGreaterThan(1)
          for (let i = 1; i < r.options.length; i++) {
            expect(r.options[i]!.value).toBeGreaterThan(r.options[i - 1]!.value)
          }
          expect(Number.isFinite(r.theoryShift)).toBe(true)
          expect(r.member).toBeGreaterThanOrEqual(0)
          expect(r.member).toBeLessThan(machine.groupSize)
        }
        s = machine.apply(s, answerAll(machine, s, (n) => Math.floor(n / 2)))
      }
      expect(machine.outcome(s).payoffs).toHaveLength(machine.groupSize)
      expect(machine.outcome(s).details).toHaveLength(machine.groupSize)
    })
  }
})
