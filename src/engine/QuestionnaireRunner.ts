import type Sqlite from "better-sqlite3"
import { Chunk, Effect, Option, Stream } from "effect"
import type { RunSpec } from "../config/RunSpec.js"
import type { ChatMessage, Completion, ItemAnswer } from "../domain/answers.js"
import { presentedChoices, valueSystemOf, type PresentedChoice, type Questionnaire } from "../domain/questionnaire.js"
import { positionOn, valuesOf, VALUES_10, type Value10 } from "../domain/values.js"
import { parseAnswer, parseBatchAnswer, renormaliseLogprobs } from "../llm/scoring.js"
import { categorical, stream } from "../sampling/rng.js"
import {
  circleItemDistribution,
  circleProfile,
  circleValueItemDistribution,
  gradedResponse,
  itemDistribution,
  latentProfile,
  PROFILE_LENGTH,
  STYLE_INDEX,
  SYNTHETIC_DEFAULTS,
  valueItemDistribution
} from "../sampling/synthetic.js"
import type { CompactUnits, UnitResult } from "../store/RunStore.js"
import type { ResultWriter } from "../store/ResultWriter.js"
import { batchReaskTurn, batchTurn, itemTurn, openingMessages, reaskTurn } from "./prompts.js"
import type { Asker } from "./RequestCache.js"
import { unitsInFlight } from "./Scheduler.js"

export interface PendingAgent {
  readonly agentId: number
  readonly conditionIdx: number
}

/** Agents whose unit for `step` is not done (pending or failed), in id order, paged so memory stays flat. */
export const pendingAgents = (db: Sqlite.Database, step: number, pageSize: number): Stream.Stream<ReadonlyArray<PendingAgent>> => {
  const page = db.prepare(
    `SELECT u.agent_id AS agentId, a.condition_idx AS conditionIdx FROM units u JOIN agents a ON a.agent_id = u.agent_id
     WHERE u.step = ? AND u.state != 'done' AND u.agent_id > ? ORDER BY u.agent_id LIMIT ?`
  )
  return Stream.paginateChunkEffect(-1, (after) =>
    Effect.sync(() => {
      const rows = page.all(step, after, pageSize) as Array<PendingAgent>
      const last = rows[rows.length - 1]
      const next = last !== undefined && rows.length === pageSize ? Option.some(last.agentId) : Option.none()
      return [rows.length > 0 ? Chunk.of<ReadonlyArray<PendingAgent>>(rows) : Chunk.empty<ReadonlyArray<PendingAgent>>(), next] as const
    })
  )
}

/** Per-agent stream that draws the agent's answers from distributions; independent of processing order. */
const drawStream = (spec: RunSpec, step: number, agentId: number) => stream(spec.seed, "draw", step, agentId)

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

/**
 * The synthetic respondent answers a page of agents synchronously: no requests, no Effect and no object per
 * answer. The agent's latent profile comes from its own stream (shared by every step of the run), its draws
 * from a per-step stream.
 */
export const syntheticUnits = (spec: RunSpec, step: number, q: Questionnaire, agents: ReadonlyArray<PendingAgent>): CompactUnits => {
  const k = q.scale.length
  const nItems = q.items.length
  const values = new Int32Array(agents.length * nItems)
  const dists = new Float64Array(agents.length * nItems * k)
  // Value items are answered on the agent's standing on that value; other items on the sinusoid around the
  // value their content is centred on (`theory.peak`); items with neither only on the response style.
  const qSystem = valueSystemOf(q)
  const popSystem = spec.population.values ?? "basic"
  const circle = valuesOf(qSystem)
  // The ten basic values on both sides keep the original model; any other pairing (the 19 refined values, or a
  // population of one system answering a questionnaire of the other) uses the general circle of the questionnaire.
  const native = qSystem === "basic" && popSystem === "basic"
  const n = circle.length
  const valueOf = q.items.map((it) => (q.construct === "values" ? circle.indexOf(it.subscale) : -1))
  const peaks = q.items.map((it) => (it.theory ? circle.indexOf(it.theory.peak) : -1))
  const reverse = q.items.map((it) => it.reverse)
  const scaleValues = q.scale.map((o) => o.value)
  const choices = presentedChoices(q)
  const tokenOfValue = new Map(choices.map((c) => [c.value, c.token]))
  const raws: Array<string> | null = spec.backend.scoring === "sample" ? [] : null
  const profile = new Float64Array(native ? PROFILE_LENGTH : n + 1)
  agents.forEach((agent, a) => {
    const cond = spec.population.conditions[agent.conditionIdx]
    const profileRng = stream(spec.seed, "profile", agent.agentId)
    if (native) latentProfile(cond?.value ? VALUES_10.indexOf(cond.value as Value10) : null, profileRng, SYNTHETIC_DEFAULTS, profile)
    else circleProfile(n, cond?.value ? positionOn(qSystem, popSystem, cond.value) : null, profileRng, SYNTHETIC_DEFAULTS, profile)
    const draw = drawStream(spec, step, agent.agentId)
    for (let i = 0; i < nItems; i++) {
      const m = a * nItems + i
      const buf = dists.subarray(m * k, m * k + k)
      const v = valueOf[i]!
      const peak = peaks[i]!
      if (native) {
        if (v >= 0) valueItemDistribution(profile, v, reverse[i]!, k, buf)
        else if (peak >= 0) itemDistribution(profile, peak, reverse[i]!, k, buf)
        else gradedResponse(profile[STYLE_INDEX]!, k, buf)
      } else if (v >= 0) circleValueItemDistribution(profile, n, v, reverse[i]!, k, buf)
      else if (peak >= 0) circleItemDistribution(profile, n, peak, reverse[i]!, k, buf)
      else gradedResponse(profile[n]!, k, buf)
      const value = scaleValues[categorical(buf, draw)]!
      values[m] = value
      raws?.push(tokenOfValue.get(value)!)
    }
  })
  return {
    _tag: "CompactUnits",
    step,
    scoring: spec.backend.scoring,
    items: nItems,
    k,
    agentIds: agents.map((a) => a.agentId),
    values,
    dists,
    raws
  }
}

