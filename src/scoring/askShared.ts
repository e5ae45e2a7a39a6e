/**
 * One shared condition × item request under the shared scoring methods (logprob, constrained, stated): the methods of the
 * backend's chain (`sharedChain`) are tried in order until one gives a usable distribution over the options.
 * A logprob (or constrained) response whose option mass is below the floor is not used as it is: the next method takes over,
 * and the mass seen is kept so the report can flag it. When none gives one, each agent asks on its own.
 */
import { Effect } from "effect"
import type { BackendSettings } from "../config/RunSpec.js"
import type { ChatMessage, ScoringMode } from "../domain/answers.js"
import type { PresentedChoice } from "../domain/questionnaire.js"
import type { LlmError } from "../llm/LlmError.js"
import { logprobValidator, optionMass, renormaliseLogprobs } from "../llm/scoring.js"
import type { Asker } from "../engine/RequestCache.js"
import { constrainedShape, massFloorOf, shapeOf, sharedChain, statedShape } from "./methods.js"
import { readStated, statedReaskTurn, statedTurn } from "./stated.js"

export type SharedOutcome =
  /** A distribution over the options (presentation order), from the request `key`, by `method`. */
  | {
    readonly kind: "dist"
    readonly key: string
    readonly presented: ReadonlyArray<number>
    readonly method: ScoringMode
    /** Option mass of the logprobs seen for this question (first token, or the constrained answer's; NaN: none measured). */
    readonly mass: number
    readonly asks: number
  }
  /** No shared method gave a usable distribution: each agent asks on its own (`sample`). */
  | { readonly kind: "own"; readonly mass: number }
  /** A request failed for good (not a degraded response). */
  | { readonly kind: "failed"; readonly error: LlmError }

/**
 * Asks the shared question `messages` (its last turn the item, as `itemTurn` words it) by each method of the
 * backend's chain in turn. `sharedBy`: how many answers it serves (for the request counters).
 */
export const askShared = (
  backend: BackendSettings,
  asker: Asker,
  messages: ReadonlyArray<ChatMessage>,
  choices: ReadonlyArray<PresentedChoice>,
  sharedBy: number
): Effect.Effect<SharedOutcome> =>
  Effect.gen(function* () {
    let mass = NaN
    for (const method of sharedChain(backend.scoring)) {
      if (method === "logprob" || method === "constrained") {
        // Constrained: the answer held to the option labels, its logprobs read at the answer's position.
        const shape = method === "logprob" ? shapeOf(backend, "logprob") : constrainedShape(backend, choices)
        const r = yield* asker.ask(messages, null, logprobValidator(choices), sharedBy, shape).pipe(Effect.either)
        if (r._tag === "Left") {
          if (r.left.reason === "Degraded") continue
          return { kind: "failed", error: r.left } as const
        }
        const top = r.right.completion.topLogprobs
        mass = optionMass(top, choices)
        const presented = top === null ? null : renormaliseLogprobs(top, choices)
        if (presented !== null && mass >= massFloorOf(backend)) {
          return { kind: "dist", key: r.right.key, presented, method, mass, asks: 1 } as const
        }
        continue
      }
      if (method === "stated") {
        const item = messages[messages.length - 1]!
        let turn: Array<ChatMessage> = [...messages.slice(0, -1), statedTurn(item, choices)]
        for (let asks = 1; ; asks++) {
          const r = yield* asker.ask(turn, null, undefined, sharedBy, statedShape(backend, choices)).pipe(Effect.either)
          if (r._tag === "Left") {
            if (r.left.reason === "Degraded") break
            return { kind: "failed", error: r.left } as const
          }
          const read = readStated(r.right.completion.text, choices)
          if ("dist" in read) return { kind: "dist", key: r.right.key, presented: read.dist, method, mass, asks } as const
          if (asks > backend.reasks) break
          turn = [...turn, { role: "assistant", content: r.right.completion.text }, statedReaskTurn(read.problem, choices)]
        }
      }
    }
    return { kind: "own", mass } as const
  })
