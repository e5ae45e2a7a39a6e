import { Effect } from "effect"
import type { RunSpec } from "../config/RunSpec.js"
import type { ChatMessage, Completion, ItemAnswer } from "../domain/answers.js"
import { presentedChoices, type Questionnaire } from "../domain/questionnaire.js"
import { logprobValidator, parseAnswer, parseBatchAnswer, renormaliseLogprobs } from "../llm/scoring.js"
import { categorical } from "../sampling/rng.js"
import { batchReaskTurn, batchTurn, itemTurn, openingMessages, reaskTurn } from "../engine/prompts.js"
import { scoreChoice } from "../engine/QuestionnaireRunner.js"
import type { Asked, Asker } from "../engine/RequestCache.js"
import { unitsInFlight } from "../engine/Scheduler.js"
import type { PendingAgent } from "../store/reads.js"
import type { AnswerPage } from "../store/RunStore.js"
import { pageOfAnswers, redoOf, type Respondent } from "./Respondent.js"
import { drawStream } from "./synthetic.js"

const emptyAnswer = (itemId: string, scoring: ItemAnswer["scoring"]): Omit<ItemAnswer, "value" | "error"> => ({
  itemId,
  raw: null,
  dist: null,
  scoring,
  requestKey: null,
  promptTokens: 0,
  completionTokens: 0,
  latencyMs: 0,
  attempts: 0
})

const scoreCompletion = (q: Questionnaire, text: string, top: Completion["topLogprobs"], mode: ItemAnswer["scoring"], draw: () => number) =>
  scoreChoice(presentedChoices(q), q.scale.map((o) => o.value), text, top, mode, draw)

/**
 * `batch` administration: every item in one message, the reply read line by line (`parseBatchAnswer`), then up
 * to `reasks` follow-ups naming the items still unread. Each agent's conversation is its own (the agent's id is
 * the request nonce, whatever the scoring): one reply answers every item, so there is no per-item distribution
 * to draw from, and answers are marked `sample`. The request's tokens and latency are counted on the first item.
 */
const batchUnit = (spec: RunSpec, q: Questionnaire, agent: PendingAgent, asker: Asker, opening: ReadonlyArray<ChatMessage>) =>
  Effect.gen(function* () {
    const choices = presentedChoices(q)
    const got: Array<number | null> = q.items.map(() => null)
    let messages: Array<ChatMessage> = [...opening, batchTurn(q.prompts, q.items, choices)]
    let asks = 0
    let promptTokens = 0
    let completionTokens = 0
    let latencyMs = 0
    let key: string | null = null
    let lastText = ""
    let error: string | null = null
    while (true) {
      asks++
      const r = yield* asker.ask(messages, `agent:${agent.agentId}`).pipe(Effect.either)
      if (r._tag === "Left") {
        error = r.left.message
        break
      }
      key ??= r.right.key
      promptTokens += r.right.completion.promptTokens
      completionTokens += r.right.completion.completionTokens
      latencyMs += r.right.latencyMs
      lastText = r.right.completion.text
      parseBatchAnswer(lastText, q.items.length, choices).forEach((p, i) => {
        if (got[i] === null && p !== null) got[i] = p
      })
      const missing = got.flatMap((g, i) => (g === null ? [i] : []))
      if (missing.length === 0 || asks > spec.backend.reasks) break
      messages = [...messages, { role: "assistant", content: lastText }, batchReaskTurn(q.prompts, missing, choices)]
    }
    return q.items.map((item, i): ItemAnswer => {
      const idx = got[i]!
      const first = i === 0
      if (idx === null && error !== null) return { ...emptyAnswer(item.id, "sample"), value: null, error }
      return {
        itemId: item.id,
        value: idx === null ? null : choices[idx]!.value,
        raw: idx === null ? lastText : choices[idx]!.token,
        dist: null,
        scoring: "sample",
        requestKey: key,
        promptTokens: first ? promptTokens : 0,
        completionTokens: first ? completionTokens : 0,
        latencyMs: first ? latencyMs : 0,
        attempts: asks,
        error: idx === null ? "no readable answer in the batch reply after the last re-ask" : null
      }
    })
  })

/**
 * Asks one agent every item of a questionnaire through a model. `independent`: one conversation per item
 * (identical across agents of a condition under logprob scoring, hence shared); `session`: one conversation
 * in which the agent's previous answers stay in context. Draws happen in item order after all distributions
 * are known, so the result does not depend on which request finished first.
 */
