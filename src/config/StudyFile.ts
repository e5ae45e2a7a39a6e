import { FileSystem } from "@effect/platform"
import { Console, Effect, Schema } from "effect"
import { escapeControl } from "../domain/printable.js"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { gameFromData } from "./GameFile.js"
import { decodeData, readDataFile, resolveFrom } from "./loadFile.js"
import { loadPopulation } from "./PopulationFile.js"
import { questionnaireFromData } from "./QuestionnaireFile.js"
import type { BackendKind, BackendSettings, Replica, RunSpec, Step } from "./RunSpec.js"
import { stepId, SYNTHETIC_MODEL } from "./RunSpec.js"
import { SafeId } from "./ids.js"
import { REASONING_EFFORTS, type ReasoningEffort } from "../llm/reasoning.js"
import { settleSociety, societyFromData } from "../society/SocietyFile.js"
import { SpecFileError, UsageError } from "./SpecFileError.js"
import { armData, armProblems, ArmStepFields, type Experiment, type Panel } from "../experiments/arms.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1))

const BackendFields = {
  kind: Schema.optional(Schema.Literal("synthetic", "openai", "local")),
  model: Schema.optional(NonEmpty),
  base_url: Schema.optional(NonEmpty),
  /** `omit`: no temperature in the request (reasoning models refuse any but their default). */
  temperature: Schema.optional(Schema.Union(Schema.Number.pipe(Schema.between(0, 2)), Schema.Literal("omit"))),
  seed: Schema.optional(Schema.Int),
  max_tokens: Schema.optional(Schema.Int.pipe(Schema.positive())),
  scoring: Schema.optional(Schema.Literal("logprob", "sample", "stated", "constrained", "auto")),
  constrained_dialect: Schema.optional(Schema.Literal("openai", "vllm", "llamacpp", "ollama")),
  mass_threshold: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
  mass_floor: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
  top_logprobs: Schema.optional(Schema.Int.pipe(Schema.between(1, 20))),
  concurrency: Schema.optional(Schema.Int.pipe(Schema.positive())),
  rpm: Schema.optional(Schema.Int.pipe(Schema.positive())),
  tpm: Schema.optional(Schema.Int.pipe(Schema.positive())),
  /** Reasoning and thinking models (src/llm/reasoning.ts). */
  max_completion_tokens: Schema.optional(Schema.Int.pipe(Schema.positive())),
  reasoning_effort: Schema.optional(Schema.Literal(...REASONING_EFFORTS)),
  thinking_budget: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  extra_body: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  timeout_ms: Schema.optional(Schema.Int.pipe(Schema.positive())),
  max_attempts: Schema.optional(Schema.Int.pipe(Schema.positive())),
  reasks: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  /** Where the value prompt goes: system (a system message; default) or prefix (before the first user turn, as paper 000). */
  value_prompt: Schema.optional(Schema.Literal("system", "prefix")),
  /** Several servers of the model, each with its own limits (default: the backend's concurrency, no rpm). */
  replicas: Schema.optional(
    Schema.Array(
      Schema.Struct({
        base_url: NonEmpty,
        concurrency: Schema.optional(Schema.Int.pipe(Schema.positive())),
        rpm: Schema.optional(Schema.Int.pipe(Schema.positive()))
      })
    ).pipe(Schema.minItems(1))
  )
}

export const StudyFileSchema = Schema.Struct({
  kind: Schema.Literal("study"),
  id: SafeId,
  title: Schema.optional(Schema.String),
  population: NonEmpty,
  agents: Schema.optional(Schema.Int.pipe(Schema.positive())),
  seed: Schema.optional(Schema.Int),
  /** An ensemble: the whole run once per seed (as `run --seeds`); `seed` is then unused. */
  seeds: Schema.optional(Schema.Array(Schema.Int.pipe(Schema.nonNegative())).pipe(Schema.minItems(2))),
  steps: Schema.Array(
    Schema.Union(
      Schema.Struct({ questionnaire: NonEmpty, ...ArmStepFields }),
      Schema.Struct({ game: NonEmpty, ...ArmStepFields }),
      Schema.Struct({ society: NonEmpty, ...ArmStepFields })
    )
  ).pipe(Schema.minItems(1)),
  backend: Schema.optional(Schema.Struct(BackendFields)),
  /** Several backends: every step runs on each, into one run. */
  backends: Schema.optional(Schema.Array(Schema.Struct(BackendFields)).pipe(Schema.minItems(1)))
}).annotations({ identifier: "Study" })

