import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import { withRunDb } from "../helpers/store.js"
import { readAnswerRecords, requestLookup } from "../../src/store/reads.js"

let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

const variant = (dir: string, name: string, edit: (yaml: string) => string) => {
  const f = path.join(dir, name)
  fs.writeFileSync(f, edit(fs.readFileSync("scenarios/vsq40.yaml", "utf8")))
  return f
}

type Body = { messages: Array<{ role: string; content: string }> }

describe("administration and option order", () => {
  it("session administration keeps the agent's earlier answers in one conversation", async () => {
    const dir = tempDir("session")
    const q = variant(dir, "session.yaml", (y) => y.replace("administration: independent", "administration: session"))
    const r = await runCli(["run", q, "--agents", "3", "--seed", "9", "--concurrency", "2", "--runs-dir", dir,
      "--backend", "openai", "--base-url", server.url, "--model", "m", "--json"])
    expect(r.code, r.stderr).toBe(0)
    expect(lastJson(r.stdout)["answers"]).toBe(3 * 40)
    const bodies = server.bodies as Array<Body>
    const longest = bodies.reduce((a, b) => (b.messages.length > a.messages.length ? b : a))
    const turns = longest.messages.filter((m) => m.role !== "system")
    // 40 user turns and the 39 answers before the last one, alternating.
    expect(turns).toHaveLength(79)
    turns.forEach((m, i) => expect(m.role).toBe(i % 2 === 0 ? "user" : "assistant"))
    for (const m of turns.filter((t) => t.role === "assistant")) expect(m.content).toMatch(/^[1-6]$/)
    // The instructions come once, at the start.
    expect(turns.filter((t) => t.content.includes("A short description of a person follows"))).toHaveLength(1)

    // What each agent said is what was stored as its answer (session answers are drawn, then said).
    const runDir = String(lastJson(r.stdout)["runDir"])
    const values = withRunDb(runDir, (db) => [...readAnswerRecords(db)].filter((a) => a.value !== null))
    expect(values).toHaveLength(120)
  })

  it("reversed option order presents 1 as the highest option and scores it back on the canonical scale", async () => {
    const dir = tempDir("reversed")
    const q = variant(dir, "rev.yaml", (y) => y.replace("option_order: normal", "option_order: reversed"))
    const before = server.bodies.length
    const r = await runCli(["run", q, "--agents", "20", "--seed", "9", "--runs-dir", dir, "--backend", "openai", "--base-url", server.url, "--model", "m", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const body = (server.bodies.slice(before) as Array<Body>)[0]!
    const user = body.messages.find((m) => m.role === "user")!.content
    expect(user).toContain("1. Very much like me")
    expect(user).toContain("6. Not like me at all")

    // The same requests in normal order (different prompt text) versus reversed: for each shared request the
    // stored distribution is the presented one mapped back, so P(value v) = P(presented 7 − v).
    const runDir = String(lastJson(r.stdout)["runDir"])
    const rows = withRunDb(runDir, (db) => {
      const lookup = requestLookup(db)
      return [...readAnswerRecords(db)].filter((a) => a.requestKey !== null).slice(0, 50)
        .map((a) => ({ dist: a.dist!, top_logprobs: lookup(a.requestKey!)!.topLogprobs! }))
    })
    expect(rows).toHaveLength(50)
    for (const row of rows) {
      const dist = row.dist.split(",").map(Number)
      const top = JSON.parse(row.top_logprobs) as Array<{ token: string; logprob: number }>
      const presented = [1, 2, 3, 4, 5, 6].map((n) => top.filter((t) => t.token.trim() === String(n)).reduce((s, t) => s + Math.exp(t.logprob), 0))
      const total = presented.reduce((a, b) => a + b, 0)
      for (let v = 1; v <= 6; v++) expect(dist[v - 1]).toBeCloseTo(presented[6 - v]! / total, 5)
    }
  })

  it("batch administration asks every item in one message, reads the Q<n> lines, and re-asks only the unread ones", async () => {
    const dir = tempDir("batch")
    const q = variant(dir, "batch.yaml", (y) => y.replace("administration: independent", "administration: batch"))
    const before = server.bodies.length
    // After the start-up probe, the first agent's first reply answers only Q1-Q3 (and Q4 twice, differently):
    // the re-ask names the other 37.
    server.plan([{ kind: "ok" }, { kind: "text", text: "Q1: 2\nQ2: **5**\nQ3: 6 - Very much like me\nQ4: 1\nQ4: 3" }])
    const r = await runCli(["run", q, "--agents", "3", "--seed", "9", "--concurrency", "1", "--runs-dir", dir,
      "--backend", "openai", "--base-url", server.url, "--model", "m", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["answers"]).toBe(3 * 40)
    expect(s["missing"]).toBe(0)
    const bodies = (server.bodies.slice(before + 1) as Array<Body>)
    // Three agents, one message each, plus one re-ask for the first (after the probe, itself a batch message).
    expect((server.bodies[before] as Body).messages.at(-1)!.content).toContain("Q40: ")
    expect(bodies).toHaveLength(4)
    const reasks = bodies.filter((b) => b.messages.filter((m) => m.role === "user").length > 1)
    expect(reasks).toHaveLength(1)
    for (const b of bodies.filter((x) => !reasks.includes(x))) {
      const user = b.messages.filter((m) => m.role === "user")
      expect(user).toHaveLength(1)
      expect(user[0]!.content).toContain("Q1: ")
      expect(user[0]!.content).toContain("Q40: ")
    }
    const reask = reasks[0]!.messages.at(-1)!.content
    expect(reask).toContain("could not be read: Q4, Q5")
    expect(reask).not.toContain("Q3,")

    const rows = withRunDb(String(s["runDir"]), (db) => [...readAnswerRecords(db)].map((a) => ({ agent: a.agentId, value: a.value, scoring: a.scoring, attempts: a.attempts })))
    expect(rows.every((x) => x.scoring === "sample")).toBe(true)
    // The agent that got the partial reply: its Q1-Q3 are what it said, every answer took two asks.
    const reasked = rows.filter((x) => x.attempts === 2)
    expect(reasked).toHaveLength(40)
    expect(new Set(reasked.map((x) => x.agent)).size).toBe(1)
    expect(reasked.slice(0, 3).map((x) => x.value)).toEqual([2, 5, 6])
    expect(rows.filter((x) => x.attempts === 1)).toHaveLength(80)
  })
})

describe("value-prompt placement (issue 22 item 7)", () => {
  it("system (default) sends the value prompt as a system message; --value-prompt prefix puts it before the first user turn, as paper 000", async () => {
    const dir = tempDir("placement")
    const args = ["run", "tests/fixtures/mini-values.yaml", "--agents", "11", "--seed", "4", "--runs-dir", dir, "--backend", "openai", "--base-url", server.url, "--model", "m", "--no-cache", "--json"]
    const before = server.bodies.length
    const sys = await runCli(args)
    expect(sys.code, sys.stderr).toBe(0)
    const systemBodies = server.bodies.slice(before) as Array<Body>
    const withSystem = systemBodies.find((b) => b.messages[0]!.role === "system")!
    expect(withSystem).toBeDefined()
    const prompt = withSystem.messages[0]!.content

    const mid = server.bodies.length
    const pre = await runCli([...args, "--value-prompt", "prefix"])
    expect(pre.code, pre.stderr).toBe(0)
    const prefixBodies = server.bodies.slice(mid) as Array<Body>
    expect(prefixBodies.length).toBeGreaterThan(0)
    expect(prefixBodies.every((b) => b.messages.every((m) => m.role !== "system"))).toBe(true)
    const moved = prefixBodies.find((b) => b.messages[0]!.content.startsWith(`${prompt}\n\n`))
    expect(moved, "the value prompt opens the first user turn").toBeDefined()
    expect(moved!.messages[0]!.role).toBe("user")

    const bad = await runCli([...args, "--value-prompt", "middle"])
    expect(bad.code).toBe(2)
  })
})
