/**
 * The capability probe: a handful of chat requests that find out what an OpenAI-compatible endpoint accepts and
 * returns — logprobs and their cap, the option mass of the first token, stated probabilities, structured
 * outputs, whether `temperature` and `max_tokens` are accepted (or `max_completion_tokens` is needed), and whether
 * the model thinks (reasoning tokens, `<think>`, a reply cut by `finish_reason: length`) — and the scoring method
 * `auto` chooses from that, with a one-line reason.
 *
 * Requests go out with plain `fetch` rather than the run's client: the probe must see a refusal's own words (a
 * 400 naming `top_logprobs` or `temperature`) and fields the client does not keep. The result is a plain record:
 * the run manifest stores it (`probe`) and client settings can be derived from it.
 */
import { Effect } from "effect"
import type { BackendSettings, RunSpec } from "../config/RunSpec.js"
import type { ChatMessage, Completion, ScoringMode } from "../domain/answers.js"
import { presentedChoices, type PresentedChoice } from "../domain/questionnaire.js"
import { itemTurn, openingMessages } from "../engine/prompts.js"
import { decisionChoices, firstDecision, firstGameMessages } from "../engine/GameRunner.js"
import { societyChoices, societyMessages } from "../society/prompts.js"
import type { CompletionRequest } from "../llm/LlmClient.js"
import { chatCompletionBody, toCompletion } from "../llm/LlmClientOpenAi.js"
import { optionMass } from "../llm/scoring.js"
import { describeRequest, type Preloaded } from "../engine/RequestCache.js"
import { constrainedShape, massThresholdOf, shapeOf, statedShape } from "../scoring/methods.js"
import { constrainedLabel } from "../scoring/constrained.js"
import { readStated, statedTurn } from "../scoring/stated.js"

/** What the probe found about one endpoint and model. Every field is plain data (stored as JSON in the manifest). */
export interface ProbeResult {
  readonly baseUrl: string
  readonly model: string
  /** The first question came back with top logprobs. */
  readonly logprobs: boolean
  /** The most top logprobs the server returned or allows (null: no logprobs). */
  readonly topLogprobsCap: number | null
  /** Probability the first token's top logprobs put on the options (null: no logprobs). */
  readonly optionMass: number | null
  /** Probability the logprobs at the answer of a constrained reply put on the options (null: not measured). */
  readonly constrainedMass?: number | null
  /** A stated-probability reply was valid JSON over the options (null: not asked). */
  readonly stated: boolean | null
  /** A constrained answer (the backend's dialect, default a JSON-schema `enum`) was accepted and kept to the options (null: not asked). */
  readonly structuredOutputs: boolean | null
  /** `temperature` was accepted (false: refused by a 400 naming it). */
  readonly temperatureAccepted: boolean
  /** `max_tokens` was accepted (false: refused; `max_completion_tokens` is needed). */
  readonly maxTokensAccepted: boolean
  /** The model thinks: reasoning tokens reported, a `<think>` block or reasoning field, or a reply cut by its token limit with no text. */
  readonly thinks: boolean
  readonly thinkingEvidence: ReadonlyArray<string>
  /** The method `auto` chooses, and why (one line). */
  readonly method: ScoringMode
  readonly reason: string
  /** HTTP requests the probe sent (0 when its findings came from the response cache). */
  readonly requests: number
  /** The findings were read from the response cache (an earlier probe of the same endpoint, model and question). */
  readonly fromCache?: boolean
}

/** What `probeEndpoint` gives: its findings, the replies the run may keep as its own, and whether they may be cached. */
export interface Probed {
  readonly result: ProbeResult
  readonly preloaded: ReadonlyArray<Preloaded>
  /** False when the first request failed (the server down or refusing): such findings are not kept for a later run. */
  readonly settled: boolean
  /** Requests sent again after a transient failure (counted in `result.requests` too). */
  readonly retries: number
}

/** One probe request's outcome: the parsed body (200) or the status and error text. */
interface Reply {
  readonly status: number
  readonly body: unknown
  readonly error: string
}

