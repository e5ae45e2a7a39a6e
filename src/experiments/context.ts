/**
 * A panel's repeat with `context: answers` (issue 24): the agent's own earlier exchange leads the conversation in
 * which it is asked again. Shown, in order: the first asking of the questionnaire (step `pre`) and every step
 * between it and the repeat that the agent took part in —
 * - a questionnaire (the first asking, a vignette): one conversation, item by item, each item's turn as the
 *   questionnaire words it and the agent's stored answer as its reply (the option it chose, as presented; an item
 *   it left unanswered is left out). A questionnaire first asked item by item or in one batch is shown this way too.
 * - a game (a deliberation, a public goods game): the agent's own match replayed from its stored moves — the rules,
 *   each decision it was asked with the feedback it had seen before it, and its answer — within the game's own
 *   history window (`max_history_rounds`). The feedback after its last decision it never saw in the game, and it is
 *   not shown here either.
 * - a society step: not shown (its rounds are summaries, not a conversation).
 * Steps an agent did not take (another arm of a `between` experiment, a game it sat out) add nothing.
 *
 * Requests then differ from agent to agent: under the shared scoring methods a question is asked once per
 * condition and distinct exchange (agents whose earlier answers are all the same share one request), under sample
 * scoring once per agent. The synthetic theory model has no conversation: the context changes nothing it answers.
 */
import type { RunSpec } from "../config/RunSpec.js"
import type { ChatMessage } from "../domain/answers.js"
import type { GameScenario, Move } from "../domain/games.js"
import { presentedChoices, type Questionnaire } from "../domain/questionnaire.js"
import { decisionChoices, decisionText, paramsText } from "../engine/GameRunner.js"
import { fill, itemTurn } from "../engine/prompts.js"
import { makeGame } from "../games/index.js"
import { exchangeReads, unitsNotDone } from "../store/panelReads.js"
import type { RunDb } from "../store/RunStore.js"
import type { Panel } from "./arms.js"

/** The panel whose repeat is run step `step` and shows earlier answers, if there is one. */
export const contextPanelOf = (spec: RunSpec, step: number): Panel | undefined =>
  spec.panels?.find((p) => p.post === step && p.context === "answers")

/** Earlier exchange of each of some agents, as messages that go after the system prompt. */
export type AgentContext = (agentIds: ReadonlyArray<number>) => ReadonlyMap<number, ReadonlyArray<ChatMessage>>

/**
 * The moves of one match of `game` played with the same option everywhere (`middle`: the middle one, as plans
 * estimate; `highest`: the last, which reaches every stage a game has): every member's, in the order made.
 */
export const playedThrough = (game: GameScenario, pick: "middle" | "highest"): Array<Move> => {
  const machine = makeGame(game.game, game.params)
  const moves: Array<Move> = []
  let state = machine.init()
  for (let due = machine.next(state); due.length > 0; due = machine.next(state)) {
    const made = due.map((d): Move => ({ member: d.member, decision: d.decision, value: d.options[pick === "middle" ? Math.floor(d.options.length / 2) : d.options.length - 1]!.value }))
    moves.push(...made)
    state = machine.apply(state, made)
  }
  return moves
}

/** One questionnaire's items and the agent's answers (canonical values; NaN for none) as a conversation. */
export const questionnaireExchange = (q: Questionnaire, values: ArrayLike<number>): Array<ChatMessage> => {
  const choices = presentedChoices(q)
  const out: Array<ChatMessage> = []
  q.items.forEach((item, i) => {
    const chosen = choices.find((c) => c.value === values[i])
    if (chosen === undefined) return
    out.push(itemTurn(q.prompts, item, choices, out.length === 0), { role: "assistant", content: chosen.token })
  })
  return out
}

/**
 * A member's side of one match, replayed from the match's moves (every member's, in the order they were made): its
 * decisions as asked (the rules before the first shown, feedback before the decision that followed it) with its
 * answers, the last `maxHistoryRounds` rounds of them. Stops where the stored moves stop or leave the rules.
 */
export const gameExchange = (game: GameScenario, member: number, moves: ReadonlyArray<Move>): Array<ChatMessage> => {
  const machine = makeGame(game.game, game.params)
  const params = paramsText(game)
  const turns: Array<{ round: number; user: string; assistant: string }> = []
  const seen: Array<string> = []
  let state = machine.init()
  let at = 0
  for (let due = machine.next(state); due.length > 0 && at + due.length <= moves.length; due = machine.next(state)) {
    const made = moves.slice(at, at + due.length)
    if (made.some((m, i) => m.member !== due[i]!.member || m.decision !== due[i]!.decision || m.value === null)) break
    at += due.length
    due.forEach((d, i) => {
      if (d.member !== member) return
      const choice = decisionChoices(d).find((c) => c.value === made[i]!.value)
      turns.push({ round: d.round, user: [...seen.splice(0), decisionText(game, d)].join("\n\n"), assistant: choice?.token ?? String(made[i]!.value) })
    })
    state = machine.apply(state, made)
    const facts = machine.feedback(state, member)
    if (facts !== null) seen.push(fill(game.prompts.feedback, { ...params, ...Object.fromEntries(Object.entries(facts).map(([k, v]) => [k, String(v)])) }))
  }
  const last = turns[turns.length - 1]?.round ?? 0
  const kept = turns.filter((t) => t.round > last - game.maxHistoryRounds)
  const rules = fill(game.prompts.rules, params)
  return kept.flatMap((t, i): Array<ChatMessage> => [
    { role: "user", content: i === 0 ? `${rules}\n\n${t.user}` : t.user },
    { role: "assistant", content: t.assistant }
  ])
}

/**
 * Whether the repeat of a panel with `context: answers` can be asked now: every unit of the steps it shows (the
 * first asking up to the repeat) is done. Not yet while one is pending (a batch's first wave has no answers stored)
 * or failed (resume redoes it first): its agent's exchange would be incomplete, so the repeat waits for a later pass.
 */
export const contextReady = (db: RunDb, spec: RunSpec, step: number): boolean => {
  const panel = contextPanelOf(spec, step)
  if (panel === undefined) return true
  return unitsNotDone(db, panel.pre, panel.post) === 0
}

/**
 * The earlier exchange of agents for run step `step`, read from the store; null when the step is not the repeat of
 * a panel with `context: answers`. The steps it reads must be written (the drive waits for the writer first).
 */
export const panelContext = (db: RunDb, spec: RunSpec, step: number): AgentContext | null => {
  const panel = contextPanelOf(spec, step)
  if (panel === undefined) return null
  const reads = exchangeReads(db)
  const exchangeOf = (agentId: number, j: number): Array<ChatMessage> => {
    const s = spec.steps[j]!
    if (s.kind === "questionnaire") {
      const values = reads.answerValues(j, agentId)
      return values === undefined ? [] : questionnaireExchange(s.questionnaire, values)
    }
    if (s.kind === "game") {
      const at = reads.seatOf(j, agentId)
      if (at === undefined) return []
      return gameExchange(s.game, at.member, reads.matchMoves(j, at.matchId))
    }
    return []
  }
  return (agentIds) => {
    const out = new Map<number, ReadonlyArray<ChatMessage>>()
    for (const id of agentIds) {
      const messages: Array<ChatMessage> = []
      for (let j = panel.pre; j < panel.post; j++) messages.push(...exchangeOf(id, j))
      out.set(id, messages)
    }
    return out
  }
}
