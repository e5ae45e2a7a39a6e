import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { BackendSettings } from "../../src/config/RunSpec.js"
import type { ChatMessage, Completion } from "../../src/domain/answers.js"
import { makeAsker } from "../../src/engine/RequestCache.js"
import type { Scheduler, Sent, Task } from "../../src/engine/Scheduler.js"
import { unitsInFlight } from "../../src/engine/Scheduler.js"
import { LlmClient } from "../../src/llm/LlmClient.js"
import { makeCounters } from "../../src/progress/counters.js"
import { makeResultWriter } from "../../src/store/ResultWriter.js"
import { openDatabase } from "../../src/store/RunStore.js"

const backend = (scoring: BackendSettings["scoring"]): BackendSettings => ({
  kind: "openai",
  model: "fake-model",
  baseUrl: "http://127.0.0.1:1/v1",
  temperature: 1,
  seed: null,
  maxTokens: 4,
  scoring,
  topLogprobs: 20,
  concurrency: 4,
  rpm: null,
  timeoutMs: 1_000,
  maxAttempts: 1,
  reasks: 0
})

/** A scheduler that records the key of every request and runs each task once, with the timeout it was given. */
const spyScheduler = () => {
  const keys: Array<string | null> = []
  const timeouts: Array<number> = []
  const scheduler: Scheduler = {
    run: <A>(key: string | null, task: Task<A>) => {
      keys.push(key)
      return Effect.map(task({ number: 1, timeoutMs: 1_234 }), (value): Sent<A> => ({ value, attempts: 1, latencyMs: 0 }))
    },
    stats: () => ({ sent: keys.length, retries: 0, failures: {}, inFlight: 0 })
  }
  return { scheduler, keys, timeouts }
}

const completion: Completion = { text: "3", topLogprobs: null, promptTokens: 5, completionTokens: 1, finishReason: "stop" }

/**
 * The asker of a fresh run store (tests run it on the live clock: the writer lingers a few ms to group commits),
 * with a client that answers "3" and records the timeout of each attempt.
 */
const withAsker = <A>(scoring: BackendSettings["scoring"], f: (ask: (m: ReadonlyArray<ChatMessage>, nonce: string | null) => Effect.Effect<unknown, unknown>, spy: ReturnType<typeof spyScheduler>) => Effect.Effect<A, unknown>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-sharing-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const file = path.join(dir, "run.sqlite")
      const db = yield* openDatabase(file)
      yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
      const writer = yield* makeResultWriter(db, file)
      const spy = spyScheduler()
      const client = Layer.succeed(LlmClient, {
        model: "fake-model",
        complete: (_request, options) =>
          Effect.sync(() => {
            spy.timeouts.push(options?.timeoutMs ?? -1)
            return completion
          })
      })
      const asker = yield* makeAsker(backend(scoring), db, writer, spy.scheduler, makeCounters(0, 0)).pipe(Effect.provide(client))
      return yield* f(asker.ask, spy)
    })
  )

const messages = (item: number): ReadonlyArray<ChatMessage> => [
  { role: "system", content: "You are a respondent." },
  { role: "user", content: `Item ${item}\n1. a\n2. b\n3. c` }
]

describe("request sharing", () => {
  it.live("under sample scoring no request is keyed for sharing: each agent's request is its own", () =>
    withAsker("sample", (ask, spy) =>
      Effect.gen(function* () {
        for (const agent of [1, 2, 3]) for (const item of [1, 2]) yield* ask(messages(item), `agent:${agent}`)
        assert.deepStrictEqual(spy.keys, [null, null, null, null, null, null])
        // Each attempt carries the scheduler's timeout down to the client.
        assert.deepStrictEqual(spy.timeouts, [1_234, 1_234, 1_234, 1_234, 1_234, 1_234])
      })
    ))

  it.live("under logprob scoring requests are keyed by content, so identical ones share one execution", () =>
    withAsker("logprob", (ask, spy) =>
      Effect.gen(function* () {
        yield* Effect.all([ask(messages(1), null), ask(messages(2), null)], { concurrency: 2 })
        assert.strictEqual(spy.keys.length, 2)
        for (const k of spy.keys) assert.match(k ?? "", /^[0-9a-f]{32}$/)
        assert.notStrictEqual(spy.keys[0], spy.keys[1])
        // Asked again, the answer comes from the cache: nothing new reaches the scheduler.
        yield* ask(messages(1), null)
        assert.strictEqual(spy.keys.length, 2)
      })
    ))
})

describe("unitsInFlight", () => {
  it("keeps about twice the permits' worth of requests waiting, whatever a unit asks at once", () => {
    // 64 permits, agents asking 40 items at once: 5 agents, 200 requests.
    assert.strictEqual(unitsInFlight(64, 40), 5)
    assert.strictEqual(unitsInFlight(256, 40), 14)
    // Agents asking one item at a time (session, batch): twice the permits, plus one.
    assert.strictEqual(unitsInFlight(64, 1), 129)
    assert.isAtLeast(unitsInFlight(1, 400) * 400, 2)
  })
})
