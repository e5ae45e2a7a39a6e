import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { makePageWindow } from "../../src/engine/pageWindow.js"

/** `n` pages that each hold their place in the window until `done` is completed. */
const pages = (window: Effect.Effect.Success<ReturnType<typeof makePageWindow>>, n: number, done: Deferred.Deferred<void>) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    () => Effect.fork(Effect.uninterruptibleMask((restore) => Effect.zipRight(restore(window.enter), Effect.ensuring(restore(Deferred.await(done)), Effect.sync(window.leave))))),
  )

describe("makePageWindow (issue 21, item 6)", () => {
  it.live("while the backend's permits idle, more pages start, one per tick, up to max", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const window = yield* makePageWindow({ base: 2, max: 6, idle: () => true, tickMs: 2 })
        const done = yield* Deferred.make<void>()
        const fibers = yield* pages(window, 10, done)
        yield* Effect.sleep("100 millis")
        assert.strictEqual(window.inFlight(), 6)
        yield* Deferred.succeed(done, undefined)
        yield* Fiber.joinAll(fibers)
        assert.strictEqual(window.inFlight(), 0)
        assert.strictEqual(window.peak(), 6)
      })
    ))

  it.live("while every permit is busy only `base` pages are in flight; a finished page lets the next in", () =>
    Effect.scoped(
      Effect.gen(function* () {
        let idle = false
        const window = yield* makePageWindow({ base: 2, max: 6, idle: () => idle, tickMs: 2 })
        const first = yield* Deferred.make<void>()
        const rest = yield* Deferred.make<void>()
        const a = yield* pages(window, 1, first)
        const b = yield* pages(window, 4, rest)
        yield* Effect.sleep("50 millis")
        assert.strictEqual(window.inFlight(), 2)
        yield* Deferred.succeed(first, undefined)
        yield* Fiber.joinAll(a)
        yield* Effect.sleep("20 millis")
        assert.strictEqual(window.inFlight(), 2)
        idle = true
        yield* Effect.sleep("50 millis")
        assert.strictEqual(window.inFlight(), 4)
        yield* Deferred.succeed(rest, undefined)
        yield* Fiber.joinAll(b)
        assert.strictEqual(window.peak(), 4)
      })
    ))

  it.live("a page interrupted while it waits leaves the queue without taking a place", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const window = yield* makePageWindow({ base: 1, max: 1, idle: () => true })
        const done = yield* Deferred.make<void>()
        const [holder] = yield* pages(window, 1, done)
        const [waiter] = yield* pages(window, 1, done)
        yield* Effect.sleep("10 millis")
        yield* Fiber.interrupt(waiter!)
        yield* Deferred.succeed(done, undefined)
        yield* Fiber.join(holder!)
        assert.strictEqual(window.inFlight(), 0)
        // The place is free again: a new page enters at once.
        yield* window.enter
        assert.strictEqual(window.inFlight(), 1)
        window.leave()
      })
    ))
})
