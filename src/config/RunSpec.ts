import type { GameScenario } from "../domain/games.js"
import type { Questionnaire } from "../domain/questionnaire.js"
import type { ScoringMode } from "../domain/answers.js"
import type { Condition } from "./PopulationFile.js"
import type { ValueSystem } from "../domain/values.js"

/** synthetic: the theory model; openai: an OpenAI-compatible endpoint; local: a GGUF file run in-process. */
export type BackendKind = "synthetic" | "openai" | "local"

/** Backend parameters as sent (never the API key). */
export interface BackendSettings {
  readonly kind: BackendKind
  readonly model: string
  readonly baseUrl: string | null
  readonly temperature: number
  readonly seed: number | null
  readonly maxTokens: number
  readonly scoring: ScoringMode
  readonly topLogprobs: number
  readonly concurrency: number
  readonly rpm: number | null
  readonly timeoutMs: number
  readonly maxAttempts: number
  /** Extra asks after an unparseable answer (sample scoring) before the answer is recorded as missing. */
  readonly reasks: number
}

export interface QuestionnaireStep {
  readonly kind: "questionnaire"
  readonly questionnaire: Questionnaire
}
export interface GameStep {
  readonly kind: "game"
  readonly game: GameScenario
}
export type Step = QuestionnaireStep | GameStep

/** The name of a step (its questionnaire's or game's id). */
export const stepId = (s: Step): string => (s.kind === "game" ? s.game.id : s.questionnaire.id)

/**
 * Everything a run needs, fully resolved from the spec files and command-line overrides. Stored in the
 * run's manifest, so `resume` rebuilds the same plan even if the files changed since.
 */
export interface RunSpec {
  readonly study: { readonly id: string; readonly title: string }
  readonly seed: number
  readonly agents: number
  readonly population: {
    readonly id: string
    readonly strategy: string
    /** The value system of its `value:<code>` conditions; absent (runs before 19-value support) means basic. */
    readonly values?: ValueSystem
    readonly allocation: "exact" | "multinomial"
    readonly conditions: ReadonlyArray<Condition>
    readonly weights: ReadonlyArray<number>
    readonly sharesSource: { readonly file: string; readonly dataset: string; readonly source: string; readonly obtained: string } | null
    readonly prompts: { readonly id: string; readonly citation: string }
  }
  readonly steps: ReadonlyArray<Step>
  readonly backend: BackendSettings
  /** sha256 of every spec file read, by path. */
  readonly files: Readonly<Record<string, string>>
}

export const SYNTHETIC_MODEL = "synthetic-theory-v1"
export const SYNTHETIC_LABEL = "synthetic: theory model, not an LLM"

/** Who answered, as every result names it: the backend and model, and the synthetic backend flagged as such. */
export interface BackendIdentity {
  readonly backend: string
  readonly model: string
  /** true for the synthetic backend: a theory reference, not an LLM. */
  readonly synthetic: boolean
  /** SYNTHETIC_LABEL on the synthetic backend, else null. */
  readonly label: string | null
}

export const backendIdentity = (backend: BackendSettings): BackendIdentity => {
  const synthetic = backend.kind === "synthetic"
  return { backend: backend.kind, model: backend.model, synthetic, label: synthetic ? SYNTHETIC_LABEL : null }
}
