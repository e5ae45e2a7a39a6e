import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Exit, Fiber, TestClock } from "effect"
import type { Attempt, Scheduler, SchedulerEvent, SchedulerOptions } from "../../src/engine/Scheduler.js"
import { makeScheduler } from "../../src/engine/Scheduler.js"
import type { LlmErrorReason } from "../../src/llm/LlmError.js"
import { LlmError } from "../../src/llm/LlmError.js"

const defaults: SchedulerOptions = {
  concurrency: 4,
  rpm: null,
  timeoutMs: 5_000,
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1_000
}

const withScheduler = <A, E>(
  options: Partial<SchedulerOptions>,
  f: (scheduler: Scheduler, events: Array<SchedulerEvent>) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.scoped(
    Effect.gen(function*() {
      const events: Array<SchedulerEvent> = []
      const scheduler = yield* makeScheduler({ ...defaults, ...options }, (e) => events.push(e))
      return yield* f(scheduler, events)
    })
  )

const fail = (reason: LlmErrorReason, extra: { retryAfterMs?: number } = {}) =>
  new LlmError({ reason, detail: `scripted ${reason}`, ...extra })

/** A task that fails with the scripted errors in order, then succeeds with the call number. */
const scripted = (errors: ReadonlyArray<LlmError>) => {
  let calls = 0
  const task = Effect.suspend(() => {
    const error = errors[calls++]
    return error === undefined ? Effect.succeed(calls) : Effect.fail(error)
  })
  return { task, calls: () => calls }
}

describe("Scheduler", () => {
  it.effect("retries transient failures and counts attempts", () =>
    withScheduler({}, (scheduler, events) =>
      Effect.gen(function*() {
        const { calls, task } = scripted([fail("ServerError"), fail("Network")])
        const fiber = yield* Effect.fork(scheduler.run(null, () => task))
        yield* TestClock.adjust("10 seconds")
        const sent = yield* Fiber.join(fiber)
        assert.strictEqual(sent.value, 3)
        assert.strictEqual(sent.attempts, 3)
        assert.strictEqual(calls(), 3)
        assert.deepStrictEqual(scheduler.stats(), { sent: 3, retries: 2, failures: {}, inFlight: 0 })
        const retrying = events.filter((e) => e._tag === "Retrying")
        assert.deepStrictEqual(retrying.map((e) => [e.reason, e.attempt]), [["ServerError", 1], ["Network", 2]])
        // Equal jitter: retry n waits between half and all of base · 2^(n−1).
        const [first, second] = retrying.map((e) => e.delayMs)
        assert.isTrue(first !== undefined && first >= 50 && first <= 100, `first delay ${first}`)
        assert.isTrue(second !== undefined && second >= 100 && second <= 200, `second delay ${second}`)
        assert.deepStrictEqual(events.map((e) => e._tag), ["Sent", "Retrying", "Sent", "Retrying", "Sent", "Succeeded"])
      })
    ))

  it.effect("caps the backoff at maxDelayMs and gives up after maxAttempts", () =>
    withScheduler({ maxAttempts: 5, baseDelayMs: 400, maxDelayMs: 500 }, (scheduler, events) =>
      Effect.gen(function*() {
        const { calls, task } = scripted(Array.from({ length: 10 }, () => fail("ServerError")))
        const fiber = yield* Effect.fork(Effect.exit(scheduler.run(null, () => task)))
        yield* TestClock.adjust("1 minute")
        const exit = yield* Fiber.join(fiber)
        assert.deepStrictEqual(exit, Exit.fail(fail("ServerError")))
        assert.strictEqual(calls(), 5)
        for (const e of events) if (e._tag === "Retrying") assert.isAtMost(e.delayMs, 500)
        assert.deepStrictEqual(scheduler.stats().failures, { ServerError: 1 })
        assert.strictEqual(events.at(-1)?._tag, "Failed")
      })
    ))

  it.effect("does not retry BadRequest", () =>
    withScheduler({}, (scheduler, events) =>
      Effect.gen(function*() {
        const { calls, task } = scripted([fail("BadRequest")])
        const error = yield* Effect.flip(scheduler.run(null, () => task))
        assert.strictEqual(error.reason, "BadRequest")
        assert.strictEqual(calls(), 1)
        assert.deepStrictEqual(scheduler.stats(), { sent: 1, retries: 0, failures: { BadRequest: 1 }, inFlight: 0 })
        assert.deepStrictEqual(events, [{ _tag: "Sent", attempt: 1 }, { _tag: "Failed", reason: "BadRequest" }])
      })
    ))

  it.effect("waits at least Retry-After before retrying", () =>
    withScheduler({ baseDelayMs: 10, maxDelayMs: 50 }, (scheduler, events) =>
      Effect.gen(function*() {
        const { calls, task } = scripted([fail("RateLimited", { retryAfterMs: 5_000 })])
        const fiber = yield* Effect.fork(scheduler.run(null, () => task))
        yield* TestClock.adjust("4999 millis")
        assert.strictEqual(calls(), 1)
        assert.isNull(yield* Fiber.poll(fiber).pipe(Effect.map((o) => (o._tag === "Some" ? o.value : null))))
        yield* TestClock.adjust("1 millis")
        const sent = yield* Fiber.join(fiber)
        assert.strictEqual(calls(), 2)
        assert.strictEqual(sent.attempts, 2)
        assert.deepStrictEqual(events.find((e) => e._tag === "Retrying"), {
          _tag: "Retrying",
          reason: "RateLimited",
          attempt: 1,
          delayMs: 5_000
        })
      })
    ))

  it.effect("hands each attempt the timeout and retries the task's Timeout", () =>
    withScheduler({ timeoutMs: 1_000, maxAttempts: 2, baseDelayMs: 10 }, (scheduler) =>
      Effect.gen(function*() {
        const seen: Array<Attempt> = []
        // Like the OpenAI client: the task gives up after the timeout it is handed.
        const honouring = (body: Effect.Effect<string>) => (attempt: Attempt) => {
          seen.push(attempt)
          return body.pipe(
            Effect.timeoutFail({ duration: attempt.timeoutMs, onTimeout: () => fail("Timeout") })
          )
        }
        let calls = 0
        const task = honouring(Effect.suspend(() => (++calls === 1 ? Effect.never : Effect.succeed("late but fine"))))
        const fiber = yield* Effect.fork(scheduler.run(null, task))
        yield* TestClock.adjust("2 seconds")
        const sent = yield* Fiber.join(fiber)
        assert.strictEqual(sent.value, "late but fine")
        assert.strictEqual(sent.attempts, 2)
        assert.deepStrictEqual(seen, [{ number: 1, timeoutMs: 1_000 }, { number: 2, timeoutMs: 1_000 }])
        assert.deepStrictEqual(scheduler.stats().inFlight, 0)

        const never = yield* Effect.fork(Effect.flip(scheduler.run(null, honouring(Effect.never))))
        yield* TestClock.adjust("5 seconds")
        const error = yield* Fiber.join(never)
        assert.strictEqual(error.reason, "Timeout")
        assert.deepStrictEqual(scheduler.stats().failures, { Timeout: 1 })
      })
    ))

  it.effect("never has more than `concurrency` tasks in flight", () =>
    withScheduler({ concurrency: 3 }, (scheduler) =>
      Effect.gen(function*() {
        let current = 0
        let max = 0
        const task = (i: number) =>
          Effect.gen(function*() {
            current++
            max = Math.max(max, current)
            assert.isAtMost(scheduler.stats().inFlight, 3)
            yield* Effect.sleep(`${10 + (i % 7)} millis`)
            current--
            return i
          })
        const fiber = yield* Effect.fork(
          Effect.forEach(Array.from({ length: 40 }, (_, i) => i), (i) => scheduler.run(null, () => task(i)), {
            concurrency: "unbounded"
          })
        )
        yield* TestClock.adjust("1 second")
        const results = yield* Fiber.join(fiber)
        assert.deepStrictEqual(results.map((r) => r.value), Array.from({ length: 40 }, (_, i) => i))
        assert.strictEqual(max, 3)
        assert.strictEqual(scheduler.stats().sent, 40)
      })
    ))

  it.effect("releases the permit while backing off", () =>
    withScheduler({ concurrency: 1, baseDelayMs: 1_000, maxDelayMs: 1_000 }, (scheduler) =>
      Effect.gen(function*() {
        const failing = scripted([fail("ServerError")])
        let otherStartedAt = -1
        const other = Effect.map(Clock.currentTimeMillis, (now) => {
          otherStartedAt = now
          return 0
        })
        const first = yield* Effect.fork(scheduler.run(null, () => failing.task))
        yield* Effect.yieldNow()
        const second = yield* Effect.fork(scheduler.run(null, () => other))
        yield* TestClock.adjust("5 seconds")
        yield* Fiber.join(first)
        yield* Fiber.join(second)
        // The second request ran during the first one's ≥ 500 ms backoff, not after it.
        assert.strictEqual(otherStartedAt, 0)
        assert.strictEqual(failing.calls(), 2)
      })
    ))

  it.effect("limits the start rate with rpm", () =>
    withScheduler({ rpm: 2 }, (scheduler) =>
      Effect.gen(function*() {
        const starts: Array<number> = []
        const task = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => starts.push(now)))
        const fiber = yield* Effect.fork(
          Effect.forEach([1, 2, 3], () => scheduler.run(null, () => task), { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("1 minute")
        yield* Fiber.join(fiber)
        // Token bucket: a burst of `rpm`, then one start per 60 s / rpm.
        assert.deepStrictEqual(starts, [0, 0, 30_000])
      })
    ))

  it.effect("runs one execution for 50 concurrent calls with the same key", () =>
    withScheduler({ concurrency: 4 }, (scheduler) =>
      Effect.gen(function*() {
        let calls = 0
        const task = Effect.gen(function*() {
          calls++
          yield* Effect.sleep("100 millis")
          return { answer: calls }
        })
        const fiber = yield* Effect.fork(
          Effect.forEach(Array.from({ length: 50 }), () => scheduler.run("same", () => task), { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("1 second")
        const results = yield* Fiber.join(fiber)
        assert.strictEqual(calls, 1)
        assert.strictEqual(scheduler.stats().sent, 1)
        for (const r of results) assert.strictEqual(r, results[0])

        // Settled entries are removed: the next call with that key runs again.
        const again = yield* Effect.fork(scheduler.run("same", () => task))
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual((yield* Fiber.join(again)).value, { answer: 2 })
        // Different keys never share.
        const other = yield* Effect.fork(
          Effect.all([scheduler.run("a", () => task), scheduler.run("b", () => task)], { concurrency: 2 })
        )
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(other)
        assert.strictEqual(calls, 4)
      })
    ))

  it.effect("shares a failure among all callers with the same key", () =>
    withScheduler({ maxAttempts: 2 }, (scheduler) =>
      Effect.gen(function*() {
        let calls = 0
        // retryAfterMs tags each error with its call number, so "the same failure" is checkable.
        const task = Effect.zipRight(
          Effect.sleep("10 millis"),
          Effect.suspend(() => Effect.fail(fail("BadRequest", { retryAfterMs: ++calls })))
        )
        const fiber = yield* Effect.fork(
          Effect.forEach(Array.from({ length: 10 }), () => Effect.flip(scheduler.run("k", () => task)), {
            concurrency: "unbounded"
          })
        )
        yield* TestClock.adjust("1 second")
        const errors = yield* Fiber.join(fiber)
        assert.strictEqual(calls, 1)
        for (const e of errors) assert.strictEqual(e, errors[0])
        assert.deepStrictEqual(scheduler.stats().failures, { BadRequest: 1 })
      })
    ))

  it.effect("interruption stops in-flight work", () =>
    withScheduler({}, (scheduler) =>
      Effect.gen(function*() {
        const started = yield* Deferred.make<void>()
        const stopped = yield* Deferred.make<void>()
        const task = Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Deferred.succeed(stopped, undefined))
        )
        const fiber = yield* Effect.fork(scheduler.run(null, () => task))
        yield* Deferred.await(started)
        assert.strictEqual(scheduler.stats().inFlight, 1)
        yield* Fiber.interrupt(fiber)
        assert.isTrue(yield* Deferred.isDone(stopped))
        assert.strictEqual(scheduler.stats().inFlight, 0)
      })
    ))

  it.effect("a shared execution stops only when its last caller is interrupted", () =>
    withScheduler({}, (scheduler) =>
      Effect.gen(function*() {
        const started = yield* Deferred.make<void>()
        let interrupted = false
        const task = Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Effect.sync(() => (interrupted = true)))
        )
        const a = yield* Effect.fork(scheduler.run("k", () => task))
        const b = yield* Effect.fork(scheduler.run("k", () => task))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(a)
        assert.isFalse(interrupted)
        assert.strictEqual(scheduler.stats().inFlight, 1)
        yield* Fiber.interrupt(b)
        assert.isTrue(interrupted)
        assert.strictEqual(scheduler.stats().inFlight, 0)
      })
    ))

  it.effect("interrupts shared work in backoff too, and closing the scope stops everything", () =>
    Effect.gen(function*() {
      let calls = 0
      const task = Effect.suspend(() => {
        calls++
        return Effect.fail(fail("ServerError"))
      })
      const outer = yield* Effect.fork(
        withScheduler({ baseDelayMs: 1_000, maxDelayMs: 1_000 }, (scheduler) => scheduler.run("k", () => task))
      )
      yield* TestClock.adjust("10 millis")
      assert.strictEqual(calls, 1)
      yield* Fiber.interrupt(outer)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(calls, 1)
    }))

  it.effect("a rate-limited request keeps retrying past maxAttempts until its time budget is spent, honouring Retry-After", () =>
    withScheduler({ maxAttempts: 2, rateLimitBudgetMs: 10_000 }, (scheduler) =>
      Effect.gen(function*() {
        // Eight 429s asking for 1 s each: four times maxAttempts, well within the 10 s budget.
        const { calls, task } = scripted(Array.from({ length: 8 }, () => fail("RateLimited", { retryAfterMs: 1_000 })))
        const fiber = yield* Effect.fork(scheduler.run(null, () => task))
        yield* TestClock.adjust("7999 millis")
        assert.strictEqual(calls(), 8)
        yield* TestClock.adjust("2 seconds")
        const sent = yield* Fiber.join(fiber)
        assert.strictEqual(sent.attempts, 9)
        // Past the budget it gives up like any other failure.
        const { task: endless } = scripted(Array.from({ length: 100 }, () => fail("RateLimited", { retryAfterMs: 1_000 })))
        const late = yield* Effect.fork(Effect.exit(scheduler.run(null, () => endless)))
        yield* TestClock.adjust("30 seconds")
        const exit = yield* Fiber.join(late)
        assert.isTrue(Exit.isFailure(exit))
        // Other transient failures still stop at maxAttempts.
        const { calls: serverCalls, task: failing } = scripted(Array.from({ length: 5 }, () => fail("ServerError")))
        const server = yield* Effect.fork(Effect.exit(scheduler.run(null, () => failing)))
        yield* TestClock.adjust("30 seconds")
        yield* Fiber.join(server)
        assert.strictEqual(serverCalls(), 2)
      })
    ))

  it.effect("pace holds every attempt until it lets go; tpm charges each request its tokens", () =>
    Effect.gen(function*() {
      const open = yield* Deferred.make<void>()
      yield* withScheduler({ pace: Deferred.await(open), tpm: 1_000 }, (scheduler) =>
        Effect.gen(function*() {
          let calls = 0
          const task = Effect.sync(() => ++calls)
          const first = yield* Effect.fork(scheduler.run(null, () => task, 600))
          yield* TestClock.adjust("1 second")
          assert.strictEqual(calls, 0)
          yield* Deferred.succeed(open, undefined)
          yield* Fiber.join(first)
          assert.strictEqual(calls, 1)
          // 600 + 600 tokens exceed the 1,000 a minute: the second waits for the bucket to refill.
          const second = yield* Effect.fork(scheduler.run(null, () => task, 600))
          yield* TestClock.adjust("1 second")
          assert.strictEqual(calls, 1)
          yield* TestClock.adjust("1 minute")
          yield* Fiber.join(second)
          assert.strictEqual(calls, 2)
        }))
    }))
})
