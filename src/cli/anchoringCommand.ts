import { Args, Command, Options } from "@effect/cli"
import { Console, Data, Effect, Option } from "effect"
import { anchoringReport, anchoringReports, PROMPT_TYPES, renderAnchoring, renderAnchoringTable, runAnchoring, type PromptType } from "../app/anchoring.js"
import type { RunSummary } from "../app/runStudy.js"
import { cliCommand } from "../app/invocation.js"
import { commandLine, resumeCommand } from "../domain/printable.js"
import { UsageError } from "../config/SpecFileError.js"
import { backendOptions, cacheOutput, env, json, noTui, opt, overridesOf, progressEveryMs, repeatable, useTui } from "./runOptions.js"

/** The run finished but some of its work failed (exit code 1, as `valuesim run`). */
class AnchoringRunIncompleteError extends Data.TaggedError("AnchoringRunIncompleteError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

const run = Command.make(
  "run",
  {
    promptType: repeatable(Options.choice("prompt-type", [...PROMPT_TYPES, "all"])).pipe(
      Options.withDescription("basic, value-anchor (19 anchors), demographic, persona, names (paper 002 §3.1) or all; repeatable. Default: value-anchor")
    ),
    administration: Options.choice("administration", ["session", "independent", "batch"]).pipe(
      Options.optional,
      Options.withDescription("session: one conversation, earlier answers in context (default); independent: one conversation per item; batch: every item in one message (the paper's batch mode)")
    ),
    questionnaire: Options.text("questionnaire").pipe(
      Options.optional,
      Options.withDescription("a refined-value questionnaire file (e.g. your licensed PVQ-RR). Default: the project's VSQ-57")
    ),
    agents: Options.integer("agents").pipe(Options.optional, Options.withDescription("agents per run. Default: the study's")),
    generatePersonas: Options.integer("generate-personas").pipe(
      Options.optional,
      Options.withDescription("persona prompt type: have the model write N personas first (the paper's generated personas; LLM backends only). Default: the shipped personas")
    ),
    ...backendOptions,
    // Text, parsed here: @effect/cli's repeated float option rejects a single "0.7".
    noTui,
    temperature: repeatable(Options.text("temperature")).pipe(Options.withDescription("sampling temperature, one run each; the paper used 0 and 0.7; repeatable. Default: the study's, 0")),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const agents = opt(a.agents)
      if (agents !== undefined && agents < 1) return yield* new UsageError({ detail: "--agents: must be a positive integer" })
      const shared = yield* overridesOf({ ...a, temperature: Option.none() })
      const parsed = a.temperature.map((t) => (/^\s*\d+(\.\d*)?\s*$|^\s*\.\d+\s*$/.test(t) ? Number(t) : NaN))
      for (const [i, t] of parsed.entries()) {
        if (!(t >= 0 && t <= 2)) return yield* new UsageError({ detail: `--temperature: "${a.temperature[i]}" is not a number between 0 and 2` })
      }
      const types: ReadonlyArray<PromptType> = a.promptType.includes("all")
        ? PROMPT_TYPES
        : a.promptType.length > 0
          ? [...new Set(a.promptType as ReadonlyArray<PromptType>)]
          : ["value-anchor"]
      const temperatures: ReadonlyArray<number | undefined> = parsed.length > 0 ? [...new Set(parsed)] : [undefined]
      const summaries: Array<RunSummary> = []
      for (const promptType of types) {
        for (const temperature of temperatures) {
          const summary = yield* runAnchoring(
            {
              promptType,
              administration: opt(a.administration),
              questionnaire: opt(a.questionnaire),
              agents,
              generatePersonas: promptType === "persona" ? opt(a.generatePersonas) : undefined,
              overrides: { ...shared, temperature },
              runsDir: a.runsDir,
              // One run shows the dashboard as `run` does; several runs in a row keep to progress lines.
              output: { json: a.json, progressEveryMs: progressEveryMs(), ...cacheOutput(a), tui: types.length * temperatures.length === 1 && useTui({ noTui: a.noTui, json: a.json }) }
            },
            env
          )
          summaries.push(summary)
        }
      }
      if (summaries.length === 1) {
        if (a.json) yield* Console.log(JSON.stringify(summaries[0]))
        else if (summaries[0]!.status === "complete") yield* Console.log(`next: ${commandLine(cliCommand(), "anchoring", "report", summaries[0]!.runDir)}`)
      } else {
        // Several runs: the experiment table over the runs (default baselines), as paper 002's table 1 / figure 2a.
        const { table } = yield* anchoringReports(summaries.map((s) => s.runDir), null)
        yield* Console.log(a.json ? JSON.stringify({ runs: summaries, table }) : renderAnchoringTable(table))
      }
      const failed = summaries.filter((s) => s.status !== "complete")
      if (failed.length > 0) {
        return yield* new AnchoringRunIncompleteError({
          detail: `run incomplete: ${failed.map((s) => `${s.unitsFailed} agent-steps failed in ${s.runDir}`).join("; ")}; continue with: ${failed.map((s) => resumeCommand(s.runDir, cliCommand())).join("; ")}`
        })
      }
    })
).pipe(Command.withDescription("run prompt types of the Value Anchoring experiment (paper 002) on the project's 57-item refined-value questionnaire; several runs end with their table"))

const report = Command.make(
  "report",
  {
    runDirs: Args.directory({ name: "run-dir" }).pipe(Args.atLeast(1)),
    baseline: repeatable(Options.text("baseline")).pipe(
      Options.withDescription("a human hierarchy or 19 × 19 correlation baseline file or folder (repeatable). Default: the shipped human-baselines/")
    ),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const baselines = a.baseline.length > 0 ? a.baseline : null
      if (a.runDirs.length === 1) {
        const r = yield* anchoringReport(a.runDirs[0]!, baselines)
        return yield* Console.log(a.json ? JSON.stringify(r) : renderAnchoring(r))
      }
      const { reports, table } = yield* anchoringReports(a.runDirs, baselines)
      yield* Console.log(a.json ? JSON.stringify({ reports, table }) : [renderAnchoringTable(table), ...reports.map(renderAnchoring)].join("\n\n"))
    })
).pipe(Command.withDescription("value ranking vs the human hierarchy, MDS + Procrustes SSD, and the anchoring curve of one or more runs (paper 002)"))

export const anchoringCommand = Command.make("anchoring").pipe(
  Command.withDescription("the Value Anchoring experiments of paper 002 (Rozen et al., 2025)"),
  Command.withSubcommands([run, report])
)
