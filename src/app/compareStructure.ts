import { readSpecText } from "../config/loadFile.js"
import { Effect } from "effect"
import type { ValueCorrelations } from "../config/BaselineFile.js"
import { baselineProblems, loadBaseline } from "../config/BaselineFile.js"
import { parseCsv } from "../config/csv.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { VALUES_10, VALUES_19 } from "../domain/values.js"
import { stream } from "../sampling/rng.js"
import { DEFAULT_MDS_METHOD, mapFromCorrelation, type MdsMethod } from "../stats/mds.js"
import { valuesSimilarity } from "../stats/procrustes.js"
import { mdsMethodText } from "../report/format.js"
import { chanceLevel, DEFAULT_PERMUTATIONS, type ChanceLevel } from "../analysis/alignment.js"

/** A square value correlation matrix read from a CSV or a baseline file. */
export interface LabelledMatrix {
  readonly file: string
  readonly title: string | null
  readonly labels: ReadonlyArray<string>
  readonly matrix: ReadonlyArray<ReadonlyArray<number>>
}

const CODES: ReadonlySet<string> = new Set<string>([...VALUES_10, ...VALUES_19])

/**
 * A correlation matrix as CSV: a header row of value codes, optionally preceded by a label column (whose
 * header is anything but a value code); with a label column, each row's label must be a value code and rows may
 * come in any order.
 */
const matrixFromCsv = (file: string, text: string): LabelledMatrix | SpecFileError => {
  const parsed = parseCsv(text)
  if (!parsed.ok) return new SpecFileError({ file, problems: [...parsed.problems] })
  const { columns, rows } = parsed.table
  const labelColumn = columns.length > 0 && !CODES.has(columns[0]!) ? columns[0]! : null
  const labels = labelColumn === null ? columns : columns.slice(1)
  const problems: Array<string> = []
  labels.forEach((l, j) => {
    if (!CODES.has(l)) problems.push(`header[${labelColumn === null ? j : j + 1}]: "${l}" is not a value code (expected e.g. ${VALUES_10.join(", ")})`)
  })
  if (rows.length !== labels.length) problems.push(`rows: ${rows.length} data rows but ${labels.length} value columns; the matrix must be square`)
  const byLabel = new Map<string, ReadonlyArray<number>>()
  rows.forEach((row, i) => {
    const label = labelColumn === null ? labels[i] : String(row[labelColumn] ?? "")
    if (label === undefined || !labels.includes(label)) {
      problems.push(`row ${i + 2}: label "${label}" is not one of the header's values`)
      return
    }
    const numbers = labels.map((c) => {
      const cell = row[c]
      const x = typeof cell === "number" ? cell : cell === null || cell === undefined || cell.trim() === "" ? NaN : Number(cell)
      if (!Number.isFinite(x)) problems.push(`row ${i + 2}, column ${c}: "${cell ?? ""}" is not a number`)
      return x
    })
    byLabel.set(label, numbers)
  })
  if (problems.length > 0) return new SpecFileError({ file, problems: problems.slice(0, 12) })
  const matrix = labels.map((l) => byLabel.get(l)!)
  const shapeProblems = baselineProblems({ kind: "value-correlations", labels, matrix } as unknown as ValueCorrelations)
  return shapeProblems.length > 0 ? new SpecFileError({ file, problems: shapeProblems }) : { file, title: null, labels, matrix }
}

/** Reads a correlation matrix from a `.csv` file or a `value-correlations` baseline file (YAML or JSON). */
export const readMatrix = (file: string, flag: string) =>
  Effect.gen(function* () {
    if (file.toLowerCase().endsWith(".csv")) {
      const text = yield* readSpecText(file).pipe(
        Effect.mapError((e) => new SpecFileError({ file, problems: e.problems.map((p) => `${flag}: ${p}`) }))
      )
      const m = matrixFromCsv(file, text)
      return m instanceof SpecFileError ? yield* m : m
    }
    const { baseline } = yield* loadBaseline(file)
    if (baseline.kind !== "value-correlations") {
      return yield* new SpecFileError({ file, problems: [`kind: ${flag} needs a value-correlations baseline or a CSV matrix, got ${baseline.kind}`] })
    }
    return { file, title: baseline.title, labels: baseline.labels, matrix: baseline.matrix } satisfies LabelledMatrix
  })

