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
 *
 * Punishment (`punishment: true`; the rule change of Fehr & Gächter 2000): after the contributions of a round each
 * member may assign punishment points to each other member, in n − 1 steps, one per other member (others in
 * member order, as the feedback lists them), decision "punish" with `repeat` k = 1 … n − 1 and facts { round,
 * rounds, other (k), other_contribution, own_contribution, contributions, max_punishment }; amounts 0 …
 * max_punishment, each option labelled with the member punished ("assign 3 of 10 to member 2", as the export
 * numbers members), so every stored move names its target. Each point costs the punisher `punishment_cost` and takes `punishment_impact` from the punished:
 * π_i = E − c_i + multiplier · Σc / n − punishment_cost · Σ_j p_ij − punishment_impact · Σ_j p_ji (it can be
 * negative). Default ratio 1:3. The feedback gains { punishment_received, punishment_given } (points) and the
 * details { total_punishment_received, total_punishment_given }.
 * Synthetic respondent only: punishing member j has theoryShift punishment_base + punishment_slope × max(0, own
 * contribution − j's) / E (free riders below the punisher are punished, more the further below; Fehr & Gächter
 * report that pattern), and from round 2 a contribution's shift gains deterrence × (points received in the previous
 * round / max_punishment). Both are assumptions of the theory model, not fitted to any human figure.
 */
import type { Move, RoundResult } from "../domain/games.js"
import type { GameRules, History } from "./machine.js"
import { amountOptions, completeRounds, machineOf, madeValue, members, money, totalOf } from "./machine.js"
import type { GameParams } from "./params.js"
import { finite, flag, integer, positive, resolve, resolveOrThrow, stepProblems } from "./params.js"

