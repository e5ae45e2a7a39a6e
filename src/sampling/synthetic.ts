/**
 * The synthetic respondent: a theory model of a questionnaire respondent, NOT a language model. It follows
 * Schwartz's circular value theory and nothing fitted to the human baselines it is compared with, so its
 * alignment scores are an honest "theory alone" reference (DESIGN.md, "The synthetic respondent").
 *
 * An agent is a latent profile of 11 numbers: value importances θ_0…θ_9 in circle order (SD … UN) and a
 * response-style (acquiescence) shift at index 10. A value-prompted agent's importances follow a sinusoid around
 * the circle peaking at its dominant value (the pattern paper 002 figure 4 found in value-prompted LLMs), plus
 * idiosyncratic noise. Items are answered through Samejima's graded-response model, so every item yields a full
 * distribution over the response scale (usable for `logprob` and `sample` scoring alike).
 *
 * Pure: randomness only through the `rng` argument; the hot functions allocate nothing.
 */
import type { Rng } from "./rng.js"
import { standardNormal } from "./rng.js"

/** Every parameter of the synthetic respondent. All are on the latent (logit) scale unless stated. */
export interface SyntheticParams {
  /** A: amplitude of the sinusoid θ_k = A·cos(2π(k−d)/10) of a value-prompted agent with dominant value d. */
  readonly amplitude: number
  /** sd of the idiosyncratic noise ε_k ~ N(0, sd²) added independently to each of the ten importances. */
  readonly noiseSd: number
  /**
   * sd of the per-agent response-style (acquiescence) shift, drawn once per agent and added equally to the
   * latent standing behind every item, whatever the item says; MRAT centring removes it from value scores.
   */
  readonly styleSd: number
  /** a: graded-response discrimination, the slope of every cumulative logit P(Y ≥ j) = 1/(1+exp(−a(θ−b_j))). */
  readonly discrimination: number
  /**
   * The k−1 thresholds b_j of a k-point scale are spread evenly from `itemLocation − thresholdSpan` to
   * `itemLocation + thresholdSpan` (for k = 2 the single threshold sits at `itemLocation`).
   */
  readonly thresholdSpan: number
  /** Centre of the thresholds: the latent standing at which an agent is equally likely to answer high or low. */
  readonly itemLocation: number
  /**
   * The ten importances of an unprimed agent before noise, in circle order. Default all zeros: no preferred
   * value, because theory says nothing about an unprimed respondent.
   */
  readonly unprimedProfile: ReadonlyArray<number>
}

/**
 * The default parameters of the synthetic respondent, documented field by field in `SyntheticParams`. They are
 * chosen by hand to give clearly value-shaped but noisy answers on a 6-point scale; none is fitted to human data.
 */
export const SYNTHETIC_DEFAULTS: SyntheticParams = {
  amplitude: 1.5,
  noiseSd: 0.6,
  styleSd: 0.4,
  discrimination: 1.7,
  thresholdSpan: 2,
  itemLocation: 0,
  unprimedProfile: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
}

/** Number of basic values on the circle. */
const N_VALUES = 10
/** Length of a latent profile: ten importances and the response-style shift. */
export const PROFILE_LENGTH = 11
/** Index of the response-style (acquiescence) shift in a latent profile. */
export const STYLE_INDEX = 10

const STEP = (2 * Math.PI) / N_VALUES
const COS = new Float64Array(N_VALUES)
const SIN = new Float64Array(N_VALUES)
for (let k = 0; k < N_VALUES; k++) {
  COS[k] = Math.cos(STEP * k)
  SIN[k] = Math.sin(STEP * k)
}

/**
 * Checks a parameter set once, before a run, so the hot functions need not.
 *
 * @throws {RangeError} naming the first parameter that is out of range: amplitude, noiseSd, styleSd,
 * thresholdSpan must be finite and ≥ 0; discrimination finite and > 0; itemLocation finite; unprimedProfile
 * ten finite numbers.
 * @example
 * checkSyntheticParams(SYNTHETIC_DEFAULTS) // returns SYNTHETIC_DEFAULTS
 */
