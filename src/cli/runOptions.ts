/**
 * What every command that starts a run shares: the backend and run options of `valuesim run`, how they become
 * run overrides, the dashboard-or-progress-lines choice, and the exit for a run that finished with failed work.
 */
import { BOOTSTRAP_SIZE_RULES } from "../stats/chance.js"
import { Options } from "@effect/cli"
import { Console, Data, Effect, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { RunSummary } from "../app/runStudy.js"
import { cliCommand } from "../app/invocation.js"
import { runHeadline } from "../app/resultLine.js"
import { UsageError } from "../config/SpecFileError.js"
import { commandLine, resumeCommand } from "../domain/printable.js"
import { REASONING_EFFORTS } from "../llm/reasoning.js"

/** The run finished but some of its work failed (exit code 1). `then` says what to run after the resume. */
export class RunIncompleteError extends Data.TaggedError("RunIncompleteError")<{ readonly summary: RunSummary; readonly then?: string }> {
  override get message(): string {
    const then = this.then === undefined ? "" : `, then ${this.then}`
    return `run incomplete: ${this.summary.unitsFailed} agent-steps failed; continue with: ${resumeCommand(this.summary.runDir, cliCommand())}${then}`
  }
}

export const env = process.env as Readonly<Record<string, string | undefined>>

/**
 * A run folder argument: as given when it exists; a bare run id (`20261207-…-s1`) that is no folder here is
 * looked up under `runs/`, where `run` puts runs by default.
 */
export const runDirArg = (given: string): string => {
  if (fs.existsSync(given) || given.includes("/") || given.includes(path.sep)) return given
  const underRuns = path.join("runs", given)
  return fs.existsSync(path.join(underRuns, "run.sqlite")) ? underRuns : given
}
export const opt = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)

export const json = Options.boolean("json").pipe(Options.withDescription("print the result as one JSON object on the last stdout line (default: text)"))
export const noTui = Options.boolean("no-tui").pipe(
  Options.withDescription("plain progress lines instead of the dashboard (default: the dashboard in a terminal, progress lines in pipes and CI)")
)

/** An option that may be given any number of times, including none (shown in brackets in the usage line). */
/** The bootstrap's resample size and its rule, shared by every command that draws bootstrap CIs. */
export const bootstrapSizeOptions = {
  sampleSize: Options.integer("bootstrap-size").pipe(
    Options.withDefault(500),
    Options.withDescription("respondents per bootstrap resample (paper 000: 500). Default: 500")
  ),
  sizeRule: Options.choice("bootstrap-size-rule", BOOTSTRAP_SIZE_RULES).pipe(
    Options.withDefault("own" as const),
    Options.withDescription(
      "own = a sample smaller than --bootstrap-size is resampled at its own size (valuesim's choice: honest CIs for small samples); paper = always --bootstrap-size, as paper 000 does. Default: own"
    )
  )
}

export const repeatable = <A>(o: Options.Options<A>): Options.Options<Array<A>> =>
  o.pipe(Options.repeated, Options.optional, Options.map(Option.getOrElse((): Array<A> => [])))

/** Whether and where answers are kept for later runs (src/llm/responseCache.ts says which answers). */
export const cacheOptions = {
  noCache: Options.boolean("no-cache").pipe(
    Options.withDescription("neither read nor write the response cache across runs (default: on for logprob scoring and temperature 0)")
  ),
  cacheDir: Options.text("cache-dir").pipe(
    Options.optional,
    Options.withDescription("folder of the response cache. Default: $VALUESIM_CACHE_DIR, else $XDG_CACHE_HOME/valuesim, else ~/.cache/valuesim")
  )
}

/** The cache folder the flags ask for: null under --no-cache, undefined for the default. */
export const cacheDirOf = (a: { readonly noCache: boolean; readonly cacheDir: Option.Option<string> }): string | null | undefined =>
  a.noCache ? null : opt(a.cacheDir)

/** The output options' cache setting from the flags (nothing for the default). */
export const cacheOutput = (a: { readonly noCache: boolean; readonly cacheDir: Option.Option<string> }): { readonly cacheDir?: string | null } => {
  const cacheDir = cacheDirOf(a)
  return cacheDir === undefined ? {} : { cacheDir }
}

