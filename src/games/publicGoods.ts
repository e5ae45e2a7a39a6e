/**
 * The repeated linear public goods game (Isaac & Walker 1988; Fehr & Gächter 2000): each round every member of
 * a group of n puts part of an endowment E into a common pot, the pot is multiplied by `multiplier` and shared
 * equally.
 *
 * Each round is one step in which all members choose "contribute" c_i ∈ {0, step, …, E} at once. Round payoff
 * π_i = E − c_i + multiplier · Σc / n. The marginal per-capita return is multiplier / n, so the game is a social
 * dilemma (free riding pays each member, full contribution pays the group) exactly when 1 < multiplier < n;
 * other values are rejected. Payoffs are rounded to 9 decimals to remove floating-point noise.
 *
 * After each round, member i is told { round, contributions ("you 10; others 5, 0, 20": own first, then the
 * others in member order), group_total, others_mean (rounded to 2 decimals for display), own_contribution,
 * own_payoff, total_so_far }.
 *
 * From round 2 on, theoryShift of member i's contribution = conditional_slope × (others' mean contribution in
 * the previous round / E − 0.5): conditional cooperation (Fischbacher, Gächter & Fehr 2001), others giving more
 * than half the endowment pull contributions up. An assumption of the synthetic respondent only.
 *
 * A missing contribution voids the match from its round; earlier rounds stand.
 *
 * Details per member over the rounds played in full: { total_contribution, mean_contribution,
 * first_contribution, last_contribution } (null when no round was complete).
 */
import type { RoundResult } from "../domain/games.js"
import type { GameRules, History } from "./machine.js"
import { amountOptions, completeRounds, machineOf, madeValue, members, money, totalOf } from "./machine.js"
import type { GameParams } from "./params.js"
import { finite, integer, positive, resolve, resolveOrThrow, stepProblems } from "./params.js"

export type Params = {
  readonly group_size: number
  readonly rounds: number
  readonly endowment: number
  readonly multiplier: number
  readonly conditional_slope: number
  readonly step: number
}

export const DEFAULTS: Params = Object.freeze({
  /** Members per group. */
  group_size: 4,
  /** Rounds played by the same group. */
  rounds: 10,
  /** Each member's endowment, every round. */
  endowment: 20,
  /** Factor applied to the pot before equal sharing; must satisfy 1 < multiplier < group_size. */
  multiplier: 1.6,
  /** Logit shift per unit of the others' previous mean share above 0.5, for the synthetic respondent. */
  conditional_slope: 2,
  /** Contributions are multiples of `step`, which must divide the endowment. */
  step: 1
})

const read = (params: GameParams) =>
  resolve(
    params,
    DEFAULTS,
    {
      group_size: integer(2, 1000),
      rounds: integer(1, 1000),
      endowment: integer(1),
      multiplier: positive,
      conditional_slope: finite,
      step: integer(1)
    },
    (v) => [
      ...(v.multiplier > 1 && v.multiplier < v.group_size
        ? []
        : [
            `multiplier: must be between 1 and group_size (${v.group_size}), exclusive, for a social dilemma ` +
              `(marginal per-capita return ${money(v.multiplier / v.group_size)}), got ${v.multiplier}`
          ]),
      ...stepProblems(v.endowment, v.step)
    ]
  )

export const problems = (params: GameParams): ReadonlyArray<string> => read(params).problems

export const rules = (p: Params): GameRules => {
  const E = p.endowment
  const n = p.group_size
  const group = members(n)
  const options = amountOptions("contribute", E, p.step)
  const contributions = (r: RoundResult): ReadonlyArray<number> => group.map((i) => madeValue(r.moves, i, "contribute"))
  const othersMean = (cs: ReadonlyArray<number>, i: number): number =>
    cs.reduce((sum, c, j) => (j === i ? sum : sum + c), 0) / (n - 1)

  const feedback = (history: History, member: number) => {
    const last = history[history.length - 1] as RoundResult
    const cs = contributions(last)
    const others = cs.filter((_, j) => j !== member)
    return {
      round: last.round,
      contributions: `you ${cs[member]}; others ${others.join(", ")}`,
      group_total: cs.reduce((a, b) => a + b, 0),
      others_mean: Math.round(othersMean(cs, member) * 100) / 100,
      own_contribution: cs[member] as number,
      own_payoff: last.payoffs[member] as number,
      total_so_far: totalOf(history, member)
    }
  }

  const details = (history: History) => {
    const played = completeRounds(history).map(contributions)
    return group.map((i) => {
      if (played.length === 0) {
        return { total_contribution: null, mean_contribution: null, first_contribution: null, last_contribution: null }
      }
      const own = played.map((cs) => cs[i] as number)
      const total = own.reduce((a, b) => a + b, 0)
      return {
        total_contribution: total,
        mean_contribution: money(total / own.length),
        first_contribution: own[0] as number,
        last_contribution: own[own.length - 1] as number
      }
    })
  }

  return {
    kind: "public-goods",
    groupSize: n,
    rounds: p.rounds,
    step: (round, moves, history) => {
      if (moves.length > 0) return []
      const previous = history[history.length - 1]
      const prev = previous === undefined ? null : contributions(previous)
      return group.map((i) => ({
        member: i,
        role: "player",
        decision: "contribute",
        round,
        options,
        facts: { round, rounds: p.rounds, endowment: E, multiplier: p.multiplier, group_size: n },
        theoryShift: prev === null ? 0 : p.conditional_slope * (othersMean(prev, i) / E - 0.5)
      }))
    },
    payoffs: (_round, moves) => {
      const cs = group.map((i) => madeValue(moves, i, "contribute"))
      const share = (p.multiplier * cs.reduce((a, b) => a + b, 0)) / n
      return cs.map((c) => money(E - c + share))
    },
    feedback,
    details
  }
}

export const make = (params: GameParams) => machineOf(rules(resolveOrThrow("public-goods", read(params))))
