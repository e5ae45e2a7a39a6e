import { Args, Command, Options } from "@effect/cli"
import { Console, Data, Effect, Option } from "effect"
import * as path from "node:path"
import { exportRun } from "../app/exportRun.js"
import { resumeRun, startRun, type RunSummary } from "../app/runStudy.js"
import { validateFile } from "../app/validateFiles.js"
import { VALUESIM_VERSION } from "../app/version.js"
import { UsageError } from "../config/SpecFileError.js"
import { loadRunSpec } from "../config/StudyFile.js"

/** The run finished but some of its work failed (exit code 1). */
export class RunIncompleteError extends Data.TaggedError("RunIncompleteError")<{ readonly summary: RunSummary }> {
  override get message(): string {
    return `run incomplete: ${this.summary.unitsFailed} agent-steps failed; continue with: valuesim resume ${this.summary.runDir}`
  }
}

const env = process.env as Readonly<Record<string, string | undefined>>
const opt = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)

const json = Options.boolean("json").pipe(Options.withDescription("print the summary as one JSON object on the last stdout line"))
const noTui = Options.boolean("no-tui").pipe(Options.withDescription("plain progress lines instead of the dashboard"))

const finish = (summary: RunSummary, asJson: boolean) =>
  Effect.gen(function* () {
    if (asJson) yield* Console.log(JSON.stringify(summary))
    if (summary.status !== "complete") return yield* new RunIncompleteError({ summary })
  })

const progressEveryMs = () => Number(env["VALUESIM_PROGRESS_MS"] ?? 2000)

const run = Command.make(
  "run",
  {
    spec: Args.text({ name: "scenario-or-study.yaml" }),
    population: Options.text("population").pipe(Options.optional, Options.withDescription("population file (overrides the study's)")),
    backend: Options.choice("backend", ["synthetic", "openai"]).pipe(Options.optional),
    model: Options.text("model").pipe(Options.optional),
    baseUrl: Options.text("base-url").pipe(Options.optional),
    agents: Options.integer("agents").pipe(Options.optional),
    seed: Options.integer("seed").pipe(Options.optional),
    concurrency: Options.integer("concurrency").pipe(Options.optional),
    scoring: Options.choice("scoring", ["logprob", "sample"]).pipe(Options.optional),
    temperature: Options.float("temperature").pipe(Options.optional),
    runsDir: Options.text("runs-dir").pipe(Options.withDefault("runs")),
    noTui,
    json
  },
  (a) =>
    Effect.gen(function* () {
      const agents = opt(a.agents)
      if (agents !== undefined && agents < 1) return yield* new UsageError({ detail: "--agents: must be a positive integer" })
      const concurrency = opt(a.concurrency)
      if (concurrency !== undefined && concurrency < 1) return yield* new UsageError({ detail: "--concurrency: must be a positive integer" })
      const spec = yield* loadRunSpec(
        a.spec,
        {
          population: opt(a.population),
          backend: opt(a.backend),
          model: opt(a.model),
          baseUrl: opt(a.baseUrl),
          agents,
          seed: opt(a.seed),
          concurrency,
          scoring: opt(a.scoring),
          temperature: opt(a.temperature)
        },
        env
      )
      const summary = yield* startRun(spec, a.runsDir, env, { json: a.json, progressEveryMs: progressEveryMs() })
      yield* finish(summary, a.json)
    })
).pipe(Command.withDescription("run a questionnaire or study on a population"))

const resume = Command.make("resume", { runDir: Args.directory({ name: "run-dir" }), noTui, json }, (a) =>
  Effect.gen(function* () {
    const summary = yield* resumeRun(a.runDir, env, { json: a.json, progressEveryMs: progressEveryMs() })
    yield* finish(summary, a.json)
  })
).pipe(Command.withDescription("continue an interrupted run; finished work is never redone"))

const validate = Command.make("validate", { files: Args.text({ name: "file" }).pipe(Args.atLeast(1)), json }, (a) =>
  Effect.gen(function* () {
    const results = yield* Effect.forEach(a.files, (f) => validateFile(f, env))
    const problems = results.flatMap((r) => r.problems)
    if (a.json) yield* Console.log(JSON.stringify({ ok: problems.length === 0, files: results }))
    else for (const r of results) if (r.problems.length === 0) yield* Console.log(`ok   ${r.file} (${r.kind})`)
    if (problems.length > 0) {
      const files = results.filter((r) => r.problems.length > 0).length
      return yield* new UsageError({ detail: `${problems.length} problem(s) in ${files} file(s):\n${problems.map((p) => `  ${p}`).join("\n")}` })
    }
  })
).pipe(Command.withDescription("check population, scenario and baseline files"))

const exportCmd = Command.make(
  "export",
  {
    runDir: Args.directory({ name: "run-dir" }),
    format: Options.choice("format", ["csv", "jsonl", "parquet"]).pipe(Options.withDefault("csv" as const)),
    out: Options.text("out").pipe(Options.optional),
    json
  },
  (a) =>
    Effect.gen(function* () {
      if (a.format === "parquet") {
        return yield* new UsageError({ detail: "--format: parquet export is not implemented yet; use csv or jsonl" })
      }
      const out = opt(a.out) ?? path.join(a.runDir, "export")
      const r = yield* exportRun(a.runDir, a.format, out)
      yield* a.json ? Console.log(JSON.stringify(r)) : Console.log(`wrote ${r.rows} rows to ${r.file} and ${r.scoreRows} rows to ${r.scores}`)
    })
).pipe(Command.withDescription("write answers (one row per agent × item) and scores (per agent × subscale) as csv or jsonl"))

export const cli = Command.make("valuesim").pipe(
  Command.withDescription("value-prompted LLM populations, questionnaires and human baselines"),
  Command.withSubcommands([run, resume, validate, exportCmd])
)

export const runCli = Command.run(cli, { name: "valuesim", version: VALUESIM_VERSION })
