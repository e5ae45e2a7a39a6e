/**
 * Reading a similarity score against the scale from chance to human agreement, and summaries across seeds. Pure:
 * randomness comes in as a `shuffle` function (src/sampling's seeded Fisher–Yates).
 *
 *   - `permutationNull`: the distribution of a statistic when the model's value labels are permuted (the chance
 *     level); S_V uses it through `svPermutationNull` (procrustes.ts), S_B through `sbPermutationNull`.
 *   - `ceilingPosition`: where a score sits between its chance level (0) and the agreement of two human samples
 *     on the same instrument family (1).
 *   - `bootstrapSize`: the bootstrap resample size — the paper's fixed 500, or the sample's own size below it.
 *   - `acrossSeeds`: mean, SD, min and max of one statistic over replicate runs.
 *
 * Reference values: tests/fixtures/chance-reference.json (tests/fixtures/make_chance_reference.py, NumPy).
 */
import { mean, sampleSd } from "./descriptive.js"
import { quantile } from "./inference.js"
import { behaviourSimilarity } from "./similarity.js"

/** A chance level: the statistic under `permutations` random relabellings. */
export interface PermutationNull {
  readonly permutations: number
  /** Mean of the permuted statistics (those that were defined). */
  readonly mean: number
  /** Their 95th percentile (linear interpolation, NumPy's default). */
  readonly q95: number
  /** (1 + #{permuted ≥ observed}) / (1 + permutations): never 0 (Phipson & Smyth 2010). */
  readonly p: number
}

/**
 * Draws `permutations` relabellings of n labels (each starts from the identity and is shuffled in place by
 * `shuffle`) and evaluates `statistic` on each. A permuted statistic that is undefined (NaN) counts as below the
 * observed one and is left out of the mean and q95.
 *
 * Reference: Good (2005), Permutation, Parametric, and Bootstrap Tests of Hypotheses, ch. 3; Phipson & Smyth
 * (2010), Stat. Appl. Genet. Mol. Biol. 9(1).
 *
 * @throws {RangeError} when permutations is not a positive integer.
 */
export const permutationNull = (
  n: number,
  observed: number,
  permutations: number,
  shuffle: (indices: Int32Array) => void,
  statistic: (permutation: Int32Array) => number
): PermutationNull => {
  if (!Number.isInteger(permutations) || permutations < 1)
    throw new RangeError(`permutationNull: permutations must be a positive integer, got ${permutations}`)
  const idx = new Int32Array(n)
  const values: Array<number> = []
  let atLeast = 0
  for (let it = 0; it < permutations; it++) {
    for (let i = 0; i < n; i++) idx[i] = i
    shuffle(idx)
    const v = statistic(idx)
    if (!Number.isFinite(v)) continue
    values.push(v)
    // a permutation equal to the observed labelling ties with it up to rounding
    if (v >= observed - 1e-12) atLeast++
  }
  return { permutations, mean: mean(values), q95: quantile(values, 0.95), p: (1 + atLeast) / (1 + permutations) }
}

/**
 * The chance level of S_B: S_B of the human matrix with the model's value × behaviour matrix whose value rows
 * are relabelled at random (row i of the permuted matrix is row π(i) of the model's), as the S_V chance level
 * relabels the values of the model's map.
 *
 * Preconditions: human and model have the same shape (values × behaviours).
 */
export const sbPermutationNull = (
  human: ReadonlyArray<ArrayLike<number>>,
  model: ReadonlyArray<ArrayLike<number>>,
  observed: number,
  permutations: number,
  shuffle: (indices: Int32Array) => void
): PermutationNull =>
  permutationNull(model.length, observed, permutations, shuffle, (idx) =>
    behaviourSimilarity(
      human,
      Array.from(idx, (j) => model[j] as ArrayLike<number>)
    )
  )

/**
 * Position of a score on the scale from its chance level (0) to the human ceiling (1):
 * (score − chance) / (ceiling − chance). Above 1: the model agrees with the baseline better than two human
 * samples agree with each other. Null when an input is missing or the ceiling is not above chance.
 */
export const ceilingPosition = (score: number | null, chance: number | null, ceiling: number | null): number | null => {
  if (score === null || chance === null || ceiling === null) return null
  if (![score, chance, ceiling].every(Number.isFinite) || !(ceiling > chance)) return null
  return (score - chance) / (ceiling - chance)
}

/** How many respondents each bootstrap resample draws: "paper" — always `paperSize`; "own" — the sample's own size when it is smaller. */
export type BootstrapSizeRule = "own" | "paper"
export const BOOTSTRAP_SIZE_RULES: ReadonlyArray<BootstrapSizeRule> = ["own", "paper"]

/**
 * The resample size for a sample of n respondents. Paper 000 appendix G draws 500 whatever n is; a resample of
 * 500 from 200 respondents has about half the variance of the sample's own and so a CI too narrow by √(500/200).
 * Under "own" (the default) a sample smaller than `paperSize` is resampled at its own size (Efron & Tibshirani
 * 1993, ch. 6: the bootstrap resample has the size of the sample).
 */
export const bootstrapSize = (n: number, paperSize: number, rule: BootstrapSizeRule): number =>
  rule === "own" && n > 0 && n < paperSize ? n : paperSize

/** One statistic over replicate runs (seeds): JSON `acrossSeeds`. */
export interface SeedSpread {
  readonly mean: number | null
  /** Sample SD (n − 1); null for fewer than two defined values. */
  readonly sd: number | null
  readonly min: number | null
  readonly max: number | null
  /** Replicates where the statistic was defined. */
  readonly n: number
}

/** Mean, sample SD, min and max of the defined values (null and NaN are left out). */
export const acrossSeeds = (xs: ReadonlyArray<number | null>): SeedSpread => {
  const ok = xs.filter((x): x is number => x !== null && Number.isFinite(x))
  if (ok.length === 0) return { mean: null, sd: null, min: null, max: null, n: 0 }
  return { mean: mean(ok), sd: ok.length > 1 ? sampleSd(ok) : null, min: Math.min(...ok), max: Math.max(...ok), n: ok.length }
}
