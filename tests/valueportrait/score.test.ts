import { NodeContext } from "@effect/platform-node"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { scoreRecordedOutputs } from "../../src/app/valuePortrait.js"
import { averageOverVariants, populationSd, scoreFamily, selectItems, VP_FAMILIES } from "../../src/stats/valuePortrait.js"
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
  it("selects positive r ≥ 0.3 with p below the bound, averages each item over the variants that rated it, scores once", () => {
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
    const v2 = new Map([["1:1", 5], ["1:4", 5]]) // 1:2 unreadable in variant 2
    expect([...averageOverVariants([v1, v2])]).toEqual([["1:1", 5.5], ["1:2", 4], ["1:3", 1], ["1:4", 3.5]])
    const s = scoreFamily([v1, v2], sel, ["A", "B", "C"])
    // item averages 1:1 = 5.5, 1:2 = 4, 1:4 = 3.5; grand mean of the selected items = 13 / 3
    expect(s["A"]!.original_mean).toBeCloseTo(4.75, 12)
    expect(s["A"]!.centered_mean).toBeCloseTo(4.75 - 13 / 3, 12)
    expect(s["A"]!.std_dev).toBeCloseTo(populationSd([5.5, 4]), 12)
    expect(s["A"]!.n).toBe(2)
    expect(s["B"]!.centered_mean).toBeCloseTo(3.5 - 13 / 3, 12)
    expect(s["C"]).toBeUndefined()
    // scoring each variant and averaging the scores would give A = ((5 − 4) + (5 − 5)) / 2 = 0.5: not the published method
    expect(Math.abs(s["A"]!.centered_mean - 0.5)).toBeGreaterThan(0.05)
  })
})

/** The dev models of the published data: gpt-3.5-turbo answered every item; the other two have unreadable answers. */
const MODELS = [
  { model: "gpt-3.5-turbo", errors: 0 },
  { model: "claude-3-5-haiku-20241022", errors: 23 },
  { model: "gemini-flash-1.5-8b", errors: 22 }
]
const modelFiles = (m: string) => VARIANTS.map((v) => path.join(OUT, `${m}_${v}_results.json`))
const allAvailable = MODELS.every(({ model }) => fs.existsSync(path.join(OUT, `${model}_expected_scores.json`)))

describe.skipIf(!allAvailable).each(MODELS)("Value Portrait scoring against the published scores of $model", ({ model, errors }) => {
  it(`reproduces every value, Big Five and higher-order score to 1e-9 under the published item rule (${errors} unreadable answers)`, async () => {
    const expected = JSON.parse(fs.readFileSync(path.join(OUT, `${model}_expected_scores.json`), "utf8")).scores
    const r = await run(scoreRecordedOutputs(DATA, modelFiles(model)))
    if (Either.isLeft(r)) throw new Error(String(r.left))
    const s = r.right
    expect(s.variants.reduce((a, v) => a + v.unrated, 0)).toBe(errors)
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
    expect(s.itemRule).toBe("published")
    expect(Object.keys(s.values)).toHaveLength(10)
    expect(s.values["SE"]).toBeCloseTo(expected.pvq.Security.centered_mean, 9)
  })
})

