/**
 * Readers for the published Value Portrait data (Han et al., ACL 2025; MIT licence). The data stay in the user's
 * folder (`--data DIR`, the root of the published repository); nothing of it is shipped with valuesim.
 *
 *   DIR/data/correlation_results/{pvq,bfi,higher_pvq}_correlation_results.json  human item × dimension Spearman r, p
 *   DIR/lm_evaluation/data/Phase1_total.json                                     the items: query and five responses
 *   recorded answers (`*_results.json`): [{ portrait_id, option_id, numeric_response (1…6), … }, …]
 */
import { FileSystem } from "@effect/platform"
import { Effect } from "effect"
import * as path from "node:path"
import { VP_DIMENSIONS, VP_FAMILIES, vpItemKey, type VpCorrelation, type VpFamily } from "../stats/valuePortrait.js"
import { readDataFile } from "./loadFile.js"
import { SpecFileError } from "./SpecFileError.js"

export const correlationFile = (dataDir: string, family: VpFamily): string =>
  path.join(dataDir, "data", "correlation_results", `${family}_correlation_results.json`)
export const itemsFile = (dataDir: string): string => path.join(dataDir, "lm_evaluation", "data", "Phase1_total.json")

const MAX_PROBLEMS = 10
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x)
const isNonEmptyList = (x: unknown): boolean => Array.isArray(x) && x.length > 0
const isId = (x: unknown): boolean => (typeof x === "number" && Number.isInteger(x)) || (typeof x === "string" && /^\d+$/.test(x))

/** Collects problems, keeping the message short when a file is wrong throughout. */
const problemList = () => {
  const list: Array<string> = []
  let more = 0
  return {
    add: (p: string) => (list.length < MAX_PROBLEMS ? list.push(p) : more++),
    fail: (file: string) =>
      list.length === 0 ? undefined : new SpecFileError({ file, problems: more > 0 ? [...list, `… and ${more} more`] : list })
  }
}

const readArray = (file: string) =>
  Effect.flatMap(readDataFile(file), (data) =>
    Array.isArray(data)
      ? Effect.succeed(data as ReadonlyArray<unknown>)
      : Effect.fail(new SpecFileError({ file, problems: ["(top level): expected a JSON array of records"] }))
  )

/** The human correlations of one family. */
export const loadVpCorrelations = (dataDir: string, family: VpFamily) =>
  Effect.gen(function* () {
    const file = correlationFile(dataDir, family)
    const rows = yield* readArray(file)
    const dimKey = `${family}_dimension`
    const known = new Set(VP_DIMENSIONS[family])
    const out: Array<VpCorrelation> = []
    const problems = problemList()
    rows.forEach((row, i) => {
      if (!isObj(row)) return problems.add(`[${i}]: expected an object`)
      const bad = (field: string, what: string) => problems.add(`[${i}].${field}: ${what}`)
      if (!isId(row["portrait_id"])) return bad("portrait_id", "expected an integer id")
      if (!isId(row["option_id"])) return bad("option_id", "expected an integer id")
      const dim = row[dimKey]
      if (typeof dim !== "string" || !known.has(dim)) return bad(dimKey, `expected one of ${[...known].join(", ")}`)
      const r = row["spearman_corr"]
      const p = row["spearman_p_value"]
      // A constant rating column gives NaN correlations (null in JSON): such an item is never selected.
      if (r !== null && typeof r !== "number") return bad("spearman_corr", "expected a number")
      if (p !== null && typeof p !== "number") return bad("spearman_p_value", "expected a number")
      out.push({ item: vpItemKey(String(row["portrait_id"]), String(row["option_id"])), dimension: dim, r: r ?? NaN, p: p ?? NaN })
    })
    const err = problems.fail(file)
    if (err) return yield* err
    if (out.length === 0) return yield* new SpecFileError({ file, problems: ["(top level): no correlations"] })
    return out
  })

/** All three families' correlations. */
export const loadAllVpCorrelations = (dataDir: string) =>
  Effect.gen(function* () {
    const out = {} as Record<VpFamily, ReadonlyArray<VpCorrelation>>
    for (const f of VP_FAMILIES) out[f] = yield* loadVpCorrelations(dataDir, f)
    return out
  })

/** One benchmark item as it is asked: the query and one response to it. */
export interface VpItem {
  readonly key: string
  readonly portraitId: number
  readonly optionId: number
  readonly title: string
  readonly text: string
  readonly response: string
}

