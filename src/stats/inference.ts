/**
 * Significance testing for the alignment scores (paper 000 appendix G, DESIGN.md "Metrics"): bootstrap
 * iterations, the one-sample t-test with its Student t distribution, percentile confidence intervals and the
 * Benjamini–Hochberg FDR adjustment. Pure: randomness comes in as an `rng` parameter.
 */
import { mean, sampleSd } from "./descriptive.js"

/**
 * Runs a bootstrap: `iterations` times, draws `sampleSize` row indices uniformly **with replacement** from
 * 0…n−1 (`Math.floor(rng() · n)`, one `rng()` call per index, in order) and records `statistic(indices)`.
 * Paper 000 appendix G uses 100 iterations of 500 respondents and computes S_V or S_B on each resample; the
 * statistic is where the caller recomputes the correlation matrices from the chosen rows.
 *
 * Each call of `statistic` gets a fresh `Int32Array` (it may keep it). The same `rng` state gives the same
 * iterations, so a seeded stream (src/sampling/rng.ts) makes the bootstrap replayable.
 *
 * Reference: Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 6; paper 000 (seed
 * 000_1c83bdc581a620a9) appendix G.
 *
 * Preconditions: n, iterations and sampleSize are positive integers; `rng` returns numbers in [0, 1).
 *
 * @throws {RangeError} when a count is not a positive integer.
 * @example
 * bootstrapIterations(1441, 100, 500, stream(7, "bootstrap"), (rows) => sv(rows)) // Float64Array(100)
 * bootstrapIterations(3, 2, 2, () => 0.5, (rows) => rows[0]!) // Float64Array [1, 1]
 */
export const bootstrapIterations = (
  n: number,
  iterations: number,
  sampleSize: number,
  rng: () => number,
  statistic: (indices: Int32Array) => number
): Float64Array => {
  for (const [name, v] of [["n", n], ["iterations", iterations], ["sampleSize", sampleSize]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`bootstrapIterations: ${name} must be a positive integer, got ${v}`)
    }
  }
  const out = new Float64Array(iterations)
  for (let it = 0; it < iterations; it++) {
    const indices = new Int32Array(sampleSize)
    for (let i = 0; i < sampleSize; i++) {
      const j = Math.floor(rng() * n)
      // rng() should be < 1, but a source that returns 1 (or rounding in rng() · n) must not index past the end.
      indices[i] = j >= n ? n - 1 : j < 0 ? 0 : j
    }
    out[it] = statistic(indices)
  }
  return out
}

// Lanczos approximation (g = 7, n = 9; Godfrey's coefficients), |relative error| < 1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
]

/** ln Γ(x) by the Lanczos approximation (x > 0; reflection below ½). */
export const logGamma = (x: number): number => {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let a = LANCZOS[0] as number
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

/** The continued fraction for I_x(a, b) by the modified Lentz method (Numerical Recipes 3rd ed., §6.4 `betacf`). */
const betaContinuedFraction = (a: number, b: number, x: number): number => {
  const EPS = 1e-16
  const FPMIN = 1e-300
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < FPMIN) d = FPMIN
  d = 1 / d
  let h = d
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < FPMIN) d = FPMIN
    c = 1 + aa / c
    if (Math.abs(c) < FPMIN) c = FPMIN
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < FPMIN) d = FPMIN
    c = 1 + aa / c
    if (Math.abs(c) < FPMIN) c = FPMIN
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) <= EPS) break
  }
  return h
}

/** I_x(a, b) given both x and y = 1 − x, so that callers can pass a y that was computed without cancellation. */
const incompleteBeta = (x: number, y: number, a: number, b: number): number => {
  if (x <= 0) return 0
  if (y <= 0) return 1
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(y))
  // The continued fraction converges fast for x < (a + 1)/(a + b + 2); otherwise use I_x(a, b) = 1 − I_{1−x}(b, a).
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, y)) / b
}

