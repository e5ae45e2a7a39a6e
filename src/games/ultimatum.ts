/**
 * The ultimatum game (Güth, Schmittberger & Schwarze 1982): a proposer offers a split of E; the responder
 * accepts it or both get nothing.
 *
 * One round, two steps: member 0 (proposer) chooses "offer" x ∈ {0, step, …, E}; then member 1 (responder)
 * chooses "accept" (0 = reject, 1 = accept), told { endowment, offer, proposer_keeps }. Accept pays [E − x, x],
 * reject pays [0, 0]. A missing offer or answer voids the match.
 *
 * theoryShift of the responder's accept = fairness_slope × (x/E − 0.3): offers above 30 % of the pie make
 * accepting likelier, lower ones less likely (0.3 is roughly where human rejection rates climb steeply). This is
 * an assumption of the synthetic respondent only, not a claim about models; real agents ignore it.
 *
 * Details: proposer { offer }, responder { accept (0/1) }, null where missing.
 */
import type { GameRules } from "./machine.js"
import { amountOptions, machineOf, madeValue, valueOf } from "./machine.js"
import type { GameParams } from "./params.js"
import { finite, integer, resolve, resolveOrThrow, stepProblems } from "./params.js"

export type Params = {
  readonly endowment: number
  readonly step: number
  readonly fairness_slope: number
}

export const DEFAULTS: Params = Object.freeze({
  /** The amount the proposer splits. */
  endowment: 10,
  /** Offers are multiples of `step`, which must divide the endowment. */
  step: 1,
  /** Logit shift per unit of offered share above 0.3, for the synthetic respondent (see the module comment). */
  fairness_slope: 6
})

/** The offered share at which the synthetic responder's accept propensity is unshifted. */
export const FAIR_POINT = 0.3

const read = (params: GameParams) =>
  resolve(
    params,
    DEFAULTS,
    { endowment: integer(1), step: integer(1), fairness_slope: finite },
    (v) => stepProblems(v.endowment, v.step)
  )

export const problems = (params: GameParams): ReadonlyArray<string> => read(params).problems

export const rules = (p: Params): GameRules => {
  const E = p.endowment
  const offerOptions = amountOptions("offer", E, p.step)
  return {
    kind: "ultimatum",
    groupSize: 2,
    rounds: 1,
    step: (round, moves) => {
      if (moves.length === 0) {
        const facts = { endowment: E }
        return [{ member: 0, role: "proposer", decision: "offer", round, options: offerOptions, facts, theoryShift: 0 }]
      }
      if (moves.length > 1) return []
      const x = madeValue(moves, 0, "offer")
      return [
        {
          member: 1,
          role: "responder",
          decision: "accept",
          round,
          options: [
            { value: 0, label: "reject: we both get 0" },
            { value: 1, label: `accept: I get ${x} and the proposer keeps ${E - x}` }
          ],
          facts: { endowment: E, offer: x, proposer_keeps: E - x },
          theoryShift: p.fairness_slope * (x / E - FAIR_POINT)
        }
      ]
    },
    payoffs: (_round, moves) => {
      const x = madeValue(moves, 0, "offer")
      return madeValue(moves, 1, "accept") === 1 ? [E - x, x] : [0, 0]
    },
    feedback: () => null,
    details: (history) => {
      const moves = history[0]?.moves ?? []
      return [{ offer: valueOf(moves, 0, "offer") ?? null }, { accept: valueOf(moves, 1, "accept") ?? null }]
    }
  }
}

export const make = (params: GameParams) => machineOf(rules(resolveOrThrow("ultimatum", read(params))))