const positiveInt = (name: string, description: string) => Options.integer(name).pipe(Options.optional, Options.withDescription(description))

/** Rate limits and the settings reasoning and thinking models need (src/llm/reasoning.ts). */
export const limitOptions = {
  rpm: positiveInt("rpm", "requests started per minute at most (the provider's limit). Default: the study's rpm, else none; the server's x-ratelimit headers and 429s pace the run either way"),
  tpm: positiveInt("tpm", "tokens per minute at most (each request's prompt and token limit, estimated before it is sent). Default: the study's tpm, else none"),
  maxTokens: positiveInt("max-tokens", "the token limit of each reply, sent as max_tokens. Default: the study's max_tokens, else 1 for logprob scoring and 16 for sample"),
  maxCompletionTokens: positiveInt(
    "max-completion-tokens",
    "send max_completion_tokens (which counts reasoning tokens too) instead of max_tokens, with this limit: OpenAI's o-series and gpt-5 models need it. Default: the study's max_completion_tokens, else max_tokens is sent"
  ),
  reasoningEffort: Options.choice("reasoning-effort", REASONING_EFFORTS).pipe(
    Options.optional,
    Options.withDescription("reasoning_effort sent to a reasoning model (none and minimal only where the model offers them). Default: the study's reasoning_effort, else none sent")
  ),
  noTemperature: Options.boolean("no-temperature").pipe(
    Options.withDescription("send no temperature (reasoning models refuse any but their default of 1); the study's temperature: omit does the same")
  ),
  thinkingBudget: Options.integer("thinking-budget").pipe(
    Options.optional,
    Options.withDescription("tokens a thinking model may spend reasoning before it answers, added to the token limit sent. Default: the study's thinking_budget, else 0")
  ),
  extraBody: Options.text("extra-body").pipe(
    Options.optional,
    Options.withDescription("a JSON object merged into every request body, e.g. '{\"chat_template_kwargs\":{\"enable_thinking\":false}}' (Qwen3 on vLLM or llama.cpp). Default: the study's extra_body")
  )
}

/** Options shared by the commands that start a run: who answers, how, and where the run goes. */
export const backendOptions = {
  ...cacheOptions,
  backend: Options.choice("backend", ["synthetic", "openai", "local"]).pipe(
    Options.optional,
    Options.withDescription(
      "who answers: synthetic (a theory model, not an LLM), openai (any OpenAI-compatible endpoint) or local (a GGUF file run in-process; needs node-llama-cpp). Default: the study's backend, else synthetic"
    )
  ),
  model: Options.text("model").pipe(
    Options.optional,
    Options.withDescription("the model name sent to the endpoint (local backend: the GGUF file). Default: the study's model, else $OPENAI_MODEL, else gpt-4o-mini")
  ),
  baseUrl: Options.text("base-url").pipe(
    Options.optional,
    Options.withDescription("the endpoint, e.g. http://localhost:11434/v1 for Ollama. Default: the study's base_url, else $OPENAI_BASE_URL, else https://api.openai.com/v1")
  ),
  seed: Options.integer("seed").pipe(Options.optional, Options.withDescription("the run seed; all randomness of the run flows from it. Default: the study's seed, else 1")),
  concurrency: Options.integer("concurrency").pipe(Options.optional, Options.withDescription("requests in flight at once. Default: the study's concurrency, else 16")),
  scoring: Options.choice("scoring", ["logprob", "constrained", "stated", "sample", "auto"]).pipe(
    Options.optional,
    Options.withDescription(
      "logprob: the answer distribution from the first token's logprobs (identical requests shared); constrained: the answer held to the option labels by the server's structured outputs, logprobs read at the answer (shared like logprob; see --constrained-dialect); stated: the model states a probability per option as JSON (shared like logprob; for models without logprobs); sample: the generated text is parsed; auto: a capability probe of the endpoint chooses (logprob where the option mass is high, else constrained, else stated, else sample). Default: the study's scoring, else auto on an openai endpoint and logprob for local and synthetic"
    )
  ),
  constrainedDialect: Options.choice("constrained-dialect", ["openai", "vllm", "llamacpp", "ollama"]).pipe(
    Options.optional,
    Options.withDescription(
      "how constrained scoring asks the server to hold the answer to the options: openai (response_format json_schema with an enum; also vLLM, llama.cpp, Ollama /v1), vllm (structured_outputs choice), llamacpp (json_schema), ollama (format). Default: the study's constrained_dialect, else openai"
    )
  ),
  massThreshold: Options.float("mass-threshold").pipe(
    Options.optional,
    Options.withDescription("option mass (the first token's probability on the options) below which a shared distribution is flagged. Default: the study's mass_threshold, else 0.9")
  ),
  massFloor: Options.float("mass-floor").pipe(
    Options.optional,
    Options.withDescription("option mass below which a shared logprob distribution is not used and the next method (stated, then sample) takes over. Default: the study's mass_floor, else 0.5")
  ),
  temperature: Options.float("temperature").pipe(Options.optional, Options.withDescription("sampling temperature sent to the model. Default: the study's temperature, else 0.7")),
  valuePrompt: Options.choice("value-prompt", ["system", "prefix"]).pipe(
    Options.optional,
    Options.withDescription(
      "where a condition's value prompt goes: system (a system message, valuesim's default) or prefix (before the first user turn, as paper 000 does). Default: the study's value_prompt, else system"
    )
  ),
  timeout: Options.float("timeout").pipe(Options.optional, Options.withDescription("seconds to wait for one request before retrying it. Default: the study's timeout_ms, else 60")),
  ...limitOptions,
  runsDir: Options.text("runs-dir").pipe(Options.withDefault("runs"), Options.withDescription("folder the run folder is created in. Default: runs"))
}

