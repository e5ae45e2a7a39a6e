/**
 * Treatment effects of an experiment (issue 24): the difference between arms with a bootstrap interval and a
 * permutation p — paired (every agent answered both arms: sign flips of the differences) or between agents
 * (label shuffles, within strata when assignment was stratified) — and Cochran's Q test of whether the effect
 * differs between groups (the arm × value-condition interaction). Pure: randomness comes in as an `rng`.
 *
 * Every effect is treatment − control.
 */
import { mean, sampleSd } from "./descriptive.js"
import { logGamma, percentileCi, type ConfidenceInterval } from "./inference.js"

/** An effect with its interval and test. */
export interface EffectEstimate {
  /** treatment − control (mean of the paired differences, or difference of the arm means). */
  readonly effect: number
  /** Percentile bootstrap interval of `effect`. */
  readonly ci: ConfidenceInterval
  /** Two-sided permutation p of effect = 0. */
  readonly p: number
  /** Standard error (sd of the differences / √n, or √(s²_c/n_c + s²_t/n_t)); NaN when undefined. */
  readonly se: number
  /** Pairs (paired) or control and treatment sizes (between). */
  readonly n: number
  readonly nControl: number
  readonly nTreatment: number
  /** true when every relabelling was enumerated (the p is exact). */
  readonly exact: boolean
}

export interface EffectOptions {
  readonly iterations: number
  readonly permutations: number
  readonly level: number
  readonly rng: () => number
}

/** SciPy's tolerance for ties of a permutation statistic with the observed one (permutation_test: 100·eps relative). */
const tolerance = (t: number) => Math.abs(t) * 100 * Number.EPSILON

/**
 * The two-sided p from the counts of relabelled statistics ≥ and ≤ the observed one, as
 * `scipy.stats.permutation_test` (alternative "two-sided") forms it: exact, p = 2·min(#≥, #≤)/N over all N
 * relabellings (the observed one among them); randomised, each side (1 + #)/(1 + B). Capped at 1.
 */
const twoSidedP = (greater: number, less: number, total: number, exact: boolean): number =>
  Math.min(1, exact ? (2 * Math.min(greater, less)) / total : (2 * (1 + Math.min(greater, less))) / (1 + total))

/**
 * Permutation p of mean(d) = 0 for paired differences d by random sign flips (each pair's arms swapped): exact
 * over all 2ⁿ flips when 2ⁿ ≤ `permutations`, else `permutations` random ones. Matches
 * `scipy.stats.permutation_test((t, c), lambda x, y: mean(x − y), permutation_type="samples")`.
 */
export const signFlipP = (d: ArrayLike<number>, permutations: number, rng: () => number): { readonly p: number; readonly exact: boolean } => {
  const n = d.length
  if (n === 0) return { p: NaN, exact: false }
  const observed = mean(d)
  const tol = tolerance(observed)
  let greater = 0
  let less = 0
  const count = (t: number) => {
    if (t >= observed - tol) greater++
    if (t <= observed + tol) less++
  }
  if (n <= 20 && 2 ** n <= permutations) {
    const total = 2 ** n
    for (let mask = 0; mask < total; mask++) {
      let s = 0
      for (let i = 0; i < n; i++) s += (mask >> i) & 1 ? -(d[i] as number) : (d[i] as number)
      count(s / n)
    }
    return { p: twoSidedP(greater, less, total, true), exact: true }
  }
  for (let b = 0; b < permutations; b++) {
    let s = 0
    for (let i = 0; i < n; i++) s += rng() < 0.5 ? -(d[i] as number) : (d[i] as number)
    count(s / n)
  }
  return { p: twoSidedP(greater, less, permutations, false), exact: false }
}

/** n choose k as a float (for deciding whether enumeration is affordable). */
const choose = (n: number, k: number): number => {
  let r = 1
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i
  return r
}

/**
 * Permutation p of mean(treatment) − mean(control) = 0: the arm labels shuffled, within each stratum when
 * `strata` is given (agents were randomised within value conditions). Without strata and with at most
 * `permutations` ways to split, every split is enumerated (exact) as `scipy.stats.permutation_test((c, t),
 * lambda x, y: mean(y) − mean(x), permutation_type="independent")` does.
 */
