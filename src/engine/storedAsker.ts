import { Effect } from "effect"
import type { BackendSettings } from "../config/RunSpec.js"
import type { ChatMessage } from "../domain/answers.js"
import type { CompletionRequest } from "../llm/LlmClient.js"
import { LlmError } from "../llm/LlmError.js"
import { requestLookup } from "../store/reads.js"
import type { RunDb } from "../store/RunStore.js"
import type { RequestShape } from "../scoring/methods.js"
import { askedFromRow, describeRequest, type Asked, type Asker, type Validate } from "./RequestCache.js"

/** A request the run needs and the store cannot answer. */
export interface Unanswered {
  readonly key: string
  /** The engine's request body (`requests.body`). */
  readonly body: string
  readonly request: CompletionRequest
}

/**
 * An asker that sends nothing: it answers from the responses stored in the run (those a batch brought back)
 * exactly as the online asker answers from its cache, and fails every other request with reason `NotAnswered`
 * after telling `onUnanswered` about it. `whyNot(key)` may say why a request has no answer (its batch line
 * failed). A stored response that `validate` rejects fails as `Degraded`, as a degraded response online does
 * after its retries, so the engine falls back the same way.
 */
export const makeStoredAsker = (
  backend: BackendSettings,
  db: RunDb,
  onUnanswered: (u: Unanswered) => void,
  whyNot: (key: string) => string | null = () => null
): Asker => {
  const lookup = requestLookup(db)
  const memo = new Map<string, Asked>()
  const stored = (key: string): Asked | undefined => {
    const hit = memo.get(key)
    if (hit !== undefined) return hit
    const row = lookup(key)
    if (row === undefined) return undefined
    const asked = askedFromRow(key, row)
    if (memo.size >= 50_000) memo.clear()
    memo.set(key, asked)
    return asked
  }
  const ask = (messages: ReadonlyArray<ChatMessage>, nonce: string | null, validate?: Validate, _sharedBy?: number, shape?: RequestShape): Effect.Effect<Asked, LlmError> =>
    Effect.suspend(() => {
      const { body, key, request } = describeRequest(backend, messages, nonce, shape)
      const asked = stored(key)
      if (asked !== undefined) {
        const problem = validate?.(asked.completion) ?? null
        return problem === null ? Effect.succeed(asked) : Effect.fail(new LlmError({ reason: "Degraded", status: 200, detail: problem }))
      }
      onUnanswered({ key, body, request })
      const why = whyNot(key)
      return Effect.fail(new LlmError({ reason: "NotAnswered", detail: why === null ? `request ${key} awaits a batch answer` : `request ${key}: its batch line failed (${why})` }))
    })
  // Answers served from responses a page already holds are not counted here: ingest reports its own totals.
  return { ask, countShared: () => undefined }
}
