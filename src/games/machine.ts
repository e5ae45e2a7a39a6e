/**
 * The shared engine room of the six games: a generic, immutable match state and the `GameMachine` built from a
 * game's rules. A game only says, from the moves made so far, which decisions are due next within a round, what
 * a finished round pays, what each member is told afterwards and what the match's per-member details are; this
 * module does the bookkeeping common to all of them (checking moves, closing rounds, voiding on a missing move,
 * summing payoffs). Pure: no I/O, no randomness.
 */
import type {
  DecisionOption,
  DecisionRequest,
  Feedback,
  GameKind,
  GameMachine,
  GameOutcome,
  Move,
  RoundResult
} from "../domain/games.js"

export type RoleMove = Move & { readonly role: string }

/** A played (or voided) round plus nothing else: what rules see of the past. */
export type History = ReadonlyArray<RoundResult>

/**
 * The state of one match. Never mutated: `apply` returns a new object that shares the unchanged parts, so the
 * engine may keep (and log) every earlier state.
 */
export interface MatchState {
  /** The round being played; `rounds + 1` once the last round is closed. */
  readonly round: number
  /** Moves of the current, unfinished round, in the order they were applied. */
  readonly pending: ReadonlyArray<RoleMove>
  /** Closed rounds, oldest first; the last one has null payoffs when it was voided. */
  readonly rounds: History
  readonly voidedInRound: number | null
  /** What the last `apply` did: decides whether `feedback` has anything to say. */
  readonly last: "none" | "step" | "round" | "void"
}

export interface GameRules {
  readonly kind: GameKind
  readonly groupSize: number
  readonly rounds: number
  /**
   * The requests of the next step of `round`, given the moves already made in it (none null unless their
   * decision is optional); [] when the round is over. Must not return [] for a round with no moves yet.
   */
  readonly step: (round: number, moves: ReadonlyArray<RoleMove>, history: History) => ReadonlyArray<DecisionRequest>
  /** Each member's payoff for a finished round. */
  readonly payoffs: (round: number, moves: ReadonlyArray<RoleMove>, history: History) => ReadonlyArray<number>
  /** Decisions whose missing value does not void the match (the rules must then cope with a null value). */
  readonly optional?: ReadonlySet<string>
  /** What `member` is told after a round closes normally (`history` ends with that round); null for nothing. */
  readonly feedback: (history: History, member: number) => Feedback
  /** Per-member game-specific results over every round, including a voided last round. */
  readonly details: (history: History) => ReadonlyArray<Readonly<Record<string, number | string | null>>>
}

const INITIAL: MatchState = { round: 1, pending: [], rounds: [], voidedInRound: null, last: "none" }

const isOver = (rules: GameRules, s: MatchState): boolean => s.voidedInRound !== null || s.round > rules.rounds

const next = (rules: GameRules, s: MatchState): ReadonlyArray<DecisionRequest> =>
  isOver(rules, s) ? [] : rules.step(s.round, s.pending, s.rounds)

const describe = (r: DecisionRequest): string => `member ${r.member} ${r.decision}`

const checkMoves = (rules: GameRules, due: ReadonlyArray<DecisionRequest>, moves: ReadonlyArray<Move>): void => {
  if (due.length === 0) throw new RangeError(`${rules.kind}: apply called but no decision is due (match over)`)
  if (moves.length !== due.length) {
    throw new RangeError(
      `${rules.kind}: expected ${due.length} move(s) answering [${due.map(describe).join(", ")}], got ${moves.length}`
    )
  }
  due.forEach((r, i) => {
    const m = moves[i] as Move
    if (m.member !== r.member || m.decision !== r.decision) {
      throw new RangeError(
        `${rules.kind}: move ${i} is member ${m.member} ${m.decision}; expected ${describe(r)} (same order as next())`
      )
    }
    if (m.value !== null && !r.options.some((o) => o.value === m.value)) {
      throw new RangeError(
        `${rules.kind}: member ${m.member} ${m.decision} = ${m.value} is not one of the offered values ` +
          `[${r.options.map((o) => o.value).join(", ")}]`
      )
    }
  })
}

