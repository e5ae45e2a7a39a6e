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
