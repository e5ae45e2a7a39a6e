/**
 * One model served by several endpoints (replicas: vLLM on two GPU nodes, an Ollama on each workstation), as one
 * LlmClient composed of one client per endpoint. Each request goes to the least loaded endpoint that is up and
 * has room under its own limits (requests in flight, request starts per minute); an endpoint whose request
 * failed in a way another server could mend (a refused or reset connection, a 5xx, a timeout, a 429, a body that
 * is not a completion) is left alone for a cooling-off period that doubles with each failure in a row, and the
 * request is sent at once to another endpoint. When every endpoint failed the attempt fails with the last error
 * and the scheduler's retries take over. The run's request keys do not depend on which replica answered.
 */
import { Deferred, Effect, Layer } from "effect"
import type { Completion } from "../domain/answers.js"
import type { AttemptOptions, CompletionRequest } from "./LlmClient.js"
import { LlmClient } from "./LlmClient.js"
import { LlmError, type LlmErrorReason } from "./LlmError.js"

type Client = LlmClient["Type"]

export interface ReplicaEndpoint {
  /** How results and messages name it (its base URL). */
  readonly name: string
  /** Requests in flight at this endpoint at once. */
  readonly concurrency: number
  /** Request starts per minute at this endpoint, or null. */
  readonly rpm: number | null
  readonly client: Client
}

export interface ReplicaOptions {
  /** First cooling-off period after a failure; doubles per failure in a row (default 1 s). */
  readonly cooldownMs?: number
  /** Longest cooling-off period (default 30 s). */
  readonly maxCooldownMs?: number
  /** Called each time a failed attempt moves on to another endpoint (a retry the scheduler does not see). */
  readonly onFailover?: () => void
}

export interface ReplicaStats {
  readonly name: string
  /** Attempts sent to this endpoint. */
  readonly sent: number
  readonly succeeded: number
  readonly failed: number
  readonly inFlight: number
  readonly maxInFlight: number
  /** True while it is cooling off after a failure. */
  readonly down: boolean
}

/** Failures another endpoint may not have: the request moves on to one. */
const endpointTrouble = (reason: LlmErrorReason) =>
  reason === "Network" || reason === "ServerError" || reason === "Timeout" || reason === "RateLimited" || reason === "BadResponse"

interface EndpointState {
  inFlight: number
  maxInFlight: number
  sent: number
  succeeded: number
  failed: number
  failuresInARow: number
  downUntil: number
  /** Start times in the last minute (rpm). */
  readonly starts: Array<number>
}

const WINDOW_MS = 60_000

/** How an interrupted request settles its endpoint: not a failure of the endpoint (no cooling off). */
const INTERRUPTED = new LlmError({ reason: "BadRequest", detail: "interrupted" })

/** The composed client and its per-endpoint counters. */
export const makeReplicaClient = (model: string, endpoints: ReadonlyArray<ReplicaEndpoint>, options: ReplicaOptions = {}) =>
  Effect.map(Effect.clock, (clock) => composeReplicas(model, endpoints, options, () => clock.unsafeCurrentTimeMillis()))