interface Scored {
  readonly value: number | null
  readonly dist: ReadonlyArray<number> | null
  readonly scoring: ItemAnswer["scoring"]
  readonly presentedToken: string | null
}

/**
 * Turns a completion into an answer over `choices` (as presented) whose canonical order is `canonical` (the
 * scale values, lowest first). `logprob`: renormalised first-token probabilities over the valid options, the
 * answer drawn with the agent's stream; when the server returned no usable logprobs the generated text is
 * parsed instead and the answer is marked `sample`. Shared by questionnaire items and game decisions.
 */
export const scoreChoice = (
  choices: ReadonlyArray<PresentedChoice>,
  canonical: ReadonlyArray<number>,
  text: string,
  top: Completion["topLogprobs"],
  mode: ItemAnswer["scoring"],
  draw: () => number
): Scored => {
  if (mode === "logprob" && top !== null) {
    const presented = renormaliseLogprobs(top, choices)
    if (presented !== null) {
      const dist = canonical.map((v) => presented[choices.findIndex((c) => c.value === v)] ?? 0)
      const value = canonical[categorical(dist, draw)]!
      return { value, dist, scoring: "logprob", presentedToken: choices.find((c) => c.value === value)!.token }
    }
  }
  const idx = parseAnswer(text, choices)
  if (idx === null) return { value: null, dist: null, scoring: "sample", presentedToken: null }
  return { value: choices[idx]!.value, dist: null, scoring: "sample", presentedToken: choices[idx]!.token }
}

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
export const llmUnit = (spec: RunSpec, step: number, q: Questionnaire, agent: PendingAgent, asker: Asker) =>
  Effect.gen(function* () {
    const cond = spec.population.conditions[agent.conditionIdx]!
    const choices = presentedChoices(q)
    const nonce = spec.backend.scoring === "sample" ? `agent:${agent.agentId}` : null
    const draw = drawStream(spec, step, agent.agentId)
    const opening = openingMessages(cond.system)

    /** Asks `turn` and re-asks until the answer parses or `1 + reasks` asks (counting `priorAsks`) are spent. */
    const askItem = (history: ReadonlyArray<ChatMessage>, turn: ChatMessage, priorAsks = 0) =>
      Effect.gen(function* () {
        let messages: Array<ChatMessage> = [...history, turn]
        let asks = priorAsks
        let promptTokens = 0
        let completionTokens = 0
        let latencyMs = 0
        while (true) {
          asks++
          const asked = yield* asker.ask(messages, nonce)
          promptTokens += asked.completion.promptTokens
          completionTokens += asked.completion.completionTokens
          latencyMs += asked.latencyMs
          const scored = scoreCompletion(q, asked.completion.text, asked.completion.topLogprobs, spec.backend.scoring, draw)
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
      // Scoring draws must happen in item order: ask concurrently, score afterwards.
      const asked = yield* Effect.forEach(
        q.items,
        (item) =>
          asker.ask([...opening, itemTurn(q.prompts, item, choices, true)], nonce).pipe(Effect.either),
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
    const unit: UnitResult = { step, agentId: agent.agentId, failed: answers.some((a) => a.error !== null && a.requestKey === null), answers }
    return unit
  })

/**
 * Lets timers and I/O run between pages of CPU-bound work. Effect's scheduler otherwise runs up to 2,048
 * rounds of microtasks before it yields to the event loop, which starved the progress reporter for the whole
 * of a synthetic run.
 */
export const yieldToEventLoop = Effect.async<void>((resume) => {
  setImmediate(() => resume(Effect.void))
})

/** Runs one questionnaire step over every pending agent, streaming finished units to the writer. */
export const runQuestionnaireStep = (
  spec: RunSpec,
  step: number,
  db: Sqlite.Database,
  writer: ResultWriter,
  asker: Asker | null,
  gate: Effect.Effect<void> = Effect.void
) => {
  const s = spec.steps[step]!
  if (s.kind !== "questionnaire") throw new Error(`step ${step} is not a questionnaire`)
  const q = s.questionnaire
  if (asker === null) {
    return pendingAgents(db, step, 128).pipe(
      Stream.mapEffect((agents) =>
        Effect.zipRight(gate, Effect.flatMap(Effect.sync(() => syntheticUnits(spec, step, q, agents)), writer.write)).pipe(Effect.zipRight(yieldToEventLoop))
      ),
      Stream.runDrain
    )
  }
  // Enough agents in flight to keep every permit busy, even in session mode where an agent asks one item at a
  // time. Under sample scoring every request is the agent's own, so the bound counts its items asked at once.
  const agentConcurrency = spec.backend.scoring === "sample"
    ? unitsInFlight(spec.backend.concurrency, q.administration === "independent" ? q.items.length : 1)
    : Math.max(8, spec.backend.concurrency * 2)
  return pendingAgents(db, step, 256).pipe(
    Stream.flattenIterables,
    Stream.mapEffect((agent) => llmUnit(spec, step, q, agent, asker), { concurrency: agentConcurrency, unordered: true }),
    Stream.runForEach((unit) => writer.write({ _tag: "Units", units: [unit] }))
  )
}
