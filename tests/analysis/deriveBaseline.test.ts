import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { deriveBaseline, dominantShares, dominantValues, type DerivationInput } from "../../src/analysis/deriveBaseline.js"
import type { Value10 } from "../../src/domain/values.js"
import { expectMatrixClose } from "../helpers/statsFixture.js"

/** tests/fixtures/derive-reference.json, made by tests/fixtures/make_derive_reference.py (NumPy/SciPy); null = NaN. */
interface Reference {
  readonly input: {
    readonly values: ReadonlyArray<Value10>
    readonly columnValue: ReadonlyArray<number>
    readonly rows: ReadonlyArray<ReadonlyArray<number>>
    readonly recode: { readonly min: number; readonly max: number }
    readonly behaviours: ReadonlyArray<string>
    readonly columnBehaviour: ReadonlyArray<number>
    readonly behaviourRows: ReadonlyArray<ReadonlyArray<number>>
  }
  readonly expected: {
    readonly raw: ReadonlyArray<ReadonlyArray<number>>
    readonly centered: ReadonlyArray<ReadonlyArray<number>>
    readonly corrCentered: ReadonlyArray<ReadonlyArray<number>>
    readonly corrRaw: ReadonlyArray<ReadonlyArray<number>>
    readonly hierarchy: ReadonlyArray<number>
    readonly dominant: { readonly n: number; readonly excluded: number; readonly shares: ReadonlyArray<number>; readonly noDominant: number }
    readonly behaviourScores: ReadonlyArray<ReadonlyArray<number>>
    readonly valueBehaviour: ReadonlyArray<ReadonlyArray<number>>
  }
}

const ref = JSON.parse(readFileSync(new URL("../fixtures/derive-reference.json", import.meta.url), "utf8"), (_k, v: unknown) =>
  v === null ? NaN : v
) as Reference

const itemInput = (): DerivationInput => ({
  format: "items",
  centeredInput: false,
  values: ref.input.values,
  columnValue: ref.input.columnValue,
  rows: ref.input.rows.map((r) => Float64Array.from(r)),
  recode: ref.input.recode,
  behaviours: ref.input.behaviours,
  columnBehaviour: ref.input.columnBehaviour,
  behaviourRows: ref.input.behaviourRows.map((r) => Float64Array.from(r))
})

describe("deriveBaseline (items, against NumPy/SciPy)", () => {
  const d = deriveBaseline(itemInput())

  it("scores persons: recoded item means, MRAT-centered, missing items skipped", () => {
    expectMatrixClose(d.raw, ref.expected.raw, 1e-12)
    expectMatrixClose(d.centered, ref.expected.centered, 1e-12)
    expect(d.persons).toBe(9)
    expect(d.scored).toBe(8) // one person answered no item
  })

  it("correlates centered and raw scores with pairwise deletion", () => {
    expectMatrixClose(d.corrCentered, ref.expected.corrCentered, 1e-12)
    expectMatrixClose(d.corrRaw!, ref.expected.corrRaw, 1e-12)
    expect(d.minPairN).toBe(7) // PO is missing for two persons
  })

  it("takes the hierarchy as the mean available centered score per value", () => {
    d.hierarchy.forEach((h, i) => expect(h).toBeCloseTo(ref.expected.hierarchy[i]!, 12))
  })

  it("counts single dominant values, ties as no dominant value, and leaves out persons with a missing value mean", () => {
    const want = ref.expected.dominant
    expect(d.dominant.n).toBe(want.n)
    expect(d.dominant.excluded).toBe(want.excluded)
    d.dominant.shares.forEach((s, i) => expect(s).toBeCloseTo(want.shares[i]!, 12))
    expect(d.dominant.noDominant).toBeCloseTo(want.noDominant, 12)
    expect(d.dominant.noDominant).toBeGreaterThan(0) // the fixture has a tie
  })

  it("averages multi-column behaviours over the available columns and correlates them with centered values", () => {
    expectMatrixClose(d.behaviourScores, ref.expected.behaviourScores, 1e-12)
    expectMatrixClose(d.valueBehaviour, ref.expected.valueBehaviour, 1e-12)
  })

  it("does not mutate its inputs", () => {
    const input = itemInput()
    const before = JSON.stringify(input.rows.map((r) => Array.from(r)))
    deriveBaseline(input)
    expect(JSON.stringify(input.rows.map((r) => Array.from(r)))).toBe(before)
  })
})

describe("deriveBaseline (scores)", () => {
  const values: ReadonlyArray<Value10> = ["SD", "PO", "BE"]
  const rows = [
    [1, -1, 0],
    [0.5, -0.5, 0],
    [-1, 0.25, 0.75],
    [0.2, 0.2, -0.4]
  ].map((r) => Float64Array.from(r))
  const base = {
    format: "scores" as const,
    values,
    columnValue: [0, 1, 2],
    rows,
    recode: null,
    behaviours: [],
    columnBehaviour: [],
    behaviourRows: rows.map(() => new Float64Array(0))
  }

  it("takes already-centered scores as they are: no MRAT, no raw correlations", () => {
    const d = deriveBaseline({ ...base, centeredInput: true })
    expect(d.corrRaw).toBeNull()
    expect(Array.from(d.centered[0]!)).toEqual([1, 0.5, -1, 0.2])
    expect(d.hierarchy[0]).toBeCloseTo(0.175, 15)
    // Person 4 ties SD and PO at 0.2: no single dominant value.
    expect(d.dominant.noDominant).toBeCloseTo(0.25, 15)
    expect(d.dominant.shares).toEqual([0.5, 0, 0.25])
  })

  it("centers uncentered scores on the person's mean value score", () => {
    const three = [[4, 2, 6], [3, 3, 3], [5, 1, 3]].map((r) => Float64Array.from(r))
    const d = deriveBaseline({ ...base, centeredInput: false, rows: three, behaviourRows: three.map(() => new Float64Array(0)) })
    expect(Array.from(d.centered[0]!)).toEqual([0, 0, 2])
    expect(Array.from(d.raw[2]!)).toEqual([6, 3, 3])
    expect(d.corrRaw).not.toBeNull()
  })
})

describe("dominantValues", () => {
  it("finds one strictly highest value, or the tied ones", () => {
    expect(dominantValues([4, 5.5, 5, 3])).toEqual([1])
    expect(dominantValues([4, 5.5, 5.5, 3])).toEqual([1, 2])
  })

  it("treats scores equal but for floating-point rounding as tied (13/7 computed two ways)", () => {
    // Value Portrait participant P125: BE and UN are both 13/7 after the authors' centering.
    expect(dominantValues([1.8571428571428572, 0.5, 1.857142857142857])).toEqual([0, 2])
    expect(dominantValues([1.8571428571428572, 0.5, 1.8571428])).toEqual([0])
  })

  it("leaves out persons with a missing score", () => {
    const s = dominantShares([
      [1, NaN, 3],
      [2, 1, 1]
    ])
    expect(s.n).toBe(2)
    expect(s.excluded).toBe(1)
    expect(s.shares).toEqual([0.5, 0.5])
    expect(s.noDominant).toBe(0)
  })
})