export type BackendArgs = {
  readonly [K in keyof typeof backendOptions]: (typeof backendOptions)[K] extends Options.Options<infer A> ? A : never
}

/** The run overrides of the shared options, or a usage error for an impossible value. */
export const overridesOf = (a: BackendArgs) =>
  Effect.gen(function* () {
    const concurrency = opt(a.concurrency)
    if (concurrency !== undefined && concurrency < 1) return yield* new UsageError({ detail: "--concurrency: must be a positive integer" })
    const temperature = opt(a.temperature)
    if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) {
      return yield* new UsageError({ detail: `--temperature: must be between 0 and 2, got ${temperature}` })
    }
    const timeoutMs = yield* timeoutOf(a.timeout)
    for (const [flag, v] of [["--mass-threshold", opt(a.massThreshold)], ["--mass-floor", opt(a.massFloor)]] as const) {
      if (v !== undefined && !(v >= 0 && v <= 1)) return yield* new UsageError({ detail: `${flag}: must be between 0 and 1, got ${v}` })
    }
    const limits = yield* limitOverridesOf(a)
    if (temperature !== undefined && limits.omitTemperature === true) {
      return yield* new UsageError({ detail: "--no-temperature: sends no temperature, so it cannot go with --temperature" })
    }
    return {
      ...limits,
      backend: opt(a.backend),
      model: opt(a.model),
      baseUrl: opt(a.baseUrl),
      seed: opt(a.seed),
      concurrency,
      scoring: opt(a.scoring),
      constrainedDialect: opt(a.constrainedDialect),
      massThreshold: opt(a.massThreshold),
      massFloor: opt(a.massFloor),
      temperature,
      timeoutMs,
      valuePrompt: opt(a.valuePrompt)
    }
  })

const positiveOf = (flag: string, o: Option.Option<number>, min = 1) =>
  Effect.gen(function* () {
    const n = opt(o)
    if (n !== undefined && !(n >= min)) return yield* new UsageError({ detail: `--${flag}: must be ${min === 0 ? "0 or more" : "a positive integer"}, got ${n}` })
    return n
  })

