/**
 * Loopback emulators of today's model servers, one per kind, built on the fake OpenAI server
 * (`startFakeServer({ profile })`). Each follows its server's documented request/response contract; the facts
 * and where they come from are collected in /work/shared/SERVERS.md:
 *
 * - `openai-chat`: OpenAI API reference, "Create chat completion" (openai/openai-node
 *   src/resources/chat/completions/completions.ts): logprobs with top_logprobs 0–20; an unknown model is a 404
 *   `model_not_found`.
 * - `openai-reasoning` (o-series, gpt-5 family): same reference and OpenAI's "Reasoning models" guide:
 *   `max_tokens` refused (400 `unsupported_parameter`, "Use 'max_completion_tokens' instead"), a temperature
 *   other than 1 refused (400 `unsupported_value`), logprobs refused (400); `max_completion_tokens` counts the
 *   hidden reasoning tokens (`usage.completion_tokens_details.reasoning_tokens`), and a limit spent on reasoning
 *   gives empty content with `finish_reason: "length"`. The order of the checks is not documented: this one
 *   checks max_tokens, then temperature, then logprobs (one error per request, as the API answers).
 * - `anthropic`: Anthropic docs, "OpenAI SDK compatibility": `logprobs`, `top_logprobs` and `seed` silently
 *   ignored; temperature capped at 1.
 * - `gemini`: Google's "OpenAI compatibility" docs and GoogleCloudPlatform/generative-ai #2947: errors come as a
 *   JSON array wrapping the error object; logprobs refused on some models ("Logprobs is not supported for this
 *   model").
 * - `vllm`: vLLM docs "OpenAI-Compatible Server" and vllm/entrypoints/openai/protocol.py: errors as
 *   `{"object": "error", "message", "type", "param", "code"}`; `--max-logprobs` (default 20) caps top_logprobs
 *   (more is a 400); a reasoning parser puts a thinking model's reasoning in `reasoning_content`, and
 *   `chat_template_kwargs: {enable_thinking: false}` turns Qwen3's thinking off.
 * - `ollama`: Ollama docs "OpenAI compatibility" (docs.ollama.com/api/openai-compatibility) and ollama/ollama
 *   #12899: logprobs from v0.12.11 (v0.12.10 ignores the field); `reasoning_effort: "none"` turns thinking off
 *   (ollama/ollama #14820), the reasoning otherwise comes in `reasoning`; an unknown model is a 404 "model … not
 *   found, try pulling it first".
 * - `llamacpp`: llama.cpp tools/server README: OpenAI-style logprobs since PR #10783 (entries carry an extra
 *   `id`); the model name is not checked (the server serves the model it loaded); `chat_template_kwargs` and
 *   `reasoning_content` (`--reasoning-format deepseek`) as vLLM.
 * - `thinking`: a Qwen3-style thinking model whose reply opens with `<think> … </think>` in `content` (vLLM
 *   without a reasoning parser, llama.cpp `--reasoning-format none`); with a limit too small for its reasoning,
 *   `content` is cut inside the block and `finish_reason` is `length`.
 *
 * Rate limits and quota (any kind; OpenAI "Rate limits" guide and "Error codes"): `rateLimit` refills a bucket
 * of `rpm` requests steadily over a minute and sends `x-ratelimit-{limit,remaining,reset}-requests` on every
 * reply (resets like `12ms`, `1s`, `6m0s`); an empty bucket answers 429 `rate_limit_exceeded` with `retry-after`
 * and `retry-after-ms`. `quotaAfter: n` answers every request after the n-th with 429 `insufficient_quota`.
 *
 * The model behind every kind is the fake server's (`answerFor`: a known distribution per prompt). What it
 * writes first and how long it thinks are stated assumptions of these tests, not server contracts. Asked for
 * stated probabilities (the request of src/scoring/stated.ts, which names the keys it wants), it states a
 * distribution over exactly those keys, drawn from a hash of the question, as one JSON object in a fence.
 */
import { answerFor, completionBody, fnv1a, MODEL, messagesOf, prng, startFakeServer, type FakeServer, type FakeServerOptions, type ProfileReply } from "./fakeOpenAiServer.js"

