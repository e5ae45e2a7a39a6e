/**
 * Population-level comparisons of a run with human baselines: S_V and S_B with the bootstrap of paper 000
 * appendix G, hierarchy Spearman, per-condition means. No I/O: columns of scores in, plain numbers out. The
 * metric definitions themselves live in src/stats.
 */
import { shuffleInPlace, type Rng } from "../sampling/rng.js"
import { correlationMatrix, crossCorrelation, spearman } from "../stats/correlation.js"
import { mean, sampleSd } from "../stats/descriptive.js"
import { bootstrapIterations, oneSampleT, percentileCi } from "../stats/inference.js"
import { DEFAULT_MDS_METHOD, mapFromCorrelation, type MdsMethod } from "../stats/mds.js"
import { procrustes, svPermutationNull, valuesSimilarity } from "../stats/procrustes.js"
import { bootstrapSize, sbPermutationNull, type BootstrapSizeRule, type PermutationNull } from "../stats/chance.js"
import { behaviourSimilarity } from "../stats/similarity.js"
import type { BootstrapSummary } from "./Report.js"

/** A finite number, else null (JSON has no NaN). */
export const num = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null)

export const numMatrix = (m: ReadonlyArray<ArrayLike<number>>): Array<Array<number | null>> =>
  m.map((row) => Array.from(row, (x) => num(x)))

export interface BootstrapSettings {
  readonly iterations: number
  /** Respondents per resample: the paper's fixed size (500), or the sample's own below it (see `sizeRule`). */
  readonly sampleSize: number
  readonly level: number
  /** "own" (default when absent): a sample smaller than `sampleSize` is resampled at its own size; "paper": always `sampleSize`. */
  readonly sizeRule?: BootstrapSizeRule
}

/**
 * Paper 000 appendix G: 100 resamples of 500 respondents, one-sample t-test of the scores against 0 — except that
 * a sample of fewer than 500 is resampled at its own size (valuesim's choice; `sizeRule: "paper"` keeps 500).
 */
export const PAPER_BOOTSTRAP: BootstrapSettings = { iterations: 100, sampleSize: 500, level: 0.95, sizeRule: "own" }

/** The resample size these settings give a sample of n respondents. */
export const resampleSize = (n: number, settings: BootstrapSettings): number => bootstrapSize(n, settings.sampleSize, settings.sizeRule ?? "own")

/**
 * Summarises bootstrap iterations: mean, SD, percentile CI and the one-sample t-test against 0 over the
 * iterations whose statistic was defined (a resample can make a column constant; such iterations are dropped
 * and `iterations` says how many remained).
 */
export const summarizeBootstrap = (values: Float64Array, settings: BootstrapSettings, sampleSize: number = settings.sampleSize): BootstrapSummary => {
  const ok = values.filter((x) => Number.isFinite(x))
  const t = oneSampleT(ok, 0)
  const ci = ok.length > 0 ? percentileCi(ok, settings.level) : { lower: NaN, upper: NaN }
  return {
    iterations: ok.length,
    sampleSize,
    sizeRule: settings.sizeRule ?? "own",
    mean: num(mean(ok)),
    sd: ok.length > 1 ? num(sampleSd(ok)) : null,
    ci: { level: settings.level, lower: num(ci.lower), upper: num(ci.upper) },
    t: num(t.t),
    df: Math.max(0, ok.length - 1),
    p: num(t.p),
    pAdjusted: null
  }
}

const pick = (column: Float64Array, rows: Int32Array): Float64Array => {
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = column[rows[i]!]!
  return out
}

const hasNaN = (m: ReadonlyArray<ArrayLike<number>>): boolean => m.some((row) => Array.from(row).some((x) => !Number.isFinite(x)))

/** S_V of a model correlation matrix against a human one; NaN when either has an undefined cell. */
export const svOf = (human: ReadonlyArray<ArrayLike<number>>, model: ReadonlyArray<ArrayLike<number>>, method: MdsMethod = DEFAULT_MDS_METHOD): number =>
  hasNaN(model) || hasNaN(human) ? NaN : valuesSimilarity(human, model, method).sv

/** S_V of a model matrix against a human map already made by `method` (one MDS per call instead of two). */
export const svToMap = (humanMap: ReadonlyArray<ArrayLike<number>> | null, model: ReadonlyArray<ArrayLike<number>>, method: MdsMethod): number =>
  humanMap === null || hasNaN(model) ? NaN : 1 - procrustes(humanMap, mapFromCorrelation(model, method).coordinates).disparity

/** The chance level of one S_V (see `svPermutationNull`): JSON `null` of a comparison. */
export interface ChanceLevel {
  readonly permutations: number
  readonly mean: number | null
  readonly q95: number | null
  readonly p: number | null
  /** Benjamini–Hochberg adjusted over the table (or report) the figure sits in; null until adjusted. */
  readonly pAdjusted: number | null
}

const chanceOf = (r: PermutationNull): ChanceLevel => ({ permutations: r.permutations, mean: num(r.mean), q95: num(r.q95), p: num(r.p), pAdjusted: null })

/** The default number of label permutations behind a chance level. */
export const DEFAULT_PERMUTATIONS = 1000

/**
 * The chance level of S_V between a human matrix and a model matrix: the model's value labels permuted
 * `permutations` times with `rng` (src/sampling's Fisher–Yates). Null when either matrix has an undefined cell.
 */
export const chanceLevel = (
  human: ReadonlyArray<ArrayLike<number>>,
  model: ReadonlyArray<ArrayLike<number>>,
  observed: number,
  method: MdsMethod,
  permutations: number,
  rng: Rng
): ChanceLevel | null => {
  if (hasNaN(human) || hasNaN(model) || !Number.isFinite(observed)) return null
  const r = svPermutationNull(
    mapFromCorrelation(human, method).coordinates,
    mapFromCorrelation(model, method).coordinates,
    observed,
    permutations,
    (idx) => shuffleInPlace(idx, rng)
  )
  return chanceOf(r)
}