/** `--rpm` and `--tpm` (run and resume), or a usage error naming the flag. */
export const rateLimitOverridesOf = (a: { readonly rpm: Option.Option<number>; readonly tpm: Option.Option<number> }) =>
  Effect.gen(function* () {
    return { rpm: yield* positiveOf("rpm", a.rpm), tpm: yield* positiveOf("tpm", a.tpm) }
  })

/** The rate-limit and reasoning-model overrides of `limitOptions`, or a usage error naming the flag. */
export const limitOverridesOf = (a: { readonly [K in keyof typeof limitOptions]: (typeof limitOptions)[K] extends Options.Options<infer A> ? A : never }) =>
  Effect.gen(function* () {
    const positive = positiveOf
    const extraText = opt(a.extraBody)
    let extraBody: Record<string, unknown> | undefined
    if (extraText !== undefined) {
      let parsed: unknown
      try {
        parsed = JSON.parse(extraText)
      } catch (e) {
        return yield* new UsageError({ detail: `--extra-body: not JSON (${(e as Error).message})` })
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return yield* new UsageError({ detail: "--extra-body: must be a JSON object, e.g. '{\"chat_template_kwargs\":{\"enable_thinking\":false}}'" })
      extraBody = parsed as Record<string, unknown>
    }
    return {
      ...(yield* rateLimitOverridesOf(a)),
      maxTokens: yield* positive("max-tokens", a.maxTokens),
      maxCompletionTokens: yield* positive("max-completion-tokens", a.maxCompletionTokens),
      reasoningEffort: opt(a.reasoningEffort),
      omitTemperature: a.noTemperature ? true : undefined,
      thinkingBudget: yield* positive("thinking-budget", a.thinkingBudget, 0),
      extraBody
    }
  })

/** `--timeout SECONDS` as milliseconds, or a usage error. */
export const timeoutOf = (o: Option.Option<number>) =>
  Effect.gen(function* () {
    const seconds = opt(o)
    if (seconds === undefined) return undefined
    if (!(seconds > 0 && seconds <= 3600)) return yield* new UsageError({ detail: `--timeout: must be more than 0 and at most 3600 seconds, got ${seconds}` })
    return Math.max(1, Math.round(seconds * 1000))
  })

export const progressEveryMs = () => Number(env["VALUESIM_PROGRESS_MS"] ?? 2000)

/** Set the way CI services set it (and the way ink reads it: there it draws only the final frame, at exit). */
const flag = (name: string) => env[name] !== undefined && env[name] !== "0" && env[name] !== "false"
const inCi = () => flag("CI") || flag("CONTINUOUS_INTEGRATION")

/**
 * The dashboard needs a terminal on both ends and a terminal library that draws live: pipes, CI (even with a
 * terminal), --json, --no-tui and VALUESIM_NO_TUI=1 get plain progress lines.
 */
export const useTui = (a: { readonly noTui: boolean; readonly json: boolean }) =>
  !a.noTui && !a.json && process.stdout.isTTY === true && process.stdin.isTTY === true && env["VALUESIM_NO_TUI"] !== "1" && !inCi()

/** How a run's output is shown and whether it uses the response cache, from the shared flags. */
export const outputOf = (a: { readonly noTui: boolean; readonly json: boolean; readonly noCache: boolean; readonly cacheDir: Option.Option<string> }) => ({
  json: a.json,
  progressEveryMs: progressEveryMs(),
  tui: useTui(a),
  ...cacheOutput(a)
})

/** Ends `run` and `resume`: the headline result (not under --json) and what to run next (on stderr under --json), the summary line under --json. */
export const finish = (summary: RunSummary, asJson: boolean) =>
  Effect.gen(function* () {
    if (summary.status === "complete") {
      // The headline is for a reader; under --json the summary is the result, and the analysis is not paid for.
      if (!asJson) for (const line of yield* runHeadline(summary.runDir)) yield* Console.log(line)
      const report = commandLine(cliCommand(), "report", summary.runDir)
      const next = `next: ${report}   (one page with plots: ${report} --format html)`
      yield* asJson ? Console.error(next) : Console.log(next)
    }
    if (asJson) yield* Console.log(JSON.stringify(summary))
    if (summary.status !== "complete") return yield* new RunIncompleteError({ summary })
  })
