/**
 * What every command that starts a run shares: the backend and run options of `valuesim run`, how they become
 * run overrides, the dashboard-or-progress-lines choice, and the exit for a run that finished with failed work.
 */
import { BOOTSTRAP_SIZE_RULES } from "../stats/chance.js"
import { Options } from "@effect/cli"
import { Console, Data, Effect, Option } from "effect"
import type { RunSummary } from "../app/runStudy.js"
import { cliCommand } from "../app/invocation.js"
import { runHeadline } from "../app/resultLine.js"
import { UsageError } from "../config/SpecFileError.js"
import { commandLine, resumeCommand } from "../domain/printable.js"

/** The run finished but some of its work failed (exit code 1). `then` says what to run after the resume. */
export class RunIncompleteError extends Data.TaggedError("RunIncompleteError")<{ readonly summary: RunSummary; readonly then?: string }> {
  override get message(): string {
    const then = this.then === undefined ? "" : `, then ${this.then}`
    return `run incomplete: ${this.summary.unitsFailed} agent-steps failed; continue with: ${resumeCommand(this.summary.runDir, cliCommand())}${then}`
  }
}

export const env = process.env as Readonly<Record<string, string | undefined>>
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
  scoring: Options.choice("scoring", ["logprob", "sample"]).pipe(
    Options.optional,
    Options.withDescription("logprob: the answer distribution from the first token's logprobs (identical requests shared); sample: the generated text is parsed. Default: the study's scoring, else logprob")
  ),
  temperature: Options.float("temperature").pipe(Options.optional, Options.withDescription("sampling temperature sent to the model. Default: the study's temperature, else 0.7")),
  timeout: Options.float("timeout").pipe(Options.optional, Options.withDescription("seconds to wait for one request before retrying it. Default: the study's timeout_ms, else 60")),
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
    return {
      backend: opt(a.backend),
      model: opt(a.model),
      baseUrl: opt(a.baseUrl),
      seed: opt(a.seed),
      concurrency,
      scoring: opt(a.scoring),
      temperature,
      timeoutMs
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
