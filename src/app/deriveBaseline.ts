import { FileSystem } from "@effect/platform"
import { Effect, Either } from "effect"
import * as path from "node:path"
import { Document, isScalar, parse, visit } from "yaml"
import { deriveBaseline, TIE_TOLERANCE, type DerivedBaseline } from "../analysis/deriveBaseline.js"
import { baselineFromData } from "../config/BaselineFile.js"
import { parseCsv, tableFromJson, type Table, type TableResult } from "../config/csv.js"
import { cellsOf, DerivationFileSchema, planOf, type DerivationOutput, type DerivationPlan } from "../config/DerivationFile.js"
import { decodeData, readDataFile, readSpecText } from "../config/loadFile.js"
import { commandLine } from "../domain/printable.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { refuseUnsafeOutput } from "../store/outputGuard.js"

/** What `valuesim baseline derive` wrote, with the key numbers (the `--json` output). */
export interface DerivationResult {
  readonly id: string
  readonly data: string
  readonly mapping: string
  /** Rows in the data file. */
  readonly persons: number
  /** Persons with at least one value score (the `n` of the correlation and hierarchy files). */
  readonly scored: number
  /** The smallest number of persons behind one value correlation (pairwise deletion). */
  readonly min_pair_n: number
  readonly values: ReadonlyArray<string>
  readonly files: ReadonlyArray<{ readonly output: DerivationOutput; readonly file: string }>
  readonly hierarchy: Readonly<Record<string, number>>
  readonly dominant: {
    readonly n: number
    readonly excluded: number
    readonly shares: Readonly<Record<string, number>>
    readonly no_dominant: number
  } | null
}

const readTable = (file: string) =>
  Effect.gen(function* () {
    const text = yield* readSpecText(file)
    let result: TableResult
    if (file.toLowerCase().endsWith(".json")) {
      const data = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (e) => new SpecFileError({ file, problems: [`not valid JSON: ${(e as Error).message}`] })
      })
      result = tableFromJson(data)
    } else result = parseCsv(text)
    if (!result.ok) return yield* new SpecFileError({ file, problems: result.problems })
    if (result.table.rows.length === 0) return yield* new SpecFileError({ file, problems: ["no data rows (only a header)"] })
    return result.table
  })

const OUTPUT_SUFFIX = (output: DerivationOutput, measure: string | undefined): string => {
  switch (output) {
    case "correlations-centered":
      return "correlations-centered"
    case "correlations-raw":
      return "correlations-raw"
    case "hierarchy":
      return "hierarchy"
    case "dominant-shares":
      return "dominant-value-shares"
    case "value-behaviour":
      return `values-x-${measure}`
  }
}

/** Problems that make an output undefined (constant or too sparse scores), reported against the data file. */
const undefinedCells = (plan: DerivationPlan, d: DerivedBaseline): Array<string> => {
  const problems: Array<string> = []
  const check = (m: ReadonlyArray<ReadonlyArray<number>>, what: string) => {
    m.forEach((row, a) =>
      row.forEach((r, b) => {
        if (b >= a && Number.isNaN(r)) {
          problems.push(
            a === b
              ? `${plan.values[a]} (${what}): fewer than 2 persons have a score, or every score is equal; its correlations are undefined`
              : `${plan.values[a]} × ${plan.values[b]} (${what}): fewer than 2 persons have both scores, or one is constant on them; the correlation is undefined`
          )
        }
      })
    )
  }
  if (plan.outputs.includes("correlations-centered") || plan.outputs.includes("hierarchy")) check(d.corrCentered, "centered")
  if (plan.outputs.includes("correlations-raw") && d.corrRaw !== null) check(d.corrRaw, "raw")
  if (plan.outputs.includes("dominant-shares") && d.dominant.n === 0) {
    problems.push("no person has all 10 value scores, so dominant-value shares are undefined (leave dominant-shares out of outputs)")
  }
  return problems.length > 10 ? [...problems.slice(0, 10), `… and ${problems.length - 10} more`] : problems
}

const record = (keys: ReadonlyArray<string>, xs: ReadonlyArray<number>): Record<string, number> =>
  Object.fromEntries(keys.map((k, i) => [k, xs[i] as number]))

