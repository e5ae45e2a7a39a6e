import { describe, expect, it } from "vitest"
import { expectMatrixClose, loadStatsReference } from "../helpers/statsFixture.js"
import { classicalMds, correlationToDistance, mdsFromCorrelation } from "../../src/stats/mds.js"

// NumPy reference values: tests/fixtures/make_stats_reference.py (command and versions in its header).
interface Fixture {
  readonly mds: {
    r: Array<Array<number>>
    coordinates: Array<Array<number>>
    eigenvalues: Array<number>
    distances2d: Array<Array<number>>
  }
}
const ref = loadStatsReference<Fixture>().mds


const distances = (x: ReadonlyArray<ReadonlyArray<number>>) =>
  x.map((a) => x.map((b) => Math.hypot(...a.map((v, k) => v - b[k]!))))

describe("correlationToDistance", () => {
  it("is √(2(1 − r)), clamped at |r| ≤ 1", () => {
    expect(correlationToDistance(1)).toBe(0)
    expect(correlationToDistance(0.5)).toBe(1)
    expect(correlationToDistance(0)).toBe(Math.SQRT2)
    expect(correlationToDistance(-1)).toBe(2)
    expect(correlationToDistance(1.0000000000000002)).toBe(0)
    expect(correlationToDistance(NaN)).toBeNaN()
  })
})

describe("classicalMds", () => {
  it("matches NumPy's eigh-based classical MDS of a real 10 × 10 correlation matrix to 1e-6", () => {
    const { coordinates, eigenvalues } = mdsFromCorrelation(ref.r, 2)
    expectMatrixClose(coordinates, ref.coordinates)
    expectMatrixClose([eigenvalues], [ref.eigenvalues])
    // Sign-free check: the reconstructed 2-D distances.
    expectMatrixClose(distances(coordinates), ref.distances2d)
  })

  it("recovers a Euclidean configuration up to rotation (distances reproduced exactly)", () => {
    const points = [[0, 0], [3, 0], [3, 4], [-1, 2], [1, 1]]
    const d = distances(points)
    const { coordinates, eigenvalues } = classicalMds(d, 2)
    expectMatrixClose(distances(coordinates), d, 1e-10)
    for (const l of eigenvalues.slice(2)) expect(Math.abs(l)).toBeLessThan(1e-10)
  })

  it("follows the sign convention: the largest |coordinate| of each dimension is positive", () => {
    const { coordinates } = classicalMds([[0, 3, 4], [3, 0, 1], [4, 1, 0]], 1)
    expectMatrixClose(coordinates, [[7 / 3], [-2 / 3], [-5 / 3]], 1e-12)
    const two = mdsFromCorrelation(ref.r, 2).coordinates
    for (let k = 0; k < 2; k++) {
      const col = two.map((row) => row[k]!)
      const big = col.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0)
      expect(big).toBeGreaterThan(0)
    }
  })

  it("collapses dimensions with non-positive eigenvalues to 0", () => {
    // Two coincident points and one apart: only one positive eigenvalue.
    const { coordinates, eigenvalues } = classicalMds([[0, 0, 2], [0, 0, 2], [2, 2, 0]], 2)
    expect(eigenvalues[1]!).toBeLessThan(1e-12)
    for (const row of coordinates) expect(Math.abs(row[1]!)).toBe(0)
  })

  it("handles a single point", () => {
    expect(classicalMds([[0]], 1).coordinates).toEqual([[0]])
  })

  it("throws on invalid input", () => {
    expect(() => classicalMds([])).toThrow(RangeError)
    expect(() => classicalMds([[0, 1], [1]])).toThrow(RangeError)
    expect(() => classicalMds([[0, 1], [2, 0]])).toThrow(RangeError)
    expect(() => classicalMds([[1, 1], [1, 0]])).toThrow(RangeError)
    expect(() => classicalMds([[0, NaN], [NaN, 0]])).toThrow(RangeError)
    expect(() => classicalMds([[0, 1], [1, 0]], 3)).toThrow(RangeError)
    expect(() => classicalMds([[0, 1], [1, 0]], 1.5)).toThrow(RangeError)
    expect(() => mdsFromCorrelation([[1, NaN], [NaN, 1]])).toThrow(RangeError)
    expect(() => mdsFromCorrelation([[0.5, 0], [0, 1]])).toThrow(RangeError)
  })

  it("does not mutate its input", () => {
    const r = ref.r.map((row) => row.slice())
    mdsFromCorrelation(r)
    expect(r).toEqual(ref.r)
  })
})
