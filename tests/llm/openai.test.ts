import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { APIError } from "openai"
import type { CompletionRequest } from "../../src/llm/LlmClient.js"
import { LlmClient } from "../../src/llm/LlmClient.js"
import { classify, layer, retryAfterMs } from "../../src/llm/LlmClientOpenAi.js"
import type { LlmError } from "../../src/llm/LlmError.js"
import { parseAnswer, renormaliseLogprobs } from "../../src/llm/scoring.js"
import type { SchedulerEvent } from "../../src/engine/Scheduler.js"
import { makeScheduler } from "../../src/engine/Scheduler.js"
import { presentedChoices } from "../../src/domain/questionnaire.js"
import type { FakeServer } from "../helpers/fakeOpenAiServer.js"
import { startFakeServer } from "../helpers/fakeOpenAiServer.js"

const API_KEY = "sk-test-secret-key-0123456789"

const scale = [
  "Not like me at all",
  "Not like me",
  "A little like me",
  "Somewhat like me",
  "Like me",
  "Very much like me"
]
const choices = presentedChoices({
  scale: scale.map((label, i) => ({ value: i + 1, label })),
  optionOrder: "normal"
})

const request = (item: string, overrides: Partial<CompletionRequest> = {}): CompletionRequest => ({
  messages: [
    { role: "system", content: "You are a survey respondent." },
    { role: "user", content: `${item}\n${scale.map((l, i) => `${i + 1}. ${l}`).join("\n")}\nAnswer with a number.` }
  ],
  logprobs: true,
  topLogprobs: 20,
  maxTokens: 1,
  temperature: 0,
  seed: 7,
  ...overrides
})

const fakeServer = Effect.acquireRelease(
  Effect.promise(() => startFakeServer()),
  (s) => Effect.promise(() => s.close())
)

