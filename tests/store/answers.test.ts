import { Effect } from "effect"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { encodeAnswerRow } from "../../src/store/encoding.js"
import { writePlan } from "../../src/store/plan.js"
import { readAnswerPages, readAnswerRecords, readRunTotals, readStepTotals } from "../../src/store/reads.js"
import { makeStatements, openDatabase, type AnswerPage } from "../../src/store/RunStore.js"
import { tempDir } from "../helpers/cli.js"

const items = [
  { id: "A", subscale: "SD", reverse: false, text: "a" },
  { id: "B", subscale: "ST", reverse: true, text: "b" },
  { id: "C", subscale: "HE", reverse: false, text: "c" }
]

const open = () => {
  const db = Effect.runSync(openDatabase(path.join(tempDir("store"), "run.sqlite")))
  writePlan(db, {
    conditions: [{ id: "none", value: null, system: null }, { id: "value:SD", value: "SD", system: "be free" }],
    assignment: [0, 1, 1, 0],
    steps: [{ kind: "questionnaire", items }],
    manifest: { run_id: "t" }
  })
  return db
}

const page = (over: Partial<AnswerPage>): AnswerPage => ({
  _tag: "AnswerPage", step: 0, items: 3, k: 2, agentIds: [], failed: null, redo: null, values: new Float64Array(0),
  scoring: new Uint8Array(0), dists: null, requestKeys: null, attempts: null, raws: null, errors: null, ...over
})

describe("the compact answer store", () => {
  it("round-trips values, inline and per-request distributions, requests, raws and errors; counts as it writes", () => {
    const db = open()
    const w = makeStatements(db)
    w.writeBatch([
      { _tag: "Request", row: { key: "k1", body: "{}", text: "2", topLogprobs: null, promptTokens: 10, completionTokens: 1, latencyMs: 5, attempts: 2 } },
      page({
        agentIds: [0, 1],
        values: Float64Array.of(1, 2, NaN, 2, 1, 1),
        scoring: Uint8Array.of(1, 1, 1, 0, 0, 1),
        // agent 0 drew from its own distributions (synthetic); agent 1's first two answers came from request k1.
        dists: Float64Array.of(0.25, 0.75, 0.1234567, 0.8765433, NaN, NaN, 0.4, 0.6, 0.4, 0.6, NaN, NaN),
        requestKeys: [null, null, null, "k1", "k1", null],
        attempts: Uint8Array.of(0, 0, 0, 1, 1, 0),
        raws: ["1", "2", null, null, null, null],
        errors: [null, null, null, null, null, "request failed"],
        failed: Uint8Array.of(0, 1)
      })
    ])
    const rows = [...readAnswerRecords(db)]
    expect(rows.map((r) => [r.agentId, r.itemIdx, r.value, r.scoring, r.raw, r.dist, r.requestKey, r.attempts, r.error])).toEqual([
      [0, 0, 1, "sample", "1", "0.25,0.75", null, 0, null],
      [0, 1, 2, "sample", "2", "0.123457,0.876543", null, 0, null],
      [0, 2, null, "sample", null, null, null, 0, null],
      [1, 0, 2, "logprob", "2", "0.4,0.6", "k1", 1, null],
      [1, 1, 1, "logprob", "2", "0.4,0.6", "k1", 1, null],
      [1, 2, 1, "sample", null, null, null, 0, "request failed"]
    ])
    expect(rows[3]).toMatchObject({ promptTokens: 10, completionTokens: 1, latencyMs: 5, conditionIdx: 1 })
    const pages = [...readAnswerPages(db, 0)]
    expect(pages).toHaveLength(1)
    expect(Array.from(pages[0]!.conditionIdx)).toEqual([0, 1])
    expect(readStepTotals(db)[0]).toMatchObject({ unitsPending: 2, unitsDone: 1, unitsFailed: 1, answers: 6, failed: 1, missing: 1 })

    // The failed unit is redone: its old row's counts are replaced, not added to.
    w.writeBatch([page({ agentIds: [1], redo: Uint8Array.of(1), values: Float64Array.of(3, 3, 3), scoring: Uint8Array.of(1, 1, 1), degraded: 3 })])
    expect(readRunTotals(db)).toMatchObject({ pending: 2, done: 2, failed: 0, answers: 6, failedAnswers: 0, missing: 1, degraded: 3 })
    expect([...readAnswerRecords(db)].filter((r) => r.agentId === 1).map((r) => r.value)).toEqual([3, 3, 3])
    db.close()
  })

  it("encodes a 40-item answer with its own six-option distribution in 21 bytes, one from a shared request in 8", () => {
    const n = 40
    const k = 6
    const dists = new Float64Array(n * k).map((_, j) => ((j % k) + 1) / 21)
    const cols = { items: n, k, values: new Float64Array(n).fill(4), scoring: new Uint8Array(n), dists, attempts: null, raws: null, errors: null }
    const size = (r: ReturnType<typeof encodeAnswerRow>) =>
      r.vals.byteLength + r.scoring.byteLength + (r.dists?.byteLength ?? 0) + (r.requestIds?.byteLength ?? 0) + (r.attempts?.byteLength ?? 0)
    expect(size(encodeAnswerRow(cols, 0, null)) / n).toBe(21)
    const shared = encodeAnswerRow({ ...cols, attempts: new Uint8Array(n).fill(1) }, 0, new Uint32Array(n).fill(7))
    expect(shared.dists).toBeNull()
    expect(size(shared) / n).toBe(8)
  })
})
