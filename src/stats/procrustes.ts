/**
 * Procrustes comparison of two point configurations, and the Values Similarity S_V of paper 000 §5.3 built on
 * it. Pure.
 */
import { Matrix, SingularValueDecomposition } from "ml-matrix"
import { permutationNull } from "./chance.js"
import { DEFAULT_MDS_METHOD, mapFromCorrelation, type MdsMethod } from "./mds.js"

/** The result of {@link procrustes}, named as in SciPy. */
export interface ProcrustesResult {
  /** data1 centred and scaled to unit Frobenius norm (n × k). */
  readonly mtx1: Array<Array<number>>
  /** data2 centred, scaled to unit norm, then rotated/reflected and scaled to best fit mtx1 (n × k). */
  readonly mtx2: Array<Array<number>>
  /** Σ (mtx1 − mtx2)², in [0, 1]: 0 for configurations equal up to similarity, 1 − s² for the optimal scale s. */
  readonly disparity: number
}

const toCentredMatrix = (name: string, data: ReadonlyArray<ArrayLike<number>>, n: number, k: number): Matrix => {
  const m = new Matrix(n, k)
  for (let i = 0; i < n; i++) {
    const row = data[i] as ArrayLike<number>
    if (row.length !== k) throw new RangeError(`procrustes: ${name} row ${i} has ${row.length} columns, expected ${k}`)
    for (let j = 0; j < k; j++) {
      const v = row[j] as number
      if (!Number.isFinite(v)) throw new RangeError(`procrustes: ${name}[${i}][${j}] is ${v}`)
      m.set(i, j, v)
    }
  }
  for (let j = 0; j < k; j++) {
    let s = 0
    for (let i = 0; i < n; i++) s += m.get(i, j)
    const mean = s / n
    for (let i = 0; i < n; i++) m.set(i, j, m.get(i, j) - mean)
  }
  const norm = m.norm("frobenius")
  if (norm === 0) throw new RangeError(`procrustes: ${name} must contain more than one unique point`)
  return m.div(norm)
}

/**
 * Procrustes analysis with exactly the semantics of SciPy's `scipy.spatial.procrustes(data1, data2)`:
 * 1. centre both configurations (subtract column means) and scale each to unit Frobenius norm, tr(XXᵀ) = 1;
 * 2. find the orthogonal R (rotation, reflection allowed) and scale s minimising ‖mtx1 − s·mtx2·Rᵀ‖: with the
 *    SVD mtx1ᵀ·mtx2 = U·W·Vᵀ, R = U·Vᵀ and s = Σ W (`scipy.linalg.orthogonal_procrustes(mtx1, mtx2)`);
 * 3. mtx2 ← s·mtx2·Rᵀ, disparity = Σ (mtx1 − mtx2)² (= 1 − s²).
 * The disparity is symmetric in its arguments and invariant to translating, rotating, reflecting and uniformly
 * scaling either configuration. data1 is the reference (the human map), data2 the one moved (the model's).
 *
 * Reference: Gower & Dijksterhuis (2004), Procrustes Problems, OUP; Krzanowski (2000), Principles of Multivariate
 * Analysis, §5.6; https://docs.scipy.org/doc/scipy/reference/generated/scipy.spatial.procrustes.html
 *
 * Preconditions: data1 and data2 are non-empty n × k matrices (k ≥ 1) of the same shape with finite entries,
 * and each has at least two distinct points (rows). Row i of each is the same object (value).
 *
 * @throws {RangeError} when a precondition is violated (SciPy raises ValueError in the same cases).
 * @example
 * // A square, and the same square rotated by 90°, doubled and shifted:
 * procrustes([[0, 0], [1, 0], [1, 1], [0, 1]], [[5, 5], [5, 7], [3, 7], [3, 5]]).disparity // ≈ 0
 * procrustes([[0, 0], [1, 0], [2, 1]], [[0, 0], [2, 0], [3, 3]]).disparity
 * // 0.0234375 (SciPy 1.17.1: 0.023437499999999976)
 */
export const procrustes = (
  data1: ReadonlyArray<ArrayLike<number>>,
  data2: ReadonlyArray<ArrayLike<number>>
): ProcrustesResult => {
  const n = data1.length
  if (data2.length !== n) throw new RangeError(`procrustes: data1 has ${n} rows but data2 has ${data2.length}`)
  if (n === 0) throw new RangeError("procrustes: input matrices must have more than 0 rows and columns")
  const k = (data1[0] as ArrayLike<number>).length
  if (k === 0) throw new RangeError("procrustes: input matrices must have more than 0 rows and columns")
  const mtx1 = toCentredMatrix("data1", data1, n, k)
  const mtx2 = toCentredMatrix("data2", data2, n, k)
  const svd = new SingularValueDecomposition(mtx1.transpose().mmul(mtx2))
  const r = svd.leftSingularVectors.mmul(svd.rightSingularVectors.transpose())
  let s = 0
  for (const w of svd.diagonal) s += w
  const moved = mtx2.mmul(r.transpose()).mul(s)
  let disparity = 0
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const e = mtx1.get(i, j) - moved.get(i, j)
      disparity += e * e
    }
  }
  return { mtx1: mtx1.to2DArray(), mtx2: moved.to2DArray(), disparity }
}