const isTransient = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/** The error text of a refusal, whichever shape the server wraps it in (OpenAI's object, Google's array, plain text). */
const errorText = (body: unknown, raw: string): string => {
  const first = Array.isArray(body) ? body[0] : body
  if (isRecord(first)) {
    const e = first["error"]
    if (isRecord(e) && typeof e["message"] === "string") return e["message"]
    if (typeof e === "string") return e
    if (typeof first["message"] === "string") return first["message"]
    if (typeof first["detail"] === "string") return first["detail"]
  }
  return raw.slice(0, 300)
}

const post = (baseUrl: string, apiKey: string, body: unknown, timeoutMs: number): Effect.Effect<Reply> =>
  Effect.promise(async () => {
    try {
      const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs)
      })
      const raw = await res.text()
      let parsed: unknown = raw
      try {
        parsed = JSON.parse(raw)
      } catch {
        // not JSON: kept as text
      }
      return { status: res.status, body: parsed, error: res.ok ? "" : errorText(parsed, raw) }
    } catch (e) {
      return { status: 0, body: null, error: e instanceof Error ? e.message : String(e) }
    }
  })

/** Signs of thinking in a 200 body: reasoning tokens, a reasoning field, a `<think>` block, a reply cut with no text. */
const thinkingSigns = (body: unknown): Array<string> => {
  const signs: Array<string> = []
  if (!isRecord(body)) return signs
  const usage = isRecord(body["usage"]) ? body["usage"] : {}
  const details = isRecord(usage["completion_tokens_details"]) ? usage["completion_tokens_details"] : {}
  if (typeof details["reasoning_tokens"] === "number" && details["reasoning_tokens"] > 0) signs.push(`${details["reasoning_tokens"]} reasoning tokens`)
  const choice = Array.isArray(body["choices"]) && isRecord(body["choices"][0]) ? body["choices"][0] : {}
  const message = isRecord(choice["message"]) ? choice["message"] : {}
  if (typeof message["reasoning_content"] === "string" || typeof message["reasoning"] === "string") signs.push("a reasoning field in the reply")
  const content = typeof message["content"] === "string" ? message["content"] : ""
  if (/<think>/i.test(content)) signs.push("a <think> block in the reply")
  if (choice["finish_reason"] === "length" && content.trim() === "") signs.push("finish_reason length with no text")
  return signs
}

/** The cap a refusal of `top_logprobs` names ("must be less than or equal to 5"), or null. */
const capOf = (error: string): number | null => {
  const m = /top_logprobs[^0-9]{0,80}?(\d{1,2})\b/i.exec(error) ?? /\b(?:at most|<=|less than or equal to|maximum(?: of)?)\s*(\d{1,2})\b/i.exec(error)
  return m === null ? null : Number(m[1])
}

/**
 * The room for hidden reasoning that `auto` adds to `max_completion_tokens` when a model refuses `max_tokens`
 * (o-series, gpt-5 family), unless the user set `--max-completion-tokens`. Billing counts the tokens used, not the
 * limit; `--reasoning-effort minimal` (or `low`) is the lever on cost.
 */
export const AUTO_REASONING_TOKENS = 4096

/** The token limit of a sampled reply when auto falls to sample scoring (as `--scoring sample`'s default). */
export const SAMPLE_DEFAULT_TOKENS = 16

/**
 * The backend settings a run under `auto` takes from its probe: no temperature where the server refuses one, and
 * `max_completion_tokens` (with room to reason) where it refuses `max_tokens`. The user's own settings win.
 */
export const adaptToProbe = (backend: BackendSettings, r: Pick<ProbeResult, "method" | "temperatureAccepted" | "maxTokensAccepted">): BackendSettings => ({
  ...backend,
  scoring: r.method,
  // Sample scoring parses a generated reply: one token (logprob's default limit) leaves no room for an opener.
  ...(r.method === "sample" && backend.maxTokens <= 1 ? { maxTokens: SAMPLE_DEFAULT_TOKENS } : {}),
  ...(!r.temperatureAccepted && backend.omitTemperature !== true ? { omitTemperature: true } : {}),
  ...(!r.maxTokensAccepted && backend.maxCompletionTokens === undefined ? { maxCompletionTokens: AUTO_REASONING_TOKENS } : {})
})

export interface ProbeInput {
  readonly backend: BackendSettings
  readonly apiKey: string
  /** The question asked: its messages (the last turn the item as `itemTurn` words it) and its options. */
  readonly messages: ReadonlyArray<ChatMessage>
  readonly choices: ReadonlyArray<PresentedChoice>
  /** Also ask with a JSON-schema enum (the `probe` command does; a run needs it only for constrained scoring). */
  readonly structured?: boolean
}

