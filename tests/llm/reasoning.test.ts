import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { APIError } from "openai"
import { chatCompletionBody, classify, toCompletion } from "../../src/llm/LlmClientOpenAi.js"
import { fixFor, normaliseErrorBody } from "../../src/llm/diagnose.js"
import { estimateTokens, holdMs, makePacer, parseResetMs, pauseOf } from "../../src/llm/rateLimits.js"
import { reasoningRequest, stripThinking, truncationFix, unreadableReply } from "../../src/llm/reasoning.js"
import type { CompletionRequest } from "../../src/llm/LlmClient.js"

const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] ?? null })

const base: CompletionRequest = {
  messages: [{ role: "user", content: "Pick 1-6." }],
  logprobs: false,
  topLogprobs: 20,
  maxTokens: 16,
  temperature: 0.7,
  seed: undefined
}

describe("rate-limit headers", () => {
  it("reads OpenAI's reset durations", () => {
    assert.strictEqual(parseResetMs("12ms"), 12)
    assert.strictEqual(parseResetMs("1s"), 1000)
    assert.strictEqual(parseResetMs("1.5s"), 1500)
    assert.strictEqual(parseResetMs("6m0s"), 360_000)
    assert.strictEqual(parseResetMs("1h2m3s"), 3_723_000)
    assert.strictEqual(parseResetMs("2"), 2000)
    assert.strictEqual(parseResetMs("soon"), undefined)
    assert.strictEqual(parseResetMs(null), undefined)
  })

  it("holds sends only when a window is empty: one request's share of the reset, or the whole reset without a limit", () => {
    assert.strictEqual(holdMs({ limit: 300, remaining: 5, resetMs: 1000 }), 0)
    // 300 requests come back over 60 s: one every 200 ms.
    assert.strictEqual(holdMs({ limit: 300, remaining: 0, resetMs: 60_000 }), 200)
    assert.strictEqual(holdMs({ limit: undefined, remaining: 0, resetMs: 6_000 }), 6_000)
    assert.strictEqual(pauseOf(headers({ "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s" }), undefined), 1000)
    assert.strictEqual(pauseOf(headers({ "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s", "x-ratelimit-limit-tokens": "1000" }), 2500), 2500)
    assert.strictEqual(pauseOf(headers({}), undefined), 0)
  })

  it.effect("the pacer holds every waiter until a 429's Retry-After has passed", () =>
    Effect.gen(function* () {
      const pacer = makePacer()
      yield* pacer.wait // nothing observed: at once
      pacer.observe(headers({ "retry-after-ms": "1500" }), 429)
      const waiter = yield* Effect.fork(pacer.wait)
      yield* TestClock.adjust("1499 millis")
      assert.isNull(yield* Fiber.poll(waiter).pipe(Effect.map((o) => (o._tag === "Some" ? o.value : null))))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(waiter)
      // A 200's Retry-After means nothing; its empty window does.
      pacer.observe(headers({ "retry-after": "30" }), 200)
      yield* pacer.wait
      assert.strictEqual(pacer.until(), 1500)
    }))

  it.effect("while the window is empty the pacer spaces sends one request's share of the reset apart", () =>
    Effect.gen(function* () {
      const pacer = makePacer()
      pacer.observe(headers({ "x-ratelimit-limit-requests": "300", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1m0s" }), 200)
      let sent = 0
      const senders = yield* Effect.forEach([1, 2, 3], () => Effect.fork(Effect.zipRight(pacer.wait, Effect.sync(() => sent++))))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(sent, 1)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(sent, 2)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(sent, 3)
      yield* Effect.forEach(senders, Fiber.join)
      // Room again: no spacing.
      pacer.observe(headers({ "x-ratelimit-limit-requests": "300", "x-ratelimit-remaining-requests": "12", "x-ratelimit-reset-requests": "2s" }), 200)
      yield* pacer.wait
    }))

  it("estimates a request's tokens from its prompt and reply limit", () => {
    assert.strictEqual(estimateTokens([{ content: "x".repeat(400) }], 16), 116)
  })
})

describe("reasoning models", () => {
  it("sends max_completion_tokens, reasoning_effort, no temperature and extra_body only when set", () => {
    assert.deepStrictEqual(chatCompletionBody("m", base), { model: "m", messages: [...base.messages], temperature: 0.7, max_tokens: 16 })
    const extras = reasoningRequest({ maxTokens: 16, maxCompletionTokens: 32, reasoningEffort: "low", omitTemperature: true, thinkingBudget: 100, extraBody: { chat_template_kwargs: { enable_thinking: false }, model: "not this" } })
    assert.deepStrictEqual<unknown>(chatCompletionBody("m", { ...base, ...extras }), {
      chat_template_kwargs: { enable_thinking: false },
      model: "m",
      messages: [...base.messages],
      max_completion_tokens: 132,
      reasoning_effort: "low"
    })
    // Without max_completion_tokens a thinking budget raises max_tokens.
    const budgeted: Record<string, unknown> = chatCompletionBody("m", { ...base, ...reasoningRequest({ maxTokens: 16, thinkingBudget: 500 }) })
    assert.strictEqual(budgeted["max_tokens"], 516)
    assert.deepStrictEqual(reasoningRequest({ maxTokens: 16 }), {})
  })

  it("reads past a <think> block, and marks replies that reasoned", () => {
    assert.deepStrictEqual(stripThinking("<think>\nhmm 3 or 4\n</think>\n\n4"), { text: "4", thinking: true })
    assert.deepStrictEqual(stripThinking("<think>\nstill going"), { text: "", thinking: true })
    assert.deepStrictEqual(stripThinking("4"), { text: "4", thinking: false })
    const reasoned = toCompletion({ choices: [{ message: { content: "", reasoning_content: "let me think" }, finish_reason: "length" }], usage: { completion_tokens: 16 } })
    assert.isTrue(typeof reasoned !== "string" && reasoned.thinking === true)
    const openAi = toCompletion({ choices: [{ message: { content: "" }, finish_reason: "length" }], usage: { completion_tokens: 16, completion_tokens_details: { reasoning_tokens: 16 } } })
    assert.isTrue(typeof openAi !== "string" && openAi.thinking === true)
    const plain = toCompletion({ choices: [{ message: { content: "5" }, finish_reason: "stop" }] })
    // Looked for and not seen: false (stored as 0, exported as false), not unknown.
    assert.isTrue(typeof plain !== "string" && plain.thinking === false)
  })

  it("a reply cut by its limit names the setting; cut while thinking it is not re-asked", () => {
    const cut = unreadableReply({ finishReason: "length", thinking: true, completionTokens: 16 }, { maxTokens: 16 })
    assert.isFalse(cut.reask)
    assert.match(cut.error, /finish_reason: length.*still thinking.*--thinking-budget/)
    assert.isTrue(unreadableReply({ finishReason: "length", completionTokens: 16 }, { maxTokens: 16 }).reask)
    assert.deepStrictEqual(unreadableReply({ finishReason: "stop", completionTokens: 3 }, { maxTokens: 16 }), { error: "unparseable answer after the last re-ask", reask: true })
    assert.match(truncationFix({ completionTokens: 0 }, { maxTokens: 8, maxCompletionTokens: 8 }), /--max-completion-tokens/)
  })
})

describe("refusals", () => {
  it("rewrites Gemini's array, vLLM's top-level fields and bare strings into OpenAI's error shape", () => {
    assert.strictEqual(normaliseErrorBody('[{"error":{"code":400,"message":"Logprobs is not supported for this model","status":"INVALID_ARGUMENT"}}]'), '{"error":{"code":400,"message":"Logprobs is not supported for this model","status":"INVALID_ARGUMENT"}}')
    assert.strictEqual(normaliseErrorBody('{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}'), '{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}}')
    assert.strictEqual(normaliseErrorBody('{"error":"model \\"x\\" not found"}'), '{"error":{"message":"model \\"x\\" not found"}}')
    assert.isNull(normaliseErrorBody('{"error":{"message":"fine as it is"}}'))
    assert.isNull(normaliseErrorBody("Internal Server Error"))
  })

  it("names the setting to change", () => {
    assert.match(fixFor({ status: 400, text: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." })!, /--max-completion-tokens/)
    assert.match(fixFor({ status: 400, text: "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported." })!, /--no-temperature/)
    assert.match(fixFor({ status: 400, text: "Logprobs is not supported for this model" })!, /--scoring sample/)
    assert.match(fixFor({ status: 400, text: "Requested top_logprobs (25) exceeds maximum allowed value (20)" })!, /top_logprobs/)
    assert.match(fixFor({ status: 404, text: "The model `x` does not exist" })!, /--model/)
    assert.isNull(fixFor({ status: 400, text: "messages must not be empty" }))
  })

  it("an exhausted quota is its own reason, in the provider's words", () => {
    const quota = APIError.generate(
      429,
      { error: { message: "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota", code: "insufficient_quota" } },
      undefined,
      new Headers()
    )
    const e = classify(quota, { nowMs: 0 })
    assert.strictEqual(e.reason, "QuotaExhausted")
    assert.strictEqual(e.detail, "You exceeded your current quota, please check your plan and billing details.")
  })
})
