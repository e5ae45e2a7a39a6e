/**
 * An incremental accumulator of centered value scores for the dashboard's live statistics panel. `add` is
 * O(labels²) per respondent and allocates nothing but a reservoir slot; `snapshot` turns the running sums into the
 * hierarchy, C⁽ⱽ⁾, S_V against a human structure with a bootstrap CI, and per-condition means. Pure apart from its
 * own state: no I/O, no clock, randomness only from seeded streams (src/sampling/rng.ts).
 *
 * Exactness: C⁽ⱽ⁾ is computed from Welford co-moments, Mⱼₖ = Σᵢ (xᵢⱼ − x̄ⱼ)(xᵢₖ − x̄ₖ), updated per respondent
 * (Welford 1962; Chan, Golub & LeVeque 1979):
 *   x̄ ← x̄ + (x − x̄_old)/n,  Mⱼₖ ← Mⱼₖ + (xⱼ − x̄_old,ⱼ)(xₖ − x̄ₖ),
 * and rⱼₖ = Mⱼₖ / √(Mⱼⱼ Mₖₖ). This is algebraically identical to the two-pass Pearson matrix
 * `correlationMatrix(columns)` of the same respondents (src/stats/correlation.ts), not an approximation of it; the
 * update avoids the cancellation of raw sums of squares, so the two agree to rounding (≈1e-12, tested to 1e-9).
 * A constant column keeps Mⱼⱼ exactly 0 (its mean never moves), and its row of C⁽ⱽ⁾ is NaN, as in the batch version.
 *
 * Missing-data policy: listwise. A vector with any NaN (or other non-finite score) is skipped entirely (not
 * counted, not sampled), so every statistic rests on the same complete respondents.
 */
import { constantLabels } from "../domain/noVariance.js"
import { stream, type Rng } from "../sampling/rng.js"
import { correlationOfRows } from "../stats/correlation.js"
import { bootstrapIterations, percentileCi } from "../stats/inference.js"
import { mapFromCorrelation } from "../stats/mds.js"
import { procrustes, valuesSimilarity } from "../stats/procrustes.js"
import type { LiveStats } from "../ui/state.js"

/** S_V and the maps are shown from this many complete respondents on. */
export const MIN_RESPONDENTS_FOR_SV = 30
/** Bootstrap resamples per snapshot (the final report uses 100; the live panel trades precision for speed). */
export const LIVE_BOOTSTRAP_ITERATIONS = 20
/** Respondents per bootstrap resample, at most (paper 000 appendix G uses 500). */
export const LIVE_BOOTSTRAP_SAMPLE = 500

export interface LiveStatsOptions {
  /** The value labels, in the order of the score vectors (and of the human matrix). */
  readonly labels: ReadonlyArray<string>
  /** Condition ids; `add`'s conditionIdx indexes this list. */
  readonly conditions: ReadonlyArray<string>
  /** The human structure over the same labels in the same order, or null for none. */
  readonly human: {
    readonly title: string
    readonly matrix: ReadonlyArray<ReadonlyArray<number>>
    readonly hierarchy: ReadonlyArray<number> | null
    readonly hierarchyTitle: string | null
  } | null
  readonly seed: number
  /** Respondents kept for the bootstrap (Algorithm R); default 2000. */
  readonly reservoirSize?: number
}

export interface LiveStatsAccumulator {
  /**
   * Adds one respondent's centered scores (one per label). Skipped when any is NaN or infinite. A conditionIdx
   * outside the conditions counts towards the overall statistics only.
   * @throws {RangeError} if the vector's length is not the number of labels.
   */
  readonly add: (conditionIdx: number, centered: ArrayLike<number>) => void
  /**
   * The statistics so far, with `games` empty (the caller fills them). Returns the previous snapshot when nothing
   * was added since, so repeated calls neither recompute nor make the CI jitter.
   */
  readonly snapshot: () => LiveStats
  /**
   * C⁽ⱽ⁾ of the respondents so far, from the co-moments: equal to `correlationMatrix` of the same vectors (see the
   * module comment). A fresh array each call.
   */
  readonly correlation: () => Array<Array<number>>
  /** Respondents currently in the reservoir (≤ reservoirSize). */
  readonly reservoirCount: () => number
}

