import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Report } from "../../src/analysis/Report.js"
import { armLabel } from "../../src/experiments/arms.js"
import { readStepArms } from "../../src/store/reads.js"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import { withRunDb } from "../helpers/store.js"

/**
 * Experiments end to end (issue 24): a study step with arms on the synthetic backend recovers an effect planted
 * in the theory model (`theory_shift`), a null effect is not significant, `between` assignment is balanced by
 * condition, exports carry the arm, bad arm references are refused, and resume completes an experiment.
 */
let dir: string
let server: FakeServer
beforeAll(async () => {
  dir = tempDir("arms")
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const QUESTION = path.join(ROOT, "examples", "09-policy-experiment", "congestion-charge.yaml")

/** A study of one experiment step with two arms: `gain` carries the planted shift. */
const study = (name: string, o: { assignment: "within" | "between"; shift: number; agents: number; control?: string; extra?: string }) => {
  const file = path.join(dir, `${name}.yaml`)
  fs.writeFileSync(
    file,
    [
      "kind: study",
      `id: ${name}`,
      `population: ${path.join(ROOT, "populations", "h-np.yaml")}`,
      `agents: ${o.agents}`,
      "seed: 4",
      "steps:",
      `  - questionnaire: ${QUESTION}`,
      `    assignment: ${o.assignment}`,
      ...(o.control ? [`    control: ${o.control}`] : []),
      "    arms:",
      "      - name: loss",
      "        prompts: { instructions: \"A daily charge of 8 euros is planned; regular drivers would pay about 2,000 euros a year.\" }",
      "      - name: gain",
      "        prompts: { instructions: \"A daily charge of 8 euros is planned; where tried, the air became cleaner.\" }",
      `        theory_shift: ${o.shift}`,
      ...(o.extra ? [o.extra] : []),
      "backend: { kind: synthetic, scoring: logprob }"
    ].join("\n") + "\n"
  )
  return file
}

const runStudy = async (file: string, extra: ReadonlyArray<string> = []) => {
  const r = await runCli(["run", file, "--no-tui", "--json", "--runs-dir", path.join(dir, "runs"), ...extra])
  expect(r.code, r.stderr).toBe(0)
  return String(lastJson(r.stdout)["runDir"])
}

const reportOf = async (runDir: string) => {
  const r = await runCli(["report", runDir, "--format", "json"])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Report
}

/** The effect the theory model implies for these agents: mean over agents of E[support | gain] − E[support | loss], from the stored distributions. */
const plantedEffect = async (runDir: string) => {
  const out = path.join(dir, `export-${path.basename(runDir)}`)
  const r = await runCli(["export", runDir, "--format", "jsonl", "--out", out])
  expect(r.code, r.stderr).toBe(0)
  const rows = fs.readFileSync(path.join(out, "answers.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { agent_id: number; subscale: string; arm: string | null; dist: Array<number> })
  expect(rows.every((row) => row.arm === "loss" || row.arm === "gain")).toBe(true)
  const expected = new Map<string, Array<number>>()
  for (const row of rows) {
    if (row.subscale !== "support") continue
    const e = row.dist.reduce((s, p, i) => s + p * (i + 1), 0)
    const key = `${row.agent_id}|${row.arm}`
    expected.set(key, [...(expected.get(key) ?? []), e])
  }
  const agents = [...new Set(rows.map((row) => row.agent_id))]
  const avg = (xs: Array<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
  return avg(agents.map((a) => avg(expected.get(`${a}|gain`)!) - avg(expected.get(`${a}|loss`)!)))
}

describe("progress labels", () => {
  it("name each arm beside its step, so the dashboard shows arms side by side", () => {
    const q = { kind: "questionnaire" as const, questionnaire: { id: "congestion-charge" } }
    expect(armLabel(q)).toBe("congestion-charge")
    expect(armLabel({ ...q, arm: { name: "gain", experiment: 0, shift: 0 } })).toBe("congestion-charge [gain]")
  })
})

describe("experiments on the synthetic backend", () => {
  it("within: a planted effect is recovered with the CI covering it; a null effect is not significant", async () => {
    const [planted, nul] = await Promise.all([
      runStudy(study("planted", { assignment: "within", shift: 0.5, agents: 240 })),
      runStudy(study("no-effect", { assignment: "within", shift: 0, agents: 240 }))
    ])
    const truth = await plantedEffect(planted)
    expect(truth).toBeGreaterThan(0.2)
    const r = await reportOf(planted)
    const e = r.experiments![0]!
    expect(e.assignment).toBe("within")
    expect(e.arms.map((a) => [a.name, a.agents])).toEqual([["loss", 240], ["gain", 240]])
    const support = e.outcomes.find((o) => o.outcome === "support")!
    expect(support.paired).toBe(true)
    expect(support.ci.lower!).toBeLessThan(truth)
    expect(support.ci.upper!).toBeGreaterThan(truth)
    expect(support.pAdjusted!).toBeLessThan(0.01)
    expect(support.byCondition.length).toBeGreaterThan(3)
    expect(support.interaction.test).toBe("cochran-q")
    const n = (await reportOf(nul)).experiments![0]!
    for (const o of n.outcomes) {
      expect(o.pAdjusted!).toBeGreaterThan(0.05)
      expect(o.ci.lower!).toBeLessThan(0)
      expect(o.ci.upper!).toBeGreaterThan(0)
    }
    // The text and HTML reports show the section.
    const text = await runCli(["report", planted])
    expect(text.stdout).toContain("Experiments: arm effects")
    const html = await runCli(["report", planted, "--format", "html", "--out", path.join(dir, "planted.html")])
    expect(html.code, html.stderr).toBe(0)
    expect(fs.readFileSync(path.join(dir, "planted.html"), "utf8")).toContain("effect on support")
  })

  it("between: agents are randomised to one arm each, balanced within every value condition; arms are in the store", async () => {
    const runDir = await runStudy(study("between", { assignment: "between", shift: 0.5, agents: 301, control: "loss" }))
    const e = (await reportOf(runDir)).experiments![0]!
    expect(e.assignment).toBe("between")
    const [loss, gain] = e.arms
    expect(loss!.agents + gain!.agents).toBe(301)
    expect(Math.abs(loss!.agents - gain!.agents)).toBeLessThanOrEqual(1)
    for (const c of new Set([...Object.keys(loss!.byCondition), ...Object.keys(gain!.byCondition)])) {
      expect(Math.abs((loss!.byCondition[c] ?? 0) - (gain!.byCondition[c] ?? 0))).toBeLessThanOrEqual(1)
    }
    const support = e.outcomes.find((o) => o.outcome === "support")!
    expect(support.paired).toBe(false)
    expect(support.effect!).toBeGreaterThan(0)
    expect(withRunDb(runDir, (db) => [...readStepArms(db).values()].map((a) => a.arm))).toEqual(["loss", "gain"])
  })

  it("plan counts requests per arm: arms × conditions × items under logprob scoring, whatever the number of agents", async () => {
    const file = study("plan", { assignment: "within", shift: 0, agents: 10 })
    const plans = await Promise.all(
      [2000, 4000].map(async (agents) => {
        const r = await runCli(["plan", file, "--backend", "openai", "--model", "gpt-4o-mini", "--agents", String(agents), "--json"])
        expect(r.code, r.stderr).toBe(0)
        return JSON.parse(r.stdout) as { requests: number; steps: Array<{ step: string; arm?: string; requests: number }> }
      })
    )
    const conditions = 11 // h-np: ten value prompts and the unprimed remainder, all present at these sizes
    for (const p of plans) {
      expect(p.steps.map((s) => s.arm)).toEqual(["loss", "gain"])
      for (const s of p.steps) expect(s.requests).toBe(conditions * 3)
    }
    expect(plans[0]!.requests).toBe(plans[1]!.requests)
    const text = await runCli(["plan", file, "--backend", "openai", "--model", "gpt-4o-mini"])
    expect(text.stdout).toContain("[arm gain]")
  })

  it("an unknown arm reference is refused with one line naming the file and field (exit 2), and nothing is written", async () => {
    const file = study("bad", { assignment: "within", shift: 0, agents: 10, control: "placebo" })
    const runs = path.join(dir, "bad-runs")
    const r = await runCli(["run", file, "--json", "--runs-dir", runs])
    expect(r.code).toBe(2)
    const lines = r.stderr.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(file)
    expect(lines[0]).toContain("steps[0].control")
    expect(lines[0]).toContain("placebo")
    expect(fs.existsSync(runs)).toBe(false)
  })

  it("resume completes an experiment whose arm requests failed (loopback server)", async () => {
    server.plan([{ kind: "ok" }, { kind: "400" }, { kind: "400" }])
    const file = study("resume", { assignment: "within", shift: 0, agents: 30 })
    const r = await runCli(["run", file, "--json", "--no-tui", "--runs-dir", path.join(dir, "runs"), "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--concurrency", "1"])
    expect(r.code).toBe(1)
    const s = lastJson(r.stdout)
    expect(Number(s["unitsFailed"])).toBeGreaterThan(0)
    const resumed = await runCli(["resume", String(s["runDir"]), "--json"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(lastJson(resumed.stdout)["status"]).toBe("complete")
    const e = (await reportOf(String(s["runDir"]))).experiments![0]!
    expect(e.arms.map((a) => a.agents)).toEqual([30, 30])
  })
})
