import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { renderVpScores, scoreRecordedOutputs } from "../app/valuePortrait.js"

const data = Options.text("data").pipe(Options.withDescription("the Value Portrait data folder (root of the published repository)"))
const json = Options.boolean("json").pipe(Options.withDescription("print the scores as one JSON object"))

const score = Command.make(
  "score",
  {
    data,
    outputs: Options.text("outputs").pipe(
      Options.repeated,
      Options.withDescription("recorded answers in the published result-file format, one file per prompt variant")
    ),
    more: Args.text({ name: "file" }).pipe(Args.repeated),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const r = yield* scoreRecordedOutputs(a.data, [...a.outputs, ...a.more])
      yield* Console.log(a.json ? JSON.stringify(r) : renderVpScores(r))
    })
).pipe(Command.withDescription("score answers to the Value Portrait benchmark: centered value, Big Five and higher-order scores averaged over prompt variants"))

export const valuePortraitCommand = Command.make("value-portrait").pipe(
  Command.withDescription("the Value Portrait benchmark (Han et al. 2025): run it and score it"),
  Command.withSubcommands([score])
)
