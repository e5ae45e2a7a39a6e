/**
 * Least-squares fit of a sinusoid of known period, for score profiles around the value circle. Pure.
 */
import { Matrix, SingularValueDecomposition } from "ml-matrix"

/** The fitted curve y = mean + amplitude · cos(2π(x − phase)/period), and its fit. */
export interface SinusoidFit {
  /** a, the level of the curve (the mean of y over a full, evenly sampled period). */
  readonly mean: number
  /** b ≥ 0, the half peak-to-trough height. */
  readonly amplitude: number
  /** φ in [0, period): where the curve peaks (0 when the amplitude is 0). */
  readonly phase: number
  /** Coefficient of determination, 1 − SS_res / SS_tot (NaN when y is constant). */
  readonly r2: number
  /** The number of (x, y) pairs used. */
  readonly n: number
}

const NAN_FIT = (n: number): SinusoidFit => ({ mean: NaN, amplitude: NaN, phase: NaN, r2: NaN, n })

/**
 * Fits y = a + b·cos(2π(x − φ)/P) with known period P by ordinary least squares. The model is linear in
 * [1, cos θ, sin θ], θ = 2πx/P: y = a + c·cos θ + s·sin θ, solved by SVD (the minimum-norm solution, as
 * `numpy.linalg.lstsq`); then b = √(c² + s²) and φ = P·atan2(s, c)/(2π), taken modulo P.
 *
 * Use: x = the position of each value on the circle (0…9 for the ten values, P = 10; 0…18 for the 19 refined
 * values, P = 19), or its circular distance from an anchor value. Paper 002 (seed 002_8599096937f5cc8f, figure 4)
 * finds that scores after value anchoring, aligned on the anchored value, follow a sinusoid: high near the
 * anchor, low opposite it. A good fit has large amplitude, phase ≈ 0 (the anchor) and high r².
 *
 * Missing-data policy: pairs where x or y is not finite are dropped.
 *
 * Reference: https://en.wikipedia.org/wiki/Harmonic_analysis (trigonometric regression); Rozen et al. (2025),
 * "Do LLMs have consistent values?", ICLR, §4.1.
 *
 * Preconditions: x and y have the same length; period is finite and > 0.
 *
 * @returns all-NaN fields when fewer than 3 pairs remain or the design is rank-deficient (for instance all x
 * equal, or x only at multiples of P/2, where sin θ vanishes), since amplitude and phase are then not identified.
 * @throws {RangeError} if the lengths differ or the period is not positive and finite.
 * @example
 * // y = 2 + 3·cos(2π(x − 1)/10) sampled at x = 0…9:
 * fitSinusoid([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], ys) // { mean: 2, amplitude: 3, phase: 1, r2: 1, n: 10 }
 */
export const fitSinusoid = (x: ArrayLike<number>, y: ArrayLike<number>, period = 10): SinusoidFit => {
  if (x.length !== y.length) throw new RangeError(`fitSinusoid: x has ${x.length} values but y has ${y.length}`)
  if (!(Number.isFinite(period) && period > 0)) throw new RangeError(`fitSinusoid: period must be > 0, got ${period}`)
  const xs: Array<number> = []
  const ys: Array<number> = []
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number
    const yi = y[i] as number
    if (Number.isFinite(xi) && Number.isFinite(yi)) {
      xs.push(xi)
      ys.push(yi)
    }
  }
  const n = xs.length
  if (n < 3) return NAN_FIT(n)
  const design = new Matrix(n, 3)
  for (let i = 0; i < n; i++) {
    const theta = (2 * Math.PI * (xs[i] as number)) / period
    design.set(i, 0, 1)
    design.set(i, 1, Math.cos(theta))
    design.set(i, 2, Math.sin(theta))
  }
  const svd = new SingularValueDecomposition(design)
  const sv = svd.diagonal
  const largest = sv[0] as number
  if (sv.some((s) => !(s > 1e-10 * largest))) return NAN_FIT(n)
  // β = V · diag(1/σ) · Uᵀ y
  const u = svd.leftSingularVectors
  const v = svd.rightSingularVectors
  const beta = [0, 0, 0]
  for (let k = 0; k < 3; k++) {
    let uty = 0
    for (let i = 0; i < n; i++) uty += u.get(i, k) * (ys[i] as number)
    const w = uty / (sv[k] as number)
    for (let j = 0; j < 3; j++) beta[j] = (beta[j] as number) + v.get(j, k) * w
  }
  const [a, c, s] = beta as [number, number, number]
  let yMean = 0
  for (const yi of ys) yMean += yi
  yMean /= n
  let ssRes = 0
  let ssTot = 0
  for (let i = 0; i < n; i++) {
    const yi = ys[i] as number
    const fitted = a + c * design.get(i, 1) + s * design.get(i, 2)
    ssRes += (yi - fitted) ** 2
    ssTot += (yi - yMean) ** 2
  }
  const amplitude = Math.hypot(c, s)
  let phase = amplitude === 0 ? 0 : ((period * Math.atan2(s, c)) / (2 * Math.PI)) % period
  if (phase < 0) phase += period
  if (phase >= period) phase = 0
  return { mean: a, amplitude, phase, r2: ssTot === 0 ? NaN : 1 - ssRes / ssTot, n }
}
