import { Effect, Fiber, Option, Queue } from "effect"
import { DatabaseError, makeStatements, type BatchCounts, type RunDb, type WriteOp } from "./RunStore.js"

/** What this writer committed since it started (the store's `step_totals` hold the whole run's counts). */
export interface WriterStats extends BatchCounts {
  batches: number
}

export interface ResultWriter {
  /** Queues an op; waits when the queue is full (back-pressure keeps memory flat). */
  readonly write: (op: WriteOp) => Effect.Effect<void>
  readonly stats: WriterStats
}

type Msg = WriteOp | { readonly _tag: "Stop" }

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
        let stop = false
        for (const m of msgs) {
          if (m._tag === "Stop") stop = true
          else ops.push(m)
        }
        yield* flush(ops)
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
    const write = (op: WriteOp) =>
      Effect.flatMap(Fiber.poll(fiber), (done) => (Option.isSome(done) ? Fiber.join(fiber) : Queue.offer(queue, op).pipe(Effect.asVoid)))
    const writer: ResultWriter = { write, stats }
    return writer
  })
