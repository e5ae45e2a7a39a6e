/**
 * Classical (Torgerson) multidimensional scaling, and its use on correlation matrices (the "spatial
 * representation" of a value structure, paper 000 §5.3, DESIGN.md "Metrics"). Pure.
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix"

/** A classical MDS solution. */
export interface MdsResult {
  /** n × dims point coordinates, one row per object, under the sign convention of {@link classicalMds}. */
  readonly coordinates: Array<Array<number>>
  /**
   * All n eigenvalues of the double-centred matrix B, in descending order. Negative ones mean D is not
   * Euclidean; Σ of the first `dims` over Σ |λ| is a common goodness-of-fit index.
   */
  readonly eigenvalues: Array<number>
}

/** Relative tolerance for symmetry and zero-diagonal checks, and for near-ties in the sign convention. */
const TOLERANCE = 1e-9

const checkSquare = (name: string, m: ReadonlyArray<ArrayLike<number>>): number => {
  const n = m.length
  if (n === 0) throw new RangeError(`${name}: the matrix is empty`)
  m.forEach((row, i) => {
    if (row.length !== n) throw new RangeError(`${name}: row ${i} has ${row.length} entries, expected ${n}`)
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(row[j] as number)) throw new RangeError(`${name}: entry [${i}][${j}] is ${row[j]}`)
    }
  })
  return n
}

/**
 * Classical (Torgerson–Gower) metric MDS of a distance matrix D:
 * 1. B = −½ J D⁽²⁾ J, with D⁽²⁾ the element-wise squared distances and J = I − 11ᵀ/n the centring matrix;
 * 2. the eigenpairs (λₖ, vₖ) of the symmetric B (ml-matrix `EigenvalueDecomposition`, `assumeSymmetric`), in
 *    descending order of λ;
 * 3. coordinates X[:, k] = vₖ · √max(λₖ, 0) for k < dims (a dimension with λₖ ≤ 0 collapses to 0).
 * When D is Euclidean, the distances between the rows of X (all n dimensions) reproduce D exactly.
 *
 * **Sign convention** (eigenvectors are defined only up to sign): in each dimension, the point with the largest
 * absolute coordinate gets a positive coordinate. Ties (within a relative 1e-9, so that rounding cannot flip
 * the choice) go to the first such point. With repeated eigenvalues the basis of that eigenspace is arbitrary
 * too; compare such solutions through their distances or after Procrustes alignment.
 *
 * Reference: Torgerson (1952), Psychometrika 17, 401–419; Gower (1966), Biometrika 53, 325–338; Borg & Groenen
 * (2005), Modern Multidimensional Scaling, ch. 12. Matches `cmdscale(d, k)` in R up to the sign of each dimension.
 *
 * Preconditions: D is a non-empty n × n matrix of finite numbers, symmetric and with a zero diagonal (both to
 * within a relative 1e-9; the symmetric part is used); dims is an integer in 1…n.
 *
 * @throws {RangeError} when a precondition is violated.
 * @example
 * // Three points on a line at 0, 3 and 4:
 * classicalMds([[0, 3, 4], [3, 0, 1], [4, 1, 0]], 1).coordinates
 * // [[2.333…], [−0.666…], [−1.666…]]: the centred positions −7/3, 2/3, 5/3, flipped so that the largest
 * // |coordinate| is positive
 */