export const SERVER_KINDS = ["openai-chat", "openai-reasoning", "anthropic", "gemini", "vllm", "ollama", "llamacpp", "thinking"] as const
export type ServerKind = (typeof SERVER_KINDS)[number]

export interface EmulatorOptions extends Omit<FakeServerOptions, "profile"> {
  readonly kind: ServerKind
  /** Model names the server knows (default: the fake server's MODEL). */
  readonly models?: ReadonlyArray<string>
  /** Ollama's version: logprobs from "0.12.11" (the default); "0.12.10" ignores the field. */
  readonly ollamaVersion?: "0.12.10" | "0.12.11"
  /** A thinking model behind vllm, ollama or llamacpp (always for `thinking`): tokens it reasons before answering. */
  readonly thinkingTokens?: number
  /** Requests per minute the server allows (a steadily refilling bucket); `burst`: the bucket's start (default rpm). */
  readonly rateLimit?: { readonly rpm: number; readonly burst?: number }
  /** Every request after the n-th is refused with 429 insufficient_quota. */
  readonly quotaAfter?: number
}

export interface Emulator extends FakeServer {
  readonly kind: ServerKind
  /** Replies by status code. */
  readonly statuses: Readonly<Record<string, number>>
}

type Body = Record<string, unknown>

const bodyOf = (u: unknown): Body => (typeof u === "object" && u !== null ? (u as Body) : {})

/** A rate-limit reset as OpenAI writes it: `12ms`, `1s`, `6m0s`. */
export const formatReset = (ms: number): string => {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`
  const s = Math.ceil(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`
}

const openAiError = (status: number, message: string, type: string, param: string | null, code: string | null): ProfileReply => ({
  status,
  body: { error: { message, type, param, code } }
})

/**
 * The model's stated probabilities when the last user turn asks for them (src/scoring/stated.ts names the keys as
 * `{"0": p1, "1": p2, …}`), else null: the keys asked with a distribution drawn from a hash of the question, rounded
 * to 3 decimals (the last takes the rest, so they add up to 1).
 */
export const statedAnswer = (messages: ReadonlyArray<{ readonly role: string; readonly content: string }>, model: string): string | null => {
  const last = [...messages].reverse().find((m) => m.role === "user")?.content ?? ""
  if (!/Do not pick a single option|could not be used/.test(last)) return null
  const keys = [...new Set([...last.matchAll(/"([^"]+)": p\d+/g)].map((m) => m[1]!))]
  if (keys.length < 2) return null
  const rand = prng(fnv1a(`stated:${model}\n${messages.map((m) => `${m.role}:${m.content}`).join("\n")}`))
  const w = keys.map(() => Math.exp(3 * rand()))
  const total = w.reduce((a, x) => a + x, 0)
  const p = w.map((x) => Math.round((1000 * x) / total) / 1000)
  p[p.length - 1] = Math.max(0, Math.round(1000 * (1 - p.slice(0, -1).reduce((a, x) => a + x, 0))) / 1000)
  return "```json\n" + JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, p[i]]))) + "\n```"
}

/** The default answer of the model behind every kind, shaped as an OpenAI chat completion. */
const answer = (body: unknown, n: number, withLogprobs: boolean) => {
  const b = bodyOf(body)
  const model = typeof b["model"] === "string" ? b["model"] : MODEL
  const stated = statedAnswer(messagesOf(body), model)
  const found = answerFor(messagesOf(body), model)
  const content = stated ?? found.content
  const top = found.top
  const full = completionBody(withLogprobs ? body : { ...b, logprobs: false }, content, top, 1_700_000_000, n) as {
    choices: Array<{ message: Record<string, unknown>; logprobs: unknown; finish_reason: string }>
    usage: Record<string, unknown>
  }
  return { full, content }
}

/** The request's token limit: max_completion_tokens, else max_tokens, else none. */
const limitOf = (b: Body): number => {
  const v = b["max_completion_tokens"] ?? b["max_tokens"]
  return typeof v === "number" ? v : Infinity
}

const THOUGHT = "Let me weigh how well this statement describes me before I pick an option"

/**
 * A thinking model's reply: `tokens` of reasoning (in `field`, or inline as a `<think>` block), then the answer;
 * cut with `finish_reason: length` when the limit leaves no room for the answer.
 */
