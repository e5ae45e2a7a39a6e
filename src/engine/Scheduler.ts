import type { Scope } from "effect"
import { Deferred, Effect, Fiber, Random, RateLimiter } from "effect"
import type { LlmErrorReason } from "../llm/LlmError.js"
import { isTransient, LlmError } from "../llm/LlmError.js"
import { makeFifoSemaphore } from "./fifoSemaphore.js"

export interface SchedulerOptions {
  /** Model requests in flight at once, across the whole process. */
  readonly concurrency: number
  /** Request starts per minute (token bucket), or `null` for no limit. */
  readonly rpm: number | null
  /**
   * Per-attempt timeout, handed to each attempt; the task enforces it (the OpenAI client with its own abort
   * signal) and fails with reason `Timeout`, which is retried.
   */
  readonly timeoutMs: number
  /** Total attempts per request, including the first (a rate-limited request may take more: `rateLimitBudgetMs`). */
  readonly maxAttempts: number
  /**
   * How long a request keeps retrying 429s (RateLimited), from its first attempt: long enough to outlast a
   * provider's rate-limit window (OpenAI's token windows reset within minutes). Within it, rate-limited attempts
   * do not count against `maxAttempts`. Default 10 minutes.
   */
  readonly rateLimitBudgetMs?: number
  /** Tokens per minute (token bucket over each request's estimate, `run`'s `tokens`), or null/absent for no limit. */
  readonly tpm?: number | null
  /**
   * Awaited before each attempt takes a permit, after the gate: the server's own rate-limit state
   * (src/llm/rateLimits.ts) holds sends back until its window has room again.
   */
  readonly pace?: Effect.Effect<void>
  /** Called with the error of every request that finally failed (after its last attempt); cheap, must not throw. */
  readonly onFailed?: (error: LlmError) => void
  /** Backoff before retry n is `baseDelayMs · 2^(n−1)`, capped at `maxDelayMs`, then jittered. */
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  /** Awaited before each attempt takes a permit: a closed gate pauses sending, requests in flight finish. */
  readonly gate?: Effect.Effect<void>
}

/** Emitted synchronously from scheduler fibers; handlers must be cheap and must not throw. */
export type SchedulerEvent =
  | { readonly _tag: "Sent"; readonly attempt: number }
  | { readonly _tag: "Retrying"; readonly reason: LlmErrorReason; readonly attempt: number; readonly delayMs: number }
  | { readonly _tag: "Failed"; readonly reason: LlmErrorReason }
  | { readonly _tag: "Succeeded"; readonly latencyMs: number }

/** A successful request: its value, the attempts it took, and the latency of the attempt that succeeded. */
export interface Sent<A> {
  readonly value: A
  readonly attempts: number
  readonly latencyMs: number
}

/** What one attempt of a task is told. */
export interface Attempt {
  /** 1 for the first attempt. */
  readonly number: number
  readonly timeoutMs: number
}

/**
 * One model request. Each attempt runs it again; it must fail with reason `Timeout` once `timeoutMs` has
 * passed, and stop when interrupted.
 */
export type Task<A> = (attempt: Attempt) => Effect.Effect<A, LlmError>

export interface SchedulerStats {
  /** Attempts started (every retry is sent again). */
  readonly sent: number
  readonly retries: number
  /** Requests that finally failed (after their last attempt), by reason. */
  readonly failures: Readonly<Record<string, number>>
  /** Attempts currently holding a permit. */
  readonly inFlight: number
}

export interface Scheduler {
  /**
   * Runs one model request with the global permit, rate limit, per-attempt timeout and retries, in the
   * calling fiber. Concurrent calls with the same non-null `key` share one execution and all see its value or
   * its failure; the execution is interrupted once every caller waiting on it has been interrupted. Sharing
   * costs a fiber and a deferred per key: pass `null` where keys cannot repeat (sample scoring). `tokens`: the
   * request's estimated tokens (prompt and reply limit), counted against `tpm` at each attempt.
   */
  readonly run: <A>(key: string | null, task: Task<A>, tokens?: number) => Effect.Effect<Sent<A>, LlmError>
  readonly stats: () => SchedulerStats
}

