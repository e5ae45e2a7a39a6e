/**
 * The dictator game (Forsythe et al. 1994): a proposer splits an endowment E with a passive recipient.
 *
 * One round, one step: member 0 (proposer) chooses "give" x ∈ {0, step, …, E}; member 1 (recipient) makes no
 * decision. Payoffs [E − x, x]. A missing give voids the match.
 *
 * Details: { give: x } for the proposer (null if missing), {} for the recipient.
 */
import type { GameRules } from "./machine.js"
import { amountOptions, machineOf, valueOf } from "./machine.js"
import type { GameParams } from "./params.js"
import { integer, resolve, resolveOrThrow, stepProblems } from "./params.js"

export type Params = {
  readonly endowment: number
  readonly step: number
}

export const DEFAULTS: Params = Object.freeze({
  /** The amount the proposer splits. */
  endowment: 10,
  /** Gifts are multiples of `step`, which must divide the endowment. */
  step: 1
})

const read = (params: GameParams) =>
  resolve(params, DEFAULTS, { endowment: integer(1), step: integer(1) }, (v) => stepProblems(v.endowment, v.step))

export const problems = (params: GameParams): ReadonlyArray<string> => read(params).problems

export const rules = (p: Params): GameRules => {
  const E = p.endowment
  const options = amountOptions("give", E, p.step)
  return {
    kind: "dictator",
    groupSize: 2,
    rounds: 1,
    step: (round, moves) =>
      moves.length > 0
        ? []
        : [{ member: 0, role: "proposer", decision: "give", round, options, facts: { endowment: E }, theoryShift: 0 }],
    payoffs: (_round, moves) => {
      const x = valueOf(moves, 0, "give") ?? 0
      return [E - x, x]
    },
    feedback: () => null,
    details: (history) => [{ give: valueOf(history[0]?.moves ?? [], 0, "give") ?? null }, {}]
  }
}

export const make = (params: GameParams) => machineOf(rules(resolveOrThrow("dictator", read(params))))