describe.skipIf(!available)("Value Portrait scoring: the CLI", () => {
  it("CLI: --json prints the scores; bad input exits 2 naming the file and field, nothing else", async () => {
    const ok = await runCli(["value-portrait", "score", "--data", DATA, "--outputs", ...files, "--json"])
    expect(ok.code, ok.stderr).toBe(0)
    const j = lastJson(ok.stdout) as any
    expect(j.variants).toHaveLength(6)
    expect(j.values.HE).toBeCloseTo(-0.11149961149961207, 9)
    expect(j.scores.bfi.Neuroticism.centered_mean).toBeCloseTo(-0.21283524904214524, 9)

    // a model with unreadable answers, through the command line as a user would run it
    const claude = await runCli(["value-portrait", "score", "--data", DATA, "--outputs", ...modelFiles("claude-3-5-haiku-20241022"), "--json"])
    expect(claude.code, claude.stderr).toBe(0)
    const c = lastJson(claude.stdout) as any
    const published = JSON.parse(fs.readFileSync(path.join(OUT, "claude-3-5-haiku-20241022_expected_scores.json"), "utf8")).scores
    expect(Math.abs(c.scores.pvq.Conformity.centered_mean - published.pvq.Conformity.centered_mean)).toBeLessThan(1e-9)
    expect(c.variants.map((v: any) => v.unrated)).toEqual([10, 5, 1, 0, 4, 3])

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

/**
 * The published item rule (issue 22 item 1) on a synthetic fixture (tests/fixtures/value-portrait-mini, written by
 * hand): item 1:2's record in the first file by name is an error record without correlations, so the published
 * scorer leaves it out although the reversed variant rated it. Item averages: 1:1 = 5, 1:2 = 5, 1:3 = 2, 2:1 = 2.
 */
describe("Value Portrait: the published item rule (synthetic fixture)", () => {
  const MINI = path.join(ROOT, "tests", "fixtures", "value-portrait-mini")
  // given in reverse order: the rule must sort the files by name itself
  const mini = ["mini_v1_reversed_results.json", "mini_v1_results.json"].map((f) => path.join(MINI, "outputs", f))

  it("published (default): the item whose first record has no metadata is left out of every family it lacks", async () => {
    const r = await run(scoreRecordedOutputs(MINI, mini))
    if (Either.isLeft(r)) throw new Error(String(r.left))
    const s = r.right
    expect(s.itemRule).toBe("published")
    expect(s.publishedRuleLeftOut).toEqual({ pvq: ["1:2"], bfi: ["1:2"], higher_pvq: ["1:2"] })
    expect(s.variants.map((v) => v.unrated)).toEqual([0, 1])
    // pvq: Hedonism {1:1} = 5, Power {1:3, 2:1} = 2, grand mean (5 + 2 + 2) / 3 = 3
    expect(s.scores.pvq["Hedonism"]!.centered_mean).toBeCloseTo(2, 12)
    expect(s.scores.pvq["Hedonism"]!.n).toBe(1)
    expect(s.scores.pvq["Power"]!.centered_mean).toBeCloseTo(-1, 12)
    // bfi: Openness {2:1} = 2, Neuroticism {1:1} = 5, grand 3.5
    expect(s.scores.bfi["Openness"]!.centered_mean).toBeCloseTo(-1.5, 12)
    expect(s.scores.bfi["Neuroticism"]!.centered_mean).toBeCloseTo(1.5, 12)
    // higher-order: Openness_to_Change had only 1:2 and disappears
    expect(s.scores.higher_pvq["Openness_to_Change"]).toBeUndefined()
    expect(s.scores.higher_pvq["Self_Enhancement"]!.centered_mean).toBeCloseTo(0, 12)
  })

  it("dataset (named option): the same answers with every item's correlations from the data folder count 1:2", async () => {
    const r = await run(scoreRecordedOutputs(MINI, mini, "dataset"))
    if (Either.isLeft(r)) throw new Error(String(r.left))
    const s = r.right
    expect(s.itemRule).toBe("dataset")
    expect(s.publishedRuleLeftOut.pvq).toEqual(["1:2"])
    // pvq: Hedonism {1:1, 1:2} = 5, Power = 2, grand (5 + 5 + 2 + 2) / 4 = 3.5
    expect(s.scores.pvq["Hedonism"]!.centered_mean).toBeCloseTo(1.5, 12)
    expect(s.scores.pvq["Hedonism"]!.n).toBe(2)
    expect(s.scores.bfi["Openness"]!.centered_mean).toBeCloseTo(-0.5, 12)
    expect(s.scores.higher_pvq["Openness_to_Change"]!.centered_mean).toBeCloseTo(1.5, 12)
  })

  it("CLI: --item-rule is a named option, the JSON and the text say which rule was used", async () => {
    const pub = await runCli(["value-portrait", "score", "--data", MINI, "--outputs", ...mini])
    expect(pub.code, pub.stderr).toBe(0)
    expect(pub.stdout).toContain("the published rule")
    expect(pub.stdout).toContain("1:2")
    const ds = await runCli(["value-portrait", "score", "--data", MINI, "--item-rule", "dataset", "--json", "--outputs", ...mini])
    expect(ds.code, ds.stderr).toBe(0)
    expect((lastJson(ds.stdout) as any).itemRule).toBe("dataset")
    const bad = await runCli(["value-portrait", "score", "--data", MINI, "--item-rule", "first", "--outputs", ...mini])
    expect(bad.code).toBe(2)
  })
})