type BackendFile = Schema.Struct.Type<typeof BackendFields>

/** Command-line overrides; each wins over the study file. */
export interface RunOverrides {
  readonly population?: string | undefined
  readonly backend?: BackendKind | undefined
  readonly model?: string | undefined
  readonly baseUrl?: string | undefined
  readonly agents?: number | undefined
  readonly seed?: number | undefined
  readonly concurrency?: number | undefined
  readonly scoring?: "logprob" | "sample" | "stated" | "constrained" | "auto" | undefined
  readonly constrainedDialect?: "openai" | "vllm" | "llamacpp" | "ollama" | undefined
  readonly massThreshold?: number | undefined
  readonly massFloor?: number | undefined
  readonly temperature?: number | undefined
  readonly timeoutMs?: number | undefined
  /** Rate limits and reasoning-model settings from the command line (`--rpm`, `--max-completion-tokens`, …). */
  readonly rpm?: number | undefined
  readonly tpm?: number | undefined
  readonly maxTokens?: number | undefined
  readonly maxCompletionTokens?: number | undefined
  readonly reasoningEffort?: ReasoningEffort | undefined
  readonly omitTemperature?: boolean | undefined
  readonly thinkingBudget?: number | undefined
  readonly extraBody?: Readonly<Record<string, unknown>> | undefined
  readonly valuePrompt?: "system" | "prefix" | undefined
}

