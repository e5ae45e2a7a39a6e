import { Effect, Stream } from "effect"
import type { RunSpec } from "../config/RunSpec.js"
import type { ChatMessage } from "../domain/answers.js"
import type { DecisionRequest, GameMachine, GameScenario, Move } from "../domain/games.js"
import { AMOUNT_DECISIONS } from "../domain/games.js"
import type { PresentedChoice } from "../domain/questionnaire.js"
import { positionOn, VALUES_10, type Value10 } from "../domain/values.js"
import { GAME_DEFAULTS, makeGame } from "../games/index.js"
import { matchGroups } from "../sampling/matching.js"
import { categorical, stream } from "../sampling/rng.js"
import { choiceDistribution, decisionDistribution, latentProfile, PROFILE_LENGTH, SYNTHETIC_DEFAULTS } from "../sampling/synthetic.js"
import { readAgentConditions, readPendingMatches, type PendingMatch } from "../store/reads.js"
import type { MatchResult, MoveRow, RunDb } from "../store/RunStore.js"
import type { ResultWriter } from "../store/ResultWriter.js"
import { fill, openingMessages } from "./prompts.js"
import { yieldToEventLoop } from "./QuestionnaireRunner.js"
import { parseAnswer } from "../llm/scoring.js"
import { isShared, sampleNonce, shapeOf } from "../scoring/methods.js"
import { askShared } from "../scoring/askShared.js"
import type { Asker } from "./RequestCache.js"
import { armShift } from "../experiments/arms.js"

/** The game scenario of a step (throws for a questionnaire step: an engine bug). */
export const gameOf = (spec: RunSpec, step: number): GameScenario => {
  const s = spec.steps[step]!
  if (s.kind !== "game") throw new Error(`step ${step} is not a game`)
  return s.game
}

/**
 * The seeded matching of a game step, fixed when the run is planned: all agents shuffled with the stream
 * (seed, "matching", step) and cut into groups of the game's size; the remainder sits the game out.
 */
export const planMatches = (spec: RunSpec, step: number, agentIds: ReadonlyArray<number>) => {
  const game = gameOf(spec, step)
  return matchGroups(agentIds, makeGame(game.game, game.params).groupSize, stream(spec.seed, "matching", step))
}

/** How a decision is shown: amounts are answered with the number itself, other decisions with an option number. */
export const decisionChoices = (d: DecisionRequest): Array<PresentedChoice> =>
  AMOUNT_DECISIONS.has(d.decision)
    ? d.options.map((o) => ({ token: String(o.value), label: o.label, value: o.value }))
    : d.options.map((o, i) => ({ token: String(i + 1), label: o.label, value: o.value }))

const factsText = (facts: Readonly<Record<string, number | string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(facts).map(([k, v]) => [k, String(v)]))

/** The game's parameters with their defaults, nested objects flattened one level (payoffs.reward → reward). */
export const paramsText = (game: Pick<GameScenario, "game" | "params">): Record<string, string> => {
  const out: Record<string, string> = {}
  const add = (k: string, v: unknown) => {
    if (typeof v === "number" || typeof v === "string") out[k] = String(v)
    else if (typeof v === "object" && v !== null && !Array.isArray(v)) for (const [kk, vv] of Object.entries(v)) add(kk, vv)
  }
  for (const [k, v] of Object.entries({ ...GAME_DEFAULTS[game.game], ...game.params })) add(k, v)
  return out
}

const choiceVars = (game: GameScenario, choices: ReadonlyArray<PresentedChoice>) => ({
  options: choices.map((c) => fill(game.prompts.option, { number: c.token, label: c.label })).join("\n"),
  min: choices[0]?.token ?? "",
  max: choices[choices.length - 1]?.token ?? ""
})

/** The text asking one decision. */
export const decisionText = (game: GameScenario, d: DecisionRequest): string =>
  fill(game.prompts.decisions[d.decision] ?? `{options}`, { ...paramsText(game), ...factsText(d.facts), ...choiceVars(game, decisionChoices(d)) })

const rulesText = (game: GameScenario): string => fill(game.prompts.rules, paramsText(game))

/** The first decision a member of a new match of a game step is asked. */
export const firstDecision = (spec: RunSpec, step: number): DecisionRequest => {
  const game = gameOf(spec, step)
  const machine = makeGame(game.game, game.params)
  return machine.next(machine.init())[0]!
}

/** The user messages of the first decision a member of a new match is asked (used by the start-up probe). */
export const firstGameMessages = (spec: RunSpec, step: number, system: string | null): Array<ChatMessage> => {
  const game = gameOf(spec, step)
  return [...openingMessages(system), { role: "user", content: `${rulesText(game)}\n\n${decisionText(game, firstDecision(spec, step))}` }]
}

/** Chooses a move for one request: value (or null when missing) and the record of how. */
type Decide = (member: number, d: DecisionRequest) => Effect.Effect<MoveRow, { readonly message: string }>

