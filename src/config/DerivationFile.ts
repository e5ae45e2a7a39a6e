import { Schema } from "effect"
import { parseValue10, VALUES_10, type Value10 } from "../domain/values.js"
import type { Table } from "./csv.js"

/**
 * The mapping file of `valuesim baseline derive` (kind `baseline-derivation`): how the columns of an
 * individual-level data file (CSV or JSON) become value scores and behaviour scores, and the provenance the
 * derived baseline files carry. It holds column names only, never item text.
 */

const NonEmpty = Schema.String.pipe(Schema.minLength(1))
const FileSafe = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: () => "use letters, digits, '.', '_' and '-' only (it becomes part of file names)"
  })
)
/** One column, or a list of columns (items of a value; columns averaged into a behaviour score). */
const Columns = Schema.Union(NonEmpty, Schema.NonEmptyArray(NonEmpty))

export const DERIVATION_OUTPUTS = ["correlations-centered", "correlations-raw", "hierarchy", "dominant-shares", "value-behaviour"] as const
export type DerivationOutput = (typeof DERIVATION_OUTPUTS)[number]

export const DerivationFileSchema = Schema.Struct({
  kind: Schema.Literal("baseline-derivation"),
  /** Prefix of the output files and of their ids. */
  id: FileSafe,
  title: NonEmpty,
  instrument: NonEmpty,
  population: NonEmpty,
  /** The citation of the data. */
  source: NonEmpty,
  obtained: Schema.optionalWith(Schema.Literal("published", "computed-from-public-data"), { default: () => "computed-from-public-data" as const }),
  confidence: Schema.Literal("high", "medium", "low"),
  notes: Schema.optional(Schema.String),
  input: Schema.Struct({
    /** items: one column per item, value = mean of its items; scores: one column per value. */
    format: Schema.Literal("items", "scores"),
    /** Names persons in messages; must exist. */
    id_column: Schema.optional(NonEmpty),
    /** Cell texts that mean "missing" (compared after trimming). Default: "" and "NA". JSON null is always missing. */
    missing: Schema.optional(Schema.Array(Schema.Union(Schema.String, Schema.Number))),
    /** importance = min + max − x, for instruments coded 1 = "very much like me". Applies to value cells only. */
    recode: Schema.optional(Schema.Struct({ min: Schema.Number, max: Schema.Number })),
    /** Value code (or name) → its item columns (format items) or its score column (format scores). */
    values: Schema.Record({ key: Schema.String, value: Columns }),
    /** The scores are already person-centered (format scores): only centered outputs are written. */
    centered_input: Schema.optional(Schema.Boolean),
    /** Behaviour key → a column, or a list of columns averaged into one score. */
    behaviours: Schema.optional(Schema.Record({ key: NonEmpty, value: Columns })),
    /** The `measure` of the value × behaviour file (e.g. big-five); names the output file. */
    behaviour_measure: Schema.optional(
      Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9-]*$/, { message: () => "use lower-case letters, digits and '-' (e.g. big-five)" }))
    )
  }),
  /** Which files to write; default: every one the input allows. */
  outputs: Schema.optional(Schema.Array(Schema.Literal(...DERIVATION_OUTPUTS)))
}).annotations({ identifier: "BaselineDerivation" })

export type DerivationFile = typeof DerivationFileSchema.Type

/** A mapping resolved against the data file's columns. */
export interface DerivationPlan {
  readonly mapping: DerivationFile
  readonly centeredInput: boolean
  /** Values in circle order. */
  readonly values: ReadonlyArray<Value10>
  /** Per value (aligned with `values`), its columns. */
  readonly valueColumns: ReadonlyArray<ReadonlyArray<string>>
  readonly behaviours: ReadonlyArray<string>
  readonly behaviourColumns: ReadonlyArray<ReadonlyArray<string>>
  readonly missing: ReadonlySet<string>
  readonly outputs: ReadonlyArray<DerivationOutput>
}

const asList = (c: string | ReadonlyArray<string>): ReadonlyArray<string> => (typeof c === "string" ? [c] : c)

const DEFAULT_MISSING = ["", "NA"]

