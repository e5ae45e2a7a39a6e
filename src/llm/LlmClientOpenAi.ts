import { Clock, Effect, Layer } from "effect"
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai"
import type { Completion } from "../domain/answers.js"
import type { AttemptOptions, CompletionRequest } from "./LlmClient.js"
import { LlmClient } from "./LlmClient.js"
import type { LlmErrorReason } from "./LlmError.js"
import { LlmError } from "./LlmError.js"
import { BufferedResponse, FetchCancel, makePooledFetch } from "./pooledFetch.js"
import type { PooledFetch, PooledRequestInit } from "./pooledFetch.js"
import { fixFor, normaliseErrorBody } from "./diagnose.js"
import type { Pacer } from "./rateLimits.js"
import { reasonedIn, stripThinking } from "./reasoning.js"
import { answerTopLogprobs, constraintFields, type Constraint } from "../scoring/constrained.js"

/**
 * The API key sent to an OpenAI-compatible server: OPENAI_API_KEY when it says something, else a placeholder (a
 * local server needs none). An empty OPENAI_API_KEY counts as unset; passed through, it made the openai client
 * refuse to start ("Missing credentials"), which valuesim reported as an internal error.
 */
export const apiKeyOf = (env: Readonly<Record<string, string | undefined>>): string => {
  const key = env["OPENAI_API_KEY"]?.trim()
  return key === undefined || key === "" ? "no-key" : key
}

export interface OpenAiConfig {
  readonly baseURL: string
  readonly apiKey: string
  readonly model: string
  /** Keep-alive connections in the pool: the requests the caller keeps in flight (default 64). */
  readonly connections?: number
  /** Told the rate-limit headers of every response (src/llm/rateLimits.ts), so the scheduler can pace by them. */
  readonly pacer?: Pacer
}

type FetchOptions = NonNullable<NonNullable<Parameters<OpenAI["chat"]["completions"]["create"]>[1]>["fetchOptions"]>

/**
 * The SDK's timeout when the caller gives none. Node's `setTimeout` fires at once for delays above
 * 2^31 − 1 ms, so this stays well below that.
 */
const SDK_TIMEOUT_MS = 24 * 60 * 60 * 1000

const MAX_DETAIL = 300

/**
 * An OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp server, Ollama, …), reached through
 * the `openai` SDK over a pooled keep-alive transport sized to the caller's concurrency. The SDK neither
 * retries (the scheduler does) nor keeps a timer of its own beyond the per-attempt timeout it is given.
 */
export const layer = (config: OpenAiConfig): Layer.Layer<LlmClient> =>
  Layer.sync(LlmClient, () => {
    const transport = makePooledFetch(Math.max(1, config.connections ?? 64))
    const client = new OpenAI({
      baseURL: config.baseURL,
      apiKey: config.apiKey,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      fetch: readingFetch(transport.fetch, config.pacer)
    })
    const failWith = (error: unknown, timeoutMs: number | undefined) =>
      Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
        Effect.fail(
          error instanceof APIConnectionTimeoutError && timeoutMs !== undefined
            ? new LlmError({ reason: "Timeout", detail: `no response within ${timeoutMs} ms` })
            : classify(error, { nowMs, secret: config.apiKey })
        ))
    const complete = (request: CompletionRequest, options: AttemptOptions = {}): Effect.Effect<Completion, LlmError> =>
      Effect.async<Completion, LlmError>((resume) => {
        const timeoutMs = options.timeoutMs === undefined ? undefined : Math.max(1, Math.round(options.timeoutMs))
        // Interruption cancels through the transport; the SDK's own abort signal carries the timeout.
        const cancel = new FetchCancel()
        const init: Pick<PooledRequestInit, "cancel"> = { cancel }
        // The SDK passes per-request fetch options through to the fetch untouched; its type knows no `cancel`.
        const fetchOptions = init as FetchOptions
        client.chat.completions.create(
          chatCompletionBody(config.model, request),
          { timeout: timeoutMs ?? SDK_TIMEOUT_MS, fetchOptions }
        ).then(
          (raw: unknown) => {
            const completion = toCompletion(raw, request.constraint)
            resume(
              typeof completion === "string"
                ? Effect.fail(new LlmError({ reason: "BadResponse", detail: completion }))
                : Effect.succeed(completion)
            )
          },
          (error: unknown) => resume(failWith(error, timeoutMs))
        )
        return Effect.sync(() => cancel.cancel())
      })
    return { model: config.model, complete }
  })

/**
 * The transport as the SDK sees it: every response's rate-limit headers go to the pacer, and an error body in
 * another server's shape is rewritten into OpenAI's (src/llm/diagnose.ts), which is the only one the SDK reads.
 */
