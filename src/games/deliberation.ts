/**
 * Deliberation on a policy or dilemma vignette, with opinion dynamics: the members of a group of n answer the
 * same question on an ordered scale (`options`, k labels, lowest first) in `rounds` rounds; round 1 is the
 * initial answer, and before each later round every member sees a sample of other members' previous answers
 * and may revise its own (a DeGroot-style social-influence design; rounds 1 means no deliberation).
 *
 * Each round is one step in which all members answer decision "position" at once, with option values 1…k
 * labelled by `options`. Facts: { round, rounds }, plus `own_previous` (the label of the member's own answer in
 * the previous round) from round 2 on. Nothing is paid: every round's payoffs are 0.
 *
 * After each round except the last, member i is told { round, sample, sample_mean }: `sample` lists the labels
 * of the answers that round of `sample_size` other members of its group, joined by "; ", and `sample_mean` is
 * the mean of their option values, rounded to 2 decimals. With sample_size 0 they are "none" and "n/a".
 *
 * The sample. Machines are pure, so the sample is a fixed rotation rather than an rng draw: after round r,
 * member i sees, for j = 0 … sample_size − 1, member
 *   (i + 1 + ((r − 1) · sample_size + j) mod (n − 1)) mod n.
 * The offset 1 + (… mod (n − 1)) lies in 1 … n − 1, so a member never sees itself; the sample_size offsets are
 * consecutive modulo n − 1 and sample_size ≤ n − 1, so no member appears twice in one sample. Each round moves
 * on by sample_size places, so successive rounds show different members (until the rotation wraps round), and
 * each member's sample is relative to its own position. The members' positions in the group are the engine's
 * seeded random matching, so the sample is in effect a seeded random sample of the group.
 *
 * From round 2 on, theoryShift of member i = influence × (sample mean − own previous value) / (k − 1) × 2,
 * using the sample i was shown after the previous round (0 with sample_size 0): a pull of the latent towards
 * the others' answers, at most ±2 × influence on the logit scale. An assumption of the synthetic respondent
 * only; a model revises (or not) from what it was shown.
 *
 * A missing answer voids the match from its round; earlier rounds stand.
 *
 * Details per member over the rounds played in full: { first, last, changed } — the option values of the first
 * and last answers and whether they differ (1) or not (0); null when no round was complete.
 */
import type { DecisionOption, RoundResult } from "../domain/games.js"
import type { GameRules, History } from "./machine.js"
import { completeRounds, machineOf, madeValue, members } from "./machine.js"
import type { GameParams } from "./params.js"
import { finite, integer, labels, resolve, resolveOrThrow } from "./params.js"

export type Params = {
  readonly group_size: number
  readonly rounds: number
  readonly sample_size: number
  readonly options: ReadonlyArray<string>
  readonly influence: number
}

export const DEFAULTS: Params = Object.freeze({
  /** Members per deliberation group; members only see answers from their own group. */
  group_size: 10,
  /** Round 1 is the initial answer, rounds 2… are revisions; 1 = no deliberation. */
  rounds: 3,
  /** Other members' previous answers each member sees before a revision; 0 ≤ sample_size < group_size. */
  sample_size: 3,
  /** The answer scale, lowest first (option values 1…k). */
  options: Object.freeze([
    "Strongly oppose",
    "Somewhat oppose",
    "Neither support nor oppose",
    "Somewhat support",
    "Strongly support"
  ]),
  /** Logit pull towards the sample's mean per half scale, for the synthetic respondent. */
  influence: 1
})

const read = (params: GameParams) =>
  resolve(
    params,
    DEFAULTS,
    {
      group_size: integer(2, 1000),
      rounds: integer(1, 1000),
      sample_size: integer(0, 999),
      options: labels({ min: 2 }),
      influence: finite
    },
    (v) =>
      v.sample_size < v.group_size
        ? []
        : [
            `sample_size: must be less than group_size (${v.group_size}): a member sees only the others in its ` +
              `group, got ${v.sample_size}`
          ]
  )

export const problems = (params: GameParams): ReadonlyArray<string> => read(params).problems

/** The members that `member` of a group of `n` sees after round `round` (see the module comment). */
export const sampleOf = (n: number, sampleSize: number, round: number, member: number): ReadonlyArray<number> =>
  Array.from({ length: sampleSize }, (_, j) => (member + 1 + (((round - 1) * sampleSize + j) % (n - 1))) % n)

const round2 = (x: number): number => Math.round(x * 100) / 100

export const rules = (p: Params): GameRules => {
  const n = p.group_size
  const k = p.options.length
  const group = members(n)
  const options: ReadonlyArray<DecisionOption> = p.options.map((label, i) => ({ value: i + 1, label }))
  const labelOf = (value: number): string => p.options[value - 1] as string
  const answers = (r: RoundResult): ReadonlyArray<number> => group.map((i) => madeValue(r.moves, i, "position"))
  /** The answers `member` is shown of round `r`, and their mean (null for an empty sample). */
  const shown = (r: RoundResult, member: number) => {
    const all = answers(r)
    const values = sampleOf(n, p.sample_size, r.round, member).map((j) => all[j] as number)
    const mean = values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length
    return { values, mean, own: all[member] as number }
  }

  const feedback = (history: History, member: number) => {
    const last = history[history.length - 1] as RoundResult
    if (last.round >= p.rounds) return null
    const { values, mean } = shown(last, member)
    return {
      round: last.round,
      sample: values.length === 0 ? "none" : values.map(labelOf).join("; "),
      sample_mean: mean === null ? "n/a" : round2(mean)
    }
  }

  const details = (history: History) => {
    const played = completeRounds(history).map(answers)
    return group.map((i) => {
      if (played.length === 0) return { first: null, last: null, changed: null }
      const first = (played[0] as ReadonlyArray<number>)[i] as number
      const last = (played[played.length - 1] as ReadonlyArray<number>)[i] as number
      return { first, last, changed: first === last ? 0 : 1 }
    })
  }

  return {
    kind: "deliberation",
    groupSize: n,
    rounds: p.rounds,
    step: (round, moves, history) => {
      if (moves.length > 0) return []
      const previous = history[history.length - 1]
      return group.map((i) => {
        if (previous === undefined) {
          return { member: i, role: "participant", decision: "position", round, options, facts: { round, rounds: p.rounds }, theoryShift: 0 }
        }
        const { mean, own } = shown(previous, i)
        return {
          member: i,
          role: "participant",
          decision: "position",
          round,
          options,
          facts: { round, rounds: p.rounds, own_previous: labelOf(own) },
          theoryShift: mean === null ? 0 : ((p.influence * (mean - own)) / (k - 1)) * 2
        }
      })
    },
    payoffs: () => group.map(() => 0),
    feedback,
    details
  }
}

export const make = (params: GameParams) => machineOf(rules(resolveOrThrow("deliberation", read(params))))