/**
 * Resolves a decoded mapping against a data table's columns (or, without a table, checks only the mapping
 * itself). Every problem is "field: message", naming the mapping field.
 */
export const planOf = (m: DerivationFile, table: Table | undefined): { problems: Array<string>; plan: DerivationPlan } => {
  const problems: Array<string> = []
  const inp = m.input
  const centeredInput = inp.centered_input ?? false
  if (centeredInput && inp.format !== "scores") problems.push("input.centered_input: only format scores can be already centered")
  if (inp.recode !== undefined) {
    if (!(inp.recode.min < inp.recode.max)) problems.push(`input.recode: min must be below max (got ${inp.recode.min}, ${inp.recode.max})`)
    if (centeredInput) problems.push("input.recode: centered scores cannot be recoded (recode the answers before centering)")
  }
  const columns = new Set(table?.columns ?? [])
  const known = (col: string, where: string) => {
    if (table !== undefined && !columns.has(col)) {
      const list = table.columns.length > 12 ? `${table.columns.slice(0, 12).join(", ")}, …` : table.columns.join(", ")
      problems.push(`${where}: no column "${col}" in the data (its columns: ${list})`)
    }
  }
  if (inp.id_column !== undefined) known(inp.id_column, "input.id_column")

  const byValue = new Map<Value10, ReadonlyArray<string>>()
  const usedBy = new Map<string, string>()
  for (const [code, cols] of Object.entries(inp.values)) {
    const where = `input.values.${code}`
    const v = parseValue10(code)
    if (v === undefined) {
      problems.push(`${where}: unknown value code "${code}" (expected one of ${VALUES_10.join(", ")} or a value name)`)
      continue
    }
    if (byValue.has(v)) {
      problems.push(`${where}: value ${v} is mapped twice`)
      continue
    }
    if (inp.format === "scores" && typeof cols !== "string") {
      problems.push(`${where}: with format scores, give the one score column of the value, not a list`)
    }
    const list = asList(cols)
    list.forEach((c, i) => {
      const w = typeof cols === "string" ? where : `${where}[${i}]`
      known(c, w)
      const prev = usedBy.get(c)
      if (prev !== undefined) problems.push(`${w}: column "${c}" is already used by ${prev}`)
      usedBy.set(c, where)
    })
    byValue.set(v, list)
  }
  const values = VALUES_10.filter((v) => byValue.has(v))
  if (Object.keys(inp.values).length < 3) {
    problems.push(`input.values: map at least 3 values (a correlation structure needs them), got ${Object.keys(inp.values).length}`)
  }

  const behaviourEntries = Object.entries(inp.behaviours ?? {})
  behaviourEntries.forEach(([key, cols]) => {
    const where = `input.behaviours.${key}`
    asList(cols).forEach((c, i) => {
      const w = typeof cols === "string" ? where : `${where}[${i}]`
      known(c, w)
      const prev = usedBy.get(c)
      if (prev !== undefined && prev.startsWith("input.values")) problems.push(`${w}: column "${c}" is also a value column (${prev})`)
    })
  })
  if (behaviourEntries.length > 0 && inp.behaviour_measure === undefined) {
    problems.push("input.behaviour_measure: required with behaviours (the measure the columns belong to, e.g. big-five)")
  }
  if (behaviourEntries.length === 0 && inp.behaviour_measure !== undefined) {
    problems.push("input.behaviour_measure: given without behaviours")
  }

  const applies = (o: DerivationOutput): string | undefined => {
    switch (o) {
      case "correlations-raw":
        return centeredInput ? "the input is already centered, so no raw scores exist" : undefined
      case "dominant-shares":
        return values.length === 10 ? undefined : `dominant-value shares need all 10 values mapped (got ${values.length})`
      case "value-behaviour":
        return behaviourEntries.length > 0 ? undefined : "no behaviours are mapped (input.behaviours)"
      default:
        return undefined
    }
  }
  let outputs: Array<DerivationOutput>
  if (m.outputs === undefined) outputs = DERIVATION_OUTPUTS.filter((o) => applies(o) === undefined)
  else {
    outputs = []
    m.outputs.forEach((o, i) => {
      const why = applies(o)
      if (why !== undefined) problems.push(`outputs[${i}]: cannot write ${o}: ${why}`)
      else if (outputs.includes(o)) problems.push(`outputs[${i}]: ${o} is listed twice`)
      else outputs.push(o)
    })
    if (m.outputs.length === 0) problems.push("outputs: empty (leave it out to write every output that applies)")
  }

  return {
    problems,
    plan: {
      mapping: m,
      centeredInput,
      values,
      valueColumns: values.map((v) => byValue.get(v)!),
      behaviours: behaviourEntries.map(([k]) => k),
      behaviourColumns: behaviourEntries.map(([, c]) => asList(c)),
      missing: new Set((inp.missing ?? DEFAULT_MISSING).map((x) => (typeof x === "number" ? String(x) : x.trim()))),
      outputs
    }
  }
}

