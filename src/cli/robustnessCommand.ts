import { shellWord } from "../domain/printable.js"
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { DEFAULT_ABLATION_STUDY, renderAblation, runPrimingAblation } from "../app/primingAblation.js"
import { DEFAULT_PARAPHRASES, DEFAULT_ROBUSTNESS_STUDY, renderRobustness, runRobustness } from "../app/robustness.js"
import type { RunSummary } from "../app/runStudy.js"
import { UsageError } from "../config/SpecFileError.js"
import { backendOptions, bootstrapSizeOptions, cacheOutput, env, json, noTui, opt, overridesOf, progressEveryMs, repeatable, RunIncompleteError } from "./runOptions.js"

/** The run options of `run`, and the experiment folder and bootstrap of these experiments. */
const runOptions = {
  ...backendOptions,
  out: Options.text("out").pipe(
    Options.optional,
    Options.withDescription("the experiment folder; give an existing one to continue it. Default: a new one under --runs-dir")
  ),
  baseline: repeatable(Options.text("baseline")).pipe(Options.withDescription("human baseline file or folder (repeatable). Default: the shipped human-baselines/")),
  iterations: Options.integer("bootstrap-iterations").pipe(Options.withDefault(100), Options.withDescription("bootstrap resamples for the confidence intervals. Default: 100")),
  ...bootstrapSizeOptions,
  // accepted like `run`'s: these experiments print progress lines (they never draw the dashboard)
  noTui,
  json
}

type RunArgs = { readonly [K in keyof typeof runOptions]: (typeof runOptions)[K] extends Options.Options<infer A> ? A : never }

const common = (a: RunArgs) =>
  Effect.gen(function* () {
    const overrides = yield* overridesOf(a)
    if (a.iterations < 2) return yield* new UsageError({ detail: "--bootstrap-iterations: must be at least 2" })
    if (a.sampleSize < 2) return yield* new UsageError({ detail: "--bootstrap-size: must be at least 2" })
    return {
      overrides,
      baselines: a.baseline.length > 0 ? a.baseline : null,
      bootstrap: { iterations: a.iterations, sampleSize: a.sampleSize, level: 0.95, sizeRule: a.sizeRule },
      runsDir: a.runsDir,
      out: opt(a.out),
      output: { json: a.json, progressEveryMs: progressEveryMs(), ...cacheOutput(a) }
    }
  })

/** A variant run ended with failed work: say how to continue the whole experiment, then fail like `run` (exit 1). */
const incomplete = (summary: RunSummary | null, dir: string) =>
  Effect.gen(function* () {
    yield* Console.error(`[valuesim] to continue the experiment, run the same command again with --out ${shellWord(dir)}`)
    return yield* summary ? new RunIncompleteError({ summary }) : new UsageError({ detail: "a variant run did not finish" })
  })

const robustness = Command.make(
  "robustness",
  {
    study: Options.text("study").pipe(Options.withDefault(DEFAULT_ROBUSTNESS_STUDY), Options.withDescription(`study or value questionnaire file. Default: ${DEFAULT_ROBUSTNESS_STUDY}`)),
    perCondition: Options.integer("agents-per-condition").pipe(Options.withDefault(100), Options.withDescription("agents per value prompt in each variant. Default: 100")),
    paraphrase: repeatable(Options.text("paraphrases")).pipe(
      Options.withDescription("condition-prompts file with paraphrased value prompts (repeatable). Default: the project's three sets")
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
    study: Options.text("study").pipe(Options.withDefault(DEFAULT_ABLATION_STUDY), Options.withDescription(`study with a value questionnaire (and behaviour measures for S_B). Default: ${DEFAULT_ABLATION_STUDY}`)),
    agents: Options.integer("agents").pipe(Options.optional, Options.withDescription("agents per setting. Default: the study's")),
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
