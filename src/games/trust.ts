/**
 * The trust (investment) game (Berg, Dickhaut & McCabe 1995): an investor sends part of an endowment, it is
 * multiplied on the way, and the trustee decides how much to send back.
 *
 * One round, up to two steps: member 0 (investor) chooses "send" x ∈ {0, step, …, E}; the trustee receives m·x
 * and, if x > 0, chooses "return" y ∈ {0, step, …, m·x}, told { endowment, multiplier, sent, received }. When
 * x = 0 the trustee has nothing to decide and the round ends. Payoffs [E − x + y, m·x − y]; the trustee has no
 * endowment of its own. A missing send or return voids the match.
 *
 * Details: investor { send }, trustee { received, return } (return null when nothing was received or the move
 * is missing; received null when the send is missing).
 */
import type { GameRules } from "./machine.js"
import { amountOptions, machineOf, madeValue, valueOf } from "./machine.js"
import type { GameParams } from "./params.js"
import { integer, resolve, resolveOrThrow, stepProblems } from "./params.js"

export type Params = {
  readonly endowment: number
  readonly multiplier: number
  readonly step: number
}

export const DEFAULTS: Params = Object.freeze({
  /** The investor's endowment. */
  endowment: 10,
  /** What each unit sent is worth to the trustee; a whole number, so the amount received is on the step grid. */
  multiplier: 3,
  /** Amounts sent and returned are multiples of `step`, which must divide the endowment. */
  step: 1
})

const read = (params: GameParams) =>
  resolve(
    params,
    DEFAULTS,
    { endowment: integer(1), multiplier: integer(1), step: integer(1) },
    (v) => stepProblems(v.endowment, v.step)
  )

export const problems = (params: GameParams): ReadonlyArray<string> => read(params).problems

export const rules = (p: Params): GameRules => {
  const E = p.endowment
  const m = p.multiplier
  const sendOptions = amountOptions("send", E, p.step)
  return {
    kind: "trust",
    groupSize: 2,
    rounds: 1,
    step: (round, moves) => {
      if (moves.length === 0) {
        return [
          {
            member: 0,
            role: "investor",
            decision: "send",
            round,
            options: sendOptions,
            facts: { endowment: E, multiplier: m },
            theoryShift: 0
          }
        ]
      }
      const x = madeValue(moves, 0, "send")
      if (x === 0 || moves.length > 1) return []
      return [
        {
          member: 1,
          role: "trustee",
          decision: "return",
          round,
          options: amountOptions("return", m * x, p.step),
          facts: { endowment: E, multiplier: m, sent: x, received: m * x },
          theoryShift: 0
        }
      ]
    },
    payoffs: (_round, moves) => {
      const x = madeValue(moves, 0, "send")
      const y = x === 0 ? 0 : madeValue(moves, 1, "return")
      return [E - x + y, m * x - y]
    },
    feedback: () => null,
    details: (history) => {
      const moves = history[0]?.moves ?? []
      const x = valueOf(moves, 0, "send") ?? null
      return [{ send: x }, { received: x === null ? null : m * x, return: valueOf(moves, 1, "return") ?? null }]
    }
  }
}

export const make = (params: GameParams) => machineOf(rules(resolveOrThrow("trust", read(params))))
