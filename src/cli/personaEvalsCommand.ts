import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import type { AgreementOptions } from "../analysis/personaEvals.js"
import type { PersonaEvalsReport } from "../app/personaEvals.js"
import {
  DEFAULT_CONSERVATIVE,
  DEFAULT_PER_BEHAVIOUR,
  DEFAULT_PERSONA_POPULATION,
  DEFAULT_PERSONA_THEORY,
  personaReport,
  renderPersonaReport,
  runPersonaEvals
} from "../app/personaEvals.js"
import type { RunSummary } from "../app/runStudy.js"
import { loadPersonaGroups } from "../config/PersonaEvalsData.js"
import { cliCommand } from "../app/invocation.js"
import { commandLine } from "../domain/printable.js"
import { UsageError } from "../config/SpecFileError.js"
import { backendOptions, env, json, noTui, opt, outputOf, overridesOf, RunIncompleteError } from "./runOptions.js"

const list = (s: string | undefined) =>
  s === undefined ? undefined : s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)

/** Options of the analysis, shared by `run` and `report`. */
const analysisOptions = {
  hedonism: Options.choice("hedonism", ["OPEN", "SELF_ENH", "exclude"]).pipe(
    Options.withDefault("OPEN" as const),
    Options.withDescription("the higher-order value hedonism counts towards: OPEN (Openness to Change), SELF_ENH (Self-Enhancement) or exclude. Default: OPEN")
  ),
  groups: Options.text("groups").pipe(
    Options.optional,
    Options.withDescription("report behaviours as groups of persona sets (a persona-evals-groups file; see scenarios/persona-evals/groups-example.yaml). Default: one row per behaviour")
  ),
  conservative: Options.text("conservative").pipe(
    Options.optional,
    Options.withDescription(`comma-separated behaviours making up conservative politics for figure 4b (default ${DEFAULT_CONSERVATIVE.join(",")})`)
  )
}

const analysisOf = (a: { readonly hedonism: AgreementOptions["hedonism"]; readonly conservative: Option.Option<string> }): AgreementOptions => ({
  hedonism: a.hedonism,
  conservative: list(opt(a.conservative)) ?? DEFAULT_CONSERVATIVE
})

const groupsOf = (g: Option.Option<string>) => {
  const file = opt(g)
  return file === undefined ? Effect.succeed(null) : loadPersonaGroups(file)
}

const print = (report: PersonaEvalsReport, summary: RunSummary | null, asJson: boolean) =>
  Console.log(asJson ? JSON.stringify(summary === null ? report : { ...report, summary }) : renderPersonaReport(report))

const run = Command.make(
  "run",
  {
    data: Options.text("data").pipe(Options.withDescription("folder of the Perez et al. 2023 persona sets (<behaviour>.jsonl, CC BY 4.0); required")),
    behaviours: Options.text("behaviours").pipe(Options.optional, Options.withDescription("comma-separated behaviours to run (default: every set in --data)")),
    perBehaviour: Options.integer("per-behaviour").pipe(Options.withDefault(DEFAULT_PER_BEHAVIOUR), Options.withDescription(`statements sampled per behaviour. Default: ${DEFAULT_PER_BEHAVIOUR}`)),
    agentsPerCondition: Options.integer("agents-per-condition").pipe(Options.withDefault(1), Options.withDescription("agents per value prompt. Default: 1")),
    population: Options.text("population").pipe(Options.withDefault(DEFAULT_PERSONA_POPULATION), Options.withDescription(`population of value prompts. Default: ${DEFAULT_PERSONA_POPULATION}`)),
    theory: Options.text("theory").pipe(
      Options.withDefault(DEFAULT_PERSONA_THEORY),
      Options.withDescription(`behaviour → value mapping the synthetic backend answers on. Default: ${DEFAULT_PERSONA_THEORY}`)
    ),
    optionOrder: Options.choice("option-order", ["normal", "reversed"]).pipe(
      Options.withDefault("normal" as const),
      Options.withDescription("normal: 1. No, 2. Yes; reversed: 1. Yes, 2. No. Default: normal")
    ),
    ...analysisOptions,
    ...backendOptions,
    noTui,
    json
  },
  (a) =>
    Effect.gen(function* () {
      const overrides = yield* overridesOf(a)
      const groups = yield* groupsOf(a.groups)
      const behaviours = list(opt(a.behaviours))
      if (behaviours !== undefined && behaviours.length === 0) return yield* new UsageError({ detail: "--behaviours: name at least one behaviour" })
      const { summary, report } = yield* runPersonaEvals(
        {
          data: a.data,
          behaviours: behaviours ?? null,
          perBehaviour: a.perBehaviour,
          agentsPerCondition: a.agentsPerCondition,
          population: a.population,
          theory: a.theory,
          optionOrder: a.optionOrder,
          overrides,
          runsDir: a.runsDir,
          output: outputOf(a),
          analysis: analysisOf(a),
          groups
        },
        env
      )
      if (report === null) return yield* new RunIncompleteError({ summary, then: commandLine(cliCommand(), "persona-evals", "report", summary.runDir) })
      yield* print(report, summary, a.json)
    })
).pipe(Command.withDescription("ask sampled persona statements (Yes/No) under each value prompt and report agreement (paper 000 §4)"))

const report = Command.make("report", { runDir: Args.directory({ name: "run-dir" }), ...analysisOptions, json }, (a) =>
  Effect.gen(function* () {
    const r = yield* personaReport(a.runDir, analysisOf(a), yield* groupsOf(a.groups))
    yield* print(r, null, a.json)
  })
).pipe(Command.withDescription("agreement per behaviour × value and higher-order value, value-vector correlations, conservative politics"))

export const personaEvalsCommand = Command.make("persona-evals").pipe(
  Command.withDescription("the behavioural agreement test of paper 000 §4 on the Perez et al. 2023 persona statements"),
  Command.withSubcommands([run, report])
)
