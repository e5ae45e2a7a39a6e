import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { shuffleInPlace, stream } from "../../src/sampling/rng.js"
import { classicalMds, correlationToDistance, mapFromCorrelation, smacof } from "../../src/stats/mds.js"
import { procrustes, svPermutationNull, valuesSimilarity } from "../../src/stats/procrustes.js"
import { expectMatrixClose } from "../helpers/statsFixture.js"

// scikit-learn / SciPy reference values: tests/fixtures/make_mds_reference.py (command and versions in its header).
interface Ref {
  baselines: Record<string, { labels: Array<string>; classical: Array<Array<number>>; smacof: Array<Array<number>>; smacofStress: number; classicalStress: number; iterations: number }>
  pairs: Array<{ human: string; model: string; svClassical: number; svSmacof: number; svSmacofFixedPoint: number }>
  permuted: { human: string; model: string; cases: Array<{ permutation: Array<number>; svSmacof: number }> }
  small: { d: Array<Array<number>>; classical: Array<Array<number>>; smacof: Array<Array<number>>; stress: number }
}
const ref = JSON.parse(readFileSync(new URL("../fixtures/mds-reference.json", import.meta.url), "utf8")) as Ref
const matrixOf = (file: string): Array<Array<number>> =>
  (parse(readFileSync(new URL(`../../human-baselines/${file}`, import.meta.url), "utf8")) as { matrix: Array<Array<number>> }).matrix
const dist = (r: ReadonlyArray<ReadonlyArray<number>>) => r.map((row, i) => row.map((x, j) => (i === j ? 0 : correlationToDistance(x))))
const rawStress = (d: ReadonlyArray<ReadonlyArray<number>>, x: ReadonlyArray<ReadonlyArray<number>>) => {
  let s = 0
  for (let i = 0; i < d.length; i++) for (let j = i + 1; j < d.length; j++) s += (Math.hypot(...x[i]!.map((v, k) => v - x[j]![k]!)) - d[i]![j]!) ** 2
  return s
}

describe("smacof (ratio, unit weights)", () => {
  it("matches scikit-learn's Guttman transforms from the classical start on a small non-Euclidean matrix", () => {
    const init = classicalMds(ref.small.d, 2).coordinates
    expectMatrixClose(init, ref.small.classical, 1e-9)
    const s = smacof(ref.small.d, init)
    expect(s.converged).toBe(true)
    expectMatrixClose(s.coordinates, ref.small.smacof, 1e-6)
    expect(Math.abs(s.stress - ref.small.stress)).toBeLessThan(1e-9)
    expect(s.stress).toBeLessThan(rawStress(ref.small.d, init))
  })

  it("matches scikit-learn on every shipped value correlation baseline: coordinates, stress, iterations", () => {
    for (const [file, b] of Object.entries(ref.baselines)) {
      const d = dist(matrixOf(file))
      const classical = classicalMds(d, 2).coordinates
      expectMatrixClose(classical, b.classical, 1e-9)
      const s = smacof(d, classical)
      expect(s.converged, file).toBe(true)
      expect(s.iterations, file).toBe(b.iterations)
      expectMatrixClose(s.coordinates, b.smacof, 1e-8)
      expect(Math.abs(s.stress - b.smacofStress), file).toBeLessThan(1e-9)
      // SMACOF lowers the stress of the classical solution (by more than half on these matrices)
      expect(s.stress).toBeLessThan(b.classicalStress)
    }
  })

  it("never increases the stress, and a perfect configuration is a fixed point", () => {
    const d = dist(matrixOf("pvq40-us151.correlations-centered.yaml"))
    let x = classicalMds(d, 2).coordinates
    let prev = rawStress(d, x)
    for (let k = 0; k < 20; k++) {
      x = smacof(d, x, { maxIterations: 1 }).coordinates
      const s = rawStress(d, x)
      expect(s).toBeLessThanOrEqual(prev + 1e-12)
      prev = s
    }
    const square = [[0, 0], [1, 0], [1, 1], [0, 1]]
    const exact = square.map((a) => square.map((b) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!)))
    const s = smacof(exact, square)
    expect(s.stress).toBe(0)
    expect(s.iterations).toBe(0)
  })

  it("rejects bad input", () => {
    expect(() => smacof([[0, 1], [2, 0]], [[0, 0], [1, 0]])).toThrow(RangeError)
    expect(() => smacof([[0, -1], [-1, 0]], [[0, 0], [1, 0]])).toThrow(RangeError)
    expect(() => smacof([[0, 1], [1, 0]], [[0, 0]])).toThrow(RangeError)
  })
})