/**
 * The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), by the continued fraction of
 * Numerical Recipes (3rd ed., §6.4) with the Lanczos log-gamma. Agrees with `scipy.special.betainc(a, b, x)` to
 * about 1e-13 relative for moderate a, b (see tests/fixtures/stats-reference.json).
 *
 * Reference: https://dlmf.nist.gov/8.17; Press et al. (2007), Numerical Recipes, §6.4.
 *
 * Preconditions: a > 0, b > 0, 0 ≤ x ≤ 1.
 *
 * @returns NaN if an argument is NaN.
 * @throws {RangeError} when a precondition is violated.
 * @example
 * regularizedIncompleteBeta(0.5, 2, 3) // 0.6875
 */
export const regularizedIncompleteBeta = (x: number, a: number, b: number): number => {
  if (Number.isNaN(x) || Number.isNaN(a) || Number.isNaN(b)) return NaN
  if (!(a > 0 && b > 0)) throw new RangeError(`regularizedIncompleteBeta: need a > 0 and b > 0, got a = ${a}, b = ${b}`)
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedIncompleteBeta: x must be in [0, 1], got ${x}`)
  return incompleteBeta(x, 1 - x, a, b)
}

/** P(|T| ≥ |t|) for T ~ Student t(df) = I_{df/(df+t²)}(df/2, ½), with 1 − x computed as t²/(df + t²). */
const twoSidedTail = (t: number, df: number): number => {
  if (!Number.isFinite(t)) return 0
  const t2 = t * t
  return incompleteBeta(df / (df + t2), t2 / (df + t2), df / 2, 0.5)
}

/**
 * The cumulative distribution function of Student's t distribution with df degrees of freedom,
 * F(t) = 1 − ½ I_{df/(df+t²)}(df/2, ½) for t ≥ 0 and ½ I_{df/(df+t²)}(df/2, ½) for t < 0. Agrees with
 * `scipy.stats.t.cdf(t, df)`.
 *
 * Reference: https://en.wikipedia.org/wiki/Student%27s_t-distribution#Cumulative_distribution_function
 *
 * Preconditions: df > 0 (need not be an integer).
 *
 * @returns NaN if t or df is NaN; 0 and 1 at −∞ and +∞.
 * @throws {RangeError} if df ≤ 0.
 * @example
 * studentTCdf(0, 5) // 0.5
 * studentTCdf(2.0150483733330233, 5) // 0.95 (scipy.stats.t.ppf(0.95, 5))
 */
export const studentTCdf = (t: number, df: number): number => {
  if (Number.isNaN(t) || Number.isNaN(df)) return NaN
  if (!(df > 0)) throw new RangeError(`studentTCdf: df must be > 0, got ${df}`)
  const tail = twoSidedTail(t, df) / 2
  return t < 0 ? tail : 1 - tail
}

/** The result of {@link oneSampleT}. */
export interface OneSampleT {
  /** t = (x̄ − μ₀) / (s / √n). */
  readonly t: number
  /** Degrees of freedom, n − 1. */
  readonly df: number
  /** Two-sided p-value, P(|T| ≥ |t|) under H₀: mean = μ₀. */
  readonly p: number
  /** The sample mean x̄. */
  readonly mean: number
}

/**
 * Student's one-sample t-test of H₀: E[x] = mu against the two-sided alternative: t = (x̄ − mu) / (s / √n) with the
 * sample standard deviation s (n − 1 denominator), df = n − 1, p = P(|T_df| ≥ |t|) = I_{df/(df+t²)}(df/2, ½).
 * Matches `scipy.stats.ttest_1samp(xs, mu)` (statistic, pvalue, df) and R's `t.test(xs, mu = mu)`. Paper 000
 * appendix G applies it to the 100 bootstrap values of a score against 0.
 *
 * Reference: https://en.wikipedia.org/wiki/Student%27s_t-test#One-sample_t-test; paper 000 (seed
 * 000_1c83bdc581a620a9) appendix G.
 *
 * Edge cases (as SciPy): n < 2 gives t = p = NaN (df = n − 1, or NaN when n = 0); a constant sample gives
 * t = ±Infinity and p = 0 when it differs from mu, t = p = NaN when it equals mu; any NaN gives NaN.
 *
 * @example
 * oneSampleT([0.71, 0.78, 0.74, 0.80, 0.69])
 * // { t: 36.0469…, df: 4, p: 3.5355…e−6, mean: 0.744 } (scipy.stats.ttest_1samp)
 */
export const oneSampleT = (xs: ArrayLike<number>, mu = 0): OneSampleT => {
  const n = xs.length
  const m = mean(xs)
  if (n < 2 || Number.isNaN(m) || Number.isNaN(mu)) return { t: NaN, df: n >= 1 ? n - 1 : NaN, p: NaN, mean: m }
  const df = n - 1
  let constant = true
  for (let i = 1; i < n && constant; i++) if (xs[i] !== xs[0]) constant = false
  const se = constant ? 0 : sampleSd(xs) / Math.sqrt(n)
  const t = (m - mu) / se
  return { t, df, p: Number.isNaN(t) ? NaN : twoSidedTail(t, df), mean: m }
}

/**
 * The quantile of a sample by linear interpolation between order statistics (Hyndman & Fan type 7), which is
 * NumPy's default (`numpy.quantile(xs, p)`, `numpy.percentile(xs, 100·p)`, method "linear") and R's default
 * `quantile(xs, p)`: with the sorted values x₍₀₎ ≤ … ≤ x₍ₙ₋₁₎, h = (n − 1)·p, the result is
 * x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌊h⌋+1₎ − x₍⌊h⌋₎). The interpolation is evaluated as NumPy's `_lerp` does, from the nearer end.
 *
 * Reference: Hyndman & Fan (1996), The American Statistician 50, 361–365.
 *
 * Preconditions: 0 ≤ p ≤ 1.
 *
 * @returns NaN for an empty sample or one containing NaN (NumPy propagates NaN too).
 * @throws {RangeError} if p is outside [0, 1].
 * @example
 * quantile([1, 2, 3, 4], 0.5) // 2.5
 * quantile([1, 2, 3, 4], 0.025) // 1.075
 */
export const quantile = (xs: ArrayLike<number>, p: number): number => {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`)
  const n = xs.length
  if (n === 0) return NaN
  const sorted = Float64Array.from(xs)
  for (const v of sorted) if (Number.isNaN(v)) return NaN
  sorted.sort()
  const h = (n - 1) * p
  const lo = Math.floor(h)
  const a = sorted[lo] as number
  const b = sorted[Math.min(lo + 1, n - 1)] as number
  const g = h - lo
  const diff = b - a
  return g >= 0.5 ? b - diff * (1 - g) : a + diff * g
}

