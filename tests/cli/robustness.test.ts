import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { AblationResult } from "../../src/app/primingAblation.js"
import type { RobustnessResult } from "../../src/app/robustness.js"
import { ROOT, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/** `valuesim robustness` and `valuesim priming-ablation` end to end on the loopback OpenAI-compatible server. */

let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

const STUDY = path.join(ROOT, "tests", "fixtures", "mini-values-study.yaml")
const last = <A>(stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as A
type Body = { messages: Array<{ role: string; content: string }> }
const systems = (bodies: ReadonlyArray<unknown>) => bodies.flatMap((b) => (b as Body).messages.filter((m) => m.role === "system").map((m) => m.content))

describe("robustness and priming-ablation on an OpenAI-compatible endpoint", () => {
  it("robustness: five pool runs over the loopback server, one table with paired differences and BH", async () => {
    const runs = tempDir("robustness-cli")
    const before = server.requests
    const r = await runCli([
      "robustness", "--study", STUDY, "--agents-per-condition", "4",
      "--bootstrap-iterations", "10", "--bootstrap-size", "100",
      "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--runs-dir", runs, "--json", "--no-tui"
    ])
    expect(r.code, r.stderr).toBe(0)
    const t = last<RobustnessResult>(r.stdout)
    expect(t.synthetic).toBe(false)
    expect(t.mdsMethod).toBe("smacof")
    expect(t.rows.map((x) => x.variant)).toEqual(["base", "paraphrase-1", "paraphrase-2", "paraphrase-3", "options-reversed", "distribution-uniform"])
    for (const row of t.rows.slice(1)) for (const c of row.cells) expect(c.difference!.pAdjusted!).toBeGreaterThanOrEqual(c.difference!.p!)
    // Logprob scoring: at most one request per variant × condition × item (5 × 11 × 10), the agents of a condition share it.
    const sent = server.requests - before
    expect(sent).toBeGreaterThan(4 * 11 * 10)
    expect(sent).toBeLessThanOrEqual(5 * 11 * 10)
    const seen = systems(server.bodies)
    expect(seen.some((s) => s.startsWith("Take on the character described here"))).toBe(true)
    // The loopback model answers by the prompt's text, so (unlike the synthetic backend) paraphrases move S_V.
    expect(t.rows.slice(1, 5).some((row) => row.cells.some((c) => c.difference!.mean !== 0))).toBe(true)
    for (const v of ["base", "paraphrase-1", "options-reversed"]) expect(fs.readdirSync(path.join(t.dir, v))).toHaveLength(1)
  }, 120_000)

  it("priming-ablation: Test Only sends the filled-out questionnaire and no value prompt", async () => {
    const runs = tempDir("ablation-cli")
    const r = await runCli([
      "priming-ablation", "--study", STUDY, "--agents", "22",
      "--bootstrap-iterations", "10", "--bootstrap-size", "100",
      "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--runs-dir", runs, "--no-tui"
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Priming Only[\s\S]*Priming & Test[\s\S]*Test Only/)
    expect(r.stdout).toContain("S_B valueportrait-prolific-569.big-five")
    const a = JSON.parse(fs.readFileSync(path.join(r.stdout.match(/Test Only: (.*)/)![1]!, "..", "..", "priming-ablation.json"), "utf8")) as AblationResult
    expect(a.rows.map((x) => x.setting)).toEqual(["priming-only", "priming-and-test", "test-only"])
    const seen = systems(server.bodies)
    const testOnly = seen.filter((s) => s.startsWith("Some time ago you filled in a questionnaire"))
    expect(testOnly.length).toBeGreaterThan(0)
    expect(testOnly.every((s) => !s.includes("Imagine that you are"))).toBe(true)
    expect(seen.some((s) => s.startsWith("Imagine that you are") && s.includes("Some time ago you filled in a questionnaire"))).toBe(true)
  }, 120_000)

  it("bad input exits 2 with the file and field named, and writes nothing", async () => {
    const runs = tempDir("robustness-bad")
    const [missing, noValues, few] = await Promise.all([
      runCli(["robustness", "--study", path.join(runs, "nope.yaml"), "--runs-dir", runs]),
      runCli(["priming-ablation", "--study", path.join(ROOT, "scenarios", "behaviour", "big-five.yaml"), "--runs-dir", runs]),
      runCli(["robustness", "--agents-per-condition", "2", "--runs-dir", runs])
    ])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(path.join(runs, "nope.yaml"))
    expect(noValues.code).toBe(2)
    expect(noValues.stderr).toContain("steps: no value questionnaire")
    expect(few.code).toBe(2)
    expect(few.stderr).toContain("--agents-per-condition")
    expect(fs.readdirSync(runs)).toEqual([])
  }, 60_000)
})