/** The benchmark items in file order (portrait by portrait, options in order). */
export const loadVpItems = (dataDir: string) =>
  Effect.gen(function* () {
    const file = itemsFile(dataDir)
    const rows = yield* readArray(file)
    const items: Array<VpItem> = []
    const problems = problemList()
    rows.forEach((row, i) => {
      if (!isObj(row)) return problems.add(`[${i}]: expected an object`)
      if (!isId(row["portrait_id"])) return problems.add(`[${i}].portrait_id: expected an integer id`)
      const content = row["content"]
      if (!isObj(content) || typeof content["text"] !== "string")
        return problems.add(`[${i}].content.text: expected the query text`)
      const outputs = row["outputs"]
      if (!Array.isArray(outputs) || outputs.length === 0) return problems.add(`[${i}].outputs: expected a list of responses`)
      outputs.forEach((o: unknown, j) => {
        if (!isObj(o) || !isId(o["id"]) || typeof o["content"] !== "string")
          return problems.add(`[${i}].outputs[${j}]: expected { id, content }`)
        items.push({
          key: vpItemKey(String(row["portrait_id"]), String(o["id"])),
          portraitId: Number(row["portrait_id"]),
          optionId: Number(o["id"]),
          title: typeof content["title"] === "string" ? content["title"] : "",
          text: content["text"] as string,
          response: o["content"] as string
        })
      })
    })
    const err = problems.fail(file)
    if (err) return yield* err
    return items
  })

/** The field of a published result record that carries the item's correlations with each family. */
export const VP_RECORD_METADATA: Readonly<Record<VpFamily, string>> = {
  pvq: "correlations",
  bfi: "bfi_correlations",
  higher_pvq: "higher_pvq_correlations"
}

/**
 * Recorded answers in the published result-file format: item key → rating 1…6. Records whose
 * `numeric_response` is null, or that carry an `error` (the model's answer could not be read), are left out.
 * Every item must be one of `known` (the benchmark's items), at most once. `metadata` says, per item, which
 * families' correlations its record carries (a non-empty list in the family's field): the published item rule
 * reads them from the item's first record.
 */
export const loadVpResultFile = (file: string, known: ReadonlySet<string>) =>
  Effect.gen(function* () {
    const rows = yield* readArray(file)
    const ratings = new Map<string, number>()
    const seen = new Set<string>()
    const metadata = new Map<string, ReadonlySet<VpFamily>>()
    let unrated = 0
    const problems = problemList()
    rows.forEach((row, i) => {
      if (!isObj(row)) return problems.add(`[${i}]: expected an object`)
      if (!isId(row["portrait_id"])) return problems.add(`[${i}].portrait_id: expected an integer id`)
      if (!isId(row["option_id"])) return problems.add(`[${i}].option_id: expected an integer id`)
      const key = vpItemKey(String(row["portrait_id"]), String(row["option_id"]))
      if (!known.has(key))
        return problems.add(`[${i}].portrait_id: unknown item ${row["portrait_id"]} option ${row["option_id"]} (not in the benchmark data)`)
      if (seen.has(key)) return problems.add(`[${i}]: item ${row["portrait_id"]} option ${row["option_id"]} appears twice`)
      seen.add(key)
      metadata.set(key, new Set(VP_FAMILIES.filter((f) => isNonEmptyList(row[VP_RECORD_METADATA[f]]))))
      const v = row["numeric_response"]
      // the published averager counts a record with an `error` field as unreadable whatever else it holds
      if (v === null || v === undefined || "error" in row) {
        unrated++
        return
      }
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 6)
        return problems.add(`[${i}].numeric_response: expected an integer 1…6 or null, got ${JSON.stringify(v)}`)
      ratings.set(key, v)
    })
    const err = problems.fail(file)
    if (err) return yield* err
    if (rows.length === 0) return yield* new SpecFileError({ file, problems: ["(top level): no answers"] })
    // unrated: records without a rating (the published files record an unreadable answer with an `error` instead)
    return { ratings: ratings as ReadonlyMap<string, number>, unrated, metadata: metadata as ReadonlyMap<string, ReadonlySet<VpFamily>> }
  })

/** Whether a folder exists (the `--data` argument); the caller turns "no" into a usage error. */
export const isDirectory = (dir: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.either(fs.stat(dir))
    return info._tag === "Right" && info.right.type === "Directory"
  })
