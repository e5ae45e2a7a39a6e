import { describe, expect, it } from "@effect/vitest"
import { expectMatrixClose, loadStatsReference } from "../helpers/statsFixture.js"
import { FastCheck } from "effect"
import { correlationMatrix, correlationOfRows, crossCorrelation, pearson, rank, spearman } from "../../src/stats/correlation.js"

const finite = FastCheck.double({ min: -1e6, max: 1e6, noNaN: true })

// SciPy/NumPy reference values: tests/fixtures/make_stats_reference.py (command and versions in its header).
interface Fixture {
  readonly correlation: {
    readonly spearman: { x: Array<number>; y: Array<number>; rankX: Array<number>; rankY: Array<number>; rho: number }
    readonly matrix: {
      columns: Array<Array<number>>
      pearson: Array<Array<number>>
      spearman: Array<Array<number>>
      columnsWithNaN: Array<Array<number>>
      pearsonPairwise: Array<Array<number>>
      spearmanPairwise: Array<Array<number>>
    }
    readonly cross: { behaviour: Array<Array<number>>; pearson: Array<Array<number>>; spearman: Array<Array<number>> }
  }
}
const ref = loadStatsReference<Fixture>().correlation


describe("pearson", () => {
  it("matches NumPy and hand-computed values", () => {
    // NumPy 2.4, x and y below pasted in: python3 -c "import numpy as np; print(repr(np.corrcoef(x, y)[0, 1]))"
    const x = [2.5, 3.1, 4.7, 1.2, 6.8, 5.5, 3.3]
    const y = [1.0, 2.2, 3.9, 0.4, 5.1, 6.0, 2.0]
    expect(pearson(x, y)).toBeCloseTo(0.9398244167326767, 14)
    // By hand: deviations (−2,−1,0,1,2) and (2,0,1,−2,−1): Σxy = −8, Σx² = Σy² = 10, r = −0.8.
    expect(pearson([1, 2, 3, 4, 5], [5, 3, 4, 1, 2])).toBeCloseTo(-0.8, 14)
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBe(1)
    expect(pearson(Float64Array.of(1, 2, 3), Float64Array.of(3, 2, 1))).toBe(-1)
  })

  it("is NaN for n < 2 or a constant sample, and throws on unequal lengths", () => {
    expect(pearson([], [])).toBeNaN()
    expect(pearson([1], [2])).toBeNaN()
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN()
    expect(pearson([0.1, 0.1, 0.1], [1, 2, 3])).toBeNaN()
    expect(pearson([1, NaN, 3], [1, 2, 3])).toBeNaN()
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(RangeError)
  })

  it.prop(
    "lies in [−1, 1] and is symmetric",
    [FastCheck.array(FastCheck.tuple(finite, finite), { minLength: 2, maxLength: 40 })],
    ([pairs]) => {
      const x = pairs.map((p) => p[0])
      const y = pairs.map((p) => p[1])
      const r = pearson(x, y)
      if (!Number.isNaN(r)) {
        expect(r).toBeGreaterThanOrEqual(-1)
        expect(r).toBeLessThanOrEqual(1)
        expect(pearson(y, x)).toBeCloseTo(r, 12)
      }
    }
  )
})