/** The baseline objects, one per output, in the order of `plan.outputs`. */
const baselinesOf = (plan: DerivationPlan, d: DerivedBaseline, dataFile: string, mappingFile: string) => {
  const m = plan.mapping
  const values = [...plan.values]
  const scoring = plan.centeredInput
    ? "value scores as provided, already person-centered by the data's authors"
    : m.input.format === "items"
      ? `value score = mean of the person's available items of the value${m.input.recode ? ` (answers recoded as ${m.input.recode.min} + ${m.input.recode.max} − x)` : ""}; centered = value score minus the person's mean over all available value items (MRAT)`
      : `value scores as given${m.input.recode ? ` (recoded as ${m.input.recode.min} + ${m.input.recode.max} − x)` : ""}; centered = value score minus the person's mean of the available value scores`
  const missingPolicy = "missing cells skipped; correlations use pairwise deletion"
  const provenance = `Derived with valuesim baseline derive from ${path.basename(dataFile)} (mapping ${path.basename(mappingFile)}): ${scoring}; ${missingPolicy}.`
  const notes = m.notes === undefined ? provenance : `${m.notes.trim()} ${provenance}`
  const meta = {
    instrument: m.instrument,
    population: m.population,
    n: d.scored,
    source: m.source,
    obtained: m.obtained,
    confidence: m.confidence
  }
  const pairNote = d.minPairN < d.scored ? ` With missing scores the smallest pairwise n is ${d.minPairN}.` : ""
  return plan.outputs.map((output) => {
    const id = `${m.id}-${OUTPUT_SUFFIX(output, m.input.behaviour_measure)}`
    let data: Record<string, unknown>
    switch (output) {
      case "correlations-centered":
        data = {
          kind: "value-correlations",
          id,
          title: `${m.title}: value correlations (centered scores)`,
          ...meta,
          notes: notes + pairNote,
          centered: true,
          labels: values,
          matrix: d.corrCentered
        }
        break
      case "correlations-raw":
        data = {
          kind: "value-correlations",
          id,
          title: `${m.title}: value correlations (raw scores)`,
          ...meta,
          notes: notes + pairNote,
          centered: false,
          labels: values,
          matrix: d.corrRaw
        }
        break
      case "hierarchy":
        data = {
          kind: "value-hierarchy",
          id,
          title: `${m.title}: value hierarchy`,
          ...meta,
          notes,
          measure: plan.centeredInput
            ? "mean of the centered value scores as provided"
            : m.input.format === "items"
              ? "centered means (value mean minus the person's mean over all value items, MRAT)"
              : "centered means (value score minus the person's mean value score)",
          centered: true,
          means: record(values, d.hierarchy)
        }
        break
      case "dominant-shares":
        data = {
          kind: "dominant-value-shares",
          id,
          description:
            `${m.title}: share of respondents whose single highest value is each of the 10 basic values, and the share ` +
            "with no single dominant value (the idea of Witte, Stanciu & Boehnke 2020, Frontiers in Psychology 11:1723, " +
            "applied to these data; not their figures).",
          tie_rule:
            "A respondent has a single dominant value only if exactly one of the value means (raw scores; centering does " +
            "not change which value is highest) is strictly highest; any tie for the highest mean counts as no single " +
            `dominant value. Means within ${TIE_TOLERANCE} (relative) of each other are tied, as floating-point ` +
            "rounding can separate equal means. Respondents with a missing value mean are left out.",
          datasets: {
            [m.id]: {
              n: d.dominant.n,
              instrument: m.instrument,
              population: m.population,
              source: m.source,
              obtained: m.obtained,
              confidence: m.confidence,
              notes: d.dominant.excluded > 0 ? `${notes} ${d.dominant.excluded} respondent(s) with a missing value mean were left out.` : notes,
              shares: record(values, d.dominant.shares),
              no_dominant: d.dominant.noDominant
            }
          }
        }
        break
      case "value-behaviour":
        data = {
          kind: "value-behaviour-correlations",
          id,
          title: `${m.title}: values × ${m.input.behaviour_measure}`,
          ...meta,
          notes: `${notes} Behaviour scores are taken as given (a key with several columns: their mean); null = undefined correlation.`,
          measure: m.input.behaviour_measure,
          centered: true,
          correlation: "pearson",
          values,
          behaviours: [...plan.behaviours],
          matrix: d.valueBehaviour.map((row) => row.map((r) => (Number.isNaN(r) ? null : r)))
        }
        break
    }
    return { output, suffix: OUTPUT_SUFFIX(output, m.input.behaviour_measure), data }
  })
}

