/**
 * Correlation coefficients. Pure.
 *
 * Missing-data policy: none is applied here; NaN propagates. Callers drop incomplete pairs first.
 */

/**
 * Pearson's product-moment correlation of paired samples x and y,
 *   r = Σ (xᵢ − x̄)(yᵢ − ȳ) / √(Σ (xᵢ − x̄)² · Σ (yᵢ − ȳ)²),
 * by two passes (means, then centred sums), clamped to [−1, 1] against rounding. Matches R's `cor(x, y)` and
 * `scipy.stats.pearsonr(x, y).statistic`.
 *
 * Reference: https://en.wikipedia.org/wiki/Pearson_correlation_coefficient
 *
 * Preconditions: x and y have the same length.
 *
 * @returns NaN when n < 2 or when either sample is constant (zero variance: r is undefined).
 * @throws {RangeError} if the lengths differ.
 * @example
 * pearson([1, 2, 3, 4], [2, 4, 6, 8]) // 1
 * pearson([1, 2, 3], [5, 5, 5]) // NaN
 */
export const pearson = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
  const n = x.length
  if (y.length !== n) throw new RangeError(`pearson: x and y must have the same length (${n} vs ${y.length})`)
  if (n < 2) return NaN
  // Constancy is tested on the raw values: a constant sample whose computed mean is off by one ulp would
  // otherwise leave tiny non-zero residuals and a meaningless r.
  const x0 = x[0] as number
  const y0 = y[0] as number
  let xConstant = true
  let yConstant = true
  let sx = 0
  let sy = 0
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number
    const yi = y[i] as number
    if (xi !== x0) xConstant = false
    if (yi !== y0) yConstant = false
    sx += xi
    sy += yi
  }
  if (xConstant || yConstant) return NaN
  const mx = sx / n
  const my = sy / n
  let sxx = 0
  let syy = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx
    const dy = (y[i] as number) - my
    sxx += dx * dx
    syy += dy * dy
    sxy += dx * dy
  }
  if (sxx === 0 || syy === 0) return NaN
  const r = sxy / Math.sqrt(sxx * syy)
  return r > 1 ? 1 : r < -1 ? -1 : r
}
