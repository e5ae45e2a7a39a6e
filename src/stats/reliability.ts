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