/** The result of {@link valuesSimilarity}. */
export interface ValuesSimilarity {
  /** S_V = 1 − disparity, in [0, 1]; 1 for identical value structures. */
  readonly sv: number
  /** The Procrustes disparity d_proc (paper 002's "sum of squared differences" of the aligned maps). */
  readonly disparity: number
  /** The human 2-D MDS map, centred and scaled (Procrustes `mtx1`), one row per value. */
  readonly human: Array<Array<number>>
  /** The model's 2-D MDS map aligned to the human one (Procrustes `mtx2`). */
  readonly model: Array<Array<number>>
  /** How the maps were made. */
  readonly mdsMethod: MdsMethod
}

/**
 * The Values Similarity score of paper 000 §5.3:
 * 1. X⁽ᴴ⁾, X⁽ᴹ⁾ = the 2-D map of each correlation matrix on D = √(2(1 − r)) ({@link mapFromCorrelation}): by
 *    default ratio SMACOF started from the classical solution, the paper's "metric MDS (Borg et al., 2018)";
 *    `"classical"` gives classical (Torgerson) MDS;
 * 2. d_proc = {@link procrustes}(X⁽ᴴ⁾, X⁽ᴹ⁾).disparity (the model map is translated, rotated or reflected and
 *    scaled onto the human map);
 * 3. S_V = 1 − d_proc.
 * Because Procrustes allows reflection, the result does not depend on the MDS sign convention.
 *
 * Reference: paper 000 (seed 000_1c83bdc581a620a9) §5.3 "Values Similarity"; paper 002 (seed
 * 002_8599096937f5cc8f) §4, Table 1 (the same disparity, there called the sum of squared differences);
 * DESIGN.md "Metrics".
 *
 * Preconditions: both are square correlation matrices of the same size n ≥ 2, over the same values in the same
 * order, with finite entries, symmetric, unit diagonal.
 *
 * @throws {RangeError} when a precondition is violated (see {@link mapFromCorrelation} and {@link procrustes}).
 * @example
 * valuesSimilarity(c, c).sv // 1 for any valid correlation matrix c with a non-degenerate map
 */
export const valuesSimilarity = (
  human: ReadonlyArray<ArrayLike<number>>,
  model: ReadonlyArray<ArrayLike<number>>,
  method: MdsMethod = DEFAULT_MDS_METHOD
): ValuesSimilarity => {
  if (human.length !== model.length) {
    const sizes = `${human.length} × ${human.length} vs ${model.length} × ${model.length}`
    throw new RangeError(`valuesSimilarity: the human and model matrices differ in size (${sizes})`)
  }
  return valuesSimilarityToMap(mapFromCorrelation(human, method).coordinates, model, method)
}

/** {@link valuesSimilarity} with the human map already made (by the same method): saves one MDS per call. */
export const valuesSimilarityToMap = (
  humanMap: ReadonlyArray<ArrayLike<number>>,
  model: ReadonlyArray<ArrayLike<number>>,
  method: MdsMethod = DEFAULT_MDS_METHOD
): ValuesSimilarity => {
  const m = mapFromCorrelation(model, method).coordinates
  const { disparity, mtx1, mtx2 } = procrustes(humanMap, m)
  return { sv: 1 - disparity, disparity, human: mtx1, model: mtx2, mdsMethod: method }
}

/** The chance level of an S_V: its distribution when the model's value labels are permuted. */
export interface SvNull {
  /** Permutations drawn. */
  readonly permutations: number
  /** Mean S_V of the permuted structures. */
  readonly mean: number
  /** Their 95th percentile (linear interpolation, NumPy's default). */
  readonly q95: number
  /** (1 + #{null ≥ observed}) / (1 + permutations): the permutation p-value, never 0. */
  readonly p: number
}

/**
 * The permutation null of S_V: how similar the two maps are when the model's values are assigned to its points
 * at random. Each permutation π relabels the model's values; S_V of the relabelled matrix is S_V of the model map
 * with its rows permuted (MDS is permutation-equivariant), so one map serves every permutation. `shuffle` must
 * permute the given indices in place from a seeded stream (src/sampling: `shuffleInPlace(indices, rng)`).
 *
 * Unrelated 10-value structures are not at S_V ≈ 0: two random 10-point maps already agree to 0.1–0.5 after
 * the best rotation, reflection and scaling. That is why S_V must be read against this chance level and not
 * against 0 (the one-sample t-test of paper 000 appendix G).
 *
 * Reference: Good (2005), Permutation, Parametric, and Bootstrap Tests of Hypotheses, ch. 3; Phipson & Smyth
 * (2010), "Permutation p-values should never be zero", Stat. Appl. Genet. Mol. Biol. 9(1).
 *
 * Preconditions: both maps n × k (n ≥ 2) as for {@link procrustes}; permutations a positive integer.
 */
export const svPermutationNull = (
  humanMap: ReadonlyArray<ArrayLike<number>>,
  modelMap: ReadonlyArray<ArrayLike<number>>,
  observed: number,
  permutations: number,
  shuffle: (indices: Int32Array) => void
): SvNull => {
  if (!Number.isInteger(permutations) || permutations < 1)
    throw new RangeError(`svPermutationNull: permutations must be a positive integer, got ${permutations}`)
  return permutationNull(modelMap.length, observed, permutations, shuffle, (idx) =>
    1 - procrustes(humanMap, Array.from(idx, (j) => modelMap[j] as ArrayLike<number>)).disparity
  )
}
