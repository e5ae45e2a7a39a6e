import { describe, expect, it } from "vitest"
import { loadStatsReference } from "../helpers/statsFixture.js"
import { fitSinusoid } from "../../src/stats/sinusoid.js"

// NumPy reference values (numpy.linalg.lstsq): tests/fixtures/make_stats_reference.py (command and versions there).
interface Case {
  x: Array<number>
  y: Array<number>
  period: number
  mean: number
  amplitude: number
  phase: number
  r2: number
}
interface Fixture {
  readonly sinusoid: { cases: Array<Case> }
}
const ref = loadStatsReference<Fixture>().sinusoid

const curve = (xs: ReadonlyArray<number>, mean: number, amplitude: number, phase: number, period: number) =>
  xs.map((x) => mean + amplitude * Math.cos((2 * Math.PI * (x - phase)) / period))

describe("fitSinusoid", () => {
  it("matches numpy.linalg.lstsq on noisy positions, circular distances and 19 refined values", () => {
    for (const c of ref.cases) {
      const fit = fitSinusoid(c.x, c.y, c.period)
      expect(fit.n).toBe(c.x.length)
      for (const key of ["mean", "amplitude", "phase", "r2"] as const) {
        expect(Math.abs(fit[key] - c[key])).toBeLessThan(1e-9)
      }
    }
  })

  it("recovers an exact sinusoid", () => {
    const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    const fit = fitSinusoid(x, curve(x, 2, 3, 1, 10))
    expect(fit.mean).toBeCloseTo(2, 12)
    expect(fit.amplitude).toBeCloseTo(3, 12)
    expect(fit.phase).toBeCloseTo(1, 12)
    expect(fit.r2).toBeCloseTo(1, 12)
    // A trough at the anchor is a peak half a period away, with a positive amplitude.
    const trough = fitSinusoid(x, curve(x, 0, -1.5, 0, 10))
    expect(trough.amplitude).toBeCloseTo(1.5, 12)
    expect(trough.phase).toBeCloseTo(5, 12)
    const x19 = Array.from({ length: 19 }, (_, i) => i)
    const fit19 = fitSinusoid(x19, curve(x19, -0.5, 0.7, 17.2, 19), 19)
    expect(fit19.phase).toBeCloseTo(17.2, 12)
  })

  it("drops non-finite pairs", () => {
    const x = [0, 1, 2, 3, 4, 5, NaN, 7]
    const y = [...curve([0, 1, 2, 3, 4, 5, 6, 7], 1, 2, 3, 10)]
    y[2] = Infinity
    const fit = fitSinusoid(x, y)
    expect(fit.n).toBe(6)
    expect(fit.amplitude).toBeCloseTo(2, 12)
  })

  it("is all-NaN when the curve is not identified, r² NaN for constant y", () => {
    expect(fitSinusoid([0, 1], [1, 2]).mean).toBeNaN()
    expect(fitSinusoid([2, 2, 2, 2], [1, 2, 3, 4]).amplitude).toBeNaN()
    expect(fitSinusoid([0, 5, 0, 5], [1, 2, 1, 2]).phase).toBeNaN()
    const flat = fitSinusoid([0, 1, 2, 3], [4, 4, 4, 4])
    expect(flat.mean).toBeCloseTo(4, 12)
    expect(flat.amplitude).toBeLessThan(1e-12)
    expect(flat.r2).toBeNaN()
  })

  it("throws on unequal lengths or a bad period", () => {
    expect(() => fitSinusoid([1, 2], [1])).toThrow(RangeError)
    expect(() => fitSinusoid([1, 2, 3], [1, 2, 3], 0)).toThrow(RangeError)
    expect(() => fitSinusoid([1, 2, 3], [1, 2, 3], Infinity)).toThrow(RangeError)
  })

  it("does not mutate its inputs", () => {
    const c = ref.cases[0]!
    const x = c.x.slice()
    const y = c.y.slice()
    fitSinusoid(x, y)
    expect(x).toEqual(c.x)
    expect(y).toEqual(c.y)
  })
})