/**
 * Probes the endpoint with the question given and chooses the method for `auto`: logprob where the options carry
 * at least the mass threshold on the first token, else constrained where the server holds an answer to the
 * options and its logprobs there carry the threshold, else stated where a stated reply is valid, else sample.
 * `preloaded`: the probe's replies that are exactly requests the run sends under the chosen method (the first
 * question's), so they are not asked again.
 */
export const probeEndpoint = (input: ProbeInput): Effect.Effect<Probed> =>
  Effect.gen(function* () {
    const { backend, apiKey, messages, choices } = input
    const baseUrl = backend.baseUrl ?? ""
    const timeout = backend.timeoutMs
    let requests = 0
    let retries = 0
    let temperatureAccepted = true
    let maxTokensAccepted = true
    let cap: number | null = backend.topLogprobs
    const evidence: Array<string> = []
    const send = (request: CompletionRequest) =>
      Effect.gen(function* () {
        const body: Record<string, unknown> = { ...chatCompletionBody(backend.model, request) }
        if (!temperatureAccepted) delete body["temperature"]
        if (!maxTokensAccepted && body["max_tokens"] !== undefined) {
          // A reasoning model: max_completion_tokens counts its hidden reasoning too, so the reply needs room for it.
          body["max_completion_tokens"] = Number(body["max_tokens"]) + AUTO_REASONING_TOKENS
          delete body["max_tokens"]
        }
        let reply = yield* post(baseUrl, apiKey, body, timeout)
        requests++
        // Transient failures (a network error, 408, 429, 5xx) are retried with backoff, as the run would retry them.
        for (let attempt = 1; attempt < backend.maxAttempts && isTransient(reply.status); attempt++) {
          yield* Effect.sleep(Math.min(8000, 500 * 2 ** (attempt - 1)))
          reply = yield* post(baseUrl, apiKey, body, timeout)
          requests++
          retries++
        }
        if (reply.status === 200) evidence.push(...thinkingSigns(reply.body).filter((s) => !evidence.includes(s)))
        return reply
      })

    // 1. The question as a logprob request; a refusal naming a parameter is asked again without it (at most 4 times).
    const logprobBackend: BackendSettings = { ...backend, scoring: "logprob" }
    const asLogprob = describeRequest(logprobBackend, messages, null, shapeOf(logprobBackend, "logprob"))
    let request: CompletionRequest = asLogprob.request
    let reply = yield* send(request)
    let logprobsRefused = false
    for (let tries = 0; tries < 4 && reply.status === 400; tries++) {
      const e = reply.error
      if (/top_logprobs/i.test(e) && capOf(e) !== null && capOf(e)! < (cap ?? 20)) cap = capOf(e)
      else if (/logprob/i.test(e)) logprobsRefused = true
      else if (/temperature/i.test(e) && temperatureAccepted) temperatureAccepted = false
      else if (/max_tokens/i.test(e) && maxTokensAccepted) maxTokensAccepted = false
      else break
      request = { ...request, logprobs: !logprobsRefused, topLogprobs: cap ?? request.topLogprobs }
      reply = yield* send(request)
    }
    if (reply.status !== 200) {
      const result: ProbeResult = {
        baseUrl, model: backend.model, logprobs: false, topLogprobsCap: null, optionMass: null, stated: null, structuredOutputs: null,
        temperatureAccepted, maxTokensAccepted, thinks: evidence.length > 0, thinkingEvidence: evidence, method: "sample",
        reason: `the first request failed (${reply.status === 0 ? reply.error : `${reply.status}: ${reply.error}`}); sample is the only method left to try`,
        requests
      }
      return { result, preloaded: [], settled: false, retries }
    }
    const completion = toCompletion(reply.body)
    const first: Completion | null = typeof completion === "string" ? null : completion
    const top = first?.topLogprobs ?? null
    const logprobs = top !== null && top.length > 0
    const mass = logprobs ? optionMass(top, choices) : null
    // The server returned as many as asked (its cap is at least that), or fewer (its cap).
    if (logprobs) cap = Math.min(top.length, request.topLogprobs)
    const preloaded: Array<Preloaded> = []
    // The reply is the run's own first request only when nothing had to be changed to get it.
    const unchanged = request === asLogprob.request && temperatureAccepted && maxTokensAccepted
    const threshold = massThresholdOf(backend)

    // 2. Structured outputs (asked by the probe command, and by a run when the first token's option mass is low):
    // the question as the run's constrained request, in the backend's dialect, with logprobs where the server has them.
    let structuredOutputs: boolean | null = null
    let constrainedMass: number | null = null
    const lowMass = logprobs && mass !== null && mass < threshold
    if (input.structured === true || lowMass) {
      const constrainedBackend: BackendSettings = { ...backend, scoring: "constrained" }
      const shape = { ...constrainedShape(constrainedBackend, choices), logprobs }
      const constraint = shape.constraint!
      const asConstrained = describeRequest(constrainedBackend, messages, null, shape)
      const r = yield* send(asConstrained.request)
      const c = r.status === 200 ? toCompletion(r.body, constraint) : "refused"
      structuredOutputs = typeof c !== "string" && constrainedLabel(c.text, constraint.options, constraint.dialect) !== null
      if (structuredOutputs && typeof c !== "string" && logprobs) {
        constrainedMass = optionMass(c.topLogprobs, choices)
        if (lowMass && constrainedMass >= threshold && unchanged) {
          preloaded.push({ key: asConstrained.key, body: asConstrained.body, completion: c, attempts: 1, latencyMs: 0 })
        }
      }
    }

    if (logprobs && mass !== null && mass >= threshold) {
      if (unchanged && first !== null) preloaded.push({ key: asLogprob.key, body: asLogprob.body, completion: first, attempts: 1, latencyMs: 0 })
      const result: ProbeResult = {
        baseUrl, model: backend.model, logprobs, topLogprobsCap: cap, optionMass: mass, stated: null, structuredOutputs, temperatureAccepted,
        maxTokensAccepted, thinks: evidence.length > 0, thinkingEvidence: evidence, method: "logprob",
        reason: `the options carry ${mass.toFixed(3)} of the first token's probability (threshold ${threshold})`, requests
      }
      return { result, preloaded, settled: true, retries }
    }

    if (lowMass && structuredOutputs === true && constrainedMass !== null && constrainedMass >= threshold) {
      const result: ProbeResult = {
        baseUrl, model: backend.model, logprobs, topLogprobsCap: cap, optionMass: mass, constrainedMass, stated: null, structuredOutputs, temperatureAccepted,
        maxTokensAccepted, thinks: evidence.length > 0, thinkingEvidence: evidence, method: "constrained",
        reason: `the options carry only ${mass!.toFixed(3)} of the first token's probability, but ${constrainedMass.toFixed(3)} at the answer of a reply held to the options (threshold ${threshold})`,
        requests
      }
      return { result, preloaded, settled: true, retries }
    }

    // 3. Stated probabilities, asked exactly as the run would ask them.
    const statedBackend: BackendSettings = { ...backend, scoring: "stated" }
    const statedMessages = [...messages.slice(0, -1), statedTurn(messages[messages.length - 1]!, choices)]
    const asStated = describeRequest(statedBackend, statedMessages, null, statedShape(statedBackend, choices))
    const statedReply = yield* send(asStated.request)
    const statedCompletion = statedReply.status === 200 ? toCompletion(statedReply.body) : null
    const statedOk = statedCompletion !== null && typeof statedCompletion !== "string" && "dist" in readStated(statedCompletion.text, choices)
    if (statedOk && temperatureAccepted && maxTokensAccepted) {
      preloaded.push({ key: asStated.key, body: asStated.body, completion: statedCompletion as Completion, attempts: 1, latencyMs: 0 })
    }
    const why = logprobs ? `the options carry only ${mass!.toFixed(3)} of the first token's probability (threshold ${threshold})` : logprobsRefused ? "the server refuses logprobs" : "the server returns no logprobs"
    const result: ProbeResult = {
      baseUrl, model: backend.model, logprobs, topLogprobsCap: logprobs ? cap : null, optionMass: mass, stated: statedOk, structuredOutputs,
      temperatureAccepted, maxTokensAccepted, thinks: evidence.length > 0, thinkingEvidence: evidence,
      method: statedOk ? "stated" : "sample",
      reason: statedOk ? `${why}; the model states valid probabilities per option` : `${why}, and its stated probabilities were not valid JSON over the options`,
      requests
    }
    return { result, preloaded, settled: true, retries }
  })