const thinkingReply = (body: unknown, n: number, tokens: number, field: "reasoning_content" | "reasoning" | null, withLogprobs: boolean): ProfileReply => {
  const b = bodyOf(body)
  const { full, content } = answer(body, n, false)
  const limit = limitOf(b)
  const choice = full.choices[0]!
  const words = THOUGHT.split(" ")
  const reasoning = Array.from({ length: Math.min(tokens, limit) }, (_, i) => words[i % words.length]).join(" ")
  const cut = limit < tokens + 2
  if (field === null) choice.message["content"] = cut ? `<think>\n${reasoning}` : `<think>\n${reasoning}\n</think>\n\n${content}`
  else {
    choice.message["content"] = cut ? "" : content
    choice.message[field] = reasoning
  }
  choice.finish_reason = cut ? "length" : "stop"
  full.usage["completion_tokens"] = cut ? limit : tokens + 2
  // Logprobs, where asked, cover the first generated token: the reasoning's (Ollama: "chat logprobs cover every
  // generated token, thinking included"), so no option is among them.
  if (withLogprobs && b["logprobs"] === true) {
    const top = [{ token: field === null ? "<think>" : "Let", logprob: -0.01, bytes: [] as Array<number> }]
    choice.logprobs = { content: [{ ...top[0]!, top_logprobs: top }], refusal: null }
  }
  return { status: 200, body: full }
}

const plain = (body: unknown, n: number, withLogprobs: boolean): ProfileReply => ({ status: 200, body: answer(body, n, withLogprobs).full })

/** Qwen3's switch: `chat_template_kwargs: {enable_thinking: false}`. */
const thinkingOff = (b: Body): boolean => {
  const kw = bodyOf(b["chat_template_kwargs"])
  return kw["enable_thinking"] === false
}

const REASONING_TOKENS: Record<string, number> = { none: 0, minimal: 0, low: 32, medium: 128, high: 512 }

const kindReply = (o: EmulatorOptions, body: unknown, n: number): ProfileReply => {
  const b = bodyOf(body)
  const model = typeof b["model"] === "string" ? b["model"] : ""
  const known = (o.models ?? [MODEL]).includes(model)
  const thinks = o.thinkingTokens !== undefined && o.thinkingTokens > 0
  switch (o.kind) {
    case "openai-chat":
      if (!known) return openAiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", null, "model_not_found")
      return plain(body, n, true)
    case "openai-reasoning": {
      if (!known) return openAiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", null, "model_not_found")
      if (b["max_tokens"] !== undefined) {
        return openAiError(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "invalid_request_error", "max_tokens", "unsupported_parameter")
      }
      if (b["temperature"] !== undefined && b["temperature"] !== 1) {
        return openAiError(400, `Unsupported value: 'temperature' does not support ${String(b["temperature"])} with this model. Only the default (1) value is supported.`, "invalid_request_error", "temperature", "unsupported_value")
      }
      if (b["logprobs"] === true) return openAiError(400, "Unsupported parameter: 'logprobs' is not supported with this model.", "invalid_request_error", "logprobs", "unsupported_parameter")
      const effort = typeof b["reasoning_effort"] === "string" ? b["reasoning_effort"] : "medium"
      const reasoning = REASONING_TOKENS[effort] ?? 128
      const { full, content } = answer(body, n, false)
      const limit = limitOf(b)
      const cut = limit < reasoning + 1
      full.choices[0]!.message["content"] = cut ? "" : content
      full.choices[0]!.finish_reason = cut ? "length" : "stop"
      full.usage["completion_tokens"] = cut ? limit : reasoning + 1
      full.usage["completion_tokens_details"] = { reasoning_tokens: Math.min(limit, reasoning) }
      return { status: 200, body: full }
    }
    case "anthropic":
      if (!known) return { status: 404, body: { type: "error", error: { type: "not_found_error", message: `model: ${model}` } } }
      return plain(body, n, false)
    case "gemini":
      if (!known) {
        return { status: 404, body: [{ error: { code: 404, message: `models/${model} is not found for API version v1main, or is not supported for generateContent.`, status: "NOT_FOUND" } }] }
      }
      if (b["logprobs"] === true) return { status: 400, body: [{ error: { code: 400, message: "Logprobs is not supported for this model", status: "INVALID_ARGUMENT" } }] }
      return plain(body, n, false)
    case "vllm": {
      if (!known) return { status: 404, body: { object: "error", message: `The model \`${model}\` does not exist.`, type: "NotFoundError", param: null, code: 404 } }
      const top = typeof b["top_logprobs"] === "number" ? b["top_logprobs"] : 0
      if (top > 20) return { status: 400, body: { object: "error", message: `Requested top_logprobs (${top}) exceeds maximum allowed value (20)`, type: "BadRequestError", param: null, code: 400 } }
      return thinks && !thinkingOff(b) ? thinkingReply(body, n, o.thinkingTokens!, "reasoning_content", true) : plain(body, n, true)
    }
    case "ollama": {
      if (!known) return openAiError(404, `model "${model}" not found, try pulling it first`, "api_error", null, null)
      const logprobs = (o.ollamaVersion ?? "0.12.11") !== "0.12.10"
      return thinks && b["reasoning_effort"] !== "none" ? thinkingReply(body, n, o.thinkingTokens!, "reasoning", logprobs) : plain(body, n, logprobs)
    }
    case "llamacpp": {
      if (thinks && !thinkingOff(b)) return thinkingReply(body, n, o.thinkingTokens!, "reasoning_content", true)
      const reply = plain(body, n, true)
      // llama-server adds the token id to every logprob entry.
      const lp = (reply.body as { choices: Array<{ logprobs: { content: Array<{ top_logprobs: Array<Record<string, unknown>> } & Record<string, unknown>> } | null }> }).choices[0]!.logprobs
      lp?.content.forEach((c, i) => {
        c["id"] = 1000 + i
        c.top_logprobs.forEach((t, j) => (t["id"] = 2000 + j))
      })
      return reply
    }
    case "thinking":
      if (!known) return { status: 404, body: { object: "error", message: `The model \`${model}\` does not exist.`, type: "NotFoundError", param: null, code: 404 } }
      return thinkingOff(b) ? plain(body, n, true) : thinkingReply(body, n, o.thinkingTokens ?? 300, null, true)
  }
}