/** The numbers of a data table, laid out for `analysis/deriveBaseline.ts`. */
export interface DerivationCells {
  readonly columnValue: ReadonlyArray<number>
  readonly rows: ReadonlyArray<Float64Array>
  readonly columnBehaviour: ReadonlyArray<number>
  readonly behaviourRows: ReadonlyArray<Float64Array>
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** How many cell problems a message lists before summarising the rest. */
export const MAX_CELL_PROBLEMS = 10

/**
 * Reads the cells the plan uses as numbers: a missing cell (listed in `missing`, JSON null, or absent from a JSON
 * record) is NaN. A cell that is neither missing nor a number, or (with `recode`) a value cell outside
 * [min, max], is a problem naming the row and the column. At most {@link MAX_CELL_PROBLEMS} are listed.
 */
export const cellsOf = (plan: DerivationPlan, table: Table): { problems: Array<string>; cells: DerivationCells } => {
  const problems: Array<string> = []
  let more = 0
  const report = (p: string) => {
    if (problems.length < MAX_CELL_PROBLEMS) problems.push(p)
    else more++
  }
  const idCol = plan.mapping.input.id_column
  const recode = plan.mapping.input.recode
  const missingList = [...plan.missing].map((x) => JSON.stringify(x)).join(", ")
  const valueCols = plan.valueColumns.flatMap((cols, v) => cols.map((c) => ({ c, v })))
  const behaviourCols = plan.behaviourColumns.flatMap((cols, b) => cols.map((c) => ({ c, b })))
  const rowName = (row: Readonly<Record<string, unknown>>, i: number) => {
    const id = idCol === undefined ? undefined : row[idCol]
    return id === undefined || id === null || id === "" ? `row ${i + 1}` : `row ${i + 1} (${idCol} ${String(id)})`
  }
  const read = (row: Readonly<Record<string, string | number | null>>, i: number, col: string, isValue: boolean): number => {
    const cell = row[col]
    if (cell === undefined || cell === null) return NaN
    const text = typeof cell === "number" ? String(cell) : cell.trim()
    if (plan.missing.has(text)) return NaN
    const x = typeof cell === "number" ? cell : NUMBER.test(text) ? Number(text) : NaN
    if (!Number.isFinite(x)) {
      report(`${rowName(row, i)}, column ${col}: ${JSON.stringify(cell)} is not a number (missing cells are ${missingList || "none"}; set input.missing)`)
      return NaN
    }
    if (isValue && recode !== undefined && (x < recode.min || x > recode.max)) {
      report(`${rowName(row, i)}, column ${col}: ${x} is outside input.recode ${recode.min}…${recode.max}`)
      return NaN
    }
    return x
  }
  const rows = table.rows.map((row, i) => Float64Array.from(valueCols, ({ c }) => read(row, i, c, true)))
  const behaviourRows = table.rows.map((row, i) => Float64Array.from(behaviourCols, ({ c }) => read(row, i, c, false)))
  if (more > 0) problems.push(`… and ${more} more cell problem(s)`)
  return {
    problems,
    cells: { columnValue: valueCols.map(({ v }) => v), rows, columnBehaviour: behaviourCols.map(({ b }) => b), behaviourRows }
  }
}
