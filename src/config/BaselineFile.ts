import { FileSystem } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import * as path from "node:path"
import { VALUES_10, VALUES_19 } from "../domain/values.js"
import { decodeData, readDataFile } from "./loadFile.js"
import { SharesFileSchema, sharesSumProblem } from "./PopulationFile.js"
import { SpecFileError } from "./SpecFileError.js"
import { projectRoot } from "./StudyFile.js"

/**
 * Human baseline files (`human-baselines/*.yaml|json`, DESIGN.md "Human baselines"). Every file carries its
 * provenance: the instrument, the population, the sample size, the citation, whether the figures were
 * published or computed by someone from public data, and a confidence. One file holds one baseline; the
 * `kind` says which.
 */

const NonEmpty = Schema.String.pipe(Schema.minLength(1))
/**
 * Bounds allow float noise of 1e-9 (e.g. a diagonal of 1.0000000000000002 from a correlation routine), the same
 * tolerance the unit-diagonal check uses; anything further out is an error.
 */
const Correlation = Schema.Number.pipe(
  Schema.filter((x) => Math.abs(x) <= 1 + 1e-9 || `a correlation must lie between -1 and 1, got ${x}`)
)
const PValue = Schema.Number.pipe(Schema.filter((x) => (x >= -1e-9 && x <= 1 + 1e-9) || `a p-value must lie between 0 and 1, got ${x}`))

/** Fields every baseline file has. */
export const BaselineMeta = {
  id: NonEmpty,
  title: NonEmpty,
  instrument: NonEmpty,
  population: NonEmpty,
  /** Respondents behind the figures; absent only when the source does not give one (say so in `notes`). */
  n: Schema.optional(Schema.Int.pipe(Schema.positive())),
  /** The citation: who measured it, where it was published or which public data it was computed from. */
  source: NonEmpty,
  obtained: Schema.Literal("published", "computed-from-public-data"),
  confidence: Schema.Literal("high", "medium", "low"),
  notes: Schema.optional(Schema.String)
}

/** A value × value correlation matrix (10×10 basic or 19×19 refined values), rows and columns in `labels` order. */
export const ValueCorrelationsSchema = Schema.Struct({
  kind: Schema.Literal("value-correlations"),
  ...BaselineMeta,
  /** true: Pearson r of MRAT-centered value scores; false: of raw value means. */
  centered: Schema.Boolean,
  labels: Schema.Array(NonEmpty),
  matrix: Schema.Array(Schema.Array(Correlation))
}).annotations({ identifier: "ValueCorrelations" })

/** Mean score per value: the population's value hierarchy. */
export const ValueHierarchySchema = Schema.Struct({
  kind: Schema.Literal("value-hierarchy"),
  ...BaselineMeta,
  /** How the means are expressed, e.g. "centered means (value mean minus the person's mean over all items)". */
  measure: NonEmpty,
  /** true when the means are MRAT-centered (comparable with a run's centered hierarchy). */
  centered: Schema.Boolean,
  means: Schema.Record({ key: Schema.String, value: Schema.Number })
}).annotations({ identifier: "ValueHierarchy" })

/** Differences in value scores between demographic groups (e.g. ESS by gender, age, politics, education). */
export const ValueDifferencesSchema = Schema.Struct({
  kind: Schema.Literal("value-differences"),
  ...BaselineMeta,
  /** What a difference is relative to, e.g. "the mean of all respondents". */
  reference: NonEmpty,
  groups: Schema.Array(
    Schema.Struct({
      /** The demographic variable, e.g. gender, age, political-orientation, education. */
      variable: NonEmpty,
      /** The group's label, e.g. female, 20-39. */
      group: NonEmpty,
      differences: Schema.Record({ key: Schema.String, value: Schema.Number })
    })
  )
}).annotations({ identifier: "ValueDifferences" })

/**
 * A value × behaviour correlation matrix: rows = values, columns = behaviour keys. A run's behaviour
 * measure is compared (S_B) over the cells whose value and behaviour key both appear here; `null` marks a cell
 * the source did not report.
 */
