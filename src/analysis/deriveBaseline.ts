import type { Value10 } from "../domain/values.js"
import { correlationMatrix, crossCorrelation } from "../stats/correlation.js"
import { mean } from "../stats/descriptive.js"
import { scoreRespondent, type ItemKey } from "../stats/mrat.js"

/**
 * Human baselines from individual-level data (`valuesim baseline derive`). Pure: numbers in, numbers out; the
 * mapping file and the data file are read and checked in `config/DerivationFile.ts`.
 *
 * Scoring (DESIGN.md "Metrics"), per person:
 * - items: an item answer x becomes `min + max − x` when `recode` is given (instruments coded 1 = "very much like
 *   me"); raw[v] = mean of the person's available items of value v; MRAT = mean of all the person's available
 *   value items; centered[v] = raw[v] − MRAT (`stats/mrat.ts` `scoreRespondent`);
 * - scores (not centered): each value has one column, raw[v] = that score (recoded as above if asked), MRAT =
 *   mean of the person's available value scores, centered[v] = raw[v] − MRAT;
 * - scores already person-centered (`centeredInput`): centered = raw = the given scores; no MRAT is taken and no
 *   raw correlations exist.
 *
 * Missing-data policy:
 * - a missing cell (NaN) is skipped: it counts in neither its value mean nor the MRAT; a value with no available
 *   item has raw and centered NaN for that person; a person with no value item at all is left out of everything;
 * - correlations (value × value, value × behaviour) use pairwise deletion: each entry uses the persons who have
 *   both scores (`stats/correlation.ts`), so entries may rest on different persons;
 * - the hierarchy averages each value over the persons who have that value's score;
 * - dominant-value shares count only persons who have all value scores (a missing value could be the highest);
 *   `dominant.excluded` says how many were left out;
 * - a behaviour given by several columns is the mean of the person's available columns; NaN when none is.
 */

/** Tie tolerance for the dominant value: |a − b| ≤ 1e-9 · max(1, |a|, |b|) counts as a tie (see {@link dominantValues}). */
export const TIE_TOLERANCE = 1e-9

export interface DerivationInput {
  readonly format: "items" | "scores"
  /** Scores already person-centered by whoever computed them (format scores only). */
  readonly centeredInput: boolean
  /** The values, in output order. */
  readonly values: ReadonlyArray<Value10>
  /** For each data column, the index in `values` of the value it measures (format scores: one column per value). */
  readonly columnValue: ReadonlyArray<number>
  /** One array per person, one entry per data column; NaN = missing. */
  readonly rows: ReadonlyArray<ArrayLike<number>>
  /** `importance = min + max − x` for every value cell; cells must lie in [min, max]. */
  readonly recode: { readonly min: number; readonly max: number } | null
  /** Behaviour keys, in output order (empty: no value × behaviour correlations). */
  readonly behaviours: ReadonlyArray<string>
  /** For each behaviour column, the index in `behaviours` of the key it belongs to. */
  readonly columnBehaviour: ReadonlyArray<number>
  /** One array per person (same persons as `rows`), one entry per behaviour column; NaN = missing. */
  readonly behaviourRows: ReadonlyArray<ArrayLike<number>>
}

export interface DominantShares {
  /** Persons with all value scores: the denominator of the shares. */
  readonly n: number
  /** Persons left out because at least one value score is missing. */
  readonly excluded: number
  /** shares[v] = persons whose only highest value is v, divided by n (NaN when n = 0). */
  readonly shares: ReadonlyArray<number>
  /** Persons whose highest score is shared by two or more values (ties), divided by n. */
  readonly noDominant: number
}