export const checkSyntheticParams = (params: SyntheticParams): SyntheticParams => {
  const nonNegative = ["amplitude", "noiseSd", "styleSd", "thresholdSpan"] as const
  for (const key of nonNegative) {
    const x = params[key]
    if (!Number.isFinite(x) || x < 0) {
      throw new RangeError(`synthetic respondent: ${key} must be finite and ≥ 0, got ${x}`)
    }
  }
  if (!Number.isFinite(params.discrimination) || params.discrimination <= 0) {
    throw new RangeError(`synthetic respondent: discrimination must be finite and > 0, got ${params.discrimination}`)
  }
  if (!Number.isFinite(params.itemLocation)) {
    throw new RangeError(`synthetic respondent: itemLocation must be finite, got ${params.itemLocation}`)
  }
  if (params.unprimedProfile.length !== N_VALUES || !params.unprimedProfile.every(Number.isFinite)) {
    throw new RangeError("synthetic respondent: unprimedProfile must be ten finite numbers in circle order (SD … UN)")
  }
  return params
}

/**
 * Draws an agent's latent profile (11 entries):
 * - θ_k = A·cos(2π(k−d)/10) + ε_k for k = 0…9, with d the dominant value's circle index (0 = SD … 9 = UN);
 * - θ_k = unprimedProfile[k] + ε_k when `dominant` is null (an unprimed agent);
 * - entry 10 = the response-style shift s ~ N(0, styleSd²);
 * with ε_k ~ N(0, noiseSd²) independent. Draw order is fixed (ε_0 … ε_9, then s; two `rng()` calls each), so a
 * profile is reproducible from its stream.
 *
 * Reference: DESIGN.md "The synthetic respondent"; the sinusoid after paper 002 figure 4; Schwartz (1992).
 *
 * @param out where to write (length ≥ 11); a new Float64Array by default.
 * @throws {RangeError} if `dominant` is neither null nor an integer 0…9, or `out` is shorter than 11.
 * @example
 * const p = latentProfile(8, rng) // a Benevolence-prompted agent
 * // p[8] ≈ 1.5 ± noise, p[3] (Achievement, opposite) ≈ −1.5 ± noise, p[10] = its response style
 */
export const latentProfile = (
  dominant: number | null,
  rng: Rng,
  params: SyntheticParams = SYNTHETIC_DEFAULTS,
  out: Float64Array = new Float64Array(PROFILE_LENGTH)
): Float64Array => {
  if (dominant !== null && !(Number.isInteger(dominant) && dominant >= 0 && dominant < N_VALUES)) {
    throw new RangeError(`latentProfile: dominant must be null or a circle index 0…9, got ${dominant}`)
  }
  if (out.length < PROFILE_LENGTH) throw new RangeError(`latentProfile: out must have length ≥ ${PROFILE_LENGTH}`)
  for (let k = 0; k < N_VALUES; k++) {
    const base = dominant === null
      ? (params.unprimedProfile[k] ?? 0)
      : params.amplitude * (COS[(k - dominant + N_VALUES) % N_VALUES] as number)
    out[k] = base + params.noiseSd * standardNormal(rng)
  }
  out[STYLE_INDEX] = params.styleSd * standardNormal(rng)
  return out
}

/**
 * Content standing of a profile on the sinusoid around circle position `peak`, without response style:
 * (Σ_k θ_k·cos(2π(k−peak)/10)) / 5, computed as (cos φ·C + sin φ·S)/5 with φ = 2π·peak/10,
 * C = Σ θ_k cos(2πk/10) and S = Σ θ_k sin(2πk/10). Dividing by 5 = Σ_k cos²(2π(k−peak)/10) makes the
 * projection of a pure sinusoid A·cos(2π(k−d)/10) equal A·cos(2π(d−peak)/10): A at the dominant value, −A
 * opposite it.
 */
const sinusoidStanding = (profile: ArrayLike<number>, peak: number): number => {
  let c = 0
  let s = 0
  for (let k = 0; k < N_VALUES; k++) {
    const theta = profile[k] as number
    c += theta * (COS[k] as number)
    s += theta * (SIN[k] as number)
  }
  // Whole-number peaks (the ten basic values) use the tables; fractional ones compute the angle.
  const index = peak | 0
  if (index === peak && index >= 0 && index < N_VALUES) {
    return ((COS[index] as number) * c + (SIN[index] as number) * s) / (N_VALUES / 2)
  }
  const phi = STEP * peak
  return (Math.cos(phi) * c + Math.sin(phi) * s) / (N_VALUES / 2)
}

