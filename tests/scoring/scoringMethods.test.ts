import { afterAll, beforeAll, describe, expect, it } from "vitest"
import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import { openerAccuracy } from "../helpers/openerModel.js"
import { withRunDb } from "../helpers/store.js"
import { optionMass } from "../../src/llm/scoring.js"
import { readStated } from "../../src/scoring/stated.js"
import { requestColumns } from "../../src/store/reads.js"

const six = [1, 2, 3, 4, 5, 6].map((v) => ({ token: String(v), label: `label ${v}`, value: v }))
const three = six.slice(0, 3)

describe("option mass", () => {
  it("counts every variant of an option token and nothing else", () => {
    const top = [
      { token: "4", logprob: Math.log(0.2) },
      { token: " 4", logprob: Math.log(0.1) },
      { token: "4.", logprob: Math.log(0.05) },
      { token: "4)", logprob: Math.log(0.05) },
      { token: "**4", logprob: Math.log(0.05) },
      { token: "**", logprob: Math.log(0.3) },
      { token: "Answer", logprob: Math.log(0.15) },
      { token: "\n", logprob: Math.log(0.1) }
    ]
    expect(optionMass(top, six)).toBeCloseTo(0.45, 12)
    expect(optionMass(null, six)).toBe(0)
    expect(optionMass([{ token: "7", logprob: Math.log(0.9) }], six)).toBe(0)
  })
})

describe("stated probabilities", () => {
  it("reads a JSON object over the options, in a fence or with prose around it", () => {
    const r = readStated('Here you go:\n```json\n{"1": 0.2, "2": 0.5, "3": 0.3}\n```', three)
    expect("dist" in r && r.dist).toEqual([0.2, 0.5, 0.3])
    // options left out are 0; keys may be labels
    const byLabel = readStated('{"label 2": 1}', three)
    expect("dist" in byLabel && byLabel.dist).toEqual([0, 1, 0])
  })
  it("refuses sums off 1, negative values, unknown keys and no JSON, naming the problem", () => {
    expect(readStated('{"1": 0.5, "2": 0.6}', three)).toEqual({ problem: "the probabilities add up to 1.1, not 1" })
    expect(readStated('{"1": -0.1, "2": 1.1}', three)).toMatchObject({ problem: expect.stringContaining("negative") })
    expect(readStated('{"7": 1}', three)).toMatchObject({ problem: expect.stringContaining("names no option") })
    expect(readStated("I would pick 4", three)).toEqual({ problem: "it holds no JSON object" })
  })
})

const accuracy = (runDir: string) => withRunDb(runDir, openerAccuracy)

