import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Context, Effect, Layer } from "effect"
import { createServer } from "node:net"
import type { CompletionRequest } from "../../src/llm/LlmClient.js"
import { LlmClient } from "../../src/llm/LlmClient.js"
import * as LlmClientOpenAi from "../../src/llm/LlmClientOpenAi.js"
import { makeReplicaClient, type ReplicaEndpoint } from "../../src/llm/replicas.js"
import type { FakeServer } from "../helpers/fakeOpenAiServer.js"
import { MODEL, startFakeServer } from "../helpers/fakeOpenAiServer.js"

/** One model on several loopback servers, composed into one client (src/llm/replicas.ts). */

const request = (i: number): CompletionRequest => ({
  messages: [{ role: "user", content: `Item ${i}: how much is this person like you?\n1. Not at all\n2. A little\n3. Very much\nAnswer with a number.` }],
  logprobs: true,
  topLogprobs: 20,
  maxTokens: 1,
  temperature: 0,
  seed: undefined
})

const endpoint = (url: string, concurrency: number, rpm: number | null = null): Effect.Effect<ReplicaEndpoint, never, import("effect").Scope.Scope> =>
  Effect.map(Layer.build(LlmClientOpenAi.layer({ baseURL: url, apiKey: "no-key", model: MODEL, connections: concurrency })), (ctx) => ({
    name: url,
    concurrency,
    rpm,
    client: Context.get(ctx, LlmClient)
  }))

/** A port on which nothing listens (bound, then closed). */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

let healthy: FakeServer
let failing: FakeServer
let slowA: FakeServer
let slowB: FakeServer
beforeAll(async () => {
  healthy = await startFakeServer()
  failing = await startFakeServer({ periodicFault: { every: 1, fault: { kind: "500" } } })
  slowA = await startFakeServer({ latencyMs: 40 })
  slowB = await startFakeServer({ latencyMs: 40 })
})
afterAll(async () => {
  await Promise.all([healthy.close(), failing.close(), slowA.close(), slowB.close()])
})

const runAll = (endpoints: Effect.Effect<ReadonlyArray<ReplicaEndpoint>, never, import("effect").Scope.Scope>, n: number, concurrency: number) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const eps = yield* endpoints
        const replicas = yield* makeReplicaClient(MODEL, eps, { cooldownMs: 60_000 })
        const results = yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) => Effect.either(replicas.client.complete(request(i))), { concurrency })
        return { results, stats: replicas.stats() }
      })
    )
  )

describe("replicas: one model on several endpoints", () => {
  it("fails over from a server answering 500 to the healthy one: every request answered, the failing one left alone after its failure", async () => {
    const before = { healthy: healthy.requests, failing: failing.requests }
    const { results, stats } = await runAll(Effect.all([endpoint(failing.url, 4), endpoint(healthy.url, 4)]), 40, 4)
    expect(results.every((r) => r._tag === "Right")).toBe(true)
    expect(healthy.requests - before.healthy).toBe(40)
    // The first requests reach it before it is known to fail (at most its concurrency), then it cools off.
    const toFailing = failing.requests - before.failing
    expect(toFailing).toBeGreaterThanOrEqual(1)
    expect(toFailing).toBeLessThanOrEqual(4)
    expect(stats[0]!.failed).toBe(toFailing)
    expect(stats[0]!.down).toBe(true)
    expect(stats[1]!.succeeded).toBe(40)
  })

  it("fails over from an address where nothing listens", async () => {
    const port = await closedPort()
    const before = healthy.requests
    const { results, stats } = await runAll(Effect.all([endpoint(`http://127.0.0.1:${port}/v1`, 2), endpoint(healthy.url, 2)]), 12, 2)
    expect(results.every((r) => r._tag === "Right")).toBe(true)
    expect(healthy.requests - before).toBe(12)
    expect(stats[0]!.succeeded).toBe(0)
    expect(stats[0]!.failed).toBeGreaterThanOrEqual(1)
  })

  it("spreads requests over healthy replicas within each one's own concurrency limit", async () => {
    const before = { a: slowA.requests, b: slowB.requests }
    const { results, stats } = await runAll(Effect.all([endpoint(slowA.url, 2), endpoint(slowB.url, 3)]), 40, 10)
    expect(results.every((r) => r._tag === "Right")).toBe(true)
    const a = slowA.requests - before.a
    const b = slowB.requests - before.b
    expect(a + b).toBe(40)
    expect(a).toBeGreaterThan(5)
    expect(b).toBeGreaterThan(5)
    expect(stats[0]!.maxInFlight).toBeLessThanOrEqual(2)
    expect(stats[1]!.maxInFlight).toBeLessThanOrEqual(3)
    expect(stats[1]!.maxInFlight).toBe(3)
  })

  it("fails the attempt with the last error when every replica fails, for the scheduler to retry", async () => {
    const port = await closedPort()
    const { results } = await runAll(Effect.all([endpoint(failing.url, 1), endpoint(`http://127.0.0.1:${port}/v1`, 1)]), 1, 1)
    expect(results[0]!._tag).toBe("Left")
  })
})
