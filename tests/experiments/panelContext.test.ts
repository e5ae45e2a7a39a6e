import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Report } from "../../src/analysis/Report.js"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"
import { messagesOf, startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * A panel's repeat with `context: answers` (issue 24): the agent's own first answers and its deliberation reach the
 * repeat's prompt (the loopback server keeps the bodies), each agent's requests are its own, and `plan` counts them
 * (exactly under sample scoring; under logprob scoring as the most there can be).
 */
let dir: string
let server: FakeServer
beforeAll(async () => {
  dir = tempDir("panel-context")
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const QUESTION = path.join(ROOT, "examples", "09-policy-experiment", "congestion-charge.yaml")
const ITEM = "Where do you stand on the congestion charge?"
const AGENTS = 20

const study = (scoring: string) => {
  const file = path.join(dir, `${scoring}.yaml`)
  fs.writeFileSync(
    file,
    [
      "kind: study",
      `id: context-${scoring}`,
      `population: ${path.join(ROOT, "populations", "h-np.yaml")}`,
      `agents: ${AGENTS}`,
      "seed: 8",
      "steps:",
      `  - questionnaire: ${QUESTION}`,
      `  - game: ${path.join(ROOT, "examples", "03-policy-vignette", "four-day-week.yaml")}`,
      `  - questionnaire: ${QUESTION}`,
      "    panel: { of: 0, context: answers }",
      `backend: { kind: openai, model: fake-model, base_url: "${server.url}", scoring: ${scoring}, temperature: 0.7 }`
    ].join("\n") + "\n"
  )
  return file
}

/** The repeat's requests among the bodies received since `from`: an item of the question after an earlier exchange. */
const repeats = (from: number) =>
  server.bodies.slice(from).map(messagesOf).filter((ms) => ms.filter((m) => m.role === "user").length > 1 && ms[ms.length - 1]!.content.includes("charge"))

const run = async (scoring: string) => {
  const file = study(scoring)
  const plan = lastJson((await runCli(["plan", file, "--json"])).stdout)
  const before = server.requests
  const bodies = server.bodies.length
  const r = await runCli(["run", file, "--json", "--no-tui", "--runs-dir", path.join(dir, `runs-${scoring}`)])
  expect(r.code, r.stderr).toBe(0)
  return { plan, sent: server.requests - before, asked: repeats(bodies), runDir: String(lastJson(r.stdout)["runDir"]) }
}

describe("panel context: answers", () => {
  it("puts each agent's first answers and its deliberation before the repeat, and plan counts what is sent (sample)", async () => {
    const { plan, sent, asked, runDir } = await run("sample")
    expect(plan["requests"]).toBe(sent)
    const steps = plan["steps"] as Array<Record<string, unknown>>
    expect(steps[2]!["context"]).toBe("answers")
    expect(steps[2]!["requests"]).toBe(AGENTS * 3)
    expect(asked).toHaveLength(AGENTS * 3)
    // Every agent's first answers, as its replies in context, in item order; the agents who deliberated also carry
    // the deliberation's rules and their own positions.
    const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
    const firstAnswers = new Map<string, number>()
    for (const row of db.prepare(`SELECT agent_id, vals FROM answers WHERE step = 0`).all() as Array<{ agent_id: number; vals: Buffer }>) {
      const said = Array.from({ length: 3 }, (_, i) => row.vals.readInt16LE(2 * i)).join(",")
      firstAnswers.set(said, (firstAnswers.get(said) ?? 0) + 1)
    }
    const players = db.prepare(`SELECT count(DISTINCT agent_id) FROM moves WHERE step = 1`).pluck().get() as number
    db.close()
    expect(players).toBe(16)
    const seen = new Map<string, number>()
    let withDeliberation = 0
    for (const ms of asked.filter((m) => m[m.length - 1]!.content.includes(ITEM))) {
      // the value prompt (unprimed agents have none), then the first asking: item turn and answer, three times
      const from = ms[0]!.role === "system" ? 1 : 0
      const firstAsking = ms.slice(from, from + 6)
      expect(firstAsking.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant"])
      expect(firstAsking[0]!.content).toContain(ITEM)
      const said = [1, 3, 5].map((i) => firstAsking[i]!.content).join(",")
      seen.set(said, (seen.get(said) ?? 0) + 1)
      if (ms.some((m) => m.content.includes("four days a week"))) {
        withDeliberation++
        expect(ms.filter((m) => m.role === "assistant")).toHaveLength(3 + 3)
      }
    }
    expect(seen).toEqual(firstAnswers)
    expect(withDeliberation).toBe(16)
    const rep = await runCli(["report", runDir, "--format", "json"])
    expect((JSON.parse(rep.stdout) as Report).panels![0]!.context).toBe("answers")
    expect((await runCli(["report", runDir])).stdout.replace(/\s+/g, " ")).toContain("the agent's earlier answers in context")
  }, 120_000)

  it("under logprob scoring a repeat is shared only by agents with the same earlier exchange; plan gives the most", async () => {
    const { plan, asked } = await run("logprob")
    const steps = plan["steps"] as Array<Record<string, unknown>>
    // The first asking is shared per condition × item; the repeat is not.
    expect(Number(steps[2]!["requests"])).toBe(AGENTS * 3)
    const conditions = Number(steps[0]!["requests"]) / 3
    const distinct = new Set(asked.map((ms) => JSON.stringify(ms))).size
    expect(asked.length).toBe(distinct)
    expect(distinct).toBeGreaterThan(conditions * 3)
    expect(distinct).toBeLessThanOrEqual(AGENTS * 3)
    const text = await runCli(["plan", study("logprob")])
    expect(text.stdout).toContain("earlier answers in context")
  }, 120_000)

  it("waits while an earlier answer is missing (a failed request) and resume asks the repeat with the full context", async () => {
    const file = study("sample")
    const runs = path.join(dir, "runs-resume")
    // The probe and one item pass; then a request the server refuses (400, not retried): that agent's first asking fails.
    server.plan([{ kind: "ok" }, { kind: "ok" }, { kind: "400" }])
    const bodies = server.bodies.length
    const first = await runCli(["run", file, "--json", "--no-tui", "--runs-dir", runs])
    expect(first.code, first.stderr).toBe(1)
    expect(repeats(bodies)).toHaveLength(0)
    const runDir = String(lastJson(first.stdout)["runDir"])
    const resumed = await runCli(["resume", runDir, "--json", "--no-tui"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(lastJson(resumed.stdout)["status"]).toBe("complete")
    // Every agent's repeat, each after its three first answers.
    const asked = repeats(bodies)
    expect(asked).toHaveLength(AGENTS * 3)
    for (const ms of asked) expect(ms.filter((m) => m.role === "assistant").length).toBeGreaterThanOrEqual(3)
  }, 120_000)
})
