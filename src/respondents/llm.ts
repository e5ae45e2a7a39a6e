import { Effect } from "effect"
import { createHash } from "node:crypto"
import type { RunSpec } from "../config/RunSpec.js"
import type { ChatMessage, Completion, ItemAnswer } from "../domain/answers.js"
import { presentedChoices, type Questionnaire } from "../domain/questionnaire.js"
import { logprobValidator, parseAnswer, parseBatchAnswer } from "../llm/scoring.js"
import { unreadableReply } from "../llm/reasoning.js"
import { categorical } from "../sampling/rng.js"
import { batchReaskTurn, batchTurn, itemTurn, openingMessages, reaskTurn } from "../engine/prompts.js"
import { scoreChoice } from "../engine/QuestionnaireRunner.js"
import type { Asked, Asker } from "../engine/RequestCache.js"
import { scoringCode } from "../store/encoding.js"
import type { PendingAgent } from "../store/reads.js"
import { answerPage, PageColumns, type Respondent } from "./Respondent.js"
import { drawStream } from "./synthetic.js"
import { askShared } from "../scoring/askShared.js"
import { isShared, sampleNonce, shapeOf } from "../scoring/methods.js"
import type { AgentContext } from "../experiments/context.js"

/**
 * Runs `work(0)` … `work(n − 1)` with at most `workers` at once: one fiber per worker, each taking the next
 * index when it is done, so a page of thousands of answers costs a few hundred fibers, not one per answer.
 * `work` records its outcome in the page's columns and does not fail.
 */
const inWorkers = (n: number, workers: number, work: (j: number) => Effect.Effect<void>): Effect.Effect<void> =>
  Effect.suspend(() => {
    let next = 0
    const worker = Effect.whileLoop({ while: () => next < n, body: () => work(next++), step: () => {} })
    return Effect.all(Array.from({ length: Math.max(1, Math.min(n, workers)) }, () => worker), { concurrency: "unbounded", discard: true })
  })

/** The agent's draw stream, made on first use (answers parsed from text draw nothing). */
const lazyDraw = (spec: RunSpec, step: number, agentId: number): (() => number) => {
  let draw: (() => number) | null = null
  return () => (draw ??= drawStream(spec, step, agentId))()
}

/** Each agent's earlier exchange for this page (a panel's repeat with `context: answers`); null: none shown. */
type EarlierExchange = ReadonlyMap<number, ReadonlyArray<ChatMessage>> | null

/** What an agent's conversation opens with: its condition's system prompt, then its earlier exchange if any. */
const openingFor = (spec: RunSpec, agent: PendingAgent, history: EarlierExchange): Array<ChatMessage> => {
  const system = openingMessages(spec.population.conditions[agent.conditionIdx]!.system)
  const earlier = history?.get(agent.agentId)
  return earlier === undefined || earlier.length === 0 ? system : [...system, ...earlier]
}

/** A reply read as an answer: its value (null: unreadable), the distribution drawn from, how it was scored. */
type Scored = ReturnType<typeof scoreChoice>

/** What asking one item came to: the reply it ended with, how it was read, the asks it took, the conversation. */
interface ItemOutcome {
  readonly asked: Asked
  readonly scored: Scored
  readonly asks: number
  readonly messages: ReadonlyArray<ChatMessage>
}

/**
 * A model behind the asker answering pages of agents for one questionnaire step, straight into the page's
 * columns. Everything here is per page; nothing is kept per answer beyond its request.
 */
