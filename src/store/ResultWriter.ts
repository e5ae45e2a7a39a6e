import { Deferred, Effect, Fiber, Option, Queue } from "effect"
import { DatabaseError, makeStatements, type BatchCounts, type RunDb, type WriteOp } from "./RunStore.js"

/** What this writer committed since it started (the store's `step_totals` hold the whole run's counts). */
export interface WriterStats extends BatchCounts {
  batches: number
}

export interface ResultWriter {
  /** Queues an op; waits when the queue is full (back-pressure keeps memory flat). */
  readonly write: (op: WriteOp) => Effect.Effect<void>
  /**
   * Waits until every op queued before it is committed: a step that reads what earlier steps wrote (a panel's
   * repeat with `context: answers`) starts after this.
   */
  readonly flushed: Effect.Effect<void>
  readonly stats: WriterStats
}

type Msg = WriteOp | { readonly _tag: "Stop" } | { readonly _tag: "Barrier"; readonly done: Deferred.Deferred<void> }

/**
 * The one writer of a run database. Worker fibers hand it ops through a bounded queue; it writes them in
 * batches, one transaction per batch. Closing its scope (normal end, error or Ctrl-C) writes everything
 * already queued before the database is closed, so no finished answer is lost.
 */
export const makeResultWriter = (
  db: RunDb,
  file: string,
  options: {
    readonly capacity?: number
    readonly batch?: number
    /**
     * How long a batch smaller than `batch` waits for more ops before it is committed (default 10 ms). Ops still
     * queued when the run stops (normal end, error, Ctrl-C) are written first; a hard kill loses at most what
     * arrived in that window, which `resume` asks again.
     */
    readonly lingerMs?: number
    /** Sees every op once it is committed (the live dashboard's statistics); must be cheap and must not throw. */
    readonly observe?: (op: WriteOp) => void
  } = {}
) =>
  Effect.gen(function* () {
    // Bounded in ops: a synthetic op holds one page of agents (128 × items answers), a model-backed op one agent.
    const queue = yield* Queue.bounded<Msg>(options.capacity ?? 64)
    const stmts = makeStatements(db)
    const stats: WriterStats = { answers: 0, failed: 0, missing: 0, degraded: 0, unitsDone: 0, unitsFailed: 0, batches: 0 }
    const flush = (ops: ReadonlyArray<WriteOp>) =>
      Effect.try({
        try: () => {
          if (ops.length === 0) return
          const c = stmts.writeBatch(ops)
          stats.answers += c.answers
          stats.failed += c.failed
          stats.missing += c.missing
          stats.degraded += c.degraded
          stats.unitsDone += c.unitsDone
          stats.unitsFailed += c.unitsFailed
          stats.batches++
          if (options.observe) for (const op of ops) options.observe(op)
        },
        catch: (cause) => new DatabaseError({ file, cause })
      })
    const max = options.batch ?? 512
    const linger = options.lingerMs ?? 10
    const loop = Effect.gen(function* () {
      while (true) {
        const msgs: Array<Msg> = [...(yield* Queue.takeBetween(queue, 1, max))]
        // Group commit: a small batch (requests arriving one by one) waits `linger` ms for more, so a run of
        // thousands of requests a second commits tens of transactions a second, not one per request.
        if (msgs.length < max && linger > 0 && !msgs.some((m) => m._tag === "Stop")) {
          yield* Effect.sleep(linger)
          for (const m of yield* Queue.takeUpTo(queue, max - msgs.length)) msgs.push(m)
        }
        const ops: Array<WriteOp> = []
        const barriers: Array<Deferred.Deferred<void>> = []
        let stop = false
        for (const m of msgs) {
          if (m._tag === "Stop") stop = true
          else if (m._tag === "Barrier") barriers.push(m.done)
          else ops.push(m)
        }
        // A barrier's ops were taken before it (the queue is in order), so they are in this batch or an earlier one.
        yield* flush(ops)
        for (const d of barriers) yield* Deferred.succeed(d, undefined)
        if (stop) return
      }
    })
    const fiber = yield* Effect.forkDaemon(Effect.uninterruptible(loop).pipe(Effect.orDie))
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        if (Option.isNone(yield* Fiber.poll(fiber))) yield* Queue.offer(queue, { _tag: "Stop" })
        yield* Fiber.join(fiber)
      })
    )
    // If the writer died (disk full, corrupt file), later writes surface its failure instead of blocking.
    const send = (msg: Msg) =>
      Effect.flatMap(Fiber.poll(fiber), (done) => (Option.isSome(done) ? Fiber.join(fiber) : Queue.offer(queue, msg).pipe(Effect.asVoid)))
    const write = (op: WriteOp) => send(op)
    const flushed = Effect.gen(function* () {
      const done = yield* Deferred.make<void>()
      yield* send({ _tag: "Barrier", done })
      yield* Deferred.await(done)
    })
    const writer: ResultWriter = { write, flushed, stats }
    return writer
  })