const apply = (rules: GameRules, s: MatchState, moves: ReadonlyArray<Move>): MatchState => {
  const due = next(rules, s)
  checkMoves(rules, due, moves)
  const pending = [
    ...s.pending,
    ...moves.map((m, i): RoleMove => ({
      member: m.member,
      decision: m.decision,
      value: m.value,
      role: (due[i] as DecisionRequest).role
    }))
  ]
  const voids = moves.some((m) => m.value === null && !(rules.optional?.has(m.decision) ?? false))
  if (voids) {
    const result: RoundResult = { round: s.round, moves: pending, payoffs: new Array(rules.groupSize).fill(null) }
    return { round: s.round, pending: [], rounds: [...s.rounds, result], voidedInRound: s.round, last: "void" }
  }
  if (rules.step(s.round, pending, s.rounds).length > 0) return { ...s, pending, last: "step" }
  const result: RoundResult = { round: s.round, moves: pending, payoffs: rules.payoffs(s.round, pending, s.rounds) }
  return { round: s.round + 1, pending: [], rounds: [...s.rounds, result], voidedInRound: null, last: "round" }
}

/** Rounds played in full: every round of the history except a voided last one. */
export const completeRounds = (history: History): History =>
  history.filter((r) => r.payoffs.every((p) => p !== null))

/** A member's payoff total over the rounds played in full. */
export const totalOf = (history: History, member: number): number =>
  money(completeRounds(history).reduce((sum, r) => sum + (r.payoffs[member] ?? 0), 0))

const outcome = (rules: GameRules, s: MatchState): GameOutcome => {
  if (!isOver(rules, s)) throw new RangeError(`${rules.kind}: outcome asked before the match is over`)
  const complete = completeRounds(s.rounds)
  const members = Array.from({ length: rules.groupSize }, (_, i) => i)
  return {
    status: s.voidedInRound === null ? "complete" : "void",
    voidedInRound: s.voidedInRound,
    rounds: s.rounds,
    payoffs: members.map((i) => (complete.length === 0 ? null : totalOf(s.rounds, i))),
    details: rules.details(s.rounds)
  }
}

/** The `GameMachine` for a game's rules; see `MatchState` for the state. */
export const machineOf = (rules: GameRules): GameMachine<MatchState> => ({
  kind: rules.kind,
  groupSize: rules.groupSize,
  init: () => INITIAL,
  next: (s) => next(rules, s),
  apply: (s, moves) => apply(rules, s, moves),
  feedback: (s, member) => {
    if (!Number.isInteger(member) || member < 0 || member >= rules.groupSize) {
      throw new RangeError(`${rules.kind}: no member ${member} in a match of ${rules.groupSize}`)
    }
    return s.last === "round" ? rules.feedback(s.rounds, member) : null
  },
  outcome: (s) => outcome(rules, s)
})

// ---------------------------------------------------------------------------------------------------------------
// Helpers for the rules

/**
 * Removes floating-point noise from money amounts (e.g. 20 − 10 + 1.6·35/4): rounds to 9 decimal places, far
 * below any amount a game can produce from whole-number moves and a multiplier with a few decimals.
 */
export const money = (x: number): number => Math.round(x * 1e9) / 1e9

/** The value of `member`'s `decision` among `moves`; undefined when it was not made, null when it was missing. */
export const valueOf = (moves: ReadonlyArray<Move>, member: number, decision: string): number | null | undefined =>
  moves.find((m) => m.member === member && m.decision === decision)?.value

/** Like `valueOf`, for a move the rules know was made and is not null (a broken invariant otherwise). */
export const madeValue = (moves: ReadonlyArray<Move>, member: number, decision: string): number => {
  const v = valueOf(moves, member, decision)
  if (v === undefined || v === null) throw new RangeError(`member ${member} has no ${decision} move`)
  return v
}

export const hasDecision = (moves: ReadonlyArray<Move>, decision: string): boolean =>
  moves.some((m) => m.decision === decision)

/** Amount options 0, step, 2·step, …, max labelled "<verb> x of <max>", e.g. "give 3 of 10". */
export const amountOptions = (verb: string, max: number, step: number): ReadonlyArray<DecisionOption> => {
  const options: Array<DecisionOption> = []
  for (let k = 0; k * step <= max; k++) options.push({ value: k * step, label: `${verb} ${k * step} of ${max}` })
  return options
}

export const members = (n: number): ReadonlyArray<number> => Array.from({ length: n }, (_, i) => i)