/** YAML with full double precision (shortest round-trip form) and numeric rows on one line each. */
const toYaml = (data: unknown, header: string): string => {
  const doc = new Document(data)
  visit(doc, {
    Seq(_key, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true
    }
  })
  doc.commentBefore = header
  return doc.toString({ lineWidth: 0 })
}

/**
 * `valuesim baseline derive`: reads the mapping and the data, derives the baselines, checks each against the
 * baseline schema and writes `<out>/<id>.<output>.yaml`. Every file goes to a temporary name first and is renamed
 * only after all were written, so an error leaves nothing half-written.
 */
export const deriveBaselineFiles = (dataFile: string, mappingFile: string, outDir: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const mapping = yield* Effect.flatMap(readDataFile(mappingFile), (d) => decodeData(DerivationFileSchema, d, mappingFile))
    const tableOrError = yield* Effect.either(readTable(dataFile))
    if (Either.isLeft(tableOrError)) {
      // The mapping's own problems come first: they may be why the wrong file was given.
      const own = planOf(mapping, undefined).problems
      return yield* own.length > 0 ? new SpecFileError({ file: mappingFile, problems: own }) : tableOrError.left
    }
    const table: Table = tableOrError.right
    const { plan, problems } = planOf(mapping, table)
    if (problems.length > 0) return yield* new SpecFileError({ file: mappingFile, problems })
    const cells = cellsOf(plan, table)
    if (cells.problems.length > 0) return yield* new SpecFileError({ file: dataFile, problems: cells.problems })

    const derived = deriveBaseline({
      format: mapping.input.format,
      centeredInput: plan.centeredInput,
      values: plan.values,
      columnValue: cells.cells.columnValue,
      rows: cells.cells.rows,
      recode: mapping.input.recode ?? null,
      behaviours: plan.behaviours,
      columnBehaviour: cells.cells.columnBehaviour,
      behaviourRows: cells.cells.behaviourRows
    })
    const undefinedProblems = undefinedCells(plan, derived)
    if (undefinedProblems.length > 0) return yield* new SpecFileError({ file: dataFile, problems: undefinedProblems })

    const header = ` Derived by \`${commandLine("valuesim", "baseline", "derive", "--data", path.basename(dataFile), "--mapping", path.basename(mappingFile))}\`. Re-derive rather than edit.`
    const outputs = baselinesOf(plan, derived, dataFile, mappingFile).map((o) => {
      const file = path.join(outDir, `${mapping.id}.${o.suffix}.yaml`)
      const text = toYaml(o.data, header)
      return { output: o.output, file, text }
    })
    for (const o of outputs) {
      // The written text must read back as a valid baseline; a failure here is a bug, not bad input.
      const checked = baselineFromData(parse(o.text), o.file)
      if (Either.isLeft(checked)) return yield* Effect.die(new Error(`derived baseline does not validate: ${checked.left.message}`))
    }

    yield* refuseUnsafeOutput("--out", outputs.map((o) => o.file), [dataFile, mappingFile])
    const writeError = (e: unknown) => new SpecFileError({ file: outDir, problems: [`cannot write the output: ${(e as Error).message ?? String(e)}`] })
    const partial = (file: string) => `${file}.partial`
    const cleanup = Effect.forEach(outputs, (o) => fs.remove(partial(o.file)).pipe(Effect.ignore), { discard: true })
    yield* Effect.gen(function* () {
      yield* fs.makeDirectory(outDir, { recursive: true })
      for (const o of outputs) yield* fs.writeFileString(partial(o.file), o.text)
      for (const o of outputs) yield* fs.rename(partial(o.file), o.file)
    }).pipe(Effect.mapError(writeError), Effect.tapError(() => cleanup))

    const result: DerivationResult = {
      id: mapping.id,
      data: dataFile,
      mapping: mappingFile,
      persons: derived.persons,
      scored: derived.scored,
      min_pair_n: derived.minPairN,
      values: plan.values,
      files: outputs.map((o) => ({ output: o.output, file: o.file })),
      hierarchy: record(plan.values, derived.hierarchy),
      dominant: plan.outputs.includes("dominant-shares")
        ? {
            n: derived.dominant.n,
            excluded: derived.dominant.excluded,
            shares: record(plan.values, derived.dominant.shares),
            no_dominant: derived.dominant.noDominant
          }
        : null
    }
    return result
  })
