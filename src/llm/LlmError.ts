import { Data } from "effect"

/** Why a model call failed. Retry policy tests the reason, never the class. */
export type LlmErrorReason =
  | "RateLimited"
  | "Timeout"
  | "ServerError"
  | "Network"
  | "BadRequest"
  | "Auth"
  | "ContentFilter"
  | "BadResponse"
  /** A 200 that cannot be scored as asked: under logprob scoring, no logprobs or none of the options among them. */
  | "Degraded"
  /** The account's quota is exhausted (OpenAI: 429 `insufficient_quota`): not transient, and it stops the run. */
  | "QuotaExhausted"
  /** Batch mode: the run store holds no answer for the request (not answered by an ingested batch yet, or its line failed). */
  | "NotAnswered"

export class LlmError extends Data.TaggedError("LlmError")<{
  readonly reason: LlmErrorReason
  readonly status?: number
  readonly requestId?: string
  readonly retryAfterMs?: number
  readonly detail: string
}> {
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `${this.reason}${status}: ${this.detail}`
  }
}

/**
 * Failures worth retrying: rate limits, server errors, timeouts, broken connections, and 200s that are not a
 * usable completion (a body that is not JSON or has no choices; a degraded response) — a server under load
 * sends those as it sends a 5xx.
 */
export const isTransient = (reason: LlmErrorReason): boolean =>
  reason === "RateLimited" || reason === "Timeout" || reason === "ServerError" || reason === "Network" ||
  reason === "BadResponse" || reason === "Degraded"