const pageAsker = (spec: RunSpec, step: number, q: Questionnaire, asker: Asker, page: PageColumns, history: EarlierExchange) => {
  const choices = presentedChoices(q)
  const canonical = q.scale.map((o) => o.value)
  // Under logprob scoring a request may be shared, so its response must carry logprobs over the options; one
  // that stays degraded after its retries is not shared: the agent asks on its own and its reply is parsed.
  const validate = spec.backend.scoring === "logprob" ? logprobValidator(choices) : undefined
  // Only logprob scoring shares an agent's request here (its answer is drawn); every other method's reply is the
  // agent's own (at temperature 0, identical prompts share one request: the reply would be the same).
  const nonceOf = (agentId: number) => (spec.backend.scoring === "logprob" ? null : sampleNonce(spec.backend, agentId))
  const score = (c: Completion, mode: ItemAnswer["scoring"], draw: () => number) => scoreChoice(choices, canonical, c.text, c.topLogprobs, mode, draw)

  /**
   * Asks `turn` after `history` and re-asks until the answer parses or `1 + reasks` asks (counting `priorAsks`)
   * are spent. A shared request whose response stays degraded is asked again as the agent's own (scoring `sample`).
   */
  const askItem = (agentId: number, draw: () => number, history: ReadonlyArray<ChatMessage>, turn: ChatMessage, priorAsks = 0) =>
    Effect.gen(function* () {
      let messages: Array<ChatMessage> = [...history, turn]
      let asks = priorAsks
      let mode = spec.backend.scoring
      let own = nonceOf(agentId)
      let shape = shapeOf(spec.backend, mode)
      while (true) {
        asks++
        const first = yield* asker.ask(messages, own, mode === "logprob" ? validate : undefined, 1, shape).pipe(Effect.either)
        let asked: Asked
        if (first._tag === "Right") asked = first.right
        else if (first.left.reason === "Degraded" && mode === "logprob") {
          // The agent's own reply, with room for an opener before the option.
          page.degraded++
          mode = "sample"
          own = sampleNonce(spec.backend, agentId)
          shape = shapeOf(spec.backend, "sample")
          asked = yield* asker.ask(messages, own, undefined, 1, shape)
        } else return yield* Effect.fail(first.left)
        const scored = score(asked.completion, mode, draw)
        if (scored.value !== null || asks > spec.backend.reasks || !unreadableReply(asked.completion, spec.backend).reask) return { asked, scored, asks, messages } satisfies ItemOutcome
        messages = [...messages, { role: "assistant", content: asked.completion.text }, reaskTurn(q.prompts, choices)]
      }
    })

  /** Answer m as read from its last reply. */
  const record = (m: number, r: ItemOutcome) => {
    page.values[m] = r.scored.value ?? NaN
    page.scoring[m] = scoringCode(r.scored.scoring)
    if (r.scored.dist !== null) page.setDist(m, r.scored.dist)
    page.setRequest(m, r.asked.key, r.asks)
    if (r.scored.value === null) page.setError(m, unreadableReply(r.asked.completion, spec.backend).error, false)
  }
  const opening = (agent: PendingAgent) => openingFor(spec, agent, history)

  /**
   * `independent` administration, each agent's own requests (sample scoring): answer m = agent ⌊m / items⌋,
   * item m mod items. The reply is parsed (nothing is drawn), so answers may finish in any order; the common
   * path, a readable first reply, costs no further request.
   */
  const independent = (agents: ReadonlyArray<PendingAgent>) => (m: number): Effect.Effect<void> => {
    const agent = agents[Math.floor(m / q.items.length)]!
    const messages = [...opening(agent), itemTurn(q.prompts, q.items[m % q.items.length]!, choices, true)]
    const draw = lazyDraw(spec, step, agent.agentId)
    return Effect.matchEffect(asker.ask(messages, nonceOf(agent.agentId)), {
      onFailure: (e) => Effect.sync(() => page.setError(m, e.message, true)),
      onSuccess: (asked) => {
        const scored = score(asked.completion, spec.backend.scoring, draw)
        if (scored.value !== null || spec.backend.reasks === 0 || !unreadableReply(asked.completion, spec.backend).reask) return Effect.sync(() => record(m, { asked, scored, asks: 1, messages }))
        const history = [...messages, { role: "assistant" as const, content: asked.completion.text }]
        return Effect.match(askItem(agent.agentId, draw, history, reaskTurn(q.prompts, choices), 1), {
          onFailure: (e) => page.setError(m, e.message, true),
          onSuccess: (r) => record(m, r)
        })
      }
    })
  }

  /**
   * `session` administration: agent a's items in one conversation, its earlier answers (as said) in context;
   * draws in item order from the agent's stream. A failed request ends the session: the rest is missing too.
   */
  const session = (agents: ReadonlyArray<PendingAgent>) => (a: number) =>
    Effect.gen(function* () {
      const agent = agents[a]!
      const draw = drawStream(spec, step, agent.agentId)
      let history: Array<ChatMessage> = opening(agent)
      for (let i = 0; i < q.items.length; i++) {
        const m = a * q.items.length + i
        const r = yield* askItem(agent.agentId, draw, history, itemTurn(q.prompts, q.items[i]!, choices, i === 0)).pipe(Effect.either)
        if (r._tag === "Left") {
          page.setError(m, r.left.message, true)
          for (let rest = m + 1; rest < (a + 1) * q.items.length; rest++) page.setError(rest, "session stopped after a failed request", true)
          return
        }
        record(m, r.right)
        history = [...r.right.messages, { role: "assistant", content: r.right.scored.presentedToken ?? r.right.asked.completion.text }]
      }
    })

  /**
   * `batch` administration: every item in one message, the reply read line by line (`parseBatchAnswer`), then up
   * to `reasks` follow-ups naming the items still unread. Each agent's conversation is its own (the agent's id is
   * the request nonce, whatever the scoring): one reply answers every item, so there is no per-item distribution
   * to draw from, and answers are marked `sample`.
   */
  const batch = (agents: ReadonlyArray<PendingAgent>) => (a: number) =>
    Effect.gen(function* () {
      const agent = agents[a]!
      const got: Array<number | null> = q.items.map(() => null)
      let messages: Array<ChatMessage> = [...opening(agent), batchTurn(q.prompts, q.items, choices)]
      let asks = 0
      let key: string | null = null
      let error: string | null = null
      while (true) {
        asks++
        const r = yield* asker.ask(messages, `agent:${agent.agentId}`).pipe(Effect.either)
        if (r._tag === "Left") {
          error = r.left.message
          break
        }
        key ??= r.right.key
        const text = r.right.completion.text
        parseBatchAnswer(text, q.items.length, choices).forEach((p, i) => {
          if (got[i] === null && p !== null) got[i] = p
        })
        const missing = got.flatMap((g, i) => (g === null ? [i] : []))
        if (missing.length === 0 || asks > spec.backend.reasks) break
        messages = [...messages, { role: "assistant", content: text }, batchReaskTurn(q.prompts, missing, choices)]
      }
      for (let i = 0; i < q.items.length; i++) {
        const m = a * q.items.length + i
        const idx = got[i]!
        page.scoring[m] = scoringCode("sample")
        if (idx === null && error !== null) {
          page.setError(m, error, true)
          continue
        }
        page.values[m] = idx === null ? NaN : choices[idx]!.value
        page.setRequest(m, key!, asks)
        if (idx === null) page.setError(m, "no readable answer in the batch reply after the last re-ask", false)
      }
    })

  return { independent, session, batch }
}

