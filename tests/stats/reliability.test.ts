import { describe, expect, it } from "vitest"
import { loadStatsReference } from "../helpers/statsFixture.js"
import { alphaAccumulator, cronbachAlpha } from "../../src/stats/reliability.js"

// NumPy reference values: tests/fixtures/make_stats_reference.py (command and versions in its header).
interface Fixture {
  readonly reliability: {
    items: Array<Array<number>>
    alpha: number
    itemsWithNaN: Array<Array<number>>
    alphaListwise: number
  }
}
const ref = loadStatsReference<Fixture>().reliability

describe("cronbachAlpha", () => {
  it("matches the NumPy formula", () => {
    expect(Math.abs(cronbachAlpha(ref.items) - ref.alpha)).toBeLessThan(1e-12)
    expect(cronbachAlpha([[1, 2, 3, 4], [2, 3, 3, 5], [1, 3, 4, 4]])).toBeCloseTo(18 / 19, 14)
  })

  it("deletes respondents with any missing item listwise", () => {
    expect(Math.abs(cronbachAlpha(ref.itemsWithNaN) - ref.alphaListwise)).toBeLessThan(1e-12)
    const complete = [[1, 2, 3, 4], [2, 3, 3, 5], [1, 3, 4, 4]]
    const withMissing = complete.map((item, i) => (i === 1 ? [...item, NaN] : [...item, 6]))
    expect(cronbachAlpha(withMissing)).toBe(cronbachAlpha(complete))
  })

  it("is 1 for identical items and negative for items that cancel", () => {
    expect(cronbachAlpha([[1, 2, 3], [1, 2, 3], [1, 2, 3]])).toBeCloseTo(1, 14)
    expect(cronbachAlpha([[1, 2, 3, 4], [4, 3, 2, 1.5]])).toBeLessThan(0)
  })

  it("is NaN for fewer than two items or complete respondents, or constant sums", () => {
    expect(cronbachAlpha([])).toBeNaN()
    expect(cronbachAlpha([[1, 2, 3]])).toBeNaN()
    expect(cronbachAlpha([[1, NaN, 3], [1, 2, NaN]])).toBeNaN()
    expect(cronbachAlpha([[1, 2, 3], [3, 2, 1]])).toBeNaN()
  })

  it("throws on items of different lengths", () => {
    expect(() => cronbachAlpha([[1, 2, 3], [1, 2]])).toThrow(RangeError)
  })

  it("does not mutate its input", () => {
    const items = ref.itemsWithNaN.map((c) => c.slice())
    cronbachAlpha(items)
    expect(items).toEqual(ref.itemsWithNaN)
  })
})

describe("alphaAccumulator", () => {
  const streamed = (items: ReadonlyArray<ReadonlyArray<number>>) => {
    const acc = alphaAccumulator(items.length)
    for (let r = 0; r < items[0]!.length; r++) acc.add(items.map((item) => item[r]!))
    return acc
  }

  it("gives the NumPy α in one pass, with the same listwise deletion", () => {
    expect(Math.abs(streamed(ref.items).alpha() - ref.alpha)).toBeLessThan(1e-12)
    expect(Math.abs(streamed(ref.itemsWithNaN).alpha() - ref.alphaListwise)).toBeLessThan(1e-12)
  })

  it("stays accurate when the answers sit far from zero", () => {
    const shifted = ref.items.map((item) => item.map((x) => x + 1e6))
    expect(Math.abs(streamed(shifted).alpha() - ref.alpha)).toBeLessThan(1e-9)
  })

  it("is NaN where cronbachAlpha is", () => {
    expect(streamed([[1, 2, 3]]).alpha()).toBeNaN()
    expect(streamed([[1, NaN, 3], [1, 2, NaN]]).alpha()).toBeNaN()
    expect(streamed([[1, 2, 3], [3, 2, 1]]).alpha()).toBeNaN()
  })
})