interface PlayedMatch {
  readonly moves: Array<MoveRow>
  readonly machine: GameMachine<unknown>
  readonly state: unknown
}

/** Plays one match to its end with `decide`; `onFeedback` hears what each member is told after each step. */
const play = (game: GameScenario, decide: Decide, onFeedback: (member: number, text: string) => void) =>
  Effect.gen(function* () {
    const machine = makeGame(game.game, game.params)
    let state = machine.init()
    const moves: Array<MoveRow> = []
    for (let due = machine.next(state); due.length > 0; due = machine.next(state)) {
      const rows = yield* Effect.forEach(due, (d) => decide(d.member, d), { concurrency: "unbounded" })
      moves.push(...rows)
      state = machine.apply(state, rows.map((r, i): Move => ({ member: due[i]!.member, decision: due[i]!.decision, value: r.value })))
      for (let m = 0; m < machine.groupSize; m++) {
        const facts = machine.feedback(state, m)
        if (facts !== null) onFeedback(m, fill(game.prompts.feedback, { ...paramsText(game), ...factsText(facts) }))
      }
    }
    return { moves, machine, state } satisfies PlayedMatch
  })

const toResult = (step: number, m: PendingMatch, played: PlayedMatch): MatchResult => {
  const outcome = played.machine.outcome(played.state)
  return {
    _tag: "Match",
    step,
    matchId: m.matchId,
    members: m.members,
    redo: m.failedBefore,
    failed: false,
    moves: played.moves,
    outcome,
    results: m.members.map((_, i) => ({ status: outcome.status, payoff: outcome.payoffs[i] ?? null, details: outcome.details[i] ?? {} }))
  }
}

const peakIndex = (code: string | undefined): number => (code === undefined ? -1 : VALUES_10.indexOf(code as Value10))

/** The theory model's decisions for the members of one match. */
const syntheticDecide = (spec: RunSpec, step: number, game: GameScenario, members: ReadonlyArray<number>, conditionOf: (agentId: number) => number): Decide => {
  const profiles = members.map((agentId) => {
    const cond = spec.population.conditions[conditionOf(agentId)]
    // Games use the ten-value circle; a refined-value condition sits at its basic value's nearest position.
    const pos = cond?.value ? positionOn("basic", spec.population.values ?? "basic", cond.value) : null
    const dominant = pos === null ? null : Math.round(pos) % VALUES_10.length
    // The same latent profile as in the run's questionnaires: values and game behaviour come from one person.
    return latentProfile(dominant, stream(spec.seed, "profile", agentId), SYNTHETIC_DEFAULTS, new Float64Array(PROFILE_LENGTH))
  })
  // An arm of an experiment plants its effect on every ordered decision of the game (latent logit scale).
  const shift = armShift(spec.steps[step]!)
  return (member, d) =>
    Effect.sync(() => {
      const agentId = members[member]!
      const theory = game.theory[d.decision] ?? {}
      const k = d.options.length
      const dist = new Float64Array(k)
      if (theory.optionPeaks !== undefined) choiceDistribution(profiles[member]!, theory.optionPeaks.map(peakIndex), dist)
      else decisionDistribution(profiles[member]!, peakIndex(theory.peak), d.theoryShift + shift, k, dist)
      const idx = categorical(dist, stream(spec.seed, "game", step, agentId, d.round, d.decision, ...(d.repeat === undefined ? [] : [d.repeat])))
      const choice = decisionChoices(d)[idx]!
      return {
        round: d.round, agentId, member, role: d.role, decision: d.decision, value: choice.value, label: choice.label,
        scoring: "synthetic", requestKey: null, dist: Array.from(dist), raw: choice.token, attempts: 0, error: null
      }
    })
}

interface Turn {
  readonly round: number
  readonly user: string
  readonly assistant: string
}