/** The project's own folder, for the default population when a bare questionnaire is run. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
export const DEFAULT_POPULATION = path.join(projectRoot, "populations", "h-np.yaml")
export const DEFAULT_AGENTS = 1000
export const DEFAULT_SEED = 1

const firstDefined = <A>(...xs: ReadonlyArray<A | undefined>): A | undefined => xs.find((x) => x !== undefined)

export const resolveBackend = (
  file: BackendFile | undefined,
  o: RunOverrides,
  env: Readonly<Record<string, string | undefined>>
): BackendSettings => {
  const kind = firstDefined(o.backend, file?.kind) ?? "synthetic"
  // On an endpoint the default is `auto` (the probe chooses); a local model and the synthetic backend keep logprob
  // (the probe speaks HTTP; a GGUF file always gives its logprobs, and the synthetic backend has no method).
  const asked = firstDefined(o.scoring, file?.scoring) ?? (kind === "openai" ? "auto" : "logprob")
  // `auto` starts as logprob; the capability probe at the start of the run settles the method (runStudy).
  const scoring = asked === "auto" ? "logprob" : asked
  const massThreshold = firstDefined(o.massThreshold, file?.mass_threshold)
  const massFloor = firstDefined(o.massFloor, file?.mass_floor)
  const constrainedDialect = firstDefined(o.constrainedDialect, file?.constrained_dialect)
  // A local model is a GGUF file (its path is settled by loadRunSpec); it has no endpoint.
  const model =
    kind === "synthetic"
      ? SYNTHETIC_MODEL
      : kind === "local"
        ? (firstDefined(o.model, file?.model) ?? "")
        : (firstDefined(o.model, file?.model, env["OPENAI_MODEL"]) ?? "gpt-4o-mini")
  // --base-url names one server: it replaces the file's replicas.
  const replicas: ReadonlyArray<Replica> | undefined =
    kind !== "openai" || o.baseUrl !== undefined || file?.replicas === undefined
      ? undefined
      : file.replicas.map((r) => ({ baseUrl: oneEndpoint(r.base_url), concurrency: r.concurrency ?? file.concurrency ?? 16, rpm: r.rpm ?? null }))
  const baseUrl =
    kind !== "openai" ? null : replicas?.[0]?.baseUrl ?? oneEndpoint(firstDefined(o.baseUrl, file?.base_url, env["OPENAI_BASE_URL"]) ?? DEFAULT_BASE_URL)
  // `temperature: omit` (or --no-temperature): none is sent; the model's default (1 on OpenAI) is what it samples at.
  const omitTemperature = o.omitTemperature === true || (o.temperature === undefined && file?.temperature === "omit")
  const fileTemperature = typeof file?.temperature === "number" ? file.temperature : undefined
  const maxCompletionTokens = firstDefined(o.maxCompletionTokens, file?.max_completion_tokens)
  const reasoningEffort = firstDefined(o.reasoningEffort, file?.reasoning_effort)
  const thinkingBudget = firstDefined(o.thinkingBudget, file?.thinking_budget)
  const extraBody = firstDefined(o.extraBody, file?.extra_body)
  const tpm = firstDefined(o.tpm, file?.tpm)
  return {
    kind,
    model,
    baseUrl,
    temperature: omitTemperature ? 1 : (firstDefined(o.temperature, fileTemperature) ?? 0.7),
    seed: file?.seed ?? null,
    maxTokens: firstDefined(o.maxTokens, file?.max_tokens) ?? (scoring === "logprob" ? 1 : 16),
    scoring,
    ...(asked === "auto" ? { scoringAuto: true } : {}),
    ...(massThreshold === undefined ? {} : { massThreshold }),
    ...(massFloor === undefined ? {} : { massFloor }),
    ...(constrainedDialect === undefined ? {} : { constrainedDialect }),
    topLogprobs: file?.top_logprobs ?? 20,
    // Replicas: as many requests in flight as their limits allow together, unless the backend caps it.
    concurrency: firstDefined(o.concurrency, file?.concurrency) ?? (replicas === undefined ? 16 : replicas.reduce((n, r) => n + r.concurrency, 0)),
    rpm: firstDefined(o.rpm, file?.rpm) ?? null,
    ...(tpm === undefined ? {} : { tpm }),
    ...(maxCompletionTokens === undefined ? {} : { maxCompletionTokens }),
    ...(reasoningEffort === undefined ? {} : { reasoningEffort }),
    ...(omitTemperature ? { omitTemperature: true } : {}),
    ...(thinkingBudget === undefined || thinkingBudget === 0 ? {} : { thinkingBudget }),
    ...(extraBody === undefined ? {} : { extraBody }),
    timeoutMs: firstDefined(o.timeoutMs, file?.timeout_ms) ?? 60_000,
    maxAttempts: file?.max_attempts ?? 6,
    reasks: file?.reasks ?? 2,
    ...((firstDefined(o.valuePrompt, file?.value_prompt) ?? "system") === "prefix" ? { valuePrompt: "prefix" as const } : {}),
    ...(replicas === undefined ? {} : { replicas })
  }
}

/**
 * The backends of a study: its `backends` list (each resolved like `backend`, command-line overrides applying to
 * every one), or its single `backend`. Options that name one backend (--backend, --model, --base-url) are refused
 * for a study listing several; `backend` and `backends` together are refused.
 */