const llmUnit = (spec: RunSpec, step: number, q: Questionnaire, agent: PendingAgent, asker: Asker) =>
  Effect.gen(function* () {
    const cond = spec.population.conditions[agent.conditionIdx]!
    const choices = presentedChoices(q)
    const nonce = spec.backend.scoring === "sample" ? `agent:${agent.agentId}` : null
    const draw = drawStream(spec, step, agent.agentId)
    const opening = openingMessages(cond.system)

    // Under logprob scoring a request may be shared, so its response must carry logprobs over the options; one
    // that stays degraded after its retries is not shared: this agent asks on its own and its reply is parsed.
    const validate = spec.backend.scoring === "logprob" ? logprobValidator(choices) : undefined
    let degraded = 0

    /** Asks `turn` and re-asks until the answer parses or `1 + reasks` asks (counting `priorAsks`) are spent. */
    const askItem = (history: ReadonlyArray<ChatMessage>, turn: ChatMessage, priorAsks = 0) =>
      Effect.gen(function* () {
        let messages: Array<ChatMessage> = [...history, turn]
        let asks = priorAsks
        let promptTokens = 0
        let completionTokens = 0
        let latencyMs = 0
        let mode = spec.backend.scoring
        let own = nonce
        while (true) {
          asks++
          const first = yield* asker.ask(messages, own, mode === "logprob" ? validate : undefined).pipe(Effect.either)
          let asked: Asked
          if (first._tag === "Right") asked = first.right
          else if (first.left.reason === "Degraded" && own === null) {
            degraded++
            mode = "sample"
            own = `agent:${agent.agentId}`
            asked = yield* asker.ask(messages, own)
          } else return yield* Effect.fail(first.left)
          promptTokens += asked.completion.promptTokens
          completionTokens += asked.completion.completionTokens
          latencyMs += asked.latencyMs
          const scored = scoreCompletion(q, asked.completion.text, asked.completion.topLogprobs, mode, draw)
          if (scored.value !== null || asks > spec.backend.reasks) {
            return { asked, scored, asks, promptTokens, completionTokens, latencyMs, messages }
          }
          messages = [...messages, { role: "assistant", content: asked.completion.text }, reaskTurn(q.prompts, choices)]
        }
      })

    const toAnswer = (itemId: string, r: Effect.Effect.Success<ReturnType<typeof askItem>>): ItemAnswer => ({
      itemId,
      value: r.scored.value,
      raw: r.asked.completion.text,
      dist: r.scored.dist,
      scoring: r.scored.scoring,
      requestKey: r.asked.key,
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      latencyMs: r.latencyMs,
      attempts: r.asks,
      error: r.scored.value === null ? "unparseable answer after the last re-ask" : null
    })
    const failed = (itemId: string, e: { message: string }): ItemAnswer => ({
      ...emptyAnswer(itemId, spec.backend.scoring),
      value: null,
      error: e.message
    })

    let answers: Array<ItemAnswer>
    if (q.administration === "independent") {
      // Each agent's own requests (sample scoring; logprob scoring shares them, see logprobPage). Scoring draws
      // happen in item order: ask concurrently, score afterwards.
      const asked = yield* Effect.forEach(
        q.items,
        (item) => asker.ask([...opening, itemTurn(q.prompts, item, choices, true)], nonce).pipe(Effect.either),
        { concurrency: "unbounded" }
      )
      answers = []
      for (let i = 0; i < q.items.length; i++) {
        const item = q.items[i]!
        const first = asked[i]!
        if (first._tag === "Left") {
          answers.push(failed(item.id, first.left))
          continue
        }
        // The common path (first answer usable) costs no further requests; re-asks go through askItem.
        const scored = scoreCompletion(q, first.right.completion.text, first.right.completion.topLogprobs, spec.backend.scoring, draw)
        if (scored.value !== null || spec.backend.reasks === 0) {
          answers.push(toAnswer(item.id, {
            asked: first.right, scored, asks: 1,
            promptTokens: first.right.completion.promptTokens, completionTokens: first.right.completion.completionTokens,
            latencyMs: first.right.latencyMs, messages: []
          }))
          continue
        }
        const history = [...opening, itemTurn(q.prompts, item, choices, true), { role: "assistant" as const, content: first.right.completion.text }]
        const retried = yield* askItem(history, reaskTurn(q.prompts, choices), 1).pipe(Effect.either)
        answers.push(retried._tag === "Left" ? failed(item.id, retried.left) : toAnswer(item.id, retried.right))
      }
    } else if (q.administration === "batch") {
      answers = yield* batchUnit(spec, q, agent, asker, opening)
    } else {
      answers = []
      let history: Array<ChatMessage> = [...opening]
      for (let i = 0; i < q.items.length; i++) {
        const item = q.items[i]!
        const r = yield* askItem(history, itemTurn(q.prompts, item, choices, i === 0)).pipe(Effect.either)
        if (r._tag === "Left") {
          answers.push(failed(item.id, r.left))
          // The conversation cannot go on without this answer; the rest of the session is missing too.
          for (const rest of q.items.slice(i + 1)) answers.push(failed(rest.id, { message: "session stopped after a failed request" }))
          break
        }
        answers.push(toAnswer(item.id, r.right))
        const said = r.right.scored.presentedToken ?? r.right.asked.completion.text
        history = [...r.right.messages, { role: "assistant", content: said }]
      }
    }
    return { failed: answers.some((a) => a.error !== null && a.requestKey === null), answers, degraded }
  })