export const ValueBehaviourCorrelationsSchema = Schema.Struct({
  kind: Schema.Literal("value-behaviour-correlations"),
  ...BaselineMeta,
  /** The behaviour measure these columns belong to, e.g. big-five, donation-causes, paired-charity-game. */
  measure: NonEmpty,
  centered: Schema.Boolean,
  correlation: Schema.Literal("pearson", "spearman"),
  values: Schema.Array(NonEmpty),
  behaviours: Schema.Array(NonEmpty),
  matrix: Schema.Array(Schema.Array(Schema.NullOr(Correlation)))
}).annotations({ identifier: "ValueBehaviourCorrelations" })

/** Correlations of individual items (keyed by item id, no item text) with value and trait scores. */
export const ValueItemCorrelationsSchema = Schema.Struct({
  kind: Schema.Literal("value-item-correlations"),
  ...BaselineMeta,
  correlation: Schema.Literal("pearson", "spearman"),
  /** The columns of every item's `r` and `p`: value codes, then any trait keys. */
  variables: Schema.Array(NonEmpty),
  items: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ r: Schema.Array(Schema.NullOr(Correlation)), p: Schema.Array(Schema.NullOr(PValue)) })
  })
}).annotations({ identifier: "ValueItemCorrelations" })

/**
 * A figure the papers compared with that this project could not obtain. Shipping it as a file makes the gap
 * explicit: reports list it as a missing baseline instead of silently leaving it out.
 */
export const UnavailableBaselinesSchema = Schema.Struct({
  kind: Schema.Literal("unavailable-baselines"),
  id: NonEmpty,
  title: NonEmpty,
  entries: Schema.Array(
    Schema.Struct({
      /** The behaviour measure it would serve, e.g. donation-causes. */
      measure: NonEmpty,
      /** The study the paper used. */
      source: NonEmpty,
      /** Why it is not here. */
      reason: NonEmpty,
      /** Where the paper used it. */
      used_in: NonEmpty
    })
  )
}).annotations({ identifier: "UnavailableBaselines" })

/** The games whose outcomes a game-outcomes baseline can hold (the `game` scenarios of DESIGN.md, see src/domain/games.ts). */
export const OUTCOME_GAMES = ["dictator", "ultimatum", "trust", "public-goods", "prisoners-dilemma", "paired-charity"] as const
export type OutcomeGame = (typeof OUTCOME_GAMES)[number]

/**
 * The outcome metrics the engine computes, per game. Every one is a share or a rate, a fraction 0–1: of the
 * endowment (give, sent, contribution), of the pie (offer), of the tripled amount (returned) or of the decisions
 * (rejection, cooperation, contribute).
 */
export const GAME_METRICS: Readonly<Record<OutcomeGame, ReadonlyArray<string>>> = {
  dictator: ["give-share"],
  ultimatum: ["offer-share", "rejection-rate"],
  trust: ["sent-share", "returned-share"],
  "public-goods": ["contribution-share"],
  "prisoners-dilemma": ["cooperation-rate"],
  "paired-charity": ["contribute-rate"]
}

/**
 * Published human outcomes of the economic games (e.g. meta-analytic mean offers), each figure with the place in
 * its source where it is stated. Only figures found stated in a readable source belong here; the others go to an
 * unavailable-baselines file.
 */
export const GameOutcomesSchema = Schema.Struct({
  kind: Schema.Literal("game-outcomes"),
  ...BaselineMeta,
  figures: Schema.Array(
    Schema.Struct({
      game: Schema.Literal(...OUTCOME_GAMES).annotations({
        message: (issue) => ({
          message: `unknown game ${JSON.stringify(issue.actual)} (expected one of ${OUTCOME_GAMES.join(", ")})`,
          override: true
        })
      }),
      /** One of GAME_METRICS[game], e.g. offer-share. */
      metric: NonEmpty,
      /** A share or rate, 0–1. */
      value: Schema.Number,
      /** The round of a repeated game the figure is for; absent when it pools all rounds or the game is one-shot. */
      round: Schema.optional(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))),
      /** Papers or experiments pooled, as the source counts them. */
      studies: Schema.optional(Schema.Int.pipe(Schema.positive())),
      /** Decisions or participants behind the figure, when the source gives them. */
      observations: Schema.optional(Schema.Int.pipe(Schema.positive())),
      /** Where in the source the figure is stated, e.g. "abstract, second sentence". */
      where: NonEmpty,
      notes: Schema.optional(Schema.String)
    })
  )
}).annotations({ identifier: "GameOutcomes" })

