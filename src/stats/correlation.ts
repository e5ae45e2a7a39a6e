/**
 * Correlation coefficients. Pure.
 *
 * Missing-data policy: the two-sample coefficients (`pearson`, `spearman`) apply none: NaN propagates, so callers
 * drop incomplete pairs first. The matrix functions (`correlationMatrix`, `crossCorrelation`) apply pairwise
 * deletion of NaN: each entry uses the rows where both of its variables are present.
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

/** The correlation coefficient used by {@link correlationMatrix} and {@link crossCorrelation}. */
export type CorrelationMethod = "pearson" | "spearman"

/**
 * Ranks of a sample, 1-based, with ties given the average of the ranks they span ("fractional" or "average"
 * ranking): rank(xᵢ) = #{j : xⱼ < xᵢ} + (#{j : xⱼ = xᵢ} + 1) / 2. Matches `scipy.stats.rankdata(x)` (method
 * "average") and R's `rank(x)`.
 *
 * Reference: https://en.wikipedia.org/wiki/Ranking#Fractional_ranking_(%221_2.5_2.5_4%22_ranking)
 *
 * Missing data: a NaN gets rank NaN and the other values are ranked among themselves (pandas' `na_option="keep"`).
 *
 * @example
 * rank([10, 20, 20, 5]) // Float64Array [2, 3.5, 3.5, 1]
 */
export const rank = (xs: ArrayLike<number>): Float64Array => {
  const n = xs.length
  const out = new Float64Array(n).fill(NaN)
  const order: Array<number> = []
  for (let i = 0; i < n; i++) if (!Number.isNaN(xs[i] as number)) order.push(i)
  order.sort((a, b) => {
    const xa = xs[a] as number
    const xb = xs[b] as number
    return xa < xb ? -1 : xa > xb ? 1 : 0
  })
  let start = 0
  while (start < order.length) {
    const v = xs[order[start] as number] as number
    let end = start + 1
    while (end < order.length && xs[order[end] as number] === v) end++
    // Positions start…end−1 (0-based) hold ranks start+1…end; their average is (start + 1 + end) / 2.
    const r = (start + 1 + end) / 2
    for (let k = start; k < end; k++) out[order[k] as number] = r
    start = end
  }
  return out
}

/**
 * Spearman's rank correlation: the Pearson correlation of the ranks, ρ = pearson(rank(x), rank(y)), with
 * average ranks for ties (so it is the tie-corrected ρ, not the 1 − 6Σd²/(n(n²−1)) shortcut). Matches
 * `scipy.stats.spearmanr(x, y).statistic` and R's `cor(x, y, method = "spearman")`.
 *
 * Reference: https://en.wikipedia.org/wiki/Spearman%27s_rank_correlation_coefficient
 *
 * Preconditions: x and y have the same length.
 *
 * @returns NaN when n < 2, when either sample is constant, or when any value is NaN (NaN propagates, as in
 * {@link pearson}; use {@link correlationMatrix} for pairwise deletion).
 * @throws {RangeError} if the lengths differ.
 * @example
 * spearman([1, 2, 3, 4], [1, 4, 9, 16]) // 1
 * spearman([1, 2, 2, 3], [3, 1, 2, 0]) // −0.9486832980505139 (scipy.stats.spearmanr)
 */
export const spearman = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
  const n = x.length
  if (y.length !== n) throw new RangeError(`spearman: x and y must have the same length (${n} vs ${y.length})`)
  for (let i = 0; i < n; i++) if (Number.isNaN(x[i] as number) || Number.isNaN(y[i] as number)) return NaN
  return pearson(rank(x), rank(y))
}

const correlate = (x: ArrayLike<number>, y: ArrayLike<number>, method: CorrelationMethod): number =>
  method === "spearman" ? spearman(x, y) : pearson(x, y)

const hasNaN = (xs: ArrayLike<number>): boolean => {
  for (let i = 0; i < xs.length; i++) if (Number.isNaN(xs[i] as number)) return true
  return false
}

