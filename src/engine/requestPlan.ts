/**
 * What a run will ask a model, worked out before anything is sent (`valuesim plan`, and the estimate `run` prints on
 * a paid endpoint): the requests after sharing, and the input and output tokens of those requests, from the very
 * prompts the engine builds (prompts.ts, the game wording). Pure: no I/O, no clock; the allocation of agents to
 * conditions and the matching come from the run seed exactly as the run draws them.
 *
 * Sharing follows the engine's request cache: requests with identical content are sent once. Under a shared
 * scoring method (logprob, constrained, stated) that makes an `independent` questionnaire cost conditions × items whatever the number of agents, and
 * the first item of a `session` (and the first decision of each game role) once per condition; everything after
 * an agent's own earlier answers is counted per agent. Under sample scoring every agent asks its own.
 *
 * Tokens are an estimate: a message counts ⌈characters / 4⌉ + 4 and a request 3 more, the usual approximation
 * for English text with OpenAI's tokenizers; output is counted at the run's max_tokens per reply (an upper bound).
 * Re-asks after unreadable answers are not counted (they happen only under sample scoring, and only when a reply
 * cannot be read).
 *
 * Given `cached` (is the answer to these messages with this nonce in the response cache?), requests the cache
 * will answer are counted in `cached` instead of `requests`. Only requests whose content is known before the
 * run are looked up: every independent item and batch turn, the first item of a session and each role's first
 * game decision; later turns carry the answers the run draws, so they count as sent.
 */
import { stepId } from "../config/RunSpec.js"
import { requestBound } from "../society/dynamics.js"
import { societyMessages } from "../society/prompts.js"
import type { SocietyScenario } from "../society/scenario.js"
import type { RunSpec, Step } from "../config/RunSpec.js"
import type { ChatMessage } from "../domain/answers.js"
import type { Move } from "../domain/games.js"
import { presentedChoices, type PresentedChoice, type Questionnaire } from "../domain/questionnaire.js"
import { makeGame } from "../games/index.js"
import { assignConditions, largestRemainder, multinomialCounts } from "../sampling/allocation.js"
import { stream } from "../sampling/rng.js"
import { decisionText, paramsText, planMatches } from "./GameRunner.js"
import { cacheable } from "../llm/responseCache.js"
import { isShared, shapeOf } from "../scoring/methods.js"
import { stepAgents } from "../experiments/assignment.js"
import { contextPanelOf, gameExchange, playedThrough, questionnaireExchange } from "../experiments/context.js"
import { batchTurn, fill, itemTurn, openingMessages } from "./prompts.js"
import { replyLimit } from "../llm/reasoning.js"
import { probeQuestion } from "../probe/probe.js"

export interface StepPlan {
  readonly step: string
  readonly kind: Step["kind"]
  /** The arm, when the step is one arm of an experiment. */
  readonly arm?: string
  /**
   * `answers`: a panel's repeat that shows each agent its earlier answers, so each agent's requests are its own;
   * `requests` counts one per agent and question, the most there can be (agents whose earlier answers are the same
   * share one request under the shared scoring methods, so a run may send fewer).
   */
  readonly context?: "answers"
  /** Answers (questionnaire items, game decisions) the step records. */
  readonly answers: number
  /** Requests sent after sharing identical ones (and after those the response cache answers). */
  readonly requests: number
  /** Distinct requests the response cache answers instead of the endpoint. */
  readonly cached: number
  readonly inputTokens: number
  readonly outputTokens: number
  /**
   * A society step: the most requests it can send (a shared method: distinct observations × conditions summed
   * over rounds; sample: one per agent decision); `requests` is this bound too (who observes what is only known as
   * the rounds are played).
   */
  readonly requestBound?: number
}

export interface RequestPlan {
  readonly agents: number
  readonly answers: number
  readonly requests: number
  /** Distinct requests the response cache answers instead of the endpoint (not in `requests`). */
  readonly cached: number
  /** Answers served by a request another agent (or item) already sent. */
  readonly shared: number
  readonly inputTokens: number
  readonly outputTokens: number
  /** The longest chain of requests one agent must send one after another (session items, game decisions). */
  readonly longestChain: number
  readonly steps: ReadonlyArray<StepPlan>
}

const CHARS_PER_TOKEN = 4
const TOKENS_PER_MESSAGE = 4
const TOKENS_PER_REQUEST = 3

