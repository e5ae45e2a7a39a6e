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

/** Failures worth retrying: rate limits, server errors, timeouts and broken connections. */
export const isTransient = (reason: LlmErrorReason): boolean =>
  reason === "RateLimited" || reason === "Timeout" || reason === "ServerError" || reason === "Network"
