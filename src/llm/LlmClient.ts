import type { Effect } from "effect"
import { Context } from "effect"
import type { ChatMessage, Completion } from "../domain/answers.js"
import type { LlmError } from "./LlmError.js"
import type { Constraint } from "../scoring/constrained.js"

export interface CompletionRequest {
  readonly messages: ReadonlyArray<ChatMessage>
  /** Ask for first-token top logprobs (logprob scoring). */
  readonly logprobs: boolean
  readonly topLogprobs: number
  readonly maxTokens: number
  readonly temperature: number
  readonly seed: number | undefined
  /**
   * Reasoning and thinking models (src/llm/reasoning.ts), each sent only when set, so requests without them
   * keep their bodies (and request keys): `max_completion_tokens` instead of `max_tokens` (it counts reasoning
   * tokens too; o-series and gpt-5 refuse `max_tokens`), `reasoning_effort`, no `temperature` at all, and
   * fields merged into the body as given (`extra_body`, e.g. `chat_template_kwargs: {enable_thinking: false}`).
   */
  readonly maxCompletionTokens?: number
  readonly reasoningEffort?: string
  readonly omitTemperature?: boolean
  readonly extraBody?: Readonly<Record<string, unknown>>
  /** Constrained scoring: the answer held to these labels, its logprobs read at the answer's position. */
  readonly constraint?: Constraint
}

/** How one attempt of a request is sent. */
export interface AttemptOptions {
  /**
   * Give up after this many milliseconds and fail with reason `Timeout`. The client enforces it with its own
   * abort signal (no timer fiber); without it a request waits as long as the server takes.
   */
  readonly timeoutMs?: number
}

/**
 * A chat-completion capability. One implementation per kind of endpoint; errors are classified LlmErrors.
 * Interrupting `complete` aborts the request on the wire.
 */
export class LlmClient extends Context.Tag("sim/LlmClient")<
  LlmClient,
  {
    readonly model: string
    readonly complete: (request: CompletionRequest, options?: AttemptOptions) => Effect.Effect<Completion, LlmError>
  }
>() {}