/** The correlation of x and y over the rows where both are non-NaN (pairwise deletion). */
const pairwiseCorrelation = (x: ArrayLike<number>, y: ArrayLike<number>, method: CorrelationMethod): number => {
  if (!hasNaN(x) && !hasNaN(y)) return correlate(x, y, method)
  const xs: Array<number> = []
  const ys: Array<number> = []
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number
    const yi = y[i] as number
    if (!Number.isNaN(xi) && !Number.isNaN(yi)) {
      xs.push(xi)
      ys.push(yi)
    }
  }
  return correlate(xs, ys, method)
}

const checkColumns = (name: string, columns: ReadonlyArray<ArrayLike<number>>, n: number): void => {
  columns.forEach((c, j) => {
    if (c.length !== n) throw new RangeError(`${name}: column ${j} has ${c.length} rows, expected ${n}`)
  })
}

const checkMethod = (name: string, method: string): void => {
  if (method !== "pearson" && method !== "spearman") {
    throw new RangeError(`${name}: unknown method "${method}" (expected "pearson" or "spearman")`)
  }
}

/**
 * The p × p correlation matrix of p variables given as columns (one array per variable, one entry per
 * respondent): C[j][k] = corr(columns[j], columns[k]), Pearson by default or Spearman. This is C⁽ⱽ⁾ of paper 000
 * §5.3 when the columns are centred value scores.
 *
 * Missing-data policy: **pairwise deletion**. NaN marks a missing value; each entry C[j][k] uses the rows where
 * both column j and column k are non-NaN (R's `use = "pairwise.complete.obs"`, pandas' `DataFrame.corr`). For
 * Spearman the ranks are taken within those rows. Different entries may therefore rest on different rows, and
 * the matrix need not be positive semi-definite when data are missing.
 *
 * The diagonal is exactly 1 for a column with at least two non-NaN values that are not all equal, NaN otherwise.
 * An off-diagonal entry is NaN when fewer than two complete pairs remain or either column is constant on them.
 *
 * Reference: https://en.wikipedia.org/wiki/Correlation#Correlation_matrices
 *
 * Preconditions: all columns have the same length; `method` is "pearson" or "spearman".
 *
 * @throws {RangeError} if the column lengths differ or the method is unknown.
 * @example
 * correlationMatrix([[1, 2, 3, 4], [2, 4, 6, 9], [4, 3, 2, 1]])
 * // [[1, 0.99437…, −1], [0.99437…, 1, −0.99437…], [−1, −0.99437…, 1]]
 * correlationMatrix([[1, 2, NaN, 4], [1, 3, 5, 4]]) // r over rows 0, 1, 3
 */
export const correlationMatrix = (
  columns: ReadonlyArray<ArrayLike<number>>,
  method: CorrelationMethod = "pearson"
): Array<Array<number>> => {
  checkMethod("correlationMatrix", method)
  const p = columns.length
  if (p === 0) return []
  checkColumns("correlationMatrix", columns, (columns[0] as ArrayLike<number>).length)
  const out: Array<Array<number>> = Array.from({ length: p }, () => new Array<number>(p).fill(NaN))
  for (let j = 0; j < p; j++) {
    const cj = columns[j] as ArrayLike<number>
    const row = out[j] as Array<number>
    row[j] = Number.isNaN(pairwiseCorrelation(cj, cj, "pearson")) ? NaN : 1
    for (let k = j + 1; k < p; k++) {
      const r = pairwiseCorrelation(cj, columns[k] as ArrayLike<number>, method)
      const mirror = out[k] as Array<number>
      row[k] = r
      mirror[j] = r
    }
  }
  return out
}

/**
 * The p × p Pearson correlation matrix of complete data stored row-major (`data[i·p + j]` is variable j of
 * respondent i), over the respondents listed in `rows` (a row may repeat, as in a bootstrap resample). Equal to
 * `correlationMatrix` of the gathered columns (to rounding) but without gathering them or handling missing data:
 * two passes over the selected rows (means, then the centred co-moments of all pairs at once), so a resample of
 * 500 × 10 costs a tenth of the column-wise version. The live dashboard bootstraps S_V with it.
 *
 * Missing-data policy: none; the data must be complete (no NaN), as the live accumulator's reservoir is.
 * A column that is constant over the rows has NaN in its row and column, diagonal included, as in
 * `correlationMatrix`; all NaN when fewer than two rows are listed.
 *
 * Preconditions: `data.length` is a multiple of p; every entry of `rows` indexes a respondent in `data`.
 *
 * @throws {RangeError} if p is not a positive integer or a row index is out of range.
 * @example
 * correlationOfRows([1, 2, 2, 4, 3, 7], 2, [0, 1, 2]) // [[1, 0.9934…], [0.9934…, 1]]
 */