export const labelShuffleP = (
  control: ArrayLike<number>,
  treatment: ArrayLike<number>,
  permutations: number,
  rng: () => number,
  strata?: { readonly control: ArrayLike<number>; readonly treatment: ArrayLike<number> }
): { readonly p: number; readonly exact: boolean } => {
  const nc = control.length
  const nt = treatment.length
  if (nc === 0 || nt === 0) return { p: NaN, exact: false }
  const pooled = Float64Array.from({ length: nc + nt }, (_, i) => (i < nc ? (control[i] as number) : (treatment[i - nc] as number)))
  const total = pooled.reduce((a, b) => a + b, 0)
  const observed = mean(treatment) - mean(control)
  const tol = tolerance(observed)
  let greater = 0
  let less = 0
  const count = (sumT: number) => {
    const t = sumT / nt - (total - sumT) / nc
    if (t >= observed - tol) greater++
    if (t <= observed + tol) less++
  }
  const n = nc + nt
  if (strata === undefined && choose(n, nt) <= permutations) {
    // Every subset of size nt as the treatment arm, in lexicographic order.
    const idx = Array.from({ length: nt }, (_, i) => i)
    let splits = 0
    for (;;) {
      let s = 0
      for (const i of idx) s += pooled[i]!
      count(s)
      splits++
      let j = nt - 1
      while (j >= 0 && idx[j] === n - nt + j) j--
      if (j < 0) break
      idx[j]!++
      for (let k = j + 1; k < nt; k++) idx[k] = idx[k - 1]! + 1
    }
    return { p: twoSidedP(greater, less, splits, true), exact: true }
  }
  // Groups of pooled positions that may swap labels: one per stratum (or one for all).
  const groups = new Map<number, Array<number>>()
  for (let i = 0; i < n; i++) {
    const s = strata === undefined ? 0 : i < nc ? (strata.control[i] as number) : (strata.treatment[i - nc] as number)
    const g = groups.get(s)
    if (g === undefined) groups.set(s, [i])
    else g.push(i)
  }
  const layout = [...groups.values()].map((pos) => ({ pos, treated: pos.filter((i) => i >= nc).length }))
  const scratch = new Float64Array(n)
  for (let b = 0; b < permutations; b++) {
    let sumT = 0
    for (const { pos, treated } of layout) {
      // A partial Fisher–Yates shuffle: the first `treated` of the stratum's values become the treatment arm.
      for (let i = 0; i < pos.length; i++) scratch[i] = pooled[pos[i]!]!
      for (let i = 0; i < treated; i++) {
        const j = i + Math.floor(rng() * (pos.length - i))
        const tmp = scratch[i]!
        scratch[i] = scratch[j]!
        scratch[j] = tmp
        sumT += scratch[i]!
      }
    }
    count(sumT)
  }
  return { p: twoSidedP(greater, less, permutations, false), exact: false }
}

const clampIndex = (u: number, n: number) => Math.min(n - 1, Math.floor(u * n))

/**
 * The paired effect of treatment over control from the agents' two answers (`control[i]` and `treatment[i]` are
 * agent i's): mean difference, percentile bootstrap over agents, sign-flip permutation p.
 */
export const pairedEffect = (control: ArrayLike<number>, treatment: ArrayLike<number>, o: EffectOptions): EffectEstimate => {
  if (control.length !== treatment.length) throw new RangeError(`pairedEffect: ${control.length} control and ${treatment.length} treatment answers`)
  const n = control.length
  const d = Float64Array.from({ length: n }, (_, i) => (treatment[i] as number) - (control[i] as number))
  const effect = mean(d)
  const boot = new Float64Array(n === 0 ? 0 : o.iterations)
  for (let b = 0; b < boot.length; b++) {
    let s = 0
    for (let i = 0; i < n; i++) s += d[clampIndex(o.rng(), n)]!
    boot[b] = s / n
  }
  const perm = signFlipP(d, o.permutations, o.rng)
  return { effect, ci: percentileCi(boot, o.level), p: perm.p, se: n < 2 ? NaN : sampleSd(d) / Math.sqrt(n), n, nControl: n, nTreatment: n, exact: perm.exact }
}

/**
 * The effect between agents: mean(treatment) − mean(control), percentile bootstrap resampling each arm on its
 * own, label-shuffle permutation p (within strata when given).
 */
export const betweenEffect = (
  control: ArrayLike<number>,
  treatment: ArrayLike<number>,
  o: EffectOptions,
  strata?: { readonly control: ArrayLike<number>; readonly treatment: ArrayLike<number> }
): EffectEstimate => {
  const nc = control.length
  const nt = treatment.length
  const effect = mean(treatment) - mean(control)
  const boot = new Float64Array(nc === 0 || nt === 0 ? 0 : o.iterations)
  for (let b = 0; b < boot.length; b++) {
    let sc = 0
    let st = 0
    for (let i = 0; i < nc; i++) sc += control[clampIndex(o.rng(), nc)] as number
    for (let i = 0; i < nt; i++) st += treatment[clampIndex(o.rng(), nt)] as number
    boot[b] = st / nt - sc / nc
  }
  const perm = labelShuffleP(control, treatment, o.permutations, o.rng, strata)
  const se = nc < 2 || nt < 2 ? NaN : Math.sqrt(sampleSd(control) ** 2 / nc + sampleSd(treatment) ** 2 / nt)
  return { effect, ci: percentileCi(boot, o.level), p: perm.p, se, n: nc + nt, nControl: nc, nTreatment: nt, exact: perm.exact }
}

/** The standard normal's 0.975 quantile (`scipy.stats.norm.ppf(0.975)`): the z of a two-sided 95% interval. */
export const Z95 = 1.959963984540054

