import { Clock, Effect } from "effect"
import { createHash } from "node:crypto"
import type { ChatMessage, Completion } from "../domain/answers.js"
import type { BackendSettings } from "../config/RunSpec.js"
import { LlmClient, type CompletionRequest } from "../llm/LlmClient.js"
import { LlmError } from "../llm/LlmError.js"
import { reasoningRequest } from "../llm/reasoning.js"
import { estimateTokens } from "../llm/rateLimits.js"
import type { RunCounters } from "../progress/counters.js"
import { cacheable, type ResponseCache } from "../llm/responseCache.js"
import { requestLookup } from "../store/reads.js"
import type { ResultWriter } from "../store/ResultWriter.js"
import { placeValuePrompt } from "./prompts.js"
import type { RunDb } from "../store/RunStore.js"
import type { Scheduler } from "./Scheduler.js"
import { shapeOf, type RequestShape } from "../scoring/methods.js"

export interface Asked {
  readonly key: string
  readonly completion: Completion
  readonly attempts: number
  readonly latencyMs: number
  /** True when the answer came from the cache (this run or an earlier attempt of it), not a new request. */
  readonly cached: boolean
}

/** A response stored in the run (a `requestLookup` row) as the answer to its request. */
export const askedFromRow = (key: string, row: NonNullable<ReturnType<ReturnType<typeof requestLookup>>>): Asked => ({
  key,
  completion: {
    text: row.text ?? "",
    topLogprobs: row.topLogprobs === null ? null : (JSON.parse(row.topLogprobs) as Completion["topLogprobs"]),
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    // Kept since the columns were added, so a cut reply read back on resume still says why it is missing.
    finishReason: row.finishReason ?? null,
    ...(row.thinking === null || row.thinking === undefined ? {} : { thinking: row.thinking === 1 })
  },
  attempts: row.attempts,
  latencyMs: row.latencyMs,
  cached: true
})

/** Says what is wrong with a completion that cannot be used as asked (it is then retried like a 5xx), or null. */
export type Validate = (completion: Completion) => string | null

export interface Asker {
  /**
   * Sends a chat request once per distinct content: identical requests (same messages and parameters, same
   * `nonce`) share one model call, in flight or already stored in the run. `nonce` separates requests that
   * must be sampled independently (sample scoring: one per agent). A completion `validate` rejects is a
   * `Degraded` failure: retried, never stored or shared; after the last attempt every caller fails with it
   * (and later callers at once).
   */
  readonly ask: (
    messages: ReadonlyArray<ChatMessage>,
    nonce: string | null,
    validate?: Validate,
    sharedBy?: number,
    /** Another scoring method's request shape (`shapeOf`); default the backend's own. */
    shape?: RequestShape
  ) => Effect.Effect<Asked, LlmError>
  /** Counts `n` answers served by responses the caller already holds (asked before, not asked again). */
  readonly countShared: (n: number) => void
}

/** The completion as a `Degraded` failure when `validate` rejects it. */
export const validated = (task: Effect.Effect<Completion, LlmError>, validate: Validate | undefined): Effect.Effect<Completion, LlmError> =>
  validate === undefined
    ? task
    : Effect.flatMap(task, (c) => {
        const problem = validate(c)
        return problem === null ? Effect.succeed(c) : Effect.fail(new LlmError({ reason: "Degraded", status: 200, detail: problem }))
      })

const MEMORY_LIMIT = 50_000

/**
 * Content-addressed request cache in front of the scheduler: memory first, then the run's `requests` table
 * (so a resumed run pays nothing for what it already asked), then the model. New answers are written to
 * the run store through the single writer.
 */
/** The request a chat turn becomes, its stored body and its content key (same content → same key). */
export const describeRequest = (
  backend: BackendSettings,
  messages: ReadonlyArray<ChatMessage>,
  nonce: string | null,
  /** Another scoring method's request (a fallback): its logprobs and token limit. Default: the backend's own. */
  shape: RequestShape = shapeOf(backend, backend.scoring)
) => {
  const request: CompletionRequest = {
    // the value prompt where the backend's setting puts it (default: the system message the engine builds)
    messages: placeValuePrompt(messages, backend.valuePrompt),
    logprobs: shape.logprobs,
    topLogprobs: backend.topLogprobs,
    maxTokens: shape.maxTokens,
    temperature: backend.temperature,
    seed: backend.seed ?? undefined,
    // A thinking budget adds to the method's own limit (a stated reply needs more room than one logprob token),
    // and max_completion_tokens never leaves the method less room than it needs.
    ...reasoningRequest({
      ...backend,
      maxTokens: shape.maxTokens,
      ...(backend.maxCompletionTokens === undefined ? {} : { maxCompletionTokens: Math.max(backend.maxCompletionTokens, shape.maxTokens) })
    }),
    ...(shape.constraint === undefined ? {} : { constraint: shape.constraint })
  }
  const body = JSON.stringify({ model: backend.model, base: backend.baseUrl, ...request, nonce })
  const key = createHash("sha256").update(body).digest("hex").slice(0, 32)
  return { request, body, key }
}

/** A request already answered before the run's store existed (the start-up probe). */
export interface Preloaded {
  readonly key: string
  readonly body: string
  readonly completion: Completion
  readonly attempts: number
  readonly latencyMs: number
  /** Taken from the response cache across runs instead of the endpoint. */
  readonly fromCache?: boolean
}