/** Running count and mean of complete vectors. */
interface Moments {
  n: number
  readonly mean: Float64Array
}

const makeMoments = (p: number): Moments => ({ n: 0, mean: new Float64Array(p) })

const meansOf = (m: Moments): Array<number | null> => Array.from(m.mean, (v) => (m.n > 0 ? v : null))

/**
 * Makes a live accumulator (see the module comment for the formulas and the missing-data policy).
 *
 * Reservoir: Algorithm R (Vitter 1985) with `stream(seed, "live-reservoir")`: the t-th complete respondent is kept
 * outright while t ≤ reservoirSize, else it replaces slot ⌊u·t⌋ when that is < reservoirSize, so the reservoir is
 * a uniform sample of all respondents so far. Bootstrap: snapshot number k (0, 1, …; only snapshots that recompute
 * count) draws LIVE_BOOTSTRAP_ITERATIONS resamples of min(500, reservoir count) respondents with replacement from
 * the reservoir with `stream(seed, "live-bootstrap", k)`, recomputes S_V on each (`correlationOfRows`,
 * `valuesSimilarity`), and reports the percentile 95 % CI of the resamples whose S_V is defined. The same seed and
 * the same sequence of `add` and `snapshot` calls give the same snapshots.
 *
 * @throws {RangeError} if the human matrix is not labels × labels, the human hierarchy is not one per label, or
 * reservoirSize is not a positive integer.
 */