export type Params = {
  readonly group_size: number
  readonly rounds: number
  readonly endowment: number
  readonly multiplier: number
  readonly conditional_slope: number
  readonly step: number
  readonly punishment: boolean
  readonly punishment_cost: number
  readonly punishment_impact: number
  readonly max_punishment: number
  readonly punishment_base: number
  readonly punishment_slope: number
  readonly deterrence: number
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
  step: 1,
  /** A punishment stage after each round's contributions. */
  punishment: false,
  /** What one punishment point costs the member who assigns it. */
  punishment_cost: 1,
  /** What one punishment point takes from the member who receives it. */
  punishment_impact: 3,
  /** Most points one member may assign to another in a round. */
  max_punishment: 10,
  /** Synthetic respondent: latent shift of punishing a member who gave at least as much as the punisher. */
  punishment_base: -4,
  /** Synthetic respondent: latent shift per unit of (punisher's − target's contribution) / endowment. */
  punishment_slope: 6,
  /** Synthetic respondent: latent shift of the next contribution per max_punishment points received. */
  deterrence: 3
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
      step: integer(1),
      punishment: flag,
      punishment_cost: positive,
      punishment_impact: positive,
      max_punishment: integer(1, 100),
      punishment_base: finite,
      punishment_slope: finite,
      deterrence: finite
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
  // Labelled with the member punished (as the export numbers members), so each stored move names its target.
  const punishOptions = group.map((target) => amountOptions("assign", p.max_punishment, 1).map((o) => ({ ...o, label: `${o.label} to member ${target}` })))
  const contributions = (r: { readonly moves: ReadonlyArray<Move> }): ReadonlyArray<number> => group.map((i) => madeValue(r.moves, i, "contribute"))
  const othersMean = (cs: ReadonlyArray<number>, i: number): number =>
    cs.reduce((sum, c, j) => (j === i ? sum : sum + c), 0) / (n - 1)
  const othersOf = (i: number): ReadonlyArray<number> => group.filter((j) => j !== i)
  /** points[i][j]: what member i assigned member j this round (all 0 without punishment). */
  const points = (moves: ReadonlyArray<Move>): Array<Array<number>> => {
    const out = group.map(() => group.map(() => 0))
    if (!p.punishment) return out
    for (const i of group) {
      const targets = othersOf(i)
      moves.filter((m) => m.member === i && m.decision === "punish").forEach((m, k) => {
        out[i]![targets[k]!] = m.value ?? 0
      })
    }
    return out
  }
  const received = (pts: ReadonlyArray<ReadonlyArray<number>>, j: number) => group.reduce((a, i) => a + pts[i]![j]!, 0)
  const given = (pts: ReadonlyArray<ReadonlyArray<number>>, i: number) => pts[i]!.reduce((a, b) => a + b, 0)
  const listed = (cs: ReadonlyArray<number>, member: number) => `you ${cs[member]}; others ${othersOf(member).map((j) => cs[j]).join(", ")}`

  const feedback = (history: History, member: number) => {
    const last = history[history.length - 1] as RoundResult
    const cs = contributions(last)
    const pts = points(last.moves)
    return {
      round: last.round,
      contributions: listed(cs, member),
      group_total: cs.reduce((a, b) => a + b, 0),
      others_mean: Math.round(othersMean(cs, member) * 100) / 100,
      own_contribution: cs[member] as number,
      own_payoff: last.payoffs[member] as number,
      total_so_far: totalOf(history, member),
      ...(p.punishment ? { punishment_received: received(pts, member), punishment_given: given(pts, member) } : {})
    }
  }

  const details = (history: History) => {
    const complete = completeRounds(history)
    const played = complete.map(contributions)
    const punished = complete.map((r) => points(r.moves))
    return group.map((i) => {
      const sums = p.punishment
        ? {
          total_punishment_received: played.length === 0 ? null : punished.reduce((a, pts) => a + received(pts, i), 0),
          total_punishment_given: played.length === 0 ? null : punished.reduce((a, pts) => a + given(pts, i), 0)
        }
        : {}
      if (played.length === 0) {
        return { total_contribution: null, mean_contribution: null, first_contribution: null, last_contribution: null, ...sums }
      }
      const own = played.map((cs) => cs[i] as number)
      const total = own.reduce((a, b) => a + b, 0)
      return {
        total_contribution: total,
        mean_contribution: money(total / own.length),
        first_contribution: own[0] as number,
        last_contribution: own[own.length - 1] as number,
        ...sums
      }
    })
  }

  /** The contributions of a round, then (with punishment) one step per other member: whom k = 1 … n − 1 to punish. */
  const step = (round: number, moves: ReadonlyArray<Move>, history: History) => {
    if (moves.length === 0) {
      const previous = history[history.length - 1]
      const prev = previous === undefined ? null : contributions(previous)
      const pts = previous === undefined ? null : points(previous.moves)
      return group.map((i) => ({
        member: i,
        role: "player",
        decision: "contribute",
        round,
        options,
        facts: { round, rounds: p.rounds, endowment: E, multiplier: p.multiplier, group_size: n },
        theoryShift:
          prev === null
            ? 0
            : p.conditional_slope * (othersMean(prev, i) / E - 0.5) + (p.punishment ? (p.deterrence * received(pts!, i)) / p.max_punishment : 0)
      }))
    }
    const k = (moves.length - n) / n + 1
    if (!p.punishment || k > n - 1) return []
    const cs = contributions({ moves })
    return group.map((i) => {
      const target = othersOf(i)[k - 1]!
      return {
        member: i,
        role: "player",
        decision: "punish",
        repeat: k,
        round,
        options: punishOptions[target]!,
        facts: {
          round,
          rounds: p.rounds,
          other: k,
          other_contribution: cs[target]!,
          own_contribution: cs[i]!,
          contributions: listed(cs, i),
          max_punishment: p.max_punishment
        },
        theoryShift: p.punishment_base + (p.punishment_slope * Math.max(0, cs[i]! - cs[target]!)) / E
      }
    })
  }

  return {
    kind: "public-goods",
    groupSize: n,
    rounds: p.rounds,
    step,
    payoffs: (_round, moves) => {
      const cs = contributions({ moves })
      const share = (p.multiplier * cs.reduce((a, b) => a + b, 0)) / n
      const pts = points(moves)
      return cs.map((c, i) => money(E - c + share - p.punishment_cost * given(pts, i) - p.punishment_impact * received(pts, i)))
    },
    feedback,
    details
  }
}

export const make = (params: GameParams) => machineOf(rules(resolveOrThrow("public-goods", read(params))))