/**
 * One agent asks an item on its own (a per-agent request, its reply parsed: scoring `sample`), re-asking an
 * unreadable reply up to `reasks` times. The fallback for a shared logprob request whose response stayed
 * degraded after its retries: every agent that would have shared it gets its own answer, never a copy.
 */
const askOwn = (spec: RunSpec, q: Questionnaire, asker: Asker, agentId: number, messages0: ReadonlyArray<ChatMessage>) =>
  Effect.gen(function* () {
    const choices = presentedChoices(q)
    let messages = [...messages0]
    let asks = 0
    while (true) {
      asks++
      const asked = yield* asker.ask(messages, `agent:${agentId}`)
      const idx = parseAnswer(asked.completion.text, choices)
      if (idx !== null || asks > spec.backend.reasks) return { key: asked.key, value: idx === null ? null : choices[idx]!.value, asks }
      messages = [...messages, { role: "assistant", content: asked.completion.text }, reaskTurn(q.prompts, choices)]
    }
  })

/**
 * `independent` administration under logprob scoring, a page of agents at once: every agent of a condition
 * sends the identical request for an item, so the page asks each distinct (condition, item) request once,
 * turns its top logprobs into one distribution over the options, and draws every agent's answer from it with
 * the agent's own stream, in item order, straight into the page's columns (no fiber or object per answer).
 */