export type ValueCorrelations = typeof ValueCorrelationsSchema.Type
export type ValueHierarchy = typeof ValueHierarchySchema.Type
export type ValueDifferences = typeof ValueDifferencesSchema.Type
export type ValueBehaviourCorrelations = typeof ValueBehaviourCorrelationsSchema.Type
export type ValueItemCorrelations = typeof ValueItemCorrelationsSchema.Type
export type UnavailableBaselines = typeof UnavailableBaselinesSchema.Type
export type GameOutcomes = typeof GameOutcomesSchema.Type
export type DominantValueShares = typeof SharesFileSchema.Type

export type Baseline =
  | ValueCorrelations
  | ValueHierarchy
  | ValueDifferences
  | ValueBehaviourCorrelations
  | ValueItemCorrelations
  | UnavailableBaselines
  | DominantValueShares
  | GameOutcomes

/** A baseline with the file it came from. */
export interface LoadedBaseline {
  readonly file: string
  readonly baseline: Baseline
}

export const BASELINE_KINDS = [
  "value-correlations",
  "value-hierarchy",
  "value-differences",
  "value-behaviour-correlations",
  "value-item-correlations",
  "unavailable-baselines",
  "dominant-value-shares",
  "game-outcomes"
] as const

const schemaFor = (kind: string): Schema.Schema<Baseline, any> | undefined => {
  switch (kind) {
    case "value-correlations":
      return ValueCorrelationsSchema as Schema.Schema<Baseline, any>
    case "value-hierarchy":
      return ValueHierarchySchema as Schema.Schema<Baseline, any>
    case "value-differences":
      return ValueDifferencesSchema as Schema.Schema<Baseline, any>
    case "value-behaviour-correlations":
      return ValueBehaviourCorrelationsSchema as Schema.Schema<Baseline, any>
    case "value-item-correlations":
      return ValueItemCorrelationsSchema as Schema.Schema<Baseline, any>
    case "unavailable-baselines":
      return UnavailableBaselinesSchema as Schema.Schema<Baseline, any>
    case "dominant-value-shares":
      return SharesFileSchema as Schema.Schema<Baseline, any>
    case "game-outcomes":
      return GameOutcomesSchema as Schema.Schema<Baseline, any>
    default:
      return undefined
  }
}

const VALUE_CODES: ReadonlySet<string> = new Set<string>([...VALUES_10, ...VALUES_19])

const checkValueCode = (code: string, where: string, problems: Array<string>) => {
  if (!VALUE_CODES.has(code)) {
    problems.push(`${where}: unknown value code "${code}" (expected one of ${VALUES_10.join(", ")} or a refined value ${VALUES_19.join(", ")})`)
  }
}

const checkUnique = (labels: ReadonlyArray<string>, where: string, problems: Array<string>) => {
  const seen = new Set<string>()
  labels.forEach((l, i) => {
    if (seen.has(l)) problems.push(`${where}[${i}]: "${l}" appears twice`)
    seen.add(l)
  })
}

