import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Report } from "../../src/analysis/Report.js"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"
import { messagesOf, startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * `valuesim branch` (issue 24): the steps before K are copied from the parent and cost no request (counted at the
 * loopback server), the rest run again with the changes, and `report --paired-with` pairs the two runs agent by
 * agent. A step out of range is refused in one line (exit 2).
 */
let dir: string
let server: FakeServer
beforeAll(async () => {
  dir = tempDir("branch")
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const writeStudy = () => {
  const file = path.join(dir, "study.yaml")
  fs.writeFileSync(
    file,
    [
      "kind: study",
      "id: branch-test",
      `population: ${path.join(ROOT, "populations", "h-np.yaml")}`,
      "agents: 40",
      "seed: 2",
      "steps:",
      `  - questionnaire: ${path.join(ROOT, "tests", "fixtures", "mini-values.yaml")}`,
      `  - questionnaire: ${path.join(ROOT, "examples", "09-policy-experiment", "congestion-charge.yaml")}`,
      "    arms:",
      "      - name: loss",
      "        prompts: { instructions: \"Regular drivers would pay about 2,000 euros a year.\" }",
      "      - name: gain",
      "        prompts: { instructions: \"Where tried, the air in the centre became cleaner.\" }",
      "backend: { kind: openai, model: fake-model, scoring: logprob }"
    ].join("\n") + "\n"
  )
  return file
}

const texts = (from: number) =>
  server.bodies.slice(from).map((b) => messagesOf(b).map((m) => m.content).join("\n"))

describe("branch", () => {
  it("reuses the steps before K without a request, runs the rest, and the report pairs it with its parent", async () => {
    const file = writeStudy()
    const runs = path.join(dir, "runs")
    const parent = await runCli(["run", file, "--base-url", server.url, "--json", "--no-tui", "--runs-dir", runs])
    expect(parent.code, parent.stderr).toBe(0)
    const parentDir = String(lastJson(parent.stdout)["runDir"])
    const values = fs.readFileSync(path.join(ROOT, "tests", "fixtures", "mini-values.yaml"), "utf8")
    const firstItem = /text: "([^"]+)"/.exec(values)?.[1] ?? /text: (.+)/.exec(values)![1]!
    const before = server.bodies.length
    const requestsBefore = server.requests
    const child = await runCli(["branch", parentDir, "--from-step", "1", "--seed", "7", "--base-url", server.url, "--json", "--no-tui", "--runs-dir", runs])
    expect(child.code, child.stderr).toBe(0)
    const s = lastJson(child.stdout)
    expect(s["status"]).toBe("complete")
    const sent = server.requests - requestsBefore
    expect(sent).toBeGreaterThan(0)
    expect(Number(s["requests"])).toBe(sent)
    // Not one request of the reused questionnaire; every one of the arms.
    const bodies = texts(before)
    expect(bodies.some((t) => t.includes(firstItem.trim()))).toBe(false)
    expect(bodies.every((t) => t.includes("congestion") || t.includes("charge"))).toBe(true)
    const childDir = String(s["runDir"])
    const r = await runCli(["report", childDir, "--paired-with", parentDir, "--format", "json"])
    expect(r.code, r.stderr).toBe(0)
    const paired = (JSON.parse(r.stdout) as Report).pairedWith!
    expect(paired.fromStep).toBe(1)
    const reused = paired.steps.filter((st) => st.reused)
    expect(reused.map((st) => st.step)).toEqual([0])
    for (const o of reused[0]!.outcomes) {
      expect(o.effect).toBe(0)
      expect(o.n).toBe(40)
    }
    expect(paired.steps.filter((st) => !st.reused).map((st) => st.arm)).toEqual(["loss", "gain"])
    const text = await runCli(["report", childDir, "--paired-with", parentDir])
    expect(text.stdout).toContain("Paired with another run of the same agents")
  })

  it("a step out of range or a parameter without a game is one line and exit 2, and no run is made", async () => {
    const file = path.join(dir, "synthetic.yaml")
    fs.writeFileSync(file, fs.readFileSync(writeStudy(), "utf8").replace("backend: { kind: openai, model: fake-model, scoring: logprob }", "backend: { kind: synthetic }"))
    const runs = path.join(dir, "runs-synthetic")
    const parent = await runCli(["run", file, "--json", "--no-tui", "--runs-dir", runs])
    expect(parent.code, parent.stderr).toBe(0)
    const parentDir = String(lastJson(parent.stdout)["runDir"])
    for (const args of [["--from-step", "3"], ["--from-step", "-1"], ["--from-step", "1", "--param", "rounds=2"]]) {
      const r = await runCli(["branch", parentDir, ...args, "--runs-dir", runs])
      expect(r.code, args.join(" ")).toBe(2)
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1)
    }
    expect(fs.readdirSync(runs)).toHaveLength(1)
  })

  it("--arm answers every arm step of a later experiment in one arm, by the same agents, paired with the parent", async () => {
    const file = path.join(dir, "arm.yaml")
    const study = fs
      .readFileSync(writeStudy(), "utf8")
      .replace("backend: { kind: openai, model: fake-model, scoring: logprob }", "backend: { kind: synthetic }")
      .replace("    arms:", "    assignment: between\n    arms:")
      .replace("the centre became cleaner.\" }", "the centre became cleaner.\" }\n        theory_shift: 3")
    fs.writeFileSync(file, study)
    const runs = path.join(dir, "runs-arm")
    const parent = await runCli(["run", file, "--json", "--no-tui", "--runs-dir", runs])
    expect(parent.code, parent.stderr).toBe(0)
    const parentDir = String(lastJson(parent.stdout)["runDir"])
    for (const [args, field] of [[["--arm", "nope"], "--arm"], [["--arm", "gain", "--from-step", "3"], "--from-step"]] as const) {
      const r = await runCli(["branch", parentDir, "--from-step", "1", ...args, "--runs-dir", runs])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1)
      expect(r.stderr).toContain(field)
    }
    expect(fs.readdirSync(runs)).toHaveLength(1)
    const child = await runCli(["branch", parentDir, "--from-step", "1", "--arm", "gain", "--seed", "5", "--json", "--no-tui", "--runs-dir", runs])
    expect(child.code, child.stderr).toBe(0)
    const childDir = String(lastJson(child.stdout)["runDir"])
    const r = await runCli(["report", childDir, "--paired-with", parentDir, "--format", "json"])
    expect(r.code, r.stderr).toBe(0)
    const rep = JSON.parse(r.stdout) as Report
    // The child is one arm: no contrast of its own; the pairing with the parent carries the effect.
    expect(rep.experiments ?? []).toEqual([])
    const later = rep.pairedWith!.steps.filter((st) => !st.reused)
    expect(later.map((st) => [st.arm, st.parentArm ?? st.arm])).toEqual([["gain", "loss"], ["gain", "gain"]])
    // The same agents answer each step as in the parent (between: about half each), so every one is paired.
    const n = later[0]!.outcomes[0]!.n
    expect(n).toBeGreaterThan(10)
    expect(n + later[1]!.outcomes[0]!.n).toBe(40)
    // The planted shift of gain over loss shows in the loss agents' change; the gain agents only redraw.
    const support = (i: number) => later[i]!.outcomes.find((o) => o.outcome === "support")!
    expect(support(0).ci.lower!).toBeGreaterThan(0)
    expect(support(1).ci.lower!).toBeLessThan(0.5)
    const text = await runCli(["report", childDir, "--paired-with", parentDir])
    expect(text.stdout).toContain("[loss → gain]")
  })

  it("a game parameter or an arm of the punishment experiment: flags read as true/false, unworded decisions refused", async () => {
    const runs = path.join(dir, "runs-pg")
    const study = path.join(ROOT, "scenarios", "experiments", "public-goods-punishment.study.yaml")
    const parent = await runCli(["run", study, "--agents", "8", "--json", "--no-tui", "--runs-dir", runs])
    expect(parent.code, parent.stderr).toBe(0)
    const parentDir = String(lastJson(parent.stdout)["runDir"])
    // Punishment switched on in the arm without it: its file has no wording for the punishment decision.
    const bad = await runCli(["branch", parentDir, "--from-step", "0", "--param", "punishment=true", "--runs-dir", runs])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split("\n"), bad.stderr).toHaveLength(1)
    expect(bad.stderr).toContain('asks "punish"')
    expect(fs.readdirSync(runs)).toHaveLength(1)
    // The same rule change through the arm that words it, and a harsher punishment ratio on top.
    const child = await runCli(["branch", parentDir, "--from-step", "0", "--arm", "punishment", "--param", "punishment_impact=4", "--json", "--no-tui", "--runs-dir", runs])
    expect(child.code, child.stderr).toBe(0)
    const childDir = String(lastJson(child.stdout)["runDir"])
    const db = new Sqlite(path.join(childDir, "run.sqlite"), { readonly: true })
    const punishSteps = db.prepare(`SELECT DISTINCT step FROM moves WHERE decision = 'punish' ORDER BY step`).pluck().all()
    const spec = JSON.parse(db.prepare(`SELECT value FROM manifest WHERE key = 'spec'`).pluck().get() as string) as { steps: Array<{ game: { params: Record<string, unknown> } }> }
    db.close()
    expect(punishSteps).toEqual([0, 1])
    expect(spec.steps.map((st) => [st.game.params["punishment"], st.game.params["punishment_impact"]])).toEqual([[true, 4], [true, 4]])
  })
})
