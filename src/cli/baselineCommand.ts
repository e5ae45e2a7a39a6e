import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { deriveBaselineFiles } from "../app/deriveBaseline.js"

const derive = Command.make(
  "derive",
  {
    data: Options.text("data").pipe(Options.withDescription("individual-level data: CSV with a header row, or JSON records; required")),
    mapping: Options.text("mapping").pipe(Options.withDescription("baseline-derivation mapping file (YAML or JSON); required")),
    out: Options.text("out").pipe(Options.withDescription("folder for the baseline files (created if needed); required")),
    json: Options.boolean("json").pipe(Options.withDescription("print the files and key numbers as one JSON object (default: text)"))
  },
  (a) =>
    Effect.gen(function* () {
      const r = yield* deriveBaselineFiles(a.data, a.mapping, a.out)
      if (a.json) return yield* Console.log(JSON.stringify(r))
      const dropped = r.persons - r.scored
      yield* Console.log(
        `derived ${r.id} from ${r.data}: ${r.scored} persons${dropped > 0 ? ` (${dropped} without any value score left out)` : ""}, ${r.values.length} values`
      )
      for (const f of r.files) yield* Console.log(`wrote ${f.file}`)
    })
).pipe(Command.withDescription("derive human baseline files (correlations, hierarchy, dominant-value shares, value × behaviour) from individual-level data"))

export const baselineCommand = Command.make("baseline").pipe(
  Command.withDescription("work with human baseline files"),
  Command.withSubcommands([derive])
)
