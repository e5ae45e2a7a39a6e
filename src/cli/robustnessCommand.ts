import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { DEFAULT_ABLATION_STUDY, renderAblation, runPrimingAblation } from "../app/primingAblation.js"
import { DEFAULT_PARAPHRASES, DEFAULT_ROBUSTNESS_STUDY, renderRobustness, runRobustness } from "../app/robustness.js"
import type { RunSummary } from "../app/runStudy.js"
import { UsageError } from "../config/SpecFileError.js"
import { RunIncompleteError } from "./Cli.js"

const env = process.env as Readonly<Record<string, string | undefined>>
const opt = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)
const progressEveryMs = () => Number(env["VALUESIM_PROGRESS_MS"] ?? 2000)

/** The run options of `run` (kept here rather than shared, so this file merges independently of Cli.ts). */
const runOptions = {
  backend: Options.choice("backend", ["synthetic", "openai"]).pipe(Options.optional),
  model: Options.text("model").pipe(Options.optional),
  baseUrl: Options.text("base-url").pipe(Options.optional),
  seed: Options.integer("seed").pipe(Options.optional),
  concurrency: Options.integer("concurrency").pipe(Options.optional),
  scoring: Options.choice("scoring", ["logprob", "sample"]).pipe(Options.optional),
  temperature: Options.float("temperature").pipe(Options.optional),
  runsDir: Options.text("runs-dir").pipe(Options.withDefault("runs")),
  out: Options.text("out").pipe(
    Options.optional,
    Options.withDescription("the experiment folder (default a new one under --runs-dir); give an existing one to continue it")
  ),
  baseline: Options.text("baseline").pipe(Options.repeated, Options.withDescription("human baseline file or folder (repeatable; default the shipped ones)")),
  iterations: Options.integer("bootstrap-iterations").pipe(Options.withDefault(100)),
  sampleSize: Options.integer("bootstrap-size").pipe(Options.withDefault(500)),
  json: Options.boolean("json").pipe(Options.withDescription("print the result as one JSON object on the last stdout line"))
}

type RunArgs = { readonly [K in keyof typeof runOptions]: (typeof runOptions)[K] extends Options.Options<infer A> ? A : never }

const common = (a: RunArgs) =>
  Effect.gen(function* () {
    const concurrency = opt(a.concurrency)
    if (concurrency !== undefined && concurrency < 1) return yield* new UsageError({ detail: "--concurrency: must be a positive integer" })
    if (a.iterations < 2) return yield* new UsageError({ detail: "--bootstrap-iterations: must be at least 2" })
    if (a.sampleSize < 2) return yield* new UsageError({ detail: "--bootstrap-size: must be at least 2" })
    return {
      overrides: {
        backend: opt(a.backend),
        model: opt(a.model),
        baseUrl: opt(a.baseUrl),
        seed: opt(a.seed),
        concurrency,
        scoring: opt(a.scoring),
        temperature: opt(a.temperature)
      },
      baselines: a.baseline.length > 0 ? a.baseline : null,
      bootstrap: { iterations: a.iterations, sampleSize: a.sampleSize, level: 0.95 },
      runsDir: a.runsDir,
      out: opt(a.out),
      output: { json: a.json, progressEveryMs: progressEveryMs() }
    }
  })

/** A variant run ended with failed work: say how to continue the whole experiment, then fail like `run` (exit 1). */
const incomplete = (summary: RunSummary | null, dir: string) =>
  Effect.gen(function* () {
    yield* Console.error(`[valuesim] to continue the experiment, run the same command again with --out ${dir}`)
    return yield* summary ? new RunIncompleteError({ summary }) : new UsageError({ detail: "a variant run did not finish" })
  })

const robustness = Command.make(
  "robustness",
  {
    study: Options.text("study").pipe(Options.withDefault(DEFAULT_ROBUSTNESS_STUDY), Options.withDescription("study or value questionnaire file")),
    perCondition: Options.integer("agents-per-condition").pipe(Options.withDefault(100)),
    paraphrase: Options.text("paraphrases").pipe(
      Options.repeated,
      Options.withDescription("condition-prompts file with paraphrased value prompts (repeatable; default the project's three sets)")
    ),
    ...runOptions
  },
  (a) =>
    Effect.gen(function* () {
      if (a.perCondition < 3) return yield* new UsageError({ detail: "--agents-per-condition: must be at least 3" })
      const c = yield* common(a)
      const r = yield* runRobustness(
        { ...c, study: a.study, agentsPerCondition: a.perCondition, paraphrases: a.paraphrase.length > 0 ? a.paraphrase : DEFAULT_PARAPHRASES },
        env
      )
      if (r.result === null) return yield* incomplete(r.incomplete?.summary ?? null, r.dir)
      yield* Console.log(a.json ? JSON.stringify(r.result) : renderRobustness(r.result))
    })
).pipe(Command.withDescription("S_V under paraphrased value prompts, reversed options and a distribution-only control, with BH-adjusted p (seed 001)"))

const primingAblation = Command.make(
  "priming-ablation",
  {
    study: Options.text("study").pipe(Options.withDefault(DEFAULT_ABLATION_STUDY), Options.withDescription("study with a value questionnaire (and behaviour measures for S_B)")),
    agents: Options.integer("agents").pipe(Options.optional),
    ...runOptions
  },
  (a) =>
    Effect.gen(function* () {
      const agents = opt(a.agents)
      if (agents !== undefined && agents < 3) return yield* new UsageError({ detail: "--agents: must be at least 3" })
      const c = yield* common(a)
      const r = yield* runPrimingAblation({ ...c, study: a.study, agents }, env)
      if (r.result === null) return yield* incomplete(r.incomplete?.summary ?? null, r.dir)
      yield* Console.log(a.json ? JSON.stringify(r.result) : renderAblation(r.result))
    })
).pipe(Command.withDescription("Priming Only vs Test Only vs Priming & Test: S_V and S_B per setting (paper 000 §6.2, Table 3)"))

/** The experiment commands of issue 6 parts 4–5, spread into the CLI's subcommand list. */
export const robustnessCommands = [robustness, primingAblation] as const