export interface StructureComparisonResult {
  /** How both maps were made: `smacof` (ratio SMACOF from the classical start, the paper's metric MDS) or `classical`. */
  readonly mdsMethod: MdsMethod
  readonly sv: number
  readonly disparity: number
  /** The chance level: S_V with the model's value labels permuted (`permutations` times, seeded); null with 0 permutations. */
  readonly null: ChanceLevel | null
  /** The human file's value order; every matrix and map below uses it. */
  readonly labels: ReadonlyArray<string>
  /** Procrustes output: the human map centred and scaled to unit norm, the model map aligned onto it. */
  readonly human: { readonly file: string; readonly title: string | null; readonly aligned: Array<Array<number>> }
  readonly model: { readonly file: string; readonly title: string | null; readonly aligned: Array<Array<number>> }
  /** Each matrix's own 2-D map by `mdsMethod` (before alignment), the eigenvalues of its classical start, and the SMACOF stress. */
  readonly mds: {
    readonly human: { readonly coordinates: Array<Array<number>>; readonly eigenvalues: Array<number>; readonly stress: number | null }
    readonly model: { readonly coordinates: Array<Array<number>>; readonly eigenvalues: Array<number>; readonly stress: number | null }
  }
}

export interface CompareStructureOptions {
  readonly mdsMethod: MdsMethod
  readonly permutations: number
  /** Seed of the permutation stream (src/sampling: stream(seed, "compare-structure", "permutation-null")). */
  readonly seed: number
}

export const DEFAULT_COMPARE_STRUCTURE: CompareStructureOptions = { mdsMethod: DEFAULT_MDS_METHOD, permutations: DEFAULT_PERMUTATIONS, seed: 1 }

/**
 * S_V between two value correlation matrices (DESIGN.md "Metrics"): a 2-D map of each on √(2(1 − r)) (ratio
 * SMACOF from the classical start, or classical MDS), Procrustes of the model map onto the human one (SciPy's
 * `procrustes`), S_V = 1 − disparity, and its chance level over permutations of the model's value labels. The
 * model matrix is reordered to the human file's value order; both must hold the same values.
 */
export const compareStructure = (humanFile: string, modelFile: string, options: CompareStructureOptions = DEFAULT_COMPARE_STRUCTURE) =>
  Effect.gen(function* () {
    const human = yield* readMatrix(humanFile, "--human")
    const model = yield* readMatrix(modelFile, "--model")
    const missing = human.labels.filter((l) => !model.labels.includes(l))
    const extra = model.labels.filter((l) => !human.labels.includes(l))
    if (missing.length > 0 || extra.length > 0) {
      const parts = [missing.length > 0 ? `lacks ${missing.join(", ")}` : "", extra.length > 0 ? `has ${extra.join(", ")} that the human matrix lacks` : ""]
      return yield* new SpecFileError({ file: modelFile, problems: [`labels: the model matrix ${parts.filter(Boolean).join(" and ")}; both need the same values`] })
    }
    const order = human.labels.map((l) => model.labels.indexOf(l))
    const modelMatrix = order.map((i) => order.map((j) => model.matrix[i]![j]!))
    const method = options.mdsMethod
    const result = valuesSimilarity(human.matrix, modelMatrix, method)
    const hm = mapFromCorrelation(human.matrix, method)
    const mm = mapFromCorrelation(modelMatrix, method)
    const chance =
      options.permutations > 0
        ? chanceLevel(human.matrix, modelMatrix, result.sv, method, options.permutations, stream(options.seed, "compare-structure", "permutation-null"))
        : null
    return {
      mdsMethod: method,
      sv: result.sv,
      disparity: result.disparity,
      null: chance,
      labels: human.labels,
      human: { file: human.file, title: human.title, aligned: result.human },
      model: { file: model.file, title: model.title, aligned: result.model },
      mds: {
        human: { coordinates: hm.coordinates, eigenvalues: Array.from(hm.eigenvalues), stress: hm.stress },
        model: { coordinates: mm.coordinates, eigenvalues: Array.from(mm.eigenvalues), stress: mm.stress }
      }
    } satisfies StructureComparisonResult
  })

/** The comparison as a few lines of text. */
export const renderComparison = (r: StructureComparisonResult): string => {
  const f = (x: number) => (x >= 0 ? " " : "") + x.toFixed(4)
  const chance =
    r.null === null
      ? "chance level not computed (--permutations 0)"
      : `chance level (model's value labels permuted ${r.null.permutations} times): mean ${r.null.mean?.toFixed(3) ?? "–"}, 95th percentile ${r.null.q95?.toFixed(3) ?? "–"}, p = ${r.null.p?.toPrecision(2) ?? "–"}`
  const lines = [
    `S_V = ${r.sv.toFixed(4)}  (Procrustes disparity ${r.disparity.toFixed(4)}, ${r.labels.length} values; ${mdsMethodText(r.mdsMethod)})`,
    chance,
    `human: ${r.human.title ?? r.human.file}`,
    `model: ${r.model.title ?? r.model.file}`,
    "",
    "value   human (x, y)          model aligned (x, y)",
    ...r.labels.map((l, i) => `${l.padEnd(6)}  ${f(r.human.aligned[i]![0]!)} ${f(r.human.aligned[i]![1]!)}      ${f(r.model.aligned[i]![0]!)} ${f(r.model.aligned[i]![1]!)}`)
  ]
  return lines.join("\n")
}
