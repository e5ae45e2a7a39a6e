import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parse } from "yaml"
import { pickItems } from "../../src/app/valuePortrait.js"
import type { VpItem } from "../../src/config/ValuePortraitData.js"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * Running the Value Portrait benchmark (seed 004) on any backend: `prepare` writes six questionnaires and a study
 * from the user's data folder, `run` answers them, `score --run` scores the run per condition.
 */
const DATA = path.resolve(ROOT, "../shared/data/value-portrait")
const available = fs.existsSync(path.join(DATA, "lm_evaluation", "data", "Phase1_total.json"))
const CODES = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]

const item = (key: string): VpItem => ({ key, portraitId: Number(key.split(":")[0]), optionId: Number(key.split(":")[1]), title: "", text: "q", response: "r" })

describe("pickItems", () => {
  it("spreads a small subset over the values before taking a second item of any value", () => {
    const items = ["1:1", "1:2", "1:3", "2:1", "2:2", "2:3"].map(item)
    const sel = new Map([["Power", ["1:1", "1:2", "1:3"]], ["Benevolence", ["2:3"]]])
    expect(pickItems(items, sel, 2).map((i) => i.key)).toEqual(["1:1", "2:3"])
    expect(pickItems(items, sel, 4).map((i) => i.key)).toEqual(["1:1", "1:2", "1:3", "2:3"])
    expect(pickItems(items, sel, 99)).toHaveLength(6)
  })
})