describe("scoring methods against a model that opens with ** / Answer / a space", () => {
  let opener: FakeServer
  let noLogprobs: FakeServer
  let unstructured: FakeServer
  beforeAll(async () => {
    opener = await startFakeServer({ opener: { openerShare: 0.8 } })
    // Without structured outputs, so that auto passes constrained by (tests/scoring/constrained.test.ts has it chosen).
    unstructured = await startFakeServer({ opener: { openerShare: 0.8, structured: false } })
    noLogprobs = await startFakeServer({ opener: { openerShare: 0.8, logprobs: false } })
  })
  afterAll(async () => {
    await opener.close()
    await noLogprobs.close()
    await unstructured.close()
  })
  const args = (url: string, agents = 300) => ["scenarios/vsq40.yaml", "--agents", String(agents), "--seed", "5", "--backend", "openai", "--base-url", url, "--model", "fake-model", "--json", "--no-cache"]

  it("auto chooses stated on a server without structured outputs: answers match the model's distribution, with requests within 1.1 × the plan", async () => {
    const runs = tempDir("auto")
    const plan = await runCli(["plan", ...args(unstructured.url), "--scoring", "auto"])
    expect(plan.code, plan.stderr).toBe(0)
    const planned = Number(lastJson(plan.stdout)["requests"])
    const before = unstructured.requests
    const r = await runCli(["run", ...args(unstructured.url), "--no-tui", "--scoring", "auto", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    const sent = unstructured.requests - before
    expect(s["httpRequests"]).toBe(sent)
    expect(sent).toBeLessThanOrEqual(1.1 * planned)
    expect(s["methods"]).toEqual({ stated: 300 * 40 })
    expect(r.stderr).toMatch(/method: stated — the options carry only 0\.2\d* of the first token's probability/)
    const acc = accuracy(String(s["runDir"]))
    expect(Math.abs(acc.meanDiff)).toBeLessThan(0.05)
    expect(Math.abs(acc.varianceRatio - 1)).toBeLessThan(0.05)
  }, 120_000)

  it("logprob forced: the low mass is flagged in the summary and the report, and the biased variance shows", async () => {
    const runs = tempDir("forced")
    // --mass-floor 0 keeps the renormalised distributions (the default floor 0.5 hands them to stated).
    const r = await runCli(["run", ...args(opener.url), "--no-tui", "--scoring", "logprob", "--mass-floor", "0", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["lowMass"]).toBe(300 * 40)
    expect(r.stderr).toContain(`${300 * 40} answers drawn from distributions with option mass below 0.9`)
    const acc = accuracy(String(s["runDir"]))
    // Renormalised first-token probabilities follow p² (the model's stated assumption): too narrow.
    expect(acc.varianceRatio).toBeLessThan(0.95)
    const report = await runCli(["report", String(s["runDir"]), "--format", "json"])
    expect(report.code, report.stderr).toBe(0)
    const j = JSON.parse(report.stdout) as { scoring: { lowMass: number; flagged: Array<{ mass: number }>; methods: Array<{ method: string }> } }
    expect(j.scoring.lowMass).toBe(300 * 40)
    expect(j.scoring.flagged.length).toBeGreaterThan(0)
    expect(j.scoring.flagged.every((f) => f.mass < 0.9)).toBe(true)
    const text = await runCli(["report", String(s["runDir"])])
    expect(text.stdout).toContain("Scoring methods and option mass")
  }, 120_000)

  it("logprob with the default floor hands low-mass questions to stated, keeping their mass", async () => {
    const runs = tempDir("floor")
    const r = await runCli(["run", ...args(opener.url, 40), "--no-tui", "--scoring", "logprob", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["methods"]).toEqual({ stated: 40 * 40 })
    expect(s["lowMass"]).toBe(0)
    const out = tempDir("floor-export")
    const e = await runCli(["export", String(s["runDir"]), "--format", "csv", "--out", out])
    expect(e.code, e.stderr).toBe(0)
  }, 120_000)

  it("a model without logprobs runs under auto with stated, at most 1.1 × the logprob request count", async () => {
    const runs = tempDir("nologprobs")
    const logprobPlan = await runCli(["plan", ...args(noLogprobs.url), "--scoring", "logprob"])
    const shared = Number(lastJson(logprobPlan.stdout)["requests"])
    const before = noLogprobs.requests
    const r = await runCli(["run", ...args(noLogprobs.url), "--no-tui", "--scoring", "auto", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["methods"]).toEqual({ stated: 300 * 40 })
    expect(noLogprobs.requests - before).toBeLessThanOrEqual(1.1 * shared)
    expect(r.stderr).toContain("the server returns no logprobs")
  }, 120_000)

  it("valuesim probe prints the table and the method", async () => {
    const r = await runCli(["probe", "--base-url", opener.url, "--model", "fake-model", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const p = lastJson(r.stdout)
    expect(p).toMatchObject({ logprobs: true, topLogprobsCap: 9, structuredOutputs: true, method: "constrained", temperatureAccepted: true, maxTokensAccepted: true })
    expect(Number(p["optionMass"])).toBeCloseTo(0.2, 6)
    expect(Number(p["constrainedMass"])).toBeCloseTo(1, 6)
    // A server that ignores the constraint: stated comes next.
    const u = await runCli(["probe", "--base-url", unstructured.url, "--model", "fake-model", "--json"])
    expect(u.code, u.stderr).toBe(0)
    expect(lastJson(u.stdout)).toMatchObject({ logprobs: true, structuredOutputs: false, stated: true, method: "stated" })
    const table = await runCli(["probe", "--base-url", opener.url, "--model", "fake-model"])
    expect(table.stdout).toMatch(/option mass \(constrained\)\s+1\.000/)
  }, 60_000)
})

describe("run stores written before the mass, finish_reason and thinking columns", () => {
  it("still export and report (nulls there), and resume (with --rpm/--tpm) completes the run and adds the columns", async () => {
    const server = await startFakeServer({ opener: { openerShare: 0.1 } })
    try {
      const runs = tempDir("oldstore")
      // One permit: the start-up request, then a refusal (400) that fails its agents, so the run is left to resume.
      server.plan([{ kind: "ok" }, { kind: "400" }])
      const r = await runCli([
        "run", "scenarios/vsq40.yaml", "--agents", "20", "--seed", "2", "--backend", "openai", "--base-url", server.url, "--model", "fake-model",
        "--scoring", "logprob", "--concurrency", "1", "--no-tui", "--json", "--no-cache", "--runs-dir", runs
      ])
      expect(r.code, r.stderr).toBe(1)
      const runDir = String(lastJson(r.stdout)["runDir"])
      // As a store of this schema version was written before the columns existed.
      const db = new Sqlite(path.join(runDir, "run.sqlite"))
      for (const column of ["mass", "finish_reason", "thinking"]) db.exec(`ALTER TABLE requests DROP COLUMN ${column}`)
      db.close()
      const out = tempDir("oldstore-export")
      const e = await runCli(["export", runDir, "--format", "jsonl", "--out", out])
      expect(e.code, e.stderr).toBe(0)
      const first = JSON.parse(fs.readFileSync(path.join(out, "answers.jsonl"), "utf8").split("\n")[0]!) as Record<string, unknown>
      expect(first).toMatchObject({ method: "logprob", mass: null, finish_reason: null, thinking: null })
      const report = await runCli(["report", runDir, "--format", "json"])
      expect(report.code, report.stderr).toBe(0)
      expect((JSON.parse(report.stdout) as { scoring: { flagged: Array<unknown> } }).scoring.flagged).toEqual([])
      // resume takes the run's rate limits too (a bad one is refused before anything is sent).
      const zero = await runCli(["resume", runDir, "--rpm", "0", "--json", "--no-cache"])
      expect(zero.code).toBe(2)
      expect(zero.stderr).toContain("--rpm: must be a positive integer")
      const resumed = await runCli(["resume", runDir, "--rpm", "6000", "--tpm", "1000000", "--json", "--no-cache"])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stderr).toContain("resuming at most 6000 requests/min and 1000000 tokens/min")
      expect(lastJson(resumed.stdout)).toMatchObject({ status: "complete", failed: 0 })
      withRunDb(runDir, (d) => expect(requestColumns(d)).toEqual(expect.arrayContaining(["mass", "finish_reason", "thinking"])))
      // Requests answered after the resume keep why each reply ended, and that no thinking was seen.
      const again = tempDir("oldstore-export2")
      expect((await runCli(["export", runDir, "--format", "csv", "--out", again])).code).toBe(0)
      const lines = fs.readFileSync(path.join(again, "answers.csv"), "utf8").trim().split("\n")
      const header = lines[0]!.split(",")
      const cells = lines.slice(1).map((l) => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, "")))
      const finish = new Set(cells.map((c) => c[header.indexOf("finish_reason")]))
      const thinking = new Set(cells.map((c) => c[header.indexOf("thinking")]))
      expect(finish).toContain("")
      expect([...finish].some((f) => f !== "")).toBe(true)
      expect(thinking).toContain("false")
    } finally {
      await server.close()
    }
  }, 120_000)
})