const readingFetch = (fetch: PooledFetch["fetch"], pacer: Pacer | undefined): PooledFetch["fetch"] => async (input, init) => {
  const response = await fetch(input, init)
  pacer?.observe(response.headers, response.status)
  if (response.status < 400) return response
  const text = await response.text()
  const body = normaliseErrorBody(text) ?? text
  return new BufferedResponse(response.status, response.statusText, response.headers, Buffer.from(body, "utf8"), response.url) as unknown as Response
}

/**
 * The chat-completion body of a request, as sent online and as written on a batch input line (the two must
 * agree, so that a batch answers exactly what the online run would have asked).
 */
export const chatCompletionBody = (model: string, request: CompletionRequest) => ({
  // Fields the user asked to merge in come first: the ones valuesim sets itself are not overwritten by them.
  ...request.extraBody,
  model,
  messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
  ...(request.omitTemperature === true ? {} : { temperature: request.temperature }),
  ...(request.maxCompletionTokens === undefined ? { max_tokens: request.maxTokens } : { max_completion_tokens: request.maxCompletionTokens }),
  ...(request.reasoningEffort === undefined ? {} : { reasoning_effort: request.reasoningEffort as OpenAI.ReasoningEffort }),
  ...(request.seed === undefined ? {} : { seed: request.seed }),
  ...(request.logprobs ? { logprobs: true, top_logprobs: request.topLogprobs } : {}),
  ...(request.constraint === undefined ? {} : constraintFields(request.constraint))
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/**
 * Reads a chat-completion body defensively: the SDK returns whatever the server sent (a plain string when
 * the content type is not JSON). Returns the completion, or a description of what is wrong. A constrained
 * request's (`constraint`) top logprobs are those at the answer's position, not the first token's.
 */
export const toCompletion = (raw: unknown, constraint?: Constraint): Completion | string => {
  if (!isRecord(raw)) return `expected a chat completion object, got ${describe(raw)}`
  const choices = raw["choices"]
  if (!Array.isArray(choices) || choices.length === 0) return "chat completion has no choices"
  const first: unknown = choices[0]
  if (!isRecord(first) || !isRecord(first["message"])) return "chat completion choice has no message"
  const content = first["message"]["content"]
  if (content !== null && content !== undefined && typeof content !== "string") {
    return "chat completion message content is not a string"
  }
  const usage = isRecord(raw["usage"]) ? raw["usage"] : {}
  const finish = first["finish_reason"]
  // A thinking model's `<think>` block is not its answer; the answer is what follows it (nothing, if it never closed).
  const { text, thinking } = stripThinking(content ?? "")
  return {
    text,
    topLogprobs: constraint === undefined
      ? firstTopLogprobs(first["logprobs"])
      : isRecord(first["logprobs"]) ? answerTopLogprobs(first["logprobs"]["content"]) : null,
    promptTokens: count(usage["prompt_tokens"]),
    completionTokens: count(usage["completion_tokens"]),
    finishReason: typeof finish === "string" ? finish : null,
    // Looked for in every reply: false is "none seen" (reasoning the server hides without counting it stays unseen).
    thinking: thinking || reasonedIn(first["message"], usage),
    servedBy: typeof raw["model"] === "string" ? raw["model"] : null
  }
}

const firstTopLogprobs = (
  logprobs: unknown
): ReadonlyArray<{ readonly token: string; readonly logprob: number }> | null => {
  if (!isRecord(logprobs) || !Array.isArray(logprobs["content"])) return null
  const first: unknown = logprobs["content"][0]
  if (!isRecord(first) || !Array.isArray(first["top_logprobs"])) return null
  const top: Array<{ readonly token: string; readonly logprob: number }> = []
  for (const t of first["top_logprobs"] as ReadonlyArray<unknown>) {
    if (isRecord(t) && typeof t["token"] === "string" && typeof t["logprob"] === "number") {
      top.push({ token: t["token"], logprob: t["logprob"] })
    }
  }
  return top
}

const count = (u: unknown): number => (typeof u === "number" && Number.isFinite(u) ? u : 0)

const describe = (u: unknown): string => {
  if (typeof u === "string") return `text ${JSON.stringify(u.slice(0, 80))}`
  return u === null ? "null" : typeof u
}

/**
 * Milliseconds to wait according to `retry-after-ms` (milliseconds) or `retry-after` (seconds, or an HTTP
 * date relative to `nowMs`). `undefined` when neither header is present and valid.
 */
export const retryAfterMs = (
  headers: { readonly get: (name: string) => string | null } | undefined,
  nowMs: number
): number | undefined => {
  if (headers === undefined) return undefined
  const ms = headers.get("retry-after-ms")
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
  const after = headers.get("retry-after")
  if (after === null || after.trim() === "") return undefined
  const seconds = Number(after)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(after)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/** The message the provider wrote in its error body, when it wrote one. */
const providerWords = (error: APIError): string | undefined => {
  const body: unknown = error.error
  return isRecord(body) && typeof body["message"] === "string" && body["message"].trim() !== "" ? body["message"] : undefined
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED"
])
const NETWORK_MESSAGE = /socket hang up|other side closed|terminated|fetch failed|network|connection error/i
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT"])

/** The error and its `cause` chain (bounded, in case of cycles). */
const causes = (error: unknown): ReadonlyArray<unknown> => {
  const chain: Array<unknown> = []
  let e: unknown = error
  while (e !== undefined && e !== null && chain.length < 5) {
    chain.push(e)
    e = isRecord(e) ? e["cause"] : undefined
  }
  return chain
}

const codeOf = (e: unknown): string | undefined =>
  isRecord(e) && typeof e["code"] === "string" ? e["code"] : undefined

/**
 * Maps anything the SDK can throw to an `LlmError`. `nowMs` resolves `Retry-After` dates; `secret` (the API
 * key) is scrubbed from the detail, since some servers echo the key back in their error messages.
 */
export const classify = (error: unknown, context: { readonly nowMs: number; readonly secret?: string }): LlmError => {
  const make = (
    reason: LlmErrorReason,
    detail: string,
    extra: { status?: number; requestId?: string; retryAfterMs?: number } = {}
  ): LlmError => {
    const secret = context.secret
    const scrubbed = secret !== undefined && secret.length >= 4 ? detail.split(secret).join("[redacted]") : detail
    return new LlmError({
      reason,
      detail: scrubbed.length > MAX_DETAIL ? `${scrubbed.slice(0, MAX_DETAIL)}…` : scrubbed,
      ...(extra.status === undefined ? {} : { status: extra.status }),
      ...(extra.requestId === undefined ? {} : { requestId: extra.requestId }),
      ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs })
    })
  }
  const message = error instanceof Error ? error.message : String(error)

  // Order matters: the timeout class extends the connection class, which extends APIError.
  if (error instanceof APIConnectionTimeoutError) return make("Timeout", message)
  if (error instanceof APIUserAbortError) return make("Timeout", "request aborted")
  if (error instanceof APIConnectionError) {
    const chain = causes(error)
    const timedOut = chain.some((e) => {
      const code = codeOf(e)
      return code !== undefined && TIMEOUT_CODES.has(code)
    })
    const detail = chain.slice(1).map((e) => (e instanceof Error ? e.message : String(e))).join(": ")
    return make(timedOut ? "Timeout" : "Network", detail === "" ? message : `${message}: ${detail}`)
  }
  if (error instanceof APIError) {
    const status = error.status
    const requestId = error.requestID ?? undefined
    const base = { ...(status === undefined ? {} : { status }), ...(requestId === undefined ? {} : { requestId }) }
    if (status === undefined) return make("Network", message, base)
    if (status === 429) {
      // An exhausted quota also answers 429, but waiting does not help: the run stops with the provider's words.
      if (error.code === "insufficient_quota") return make("QuotaExhausted", providerWords(error) ?? message, base)
      const wait = retryAfterMs(error.headers, context.nowMs)
      return make("RateLimited", message, wait === undefined ? base : { ...base, retryAfterMs: wait })
    }
    if (status >= 500) return make("ServerError", message, base)
    if (status === 401 || status === 403) return make("Auth", message, base)
    if (status === 408) return make("Timeout", message, base)
    if (status === 409) return make("ServerError", message, base)
    if (error.code === "content_filter" || error.code === "content_policy_violation") {
      return make("ContentFilter", message, base)
    }
    // A refusal that names a parameter, logprobs or the model gets the setting to change.
    const fix = fixFor({ status, text: `${message} ${error.code ?? ""} ${error.param ?? ""}` })
    return make("BadRequest", fix === null ? message : `${message} — ${fix}`, base)
  }
  // Thrown while reading the body, after the status line arrived.
  if (error instanceof SyntaxError) return make("BadResponse", `response body is not valid JSON: ${message}`)
  for (const e of causes(error)) {
    const code = codeOf(e)
    if (code !== undefined && TIMEOUT_CODES.has(code)) return make("Timeout", message)
    if (code !== undefined && NETWORK_CODES.has(code)) return make("Network", `${message} (${code})`)
    if (e instanceof Error && e.name === "AbortError") return make("Timeout", "request aborted")
    if (e instanceof Error && NETWORK_MESSAGE.test(e.message)) return make("Network", message)
  }
  return make("BadResponse", message)
}
