import type { GameScenario } from "../domain/games.js"
import type { Questionnaire } from "../domain/questionnaire.js"
import type { ScoringMode } from "../domain/answers.js"
import type { ConstrainedDialect } from "../scoring/constrained.js"
import type { Condition } from "./PopulationFile.js"
import type { ValueSystem } from "../domain/values.js"
import type { SocietyScenario } from "../society/scenario.js"
import type { Experiment, Panel, StepArm } from "../experiments/arms.js"

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
  /**
   * Option mass below which a shared distribution is flagged as low (default 0.9, `DEFAULT_MASS_THRESHOLD`) and
   * below which it is not used at all: the next scoring method takes over (default 0.5). Absent in older runs.
   */
  readonly massThreshold?: number
  readonly massFloor?: number
  /** How constrained scoring spells its constraint (`--constrained-dialect`; absent: openai). */
  readonly constrainedDialect?: ConstrainedDialect
  /** The scoring was chosen by the capability probe (`--scoring auto`). */
  readonly scoringAuto?: boolean
  readonly topLogprobs: number
  readonly concurrency: number
  readonly rpm: number | null
  /** Tokens per minute (prompt + completion limit of each request, estimated before it is sent); absent: no limit. */
  readonly tpm?: number | null
  /**
   * Reasoning and thinking models (src/llm/reasoning.ts); each absent unless set. `maxCompletionTokens` is sent
   * as `max_completion_tokens` instead of `max_tokens`; `reasoningEffort` as `reasoning_effort`;
   * `omitTemperature` leaves `temperature` out of the request (the server's default, 1 on OpenAI, applies);
   * `thinkingBudget` raises the token limit sent by that many tokens; `extraBody` is merged into every request body.
   */
  readonly maxCompletionTokens?: number
  readonly reasoningEffort?: string
  readonly omitTemperature?: boolean
  readonly thinkingBudget?: number
  readonly extraBody?: Readonly<Record<string, unknown>>
  readonly timeoutMs: number
  readonly maxAttempts: number
  /** Extra asks after an unparseable answer (sample scoring) before the answer is recorded as missing. */
  readonly reasks: number
  /**
   * Where a condition's value prompt goes: absent (valuesim's default) — a system message before the first user
   * turn; "prefix" — prepended to the first user turn, as paper 000 does (its prompts carry no system message).
   * Part of the request, so of its key: absent keeps the requests of runs made before the setting identical.
   */
  readonly valuePrompt?: "prefix"
  /**
   * Several servers of the same model (replicas): requests are spread over them, each within its own limits,
   * and a failing one is left for the others (src/llm/replicas.ts). Absent: `baseUrl` alone. When present,
   * `baseUrl` is the first replica's (the identity request keys carry, whichever replica answers).
   */
  readonly replicas?: ReadonlyArray<Replica>
}

/** One server of a replicated backend and its own limits. */
export interface Replica {
  readonly baseUrl: string
  /** Requests in flight at this server at once. */
  readonly concurrency: number
  /** Request starts per minute at this server, or null for no limit. */
  readonly rpm: number | null
}

export interface QuestionnaireStep {
  readonly kind: "questionnaire"
  readonly questionnaire: Questionnaire
  /** Set when the step is one arm of an experiment (src/experiments/arms.ts). */
  readonly arm?: StepArm
}
export interface GameStep {
  readonly kind: "game"
  readonly game: GameScenario
  /** Set when the step is one arm of an experiment (src/experiments/arms.ts). */
  readonly arm?: StepArm
}
/** The population on a network through repeated rounds (src/society/). */
export interface SocietyStep {
  readonly kind: "society"
  readonly society: SocietyScenario
  /** Never set: a society step is not an experiment's arm (the field keeps `Step` uniform for readers of arms). */
  readonly arm?: StepArm
}
export type Step = QuestionnaireStep | GameStep | SocietyStep

/** The name of a step (its questionnaire's, game's or society's id). */
export const stepId = (s: Step): string => (s.kind === "game" ? s.game.id : s.kind === "society" ? s.society.id : s.questionnaire.id)

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
  /** The backend of a one-backend run; the first of `backends` when the study lists several. */
  readonly backend: BackendSettings
  /**
   * Every backend of a study that lists several (absent otherwise: runs made before, and one-backend studies).
   * Each answers the whole population: backend b's agents are stored with ids b·agents … (b+1)·agents − 1,
   * with the same conditions as backend 0's, and every step runs on each (see `backendsOf`).
   */
  readonly backends?: ReadonlyArray<BackendSettings>
  /** The study's experiments (steps declared with `arms`); absent when it has none (and in runs made before). */
  readonly experiments?: ReadonlyArray<Experiment>
  /** Questionnaires asked again after a treatment (pre/post panels); absent when the study has none. */
  readonly panels?: ReadonlyArray<Panel>
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

/** The backends of a run in order: its `backends`, or its one `backend` (runs of one backend, and runs made before). */
export const backendsOf = (spec: RunSpec): ReadonlyArray<BackendSettings> => spec.backends ?? [spec.backend]

/** The run as backend b runs it: that backend's settings (its agents are `agentRangeOf(spec, b)`). */
export const specOfBackend = (spec: RunSpec, b: number): RunSpec => (b === 0 && spec.backends === undefined ? spec : { ...spec, backend: backendsOf(spec)[b]! })

/** The stored agent ids of backend b: [first, first + agents). */
export const agentRangeOf = (spec: RunSpec, b: number): { readonly first: number; readonly count: number } => ({ first: b * spec.agents, count: spec.agents })

/** Which backend answered as agent `agentId`. */
export const backendOfAgent = (spec: RunSpec, agentId: number): number => Math.min(backendsOf(spec).length - 1, Math.floor(agentId / Math.max(1, spec.agents)))

/**
 * How results name each backend: its model, made unique when two backends share a model (`model@host`, then a
 * number). The synthetic backend is named by its model (synthetic-theory-v1).
 */
export const backendNames = (spec: RunSpec): ReadonlyArray<string> => {
  const all = backendsOf(spec)
  const host = (url: string | null) => {
    try {
      return url === null ? "" : new URL(url).host
    } catch {
      return url ?? ""
    }
  }
  const names = all.map((b) => b.model)
  const first = all.map((b, i) => (names.filter((n) => n === b.model).length > 1 && b.baseUrl !== null ? `${b.model}@${host(b.baseUrl)}` : names[i]!))
  return first.map((n, i) => (first.filter((x) => x === n).length > 1 ? `${n}#${i + 1}` : n))
}