export const makeLiveStats = (options: LiveStatsOptions): LiveStatsAccumulator => {
  const { labels, conditions, human, seed } = options
  const p = labels.length
  const reservoirSize = options.reservoirSize ?? 2000
  if (!Number.isInteger(reservoirSize) || reservoirSize < 1) {
    throw new RangeError(`makeLiveStats: reservoirSize must be a positive integer, got ${reservoirSize}`)
  }
  if (human !== null) {
    if (human.matrix.length !== p || human.matrix.some((row) => row.length !== p)) {
      throw new RangeError(`makeLiveStats: the human matrix must be ${p} × ${p} (one row and column per label)`)
    }
    if (human.hierarchy !== null && human.hierarchy.length !== p) {
      throw new RangeError(`makeLiveStats: the human hierarchy has ${human.hierarchy.length} entries, expected ${p}`)
    }
  }

  const overall = makeMoments(p)
  const comoment = new Float64Array(p * p)
  const byCondition = conditions.map(() => makeMoments(p))
  const delta = new Float64Array(p)

  const reservoir = new Float64Array(reservoirSize * p)
  let reservoirCount = 0
  const reservoirRng: Rng = stream(seed, "live-reservoir")

  let version = 0
  let snapshots = 0
  let last: { readonly version: number; readonly stats: LiveStats } | null = null

  const updateMean = (m: Moments, x: ArrayLike<number>): void => {
    m.n += 1
    for (let j = 0; j < p; j++) m.mean[j] = (m.mean[j] as number) + ((x[j] as number) - (m.mean[j] as number)) / m.n
  }

  const add = (conditionIdx: number, centered: ArrayLike<number>): void => {
    if (centered.length !== p) {
      throw new RangeError(`liveStats.add: the vector has ${centered.length} scores, expected ${p}`)
    }
    for (let j = 0; j < p; j++) if (!Number.isFinite(centered[j] as number)) return
    for (let j = 0; j < p; j++) delta[j] = (centered[j] as number) - (overall.mean[j] as number)
    updateMean(overall, centered)
    for (let j = 0; j < p; j++) {
      const dj = delta[j] as number
      for (let k = j; k < p; k++) {
        const dk = (centered[k] as number) - (overall.mean[k] as number)
        comoment[j * p + k] = (comoment[j * p + k] as number) + dj * dk
      }
    }
    const cond = byCondition[conditionIdx]
    if (cond !== undefined) updateMean(cond, centered)

    const t = overall.n
    const slot = t <= reservoirSize ? t - 1 : Math.floor(reservoirRng() * t)
    if (slot < reservoirSize) {
      for (let j = 0; j < p; j++) reservoir[slot * p + j] = centered[j] as number
      if (t <= reservoirSize) reservoirCount = t
    }
    version += 1
  }

  /** C⁽ⱽ⁾ from the co-moments: rⱼₖ = Mⱼₖ / √(Mⱼⱼ Mₖₖ), clamped to [−1, 1]; NaN where a variance is 0 or n < 2. */
  const correlation = (): Array<Array<number>> =>
    Array.from({ length: p }, (_, j) =>
      Array.from({ length: p }, (_, k) => {
        const a = Math.min(j, k)
        const b = Math.max(j, k)
        const mjj = comoment[j * p + j] as number
        const mkk = comoment[k * p + k] as number
        if (overall.n < 2 || !(mjj > 0) || !(mkk > 0)) return NaN
        if (j === k) return 1
        const r = (comoment[a * p + b] as number) / Math.sqrt(mjj * mkk)
        return r > 1 ? 1 : r < -1 ? -1 : r
      })
    )

  /**
   * S_V of the reservoir respondents at `rows`, NaN when their matrix is degenerate. This is
   * `valuesSimilarity(human, correlationMatrix(columns)).sv` with the human map computed once per snapshot instead
   * of once per resample, and the resample's matrix taken straight from the reservoir rows (`correlationOfRows`)
   * rather than from gathered columns: together they cut a snapshot's bootstrap to about a quarter.
   */
  const svOfRows = (humanMap: ReadonlyArray<ArrayLike<number>>, rows: Int32Array): number => {
    try {
      return 1 - procrustes(humanMap, mapFromCorrelation(correlationOfRows(reservoir, p, rows)).coordinates).disparity
    } catch (e) {
      if (e instanceof RangeError) return NaN
      throw e
    }
  }

  const similarity = (k: number): Pick<LiveStats, "sv" | "map"> => {
    if (human === null || overall.n < MIN_RESPONDENTS_FOR_SV) return { sv: null, map: null }
    let full: ReturnType<typeof valuesSimilarity>
    try {
      full = valuesSimilarity(human.matrix, correlation())
    } catch (e) {
      if (e instanceof RangeError) return { sv: null, map: null }
      throw e
    }
    const humanMap = mapFromCorrelation(human.matrix).coordinates
    const draws = bootstrapIterations(
      reservoirCount,
      LIVE_BOOTSTRAP_ITERATIONS,
      Math.min(LIVE_BOOTSTRAP_SAMPLE, reservoirCount),
      stream(seed, "live-bootstrap", k),
      (rows) => svOfRows(humanMap, rows)
    )
    const defined = draws.filter((v) => !Number.isNaN(v))
    const ci = defined.length >= 2 ? percentileCi(defined) : null
    const pair = (row: ReadonlyArray<number>): readonly [number, number] => [row[0] ?? 0, row[1] ?? 0]
    return {
      sv: { title: human.title, value: full.sv, lower: ci?.lower ?? null, upper: ci?.upper ?? null },
      map: { run: full.model.map(pair), human: full.human.map(pair) }
    }
  }

  const snapshot = (): LiveStats => {
    if (last !== null && last.version === version) return last.stats
    const k = snapshots
    snapshots += 1
    // From MIN_RESPONDENTS_FOR_SV on, where S_V would appear: values whose scores do not vary (no S_V then).
    const constant = overall.n >= MIN_RESPONDENTS_FOR_SV ? constantLabels(labels, correlation()) : []
    const stats: LiveStats = {
      respondents: overall.n,
      ...(constant.length === 0 ? {} : { constantValues: constant }),
      labels: [...labels],
      hierarchy: meansOf(overall),
      humanHierarchy:
        human !== null && human.hierarchy !== null
          ? { title: human.hierarchyTitle ?? human.title, means: [...human.hierarchy] }
          : null,
      ...similarity(k),
      conditionMeans: conditions.map((condition, c) => {
        const m = byCondition[c] as Moments
        return { condition, n: m.n, means: meansOf(m) }
      }),
      games: []
    }
    last = { version, stats }
    return stats
  }

  return { add, snapshot, correlation, reservoirCount: () => reservoirCount }
}