/**
 * One agent asks an item on its own (a per-agent request, its reply parsed: scoring `sample`), re-asking an
 * unreadable reply up to `reasks` times. The fallback for a shared question no shared method could answer
 * (`askShared`): every agent that would have shared it gets its own answer, never a copy.
 */
const askOwn = (spec: RunSpec, q: Questionnaire, asker: Asker, agentId: number, messages0: ReadonlyArray<ChatMessage>) =>
  Effect.gen(function* () {
    const choices = presentedChoices(q)
    let messages = [...messages0]
    let asks = 0
    // Room for an opener ("**", "Answer:", a newline) before the option; at temperature 0 identical prompts share one request.
    const shape = shapeOf(spec.backend, "sample")
    const nonce = sampleNonce(spec.backend, agentId)
    while (true) {
      asks++
      const asked = yield* asker.ask(messages, nonce, undefined, 1, shape)
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
/** A shared (condition, item) question of a step whose outcome is known: its request's key, distribution (canonical order), method and option mass. */
interface KnownSlot {
  readonly key: string
  readonly dist: Float64Array
  readonly method: number
  readonly mass: number
}

const logprobPage = (
  spec: RunSpec,
  step: number,
  q: Questionnaire,
  agents: ReadonlyArray<PendingAgent>,
  asker: Asker,
  known: Map<string, Array<KnownSlot | undefined>>,
  history: EarlierExchange
) =>
  Effect.gen(function* () {
    const nItems = q.items.length
    const k = q.scale.length
    const choices = presentedChoices(q)
    const canonical = q.scale.map((o) => o.value)
    const canonicalIdx = canonical.map((v) => choices.findIndex((c) => c.value === v))
    // Agents who send identical requests: one group per condition, or, with earlier answers in context, per
    // condition and distinct earlier exchange (its hash).
    const groupOf = (agent: PendingAgent): string => {
      const earlier = history?.get(agent.agentId)
      if (earlier === undefined || earlier.length === 0) return String(agent.conditionIdx)
      return `${agent.conditionIdx}:${createHash("sha256").update(JSON.stringify(earlier)).digest("base64")}`
    }
    const groups = agents.map(groupOf)
    const users = new Map<string, { n: number; first: PendingAgent }>()
    agents.forEach((a, j) => {
      const u = users.get(groups[j]!)
      if (u === undefined) users.set(groups[j]!, { n: 1, first: a })
      else u.n++
    })
    // Per group, its items' responses once known (from the first page that asked them): later pages
    // neither build nor ask those requests again; they count as shared.
    const slotsOf = (g: string) => {
      const id = `${step}:${g}`
      let slots = known.get(id)
      if (slots === undefined) {
        slots = new Array<KnownSlot | undefined>(nItems)
        known.set(id, slots)
      }
      return slots
    }
    const toAsk: Array<{ readonly g: string; readonly i: number }> = []
    for (const [g, u] of users) {
      const slots = slotsOf(g)
      let served = 0
      for (let i = 0; i < nItems; i++) {
        if (slots[i] === undefined) toAsk.push({ g, i })
        else served += u.n
      }
      asker.countShared(served)
    }
    const asked = yield* Effect.forEach(
      toAsk,
      (s) => {
        const u = users.get(s.g)!
        const messages = [...openingFor(spec, u.first, history), itemTurn(q.prompts, q.items[s.i]!, choices, true)]
        return askShared(spec.backend, asker, messages, choices, u.n).pipe(
          Effect.map((o) => {
            if (o.kind !== "dist") return o
            const slot: KnownSlot = { key: o.key, dist: Float64Array.from(canonicalIdx, (j) => o.presented[j] ?? 0), method: scoringCode(o.method), mass: o.mass }
            slotsOf(s.g)[s.i] = slot
            return o
          })
        )
      },
      { concurrency: Math.max(8, spec.backend.concurrency) }
    )
    const failures = new Map<string, (typeof asked)[number]>()
    toAsk.forEach((s, j) => {
      if (asked[j]!.kind !== "dist") failures.set(`${s.g}|${s.i}`, asked[j]!)
    })
    const page = new PageColumns(agents.length, nItems, k, scoringCode(spec.backend.scoring))
    const fallbacks: Array<number> = []
    agents.forEach((agent, a) => {
      const draw = drawStream(spec, step, agent.agentId)
      const slots = slotsOf(groups[a]!)
      for (let i = 0; i < nItems; i++) {
        const m = a * nItems + i
        const slot = slots[i]
        if (slot !== undefined) {
          page.values[m] = canonical[categorical(slot.dist, draw)]!
          page.scoring[m] = slot.method
          page.setDist(m, slot.dist)
          page.setRequest(m, slot.key, 1)
          if (!Number.isNaN(slot.mass)) page.setMass(m, slot.mass)
          continue
        }
        // One draw per item whatever happens to it, so a fallback does not shift the agent's later draws
        // (its answers would then depend on which requests the server happened to degrade).
        draw()
        const r = failures.get(`${groups[a]}|${i}`)!
        if (r.kind === "own") {
          page.scoring[m] = scoringCode("sample")
          fallbacks.push(m)
        } else if (r.kind === "failed") page.setError(m, r.error.message, true)
      }
    })
    // Degraded shared responses: each agent asks on its own (rare, so one effect per such answer is fine).
    yield* Effect.forEach(
      fallbacks,
      (m) => {
        const a = Math.floor(m / nItems)
        const agent = agents[a]!
        const messages = [...openingFor(spec, agent, history), itemTurn(q.prompts, q.items[m % nItems]!, choices, true)]
        return askOwn(spec, q, asker, agent.agentId, messages).pipe(
          Effect.match({
            onSuccess: (own) => {
              page.values[m] = own.value ?? NaN
              page.setRequest(m, own.key, own.asks)
              if (own.value === null) page.setError(m, "unparseable answer after the last re-ask", false)
            },
            onFailure: (e) => page.setError(m, e.message, true)
          })
        )
      },
      { concurrency: Math.max(8, spec.backend.concurrency), discard: true }
    )
    page.degraded = fallbacks.length
    return answerPage(step, agents, page)
  })

/**
 * A model behind the asker as a respondent (`contextOf`: the earlier exchange a step shows each agent, for a
 * panel's repeat with `context: answers`). `independent` administration under logprob scoring answers pages
 * of agents from shared requests (`logprobPage`); under sample scoring, and in `session` and `batch`
 * administration, each agent asks its own, a page of agents at once: a fixed set of workers (as many as the
 * run's concurrency) takes the page's answers one after another (independent), or one worker per conversation
 * (session, batch), and each outcome goes straight into the page's columns. Two pages are in flight, so one page's last requests
 * overlap the next page's first and every permit stays busy; more while requests back off (`maxPagesInFlight`).
 */
/**
 * Pages of per-agent requests in flight at most, while the backend's permits idle (issue 21, item 6): with 20 %
 * of requests failing and retried after 0.25–2 s, a page of 4 × concurrency requests waits seconds for its
 * slowest retry chain, so a fast server needs tens of pages open to keep its permits busy.
 */
const MAX_PAGES_IN_FLIGHT = 32

export const llmRespondent = (spec: RunSpec, asker: Asker, contextOf: (step: number) => AgentContext | null = () => null): Respondent => {
  const c = Math.max(1, spec.backend.concurrency)
  const shared = (q: Questionnaire) => isShared(spec.backend.scoring) && q.administration === "independent"
  const known = new Map<string, Array<KnownSlot | undefined>>()
  // A panel's repeat with `context: answers` shows each agent its earlier exchange (src/experiments/context.ts).
  const contexts = new Map<number, AgentContext | null>()
  const historyOf = (step: number, agents: ReadonlyArray<PendingAgent>): EarlierExchange => {
    if (!contexts.has(step)) contexts.set(step, contextOf(step))
    return contexts.get(step)?.(agents.map((a) => a.agentId)) ?? null
  }
  return {
    paging: (q) =>
      shared(q)
        ? { pageSize: 1024, pagesInFlight: 2, maxPagesInFlight: 4 }
        : {
            // About 4 × concurrency requests per page of independent items; max(8, 2 × concurrency) conversations
            // of a session or batch, each its own worker (an agent waiting out a retry's backoff holds no permit).
            pageSize: q.administration === "independent" ? Math.ceil((4 * c) / Math.max(1, q.items.length)) : Math.max(8, 2 * c),
            pagesInFlight: 2,
            // While requests back off, pages waiting on their last retries stay open and others start beside them.
            maxPagesInFlight: MAX_PAGES_IN_FLIGHT
          },
    answer: (step, q, agents) => {
      const history = historyOf(step, agents)
      if (shared(q)) return logprobPage(spec, step, q, agents, asker, known, history)
      const page = new PageColumns(agents.length, q.items.length, q.scale.length, scoringCode(spec.backend.scoring))
      const ask = pageAsker(spec, step, q, asker, page, history)
      const work = q.administration === "independent"
        ? inWorkers(agents.length * q.items.length, c, ask.independent(agents))
        : inWorkers(agents.length, agents.length, q.administration === "session" ? ask.session(agents) : ask.batch(agents))
      return Effect.map(work, () => answerPage(step, agents, page))
    }
  }
}
