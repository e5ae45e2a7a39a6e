/**
 * Pacing by the server's own rate-limit state. OpenAI (and servers that copy it) send on every response
 * `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, the resets as durations such as `12ms`, `1s`, `6m0s`
 * (OpenAI API docs, "Rate limits"; /work/shared/SERVERS.md). A 429 says how long to wait in `retry-after`
 * (seconds) or `retry-after-ms`. A good client stops sending when the window has no room left, instead of
 * collecting 429s: the pacer turns what each response says into one "send nothing before" instant that every
 * request waits for (the scheduler's `pace`).
 */
import { Clock, Duration, Effect } from "effect"

/**
 * Milliseconds of a rate-limit reset duration: `12ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`, or a bare number of
 * seconds. `undefined` when it is none of these.
 */
export const parseResetMs = (text: string | null | undefined): number | undefined => {
  if (text === null || text === undefined) return undefined
  const s = text.trim()
  if (s === "") return undefined
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }
  let total = 0
  let rest = s
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest)
    if (m === null) return undefined
    total += Number(m[1]) * unit[m[2]!]!
    rest = rest.slice(m[0].length)
  }
  return total
}

interface HeaderSource {
  readonly get: (name: string) => string | null
}

/** What one response said about a rate-limit window (requests or tokens). */
export interface WindowState {
  readonly limit: number | undefined
  readonly remaining: number
  readonly resetMs: number
}

const windowOf = (headers: HeaderSource, kind: "requests" | "tokens"): WindowState | undefined => {
  const remaining = Number(headers.get(`x-ratelimit-remaining-${kind}`) ?? NaN)
  const resetMs = parseResetMs(headers.get(`x-ratelimit-reset-${kind}`))
  if (!Number.isFinite(remaining) || resetMs === undefined) return undefined
  const limit = Number(headers.get(`x-ratelimit-limit-${kind}`) ?? NaN)
  return { limit: Number.isFinite(limit) && limit > 0 ? limit : undefined, remaining, resetMs }
}

/**
 * How long to send nothing after a response with this window state: nothing while there is room; when the
 * window is empty, the time one request's worth comes back (the reset spread over what was used, as a window
 * that refills steadily does), or the whole reset when the limit is not known.
 */
export const holdMs = (w: WindowState): number => {
  if (w.remaining > 0) return 0
  if (w.limit === undefined) return w.resetMs
  return Math.min(w.resetMs, Math.ceil(w.resetMs / Math.max(1, w.limit - w.remaining)))
}

/** The pause a response's headers ask for, in milliseconds (0: none), from its windows and any Retry-After. */
export const pauseOf = (headers: HeaderSource, retryAfterMs: number | undefined): number => {
  const windows = [windowOf(headers, "requests"), windowOf(headers, "tokens")].flatMap((w) => (w === undefined ? [] : [holdMs(w)]))
  return Math.max(0, retryAfterMs ?? 0, ...windows)
}

/** Shared by a backend's client (which tells it what responses said) and scheduler (which waits on it). */
export interface Pacer {
  /**
   * Records a response's rate-limit state: its windows, and for a 429 its Retry-After (`retry-after-ms`, or
   * `retry-after` in seconds or as an HTTP date). Synchronous and clock-free (it runs in the transport): the
   * pause starts when the next request waits, which is at once while requests are queued.
   */
  readonly observe: (headers: HeaderSource, status: number) => void
  /** Waits until the latest "send nothing before" instant has passed (at once when there is none). */
  readonly wait: Effect.Effect<void>
  /** The instant sends are held until (epoch ms; 0: never held), as of the last wait. */
  readonly until: () => number
}

/** A 429's Retry-After as a pause (ms) or an instant (epoch ms, from an HTTP date). */
const retryAfterOf = (headers: HeaderSource): { readonly pauseMs?: number; readonly atMs?: number } => {
  const ms = headers.get("retry-after-ms")
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return { pauseMs: Math.max(0, Number(ms)) }
  const after = headers.get("retry-after")
  if (after === null || after.trim() === "") return {}
  if (Number.isFinite(Number(after))) return { pauseMs: Math.max(0, Number(after) * 1000) }
  const date = Date.parse(after)
  return Number.isNaN(date) ? {} : { atMs: date }
}

/**
 * While the server's window is empty, sends are spaced one request's share of the reset apart (a window that
 * refills steadily lets one more through each time), each waiter taking the next slot, instead of all waiters
 * going at once when a pause ends and all but one collecting a 429.
 */
export const makePacer = (): Pacer => {
  let until = 0
  let pendingPauseMs = 0
  let pendingAtMs = 0
  /** The gap between sends while the window is empty (0: the window has room, no spacing). */
  let spacingMs = 0
  let nextSlot = 0
  const settle = (now: number) => {
    until = Math.max(until, pendingAtMs, pendingPauseMs > 0 ? now + pendingPauseMs : 0)
    pendingPauseMs = 0
    pendingAtMs = 0
  }
  const wait: Effect.Effect<void> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    settle(now)
    if (spacingMs > 0) {
      const slot = Math.max(now, until, nextSlot)
      nextSlot = slot + spacingMs
      return slot <= now ? Effect.void : Effect.sleep(Duration.millis(slot - now))
    }
    return until <= now ? Effect.void : Effect.zipRight(Effect.sleep(Duration.millis(until - now)), Effect.suspend(() => wait))
  })
  return {
    observe: (headers, status) => {
      const after = status === 429 ? retryAfterOf(headers) : {}
      pendingPauseMs = Math.max(pendingPauseMs, after.pauseMs ?? 0)
      if (after.atMs !== undefined) pendingAtMs = Math.max(pendingAtMs, after.atMs)
      const windows = [windowOf(headers, "requests"), windowOf(headers, "tokens")].flatMap((w) => (w === undefined ? [] : [w]))
      if (windows.length > 0) spacingMs = Math.max(0, ...windows.map(holdMs))
    },
    wait,
    until: () => until
  }
}

/**
 * A request's token estimate for a tokens-per-minute limit: its prompt (about 4 characters a token, as OpenAI
 * estimates before tokenising) and its reply limit.
 */
export const estimateTokens = (messages: ReadonlyArray<{ readonly content: string }>, replyLimit: number): number =>
  Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4) + replyLimit
