/**
 * How an answer became a number (its scoring method), stored per answer: drawn from the first token's logprobs
 * (`logprob`), from logprobs at the position of an answer constrained to the options (`constrained`), from the
 * probabilities the model stated for the options (`stated`), or parsed from a generated reply (`sample`).
 */
export type ScoringMode = "logprob" | "sample" | "stated" | "constrained"

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

/** What one model call returned, before scoring. */
export interface Completion {
  readonly text: string
  /** First-token top logprobs, when asked for and returned by the server. */
  readonly topLogprobs: ReadonlyArray<{ readonly token: string; readonly logprob: number }> | null
  readonly promptTokens: number
  readonly completionTokens: number
  readonly finishReason: string | null
  /**
   * True when the model reasoned before answering (a `<think>` block, a `reasoning_content` / `reasoning` field,
   * or reasoning tokens in the usage), so that a reply cut by its token limit can say why. Absent: unknown.
   */
  readonly thinking?: boolean
  /** The model the server says answered (the response's `model` field), when it says; the response cache checks it. */
  readonly servedBy?: string | null
}

/**
 * The outcome of asking one item. `value` is on the canonical scale (already mapped back from the presented
 * number); `dist` is the probability of each canonical scale option (lowest first), when known.
 */
export interface ItemAnswer {
  readonly itemId: string
  readonly value: number | null
  readonly raw: string | null
  readonly dist: ReadonlyArray<number> | null
  readonly scoring: ScoringMode
  /** Content hash of the request when the answer came from a (possibly shared) model request. */
  readonly requestKey: string | null
  readonly promptTokens: number
  readonly completionTokens: number
  readonly latencyMs: number
  readonly attempts: number
  readonly error: string | null
}
