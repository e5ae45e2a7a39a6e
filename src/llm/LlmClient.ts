import type { Effect } from "effect"
import { Context } from "effect"
import type { ChatMessage, Completion } from "../domain/answers.js"
import type { LlmError } from "./LlmError.js"

export interface CompletionRequest {
  readonly messages: ReadonlyArray<ChatMessage>
  /** Ask for first-token top logprobs (logprob scoring). */
  readonly logprobs: boolean
  readonly topLogprobs: number
  readonly maxTokens: number
  readonly temperature: number
  readonly seed: number | undefined
}

/** A chat-completion capability. One implementation per kind of endpoint; errors are classified LlmErrors. */
export class LlmClient extends Context.Tag("sim/LlmClient")<
  LlmClient,
  {
    readonly model: string
    readonly complete: (request: CompletionRequest) => Effect.Effect<Completion, LlmError>
  }
>() {}