export interface StructureOptions {
  readonly mdsMethod: MdsMethod
  /** Label permutations for the chance level (0: none). */
  readonly permutations: number
  /** The stream the permutations are drawn from (its own, so the bootstrap resamples do not move). */
  readonly nullRng: Rng
}

export interface StructureResult {
  readonly sv: number | null
  readonly disparity: number | null
  readonly aligned: { readonly human: Array<Array<number>>; readonly model: Array<Array<number>> } | null
  readonly bootstrap: BootstrapSummary
  readonly mdsMethod: MdsMethod
  readonly null: ChanceLevel | null
}

/**
 * S_V of the respondents' value structure (columns = one score column per value, same order as `human`) with
 * the human matrix: once on all rows, with its chance level (the model's value labels permuted), then on
 * bootstrap resamples of rows (with replacement).
 */
export const structureAgainst = (
  columns: ReadonlyArray<Float64Array>,
  human: ReadonlyArray<ArrayLike<number>>,
  rng: Rng,
  settings: BootstrapSettings,
  options: StructureOptions
): StructureResult => {
  const n = columns[0]?.length ?? 0
  const method = options.mdsMethod
  const model = correlationMatrix(columns)
  const whole = hasNaN(model) || hasNaN(human) ? null : valuesSimilarity(human, model, method)
  const humanMap = hasNaN(human) ? null : mapFromCorrelation(human, method).coordinates
  const size = resampleSize(n, settings)
  const iterations =
    n > 0
      ? bootstrapIterations(n, settings.iterations, size, rng, (rows) =>
          svToMap(humanMap, correlationMatrix(columns.map((c) => pick(c, rows))), method)
        )
      : new Float64Array(0)
  return {
    sv: whole ? whole.sv : null,
    disparity: whole ? whole.disparity : null,
    aligned: whole ? { human: whole.human, model: whole.model } : null,
    bootstrap: summarizeBootstrap(iterations, settings, size),
    mdsMethod: method,
    null: whole && options.permutations > 0 ? chanceLevel(human, model, whole.sv, method, options.permutations, options.nullRng) : null
  }
}

export interface BehaviourResult {
  readonly model: Array<Array<number>>
  readonly cells: number
  readonly sb: number | null
  readonly bootstrap: BootstrapSummary
  /** The chance level of S_B: the run's value labels (rows of the model matrix) permuted. */
  readonly null: ChanceLevel | null
}

const sharedCells = (h: ReadonlyArray<ReadonlyArray<number>>, m: ReadonlyArray<ReadonlyArray<number>>): number => {
  let cells = 0
  h.forEach((row, i) => row.forEach((x, j) => (cells += Number.isFinite(x) && Number.isFinite(m[i]![j]!) ? 1 : 0)))
  return cells
}

/**
 * S_B of the respondents' value × behaviour correlations (values and behaviours as score columns over the same
 * rows, in the human matrix's row and column order) with the human matrix; NaN human cells are unreported. Its
 * chance level permutes the model's value rows (`sbPermutationNull`), as S_V's permutes the values of its map.
 */
export const behaviourAgainst = (
  values: ReadonlyArray<Float64Array>,
  behaviours: ReadonlyArray<Float64Array>,
  human: ReadonlyArray<ReadonlyArray<number>>,
  rng: Rng,
  settings: BootstrapSettings,
  chance: { readonly permutations: number; readonly nullRng: Rng } = { permutations: 0, nullRng: rng }
): BehaviourResult => {
  const n = values[0]?.length ?? 0
  const model = crossCorrelation(values, behaviours)
  const size = resampleSize(n, settings)
  const iterations =
    n > 0
      ? bootstrapIterations(n, settings.iterations, size, rng, (rows) =>
          behaviourSimilarity(human, crossCorrelation(values.map((c) => pick(c, rows)), behaviours.map((c) => pick(c, rows))))
        )
      : new Float64Array(0)
  const sb = num(behaviourSimilarity(human, model))
  const nullLevel =
    sb !== null && chance.permutations > 0
      ? chanceOf(sbPermutationNull(human, model, sb, chance.permutations, (idx) => shuffleInPlace(idx, chance.nullRng)))
      : null
  return { model, cells: sharedCells(human, model), sb, bootstrap: summarizeBootstrap(iterations, settings, size), null: nullLevel }
}

/** Spearman ρ between two hierarchies over the same labels; null when undefined (fewer than 3 or constant). */
export const hierarchySpearman = (human: ReadonlyArray<number>, model: ReadonlyArray<number>): number | null =>
  human.length < 3 ? null : num(spearman(human, model))

/** Column means over rows, ignoring NaN. */
export const columnMeans = (columns: ReadonlyArray<Float64Array>, rows?: ReadonlyArray<number>): Array<number | null> =>
  columns.map((c) => {
    let s = 0
    let k = 0
    const visit = (x: number) => {
      if (Number.isFinite(x)) {
        s += x
        k++
      }
    }
    if (rows) for (const r of rows) visit(c[r]!)
    else for (const x of c) visit(x)
    return k > 0 ? s / k : null
  })

/** Row indices grouped by condition index, in first-appearance order of the conditions. */
export const rowsByCondition = (conditionIdx: Int32Array): Map<number, Array<number>> => {
  const groups = new Map<number, Array<number>>()
  conditionIdx.forEach((c, r) => {
    const g = groups.get(c)
    if (g) g.push(r)
    else groups.set(c, [r])
  })
  return groups
}