/** An effect with a normal-approximation interval: cheap enough to recompute as answers arrive (the live dashboard). */
export interface NormalEffect {
  readonly effect: number
  readonly se: number
  readonly lower: number
  readonly upper: number
  readonly n: number
}

/**
 * treatment − control with the interval effect ∓ z·se: paired, se = sd of the differences / √n; between, the
 * Welch standard error √(s²_c/n_c + s²_t/n_t). No resampling, so it is not the report's bootstrap interval; it is
 * an estimate while a run goes. NaN figures when an arm (or the pairs) has fewer than two values.
 */
export const normalEffect = (control: ArrayLike<number>, treatment: ArrayLike<number>, paired: boolean, z = Z95): NormalEffect => {
  let effect: number
  let se: number
  let n: number
  if (paired) {
    if (control.length !== treatment.length) throw new RangeError(`normalEffect: ${control.length} control and ${treatment.length} treatment answers`)
    const d = Float64Array.from({ length: control.length }, (_, i) => (treatment[i] as number) - (control[i] as number))
    n = d.length
    effect = mean(d)
    se = n < 2 ? NaN : sampleSd(d) / Math.sqrt(n)
  } else {
    n = control.length + treatment.length
    effect = mean(treatment) - mean(control)
    se = control.length < 2 || treatment.length < 2 ? NaN : Math.sqrt(sampleSd(control) ** 2 / control.length + sampleSd(treatment) ** 2 / treatment.length)
  }
  return { effect, se, lower: effect - z * se, upper: effect + z * se, n }
}

/**
 * The regularized upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a): the series for x < a + 1, else the
 * continued fraction (Numerical Recipes 3rd ed., §6.2 `gser`/`gcf`). Agrees with `scipy.special.gammaincc`.
 *
 * Preconditions: a > 0, x ≥ 0.
 */
export const upperIncompleteGamma = (a: number, x: number): number => {
  if (Number.isNaN(a) || Number.isNaN(x)) return NaN
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`upperIncompleteGamma: need a > 0 and x ≥ 0, got a = ${a}, x = ${x}`)
  if (x === 0) return 1
  if (x === Infinity) return 0
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a))
  if (x < a + 1) {
    let ap = a
    let del = 1 / a
    let sum = del
    for (let n = 0; n < 10_000; n++) {
      ap++
      del *= x / ap
      sum += del
      if (Math.abs(del) < Math.abs(sum) * 1e-16) break
    }
    return 1 - sum * (front / 1)
  }
  const FPMIN = 1e-300
  let b = x + 1 - a
  let c = 1 / FPMIN
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < FPMIN) d = FPMIN
    c = b + an / c
    if (Math.abs(c) < FPMIN) c = FPMIN
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-16) break
  }
  return front * h
}

/** P(X ≥ x) for X ~ χ²(df): Q(df/2, x/2). Agrees with `scipy.stats.chi2.sf(x, df)`. */
export const chiSquareSf = (x: number, df: number): number => upperIncompleteGamma(df / 2, Math.max(0, x) / 2)

/** The result of {@link cochranQ}. */
export interface Heterogeneity {
  /** Q = Σ w_g (e_g − ē)², w_g = 1/se_g², ē the w-weighted mean effect. */
  readonly q: number
  /** Groups used − 1. */
  readonly df: number
  /** P(χ²_df ≥ Q). */
  readonly p: number
  /** The inverse-variance weighted mean effect ē. */
  readonly pooled: number
}

/**
 * Cochran's Q test of whether effects measured in separate groups (here: the value conditions) differ beyond
 * their sampling error — the test of the arm × condition interaction. Groups with an undefined or zero standard
 * error are left out. Q is referred to χ² with (groups − 1) degrees of freedom.
 *
 * Reference: Cochran (1954), Biometrics 10, 101–129; Borenstein et al. (2009), Introduction to Meta-Analysis,
 * ch. 16.
 *
 * @returns NaN figures when fewer than two groups are usable.
 * @example
 * cochranQ([0.2, 0.5, 0.9], [0.1, 0.15, 0.2]) // { q: 8.34…, df: 2, p: 0.0154…, pooled: 0.44… }
 */
export const cochranQ = (effects: ArrayLike<number>, ses: ArrayLike<number>): Heterogeneity => {
  let sw = 0
  let swe = 0
  const use: Array<[number, number]> = []
  for (let g = 0; g < effects.length; g++) {
    const e = effects[g] as number
    const se = ses[g] as number
    if (!Number.isFinite(e) || !Number.isFinite(se) || !(se > 0)) continue
    const w = 1 / (se * se)
    use.push([e, w])
    sw += w
    swe += w * e
  }
  if (use.length < 2) return { q: NaN, df: Math.max(0, use.length - 1), p: NaN, pooled: use.length === 1 ? use[0]![0] : NaN }
  const pooled = swe / sw
  let q = 0
  for (const [e, w] of use) q += w * (e - pooled) ** 2
  const df = use.length - 1
  return { q, df, p: chiSquareSf(q, df), pooled }
}