/** A two-sided confidence interval. */
export interface ConfidenceInterval {
  readonly lower: number
  readonly upper: number
}

/**
 * The percentile confidence interval of a bootstrap distribution: the (1 − level)/2 and (1 + level)/2 quantiles
 * of the iteration values, by linear interpolation ({@link quantile}, NumPy's default), i.e. for level = 0.95
 * `numpy.percentile(xs, [2.5, 97.5])`. The quantile levels are formed in percent, (100 ∓ 100·level)/2, so that
 * common levels hit NumPy's q/100 exactly.
 *
 * Reference: Efron & Tibshirani (1993), An Introduction to the Bootstrap, §13.3.
 *
 * Preconditions: 0 < level < 1.
 *
 * @returns NaN bounds for an empty sample or one containing NaN.
 * @throws {RangeError} if level is outside (0, 1).
 * @example
 * percentileCi([1, 2, 3, 4]) // { lower: 1.075, upper: 3.925 }
 */
export const percentileCi = (xs: ArrayLike<number>, level = 0.95): ConfidenceInterval => {
  if (!(level > 0 && level < 1)) throw new RangeError(`percentileCi: level must be in (0, 1), got ${level}`)
  const pct = 100 * level
  return { lower: quantile(xs, (100 - pct) / 2 / 100), upper: quantile(xs, (100 + pct) / 2 / 100) }
}