export const classicalMds = (d: ReadonlyArray<ArrayLike<number>>, dims = 2): MdsResult => {
  const n = checkSquare("classicalMds", d)
  if (!Number.isInteger(dims) || dims < 1 || dims > n) {
    throw new RangeError(`classicalMds: dims must be an integer in 1…${n}, got ${dims}`)
  }
  let scale = 0
  for (const row of d) for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(row[j] as number))
  const tol = TOLERANCE * Math.max(1, scale)
  const sq = new Matrix(n, n)
  for (let i = 0; i < n; i++) {
    const di = d[i] as ArrayLike<number>
    if (Math.abs(di[i] as number) > tol) throw new RangeError(`classicalMds: diagonal entry [${i}][${i}] is ${di[i]}`)
    for (let j = 0; j < n; j++) {
      const a = di[j] as number
      const b = (d[j] as ArrayLike<number>)[i] as number
      if (Math.abs(a - b) > tol) throw new RangeError(`classicalMds: D is not symmetric at [${i}][${j}] (${a} vs ${b})`)
      const s = i === j ? 0 : (a + b) / 2
      sq.set(i, j, s * s)
    }
  }
  // Double centring: B_ij = −½ (D²_ij − rowMean_i − colMean_j + grandMean); D² is symmetric, so row = column means.
  const rowMeans = new Float64Array(n)
  let grand = 0
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < n; j++) s += sq.get(i, j)
    rowMeans[i] = s / n
    grand += s
  }
  grand /= n * n
  const b = new Matrix(n, n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      b.set(i, j, -0.5 * (sq.get(i, j) - (rowMeans[i] as number) - (rowMeans[j] as number) + grand))
    }
  }
  const evd = new EigenvalueDecomposition(b, { assumeSymmetric: true })
  const lambdas = evd.realEigenvalues
  const vectors = evd.eigenvectorMatrix
  const order = Array.from({ length: n }, (_, k) => k).sort((p, q) => (lambdas[q] as number) - (lambdas[p] as number))
  const coordinates = Array.from({ length: n }, () => new Array<number>(dims).fill(0))
  for (let k = 0; k < dims; k++) {
    const col = order[k] as number
    const factor = Math.sqrt(Math.max(lambdas[col] as number, 0))
    let maxAbs = 0
    for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(vectors.get(i, col)))
    let sign = 1
    for (let i = 0; i < n; i++) {
      const v = vectors.get(i, col)
      if (Math.abs(v) >= maxAbs * (1 - TOLERANCE)) {
        sign = v < 0 ? -1 : 1
        break
      }
    }
    for (let i = 0; i < n; i++) (coordinates[i] as Array<number>)[k] = sign * vectors.get(i, col) * factor + 0
  }
  return { coordinates, eigenvalues: order.map((k) => lambdas[k] as number) }
}

/**
 * The distance between two standardised variables with correlation r, d = √(2(1 − r)): the Euclidean distance
 * between the z-score vectors divided by √(n − 1). r = 1 → 0, r = 0 → √2, r = −1 → 2. r is clamped to [−1, 1]
 * first, so a diagonal of 1.0000000000000002 from rounding gives 0, not NaN.
 *
 * Reference: Borg & Groenen (2005), Modern Multidimensional Scaling, §6.3 ("correlations to distances").
 *
 * @returns NaN for a NaN r.
 * @example
 * correlationToDistance(0.5) // 1
 * correlationToDistance(-1) // 2
 */
export const correlationToDistance = (r: number): number => {
  const c = r > 1 ? 1 : r < -1 ? -1 : r
  return Math.sqrt(2 * (1 - c))
}

/**
 * Classical MDS of a correlation matrix: {@link classicalMds} of D = √(2(1 − r)) element-wise
 * ({@link correlationToDistance}). With dims = 2 this is the value map of paper 000 §5.3 (X⁽ᴴ⁾, X⁽ᴹ⁾) and of
 * paper 002 §4 (seed 002_8599096937f5cc8f).
 *
 * Preconditions: r is a non-empty square matrix of finite correlations, symmetric, with a unit diagonal (each to
 * within 1e-9); dims is an integer in 1…n. A correlation matrix with a NaN entry (a constant variable, or too few
 * pairs) must be repaired or reduced by the caller.
 *
 * @throws {RangeError} when a precondition is violated.
 * @example
 * mdsFromCorrelation([[1, 0.5, -0.5], [0.5, 1, 0], [-0.5, 0, 1]]).coordinates // 3 × 2 points
 */
export const mdsFromCorrelation = (r: ReadonlyArray<ArrayLike<number>>, dims = 2): MdsResult => {
  const n = checkSquare("mdsFromCorrelation", r)
  const d = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => correlationToDistance((r[i] as ArrayLike<number>)[j] as number))
  )
  return classicalMds(d, dims)
}

/**
 * How a value correlation matrix becomes a map: ratio SMACOF (metric MDS) or classical (Torgerson) MDS, on the
 * dissimilarity √(2(1 − r)) or, with the suffix "-1-r", on 1 − r. Paper 000 §5.3 names only "metric MDS (Borg et
 * al., 2018)"; the dissimilarity √(2(1 − r)) (the distance between standardised variables) and the classical start
 * are valuesim's choices. 1 − r moves S_V by up to 0.08 on the shipped baselines.
 */
export type MdsMethod = "smacof" | "classical" | "smacof-1-r" | "classical-1-r"
export const MDS_METHODS: ReadonlyArray<MdsMethod> = ["smacof", "classical", "smacof-1-r", "classical-1-r"]
/** Metric (ratio) SMACOF, paper 000 §5.3's "metric MDS", on √(2(1 − r)) from the classical start (valuesim's choices). */
export const DEFAULT_MDS_METHOD: MdsMethod = "smacof"