export interface DerivedBaseline {
  readonly values: ReadonlyArray<Value10>
  /** Persons in the data (rows). */
  readonly persons: number
  /** Persons with at least one value score. */
  readonly scored: number
  /** raw[v][p]: person p's raw score on value v (NaN if missing). With centered input, the given scores. */
  readonly raw: ReadonlyArray<Float64Array>
  /** centered[v][p] = raw − MRAT (or the given scores with centered input). */
  readonly centered: ReadonlyArray<Float64Array>
  /** Pearson r of centered scores, pairwise deletion; NaN where undefined (constant scores or < 2 pairs). */
  readonly corrCentered: ReadonlyArray<ReadonlyArray<number>>
  /** Pearson r of raw scores; null with centered input. */
  readonly corrRaw: ReadonlyArray<ReadonlyArray<number>> | null
  /** The smallest number of persons behind one entry of the value correlation matrices. */
  readonly minPairN: number
  /** Mean centered score per value (the value hierarchy). */
  readonly hierarchy: ReadonlyArray<number>
  readonly dominant: DominantShares
  /** Behaviour scores per key and person (mean of the available columns). */
  readonly behaviourScores: ReadonlyArray<Float64Array>
  /** Pearson r of centered value scores (rows) × behaviour scores (columns), pairwise deletion; NaN where undefined. */
  readonly valueBehaviour: ReadonlyArray<ReadonlyArray<number>>
}

const isTie = (a: number, b: number): boolean => Math.abs(a - b) <= TIE_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b))

/**
 * The values tied for a person's highest score: the indexes of the scores within the tie tolerance of the maximum.
 * A person has a single dominant value only when exactly one index comes back (Witte, Stanciu & Boehnke 2020
 * classify people by their highest value; any tie counts as "no single dominant value").
 *
 * Scores equal in exact arithmetic can differ in their last bits once someone has centered them in floating point
 * (the Value Portrait scores do, e.g. 1.8571428571428572 vs 1.857142857142857 for 13/7), so scores within
 * {@link TIE_TOLERANCE} relative of each other are tied. Item means of integer answers are never that close
 * unless equal.
 *
 * Preconditions: no NaN in `scores` (callers exclude persons with a missing value score).
 *
 * @example
 * dominantValues([4, 5.5, 5.5, 3]) // [1, 2]: a tie, no single dominant value
 * dominantValues([4, 5.5, 5, 3]) // [1]
 */
export const dominantValues = (scores: ArrayLike<number>): Array<number> => {
  let max = -Infinity
  for (let i = 0; i < scores.length; i++) if ((scores[i] as number) > max) max = scores[i] as number
  const out: Array<number> = []
  for (let i = 0; i < scores.length; i++) if (isTie(scores[i] as number, max)) out.push(i)
  return out
}

/**
 * Dominant-value shares over persons: the share whose single highest score is each value, and the share with a
 * tie for the highest score. Persons with a missing (NaN) score on any value are excluded from the denominator.
 *
 * @param columns one array per value, one entry per person
 */
export const dominantShares = (columns: ReadonlyArray<ArrayLike<number>>): DominantShares => {
  const k = columns.length
  const persons = k === 0 ? 0 : (columns[0] as ArrayLike<number>).length
  const counts = new Array<number>(k).fill(0)
  let n = 0
  let ties = 0
  const scores = new Float64Array(k)
  for (let p = 0; p < persons; p++) {
    let complete = true
    for (let v = 0; v < k; v++) {
      const x = (columns[v] as ArrayLike<number>)[p] as number
      if (Number.isNaN(x)) complete = false
      scores[v] = x
    }
    if (!complete) continue
    n++
    const top = dominantValues(scores)
    if (top.length === 1) counts[top[0] as number]! += 1
    else ties++
  }
  return { n, excluded: persons - n, shares: counts.map((c) => c / n), noDominant: ties / n }
}

const present = (xs: ArrayLike<number>): Array<number> => {
  const out: Array<number> = []
  for (let i = 0; i < xs.length; i++) if (!Number.isNaN(xs[i] as number)) out.push(xs[i] as number)
  return out
}

/** Scale bounds for `scoreRespondent` when nothing is recoded: the data's own range (any range contains it). */
const dataRange = (rows: ReadonlyArray<ArrayLike<number>>): [number, number] => {
  let lo = Infinity
  let hi = -Infinity
  for (const r of rows) {
    for (let j = 0; j < r.length; j++) {
      const x = r[j] as number
      if (x < lo) lo = x
      if (x > hi) hi = x
    }
  }
  if (!Number.isFinite(lo)) return [0, 1]
  return [lo, hi > lo ? hi : lo + 1]
}