/**
 * An agent's latent standing on content centred on circle position `peak` (a behaviour item or game decision
 * that declares `theory: { peak: … }`): the profile projected on the sinusoid around that peak plus the
 * response-style shift,
 *   propensity = (Σ_k θ_k·cos(2π(k−peak)/10)) / 5 + s.
 *
 * The divisor 5 = Σ_k cos²(2π(k−peak)/10) puts the result on the scale of θ_peak: for a value-prompted agent
 * with dominant d and no noise it is A·cos(2π(d−peak)/10) + s (A at its own value, −A at the opposite one).
 * The projection keeps only the first circular harmonic of the profile, so idiosyncratic noise enters with sd
 * noiseSd/√5 rather than noiseSd: behaviour follows the agent's overall position on the circle. `peak` may be
 * fractional (a point between two values, e.g. a refined value). Allocates nothing.
 *
 * Reference: DESIGN.md "The synthetic respondent"; Schwartz (1992) on the sinusoidal value–behaviour profile.
 *
 * Preconditions: `profile` has 11 entries (from `latentProfile`); `peak` finite.
 *
 * @example
 * propensity(Float64Array.of(1.5, 1.21, 0.46, -0.46, -1.21, -1.5, -1.21, -0.46, 0.46, 1.21, 0.2), 0) // ≈ 1.5 + 0.2
 */
export const propensity = (profile: ArrayLike<number>, peak: number): number =>
  sinusoidStanding(profile, peak) + (profile[STYLE_INDEX] as number)

/**
 * An agent's latent standing behind an item about basic value `value` (circle index 0…9): its importance of
 * that value plus its response-style shift, θ_value + s. DESIGN.md: "a questionnaire item about value v is
 * answered by a graded-response model on θ_v", so each value keeps its idiosyncratic noise ε_v.
 *
 * @example
 * valueStanding(profile, 8) // profile[8] + profile[10]
 */
export const valueStanding = (profile: ArrayLike<number>, value: number): number =>
  (profile[value] as number) + (profile[STYLE_INDEX] as number)

// Memo of exp(a·step) for the last (a, step) seen by `gradedResponse`, keyed on the numbers themselves: a cache
// only, results never depend on it.
let ratioA = NaN
let ratioStep = NaN
let ratio = 1

/**
 * Samejima's graded-response model: the probabilities of the k ordered categories 0…k−1 (lowest first) for a
 * respondent at latent standing θ, written into `out`:
 *   P(Y ≥ j) = 1 / (1 + exp(−a(θ − b_j))) for j = 1…k−1, P(Y ≥ 0) = 1, P(Y ≥ k) = 0,
 *   P(Y = j) = P(Y ≥ j) − P(Y ≥ j+1),
 * with a = `discrimination` and thresholds b_j spread evenly over [itemLocation − thresholdSpan,
 * itemLocation + thresholdSpan]. The k values are non-negative, sum to 1, and shift mass to higher categories as
 * θ grows. Allocates nothing.
 *
 * Reference: Samejima (1969), "Estimation of latent ability using a response pattern of graded scores",
 * Psychometrika Monograph 17; https://en.wikipedia.org/wiki/Graded_response_model
 *
 * Preconditions: k an integer ≥ 2; `out.length` ≥ k; `params` valid (see `checkSyntheticParams`).
 *
 * @throws {RangeError} on a bad k or a too-short `out`.
 * @example
 * gradedResponse(0, 2, new Float64Array(2)) // [0.5, 0.5]
 * gradedResponse(0, 6, new Float64Array(6)) // symmetric: out[0] = out[5] ≈ 0.032, out[2] = out[3] ≈ 0.346
 */
export const gradedResponse = (
  theta: number,
  k: number,
  out: Float64Array,
  params: SyntheticParams = SYNTHETIC_DEFAULTS
): Float64Array => {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`gradedResponse: k must be an integer ≥ 2, got ${k}`)
  if (out.length < k) throw new RangeError(`gradedResponse: out has length ${out.length} < k = ${k}`)
  const a = params.discrimination
  const step = k > 2 ? (2 * params.thresholdSpan) / (k - 2) : 0
  const first = k > 2 ? params.itemLocation - params.thresholdSpan : params.itemLocation
  // Evenly spaced thresholds make exp(−a(θ − b_j)) a geometric sequence with ratio exp(a·step): two exp calls
  // per item instead of k − 1 (this function runs tens of millions of times per large run). Underflow to 0 or
  // overflow to ∞ of the first term only happens where every P(Y ≥ j) is 1 or 0 to double precision anyway.
  if (a !== ratioA || step !== ratioStep) {
    ratioA = a
    ratioStep = step
    ratio = Math.exp(a * step)
  }
  let e = Math.exp(-a * (theta - first))
  let above = 1
  for (let j = 1; j < k; j++) {
    const atLeast = 1 / (1 + e)
    out[j - 1] = above - atLeast
    above = atLeast
    e *= ratio
  }
  out[k - 1] = above
  return out
}