/** A model's decisions: each member keeps its own conversation (rules, its decisions, the feedback it saw). */
const llmDecide = (
  spec: RunSpec,
  step: number,
  game: GameScenario,
  members: ReadonlyArray<number>,
  conditionOf: (agentId: number) => number,
  asker: Asker
) => {
  const turns: Array<Array<Turn>> = members.map(() => [])
  const pendingFeedback: Array<Array<string>> = members.map(() => [])
  const rules = rulesText(game)
  /**
   * The conversation for a new decision: the member's system prompt, its earlier turns (only those of the last
   * `maxHistoryRounds` rounds: the context guard of repeated games), then `user`. The rules always lead the
   * first user message shown.
   */
  const conversation = (member: number, round: number, user: string): Array<ChatMessage> => {
    const cond = spec.population.conditions[conditionOf(members[member]!)]
    const kept = turns[member]!.filter((t) => t.round > round - game.maxHistoryRounds)
    const messages: Array<ChatMessage> = [...openingMessages(cond?.system ?? null)]
    const withRules = (text: string, first: boolean) => (first ? `${rules}\n\n${text}` : text)
    kept.forEach((t, i) => {
      messages.push({ role: "user", content: withRules(t.user, i === 0) })
      messages.push({ role: "assistant", content: t.assistant })
    })
    messages.push({ role: "user", content: withRules(user, kept.length === 0) })
    return messages
  }
  const decide: Decide = (member, d) =>
    Effect.gen(function* () {
      const agentId = members[member]!
      const choices = decisionChoices(d)
      const feedback = pendingFeedback[member]!.splice(0)
      const user = [...feedback, decisionText(game, d)].join("\n\n")
      const first = conversation(member, d.round, user)
      const draw = stream(spec.seed, "game", step, agentId, d.round, d.decision, ...(d.repeat === undefined ? [] : [d.repeat]))
      const said = (token: string) => turns[member]!.push({ round: d.round, user, assistant: token })
      if (isShared(spec.backend.scoring)) {
        // Shared wherever the conversation is identical (every member's first decision of a condition): the
        // methods of the backend's chain in turn (logprob → stated, constrained → stated, stated), each agent
        // drawing its own move from the shared distribution with its own stream.
        const o = yield* askShared(spec.backend, asker, first, choices, 1)
        if (o.kind === "failed") return yield* Effect.fail(o.error)
        if (o.kind === "dist") {
          const choice = choices[categorical(o.presented, draw)]!
          said(choice.token)
          return {
            round: d.round, agentId, member, role: d.role, decision: d.decision, value: choice.value, label: choice.label,
            scoring: o.method, requestKey: o.key, dist: [...o.presented], raw: choice.token, attempts: o.asks, error: null,
            mass: Number.isNaN(o.mass) ? null : o.mass
          } satisfies MoveRow
        }
        // No shared method gave a usable distribution: this agent asks on its own (below), its reply parsed.
      }
      // A parsed reply is the agent's own, except at temperature 0, where identical prompts get identical replies
      // and share one request. A fallback gets room for an opener before the option (`**4**`, `Answer: 4`).
      const nonce = sampleNonce(spec.backend, agentId)
      const shape = shapeOf(spec.backend, "sample")
      let messages = first
      for (let asks = 1; ; asks++) {
        const asked = yield* asker.ask(messages, nonce, undefined, 1, shape)
        const text = asked.completion.text
        const idx = parseAnswer(text, choices)
        if (idx !== null || asks > spec.backend.reasks) {
          const choice = idx === null ? null : choices[idx]!
          said(choice === null ? text : choice.token)
          return {
            round: d.round, agentId, member, role: d.role, decision: d.decision, value: choice?.value ?? null, label: choice?.label ?? null,
            scoring: "sample", requestKey: asked.key, dist: null, raw: text, attempts: asks,
            error: choice === null ? "unreadable answer after the last re-ask" : null, fellBack: isShared(spec.backend.scoring)
          } satisfies MoveRow
        }
        messages = [
          ...messages,
          { role: "assistant", content: text },
          { role: "user", content: fill(game.prompts.reask, choiceVars(game, choices)) }
        ]
      }
    })
  return { decide, onFeedback: (member: number, text: string) => void pendingFeedback[member]!.push(text) }
}


/** Plays every pending match of a game step, streaming each finished match to the writer. */
export const runGameStep = (
  spec: RunSpec,
  step: number,
  db: RunDb,
  writer: ResultWriter,
  asker: Asker | null,
  gate: Effect.Effect<void> = Effect.void
) =>
  Effect.gen(function* () {
    const game = gameOf(spec, step)
    const pending = readPendingMatches(db, step)
    const conditions = readAgentConditions(db)
    const conditionOf = (agentId: number) => conditions[agentId] ?? 0

    if (asker === null) {
      let n = 0
      for (const m of pending) {
        yield* gate
        const played = yield* play(game, syntheticDecide(spec, step, game, m.members, conditionOf), () => undefined)
        yield* writer.write(toResult(step, m, played))
        if (++n % 64 === 0) yield* yieldToEventLoop
      }
      return
    }
    const matchConcurrency = Math.max(8, spec.backend.concurrency * 2)
    yield* Stream.fromIterable(pending).pipe(
      Stream.mapEffect(
        (m) => {
          const { decide, onFeedback } = llmDecide(spec, step, game, m.members, conditionOf, asker)
          return play(game, decide, onFeedback).pipe(
            Effect.map((played) => toResult(step, m, played)),
            // A request that failed for good leaves the match to `resume` (its answered requests are cached).
            Effect.catchAll(() =>
              Effect.succeed<MatchResult>({ _tag: "Match", step, matchId: m.matchId, members: m.members, redo: m.failedBefore, failed: true, moves: [], outcome: null, results: [] })
            )
          )
        },
        { concurrency: matchConcurrency, unordered: true }
      ),
      Stream.runForEach((r) => writer.write(r))
    )
  })
