/**
 * The six economic games and the deliberation vignette as pure state machines (see `GameMachine` in
 * src/domain/games.ts), built from the plain parameters of a scenario file.
 *
 * Parameters and defaults (every amount a whole number, on a grid of `step` where there is one):
 * - paired-charity: endowment 15, causes (nine cause types), intention_labels (7 labels, 1 = keep … 7 = contribute)
 * - dictator: endowment 10, step 1
 * - ultimatum: endowment 10, step 1, fairness_slope 6
 * - trust: endowment 10, multiplier 3 (whole number), step 1
 * - public-goods: group_size 4, rounds 10, endowment 20, multiplier 1.6 (1 < m < group_size), conditional_slope 2,
 *   step 1
 * - prisoners-dilemma: rounds 1, payoffs { temptation 5, reward 3, punishment 1, sucker 0 } (T > R > P > S,
 *   2R > T + S), reciprocity 1
 * - deliberation: group_size 10, rounds 3, sample_size 3 (0 ≤ sample_size < group_size), options (5-point scale
 *   "Strongly oppose" … "Strongly support", at least 2 labels, lowest first), influence 1
 *
 * Each game's module comment gives its rules, feedback, synthetic-respondent `theoryShift` and details.
 */
import type { GameKind, GameMachine } from "../domain/games.js"
import * as deliberation from "./deliberation.js"
import * as dictator from "./dictator.js"
import * as pairedCharity from "./pairedCharity.js"
import type { MatchState } from "./machine.js"
import type { GameParams } from "./params.js"
import * as prisonersDilemma from "./prisonersDilemma.js"
import * as publicGoods from "./publicGoods.js"
import * as trust from "./trust.js"
import * as ultimatum from "./ultimatum.js"

export type { GameParams } from "./params.js"
export type { MatchState } from "./machine.js"

export const PAIRED_CHARITY_DEFAULTS = pairedCharity.DEFAULTS
export const DICTATOR_DEFAULTS = dictator.DEFAULTS
export const ULTIMATUM_DEFAULTS = ultimatum.DEFAULTS
export const TRUST_DEFAULTS = trust.DEFAULTS
export const PUBLIC_GOODS_DEFAULTS = publicGoods.DEFAULTS
export const PRISONERS_DILEMMA_DEFAULTS = prisonersDilemma.DEFAULTS
export const DELIBERATION_DEFAULTS = deliberation.DEFAULTS

interface GameModule {
  readonly DEFAULTS: GameParams
  readonly problems: (params: GameParams) => ReadonlyArray<string>
  readonly make: (params: GameParams) => GameMachine<MatchState>
}

const GAMES: { readonly [K in GameKind]: GameModule } = {
  "paired-charity": pairedCharity,
  dictator,
  ultimatum,
  trust,
  "public-goods": publicGoods,
  "prisoners-dilemma": prisonersDilemma,
  deliberation
}

/** Every game's defaults, by kind: what an empty `params` block means. */
export const GAME_DEFAULTS: { readonly [K in GameKind]: GameParams } = {
  "paired-charity": pairedCharity.DEFAULTS,
  dictator: dictator.DEFAULTS,
  ultimatum: ultimatum.DEFAULTS,
  trust: trust.DEFAULTS,
  "public-goods": publicGoods.DEFAULTS,
  "prisoners-dilemma": prisonersDilemma.DEFAULTS,
  deliberation: deliberation.DEFAULTS
}

/**
 * What is wrong with `params` for a game of `kind`, as readable "field: message" lines (unknown parameter, wrong
 * type or range, a payoff structure that is not a social dilemma); [] when they are fine. Omitted fields take
 * the defaults.
 */
export const gameParamProblems = (kind: GameKind, params: GameParams): Array<string> => [
  ...GAMES[kind].problems(params)
]

/**
 * The state machine for one match of a `kind` game with `params` (omitted fields take the defaults).
 *
 * @throws {RangeError} when `gameParamProblems(kind, params)` is not empty; the message lists the problems.
 */
export const makeGame = (kind: GameKind, params: GameParams): GameMachine<unknown> =>
  // The state type is hidden from callers, who only ever hand a machine the states it returned itself.
  GAMES[kind].make(params) as GameMachine<unknown>