/**
 * Benjamini–Hochberg adjusted p-values (false discovery rate): with the m p-values sorted ascending,
 * p̃₍ᵢ₎ = min(1, min_{j ≥ i} m·p₍ⱼ₎ / j), returned in the input order. Rejecting every hypothesis with
 * p̃ ≤ q controls the FDR at q under independence or positive dependence. Matches R's
 * `p.adjust(p, method = "BH")`, statsmodels' `multipletests(p, method = "fdr_bh")[1]` and
 * `scipy.stats.false_discovery_control(p, method = "bh")`.
 *
 * Missing-data policy (R's): a NaN p-value stays NaN and is not counted in m.
 *
 * Reference: Benjamini & Hochberg (1995), JRSS B 57, 289–300.
 *
 * Preconditions: every p-value is NaN or in [0, 1].
 *
 * @throws {RangeError} for a p-value outside [0, 1].
 * @example
 * benjaminiHochberg([0.01, 0.04, 0.03, 0.2]) // [0.04, 0.0533…, 0.0533…, 0.2]
 */
export const benjaminiHochberg = (pvalues: ArrayLike<number>): Array<number> => {
  const out = new Array<number>(pvalues.length).fill(NaN)
  const order: Array<number> = []
  for (let i = 0; i < pvalues.length; i++) {
    const p = pvalues[i] as number
    if (Number.isNaN(p)) continue
    if (!(p >= 0 && p <= 1)) throw new RangeError(`benjaminiHochberg: p-value ${i} is ${p}, outside [0, 1]`)
    order.push(i)
  }
  order.sort((a, b) => (pvalues[a] as number) - (pvalues[b] as number))
  const m = order.length
  let running = 1
  for (let k = m - 1; k >= 0; k--) {
    const i = order[k] as number
    running = Math.min(running, (pvalues[i] as number) * (m / (k + 1)))
    out[i] = running
  }
  return out
}

/**
 * Two-sided bootstrap p-value of a difference being 0, from paired bootstrap differences d_b (b = 1…B, each
 * the statistic of one condition minus that of the other on the same resample): the share of differences on
 * the less populated side of 0, doubled, with the +1 correction that keeps a finite number of resamples from
 * reporting p = 0: p = min(1, 2 · (1 + min(#{d ≤ 0}, #{d ≥ 0})) / (B + 1)). Non-finite differences are
 * dropped. Differences that are all exactly 0 give p = 1.
 *
 * Reference: Efron & Tibshirani (1993), An Introduction to the Bootstrap, §16.4 (bootstrap hypothesis tests);
 * Davison & Hinkley (1997), §4.4 on the (1 + count)/(B + 1) form.
 *
 * @returns p in (0, 1]; NaN when no difference is finite.
 * @example
 * bootstrapDifferenceP([0.1, 0.2, 0.3, -0.05]) // 2 · (1 + 1) / 5 = 0.8
 * bootstrapDifferenceP([0, 0, 0]) // 1
 */
export const bootstrapDifferenceP = (differences: ArrayLike<number>): number => {
  let below = 0
  let above = 0
  let n = 0
  for (let i = 0; i < differences.length; i++) {
    const d = differences[i] as number
    if (!Number.isFinite(d)) continue
    n++
    if (d <= 0) below++
    if (d >= 0) above++
  }
  if (n === 0) return NaN
  return Math.min(1, (2 * (1 + Math.min(below, above))) / (n + 1))
}

/**
 * Two-sided p-value of a correlation coefficient r over n pairs against ρ = 0, by the t approximation
 * t = r·√((n − 2)/(1 − r²)) with n − 2 degrees of freedom. For Spearman's ρ this is SciPy's
 * `scipy.stats.spearmanr` p-value (it uses the same approximation).
 *
 * Reference: https://en.wikipedia.org/wiki/Spearman%27s_rank_correlation_coefficient#Determining_significance
 *
 * @returns NaN when n < 3 or r is not finite; 0 when |r| = 1.
 * @example
 * correlationPValue(0.79, 10) // ≈ 0.0065
 */
export const correlationPValue = (r: number, n: number): number => {
  if (!(n >= 3) || !Number.isFinite(r)) return NaN
  if (Math.abs(r) >= 1) return 0
  const t = r * Math.sqrt((n - 2) / (1 - r * r))
  return twoSidedTail(t, n - 2)
}