/** The real OpenAI layer pointed at a fresh fake server; `f` gets the server and the client. */
const withClient = <A, E>(
  f: (server: FakeServer, client: LlmClient["Type"]) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.scoped(
    Effect.gen(function*() {
      const server = yield* fakeServer
      const live = layer({ baseURL: server.url, apiKey: API_KEY, model: "fake-model" })
      const client = yield* Effect.provide(LlmClient, live)
      return yield* f(server, client)
    })
  )

const failure = <A>(effect: Effect.Effect<A, LlmError>) =>
  Effect.flatMap(Effect.flip(effect), (error) => Effect.succeed(error))

describe("LlmClientOpenAi against the fake server", () => {
  it.live("returns text and first-token logprobs that renormalise over the choices", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        const completion = yield* client.complete(request("It is important to me to be creative."))
        assert.match(completion.text, /^[1-6]$/)
        assert.strictEqual(completion.finishReason, "stop")
        assert.isAbove(completion.promptTokens, 0)
        assert.strictEqual(completion.completionTokens, 1)
        const top = completion.topLogprobs
        assert.isNotNull(top)
        const dist = renormaliseLogprobs(top ?? [], choices)
        assert.isNotNull(dist)
        const p = dist ?? []
        assert.closeTo(p.reduce((a, b) => a + b, 0), 1, 1e-12)
        // The sampled text is the most likely choice, and the parser agrees with the distribution.
        assert.strictEqual(parseAnswer(completion.text, choices), p.indexOf(Math.max(...p)))

        const sent = server.bodies[0] as Record<string, unknown>
        assert.strictEqual(sent["model"], "fake-model")
        assert.strictEqual(sent["logprobs"], true)
        assert.strictEqual(sent["top_logprobs"], 20)
        assert.strictEqual(sent["seed"], 7)
        assert.strictEqual(sent["max_tokens"], 1)
        assert.strictEqual(sent["temperature"], 0)
      })
    ))

  it.live("answers deterministically per request and differently across requests", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        const items = Array.from({ length: 8 }, (_, i) => `Item number ${i}: I like item ${i * 7}.`)
        const first = yield* Effect.forEach(items, (item) => client.complete(request(item)), { concurrency: 4 })
        const again = yield* Effect.forEach(items, (item) => client.complete(request(item)), { concurrency: 4 })
        assert.deepStrictEqual(again, first)
        assert.isAbove(new Set(first.map((c) => JSON.stringify(c.topLogprobs))).size, 1)
        assert.strictEqual(server.requests, 16)
      })
    ))

  it.live("omits logprobs and seed when not asked for", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        const completion = yield* client.complete(request("x", { logprobs: false, seed: undefined }))
        assert.isNull(completion.topLogprobs)
        const sent = server.bodies[0] as Record<string, unknown>
        assert.notProperty(sent, "logprobs")
        assert.notProperty(sent, "top_logprobs")
        assert.notProperty(sent, "seed")
      })
    ))

  it.live("text answers have no digit logprobs", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        server.plan([{ kind: "text", text: "I would rather not say" }])
        const completion = yield* client.complete(request("x"))
        assert.strictEqual(completion.text, "I would rather not say")
        assert.isNull(renormaliseLogprobs(completion.topLogprobs ?? [], choices))
        assert.isNull(parseAnswer(completion.text, choices))
      })
    ))

  it.live("classifies 429 with Retry-After as RateLimited and does not retry inside the SDK", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        server.plan([{ kind: "429", retryAfterS: 3 }])
        const error = yield* failure(client.complete(request("x")))
        assert.strictEqual(error.reason, "RateLimited")
        assert.strictEqual(error.status, 429)
        assert.strictEqual(error.retryAfterMs, 3000)
        assert.strictEqual(server.requests, 1)
        // The fault was consumed; the next request is answered normally.
        const ok = yield* client.complete(request("x"))
        assert.match(ok.text, /^[1-6]$/)
      })
    ))

  it.live("classifies 500 as ServerError", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        server.plan([{ kind: "500" }])
        const error = yield* failure(client.complete(request("x")))
        assert.strictEqual(error.reason, "ServerError")
        assert.strictEqual(error.status, 500)
        assert.strictEqual(server.requests, 1)
      })
    ))

  it.live("classifies a non-JSON body as BadResponse", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        server.plan([{ kind: "garbage" }])
        const error = yield* failure(client.complete(request("x")))
        assert.strictEqual(error.reason, "BadResponse")
      })
    ))

  it.live("classifies a reset connection as Network", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        server.plan([{ kind: "reset" }])
        const error = yield* failure(client.complete(request("x")))
        assert.strictEqual(error.reason, "Network")
        assert.notInclude(error.message, API_KEY)
      })
    ))

  it.live("classifies a refused connection as Network", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(() => startFakeServer())
      yield* Effect.promise(() => server.close())
      const client = yield* Effect.provide(LlmClient, layer({ baseURL: server.url, apiKey: API_KEY, model: "m" }))
      const error = yield* failure(client.complete(request("x")))
      assert.strictEqual(error.reason, "Network")
    }))

  it.live("times out a hanging request through the scheduler and aborts the HTTP request", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        server.plan([{ kind: "hang" }])
        const scheduler = yield* makeScheduler({
          concurrency: 2,
          rpm: null,
          timeoutMs: 300,
          maxAttempts: 1,
          baseDelayMs: 10,
          maxDelayMs: 10
        })
        const exit = yield* Effect.exit(scheduler.run(null, (attempt) => client.complete(request("x"), attempt)))
        assert.isTrue(Exit.isFailure(exit))
        const error = yield* failure(exit)
        assert.strictEqual(error.reason, "Timeout")
        // The abort reaches the server: the hanging request's connection is closed.
        // However long the abort takes to arrive (the test's timeout is the only clock).
        while (server.aborted === 0) yield* Effect.sleep("20 millis")
        assert.strictEqual(server.aborted, 1)
        assert.strictEqual(server.inFlight, 0)
      }).pipe(Effect.scoped)
    ))

  it.live("a timed-out attempt is retried and then succeeds", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        server.plan([{ kind: "hang" }, { kind: "500" }])
        // Long enough that the answered attempts never time out on a loaded machine; only the hang does.
        const events: Array<SchedulerEvent> = []
        const scheduler = yield* makeScheduler({
          concurrency: 2,
          rpm: null,
          timeoutMs: 2_000,
          maxAttempts: 3,
          baseDelayMs: 5,
          maxDelayMs: 20
        }, (e) => events.push(e))
        const sent = yield* scheduler.run("k", (attempt) => client.complete(request("x"), attempt))
        assert.strictEqual(sent.attempts, 3)
        assert.match(sent.value.text, /^[1-6]$/)
        assert.strictEqual(server.requests, 3)
        // The client's own abort signal ended the first attempt (closing its connection); the scheduler retried.
        assert.deepStrictEqual(events.flatMap((e) => (e._tag === "Retrying" ? [e.reason] : [])), ["Timeout", "ServerError"])
        assert.strictEqual(server.aborted, 1)
      }).pipe(Effect.scoped)
    ))

  it.live("interrupting a request aborts it on the wire", () =>
    withClient((server, client) =>
      Effect.gen(function*() {
        server.plan([{ kind: "hang" }])
        const fiber = yield* Effect.fork(client.complete(request("x")))
        for (let i = 0; i < 100 && server.inFlight === 0; i++) yield* Effect.sleep("10 millis")
        assert.strictEqual(server.inFlight, 1)
        yield* Fiber.interrupt(fiber)
        for (let i = 0; i < 100 && server.aborted === 0; i++) yield* Effect.sleep("10 millis")
        assert.strictEqual(server.aborted, 1)
        assert.strictEqual(server.inFlight, 0)
      })
    ))

  it.live("keeps at most `connections` requests on the wire, over reused connections", () =>
    Effect.scoped(
      Effect.gen(function*() {
        const server = yield* fakeServer
        server.setLatency(20)
        const client = yield* Effect.provide(LlmClient, layer({ baseURL: server.url, apiKey: API_KEY, model: "m", connections: 3 }))
        const answers = yield* Effect.forEach(
          Array.from({ length: 24 }, (_, i) => i),
          (i) => client.complete(request(`item ${i}`)),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(answers.length, 24)
        assert.strictEqual(server.requests, 24)
        assert.strictEqual(server.maxInFlight, 3)
      })
    ))
})

