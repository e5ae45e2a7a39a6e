/**
 * What the cost estimate charges per model. `VALUESIM_PRICES` is either one pair, "<input $/Mtok>,<output $/Mtok>",
 * for whatever model runs, or the path of a price table (YAML or JSON) that the user keeps, one entry per model:
 *
 *   kind: prices
 *   models:
 *     gpt-4o-mini: { input_per_million: 0.15, output_per_million: 0.6 }
 *
 * The project ships no prices (they change and differ by provider); without a price the estimate says unknown,
 * except for the synthetic backend and servers on this machine, which are free.
 */
import { Effect, Schema } from "effect"
import * as fs from "node:fs"
import { escapeControl } from "../domain/printable.js"
import type { Prices } from "../ui/state.js"
import type { BackendSettings } from "./RunSpec.js"
import { SpecFileError } from "./SpecFileError.js"
import { loadFile } from "./loadFile.js"


const Dollars = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())

export const PricesFileSchema = Schema.Struct({
  kind: Schema.Literal("prices"),
  models: Schema.Record({
    key: Schema.String.pipe(Schema.minLength(1)),
    value: Schema.Struct({ input_per_million: Dollars, output_per_million: Dollars, note: Schema.optional(Schema.String) })
  })
}).annotations({ identifier: "Prices" })

/** The user's price setting: nothing, one pair for any model, or a table by model. */
export type PriceSetting =
  | { readonly _tag: "None" }
  | { readonly _tag: "Pair"; readonly prices: Prices }
  | { readonly _tag: "Table"; readonly file: string; readonly models: Readonly<Record<string, Prices>> }

const PAIR = /^\s*([^,\s]+)\s*,\s*([^,\s]+)\s*$/

/**
 * Reads VALUESIM_PRICES: a pair of non-negative numbers, or a price table file. A file that cannot be read or
 * decoded, or a pair that is not two non-negative numbers, is bad input (SpecFileError naming the file or the
 * variable), reported before anything is written.
 */
export const loadPriceSetting = (env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const given = env["VALUESIM_PRICES"]?.trim()
    if (given === undefined || given === "") return { _tag: "None" } as PriceSetting
    const pair = PAIR.exec(given)
    if (pair !== null) {
      const [input, output] = [Number(pair[1]), Number(pair[2])]
      if (![input, output].every((x) => Number.isFinite(x) && x >= 0)) {
        return yield* new SpecFileError({ file: "VALUESIM_PRICES", problems: [`"${given}": expected "<input $/Mtok>,<output $/Mtok>", two non-negative numbers, or a price table file`] })
      }
      return { _tag: "Pair", prices: { inputPerMillion: input, outputPerMillion: output } } as PriceSetting
    }
    if (!fs.existsSync(given)) {
      return yield* new SpecFileError({
        file: "VALUESIM_PRICES",
        problems: [`"${escapeControl(given)}": neither a pair "<input $/Mtok>,<output $/Mtok>" (two non-negative numbers) nor an existing price table file`]
      })
    }
    const table = yield* loadFile(PricesFileSchema, given)
    const models = Object.fromEntries(
      Object.entries(table.models).map(([model, p]) => [model, { inputPerMillion: p.input_per_million, outputPerMillion: p.output_per_million }])
    )
    return { _tag: "Table", file: given, models } as PriceSetting
  })

const FREE: Prices = { inputPerMillion: 0, outputPerMillion: 0 }

/**
 * The prices of a run's model: free for the synthetic backend; the table's entry for the model when there is
 * one; free for servers on this machine (localhost, 127.x, ::1); the pair; else null (unknown).
 */
export const pricesFor = (backend: BackendSettings, setting: PriceSetting): Prices | null => {
  // The synthetic backend and a model run in-process cost nothing per token.
  if (backend.kind === "synthetic" || backend.kind === "local") return FREE
  const listed = setting._tag === "Table" ? setting.models[backend.model] : undefined
  if (listed !== undefined) return listed
  if (isLocalUrl(backend.baseUrl)) return FREE
  return setting._tag === "Pair" ? setting.prices : null
}

const isLocalUrl = (url: string | null | undefined) => /^https?:\/\/(localhost|127\.|\[::1\])/.test(url ?? "")

/**
 * A warning for each model whose price pair is not applied because its server is on this machine (counted free):
 * a tunnel to a paid endpoint would look free, so the user is told how to price it (a table entry applies to any URL).
 */
export const ignoredPriceWarnings = (backends: ReadonlyArray<BackendSettings>, setting: PriceSetting): Array<string> =>
  setting._tag !== "Pair"
    ? []
    : backends
        .filter((b) => b.kind === "openai" && isLocalUrl(b.baseUrl))
        .map(
          (b) =>
            `[valuesim] warning: VALUESIM_PRICES (${setting.prices.inputPerMillion},${setting.prices.outputPerMillion}) is not applied to ${escapeControl(b.model)} at ${escapeControl(b.baseUrl ?? "")}: ` +
            `a server on this machine counts as free. If it is a tunnel to a paid endpoint, price the model in a price table file ` +
            `(VALUESIM_PRICES=prices.yaml; a table entry applies at any URL)`
        )