/**
 * Derives value correlations (centered and raw), the value hierarchy, dominant-value shares and value × behaviour
 * correlations from individual-level data; scoring and the missing-data policy are in the module comment.
 *
 * Preconditions: `columnValue` has one entry per data column, each an index into `values`, and every value has at
 * least one column (format scores: exactly one); every row has `columnValue.length` entries; with `recode`, every
 * non-missing value cell lies in [min, max]; `behaviourRows` has one row per person with `columnBehaviour.length`
 * entries; `centeredInput` only with format scores.
 *
 * @throws {RangeError} when a precondition is violated (the mapping and the cells are checked before this runs).
 */
export const deriveBaseline = (input: DerivationInput): DerivedBaseline => {
  const k = input.values.length
  const nCols = input.columnValue.length
  const persons = input.rows.length
  if (input.centeredInput && input.format !== "scores") throw new RangeError("deriveBaseline: centeredInput needs format scores")
  const perValue = new Array<number>(k).fill(0)
  for (const v of input.columnValue) {
    if (!Number.isInteger(v) || v < 0 || v >= k) throw new RangeError(`deriveBaseline: column value index ${v} outside 0…${k - 1}`)
    perValue[v]! += 1
  }
  perValue.forEach((c, v) => {
    if (c === 0 || (input.format === "scores" && c !== 1)) {
      throw new RangeError(`deriveBaseline: value ${input.values[v]} has ${c} columns`)
    }
  })
  if (input.behaviourRows.length !== persons) {
    throw new RangeError(`deriveBaseline: ${input.behaviourRows.length} behaviour rows for ${persons} persons`)
  }

  const raw = Array.from({ length: k }, () => new Float64Array(persons).fill(NaN))
  const centered = Array.from({ length: k }, () => new Float64Array(persons).fill(NaN))
  const keys: Array<ItemKey> = input.columnValue.map((subscale) => ({ subscale, reverse: input.recode !== null }))
  const [lo, hi] = input.recode === null ? dataRange(input.rows) : [input.recode.min, input.recode.max]
  let scored = 0
  input.rows.forEach((row, p) => {
    if (row.length !== nCols) throw new RangeError(`deriveBaseline: row ${p} has ${row.length} cells, expected ${nCols}`)
    if (input.centeredInput) {
      let any = false
      for (let j = 0; j < nCols; j++) {
        const x = row[j] as number
        const v = input.columnValue[j] as number
        raw[v]![p] = x
        centered[v]![p] = x
        if (!Number.isNaN(x)) any = true
      }
      if (any) scored++
      return
    }
    const s = scoreRespondent(row, keys, k, lo, hi)
    if (!Number.isNaN(s.mrat)) scored++
    for (let v = 0; v < k; v++) {
      raw[v]![p] = s.raw[v] as number
      centered[v]![p] = s.centered[v] as number
    }
  })

  let minPairN = persons
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let n = 0
      for (let p = 0; p < persons; p++) if (!Number.isNaN(centered[a]![p]!) && !Number.isNaN(centered[b]![p]!)) n++
      if (n < minPairN) minPairN = n
    }
  }

  const nb = input.behaviours.length
  const behaviourScores = Array.from({ length: nb }, () => new Float64Array(persons).fill(NaN))
  input.columnBehaviour.forEach((b) => {
    if (!Number.isInteger(b) || b < 0 || b >= nb) throw new RangeError(`deriveBaseline: column behaviour index ${b} outside 0…${nb - 1}`)
  })
  input.behaviourRows.forEach((row, p) => {
    for (let b = 0; b < nb; b++) {
      const cells: Array<number> = []
      for (let j = 0; j < input.columnBehaviour.length; j++) if (input.columnBehaviour[j] === b) cells.push(row[j] as number)
      const avail = present(cells)
      behaviourScores[b]![p] = avail.length > 0 ? mean(avail) : NaN
    }
  })

  return {
    values: input.values,
    persons,
    scored,
    raw,
    centered,
    corrCentered: correlationMatrix(centered),
    corrRaw: input.centeredInput ? null : correlationMatrix(raw),
    minPairN,
    hierarchy: centered.map((c) => mean(present(c))),
    dominant: dominantShares(raw),
    behaviourScores,
    valueBehaviour: nb === 0 ? centered.map(() => []) : crossCorrelation(centered, behaviourScores)
  }
}