export const estimateTokens = (messages: ReadonlyArray<ChatMessage>): number =>
  TOKENS_PER_REQUEST + messages.reduce((a, m) => a + Math.ceil(m.content.length / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE, 0)

/** The number of agents in each condition, drawn as the run draws them. */
export const conditionCounts = (spec: RunSpec): Array<number> =>
  spec.population.allocation === "multinomial"
    ? multinomialCounts(spec.population.weights, spec.agents, stream(spec.seed, "allocation-counts"))
    : largestRemainder(spec.population.weights, spec.agents)

/**
 * Is the answer to `messages` asked with `nonce` in the response cache? `choices`: the options of a shared item
 * question (stated and constrained scoring ask it in their own words and shape).
 */
export type CachedLookup = (messages: ReadonlyArray<ChatMessage>, nonce: string | null, choices?: ReadonlyArray<PresentedChoice>) => boolean

/** What the plan of one step needs besides the spec: the agents of each condition and the cache lookup. */
interface PlanContext {
  readonly counts: ReadonlyArray<number>
  readonly agentsOf: (condition: number) => ReadonlyArray<number>
  readonly cached: CachedLookup | undefined
  /** Content of shared requests already counted (across steps). */
  readonly seen: Set<string>
}

interface Tally {
  requests: number
  cached: number
  answers: number
  inputTokens: number
  chain: number
}

/**
 * Counts the agents of condition `c` sending `messages`: once per content when the request is shared, else once
 * per agent. `exact`: the messages are those the run will send (not an estimate), so the cache may be asked.
 */
const sender = (spec: RunSpec, ctx: PlanContext, t: Tally) => (
  messages: ReadonlyArray<ChatMessage>,
  c: number,
  n: number,
  canShare: boolean,
  exact: boolean,
  choices?: ReadonlyArray<PresentedChoice>
) => {
  if (canShare) {
    const key = JSON.stringify(messages)
    if (ctx.seen.has(key)) return
    ctx.seen.add(key)
    n = 1
    if (exact && ctx.cached?.(messages, null, choices)) {
      t.cached++
      return
    }
  } else if (exact && ctx.cached !== undefined && cacheable(spec.backend, "agent")) {
    for (const id of ctx.agentsOf(c)) {
      if (ctx.cached(messages, `agent:${id}`)) {
        t.cached++
        n--
      }
    }
  }
  t.requests += n
  t.inputTokens += n * estimateTokens(messages)
}

/**
 * A questionnaire step. `earlier`: a panel's repeat with earlier answers in context, the exchange estimated (each
 * answer at the first option, each game played at the middle options): every request is then an agent's own.
 */
const questionnairePlan = (spec: RunSpec, q: Questionnaire, ctx: PlanContext, t: Tally, earlier: ReadonlyArray<ChatMessage> | null = null) => {
  // Shared per condition × item: the shared methods (logprob, stated); at temperature 0 a sampled reply too
  // (identical prompts share one request). In a session only logprob shares the first item (or temperature 0).
  const shared = earlier === null && (isShared(spec.backend.scoring) || spec.backend.temperature === 0)
  const sessionShared = earlier === null && (spec.backend.scoring === "logprob" || spec.backend.temperature === 0)
  const exact = earlier === null
  const choices = presentedChoices(q)
  const send = sender(spec, ctx, t)
  const counts = ctx.counts
  spec.population.conditions.forEach((cond, c) => {
    const n = counts[c] ?? 0
    if (n === 0) return
    const opening = [...openingMessages(cond.system), ...(earlier ?? [])]
    t.answers += n * q.items.length
    if (q.administration === "batch") {
      // One reply answers every item; each agent sends its own (the engine's nonce is per agent).
      send([...opening, batchTurn(q.prompts, q.items, choices)], c, n, false, exact)
      t.chain = Math.max(t.chain, 1)
    } else if (q.administration === "session") {
      // Earlier answers stay in context: from the second item on, each agent's conversation is its own. The
      // answer in context is estimated at one option token.
      let history: Array<ChatMessage> = [...opening]
      q.items.forEach((item, i) => {
        const turn = itemTurn(q.prompts, item, choices, i === 0)
        send([...history, turn], c, n, sessionShared && i === 0, exact && i === 0)
        history = [...history, turn, { role: "assistant", content: choices[0]?.token ?? "1" }]
      })
      t.chain = Math.max(t.chain, q.items.length)
    } else {
      for (const item of q.items) send([...opening, itemTurn(q.prompts, item, choices, true)], c, n, shared, exact, choices)
      t.chain = Math.max(t.chain, 1)
    }
  })
}

/**
 * A game step: one match of the game played with every decision at its middle option gives the decisions per
 * member and the length of each member's conversation (rules, its earlier turns within the history window,
 * feedback); each matched agent is counted with the system prompt of its condition.
 */
const gamePlan = (spec: RunSpec, stepIdx: number, assignment: ArrayLike<number>, ctx: PlanContext, t: Tally, answering: ReadonlyArray<number> | null) => {
  const s = spec.steps[stepIdx]!
  if (s.kind !== "game") return
  const game = s.game
  const machine = makeGame(game.game, game.params)
  const rules = fill(game.prompts.rules, paramsText(game))
  const feedback = fill(game.prompts.feedback, paramsText(game))
  // Per member: the user texts of its decisions, with the round of each and whether feedback preceded it.
  const asks: Array<Array<{ round: number; text: string }>> = Array.from({ length: machine.groupSize }, () => [])
  let state = machine.init()
  const told = new Array<boolean>(machine.groupSize).fill(false)
  for (let due = machine.next(state); due.length > 0; due = machine.next(state)) {
    for (const d of due) {
      const text = decisionText(game, d)
      asks[d.member]!.push({ round: d.round, text: told[d.member] ? `${feedback}\n\n${text}` : text })
      told[d.member] = false
    }
    const moves: Array<Move> = due.map((d) => ({ member: d.member, decision: d.decision, value: d.options[Math.floor(d.options.length / 2)]!.value }))
    state = machine.apply(state, moves)
    for (let m = 0; m < machine.groupSize; m++) if (machine.feedback(state, m) !== null) told[m] = true
  }
  // A shared method (logprob, constrained, stated) asks an identical conversation once, as at temperature 0.
  const shared = isShared(spec.backend.scoring) || spec.backend.temperature === 0
  const agentIds = answering ?? Array.from({ length: assignment.length }, (_, i) => i)
  const { groups } = planMatches(spec, stepIdx, agentIds)
  for (const members of groups) {
    members.forEach((agentId, m) => {
      const system = spec.population.conditions[assignment[agentId]!]?.system ?? null
      const mine = asks[m] ?? []
      mine.forEach((a, j) => {
        const kept = mine.slice(0, j).filter((p) => p.round > a.round - game.maxHistoryRounds)
        const messages: Array<ChatMessage> = [...openingMessages(system)]
        kept.forEach((p, i) => {
          messages.push({ role: "user", content: i === 0 ? `${rules}\n\n${p.text}` : p.text })
          messages.push({ role: "assistant", content: "1" })
        })
        messages.push({ role: "user", content: kept.length === 0 ? `${rules}\n\n${a.text}` : a.text })
        t.answers++
        // Only a member's first decision can be identical across agents (later ones carry its own history).
        if (shared && j === 0) {
          const key = JSON.stringify(messages)
          if (ctx.seen.has(key)) return
          ctx.seen.add(key)
        }
        if (j === 0 && ctx.cached !== undefined && (shared || cacheable(spec.backend, "agent")) && ctx.cached(messages, shared ? null : `agent:${agentId}`)) {
          t.cached++
          return
        }
        t.requests++
        t.inputTokens += estimateTokens(messages)
      })
      t.chain = Math.max(t.chain, mine.length)
    })
  }
}

/**
 * A society step: its decisions (agents × rounds; for diffusion the most there can be) and the bound on its
 * requests, each priced at the length of the longest summary the memory allows. Returns the bound.
 */
const societyPlan = (spec: RunSpec, s: SocietyScenario, counts: ReadonlyArray<number>, t: Tally): number => {
  const isolates = s.network.kind === "random" || s.network.kind === "edges"
  const decisions = spec.agents * s.rounds
  const bound = isShared(spec.backend.scoring) ? requestBound(s.dynamic, s.params, s.memory, s.rounds, counts, isolates) : decisions
  const system = spec.population.conditions[0]?.system ?? null
  const late = societyMessages(s, system, s.rounds, 0)
  t.answers += decisions
  t.requests += bound
  t.inputTokens += bound * estimateTokens(late)
  t.chain = Math.max(t.chain, s.rounds)
  return bound
}

/**
 * The earlier exchange a panel's repeat (run step `post`) shows, as the plan estimates it: every questionnaire from
 * `pre` on answered at its first option, every game played at the middle options (seen by its first member).
 */
const estimatedExchange = (spec: RunSpec, pre: number, post: number): Array<ChatMessage> =>
  spec.steps.slice(pre, post).flatMap((s): Array<ChatMessage> => {
    if (s.kind === "questionnaire") return questionnaireExchange(s.questionnaire, s.questionnaire.items.map(() => s.questionnaire.scale[0]!.value))
    return s.kind === "game" ? gameExchange(s.game, 0, playedThrough(s.game, "middle")) : []
  })

/** The requests and tokens of a new run of `spec` on a model (nothing for the synthetic backend: it sends none). */
export const planRequests = (
  spec: RunSpec,
  cached?: CachedLookup,
  /** Under auto: the probe's findings are known (cached), so no probe request is counted and the method is the backend's. */
  probeKnown = false
): RequestPlan => {
  const counts = conditionCounts(spec)
  let assignment: ArrayLike<number> | null = null
  const assigned = () => (assignment ??= assignConditions(counts, stream(spec.seed, "allocation")))
  let byCondition: Array<Array<number>> | null = null
  const agentsOf = (c: number): ReadonlyArray<number> => {
    if (byCondition === null) {
      const a = assigned()
      const lists: Array<Array<number>> = counts.map(() => [])
      for (let i = 0; i < a.length; i++) lists[a[i]!]!.push(i)
      byCondition = lists
    }
    return byCondition[c] ?? []
  }
  const ctx: PlanContext = { counts, agentsOf, cached, seen: new Set<string>() }
  // The arms of a `between` experiment are answered by their own agents only (src/experiments/assignment.ts).
  const answering = spec.experiments?.some((e) => e.assignment === "between") ? stepAgents(spec, assigned()) : null
  const stepContext = (i: number): PlanContext => {
    const own = answering?.[i] ?? null
    if (own === null) return ctx
    const a = assigned()
    const lists: Array<Array<number>> = counts.map(() => [])
    for (const id of own) lists[a[id]!]!.push(id)
    return { ...ctx, counts: lists.map((l) => l.length), agentsOf: (c) => lists[c] ?? [] }
  }
  let chain = 0
  const steps = spec.steps.map((s, i): StepPlan => {
    const t: Tally = { requests: 0, cached: 0, answers: 0, inputTokens: 0, chain: 0 }
    let bound: number | undefined
    const panel = contextPanelOf(spec, i)
    if (s.kind === "questionnaire") questionnairePlan(spec, s.questionnaire, stepContext(i), t, panel === undefined ? null : estimatedExchange(spec, panel.pre, i))
    else if (s.kind === "society") bound = societyPlan(spec, s.society, counts, t)
    else gamePlan(spec, i, assigned(), ctx, t, answering?.[i] ?? null)
    chain += t.chain
    const synthetic = spec.backend.kind === "synthetic"
    return {
      step: stepId(s),
      kind: s.kind,
      ...(bound === undefined ? {} : { requestBound: synthetic ? 0 : bound }),
      ...(s.arm === undefined ? {} : { arm: s.arm.name }),
      ...(panel === undefined ? {} : { context: "answers" as const }),
      answers: t.answers,
      requests: synthetic ? 0 : t.requests,
      cached: synthetic ? 0 : t.cached,
      inputTokens: synthetic ? 0 : t.inputTokens,
      // Under auto the probe may choose stated: its longer replies are the upper bound; a thinking budget adds to it.
      outputTokens: synthetic
        ? 0
        : t.requests *
          (Math.max(shapeOf(spec.backend, spec.backend.scoringAuto === true && !probeKnown ? "stated" : spec.backend.scoring).maxTokens, replyLimit(spec.backend) - (spec.backend.thinkingBudget ?? 0)) +
            (spec.backend.thinkingBudget ?? 0))
    }
  })
  const sum = (f: (s: StepPlan) => number) => steps.reduce((a, s) => a + f(s), 0)
  const answers = sum((s) => s.answers)
  // Before the run, the first question is sent as a probe of the endpoint; under logprob scoring its answer is
  // the run's own (shared), under sample scoring it is one request more (its nonce is the probe's).
  const first = steps[0]
  // Under stated or constrained scoring the probe asks the plain question, which no shared request repeats: one more too.
  const probe = spec.backend.kind !== "synthetic" && (spec.backend.scoring === "sample" || ((spec.backend.scoring === "stated" || spec.backend.scoring === "constrained") && spec.backend.scoringAuto !== true)) &&
    first !== undefined && first.requests > 0
  // `--scoring auto` on an endpoint: the capability probe's logprob request is the run's own when logprob is
  // chosen; otherwise it is one request more (counted here as the upper bound).
  // Counted only where a run probes (a questionnaire asked independently) and the findings are not known already.
  const autoProbe = spec.backend.kind === "openai" && spec.backend.scoringAuto === true && !probeKnown && probeQuestion(spec) !== null &&
    first !== undefined && first.requests > 0
  const probeTokens = probe || autoProbe ? Math.round(first!.inputTokens / first!.requests) : 0
  const requests = sum((s) => s.requests) + (probe ? 1 : 0) + (autoProbe ? 1 : 0)
  const cachedTotal = sum((s) => s.cached)
  return {
    agents: spec.agents,
    answers,
    requests,
    cached: cachedTotal,
    shared: spec.backend.kind === "synthetic" ? 0 : Math.max(0, answers - requests - cachedTotal),
    inputTokens: sum((s) => s.inputTokens) + probeTokens,
    outputTokens: sum((s) => s.outputTokens) + (probe ? replyLimit(spec.backend) : 0),
    longestChain: chain,
    steps
  }
}
