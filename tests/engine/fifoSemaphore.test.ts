import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { makeFifoSemaphore } from "../../src/engine/fifoSemaphore.js"

describe("makeFifoSemaphore", () => {
  it.effect("serves waiters first come, first served and never exceeds its permits", () =>
    Effect.gen(function* () {
      const sem = makeFifoSemaphore(2)
      const order: Array<number> = []
      let inside = 0
      let maxInside = 0
      const gate = yield* Deferred.make<void>()
      const task = (i: number) =>
        sem.withPermit(
          Effect.gen(function* () {
            inside++
            maxInside = Math.max(maxInside, inside)
            order.push(i)
            if (i < 2) yield* Deferred.await(gate)
            yield* Effect.yieldNow()
            inside--
          })
        )
      const fibers = yield* Effect.forEach([0, 1, 2, 3, 4, 5], (i) => Effect.fork(task(i)))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(order, [0, 1])
      assert.strictEqual(sem.waiting(), 4)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(fibers)
      assert.deepStrictEqual(order, [0, 1, 2, 3, 4, 5])
      assert.strictEqual(maxInside, 2)
      assert.strictEqual(sem.available(), 2)
    }))

  it.effect("an interrupted waiter gives up its place and its permit is not lost", () =>
    Effect.gen(function* () {
      const sem = makeFifoSemaphore(1)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(sem.withPermit(Deferred.await(gate)))
      yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(sem.withPermit(Effect.void))
      const ran: Array<string> = []
      const second = yield* Effect.fork(sem.withPermit(Effect.sync(() => ran.push("second"))))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiter)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(second)
      assert.deepStrictEqual(ran, ["second"])
      assert.strictEqual(sem.available(), 1)
      assert.strictEqual(sem.waiting(), 0)
    }))

  it.effect("a failing or interrupted holder releases its permit", () =>
    Effect.gen(function* () {
      const sem = makeFifoSemaphore(1)
      const failed = yield* Effect.either(sem.withPermit(Effect.fail("boom")))
      assert.isTrue(failed._tag === "Left")
      const never = yield* Effect.fork(sem.withPermit(Effect.never))
      yield* Effect.yieldNow()
      assert.strictEqual(sem.available(), 0)
      yield* Fiber.interrupt(never)
      assert.strictEqual(sem.available(), 1)
    }))

  it.effect("stays first come, first served past thousands of waiters, with interrupted ones leaving their place", () =>
    Effect.gen(function* () {
      const sem = makeFifoSemaphore(1)
      const order: Array<number> = []
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(sem.withPermit(Deferred.await(gate)))
      yield* Effect.yieldNow()
      const fibers: Array<Fiber.RuntimeFiber<unknown>> = []
      // Waiter 2000, served after the front of the queue has been cut off, interrupts waiter 2999.
      const task = (i: number): Effect.Effect<unknown> =>
        i === 2000
          ? Effect.zipRight(Effect.sync(() => order.push(i)), Effect.suspend(() => Fiber.interrupt(fibers[2999]!)))
          : Effect.sync(() => order.push(i))
      for (let i = 0; i < 3000; i++) fibers.push(yield* Effect.fork(sem.withPermit(task(i))))
      yield* Effect.yieldNow()
      const dropped = new Set([5, 1500, 2999])
      yield* Fiber.interrupt(fibers[5]!)
      yield* Fiber.interrupt(fibers[1500]!)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      for (const [i, f] of fibers.entries()) if (!dropped.has(i)) yield* Fiber.join(f)
      assert.deepStrictEqual(order, Array.from({ length: 3000 }, (_, i) => i).filter((i) => !dropped.has(i)))
      assert.strictEqual(sem.available(), 1)
      assert.strictEqual(sem.waiting(), 0)
      // take / release directly: a free permit is taken at once.
      yield* sem.take
      assert.strictEqual(sem.available(), 0)
      sem.release()
      assert.strictEqual(sem.available(), 1)
    }))
})