describe.skipIf(!available)("valuesim value-portrait prepare / run / score --run", () => {
  let server: FakeServer
  beforeAll(async () => {
    server = await startFakeServer()
  })
  afterAll(async () => {
    await server.close()
  })

  const prepare = async (args: ReadonlyArray<string>) => {
    const out = path.join(tempDir("vp-prep"), "bench")
    const r = await runCli(["value-portrait", "prepare", "--data", DATA, "--out", out, "--json", ...args])
    expect(r.code, r.stderr).toBe(0)
    return lastJson(r.stdout) as { study: string; questionnaires: Array<string>; items: number }
  }
  const score = async (runDir: string) => {
    const r = await runCli(["value-portrait", "score", "--data", DATA, "--run", runDir, "--json"])
    expect(r.code, r.stderr).toBe(0)
    return lastJson(r.stdout) as any
  }

  it("synthetic: a value-steered pool gives the steering matrix, each prompted value highest on its own score", async () => {
    const p = await prepare(["--max-items", "60", "--population", "populations/strategy-pool.yaml", "--agents", "55"])
    expect(p.questionnaires).toHaveLength(6)
    const q = parse(fs.readFileSync(p.questionnaires[1]!, "utf8"))
    expect(q.option_order).toBe("reversed")
    expect(q.items).toHaveLength(60)
    expect(q.items[0].id).toMatch(/^vp:\d+:\d+$/)
    const run = await runCli(["run", p.study, "--runs-dir", tempDir("vp-runs"), "--no-tui", "--json"])
    expect(run.code, run.stderr).toBe(0)
    const runDir = String(lastJson(run.stdout)["runDir"])
    // The JSON and the text score of one finished run, read at the same time.
    const [s, text] = await Promise.all([score(runDir), runCli(["value-portrait", "score", "--data", DATA, "--run", runDir])])
    expect(s.steps).toHaveLength(6)
    expect(s.conditions).toHaveLength(11)
    // the synthetic backend is named, in the JSON and as the same banner as `run` in the text
    expect(s.backend).toEqual({ backend: "synthetic", model: "synthetic-theory-v1", synthetic: true, label: "synthetic: theory model, not an LLM" })
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout.split("\n")[0]).toBe("*** synthetic: theory model, not an LLM ***")
    for (const code of CODES) {
      const row = s.conditions.find((c: any) => c.condition === `value:${code}`)
      expect(row.agents).toBe(5)
      expect(row.variants.every((v: any) => v.rated === 60)).toBe(true)
      const own = row.values[code]
      expect(own, code).toBeGreaterThan(0.5)
      // the diagonal beats the value on the opposite side of the circle
      const opposite = CODES[(CODES.indexOf(code) + 5) % 10]!
      expect(own, code).toBeGreaterThan(row.values[opposite] + 1)
    }
    // table 15: prompted minus unprompted, the prompted value raised
    expect(s.steering).toHaveLength(10)
    for (const row of s.steering) expect(row.differences[row.condition.slice(6)], row.condition).toBeGreaterThan(0.5)
  })

  it("loopback OpenAI-compatible server: 20 items × 6 variants are asked and scored", async () => {
    const p = await prepare(["--max-items", "20"])
    const before = server.requests
    const run = await runCli([
      "run", p.study, "--runs-dir", tempDir("vp-runs"), "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--no-tui", "--json"
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(lastJson(run.stdout)["answers"]).toBe(120)
    expect(server.requests - before).toBeGreaterThanOrEqual(120)
    const s = await score(String(lastJson(run.stdout)["runDir"]))
    expect(s.conditions).toHaveLength(1)
    expect(s.backend).toEqual({ backend: "openai", model: "fake-model", synthetic: false, label: null })
    expect(s.conditions[0].condition).toBe("none")
    expect(s.conditions[0].variants.map((v: any) => v.rated)).toEqual([20, 20, 20, 20, 20, 20])
    expect(Object.keys(s.conditions[0].values).sort()).toEqual([...CODES].sort())
    // centered scores of one family average to about zero only when weighted by items; here just check finiteness and range
    for (const v of Object.values<number>(s.conditions[0].values)) expect(Math.abs(v)).toBeLessThan(5)
  })

  it("demographic personas: persona − no persona beside the ESS group differences (tables 9-12 shape)", async () => {
    const p = await prepare(["--max-items", "20", "--population", "populations/demographic-personas.yaml"])
    const run = await runCli(["run", p.study, "--runs-dir", tempDir("vp-runs"), "--no-tui", "--json"])
    expect(run.code, run.stderr).toBe(0)
    expect(lastJson(run.stdout)["agents"]).toBe(14)
    const personas = ["value-portrait", "personas", "--data", DATA, "--run", String(lastJson(run.stdout)["runDir"])]
    const [r, text] = await Promise.all([runCli([...personas, "--json"]), runCli(personas)])
    expect(r.code, r.stderr).toBe(0)
    const b = lastJson(r.stdout) as any
    expect(b.backend.label).toBe("synthetic: theory model, not an LLM")
    expect(text.stdout).toContain("*** synthetic: theory model, not an LLM ***")
    expect(b.tables.map((t: any) => t.variable)).toEqual(["gender", "age", "political-orientation", "education"])
    const gender = b.tables[0].rows
    expect(gender.map((x: any) => x.group)).toEqual(["male", "female", "male-female"])
    expect(gender[2].human.CO).toBeCloseTo(0.02, 9) // seed 004 table 9, Male-Female, Con
    for (const t of b.tables) for (const row of t.rows) for (const v of CODES) expect(Number.isFinite(row.model[v]), `${t.variable} ${row.group} ${v}`).toBe(true)
  })

  it("bad input: no data folder, not a run folder — exit 2, one message, nothing written", async () => {
    const out = path.join(tempDir("vp-bad"), "bench")
    const [r, s] = await Promise.all([
      runCli(["value-portrait", "prepare", "--data", path.join(out, "missing"), "--out", out]),
      runCli(["value-portrait", "score", "--data", DATA, "--run", tempDir("vp-notarun")])
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("--data")
    expect(fs.existsSync(out)).toBe(false)
    expect(s.code).toBe(2)
    expect(s.stderr).toContain("no run.sqlite")
    expect(s.stderr.match(/valuesim( [a-z-]+)*:/g)?.length).toBe(1)
  })
})
