/**
 * The scoring methods' shared settings: thresholds of option mass, the request shape each method sends, and
 * which method takes over when one cannot be used. Pure: no Effect, no I/O.
 */
import type { BackendSettings } from "../config/RunSpec.js"
import type { ScoringMode } from "../domain/answers.js"
import type { PresentedChoice } from "../domain/questionnaire.js"
import { STATED_MAX_TOKENS } from "./stated.js"
import { DEFAULT_CONSTRAINED_DIALECT, type Constraint } from "./constrained.js"

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

/** Room for a constrained JSON answer (`{"answer": "4"}`, a few tokens of whitespace allowed). */
export const CONSTRAINED_MAX_TOKENS = 16

/** What a request asks for beyond its messages: logprobs (and how many), its token limit, and a constraint. */
export interface RequestShape {
  readonly logprobs: boolean
  readonly maxTokens: number
  /** The answer held to the option labels (constrained scoring); absent: a free reply. */
  readonly constraint?: Constraint
}

/** The request shape of `method` on this backend (the backend's own shape for its own method). */
export const shapeOf = (b: Pick<BackendSettings, "scoring" | "maxTokens">, method: ScoringMode): RequestShape => {
  switch (method) {
    case "logprob":
      return { logprobs: true, maxTokens: b.scoring === "logprob" ? b.maxTokens : 1 }
    case "constrained":
      return { logprobs: true, maxTokens: Math.max(b.maxTokens, CONSTRAINED_MAX_TOKENS) }
    case "stated":
      return { logprobs: false, maxTokens: Math.max(b.maxTokens, STATED_MAX_TOKENS) }
    case "sample":
      return { logprobs: false, maxTokens: b.scoring === "sample" ? b.maxTokens : Math.max(b.maxTokens, SAMPLE_FALLBACK_TOKENS) }
  }
}

/** The constrained request of a question with options `choices`, in the backend's dialect (default `openai`). */
export const constrainedShape = (
  b: Pick<BackendSettings, "scoring" | "maxTokens" | "constrainedDialect">,
  choices: ReadonlyArray<PresentedChoice>
): RequestShape => ({
  ...shapeOf(b, "constrained"),
  constraint: { dialect: b.constrainedDialect ?? DEFAULT_CONSTRAINED_DIALECT, options: choices.map((c) => c.token) }
})

/** Tokens one `"37": 0.012, ` entry of a stated reply takes, at most. */
const STATED_TOKENS_PER_OPTION = 8

/**
 * The stated-probability request of a question with options `choices`: room for one JSON entry per option (a game's
 * amounts can run to 0…100), never less than the method's own limit.
 */
export const statedShape = (b: Pick<BackendSettings, "scoring" | "maxTokens">, choices: ReadonlyArray<PresentedChoice>): RequestShape => {
  const own = shapeOf(b, "stated")
  return { ...own, maxTokens: Math.max(own.maxTokens, STATED_TOKENS_PER_OPTION * choices.length + 40) }
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
