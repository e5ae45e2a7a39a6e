import { describe, expect, it } from "vitest"
import { expectMatrixClose, loadStatsReference } from "../helpers/statsFixture.js"
import { stream } from "../../src/sampling/rng.js"
import { procrustes, valuesSimilarity } from "../../src/stats/procrustes.js"

// SciPy reference values: tests/fixtures/make_stats_reference.py (command and versions in its header).
type M = Array<Array<number>>
interface Fixture {
  readonly mds: { r: M }
  readonly procrustes: {
    random: { data1: M; data2: M; mtx1: M; mtx2: M; disparity: number; data3: M; mtx2Of3: M; disparityOf3: number }
    human: { rEss: M; mtx1: M; mtx2: M; disparity: number; sv: number }
  }
}
const fixture = loadStatsReference<Fixture>()
const ref = fixture.procrustes
const rPvq40 = fixture.mds.r


/** s · X · Q + t for the rotation-or-reflection Q by `angle`. */
const similarity = (x: M, angle: number, reflect: boolean, s: number, t: [number, number]): M =>
  x.map(([a = 0, b = 0]) => {
    const c = Math.cos(angle)
    const d = Math.sin(angle)
    const bb = reflect ? -b : b
    return [s * (a * c - bb * d) + t[0], s * (a * d + bb * c) + t[1]]
  })

describe("procrustes", () => {
  it("matches scipy.spatial.procrustes on two 10 × 2 configurations to 1e-6", () => {
    const near = procrustes(ref.random.data1, ref.random.data2)
    expectMatrixClose(near.mtx1, ref.random.mtx1)
    expectMatrixClose(near.mtx2, ref.random.mtx2)
    expect(Math.abs(near.disparity - ref.random.disparity)).toBeLessThanOrEqual(1e-9)
    const far = procrustes(ref.random.data1, ref.random.data3)
    expectMatrixClose(far.mtx2, ref.random.mtx2Of3)
    expect(Math.abs(far.disparity - ref.random.disparityOf3)).toBeLessThanOrEqual(1e-9)
  })

  it("gives the SciPy values of small hand examples", () => {
    expect(procrustes([[0, 0], [1, 0], [2, 1]], [[0, 0], [2, 0], [3, 3]]).disparity).toBeCloseTo(0.0234375, 12)
    const square = procrustes([[0, 0], [1, 0], [1, 1], [0, 1]], [[5, 5], [5, 7], [3, 7], [3, 5]])
    expect(square.disparity).toBeLessThan(1e-20)
    expectMatrixClose(square.mtx2, square.mtx1, 1e-12)
  })

  it("is invariant to rotating, reflecting, scaling and translating the model configuration", () => {
    const rng = stream(11, "procrustes-invariance")
    const base = procrustes(ref.random.data1, ref.random.data3)
    for (let trial = 0; trial < 40; trial++) {
      const moved = similarity(
        ref.random.data3,
        2 * Math.PI * rng(),
        rng() < 0.5,
        0.01 + 100 * rng(),
        [20 * rng() - 10, 20 * rng() - 10]
      )
      const r = procrustes(ref.random.data1, moved)
      expect(Math.abs(r.disparity - base.disparity)).toBeLessThan(1e-12)
      expectMatrixClose(r.mtx2, base.mtx2, 1e-10)
    }
  })

  it("is symmetric and lies in [0, 1]", () => {
    const rng = stream(11, "procrustes-symmetry")
    for (let trial = 0; trial < 40; trial++) {
      const a = Array.from({ length: 6 }, () => [rng(), rng()])
      const b = Array.from({ length: 6 }, () => [rng(), rng()])
      const ab = procrustes(a, b).disparity
      expect(ab).toBeGreaterThanOrEqual(0)
      expect(ab).toBeLessThanOrEqual(1)
      expect(Math.abs(procrustes(b, a).disparity - ab)).toBeLessThan(1e-12)
    }
  })

  it("works in one and three dimensions", () => {
    expect(procrustes([[1], [2], [4]], [[-2], [-4], [-8]]).disparity).toBeLessThan(1e-24)
    const cube = [[0, 0, 0], [1, 0, 0], [0, 2, 0], [0, 0, 3], [1, 1, 1]]
    const turned = cube.map(([x = 0, y = 0, z = 0]) => [2 * y + 1, 2 * z, 2 * x - 5])
    expect(procrustes(cube, turned).disparity).toBeLessThan(1e-24)
  })

  it("throws where SciPy raises ValueError", () => {
    expect(() => procrustes([], [])).toThrow(RangeError)
    expect(() => procrustes([[]], [[]])).toThrow(RangeError)
    expect(() => procrustes([[1, 2], [3, 4]], [[1, 2]])).toThrow(RangeError)
    expect(() => procrustes([[1, 2], [3, 4]], [[1], [2]])).toThrow(RangeError)
    expect(() => procrustes([[1, 2], [1, 2]], [[1, 2], [3, 4]])).toThrow(RangeError)
    expect(() => procrustes([[1, NaN], [3, 4]], [[1, 2], [3, 4]])).toThrow(RangeError)
  })

  it("does not mutate its inputs", () => {
    const a = ref.random.data1.map((row) => row.slice())
    const b = ref.random.data2.map((row) => row.slice())
    procrustes(a, b)
    expect(a).toEqual(ref.random.data1)
    expect(b).toEqual(ref.random.data2)
  })
})

describe("valuesSimilarity", () => {
  it("matches classical MDS + scipy.spatial.procrustes on two real value correlation matrices to 1e-6", () => {
    const s = valuesSimilarity(rPvq40, ref.human.rEss, "classical")
    expect(s.mdsMethod).toBe("classical")
    expect(Math.abs(s.disparity - ref.human.disparity)).toBeLessThanOrEqual(1e-6)
    expect(Math.abs(s.sv - ref.human.sv)).toBeLessThanOrEqual(1e-6)
    expectMatrixClose(s.human, ref.human.mtx1)
    expectMatrixClose(s.model, ref.human.mtx2)
  })

  it("is 1 for a matrix with itself and symmetric in its arguments", () => {
    for (const r of [rPvq40, ref.human.rEss]) {
      const s = valuesSimilarity(r, r)
      expect(Math.abs(s.sv - 1)).toBeLessThan(1e-12)
      expect(s.disparity).toBeGreaterThanOrEqual(0)
    }
    const ab = valuesSimilarity(rPvq40, ref.human.rEss).sv
    expect(Math.abs(valuesSimilarity(ref.human.rEss, rPvq40).sv - ab)).toBeLessThan(1e-12)
  })

  it("throws on matrices of different sizes", () => {
    expect(() => valuesSimilarity(rPvq40, [[1, 0], [0, 1]])).toThrow(RangeError)
  })

  it("does not mutate its inputs", () => {
    const a = rPvq40.map((row) => row.slice())
    const b = ref.human.rEss.map((row) => row.slice())
    valuesSimilarity(a, b)
    expect(a).toEqual(rPvq40)
    expect(b).toEqual(ref.human.rEss)
  })
})