const resolveBackends = (
  specFile: string,
  single: BackendFile | undefined,
  list: ReadonlyArray<BackendFile> | undefined,
  o: RunOverrides,
  env: Readonly<Record<string, string | undefined>>
) =>
  Effect.gen(function* () {
    if (list === undefined) return [resolveBackend(single, o, env)]
    if (single !== undefined) {
      return yield* new SpecFileError({ file: specFile, problems: ["backends: give either backend (one) or backends (a list), not both"] })
    }
    const flag = o.backend !== undefined ? "--backend" : o.model !== undefined ? "--model" : o.baseUrl !== undefined ? "--base-url" : null
    if (flag !== null && list.length > 1) {
      return yield* new UsageError({ detail: `${flag}: ${specFile} lists ${list.length} backends; set each one's in its backends entry` })
    }
    const resolved = list.map((b) => resolveBackend(b, o, env))
    const problems = resolved.flatMap((b, i) =>
      b.kind !== "openai" && list[i]!.replicas !== undefined ? [`backends[${i}].replicas: the ${b.kind} backend has no servers`] : []
    )
    if (problems.length > 0) return yield* new SpecFileError({ file: specFile, problems })
    return resolved
  })

/** The host of a base URL as printed (the URL itself when it does not parse). */
export const hostOf = (url: string): string => {
  try {
    return new URL(url).host || url
  } catch {
    return url
  }
}

export const DEFAULT_BASE_URL = "https://api.openai.com/v1"

/** A base URL as one endpoint: `…/v1/` and `…/v1` are the same server (and the same requests, the same cache entries). */
export const oneEndpoint = (url: string): string => url.replace(/\/+$/, "")

/**
 * A base URL read from a file (a study's `base_url`, a run folder's stored settings) decides where the API key
 * from the environment goes. When OPENAI_API_KEY is set and that URL's host is not the one the environment names
 * (OPENAI_BASE_URL, else OpenAI's own), the user is told, naming both hosts.
 */
export const endpointWarning = (
  fromFile: string | null | undefined,
  where: string,
  env: Readonly<Record<string, string | undefined>>
): string | null => {
  if (fromFile === null || fromFile === undefined || env["OPENAI_API_KEY"] === undefined || env["OPENAI_API_KEY"] === "") return null
  const envUrl = env["OPENAI_BASE_URL"]
  const expected = hostOf(envUrl ?? DEFAULT_BASE_URL)
  const actual = hostOf(fromFile)
  if (actual === expected) return null
  return `[valuesim] warning: ${where} sends requests and OPENAI_API_KEY to ${actual}, not to ${expected} (${envUrl === undefined ? "OpenAI's host; OPENAI_BASE_URL is not set" : "OPENAI_BASE_URL"}); --base-url overrides`
}

/**
 * The local backend's model as an absolute path: `--model` relative to the current folder, a study's
 * `backend.model` relative to the study file. A missing or absent file is a usage error.
 */
const localModelPath = (backend: BackendSettings, o: RunOverrides, specFile: string) =>
  Effect.gen(function* () {
    if (backend.kind !== "local") return backend
    if (backend.model === "") {
      return yield* new UsageError({ detail: "--model: the local backend needs the path of a GGUF model file (--model FILE.gguf, or backend.model in the study)" })
    }
    const file = o.model !== undefined ? path.resolve(o.model) : resolveFrom(specFile, backend.model)
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      return yield* new UsageError({ detail: `--model ${escapeControl(backend.model)}: no such GGUF file (${escapeControl(file)})` })
    }
    return { ...backend, model: file }
  })

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

const hashFiles = (files: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const out: Record<string, string> = {}
    for (const f of files) {
      const text = yield* fs.readFileString(f).pipe(Effect.orElseSucceed(() => ""))
      out[path.relative(process.cwd(), f) || f] = sha256(text)
    }
    return out
  })

/**
 * Resolves a study file (or a bare questionnaire file plus `--population`) and overrides into a RunSpec.
 * Every problem becomes a SpecFileError naming the file and field, or a UsageError.
 */