/**
 * The question `--scoring auto`'s probe asks: the run's first independent questionnaire item, else the first
 * decision of its first game, else the first question of its first society (null when it has none of these).
 */
export const probeQuestion = (spec: RunSpec): { readonly messages: ReadonlyArray<ChatMessage>; readonly choices: ReadonlyArray<PresentedChoice> } | null => {
  const system = spec.population.conditions[0]!.system
  const step = spec.steps.find((s) => s.kind === "questionnaire" && s.questionnaire.administration === "independent")
  if (step !== undefined && step.kind === "questionnaire") {
    const q = step.questionnaire
    const choices = presentedChoices(q)
    return { messages: [...openingMessages(system), itemTurn(q.prompts, q.items[0]!, choices, true)], choices }
  }
  const game = spec.steps.findIndex((s) => s.kind === "game")
  if (game >= 0) return { messages: firstGameMessages(spec, game, system), choices: decisionChoices(firstDecision(spec, game)) }
  const society = spec.steps.find((s) => s.kind === "society")
  if (society !== undefined && society.kind === "society") return { messages: societyMessages(society.society, system, 1, 0), choices: societyChoices(society.society) }
  return null
}

/** Bumped when what the probe finds or how it chooses changes, so findings cached by an older version are not used. */
const PROBE_VERSION = 1

