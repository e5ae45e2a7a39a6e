/**
 * Internal-consistency reliability of a multi-item scale. Pure.
 */

/**
 * Cronbach's α of k items (given as columns, one array per item, one entry per respondent):
 *   α = k / (k − 1) · (1 − Σᵢ s²ᵢ / s²_total),
 * where s²ᵢ is the sample variance of item i and s²_total that of the respondents' item sums (both with the
 * n − 1 denominator; the choice cancels). Reverse-keyed items must be reversed first.
 *
 * Missing-data policy: **listwise deletion**. A respondent with NaN on any item is dropped from every term, so
 * all variances rest on the same respondents: the textbook formula on complete cases. (R's `psych::alpha`
 * defaults to pairwise covariances instead, so the two differ when answers are missing.)
 *
 * Reference: Cronbach (1951), Psychometrika 16, 297–334; https://en.wikipedia.org/wiki/Cronbach%27s_alpha
 *
 * Preconditions: all item columns have the same length.
 *
 * @returns NaN when there are fewer than two items, fewer than two complete respondents, or the sums are
 * constant (s²_total = 0). α can be negative when items correlate negatively on average.
 * @throws {RangeError} if the item columns differ in length.
 * @example
 * cronbachAlpha([[1, 2, 3, 4], [2, 3, 3, 5], [1, 3, 4, 4]]) // 0.9473684210526315 (= 18/19)
 */
export const cronbachAlpha = (items: ReadonlyArray<ArrayLike<number>>): number => {
  const k = items.length
  if (k === 0) return NaN
  const n = (items[0] as ArrayLike<number>).length
  items.forEach((item, i) => {
    if (item.length !== n) throw new RangeError(`cronbachAlpha: item ${i} has ${item.length} answers, expected ${n}`)
  })
  if (k < 2) return NaN
  const complete: Array<number> = []
  for (let r = 0; r < n; r++) {
    if (items.every((item) => !Number.isNaN(item[r] as number))) complete.push(r)
  }
  const m = complete.length
  if (m < 2) return NaN
  const variance = (value: (r: number) => number): number => {
    let s = 0
    for (const r of complete) s += value(r)
    const mean = s / m
    let ss = 0
    for (const r of complete) {
      const d = value(r) - mean
      ss += d * d
    }
    return ss / (m - 1)
  }
  let itemVariances = 0
  for (const item of items) itemVariances += variance((r) => item[r] as number)
  const totalVariance = variance((r) => {
    let s = 0
    for (const item of items) s += item[r] as number
    return s
  })
  if (totalVariance === 0) return NaN
  return (k / (k - 1)) * (1 - itemVariances / totalVariance)
}

/** A streaming form of {@link cronbachAlpha}: feed respondents one at a time, read α at the end. */
export interface AlphaAccumulator {
  /** Adds one respondent's k item scores (reverse keying already applied); a row with any NaN is skipped. */
  readonly add: (row: ArrayLike<number>) => void
  /** Complete respondents added so far. */
  readonly count: () => number
  /** α over the complete respondents added so far; NaN in the same cases as {@link cronbachAlpha}. */
  readonly alpha: () => number
}

/**
 * Cronbach's α in one pass and O(k) memory, for scales answered by millions of respondents: the same formula
 * and the same listwise-deletion policy as {@link cronbachAlpha}, from running sums of each item, of the
 * respondents' item sums, and of their squares. Every value is shifted by the first complete respondent's
 * answers before it is summed, which keeps the sums small and the variances accurate (the shift does not change
 * a variance).
 *
 * Reference: Cronbach (1951); the shifted-data variance algorithm, Chan, Golub & LeVeque (1983), "Algorithms for
 * computing the sample variance", The American Statistician 37(3).
 *
 * Preconditions: k ≥ 1; every row has k entries.
 *
 * @example
 * const acc = alphaAccumulator(3)
 * for (const row of [[1, 2, 1], [2, 3, 3], [3, 3, 4], [4, 5, 4]]) acc.add(row)
 * acc.alpha() // 0.9473684210526315, as cronbachAlpha on the same items
 */
export const alphaAccumulator = (k: number): AlphaAccumulator => {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`alphaAccumulator: k must be a positive integer, got ${k}`)
  const shift = new Float64Array(k)
  const sums = new Float64Array(k)
  const squares = new Float64Array(k)
  let totalSum = 0
  let totalSquare = 0
  let m = 0
  const add = (row: ArrayLike<number>): void => {
    if (row.length !== k) throw new RangeError(`alphaAccumulator: a row has ${row.length} items, expected ${k}`)
    for (let i = 0; i < k; i++) if (Number.isNaN(row[i] as number)) return
    if (m === 0) {
      for (let i = 0; i < k; i++) {
        shift[i] = row[i] as number
      }
    }
    let total = 0
    for (let i = 0; i < k; i++) {
      const d = (row[i] as number) - (shift[i] as number)
      sums[i] = (sums[i] as number) + d
      squares[i] = (squares[i] as number) + d * d
      total += d
    }
    totalSum += total
    totalSquare += total * total
    m++
  }
  const alpha = (): number => {
    if (k < 2 || m < 2) return NaN
    let itemVariances = 0
    for (let i = 0; i < k; i++) itemVariances += ((squares[i] as number) - (sums[i] as number) ** 2 / m) / (m - 1)
    const totalVariance = (totalSquare - totalSum ** 2 / m) / (m - 1)
    if (!(totalVariance > 0)) return NaN
    return (k / (k - 1)) * (1 - itemVariances / totalVariance)
  }
  return { add, count: () => m, alpha }
}
