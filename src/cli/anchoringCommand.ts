import { Args, Command, Options } from "@effect/cli"
import { Console, Data, Effect, Option } from "effect"
import { anchoringReport, PROMPT_TYPES, renderAnchoring, runAnchoring } from "../app/anchoring.js"
import { UsageError } from "../config/SpecFileError.js"

/** The run finished but some of its work failed (exit code 1, as `valuesim run`). */
class AnchoringRunIncompleteError extends Data.TaggedError("AnchoringRunIncompleteError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

const env = process.env as Readonly<Record<string, string | undefined>>
const opt = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)
const json = Options.boolean("json").pipe(Options.withDescription("print one JSON object on the last stdout line"))

const run = Command.make(
  "run",
  {
    promptType: Options.choice("prompt-type", PROMPT_TYPES).pipe(
      Options.withDefault("value-anchor" as const),
      Options.withDescription("basic, value-anchor (19 anchors), demographic, persona or names (paper 002 §3.1)")
    ),
    administration: Options.choice("administration", ["session", "independent"]).pipe(
      Options.optional,
      Options.withDescription("session: one conversation, earlier answers in context (default); independent: one conversation per item")
    ),
    questionnaire: Options.text("questionnaire").pipe(
      Options.optional,
      Options.withDescription("a refined-value questionnaire file (e.g. your licensed PVQ-RR) instead of the project's VSQ-57")
    ),
    agents: Options.integer("agents").pipe(Options.optional),
    backend: Options.choice("backend", ["synthetic", "openai"]).pipe(Options.optional),
    model: Options.text("model").pipe(Options.optional),
    baseUrl: Options.text("base-url").pipe(Options.optional),
    seed: Options.integer("seed").pipe(Options.optional),
    concurrency: Options.integer("concurrency").pipe(Options.optional),
    scoring: Options.choice("scoring", ["logprob", "sample"]).pipe(Options.optional),
    temperature: Options.float("temperature").pipe(Options.optional, Options.withDescription("the paper used 0 (the study default) and 0.7")),
    runsDir: Options.text("runs-dir").pipe(Options.withDefault("runs")),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const agents = opt(a.agents)
      if (agents !== undefined && agents < 1) return yield* new UsageError({ detail: "--agents: must be a positive integer" })
      const concurrency = opt(a.concurrency)
      if (concurrency !== undefined && concurrency < 1) return yield* new UsageError({ detail: "--concurrency: must be a positive integer" })
      const temperature = opt(a.temperature)
      if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) return yield* new UsageError({ detail: "--temperature: must be between 0 and 2" })
      const summary = yield* runAnchoring(
        {
          promptType: a.promptType,
          administration: opt(a.administration),
          questionnaire: opt(a.questionnaire),
          agents,
          overrides: {
            backend: opt(a.backend),
            model: opt(a.model),
            baseUrl: opt(a.baseUrl),
            seed: opt(a.seed),
            concurrency,
            scoring: opt(a.scoring),
            temperature
          },
          runsDir: a.runsDir,
          output: { json: a.json, progressEveryMs: Number(env["VALUESIM_PROGRESS_MS"] ?? 2000), tui: false }
        },
        env
      )
      if (a.json) yield* Console.log(JSON.stringify(summary))
      if (summary.status !== "complete") {
        return yield* new AnchoringRunIncompleteError({ detail: `run incomplete: ${summary.unitsFailed} agent-steps failed; continue with: valuesim resume ${summary.runDir}` })
      }
    })
).pipe(Command.withDescription("run one prompt type of the Value Anchoring experiment (paper 002) on the project's 57-item refined-value questionnaire"))

const report = Command.make(
  "report",
  {
    runDir: Args.directory({ name: "run-dir" }),
    baseline: Options.text("baseline").pipe(
      Options.repeated,
      Options.withDescription("a human hierarchy or 19 × 19 correlation baseline file or folder (repeatable; default: the shipped human-baselines/)")
    ),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const r = yield* anchoringReport(a.runDir, a.baseline.length > 0 ? a.baseline : null)
      yield* Console.log(a.json ? JSON.stringify(r) : renderAnchoring(r))
    })
).pipe(Command.withDescription("value ranking vs the human hierarchy, MDS + Procrustes SSD, and the anchoring curve of a run (paper 002)"))

export const anchoringCommand = Command.make("anchoring").pipe(
  Command.withDescription("the Value Anchoring experiments of paper 002 (Rozen et al., 2025)"),
  Command.withSubcommands([run, report])
)
