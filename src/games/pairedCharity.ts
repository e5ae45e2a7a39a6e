/**
 * The paired charity game (Sagiv et al. 2011; paper 000, appendix D): a one-round social dilemma for pairs.
 *
 * Each member holds an endowment E (15 NIS in the original) and either keeps it or contributes it. A contribution
 * gives E to the (anonymous) partner and, on top, E to a social cause the contributor picks. So a member's payoff
 * is (kept ? E : 0) + (partner contributed ? E : 0): keeping is individually better whatever the partner does,
 * while two contributors end up with as much as two keepers and E each to charity besides.
 *
 * One round of three steps:
 * 1. both members state their probable choice ("intention") on a 7-point scale, 1 = keep the money for myself,
 *    4 = can't decide, 7 = contribute, at the same time;
 * 2. both make the final binary "decision", 0 = keep, 1 = contribute, at the same time;
 * 3. each contributor picks a "cause" (option values 0…k−1, labelled with the `causes`).
 *
 * Missing moves: a missing intention or decision voids the match (null payoffs). A missing cause does not: the
 * contribution stands and payoffs are paid, but the member's `cause` detail is null.
 *
 * Details per member: { intention (1–7), contributed (0/1), cause (the label, or null), donated (E if contributed,
 * else 0) }; a detail whose step never happened (voided match) is null.
 */
import type { DecisionRequest } from "../domain/games.js"
import type { GameRules, History, RoleMove } from "./machine.js"
import { hasDecision, machineOf, madeValue, members, valueOf } from "./machine.js"
import type { GameParams } from "./params.js"
import { integer, labels, resolve, resolveOrThrow } from "./params.js"

export type Params = {
  readonly endowment: number
  readonly causes: ReadonlyArray<string>
  readonly intention_labels: ReadonlyArray<string>
}

export const DEFAULTS: Params = Object.freeze({
  /** Each member's endowment (15 NIS in Sagiv et al.). */
  endowment: 15,
  /** The causes a contributor may donate to: the nine cause types of the donation-causes measure (Sneddon et al.). */
  causes: [
    "Environmental protection",
    "Animal welfare",
    "International aid and development",
    "Religious or spiritual organisations",
    "Arts and culture",
    "Community and social services",
    "Education",
    "Health and medical research",
    "Sport and recreation clubs"
  ],
  /** Labels of the 7-point intention scale, value 1 first. */
  intention_labels: [
    "I will certainly keep the money for myself",
    "I will probably keep the money",
    "I lean towards keeping the money",
    "I can't decide",
    "I lean towards contributing the money",
    "I will probably contribute the money",
    "I will certainly contribute the money"
  ]
})

const ROLE = "player"

const read = (params: GameParams) =>
  resolve(
    params,
    DEFAULTS,
    { endowment: integer(1), causes: labels({ min: 1 }), intention_labels: labels({ length: 7 }) },
    () => []
  )

export const problems = (params: GameParams): ReadonlyArray<string> => read(params).problems

export const rules = (p: Params): GameRules => {
  const E = p.endowment
  const pair = members(2)
  const request = (
    member: number,
    decision: string,
    options: DecisionRequest["options"],
    facts: DecisionRequest["facts"]
  ): DecisionRequest => ({ member, role: ROLE, decision, round: 1, options, facts, theoryShift: 0 })
  const intentionOptions = p.intention_labels.map((label, i) => ({ value: i + 1, label }))
  const decisionOptions = [
    { value: 0, label: `keep the ${E} for myself` },
    { value: 1, label: `contribute the ${E}: my partner gets ${E} and another ${E} goes to a cause I choose` }
  ]
  const causeOptions = p.causes.map((label, i) => ({ value: i, label }))
  const contributed = (moves: ReadonlyArray<RoleMove>, member: number): boolean =>
    valueOf(moves, member, "decision") === 1

  const step = (_round: number, moves: ReadonlyArray<RoleMove>): ReadonlyArray<DecisionRequest> => {
    if (!hasDecision(moves, "intention")) {
      return pair.map((m) => request(m, "intention", intentionOptions, { endowment: E }))
    }
    if (!hasDecision(moves, "decision")) {
      return pair.map((m) =>
        request(m, "decision", decisionOptions, { endowment: E, own_intention: madeValue(moves, m, "intention") })
      )
    }
    if (hasDecision(moves, "cause")) return []
    return pair
      .filter((m) => contributed(moves, m))
      .map((m) => request(m, "cause", causeOptions, { endowment: E, donated: E }))
  }

  const details = (history: History) => {
    const moves = history[0]?.moves ?? []
    return pair.map((m) => {
      const decision = valueOf(moves, m, "decision") ?? null
      const cause = valueOf(moves, m, "cause") ?? null
      return {
        intention: valueOf(moves, m, "intention") ?? null,
        contributed: decision,
        cause: cause === null ? null : (p.causes[cause] ?? null),
        donated: decision === null ? null : decision === 1 ? E : 0
      }
    })
  }

  return {
    kind: "paired-charity",
    groupSize: 2,
    rounds: 1,
    step,
    optional: new Set(["cause"]),
    payoffs: (_round, moves) =>
      pair.map((m) => (contributed(moves, m) ? 0 : E) + (contributed(moves, 1 - m) ? E : 0)),
    feedback: () => null,
    details
  }
}

export const make = (params: GameParams) => machineOf(rules(resolveOrThrow("paired-charity", read(params))))
