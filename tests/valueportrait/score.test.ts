import { NodeContext } from "@effect/platform-node"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { scoreRecordedOutputs } from "../../src/app/valuePortrait.js"
import { populationSd, scoreFamily, selectItems, VP_FAMILIES } from "../../src/stats/valuePortrait.js"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"

/**
 * Value Portrait (seed 004, section 3.4): scoring recorded answers must reproduce the published scores of
 * gpt-3.5-turbo (../shared/data/value-portrait/dev-model-outputs, MIT; never committed).
 */
const DATA = path.resolve(ROOT, "../shared/data/value-portrait")
const OUT = path.join(DATA, "dev-model-outputs")
const available = fs.existsSync(path.join(OUT, "gpt-3.5-turbo_expected_scores.json"))
const VARIANTS = ["v1", "v1_reversed", "v2", "v2_reversed", "v3", "v3_reversed"]
const files = VARIANTS.map((v) => path.join(OUT, `gpt-3.5-turbo_${v}_results.json`))

const run = <A, E>(e: Effect.Effect<A, E, NodeContext.NodeContext>) => Effect.runPromise(Effect.either(Effect.provide(e, NodeContext.layer)))

describe("Value Portrait scoring (pure)", () => {
  it("selects positive r ≥ 0.3 with p below the bound, centres on all selected items, averages over variants", () => {
    const corr = [
      { item: "1:1", dimension: "A", r: 0.5, p: 0.01 },
      { item: "1:2", dimension: "A", r: 0.3, p: 0.04 },
      { item: "1:3", dimension: "A", r: -0.6, p: 0.001 }, // negative: never selected
      { item: "1:3", dimension: "B", r: 0.4, p: 0.2 }, // not significant
      { item: "1:4", dimension: "B", r: 0.35, p: 0.02 }
    ]
    const sel = selectItems(corr, { minR: 0.3, maxP: 0.05 })
    expect(sel.get("A")).toEqual(["1:1", "1:2"])
    expect(sel.get("B")).toEqual(["1:4"])
    expect(selectItems(corr, { minR: 0.3, maxP: Infinity }).get("B")).toEqual(["1:3", "1:4"])
    const v1 = new Map([["1:1", 6], ["1:2", 4], ["1:3", 1], ["1:4", 2]])
    const v2 = new Map([["1:1", 5], ["1:2", 5], ["1:4", 5]])
    const s = scoreFamily([v1, v2], sel, ["A", "B", "C"])
    // variant 1: A = 5, grand mean of {1:1,1:2,1:4} = 4 → +1; variant 2: A = 5, grand = 5 → 0
    expect(s["A"]!.centered_mean).toBeCloseTo(0.5, 12)
    expect(s["A"]!.original_mean).toBeCloseTo(5, 12)
    expect(s["A"]!.std_dev).toBeCloseTo(populationSd([5.5, 4.5]), 12)
    expect(s["B"]!.centered_mean).toBeCloseTo(((2 - 4) + (5 - 5)) / 2, 12)
    expect(s["C"]).toBeUndefined()
  })
})

describe.skipIf(!available)("Value Portrait scoring against the published gpt-3.5-turbo scores", () => {
  it("reproduces every value, Big Five and higher-order score to ±0.005 (in fact ~1e-12)", async () => {
    const expected = JSON.parse(fs.readFileSync(path.join(OUT, "gpt-3.5-turbo_expected_scores.json"), "utf8")).scores
    const r = await run(scoreRecordedOutputs(DATA, files))
    if (Either.isLeft(r)) throw new Error(String(r.left))
    const s = r.right
    let max = 0
    for (const f of VP_FAMILIES) {
      expect(Object.keys(s.scores[f]).sort()).toEqual(Object.keys(expected[f]).sort())
      for (const [dim, e] of Object.entries<any>(expected[f])) {
        const got = s.scores[f][dim]!
        expect(got.n, `${f}.${dim}.n`).toBe(e.n)
        for (const k of ["centered_mean", "original_mean", "std_dev"] as const) {
          expect(Math.abs(got[k] - e[k]), `${f}.${dim}.${k}`).toBeLessThan(0.005)
          max = Math.max(max, Math.abs(got[k] - e[k]))
        }
      }
    }
    expect(max).toBeLessThan(1e-9)
    expect(Object.keys(s.values)).toHaveLength(10)
    expect(s.values["SE"]).toBeCloseTo(expected.pvq.Security.centered_mean, 9)
  })

  it("CLI: --json prints the scores; bad input exits 2 naming the file and field, nothing else", async () => {
    const ok = await runCli(["value-portrait", "score", "--data", DATA, "--outputs", ...files, "--json"])
    expect(ok.code, ok.stderr).toBe(0)
    const j = lastJson(ok.stdout) as any
    expect(j.variants).toHaveLength(6)
    expect(j.values.HE).toBeCloseTo(-0.11149961149961207, 9)
    expect(j.scores.bfi.Neuroticism.centered_mean).toBeCloseTo(-0.21283524904214524, 9)

    const dir = tempDir("vp-bad")
    const bad = path.join(dir, "bad_results.json")
    fs.writeFileSync(bad, JSON.stringify([{ portrait_id: 1025, option_id: 1, numeric_response: 4 }, { portrait_id: 99999, option_id: 1, numeric_response: 4 }]))
    const r = await runCli(["value-portrait", "score", "--data", DATA, "--outputs", bad])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(bad)
    expect(r.stderr).toContain("[1].portrait_id")
    expect(r.stderr).toContain("99999")
    expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/)
    expect(r.stdout).toBe("")
  })
})

describe("Value Portrait scoring: bad input (in process)", () => {
  it("a missing data folder, a missing result file and malformed JSON are named", async () => {
    const dir = tempDir("vp-input")
    const missing = await run(scoreRecordedOutputs(path.join(dir, "nope"), ["x.json"]))
    expect(Either.isLeft(missing) && String(missing.left)).toContain("--data")
    fs.mkdirSync(path.join(dir, "data", "correlation_results"), { recursive: true })
    const cfile = path.join(dir, "data", "correlation_results", "pvq_correlation_results.json")
    fs.writeFileSync(cfile, "[{ not json")
    const malformed = await run(scoreRecordedOutputs(dir, ["x.json"]))
    expect(Either.isLeft(malformed) && String(malformed.left)).toContain(cfile)
    expect(Either.isLeft(malformed) && String(malformed.left)).toContain("not valid JSON")
    fs.writeFileSync(cfile, JSON.stringify([{ portrait_id: "1", option_id: 1, pvq_dimension: "Kindness", spearman_corr: 0.4, spearman_p_value: 0.01 }]))
    const unknown = await run(scoreRecordedOutputs(dir, ["x.json"]))
    expect(Either.isLeft(unknown) && String(unknown.left)).toContain("[0].pvq_dimension")
  })
})
