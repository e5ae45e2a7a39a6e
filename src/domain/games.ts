/**
 * Interactive games as pure state machines (DESIGN.md "Scenario: game"). A machine knows the rules of one game
 * for one match (a pair or a group of agents): which decisions are due, how moves change the state, and the
 * payoffs. It knows nothing of prompts, models or storage: the engine asks the agents, feeds their moves back,
 * and logs everything. Machines are pure and deterministic, so every rule is unit-tested without a model.
 *
 * Members are numbered 0…n−1 within the match. Rounds are numbered from 1.
 */

export const GAME_KINDS = ["paired-charity", "dictator", "ultimatum", "trust", "public-goods", "prisoners-dilemma", "deliberation"] as const
export type GameKind = (typeof GAME_KINDS)[number]

/** One answer option of a decision, in canonical order (lowest value first). */
export interface DecisionOption {
  readonly value: number
  readonly label: string
}

/** A question the engine must put to one member now. */
export interface DecisionRequest {
  readonly member: number
  /** The member's role in the game, e.g. proposer, responder, investor, trustee, player. */
  readonly role: string
  /** What is decided, e.g. give, offer, accept, send, return, contribute, cooperate, intention, decision, cause. */
  readonly decision: string
  /**
   * The k-th asking (1, 2, …) of the same decision to the same member within a round (punishing each other member
   * of a public goods group in turn); absent for a decision asked once. Separates the draws of the askings.
   */
  readonly repeat?: number
  readonly round: number
  readonly options: ReadonlyArray<DecisionOption>
  /** Numbers and words the prompt template may use, e.g. { endowment: 10, offer: 4 }. */
  readonly facts: Readonly<Record<string, number | string>>
  /**
   * For the synthetic respondent only: a signed shift of the latent propensity that the game state implies, on
   * the latent (logit) scale; 0 when the state says nothing (e.g. a generous offer makes accepting likelier).
   */
  readonly theoryShift: number
}

/** A member's answer to a request; `value` is null when the move is missing (unreadable after its re-asks). */
export interface Move {
  readonly member: number
  readonly decision: string
  readonly value: number | null
}

/** What a member is told after a round (the facts of a feedback template), or null when nothing is shown. */
export type Feedback = Readonly<Record<string, number | string>> | null

export interface RoundResult {
  readonly round: number
  /** Every move of the round in the order they were applied. */
  readonly moves: ReadonlyArray<Move & { readonly role: string }>
  /** Each member's payoff from this round; null when the round was voided by a missing move. */
  readonly payoffs: ReadonlyArray<number | null>
}

export interface GameOutcome {
  /** complete: every round played; void: a missing move ended the match (see `voidedInRound`). */
  readonly status: "complete" | "void"
  readonly voidedInRound: number | null
  readonly rounds: ReadonlyArray<RoundResult>
  /** Each member's total over the rounds that were played in full; null for every member of a match voided in round 1. */
  readonly payoffs: ReadonlyArray<number | null>
  /** Game-specific results per member, e.g. { donated: 15, cause: 3 } in the paired charity game. */
  readonly details: ReadonlyArray<Readonly<Record<string, number | string | null>>>
}

/**
 * The rules of one game, parameterised by the scenario file. `S` is the machine's own immutable state.
 *
 * The engine's loop, for one match:
 * ```
 * let s = machine.init(members)
 * for (let due = machine.next(s); due.length > 0; due = machine.next(s)) {
 *   const moves = await ask(due)            // all requests of a step are independent and asked together
 *   s = machine.apply(s, moves)              // one move per request, same order
 *   for each member: show machine.feedback(s, member) if not null
 * }
 * const outcome = machine.outcome(s)
 * ```
 * A missing move (value null) voids the match from its round on: that round and later ones pay nothing
 * (payoffs null), earlier rounds stand, and `next` returns [] afterwards.
 */
export interface GameMachine<S> {
  readonly kind: GameKind
  /** Members per match (2 for pair games, the group size for public goods). */
  readonly groupSize: number
  readonly init: () => S
  /** The decisions due now; [] when the match is over. */
  readonly next: (state: S) => ReadonlyArray<DecisionRequest>
  /** Applies the moves answering exactly the requests last returned by `next` (same order). */
  readonly apply: (state: S, moves: ReadonlyArray<Move>) => S
  /** What `member` is told after the last `apply` (e.g. the partner's move and the round's payoff). */
  readonly feedback: (state: S, member: number) => Feedback
  readonly outcome: (state: S) => GameOutcome
}

/** How the theory model (synthetic backend) answers one decision. */
export interface DecisionTheory {
  /** Circle value the decision is centred on (ordered options: higher option = more of that motivation). */
  readonly peak?: string
  /** For unordered choices (e.g. the cause to donate to): the value each option is centred on, in option order. */
  readonly optionPeaks?: ReadonlyArray<string>
}

/** Prompt wording of a game; data, not code. `{…}` placeholders take the game's parameters and facts. */
export interface GamePrompts {
  /** First user message: the rules. Placeholders: the game's parameters. */
  readonly rules: string
  /** One template per decision key. Placeholders: the request's facts, {options}, {min}, {max}. */
  readonly decisions: Readonly<Record<string, string>>
  /** Shown after a round when the game gives feedback. Placeholders: the feedback facts. */
  readonly feedback: string
  /** One option line. Placeholders: {number} {label}. */
  readonly option: string
  /** Re-ask after an unreadable answer. Placeholders: {options} {min} {max}. */
  readonly reask: string
}

/** A game scenario as resolved from its file and stored in the run's manifest. */
export interface GameScenario {
  readonly kind: "game"
  readonly id: string
  readonly title: string
  /** Who wrote the wording and where the paradigm comes from. */
  readonly source: string
  readonly game: GameKind
  readonly params: Readonly<Record<string, unknown>>
  readonly prompts: GamePrompts
  readonly theory: Readonly<Record<string, DecisionTheory>>
  /** Context guard for repeated games: earlier rounds beyond this many are dropped from the conversation. */
  readonly maxHistoryRounds: number
}

/** Decisions answered with an amount: the reply is the number itself; other decisions pick a numbered option. */
export const AMOUNT_DECISIONS: ReadonlySet<string> = new Set(["give", "offer", "send", "return", "contribute", "punish"])