/**
 * The answer distribution of a behaviour item or game decision centred on circle position `peak` (k categories,
 * lowest first, into `out`): `gradedResponse` at θ = s + c for an item stated in the peak's direction and at
 * θ = s − c for a reverse-keyed item (its content states the opposite), where
 * c = (Σ_k θ_k·cos(2π(k−peak)/10))/5 is the content standing of `propensity` and s the response-style shift.
 * Acquiescence pushes towards agreement with both kinds of item, so after reverse-scoring it cancels on balanced
 * scales. Allocates nothing.
 *
 * Reference: DESIGN.md "The synthetic respondent"; Samejima (1969).
 *
 * Preconditions: as `propensity` and `gradedResponse`.
 *
 * @example
 * itemDistribution(profile, 8, false, 7, buf) // 7-point agreement with a benevolence-centred statement
 */
export const itemDistribution = (
  profile: ArrayLike<number>,
  peak: number,
  reverse: boolean,
  k: number,
  out: Float64Array,
  params: SyntheticParams = SYNTHETIC_DEFAULTS
): Float64Array => {
  const content = sinusoidStanding(profile, peak)
  const style = profile[STYLE_INDEX] as number
  return gradedResponse(reverse ? style - content : style + content, k, out, params)
}

/**
 * The answer distribution of a questionnaire item measuring basic value `value` (circle index 0…9), k categories
 * lowest first into `out`: `gradedResponse` at θ = s + θ_value, or s − θ_value when the item is reverse-keyed.
 * This is the DESIGN.md model for value items (on θ_v itself, keeping the value's idiosyncratic noise), as
 * opposed to `itemDistribution`, which projects on the whole sinusoid. Allocates nothing.
 *
 * Reference: DESIGN.md "The synthetic respondent"; Samejima (1969).
 *
 * Preconditions: `value` an integer 0…9; as `gradedResponse`.
 *
 * @example
 * valueItemDistribution(profile, 8, false, 6, buf) // a 6-point "how much like you" item about benevolence
 */
export const valueItemDistribution = (
  profile: ArrayLike<number>,
  value: number,
  reverse: boolean,
  k: number,
  out: Float64Array,
  params: SyntheticParams = SYNTHETIC_DEFAULTS
): Float64Array => circleValueItemDistribution(profile, STYLE_INDEX, value, reverse, k, out, params)

/**
 * The answer distribution of a game decision over k ordered options (lowest value first) into `out`:
 * `gradedResponse` at θ = s + c + shift, where c is the agent's standing on the sinusoid around the value the
 * decision is theoretically centred on (`peak`, circle index 0…9, or −1 when the scenario declares none: then
 * c = 0) and `shift` what the game state implies (e.g. a fair offer makes accepting likelier; see
 * `DecisionRequest.theoryShift`). Allocates nothing.
 *
 * Reference: DESIGN.md "The synthetic respondent": a game decision declares in its scenario file the value it
 * is centred on, and the model answers on the sinusoid around that peak.
 *
 * @example
 * decisionDistribution(profile, 8, 0, 11, buf) // how much of 10 to give, centred on benevolence
 */
export const decisionDistribution = (
  profile: ArrayLike<number>,
  peak: number,
  shift: number,
  k: number,
  out: Float64Array,
  params: SyntheticParams = SYNTHETIC_DEFAULTS
): Float64Array => {
  const content = peak >= 0 ? sinusoidStanding(profile, peak) : 0
  return gradedResponse((profile[STYLE_INDEX] as number) + content + shift, k, out, params)
}

/**
 * A choice among unordered options (e.g. which cause to donate to), each centred on a value (`peaks[j]`, circle
 * index): P(j) ∝ exp(a·c_j), with c_j the agent's sinusoid standing around option j's value and a the
 * graded-response discrimination. Writes into `out` (length = peaks.length).
 *
 * @example
 * choiceDistribution(profile, [9, 8, 5], buf) // environment (UN), poverty (BE), police (SE)
 */