describe("S_V with SMACOF (the default) and classical MDS against scikit-learn + scipy.spatial.procrustes", () => {
  it("agrees to 1e-6 on every pair of shipped baselines, for both methods", () => {
    let worst = 0
    for (const p of ref.pairs) {
      const h = matrixOf(p.human)
      const m = matrixOf(p.model)
      const smac = valuesSimilarity(h, m)
      expect(smac.mdsMethod).toBe("smacof")
      expect(Math.abs(smac.sv - p.svSmacof), `${p.human} × ${p.model}`).toBeLessThanOrEqual(1e-6)
      expect(Math.abs(valuesSimilarity(h, m, "classical").sv - p.svClassical)).toBeLessThanOrEqual(1e-6)
      // the stopping rule (no coordinate moves by 1e-13) leaves S_V within 1e-9 of SMACOF's converged fixed point
      expect(Math.abs(smac.sv - p.svSmacofFixedPoint), `${p.human} × ${p.model}`).toBeLessThan(1e-9)
      worst = Math.max(worst, Math.abs(smac.sv - p.svSmacof))
    }
    expect(worst).toBeLessThan(1e-9)
  })

  it("the two methods differ by more than the paper's gaps between strategies on some pairs", () => {
    const gaps = ref.pairs.map((p) => Math.abs(p.svSmacof - p.svClassical))
    expect(Math.max(...gaps)).toBeGreaterThan(0.02)
  })
})

describe("svPermutationNull", () => {
  const hFile = ref.permuted.human
  const mFile = ref.permuted.model
  const h = matrixOf(hFile)
  const m = matrixOf(mFile)
  const hMap = mapFromCorrelation(h).coordinates
  const mMap = mapFromCorrelation(m).coordinates

  it("relabelling the model's values = permuting the rows of its map (checked against scikit-learn on the permuted matrices)", () => {
    for (const c of ref.permuted.cases) {
      const viaMap = 1 - procrustes(hMap, c.permutation.map((j) => mMap[j]!)).disparity
      const permutedMatrix = c.permutation.map((i) => c.permutation.map((j) => m[i]![j]!))
      expect(Math.abs(viaMap - c.svSmacof)).toBeLessThanOrEqual(1e-6)
      expect(Math.abs(valuesSimilarity(h, permutedMatrix).sv - c.svSmacof)).toBeLessThanOrEqual(1e-6)
    }
  })

  it("is seeded, sits well above 0, and gives the observed S_V a small p", () => {
    const observed = valuesSimilarity(h, m).sv
    const run = (seed: number) => {
      const rng = stream(seed, "test", "null")
      return svPermutationNull(hMap, mMap, observed, 1000, (idx) => shuffleInPlace(idx, rng))
    }
    const a = run(1)
    expect(run(1)).toEqual(a)
    expect(run(2)).not.toEqual(a)
    expect(a.permutations).toBe(1000)
    expect(a.mean).toBeGreaterThan(0.1)
    expect(a.mean).toBeLessThan(0.5)
    expect(a.q95).toBeGreaterThan(a.mean)
    expect(a.q95).toBeLessThan(observed)
    expect(a.p).toBeLessThan(0.01)
    expect(a.p).toBeGreaterThanOrEqual(1 / 1001)
    // a structure compared with itself: the identity permutation ties, the p-value counts it
    const self = svPermutationNull(hMap, hMap, 1, 50, (idx) => idx.reverse())
    expect(self.p).toBe(1 / 51)
    const ident = svPermutationNull(hMap, hMap, 1, 50, () => undefined)
    expect(ident.p).toBe(1)
  })
})

describe("the dissimilarity 1 − r as an option (issue 22 item 7)", () => {
  it("maps 1 − r instead of √(2(1 − r)), and moves S_V by up to ~0.08 on the shipped baselines", () => {
    const r = matrixOf("pvq40-us151.correlations-centered.yaml")
    const linear = r.map((row, i) => row.map((x, j) => (i === j ? 0 : 1 - x)))
    expectMatrixClose(mapFromCorrelation(r, "classical-1-r").coordinates, classicalMds(linear, 2).coordinates, 1e-12)
    expectMatrixClose(mapFromCorrelation(r, "smacof-1-r").coordinates, smacof(linear, classicalMds(linear, 2).coordinates).coordinates, 1e-12)
    let most = 0
    for (const p of ref.pairs) {
      const h = matrixOf(p.human)
      const m = matrixOf(p.model)
      most = Math.max(most, Math.abs(valuesSimilarity(h, m, "smacof-1-r").sv - valuesSimilarity(h, m).sv))
    }
    expect(most).toBeGreaterThan(0.005)
    expect(most).toBeLessThan(0.1)
    console.log(`largest S_V change from 1 − r over shipped pairs: ${most.toFixed(4)}`)
  })
})
