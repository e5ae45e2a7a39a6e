/**
 * The prisoner's dilemma, one-shot (`rounds` 1) or repeated with the same partner (Axelrod 1984).
 *
 * Each round is one step in which both members choose "cooperate" (0 = defect, 1 = cooperate) at once. Payoffs
 * per round from `payoffs` { temptation T, reward R, punishment P, sucker S }: both cooperate → R each; both
 * defect → P each; a defector against a cooperator gets T and the cooperator S. The matrix must satisfy
 * T > R > P > S (a dilemma) and 2R > T + S (taking turns to exploit each other does not beat mutual
 * cooperation).
 *
 * After each round, a member is told { round, partner_move ("cooperated"/"defected"), own_payoff,
 * total_so_far }. From round 2 on, theoryShift = reciprocity × (+1 if the partner cooperated in the previous
 * round, else −1): tit-for-tat-like reciprocity, an assumption of the synthetic respondent only.
 *
 * A missing move voids the match from its round; earlier rounds stand.
 *
 * Details per member over the rounds played in full: { cooperations, cooperation_rate, first_move (0/1) }
 * (null when no round was complete).
 */
import type { RoundResult } from "../domain/games.js"
import type { GameRules, History } from "./machine.js"
import { completeRounds, machineOf, madeValue, members, money, totalOf } from "./machine.js"
import type { GameParams } from "./params.js"
import { finite, integer, numberRecord, resolve, resolveOrThrow } from "./params.js"

export type Payoffs = {
  readonly temptation: number
  readonly reward: number
  readonly punishment: number
  readonly sucker: number
}

export type Params = {
  readonly rounds: number
  readonly payoffs: Payoffs
  readonly reciprocity: number
}

export const DEFAULTS: Params = Object.freeze({
  /** 1 for the one-shot game; more for the repeated game with the same partner. */
  rounds: 1,
  /** The payoff matrix; a scenario may override some keys and keep the rest. */
  payoffs: Object.freeze({ temptation: 5, reward: 3, punishment: 1, sucker: 0 }),
  /** Logit shift to cooperate after the partner cooperated (− after a defection), for the synthetic respondent. */
  reciprocity: 1
})

const read = (params: GameParams) =>
  resolve(
    params,
    DEFAULTS,
    {
      rounds: integer(1, 1000),
      payoffs: numberRecord(["temptation", "reward", "punishment", "sucker"]),
      reciprocity: finite
    },
    ({ payoffs: { temptation: T, reward: R, punishment: P, sucker: S } }) => [
      ...(T > R && R > P && P > S
        ? []
        : [`payoffs: must satisfy temptation > reward > punishment > sucker, got ${T}, ${R}, ${P}, ${S}`]),
      ...(2 * R > T + S
        ? []
        : [`payoffs: 2 × reward (${2 * R}) must exceed temptation + sucker (${money(T + S)}) for a dilemma`])
    ]
  )

export const problems = (params: GameParams): ReadonlyArray<string> => read(params).problems

const OPTIONS = [
  { value: 0, label: "defect" },
  { value: 1, label: "cooperate" }
]

export const rules = (p: Params): GameRules => {
  const { temptation: T, reward: R, punishment: P, sucker: S } = p.payoffs
  const pair = members(2)
  const movesOf = (r: RoundResult): ReadonlyArray<number> => pair.map((i) => madeValue(r.moves, i, "cooperate"))
  const pay = (own: number, partner: number): number =>
    own === 1 ? (partner === 1 ? R : S) : partner === 1 ? T : P

  const details = (history: History) => {
    const played = completeRounds(history).map(movesOf)
    return pair.map((i) => {
      if (played.length === 0) return { cooperations: null, cooperation_rate: null, first_move: null }
      const cooperations = played.filter((ms) => ms[i] === 1).length
      return {
        cooperations,
        cooperation_rate: money(cooperations / played.length),
        first_move: (played[0] as ReadonlyArray<number>)[i] as number
      }
    })
  }

  return {
    kind: "prisoners-dilemma",
    groupSize: 2,
    rounds: p.rounds,
    step: (round, moves, history) => {
      if (moves.length > 0) return []
      const previous = history[history.length - 1]
      const prev = previous === undefined ? null : movesOf(previous)
      return pair.map((i) => ({
        member: i,
        role: "player",
        decision: "cooperate",
        round,
        options: OPTIONS,
        facts: { round, rounds: p.rounds, temptation: T, reward: R, punishment: P, sucker: S },
        theoryShift: prev === null ? 0 : p.reciprocity * (prev[1 - i] === 1 ? 1 : -1)
      }))
    },
    payoffs: (_round, moves) => {
      const [a, b] = pair.map((i) => madeValue(moves, i, "cooperate")) as [number, number]
      return [pay(a, b), pay(b, a)]
    },
    feedback: (history, member) => {
      const last = history[history.length - 1] as RoundResult
      return {
        round: last.round,
        partner_move: movesOf(last)[1 - member] === 1 ? "cooperated" : "defected",
        own_payoff: last.payoffs[member] as number,
        total_so_far: totalOf(history, member)
      }
    },
    details
  }
}

export const make = (params: GameParams) => machineOf(rules(resolveOrThrow("prisoners-dilemma", read(params))))