describe("classify", () => {
  const headers = (h: Record<string, string>) => new Headers(h)
  const now = Date.UTC(2030, 0, 1, 12, 0, 0)

  it("maps HTTP statuses to reasons", () => {
    const reason = (status: number, body: object = {}) =>
      classify(APIError.generate(status, { error: body }, undefined, headers({})), { nowMs: now }).reason
    assert.strictEqual(reason(401), "Auth")
    assert.strictEqual(reason(403), "Auth")
    assert.strictEqual(reason(400), "BadRequest")
    assert.strictEqual(reason(404), "BadRequest")
    assert.strictEqual(reason(422), "BadRequest")
    assert.strictEqual(reason(400, { code: "content_filter" }), "ContentFilter")
    assert.strictEqual(reason(408), "Timeout")
    assert.strictEqual(reason(429), "RateLimited")
    assert.strictEqual(reason(429, { code: "insufficient_quota" }), "QuotaExhausted")
    assert.strictEqual(reason(500), "ServerError")
    assert.strictEqual(reason(503), "ServerError")
  })

  it("reads retry-after-ms, retry-after seconds and retry-after dates", () => {
    assert.strictEqual(retryAfterMs(headers({ "retry-after-ms": "250" }), now), 250)
    assert.strictEqual(retryAfterMs(headers({ "retry-after": "2" }), now), 2000)
    assert.strictEqual(retryAfterMs(headers({ "retry-after": "0.5" }), now), 500)
    assert.strictEqual(retryAfterMs(headers({ "retry-after": new Date(now + 7000).toUTCString() }), now), 7000)
    assert.strictEqual(retryAfterMs(headers({ "retry-after": new Date(now - 7000).toUTCString() }), now), 0)
    assert.strictEqual(retryAfterMs(headers({ "retry-after": "soon" }), now), undefined)
    assert.strictEqual(retryAfterMs(headers({}), now), undefined)
    const error = classify(APIError.generate(429, {}, undefined, headers({ "retry-after": "4" })), { nowMs: now })
    assert.strictEqual(error.retryAfterMs, 4000)
  })

  it("never puts the API key into the detail", () => {
    const body = { error: { message: `Incorrect API key provided: ${API_KEY}` } }
    const echoed = APIError.generate(401, body, undefined, headers({}))
    const error = classify(echoed, { nowMs: now, secret: API_KEY })
    assert.strictEqual(error.reason, "Auth")
    assert.notInclude(error.message, API_KEY)
    assert.include(error.message, "[redacted]")
  })

  it("maps raw socket errors and JSON errors", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })
    assert.strictEqual(classify(reset, { nowMs: now }).reason, "Network")
    const terminated = new TypeError("terminated", { cause: new Error("other side closed") })
    assert.strictEqual(classify(terminated, { nowMs: now }).reason, "Network")
    assert.strictEqual(classify(new Error("socket hang up"), { nowMs: now }).reason, "Network")
    assert.strictEqual(classify(new SyntaxError("Unexpected token"), { nowMs: now }).reason, "BadResponse")
  })
})