/** Checks what the schema cannot: value codes, matrix shapes, symmetry and unit diagonals. */
export const baselineProblems = (b: Baseline): Array<string> => {
  const problems: Array<string> = []
  switch (b.kind) {
    case "value-correlations": {
      b.labels.forEach((l, i) => checkValueCode(l, `labels[${i}]`, problems))
      checkUnique(b.labels, "labels", problems)
      const k = b.labels.length
      if (k < 3) problems.push(`labels: a structure needs at least 3 values, got ${k}`)
      if (b.matrix.length !== k) problems.push(`matrix: ${b.matrix.length} rows but ${k} labels`)
      b.matrix.forEach((row, i) => {
        if (row.length !== k) problems.push(`matrix[${i}]: ${row.length} columns but ${k} labels`)
        else {
          if (Math.abs(row[i]! - 1) > 1e-9) problems.push(`matrix[${i}][${i}]: the diagonal must be 1, got ${row[i]}`)
          for (let j = 0; j < i; j++) {
            const other = b.matrix[j]?.[i]
            if (other !== undefined && Math.abs(row[j]! - other) > 1e-6) {
              problems.push(`matrix[${i}][${j}]: ${row[j]} differs from matrix[${j}][${i}] = ${other}; the matrix must be symmetric`)
            }
          }
        }
      })
      break
    }
    case "value-hierarchy":
      Object.keys(b.means).forEach((code) => checkValueCode(code, `means.${code}`, problems))
      if (Object.keys(b.means).length < 3) problems.push("means: a hierarchy needs at least 3 values")
      break
    case "value-differences":
      b.groups.forEach((g, i) => Object.keys(g.differences).forEach((code) => checkValueCode(code, `groups[${i}].differences.${code}`, problems)))
      break
    case "value-behaviour-correlations":
      b.values.forEach((v, i) => checkValueCode(v, `values[${i}]`, problems))
      checkUnique(b.values, "values", problems)
      checkUnique(b.behaviours, "behaviours", problems)
      if (b.matrix.length !== b.values.length) problems.push(`matrix: ${b.matrix.length} rows but ${b.values.length} values`)
      b.matrix.forEach((row, i) => {
        if (row.length !== b.behaviours.length) problems.push(`matrix[${i}]: ${row.length} columns but ${b.behaviours.length} behaviours`)
      })
      break
    case "value-item-correlations": {
      checkUnique(b.variables, "variables", problems)
      const k = b.variables.length
      for (const [id, item] of Object.entries(b.items)) {
        if (item.r.length !== k) problems.push(`items.${id}.r: ${item.r.length} entries but ${k} variables`)
        if (item.p.length !== k) problems.push(`items.${id}.p: ${item.p.length} entries but ${k} variables`)
      }
      break
    }
    case "dominant-value-shares":
      for (const [name, ds] of Object.entries(b.datasets)) {
        const wrongSum = sharesSumProblem(b, name, ds)
        if (wrongSum !== null) problems.push(wrongSum)
      }
      break
    case "unavailable-baselines":
      break
    case "game-outcomes": {
      if (b.figures.length === 0) problems.push("figures: a game-outcomes file needs at least one figure")
      const seen = new Set<string>()
      b.figures.forEach((f, i) => {
        const allowed = GAME_METRICS[f.game]
        if (!allowed.includes(f.metric)) {
          problems.push(`figures[${i}].metric: "${f.metric}" is not a metric of the ${f.game} game (expected ${allowed.join(", ")})`)
        }
        if (!(f.value >= 0 && f.value <= 1)) problems.push(`figures[${i}].value: a share or rate must lie between 0 and 1, got ${f.value}`)
        const key = `${f.game} ${f.metric} ${f.round ?? "all rounds"}`
        if (seen.has(key)) problems.push(`figures[${i}]: ${key} appears twice`)
        seen.add(key)
      })
      break
    }
  }
  return problems
}

/** Decodes and checks baseline data of any kind; every problem is reported as "file: field: message". */
export const baselineFromData = (data: unknown, file: string): Either.Either<Baseline, SpecFileError> => {
  const kind = typeof data === "object" && data !== null ? (data as { kind?: unknown }).kind : undefined
  const schema = typeof kind === "string" ? schemaFor(kind) : undefined
  if (schema === undefined) {
    return Either.left(
      new SpecFileError({ file, problems: [`kind: ${kind === undefined ? "missing" : `unknown kind ${JSON.stringify(kind)}`} (a baseline file has kind ${BASELINE_KINDS.join(", ")})`] })
    )
  }
  return Either.flatMap(decodeData(schema, data, file), (b) => {
    const problems = baselineProblems(b)
    return problems.length > 0 ? Either.left(new SpecFileError({ file, problems })) : Either.right(b)
  })
}

export const isBaselineKind = (kind: string): boolean => (BASELINE_KINDS as ReadonlyArray<string>).includes(kind)

/** Loads one baseline file (YAML or JSON). */
export const loadBaseline = (file: string) =>
  Effect.flatMap(readDataFile(file), (data) => baselineFromData(data, file)).pipe(Effect.map((baseline): LoadedBaseline => ({ file, baseline })))

/** The baselines shipped with valuesim. */
export const SHIPPED_BASELINES_DIR = path.join(projectRoot, "human-baselines")

/** Loads every `*.yaml`, `*.yml` and `*.json` baseline in a folder, in file-name order. */
export const loadBaselineDir = (dir: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const names = yield* fs.readDirectory(dir).pipe(
      Effect.mapError(() => new SpecFileError({ file: dir, problems: ["cannot read the baseline folder"] }))
    )
    const files = names.filter((n) => /\.(ya?ml|json)$/.test(n)).sort().map((n) => path.join(dir, n))
    return yield* Effect.forEach(files, loadBaseline)
  })