export const makeAsker = (
  backend: BackendSettings,
  db: RunDb,
  writer: ResultWriter,
  scheduler: Scheduler,
  counters: RunCounters,
  preloaded: ReadonlyArray<Preloaded> = [],
  shared: ResponseCache | null = null
) =>
  Effect.gen(function* () {
    const llm = yield* LlmClient
    const memory = new Map<string, Asked>()
    const store = (key: string, body: string, completion: Completion, attempts: number, latencyMs: number) =>
      writer.write({
        _tag: "Request",
        row: {
          key,
          body,
          text: completion.text,
          topLogprobs: completion.topLogprobs === null ? null : JSON.stringify(completion.topLogprobs),
          promptTokens: completion.promptTokens,
          completionTokens: completion.completionTokens,
          latencyMs,
          attempts,
          finishReason: completion.finishReason,
          thinking: completion.thinking ?? null
        }
      })
    const lookup = requestLookup(db)
    const remember = (a: Asked) => {
      if (memory.size >= MEMORY_LIMIT) memory.delete(memory.keys().next().value as string)
      memory.set(a.key, a)
    }
    // Keys whose response stayed degraded after every attempt: not asked again in this run.
    const degraded = new Map<string, LlmError>()
    // `sharedBy`: how many answers this one ask serves (a page of agents asks a shared request once); all but
    // the one that sent it count as shared.
    const ask = (messages: ReadonlyArray<ChatMessage>, nonce: string | null, validate?: Validate, sharedBy = 1, shape?: RequestShape): Effect.Effect<Asked, LlmError> => {
      const { request, body, key } = describeRequest(backend, messages, nonce, shape)
      const known = degraded.get(key)
      if (known !== undefined) return Effect.fail(known)
      const hit = memory.get(key)
      if (hit !== undefined) {
        counters.cacheHits += sharedBy
        return Effect.succeed({ ...hit, cached: true })
      }
      const row = lookup(key)
      if (row !== undefined) {
        const stored = askedFromRow(key, row)
        // A stored response is held to the same standard as a fresh one (a batch line may have come back without
        // logprobs): a degraded one fails as it would after its retries, and is not asked again.
        const problem = validate?.(stored.completion) ?? null
        if (problem !== null) return Effect.fail(new LlmError({ reason: "Degraded", status: 200, detail: problem }))
        remember(stored)
        counters.cacheHits += sharedBy
        return Effect.succeed(stored)
      }
      const acrossRuns = shared !== null && cacheable(backend, nonce) ? shared : null
      return Effect.gen(function* () {
        if (acrossRuns !== null) {
          const now = yield* Clock.currentTimeMillis
          // From here to `remember` nothing yields, so concurrent asks of one key read the cache once.
          const again = memory.get(key)
          if (again !== undefined) {
            counters.cacheHits += sharedBy
            return { ...again, cached: true }
          }
          const c = acrossRuns.get(body, now)
          // A cached response is held to the same standard as a fresh one (a degraded response is never shared).
          if (c !== undefined && (validate === undefined || validate(c) === null)) {
            const asked: Asked = { key, completion: c, attempts: 0, latencyMs: 0, cached: true }
            counters.cacheHits += sharedBy
            counters.fromCache++
            remember(asked)
            yield* store(key, body, c, 0, 0)
            return asked
          }
        }
        // Only requests without a nonce can repeat: sharing one execution per key is for those alone.
        const tokens = estimateTokens(messages, request.maxCompletionTokens ?? request.maxTokens)
        const sent = yield* scheduler.run(nonce === null ? key : null, (attempt) => validated(llm.complete(request, attempt), validate), tokens).pipe(
          Effect.tapError((e) =>
            Effect.sync(() => {
              if (e.reason !== "Degraded") return
              if (degraded.size >= MEMORY_LIMIT) degraded.clear()
              degraded.set(key, e)
            })
          )
        )
        const asked: Asked = { key, completion: sent.value, attempts: sent.attempts, latencyMs: sent.latencyMs, cached: false }
        // Several waiters may share one execution; only the first to get here stores it.
        if (!memory.has(key)) {
          remember(asked)
          counters.requests++
          counters.cacheHits += sharedBy - 1
          counters.promptTokens += sent.value.promptTokens
          counters.completionTokens += sent.value.completionTokens
          yield* store(key, body, sent.value, sent.attempts, sent.latencyMs)
          if (acrossRuns !== null) acrossRuns.put(body, sent.value, yield* Clock.currentTimeMillis)
        }
        else counters.cacheHits += sharedBy
        return asked
      })
    }
    for (const p of preloaded) {
      if (lookup(p.key) !== undefined) continue
      remember({ key: p.key, completion: p.completion, attempts: p.attempts, latencyMs: p.latencyMs, cached: p.fromCache === true })
      if (p.fromCache === true) counters.fromCache++
      else {
        counters.requests++
        counters.promptTokens += p.completion.promptTokens
        counters.completionTokens += p.completion.completionTokens
      }
      yield* store(p.key, p.body, p.completion, p.attempts, p.latencyMs)
    }
    const asker: Asker = { ask, countShared: (n) => void (counters.cacheHits += n) }
    return asker
  })
