import { describe, expect, it } from "vitest"
import { BATCH_MAX_BYTES, BATCH_MAX_REQUESTS, shardRanges } from "../../src/app/batch.js"

describe("shardRanges", () => {
  it("cuts at the request limit", () => {
    expect(shardRanges([10, 10, 10, 10, 10], 2, 1000)).toEqual([
      { from: 0, to: 2, bytes: 22 },
      { from: 2, to: 4, bytes: 22 },
      { from: 4, to: 5, bytes: 11 }
    ])
  })
  it("cuts before a line that would pass the byte limit, newlines counted", () => {
    // 40 + 1 and 50 + 1 fit in 100; the third line (9 + 1) would make 102.
    expect(shardRanges([40, 50, 9, 98], 10, 100)).toEqual([
      { from: 0, to: 2, bytes: 92 },
      { from: 2, to: 3, bytes: 10 },
      { from: 3, to: 4, bytes: 99 }
    ])
  })
  it("a file may be exactly full", () => {
    expect(shardRanges([49, 49, 1], 10, 100)).toEqual([{ from: 0, to: 2, bytes: 100 }, { from: 2, to: 3, bytes: 2 }])
  })
  it("a line alone over the limit is reported; no lines, no files", () => {
    expect(shardRanges([10, 100], 10, 100)).toEqual({ tooLarge: 1 })
    expect(shardRanges([], 10, 100)).toEqual([])
  })
  it("defaults are OpenAI's limits", () => {
    expect(BATCH_MAX_REQUESTS).toBe(50_000)
    expect(BATCH_MAX_BYTES).toBe(200 * 1024 * 1024)
    const ranges = shardRanges(new Array<number>(120_001).fill(100), BATCH_MAX_REQUESTS, BATCH_MAX_BYTES)
    expect(Array.isArray(ranges) && ranges.map((r) => r.to - r.from)).toEqual([50_000, 50_000, 20_001])
  })
})