/** Whether a method is SMACOF (else classical MDS). */
export const isSmacof = (m: MdsMethod): boolean => m.startsWith("smacof")
/** The dissimilarity a method maps: √(2(1 − r)) (default) or 1 − r. */
export const dissimilarityOf = (m: MdsMethod): "sqrt(2(1-r))" | "1-r" => (m.endsWith("-1-r") ? "1-r" : "sqrt(2(1-r))")

/**
 * Stop when no coordinate moves by more than this (times the configuration's largest |coordinate|, at least 1)
 * in one Guttman transform. SMACOF converges linearly, so a stopping rule on the stress change (1e-10 relative,
 * as before) could stop 2e-5 of S_V short of the fixed point; at 1e-13 on the coordinates S_V is within 1e-9 of
 * it on every pair of shipped baselines (tests/stats/smacof.test.ts), for a few hundred more iterations at 10 × 10.
 */
export const SMACOF_EPS = 1e-13
/** A safety cap; 10-value maps converge in well under a thousand iterations. */
export const SMACOF_MAX_ITERATIONS = 100_000

/** A SMACOF solution. */
export interface SmacofResult {
  /** n × dims coordinates (centred). */
  readonly coordinates: Array<Array<number>>
  /** Raw stress Σ_{i<j} (d_ij(X) − δ_ij)² of the returned coordinates. */
  readonly stress: number
  /** Guttman transforms applied. */
  readonly iterations: number
  /** Whether the largest coordinate step fell below `eps` (relative) before `maxIterations`. */
  readonly converged: boolean
}

/** Squared distance between points i and j of the row-major configuration `x` (`dims` columns). */
const squaredDistance = (x: Float64Array, i: number, j: number, dims: number): number => {
  let d2 = 0
  for (let k = 0; k < dims; k++) {
    const e = (x[i * dims + k] as number) - (x[j * dims + k] as number)
    d2 += e * e
  }
  return d2
}

/**
 * Metric SMACOF with ratio transformation and unit weights (de Leeuw 1977; Borg & Groenen 2005, ch. 8; Borg,
 * Groenen & Mair 2018, ch. 7): minimises the raw stress σ(X) = Σ_{i<j} (d_ij(X) − δ_ij)² by repeated Guttman
 * transforms X ← (1/n) B(X) X, where B_ij = −δ_ij / d_ij(X) for i ≠ j (0 when d_ij(X) = 0) and B_ii = −Σ_{j≠i} B_ij.
 * Each transform never increases the stress. It starts from `init` ({@link mapFromCorrelation} passes the classical
 * solution, {@link classicalMds}: valuesim's choice) and stops when no coordinate moves by more than
 * eps · max(1, max |x|) in one transform (the converged fixed point), or at zero stress. A ratio
 * transformation fits the dissimilarities up to nothing but their own scale: scaling δ scales the solution.
 *
 * Agrees with scikit-learn's Guttman transforms (`sklearn.manifold.smacof(δ, metric=True, init=x, n_init=1,
 * max_iter=1)`) repeated under the same stopping rule (tests/fixtures/make_mds_reference.py). scikit-learn's own
 * stopping rule (1.2: relative stress change below 1e-3 by default) stops hard matrices after 11–38 iterations,
 * far from the fixed point, so valuesim states agreement with the converged fixed point, not with its defaults.
 *
 * Preconditions: delta is a non-empty n × n symmetric matrix of finite non-negative numbers with a zero diagonal;
 * init is n × dims with finite entries.
 *
 * @throws {RangeError} when a precondition is violated.
 */