const composeReplicas = (model: string, endpoints: ReadonlyArray<ReplicaEndpoint>, options: ReplicaOptions, nowMs: () => number) => {
  if (endpoints.length === 0) throw new Error("makeReplicaClient: no endpoints")
  for (const e of endpoints) if (!(e.concurrency >= 1) || (e.rpm !== null && !(e.rpm > 0))) throw new Error(`replica ${e.name}: invalid limits`)
  const cooldownMs = options.cooldownMs ?? 1000
  const maxCooldownMs = options.maxCooldownMs ?? 30_000
  const states: Array<EndpointState> = endpoints.map(() => ({
    inFlight: 0, maxInFlight: 0, sent: 0, succeeded: 0, failed: 0, failuresInARow: 0, downUntil: 0, starts: []
  }))
  const waiters = new Set<Deferred.Deferred<void>>()
  const wake = () => {
    for (const d of waiters) Deferred.unsafeDone(d, Effect.void)
    waiters.clear()
  }
  let turn = 0

  const rpmRoom = (i: number, now: number) => {
    const rpm = endpoints[i]!.rpm
    if (rpm === null) return true
    const s = states[i]!.starts
    while (s.length > 0 && s[0]! <= now - WINDOW_MS) s.shift()
    return s.length < rpm
  }

  /**
   * The endpoint to send to now, or null to wait: the least loaded (in flight ÷ limit) endpoint that is up and
   * has room, turns breaking ties; when every endpoint not yet tried is cooling off, the one that recovers first
   * (it is the request's way of finding out whether it has). Endpoints in `tried` are left out.
   */
  const pick = (now: number, tried: ReadonlySet<number>): number | null => {
    let best = -1
    let bestLoad = Infinity
    let anyUp = false
    const n = endpoints.length
    for (let j = 0; j < n; j++) {
      const i = (turn + j) % n
      if (tried.has(i) || states[i]!.downUntil > now) continue
      anyUp = true
      const load = states[i]!.inFlight / endpoints[i]!.concurrency
      if (states[i]!.inFlight < endpoints[i]!.concurrency && rpmRoom(i, now) && load < bestLoad) {
        best = i
        bestLoad = load
      }
    }
    if (best >= 0) {
      turn = (best + 1) % n
      return best
    }
    if (anyUp) return null
    let first = -1
    for (let i = 0; i < n; i++) {
      if (tried.has(i)) continue
      if (first < 0 || states[i]!.downUntil < states[first]!.downUntil) first = i
    }
    return first >= 0 && states[first]!.inFlight < endpoints[first]!.concurrency && rpmRoom(first, now) ? first : null
  }

  /** How long to wait before looking again when nothing can be picked (a permit freed wakes it sooner). */
  const nextChance = (now: number, tried: ReadonlySet<number>) => {
    let ms = 1000
    endpoints.forEach((e, i) => {
      if (tried.has(i)) return
      const st = states[i]!
      if (st.downUntil > now) ms = Math.min(ms, st.downUntil - now)
      if (e.rpm !== null && st.starts.length >= e.rpm) ms = Math.min(ms, st.starts[0]! + WINDOW_MS - now)
    })
    return Math.max(1, ms)
  }

  const acquire = (tried: ReadonlySet<number>): Effect.Effect<number> =>
    Effect.suspend(() => {
      const now = nowMs()
      const i = pick(now, tried)
      if (i !== null) {
        const st = states[i]!
        st.inFlight++
        st.maxInFlight = Math.max(st.maxInFlight, st.inFlight)
        st.sent++
        if (endpoints[i]!.rpm !== null) st.starts.push(now)
        return Effect.succeed(i)
      }
      return Effect.flatMap(Deferred.make<void>(), (d) => {
        waiters.add(d)
        return Deferred.await(d).pipe(
          Effect.timeout(nextChance(now, tried)),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => waiters.delete(d))),
          Effect.zipRight(acquire(tried))
        )
      })
    })

  const settle = (i: number, error: LlmError | null) =>
    Effect.sync(() => {
      const st = states[i]!
      st.inFlight--
      if (error === INTERRUPTED) st.sent--
      else if (error === null) {
        st.succeeded++
        st.failuresInARow = 0
        st.downUntil = 0
      } else {
        st.failed++
        if (endpointTrouble(error.reason)) {
          st.failuresInARow++
          st.downUntil = nowMs() + Math.min(maxCooldownMs, cooldownMs * 2 ** (st.failuresInARow - 1), error.retryAfterMs ?? Infinity)
        }
      }
      wake()
    })

  /** One attempt: to the picked endpoint, and on endpoint trouble at once to each other one not yet tried. */
  const complete = (request: CompletionRequest, attempt?: AttemptOptions): Effect.Effect<Completion, LlmError> => {
    const tried = new Set<number>()
    const sendOnce = Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(acquire(tried)), (i) => {
        tried.add(i)
        return restore(endpoints[i]!.client.complete(request, attempt)).pipe(
          Effect.onExit((exit) =>
            settle(i, exit._tag === "Success" ? null : exit.cause._tag === "Fail" ? exit.cause.error : INTERRUPTED)
          )
        )
      })
    )
    const loop: Effect.Effect<Completion, LlmError> = Effect.catchAll(sendOnce, (e) =>
      endpointTrouble(e.reason) && tried.size < endpoints.length ? Effect.zipRight(Effect.sync(() => options.onFailover?.()), loop) : Effect.fail(e)
    )
    return Effect.suspend(() => loop)
  }

  const stats = (): Array<ReplicaStats> =>
    endpoints.map((e, i) => {
      const st = states[i]!
      return { name: e.name, sent: st.sent, succeeded: st.succeeded, failed: st.failed, inFlight: st.inFlight, maxInFlight: st.maxInFlight, down: st.downUntil > nowMs() }
    })

  const client: Client = { model, complete }
  return { client, stats }
}

/** The composed client as the run's LlmClient layer. */
export const layer = (model: string, endpoints: ReadonlyArray<ReplicaEndpoint>, options: ReplicaOptions = {}): Layer.Layer<LlmClient> =>
  Layer.effect(LlmClient, Effect.map(makeReplicaClient(model, endpoints, options), (r) => r.client))
