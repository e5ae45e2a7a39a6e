/**
 * The scoring methods' shared settings: thresholds of option mass, the request shape each method sends, and
 * which method takes over when one cannot be used. Pure: no Effect, no I/O.
 */
import type { BackendSettings } from "../config/RunSpec.js"
import type { ScoringMode } from "../domain/answers.js"
import { STATED_MAX_TOKENS } from "./stated.js"

/** Below this option mass a shared distribution is flagged (report, dashboard, `lowMass`). */
export const DEFAULT_MASS_THRESHOLD = 0.9
/** Below this option mass a shared distribution is not used: the next method takes over. */
export const DEFAULT_MASS_FLOOR = 0.5

export const massThresholdOf = (b: Pick<BackendSettings, "massThreshold">): number => b.massThreshold ?? DEFAULT_MASS_THRESHOLD
export const massFloorOf = (b: Pick<BackendSettings, "massFloor">): number => b.massFloor ?? DEFAULT_MASS_FLOOR

/**
 * Room a sampled fallback reply gets: enough for an opener (`**`, `Answer:`, a newline, "I would say") before
 * the option, which `parseAnswer` then finds. A one-token request can never reach a number after `**`.
 */
export const SAMPLE_FALLBACK_TOKENS = 24

/** What a request asks for beyond its messages: logprobs (and how many) and its token limit. */
export interface RequestShape {
  readonly logprobs: boolean
  readonly maxTokens: number
}

/** The request shape of `method` on this backend (the backend's own shape for its own method). */
export const shapeOf = (b: Pick<BackendSettings, "scoring" | "maxTokens">, method: ScoringMode): RequestShape => {
  switch (method) {
    case "logprob":
      return { logprobs: true, maxTokens: b.scoring === "logprob" ? b.maxTokens : 1 }
    case "constrained":
      return { logprobs: true, maxTokens: Math.max(b.maxTokens, 8) }
    case "stated":
      return { logprobs: false, maxTokens: Math.max(b.maxTokens, STATED_MAX_TOKENS) }
    case "sample":
      return { logprobs: false, maxTokens: b.scoring === "sample" ? b.maxTokens : Math.max(b.maxTokens, SAMPLE_FALLBACK_TOKENS) }
  }
}

/** Whether `method` answers from one request shared per condition × item (each agent drawing its own answer). */
export const isShared = (method: ScoringMode): boolean => method !== "sample"

/**
 * The shared methods a condition × item tries in order under the backend's scoring: its own, then the next that
 * needs no logprobs (`stated`). After the last, each agent asks on its own (`sample`, with room for an opener).
 */
export const sharedChain = (method: ScoringMode): ReadonlyArray<ScoringMode> =>
  method === "logprob" || method === "constrained" ? [method, "stated"] : method === "stated" ? ["stated"] : []

/**
 * The nonce of an agent's own sampled request: at temperature 0 identical prompts give identical replies, so
 * they share one request (null); above 0 each agent's reply is its own draw.
 */
export const sampleNonce = (b: Pick<BackendSettings, "temperature">, agentId: number): string | null =>
  b.temperature === 0 ? null : `agent:${agentId}`