/** Starts the emulator of one server kind on a loopback port. */
export const startEmulator = async (o: EmulatorOptions): Promise<Emulator> => {
  const statuses: Record<string, number> = {}
  const rpm = o.rateLimit?.rpm
  let tokens = o.rateLimit?.burst ?? rpm ?? 0
  let refilledAt = Date.now()
  let served = 0
  const limited = (reply: () => ProfileReply): ProfileReply => {
    if (rpm === undefined) return reply()
    const now = Date.now()
    tokens = Math.min(rpm, tokens + ((now - refilledAt) * rpm) / 60_000)
    refilledAt = now
    const perMs = rpm / 60_000
    const headers = (remaining: number) => ({
      "x-ratelimit-limit-requests": String(rpm),
      "x-ratelimit-remaining-requests": String(Math.max(0, Math.floor(remaining))),
      "x-ratelimit-reset-requests": formatReset((rpm - remaining) / perMs)
    })
    if (tokens < 1) {
      const waitMs = Math.ceil((1 - tokens) / perMs)
      return {
        ...openAiError(429, `Rate limit reached for requests on ${MODEL}: Limit ${rpm}, Used ${rpm}, Requested 1. Please try again in ${formatReset(waitMs)}.`, "requests", "requests", "rate_limit_exceeded"),
        headers: { ...headers(tokens), "retry-after": String(Math.ceil(waitMs / 1000)), "retry-after-ms": String(waitMs) }
      }
    }
    tokens -= 1
    const r = reply()
    return { ...r, headers: { ...r.headers, ...headers(tokens) } }
  }
  const profile = (body: unknown, n: number): ProfileReply => {
    const r = (() => {
      if (o.quotaAfter !== undefined && ++served > o.quotaAfter) {
        return openAiError(429, "You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", null, "insufficient_quota")
      }
      return limited(() => kindReply(o, body, n))
    })()
    statuses[r.status] = (statuses[r.status] ?? 0) + 1
    return r
  }
  const server = await startFakeServer({ ...o, profile })
  return Object.assign(Object.create(server) as FakeServer, { kind: o.kind, statuses }) as Emulator
}