describe("rank", () => {
  it("gives average ranks to ties, as scipy.stats.rankdata", () => {
    expect(Array.from(rank(ref.spearman.x))).toEqual(ref.spearman.rankX)
    expect(Array.from(rank(ref.spearman.y))).toEqual(ref.spearman.rankY)
    expect(Array.from(rank([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1])
    expect(Array.from(rank([]))).toEqual([])
  })

  it("ranks around NaN and leaves it NaN", () => {
    const r = rank([3, NaN, 1, 3])
    expect(r[1]).toBeNaN()
    expect([r[0], r[2], r[3]]).toEqual([2.5, 1, 2.5])
  })

  it("does not mutate its input", () => {
    const xs = [3, 1, 2]
    rank(xs)
    expect(xs).toEqual([3, 1, 2])
  })
})

describe("spearman", () => {
  it("matches scipy.stats.spearmanr with ties", () => {
    expect(spearman(ref.spearman.x, ref.spearman.y)).toBeCloseTo(ref.spearman.rho, 12)
    expect(spearman([1, 2, 2, 3], [3, 1, 2, 0])).toBeCloseTo(-0.9486832980505139, 12)
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBe(1)
  })

  it("is NaN for n < 2, constant samples or NaN, and throws on unequal lengths", () => {
    expect(spearman([], [])).toBeNaN()
    expect(spearman([1], [1])).toBeNaN()
    expect(spearman([2, 2, 2], [1, 2, 3])).toBeNaN()
    expect(spearman([1, NaN, 3], [1, 2, 3])).toBeNaN()
    expect(() => spearman([1, 2], [1])).toThrow(RangeError)
  })
})

describe("correlationOfRows", () => {
  const columns = ref.matrix.columns
  const p = columns.length
  const n = columns[0]!.length
  const rowMajor = Float64Array.from({ length: n * p }, (_, x) => columns[x % p]![Math.floor(x / p)]!)

  it("matches np.corrcoef over all rows of row-major data", () => {
    expectMatrixClose(correlationOfRows(rowMajor, p, Int32Array.from({ length: n }, (_, i) => i)), ref.matrix.pearson)
  })

  it("equals correlationMatrix of the gathered columns for a resample with repeated rows", () => {
    const rows = Int32Array.from({ length: 2 * n }, (_, i) => (i * 7 + 3) % n)
    const gathered = columns.map((c) => Array.from(rows, (r) => c[r]!))
    const a = correlationOfRows(rowMajor, p, rows)
    const b = correlationMatrix(gathered)
    for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) expect(a[j]![k]).toBeCloseTo(b[j]![k]!, 12)
  })

  it("gives NaN for a constant column and for fewer than two rows; rejects bad p and rows", () => {
    const c = correlationOfRows([1, 5, 3, 2, 5, 2, 3, 5, 1], 3, [0, 1, 2])
    expect(c[0]![0]).toBe(1)
    expect(c[1]![1]).toBeNaN()
    expect(c[0]![1]).toBeNaN()
    expect(c[0]![2]).toBeCloseTo(-1, 12)
    expect(correlationOfRows([1, 2, 3, 4], 2, [1]).flat().every(Number.isNaN)).toBe(true)
    expect(() => correlationOfRows([1, 2], 0, [0])).toThrow(RangeError)
    expect(() => correlationOfRows([1, 2, 3, 4], 2, [2])).toThrow(RangeError)
  })
})

describe("correlationMatrix", () => {
  it("matches np.corrcoef and scipy.stats.spearmanr on complete data", () => {
    expectMatrixClose(correlationMatrix(ref.matrix.columns), ref.matrix.pearson)
    expectMatrixClose(correlationMatrix(ref.matrix.columns, "spearman"), ref.matrix.spearman)
  })

  it("deletes NaN pairwise (pandas DataFrame.corr), ranking within the complete pairs for Spearman", () => {
    expectMatrixClose(correlationMatrix(ref.matrix.columnsWithNaN), ref.matrix.pearsonPairwise)
    expectMatrixClose(correlationMatrix(ref.matrix.columnsWithNaN, "spearman"), ref.matrix.spearmanPairwise)
  })

  it("has a unit diagonal and NaN for constant or too-short columns", () => {
    const c = correlationMatrix([[1, 2, 3, 4], [5, 5, 5, 5], [NaN, NaN, NaN, 1], [4, 1, 3, 2]])
    expect(c[0]![0]).toBe(1)
    expect(c[1]![1]).toBeNaN()
    expect(c[0]![1]).toBeNaN()
    expect(c[2]![2]).toBeNaN()
    expect(c[2]![3]).toBeNaN()
    expect(c[3]![0]).toBe(c[0]![3])
    expect(correlationMatrix([])).toEqual([])
    expect(correlationMatrix([[1]])).toEqual([[NaN]])
  })

  it("throws on ragged columns or an unknown method", () => {
    expect(() => correlationMatrix([[1, 2, 3], [1, 2]])).toThrow(RangeError)
    expect(() => correlationMatrix([[1, 2]], "kendall" as "pearson")).toThrow(RangeError)
  })

  it("does not mutate its input", () => {
    const columns = ref.matrix.columnsWithNaN.map((c) => c.slice())
    correlationMatrix(columns, "spearman")
    expectMatrixClose(columns, ref.matrix.columnsWithNaN, 0)
  })
})

describe("crossCorrelation", () => {
  it("gives rows of a × columns of b with pairwise deletion", () => {
    expectMatrixClose(crossCorrelation(ref.matrix.columnsWithNaN, ref.cross.behaviour), ref.cross.pearson)
    expectMatrixClose(crossCorrelation(ref.matrix.columnsWithNaN, ref.cross.behaviour, "spearman"), ref.cross.spearman)
    expect(crossCorrelation([[1, 2, 3], [3, 1, 2]], [[2, 4, 6]])).toEqual([[1], [-0.5]])
  })

  it("agrees with the off-diagonal block of correlationMatrix", () => {
    const all = correlationMatrix([...ref.matrix.columnsWithNaN, ...ref.cross.behaviour])
    const block = all.slice(0, 4).map((row) => row.slice(4))
    expectMatrixClose(crossCorrelation(ref.matrix.columnsWithNaN, ref.cross.behaviour), block, 1e-15)
  })

  it("throws when a and b differ in respondents", () => {
    expect(() => crossCorrelation([[1, 2, 3]], [[1, 2]])).toThrow(RangeError)
    expect(crossCorrelation([], [[1, 2]])).toEqual([])
  })
})