export const smacof = (
  delta: ReadonlyArray<ArrayLike<number>>,
  init: ReadonlyArray<ArrayLike<number>>,
  options: { readonly eps?: number; readonly maxIterations?: number } = {}
): SmacofResult => {
  const n = checkSquare("smacof", delta)
  if (init.length !== n) throw new RangeError(`smacof: init has ${init.length} rows, expected ${n}`)
  const dims = (init[0] as ArrayLike<number>).length
  if (dims < 1) throw new RangeError("smacof: init has no columns")
  for (let i = 0; i < n; i++) {
    const di = delta[i] as ArrayLike<number>
    if ((di[i] as number) !== 0) throw new RangeError(`smacof: diagonal entry [${i}][${i}] is ${di[i]}`)
    for (let j = 0; j < n; j++) {
      if ((di[j] as number) < 0) throw new RangeError(`smacof: entry [${i}][${j}] is negative`)
      if (Math.abs((di[j] as number) - ((delta[j] as ArrayLike<number>)[i] as number)) > TOLERANCE * Math.max(1, Math.abs(di[j] as number)))
        throw new RangeError(`smacof: the dissimilarities are not symmetric at [${i}][${j}]`)
    }
  }
  const eps = options.eps ?? SMACOF_EPS
  const maxIterations = options.maxIterations ?? SMACOF_MAX_ITERATIONS
  let x = new Float64Array(n * dims)
  init.forEach((row, i) => {
    if (row.length !== dims) throw new RangeError(`smacof: init row ${i} has ${row.length} columns, expected ${dims}`)
    for (let k = 0; k < dims; k++) {
      const v = row[k] as number
      if (!Number.isFinite(v)) throw new RangeError(`smacof: init[${i}][${k}] is ${v}`)
      x[i * dims + k] = v
    }
  })
  let next = new Float64Array(n * dims)
  const ratio = new Float64Array(n * n)
  let stress = 0
  let iterations = 0
  let stepConverged = false
  for (;;) {
    // One pass over the distances of X gives its raw stress and ratio_ij = δ_ij / d_ij(X), the off-diagonal of
    // −B(X), for the next transform (the same numbers, in the same order, as two passes would give).
    stress = 0
    for (let i = 0; i < n; i++) {
      const di = delta[i] as ArrayLike<number>
      for (let j = i + 1; j < n; j++) {
        const d2 = squaredDistance(x, i, j, dims)
        const d = Math.sqrt(d2)
        const e = d - (di[j] as number)
        stress += e * e
        const r = d2 > 0 ? (di[j] as number) / d : 0
        ratio[i * n + j] = r
        ratio[j * n + i] = r
      }
    }
    if (stress === 0 || stepConverged || iterations >= maxIterations) break
    // (B X)_i = Σ_j ratio_ij (x_i − x_j); in two dimensions (every value map) both coordinates in one pass over j,
    // each summed in the same order as the general loop.
    if (dims === 2) {
      for (let i = 0; i < n; i++) {
        let s0 = 0
        let s1 = 0
        const x0 = x[2 * i] as number
        const x1 = x[2 * i + 1] as number
        for (let j = 0; j < n; j++) {
          if (j === i) continue
          const r = ratio[i * n + j] as number
          s0 += r * (x0 - (x[2 * j] as number))
          s1 += r * (x1 - (x[2 * j + 1] as number))
        }
        next[2 * i] = s0 / n
        next[2 * i + 1] = s1 / n
      }
    } else {
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < dims; k++) {
          let s = 0
          const xi = x[i * dims + k] as number
          for (let j = 0; j < n; j++) if (j !== i) s += (ratio[i * n + j] as number) * (xi - (x[j * dims + k] as number))
          next[i * dims + k] = s / n
        }
      }
    }
    let step = 0
    let size = 1
    for (let k = 0; k < n * dims; k++) {
      step = Math.max(step, Math.abs((next[k] as number) - (x[k] as number)))
      size = Math.max(size, Math.abs(next[k] as number))
    }
    ;[x, next] = [next, x]
    iterations++
    stepConverged = step < eps * size
  }
  const converged = stress === 0 || stepConverged
  const coordinates = Array.from({ length: n }, (_, i) => Array.from({ length: dims }, (_, k) => (x[i * dims + k] as number) + 0))
  return { coordinates, stress, iterations, converged }
}

/**
 * The 2-D (or `dims`-D) map of a correlation matrix by the given method: classical MDS, or ratio SMACOF (paper
 * 000 §5.3's "metric MDS") started from the classical solution (the default), on D = √(2(1 − r)) or, for the
 * "-1-r" methods, on D = 1 − r. A map of the matrix with
 * its values permuted is the same map with its points permuted (both methods are equivariant), which is what
 * lets the permutation null of S_V reuse one map.
 */
export const mapFromCorrelation = (r: ReadonlyArray<ArrayLike<number>>, method: MdsMethod = DEFAULT_MDS_METHOD, dims = 2): MdsResult & { readonly method: MdsMethod; readonly stress: number | null } => {
  const n = checkSquare("mapFromCorrelation", r)
  const linear = dissimilarityOf(method) === "1-r"
  const d = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      if (i === j) return 0
      const x = (r[i] as ArrayLike<number>)[j] as number
      return linear ? 1 - Math.max(-1, Math.min(1, x)) : correlationToDistance(x)
    })
  )
  const classical = classicalMds(d, dims)
  if (!isSmacof(method)) return { ...classical, method, stress: null }
  const s = smacof(d, classical.coordinates)
  return { coordinates: s.coordinates, eigenvalues: classical.eigenvalues, method, stress: s.stress }
}
