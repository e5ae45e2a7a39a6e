import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import {
  DEFAULT_DIFFERENCES,
  personaBiasOfRun,
  prepareValuePortrait,
  renderPersonaBias,
  renderVpRunScores,
  renderVpScores,
  scoreRecordedOutputs,
  scoreValuePortraitRun
} from "../app/valuePortrait.js"
import { cliCommand } from "../app/invocation.js"
import { commandLine } from "../domain/printable.js"
import { repeatable } from "./runOptions.js"
import { UsageError } from "../config/SpecFileError.js"
import { VP_ITEM_RULES } from "../stats/valuePortrait.js"

const data = Options.text("data").pipe(Options.withDescription("the Value Portrait data folder (root of the published repository); required"))
const json = Options.boolean("json").pipe(Options.withDescription("print the result as one JSON object (default: text)"))

const score = Command.make(
  "score",
  {
    data,
    outputs: repeatable(Options.text("outputs")).pipe(
      Options.withDescription("recorded answers in the published result-file format, one file per prompt variant (repeatable). Default: none (score --run instead)")
    ),
    run: Options.text("run").pipe(Options.optional, Options.withDescription("a finished run of the study that `prepare` wrote. Default: none (score --outputs instead)")),
    more: Args.text({ name: "file" }).pipe(Args.repeated),
    itemRule: Options.choice("item-rule", VP_ITEM_RULES).pipe(
      Options.withDefault("published" as const),
      Options.withDescription(
        "where --outputs scoring takes each item's correlations: published = the item's first record in the result files sorted by path (an error record without correlations leaves the item out, as the published scorer does); dataset = the data folder. Default: published"
      )
    ),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const files = [...a.outputs, ...a.more]
      if (Option.isSome(a.run)) {
        if (files.length > 0) return yield* new UsageError({ detail: "--run and --outputs: give one of them, not both" })
        const r = yield* scoreValuePortraitRun(a.data, a.run.value)
        return yield* Console.log(a.json ? JSON.stringify(r) : renderVpRunScores(r))
      }
      const r = yield* scoreRecordedOutputs(a.data, files, a.itemRule)
      yield* Console.log(a.json ? JSON.stringify(r) : renderVpScores(r))
    })
).pipe(Command.withDescription("score answers to the Value Portrait benchmark: centered value, Big Five and higher-order scores averaged over prompt variants"))

const prepare = Command.make(
  "prepare",
  {
    data,
    out: Options.text("out").pipe(Options.withDescription("folder for the six questionnaires and the study file (created if needed); required")),
    maxItems: Options.integer("max-items").pipe(Options.optional, Options.withDescription("ask only this many items, spread over the 10 values. Default: every item")),
    population: Options.text("population").pipe(Options.optional, Options.withDescription("population file. Default: populations/no-prompt.yaml")),
    agents: Options.integer("agents").pipe(Options.optional, Options.withDescription("agents in the study file. Default: the population's")),
    seed: Options.integer("seed").pipe(Options.optional, Options.withDescription("seed in the study file. Default: 1")),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const r = yield* prepareValuePortrait(a.data, a.out, {
        maxItems: Option.getOrUndefined(a.maxItems),
        population: Option.getOrUndefined(a.population),
        agents: Option.getOrUndefined(a.agents),
        seed: Option.getOrUndefined(a.seed)
      })
      if (a.json) return yield* Console.log(JSON.stringify(r))
      for (const q of r.questionnaires) yield* Console.log(`wrote ${q}`)
      yield* Console.log(`wrote ${r.study} (${r.items} items × 6 prompt variants, ${r.agents} agent(s) of ${r.population})`)
      yield* Console.log(`next: ${commandLine(cliCommand(), "run", r.study)} [--backend openai --model …]; then ${commandLine(cliCommand(), "value-portrait", "score", "--data", a.data, "--run")} RUN_DIR`)
    })
).pipe(Command.withDescription("write the benchmark as six questionnaires (three wordings × normal/reversed options) and a study file"))

const personas = Command.make(
  "personas",
  {
    data,
    run: Options.text("run").pipe(Options.withDescription("a finished run of the benchmark on populations/demographic-personas.yaml; required")),
    differences: Options.text("differences").pipe(
      Options.withDefault(DEFAULT_DIFFERENCES),
      Options.withDescription(`human value differences by group (a value-differences baseline file). Default: ${DEFAULT_DIFFERENCES}`)
    ),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const r = yield* personaBiasOfRun(a.data, a.run, a.differences)
      yield* Console.log(a.json ? JSON.stringify(r) : renderPersonaBias(r))
    })
).pipe(Command.withDescription("demographic persona bias: model differences (persona − no persona) beside human group differences (seed 004 tables 9-12)"))

export const valuePortraitCommand = Command.make("value-portrait").pipe(
  Command.withDescription("the Value Portrait benchmark (Han et al. 2025): run it and score it"),
  Command.withSubcommands([prepare, score, personas])
)