const logprobPage = (spec: RunSpec, step: number, q: Questionnaire, agents: ReadonlyArray<PendingAgent>, asker: Asker, memo: Map<string, Float64Array>) =>
  Effect.gen(function* () {
    const nItems = q.items.length
    const k = q.scale.length
    const choices = presentedChoices(q)
    const canonical = q.scale.map((o) => o.value)
    const canonicalIdx = canonical.map((v) => choices.findIndex((c) => c.value === v))
    const validate = logprobValidator(choices)
    const users = new Map<number, number>()
    for (const a of agents) users.set(a.conditionIdx, (users.get(a.conditionIdx) ?? 0) + 1)
    const conditions = [...users.keys()]
    const base = new Map(conditions.map((c, j) => [c, j * nItems]))
    const slots = conditions.flatMap((c) => q.items.map((item) => ({ c, messages: [...openingMessages(spec.population.conditions[c]!.system), itemTurn(q.prompts, item, choices, true)] })))
    const asked = yield* Effect.forEach(slots, (s) => asker.ask(s.messages, null, validate, users.get(s.c)!).pipe(Effect.either), {
      concurrency: Math.max(8, spec.backend.concurrency)
    })
    const distOf = (a: Asked): Float64Array => {
      const hit = memo.get(a.key)
      if (hit !== undefined) return hit
      const presented = renormaliseLogprobs(a.completion.topLogprobs ?? [], choices)!
      const d = Float64Array.from(canonicalIdx, (j) => presented[j] ?? 0)
      if (memo.size >= 10_000) memo.clear()
      memo.set(a.key, d)
      return d
    }
    const n = agents.length * nItems
    const values = new Float64Array(n)
    const scoring = new Uint8Array(n)
    const attempts = new Uint8Array(n)
    const dists = new Float64Array(n * k).fill(NaN)
    const requestKeys = new Array<string | null>(n).fill(null)
    let errors: Array<string | null> | null = null
    let failed: Uint8Array | null = null
    const fallbacks: Array<number> = []
    agents.forEach((agent, a) => {
      const draw = drawStream(spec, step, agent.agentId)
      const from = base.get(agent.conditionIdx)!
      for (let i = 0; i < nItems; i++) {
        const m = a * nItems + i
        const r = asked[from + i]!
        if (r._tag === "Right") {
          const d = distOf(r.right)
          values[m] = canonical[categorical(d, draw)]!
          dists.set(d, m * k)
          requestKeys[m] = r.right.key
          attempts[m] = 1
        } else if (r.left.reason === "Degraded") {
          // One draw per item whatever happens to it, so a fallback does not shift the agent's later draws
          // (its answers would then depend on which requests the server happened to degrade).
          draw()
          values[m] = NaN
          scoring[m] = 1
          fallbacks.push(m)
        } else {
          draw()
          values[m] = NaN
          errors ??= new Array<string | null>(n).fill(null)
          errors[m] = r.left.message
          failed ??= new Uint8Array(agents.length)
          failed[a] = 1
        }
      }
    })
    // Degraded shared responses: each agent asks on its own (rare, so one effect per such answer is fine).
    yield* Effect.forEach(
      fallbacks,
      (m) => {
        const a = Math.floor(m / nItems)
        const agent = agents[a]!
        const messages = [...openingMessages(spec.population.conditions[agent.conditionIdx]!.system), itemTurn(q.prompts, q.items[m % nItems]!, choices, true)]
        return askOwn(spec, q, asker, agent.agentId, messages).pipe(
          Effect.match({
            onSuccess: (own) => {
              values[m] = own.value ?? NaN
              requestKeys[m] = own.key
              attempts[m] = Math.min(255, own.asks)
              if (own.value === null) {
                errors ??= new Array<string | null>(n).fill(null)
                errors[m] = "unparseable answer after the last re-ask"
              }
            },
            onFailure: (e) => {
              errors ??= new Array<string | null>(n).fill(null)
              errors[m] = e.message
              failed ??= new Uint8Array(agents.length)
              failed[a] = 1
            }
          })
        )
      },
      { concurrency: Math.max(8, spec.backend.concurrency), discard: true }
    )
    const page: AnswerPage = {
      _tag: "AnswerPage",
      step,
      items: nItems,
      k,
      agentIds: agents.map((x) => x.agentId),
      failed,
      redo: redoOf(agents),
      values,
      scoring,
      dists,
      requestKeys,
      attempts,
      raws: null,
      errors,
      degraded: fallbacks.length
    }
    return page
  })

/**
 * A model behind the asker as a respondent. `independent` administration under logprob scoring answers pages
 * of agents from shared requests (`logprobPage`); sample scoring, `session` and `batch` administration are each
 * agent's own conversation, one agent per page, many agents in flight.
 */
export const llmRespondent = (spec: RunSpec, asker: Asker): Respondent => {
  // Enough agents in flight to keep every permit busy, even in session mode where an agent asks one item at a
  // time. Under sample scoring every request is the agent's own, so the bound counts its items asked at once.
  const agentConcurrency = (q: Questionnaire) =>
    spec.backend.scoring === "sample"
      ? unitsInFlight(spec.backend.concurrency, q.administration === "independent" ? q.items.length : 1)
      : Math.max(8, spec.backend.concurrency * 2)
  const shared = (q: Questionnaire) => spec.backend.scoring === "logprob" && q.administration === "independent"
  const memo = new Map<string, Float64Array>()
  return {
    paging: (q) => (shared(q) ? { pageSize: 256, pagesInFlight: 2 } : { pageSize: 1, pagesInFlight: agentConcurrency(q) }),
    answer: (step, q, agents) =>
      shared(q)
        ? logprobPage(spec, step, q, agents, asker, memo)
        : Effect.map(
            Effect.forEach(agents, (agent) => llmUnit(spec, step, q, agent, asker)),
            (units) => pageOfAnswers(step, q.scale.length, agents, units, units.reduce((s, u) => s + u.degraded, 0))
          )
  }
}