/**
 * What the probe's findings are cached under in the response cache (as a request body; the cache adds the
 * endpoint and what its `/models` says serves the model, so another model behind the URL is probed afresh): the
 * first question as a logprob request (model, parameters, messages) and the settings that decide the method.
 */
export const probeCacheBody = (backend: BackendSettings, messages: ReadonlyArray<ChatMessage>): string => {
  const logprobBackend: BackendSettings = { ...backend, scoring: "logprob" }
  return JSON.stringify({
    probe: PROBE_VERSION,
    request: JSON.parse(describeRequest(logprobBackend, messages, null, shapeOf(logprobBackend, "logprob")).body) as unknown,
    threshold: massThresholdOf(backend),
    dialect: backend.constrainedDialect ?? null
  })
}

/** Findings read back from the cache, or null when the text is not a probe result (damaged, or another shape). */
export const readCachedProbe = (text: string): ProbeResult | null => {
  try {
    const r = JSON.parse(text) as Partial<ProbeResult>
    const methods: ReadonlyArray<string> = ["logprob", "constrained", "stated", "sample"]
    if (typeof r !== "object" || r === null || typeof r.method !== "string" || !methods.includes(r.method) || typeof r.reason !== "string") return null
    return { ...(r as ProbeResult), requests: 0, fromCache: true }
  } catch {
    return null
  }
}

/** The probe's findings as a table and the chosen method with its reason (the `probe` command and a run's start print it). */
export const probeTable = (r: ProbeResult): Array<string> => {
  const yesNo = (b: boolean | null) => (b === null ? "not asked" : b ? "yes" : "no")
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["endpoint", `${r.baseUrl} (model ${r.model})`],
    ["logprobs", r.logprobs ? `yes, top ${r.topLogprobsCap ?? "?"}` : "no"],
    ["option mass (first token)", r.optionMass === null ? "–" : r.optionMass.toFixed(3)],
    ["stated probabilities", yesNo(r.stated)],
    ["structured outputs", yesNo(r.structuredOutputs)],
    ["option mass (constrained)", r.constrainedMass === null || r.constrainedMass === undefined ? "–" : r.constrainedMass.toFixed(3)],
    ["temperature", r.temperatureAccepted ? "accepted" : "refused"],
    ["max_tokens", r.maxTokensAccepted ? "accepted" : "refused (max_completion_tokens needed)"],
    ["thinks", r.thinks ? `yes (${r.thinkingEvidence.join("; ")})` : "no sign"],
    ["requests sent", r.fromCache === true ? "0 (found in the response cache: an earlier probe of this model and question)" : String(r.requests)]
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  return [...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), `method: ${r.method} — ${r.reason}`]
}