export const loadRunSpec = (specFile: string, o: RunOverrides, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const data = yield* readDataFile(specFile)
    const kind = typeof data === "object" && data !== null ? (data as { kind?: unknown }).kind : undefined
    let populationFile: string
    let stepFiles: Array<string>
    let studyId: string
    let title: string
    let agentsFromFile: number | undefined
    let seedFromFile: number | undefined
    let backendFile: BackendFile | undefined
    let backendList: ReadonlyArray<BackendFile> | undefined
    const steps: Array<Step> = []
    const experiments: Array<Experiment> = []
    const panels: Array<Panel> = []
    /** The file of each society step, by run step (arms make run steps and study steps differ). */
    const societyFiles = new Map<number, string>()
    const loadStep = (file: string, stepData: unknown, as: "questionnaire" | "game" | "society") =>
      as === "game"
        ? Effect.map(gameFromData(stepData, file), (game): Step => ({ kind: "game", game }))
        : as === "society"
          ? Effect.map(societyFromData(stepData, file), (society): Step => ({ kind: "society", society }))
          : Effect.map(questionnaireFromData(stepData, file), (questionnaire): Step => ({ kind: "questionnaire", questionnaire }))
    if (kind === "study") {
      const study = yield* decodeData(StudyFileSchema, data, specFile)
      populationFile = o.population ?? resolveFrom(specFile, study.population)
      stepFiles = study.steps.map((s) => resolveFrom(specFile, "game" in s ? s.game : "society" in s ? s.society : s.questionnaire))
      studyId = study.id
      title = study.title ?? study.id
      agentsFromFile = study.agents
      seedFromFile = study.seed
      backendFile = study.backend
      backendList = study.backends
      const armIssues = study.steps.flatMap((s, i) => armProblems(i, s))
      if (armIssues.length > 0) return yield* new SpecFileError({ file: specFile, problems: armIssues })
      for (let i = 0; i < stepFiles.length; i++) {
        const f = stepFiles[i]!
        const s = study.steps[i]!
        const as = "game" in s ? "game" : "society" in s ? "society" : "questionnaire"
        const stepData = yield* readDataFile(f)
        if (as === "society" && (s.arms !== undefined || s.panel !== undefined)) {
          return yield* new SpecFileError({ file: specFile, problems: [`steps[${i}].${s.arms !== undefined ? "arms" : "panel"}: a society step has no arms or panel`] })
        }
        if (s.arms === undefined) {
          const runStep = steps.length
          if (as === "society") societyFiles.set(runStep, f)
          steps.push(yield* loadStep(f, stepData, as))
          if (s.panel !== undefined) {
            // A panel repeats an earlier questionnaire step (not an experiment's) for the same agents.
            const of = s.panel.of
            const pre = study.steps.slice(0, of + 1).reduce((n, st, j) => (j < of ? n + (st.arms?.length ?? 1) : n), 0)
            const earlier = of < i ? study.steps[of]! : undefined
            const problem =
              earlier === undefined
                ? `steps[${i}].panel.of: ${of} is not an earlier step (this is step ${i})`
                : as !== "questionnaire" || !("questionnaire" in earlier)
                  ? `steps[${i}].panel: a panel repeats a questionnaire step; steps[${of}] and steps[${i}] must both be questionnaires`
                  : earlier.arms !== undefined
                    ? `steps[${i}].panel.of: steps[${of}] has arms; a panel repeats a step without arms`
                    : stepId(steps[pre]!) !== stepId(steps[runStep]!)
                      ? `steps[${i}].panel.of: steps[${of}] asks ${stepId(steps[pre]!)}, not ${stepId(steps[runStep]!)}`
                      : null
            if (problem !== null) return yield* new SpecFileError({ file: specFile, problems: [problem] })
            panels.push({ id: stepId(steps[runStep]!), pre, post: runStep, context: s.panel.context ?? "none" })
          }
          continue
        }
        if (s.panel !== undefined) return yield* new SpecFileError({ file: specFile, problems: [`steps[${i}].panel: a step with arms cannot be a panel's repeat`] })
        // An experiment: one run step per arm, each the step's file with the arm's overrides.
        const experiment = experiments.length
        const arms: Array<{ name: string; step: number }> = []
        for (const arm of s.arms) {
          const loaded = yield* loadStep(f, armData(stepData, arm), as).pipe(
            Effect.mapError((e) => new SpecFileError({ file: e.file, problems: e.problems.map((p) => `(arm ${arm.name} of ${specFile} steps[${i}]) ${p}`) }))
          )
          arms.push({ name: arm.name, step: steps.length })
          steps.push({ ...loaded, arm: { name: arm.name, experiment, shift: arm.theory_shift ?? 0 } })
        }
        const first = steps[arms[0]!.step]!
        experiments.push({
          id: stepId(first),
          studyStep: i,
          assignment: s.assignment ?? "within",
          control: s.control ?? arms[0]!.name,
          arms
        })
      }
    } else if (kind === "questionnaire" || kind === "game" || kind === "society") {
      const step = yield* loadStep(specFile, data, kind)
      steps.push(step)
      populationFile = o.population ?? DEFAULT_POPULATION
      stepFiles = [specFile]
      studyId = stepId(step)
      title = step.kind === "game" ? step.game.title : step.kind === "society" ? step.society.title : step.questionnaire.title
    } else {
      return yield* new SpecFileError({
        file: specFile,
        problems: [`kind: expected "study", "questionnaire", "game" or "society", got ${JSON.stringify(kind ?? null)}`]
      })
    }
    const seed = firstDefined(o.seed, seedFromFile) ?? DEFAULT_SEED
    const population = yield* loadPopulation(populationFile, seed)
    const agents = firstDefined(o.agents, agentsFromFile, population.agents ?? undefined) ?? DEFAULT_AGENTS
    if (agents > 50_000_000) return yield* new UsageError({ detail: `--agents: ${agents} is more than the 50,000,000 supported` })
    const backends = yield* Effect.forEach(yield* resolveBackends(specFile, backendFile, backendList, o, env), (b) => localModelPath(b, o, specFile))
    const backend = backends[0]!
    // Society steps: the network's checks need the agent count; an edge list is read and its hash kept.
    for (const [i, s] of steps.entries()) {
      if (s.kind !== "society") continue
      if (backends.length > 1) return yield* new SpecFileError({ file: specFile, problems: [`backends: a society step (${s.society.id}) runs on one backend; this study lists ${backends.length}`] })
      steps[i] = { kind: "society", society: yield* settleSociety(s.society, societyFiles.get(i) ?? specFile, agents) }
    }
    if (o.baseUrl === undefined) {
      for (const [i, b] of backends.entries()) {
        if (b.kind !== "openai") continue
        const field = backendList === undefined ? "backend.base_url" : `backends[${i}].base_url`
        for (const url of b.replicas?.map((r) => r.baseUrl) ?? [(backendList?.[i] ?? backendFile)?.base_url]) {
          const warning = endpointWarning(url, `${escapeControl(specFile)} (${field})`, env)
          if (warning !== null) yield* Console.error(warning)
        }
      }
    }
    const files = yield* hashFiles([specFile, populationFile, ...stepFiles])
    const spec: RunSpec = {
      study: { id: studyId, title },
      seed,
      agents,
      population: {
        id: population.id,
        strategy: population.strategy,
        ...(population.values === "refined" ? { values: population.values } : {}),
        allocation: population.allocation,
        conditions: population.conditions,
        weights: population.weights,
        sharesSource: population.sharesSource,
        prompts: population.prompts
      },
      steps,
      ...(experiments.length > 0 ? { experiments } : {}),
      ...(panels.length > 0 ? { panels } : {}),
      backend,
      ...(backends.length > 1 ? { backends } : {}),
      files
    }
    return spec
  })

/**
 * Commands that make and compare their own runs of one model (robustness, priming ablation) take a study of one
 * backend: a study listing several is refused with one message naming the file.
 */
export const oneBackendOnly = (spec: RunSpec, specFile: string, command: string) =>
  spec.backends === undefined || spec.backends.length <= 1
    ? Effect.void
    : Effect.fail(new SpecFileError({ file: specFile, problems: [`backends: ${command} runs one model at a time; this study lists ${spec.backends.length} (give it a study with one backend)`] }))
