/**
 * Descriptive statistics over plain numeric arrays. Pure.
 *
 * Missing-data policy: none is applied here. NaN propagates (a NaN input gives a NaN result), as in plain
 * arithmetic; callers filter missing values first. Empty input gives NaN, not an error.
 */

/**
 * The arithmetic mean, x̄ = (Σ xᵢ) / n, computed in two passes (a first mean, then the mean residual added
 * back) so that large common offsets lose less precision.
 *
 * Reference: https://en.wikipedia.org/wiki/Arithmetic_mean
 *
 * @returns NaN for an empty array.
 * @example
 * mean([1, 2, 3, 4]) // 2.5
 */
export const mean = (xs: ArrayLike<number>): number => {
  const n = xs.length
  if (n === 0) return NaN
  let sum = 0
  for (let i = 0; i < n; i++) sum += xs[i] as number
  const first = sum / n
  let residual = 0
  for (let i = 0; i < n; i++) residual += (xs[i] as number) - first
  return first + residual / n
}

/**
 * The sample standard deviation with Bessel's correction, s = √(Σ (xᵢ − x̄)² / (n − 1)), by the two-pass
 * (corrected) algorithm. Matches R's `sd()` and NumPy's `np.std(x, ddof=1)`.
 *
 * Reference: https://en.wikipedia.org/wiki/Standard_deviation#Corrected_sample_standard_deviation;
 * Chan, Golub & LeVeque (1983) for the two-pass form.
 *
 * @returns NaN when n < 2.
 * @example
 * sampleSd([2, 4, 4, 4, 5, 5, 7, 9]) // 2.138089935299395 (R: sd(c(2,4,4,4,5,5,7,9)))
 */
export const sampleSd = (xs: ArrayLike<number>): number => {
  const n = xs.length
  if (n < 2) return NaN
  const m = mean(xs)
  let ss = 0
  let compensation = 0
  for (let i = 0; i < n; i++) {
    const d = (xs[i] as number) - m
    ss += d * d
    compensation += d
  }
  return Math.sqrt((ss - (compensation * compensation) / n) / (n - 1))
}