interface Shared {
  readonly deferred: Deferred.Deferred<Sent<unknown>, LlmError>
  waiters: number
  fiber: Fiber.RuntimeFiber<void> | undefined
}

/**
 * The one place that sends model requests. Keyed executions run in fibers forked into the scope, so closing
 * the scope interrupts anything still running.
 */
export const makeScheduler = (
  opts: SchedulerOptions,
  onEvent: (e: SchedulerEvent) => void = () => {}
): Effect.Effect<Scheduler, never, Scope.Scope> =>
  Effect.gen(function*() {
    const valid = opts.concurrency >= 1 && opts.maxAttempts >= 1 && opts.timeoutMs > 0 &&
      opts.baseDelayMs >= 0 && opts.maxDelayMs >= 0 && (opts.rpm === null || opts.rpm > 0) &&
      (opts.tpm === undefined || opts.tpm === null || opts.tpm > 0)
    if (!valid) {
      return yield* Effect.dieMessage(`Scheduler: invalid options ${JSON.stringify(opts)}`)
    }
    const scope = yield* Effect.scope
    const clock = yield* Effect.clock
    const semaphore = makeFifoSemaphore(opts.concurrency)
    const limit: <A, E>(task: Effect.Effect<A, E>) => Effect.Effect<A, E> = opts.rpm === null
      ? (task) => task
      : yield* RateLimiter.make({ limit: opts.rpm, interval: "1 minute", algorithm: "token-bucket" })
    const tpm = opts.tpm ?? null
    const tokenLimit: RateLimiter.RateLimiter | null = tpm === null
      ? null
      : yield* RateLimiter.make({ limit: tpm, interval: "1 minute", algorithm: "token-bucket" })
    // A request estimated above the whole minute's budget would wait forever: it is charged the budget instead.
    const charged = <A, E>(tokens: number, task: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      tokenLimit === null || !(tokens > 0) ? task : RateLimiter.withCost(Math.min(tpm!, Math.ceil(tokens)))(tokenLimit(task))
    const rateLimitBudgetMs = opts.rateLimitBudgetMs ?? 10 * 60_000
    const gate = opts.gate === undefined ? opts.pace : opts.pace === undefined ? opts.gate : Effect.zipRight(opts.gate, opts.pace)

    let sent = 0
    let retries = 0
    let inFlight = 0
    const failures: Record<string, number> = {}
    const shared = new Map<string, Shared>()

    const release = Effect.sync(() => {
      inFlight--
      semaphore.release()
    })
    // One attempt: wait for the gate, the rate limit and a permit, then run the task in this fiber.
    const attemptOnce = <A>(task: Task<A>, number: number, tokens: number): Effect.Effect<Sent<A>, LlmError> => {
      const held = Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(semaphore.take), () => {
          sent++
          inFlight++
          onEvent({ _tag: "Sent", attempt: number })
          const start = clock.unsafeCurrentTimeMillis()
          return Effect.map(
            Effect.ensuring(restore(task({ number, timeoutMs: opts.timeoutMs })), release),
            (value): Sent<A> => ({ value, attempts: number, latencyMs: clock.unsafeCurrentTimeMillis() - start })
          )
        })
      )
      const limited = limit(charged(tokens, held))
      return gate === undefined ? limited : Effect.zipRight(gate, limited)
    }

    const backoff = (attempt: number, error: LlmError) =>
      Effect.map(Random.next, (r) => {
        const exp = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1))
        // "Equal jitter": half fixed, half random, so retries spread out but never collapse to zero.
        const jittered = Math.round(exp / 2 + (r * exp) / 2)
        return Math.max(jittered, error.retryAfterMs ?? 0)
      })

    const execute = <A>(task: Task<A>, tokens = 0): Effect.Effect<Sent<A>, LlmError> => {
      const firstAt = clock.unsafeCurrentTimeMillis()
      // `counted`: attempts that count against maxAttempts (rate-limited ones within the budget do not).
      const loop = (attempt: number, counted: number): Effect.Effect<Sent<A>, LlmError> =>
        Effect.catchAll(
          Effect.tap(attemptOnce(task, attempt, tokens), (done) => onEvent({ _tag: "Succeeded", latencyMs: done.latencyMs })),
          (error) => {
            const withinBudget = error.reason === "RateLimited" && clock.unsafeCurrentTimeMillis() - firstAt < rateLimitBudgetMs
            if (!isTransient(error.reason) || (counted >= opts.maxAttempts && !withinBudget)) {
              failures[error.reason] = (failures[error.reason] ?? 0) + 1
              onEvent({ _tag: "Failed", reason: error.reason })
              opts.onFailed?.(error)
              return Effect.fail(error)
            }
            // Past maxAttempts a rate-limited request waits at least as long as the longest ordinary backoff.
            return Effect.flatMap(backoff(Math.min(attempt, opts.maxAttempts), error), (delayMs) => {
              retries++
              onEvent({ _tag: "Retrying", reason: error.reason, attempt, delayMs })
              return Effect.zipRight(Effect.sleep(delayMs), loop(attempt + 1, withinBudget ? counted : counted + 1))
            })
          }
        )
      return loop(1, 1)
    }

    const leave = (key: string, entry: Shared) =>
      Effect.suspend(() => {
        entry.waiters--
        if (entry.waiters > 0 || entry.fiber === undefined) return Effect.void
        if (shared.get(key) === entry) shared.delete(key)
        return Fiber.interrupt(entry.fiber)
      })

    const create = <A>(key: string, task: Task<A>, tokens: number) =>
      Effect.gen(function*() {
        const deferred = yield* Deferred.make<Sent<unknown>, LlmError>()
        const entry: Shared = { deferred, waiters: 0, fiber: undefined }
        shared.set(key, entry)
        // Settles the deferred however the execution ends, interruption included, so no caller hangs.
        const settle = Effect.onExit(execute(task, tokens), (exit) =>
          Effect.suspend(() => {
            if (shared.get(key) === entry) shared.delete(key)
            return Deferred.done(entry.deferred, exit)
          }))
        // A fork inherits the caller's (here: uninterruptible) region; the execution must stay interruptible.
        entry.fiber = yield* Effect.forkIn(Effect.interruptible(Effect.asVoid(Effect.exit(settle))), scope)
        return entry
      })

    // Uninterruptible from lookup to registering as a waiter, so an entry never exists without its fiber.
    const runShared = <A>(key: string, task: Task<A>, tokens: number): Effect.Effect<Sent<A>, LlmError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const entry = shared.get(key) ?? (yield* create(key, task, tokens))
          entry.waiters++
          // Same key, same request: the entry holds the same A.
          const deferred = entry.deferred as Deferred.Deferred<Sent<A>, LlmError>
          return yield* restore(Deferred.await(deferred)).pipe(Effect.onInterrupt(() => leave(key, entry)))
        })
      )

    const run = <A>(key: string | null, task: Task<A>, tokens = 0): Effect.Effect<Sent<A>, LlmError> =>
      key === null ? execute(task, tokens) : runShared(key, task, tokens)

    const stats = (): SchedulerStats => ({ sent, retries, failures: { ...failures }, inFlight })

    return { run, stats } satisfies Scheduler
  })

/**
 * How many units of work (agents, matches) to keep in flight so that about twice `concurrency` requests wait
 * for a permit when each unit has `requestsPerUnit` of its own in flight at once: enough to keep every permit
 * busy while units finish and start, few enough that thousands of waiting requests (each a fiber with its
 * prompt and its answer) do not fill the heap.
 */
export const unitsInFlight = (concurrency: number, requestsPerUnit: number): number =>
  Math.ceil((2 * concurrency) / Math.max(1, requestsPerUnit)) + 1