export const choiceDistribution = (
  profile: ArrayLike<number>,
  peaks: ArrayLike<number>,
  out: Float64Array,
  params: SyntheticParams = SYNTHETIC_DEFAULTS
): Float64Array => {
  let max = -Infinity
  for (let j = 0; j < peaks.length; j++) {
    out[j] = params.discrimination * sinusoidStanding(profile, peaks[j] as number)
    if ((out[j] as number) > max) max = out[j] as number
  }
  let total = 0
  for (let j = 0; j < peaks.length; j++) {
    out[j] = Math.exp((out[j] as number) - max)
    total += out[j] as number
  }
  for (let j = 0; j < peaks.length; j++) out[j] = (out[j] as number) / total
  return out
}

/**
 * The latent profile on a circle of `n` values (n + 1 entries: importances θ_0…θ_{n−1} in circle order, then the
 * response-style shift at index n), for the 19 refined values and for cross-system runs:
 * - θ_k = A·cos(2π(k−d)/n) + ε_k, with d the prompted value's position (may be fractional, e.g. 0.5 for a basic
 *   Self-Direction prompt on the refined circle);
 * - θ_k = ε_k when `position` is null (an unprimed agent: no preferred value on any circle);
 * - entry n = the response-style shift s ~ N(0, styleSd²).
 * Same draw order as `latentProfile` (ε_0 … ε_{n−1}, then s). For n = 10 and a whole position it gives what
 * `latentProfile` gives up to rounding; runs of the ten basic values keep using `latentProfile`.
 *
 * Reference: DESIGN.md "The synthetic respondent"; the refined circle after Schwartz et al. (2012); paper 002
 * figure 4 (scores fall sinusoidally with circular distance from the anchored value).
 *
 * @throws {RangeError} if n < 3, `position` is not finite, or `out` is shorter than n + 1.
 * @example
 * circleProfile(19, 15, rng) // a Benevolence–Caring anchored agent: p[15] ≈ 1.5, p[5] (Power–Dominance) ≈ −1.4
 */
export const circleProfile = (
  n: number,
  position: number | null,
  rng: Rng,
  params: SyntheticParams = SYNTHETIC_DEFAULTS,
  out: Float64Array = new Float64Array(n + 1)
): Float64Array => {
  if (!Number.isInteger(n) || n < 3) throw new RangeError(`circleProfile: n must be an integer ≥ 3, got ${n}`)
  if (position !== null && !Number.isFinite(position)) throw new RangeError(`circleProfile: position must be finite, got ${position}`)
  if (out.length < n + 1) throw new RangeError(`circleProfile: out must have length ≥ ${n + 1}`)
  for (let k = 0; k < n; k++) {
    const base = position === null ? 0 : params.amplitude * Math.cos((2 * Math.PI * (k - position)) / n)
    out[k] = base + params.noiseSd * standardNormal(rng)
  }
  out[n] = params.styleSd * standardNormal(rng)
  return out
}

/**
 * `valueItemDistribution` for a profile from `circleProfile(n, …)`: `gradedResponse` at θ = s ± θ_value with s
 * at index n. Allocates nothing.
 */
export const circleValueItemDistribution = (
  profile: ArrayLike<number>,
  n: number,
  value: number,
  reverse: boolean,
  k: number,
  out: Float64Array,
  params: SyntheticParams = SYNTHETIC_DEFAULTS
): Float64Array => {
  const content = profile[value] as number
  const style = profile[n] as number
  return gradedResponse(reverse ? style - content : style + content, k, out, params)
}

/**
 * `itemDistribution` for a profile from `circleProfile(n, …)`: content standing = the profile projected on the
 * sinusoid around `peak`, (Σ_k θ_k·cos(2π(k−peak)/n)) / (n/2), plus the style shift (minus the content when
 * reverse-keyed). Allocates nothing.
 */
export const circleItemDistribution = (
  profile: ArrayLike<number>,
  n: number,
  peak: number,
  reverse: boolean,
  k: number,
  out: Float64Array,
  params: SyntheticParams = SYNTHETIC_DEFAULTS
): Float64Array => {
  let c = 0
  for (let j = 0; j < n; j++) c += (profile[j] as number) * Math.cos((2 * Math.PI * (j - peak)) / n)
  const content = c / (n / 2)
  const style = profile[n] as number
  return gradedResponse(reverse ? style - content : style + content, k, out, params)
}