export const correlationOfRows = (data: ArrayLike<number>, p: number, rows: ArrayLike<number>): Array<Array<number>> => {
  if (!Number.isInteger(p) || p < 1) throw new RangeError(`correlationOfRows: p must be a positive integer, got ${p}`)
  const count = Math.floor(data.length / p)
  const n = rows.length
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number
    if (!Number.isInteger(r) || r < 0 || r >= count) throw new RangeError(`correlationOfRows: row ${r} is outside 0..${count - 1}`)
  }
  const out: Array<Array<number>> = Array.from({ length: p }, () => new Array<number>(p).fill(NaN))
  if (n < 2) return out
  const mean = new Float64Array(p)
  const constant = new Uint8Array(p).fill(1)
  const first = (rows[0] as number) * p
  for (let i = 0; i < n; i++) {
    const base = (rows[i] as number) * p
    for (let j = 0; j < p; j++) {
      const x = data[base + j] as number
      mean[j] = (mean[j] as number) + x
      if (x !== data[first + j]) constant[j] = 0
    }
  }
  for (let j = 0; j < p; j++) mean[j] = (mean[j] as number) / n
  const m = new Float64Array(p * p)
  const d = new Float64Array(p)
  for (let i = 0; i < n; i++) {
    const base = (rows[i] as number) * p
    for (let j = 0; j < p; j++) d[j] = (data[base + j] as number) - (mean[j] as number)
    for (let j = 0; j < p; j++) {
      const dj = d[j] as number
      for (let k = j; k < p; k++) m[j * p + k] = (m[j * p + k] as number) + dj * (d[k] as number)
    }
  }
  for (let j = 0; j < p; j++) {
    const mjj = m[j * p + j] as number
    if (constant[j] === 1 || !(mjj > 0)) continue
    const row = out[j] as Array<number>
    row[j] = 1
    for (let k = j + 1; k < p; k++) {
      const mkk = m[k * p + k] as number
      if (constant[k] === 1 || !(mkk > 0)) continue
      const raw = (m[j * p + k] as number) / Math.sqrt(mjj * mkk)
      const r = raw > 1 ? 1 : raw < -1 ? -1 : raw
      row[k] = r
      ;(out[k] as Array<number>)[j] = r
    }
  }
  return out
}

/**
 * The cross-correlation matrix of two sets of variables measured on the same respondents:
 * C[i][j] = corr(a[i], b[j]), rows indexed by the variables of `a`, columns by those of `b` — the value ×
 * behaviour matrix C of paper 000 §5.3 (a = the 10 value columns, b = the B behaviour columns).
 *
 * Missing-data policy: pairwise deletion of NaN, exactly as in {@link correlationMatrix}: each entry uses the
 * rows where both variables are non-NaN. An entry is NaN when fewer than two complete pairs remain or either
 * variable is constant on them.
 *
 * Reference: paper 000 (seed 000_1c83bdc581a620a9) §5.3, "Behavior Similarity".
 *
 * Preconditions: every column of `a` and of `b` has the same length (the number of respondents); `method` is
 * "pearson" or "spearman".
 *
 * @throws {RangeError} if the column lengths differ or the method is unknown.
 * @example
 * crossCorrelation([[1, 2, 3], [3, 1, 2]], [[2, 4, 6]]) // [[1], [−0.5]]
 */
export const crossCorrelation = (
  a: ReadonlyArray<ArrayLike<number>>,
  b: ReadonlyArray<ArrayLike<number>>,
  method: CorrelationMethod = "pearson"
): Array<Array<number>> => {
  checkMethod("crossCorrelation", method)
  const first = a[0] ?? b[0]
  if (first !== undefined) {
    checkColumns("crossCorrelation", a, first.length)
    checkColumns("crossCorrelation", b, first.length)
  }
  return a.map((x) => b.map((y) => pairwiseCorrelation(x, y, method)))
}
