import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, runCli, startCli, tempDir, waitCli } from "../helpers/cli.js"

// Ctrl-C (exit 130, the hint, resume completes the run) is tested in hardening.test.ts, held mid-way the same way.
import { startFakeServer, type FakeServer, type Fault } from "../helpers/fakeOpenAiServer.js"
import { withRunDb } from "../helpers/store.js"
import { readAnswerRecords, readConditionSizes, readRequestAttempts, readRunTotals } from "../../src/store/reads.js"

let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

const openaiArgs = () => ["--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--no-tui", "--json"]

const exportRows = async (runDir: string, out: string) => {
  const r = await runCli(["export", runDir, "--format", "csv", "--out", out])
  expect(r.code, r.stderr).toBe(0)
  // latency_ms is wall-clock and differs between runs; every other column must match.
  const lines = fs.readFileSync(path.join(out, "answers.csv"), "utf8").trim().split("\n")
  const header = lines[0]!.split(",")
  // provenance: every row names the backend and model that answered
  const cellsOf = (l: string) => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ""))
  const first = cellsOf(lines[1]!)
  expect([first[header.indexOf("backend")], first[header.indexOf("model")]]).toEqual(["openai", "fake-model"])
  const drop = header.indexOf("latency_ms")
  return lines.map((l) => cellsOf(l).filter((_, i) => i !== drop).join(","))
}

describe("openai backend against the loopback server", () => {
  it("logprob scoring with independent administration sends one request per condition × item, whatever N", async () => {
    const runs = tempDir("dedup")
    const counts: Array<number> = []
    // 500 is the smallest round N at which H-NP's smallest share (ESS Sweden, 0.14 %) still gets an agent.
    for (const n of [500, 1000]) {
      const before = server.requests
      const r = await runCli(["run", "scenarios/vsq40.yaml", "--population", "populations/h-np.yaml", "--agents", String(n), "--seed", "5", "--runs-dir", runs, ...openaiArgs()])
      expect(r.code, r.stderr).toBe(0)
      const s = lastJson(r.stdout)
      expect(s["answers"]).toBe(n * 40)
      expect(s["failed"]).toBe(0)
      counts.push(server.requests - before)
      const { conditions, scorings } = withRunDb(String(s["runDir"]), (db) => ({
        conditions: readConditionSizes(db).length,
        scorings: [...new Set([...readAnswerRecords(db)].map((a) => a.scoring))]
      }))
      expect(counts[counts.length - 1]).toBeLessThanOrEqual(conditions * 40)
      expect(scorings).toEqual(["logprob"])
    }
    // Both populations use all 11 conditions: twice the agents, the same requests.
    expect(counts[0]).toBe(11 * 40)
    expect(counts[1]).toBe(counts[0])
  }, 180_000)

  it("retries transient failures (429 with Retry-After, 500, reset) and finishes with nothing failed", async () => {
    const runs = tempDir("faults")
    server.plan([{ kind: "429", retryAfterS: 1 }, { kind: "500" }, { kind: "reset" }])
    // Logprob scoring: the first request is the run's own (under auto the probe would meet these faults instead).
    const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "30", "--seed", "2", "--scoring", "logprob", "--runs-dir", runs, ...openaiArgs()])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["answers"]).toBe(30 * 40)
    expect(s["failed"]).toBe(0)
    const attempts = withRunDb(String(s["runDir"]), (db) => readRequestAttempts(db).max)
    expect(attempts).toBe(4)
  })

  it("a 200 that is not JSON, has no choices, or (logprob scoring) no logprobs over the options is retried like a 5xx", async () => {
    const runs = tempDir("bad200")
    // One permit: the probe, then four faulty 200s, each for a request that is then retried and succeeds.
    server.plan([{ kind: "ok" }, { kind: "garbage" }, { kind: "nochoices" }, { kind: "nologprobs" }, { kind: "offoptions" }])
    const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "30", "--seed", "2", "--concurrency", "1", "--runs-dir", runs, ...openaiArgs()])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s).toMatchObject({ status: "complete", answers: 30 * 40, failed: 0, degraded: 0 })
    const { attempts, scorings } = withRunDb(String(s["runDir"]), (db) => ({
      attempts: readRequestAttempts(db),
      scorings: new Set([...readAnswerRecords(db)].map((a) => a.scoring))
    }))
    expect(attempts.total - attempts.count).toBe(4)
    expect([...scorings]).toEqual(["logprob"])
  })

  it("a shared logprob response that stays degraded is never shared: each agent asks on its own (scoring sample)", async () => {
    const item = "This person wants a world where nobody is held back by poverty, prejudice, or unfair laws."
    const degraded = await startFakeServer({ noLogprobsFor: item })
    try {
      const runs = tempDir("degraded")
      const agents = 24
      const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", String(agents), "--seed", "3", "--runs-dir", runs,
        "--backend", "openai", "--base-url", degraded.url, "--model", "fake-model", "--no-tui", "--json"])
      expect(r.code, r.stderr).toBe(0)
      const s = lastJson(r.stdout)
      expect(s).toMatchObject({ status: "complete", answers: agents * 40, failed: 0, missing: 0, degraded: agents })
      const asked = (degraded.bodies as Array<{ messages: Array<{ content: string }> }>).filter((b) => b.messages.some((m) => m.content.includes(item)))
      const records = withRunDb(String(s["runDir"]), (db) => [...readAnswerRecords(db)])
      const conditions = new Set(records.map((a) => a.conditionIdx)).size
      // Each condition's shared request was sent 6 times (the default max_attempts); then the next method, stated
      // probabilities, asked once and re-asked twice (the default reasks: this model never states valid JSON), then
      // each agent once on its own.
      expect(asked).toHaveLength(conditions * 6 + conditions * 3 + agents)
      // Each agent's own request has room for an opener ("**", "Answer:") before the option, unlike the one-token logprob request.
      const own = (asked as Array<{ max_tokens?: number; logprobs?: boolean; messages: Array<{ content: string }> }>).filter((b) => b.logprobs !== true && !b.messages.some((m) => m.content.includes("Do not pick a single option")))
      expect(own).toHaveLength(agents)
      expect(own.every((b) => b.max_tokens === 24)).toBe(true)
      const sampled = records.filter((a) => a.itemIdx === 2)
      expect(sampled).toHaveLength(agents)
      for (const a of sampled) {
        expect(a.scoring).toBe("sample")
        expect(a.dist).toBeNull()
        expect(a.value).not.toBeNull()
        expect(a.requestKey).not.toBeNull()
      }
      // No sampled answer is shared by two agents: each has its own request.
      expect(new Set(sampled.map((a) => a.requestKey)).size).toBe(agents)
      // The other items are still shared logprob answers.
      expect(records.filter((a) => a.itemIdx !== 2).every((a) => a.scoring === "logprob" && a.dist !== null)).toBe(true)
      // And each equals the answer of a run where nothing degraded: the fallback did not shift the agent's
      // later draws (found by the fault suite, issue 15 item 8).
      const plain = await runCli(["run", "scenarios/vsq40.yaml", "--agents", String(agents), "--seed", "3", "--runs-dir", runs,
        "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--no-tui", "--json", "--no-cache"])
      expect(plain.code, plain.stderr).toBe(0)
      const valueOf = (rs: ReadonlyArray<{ agentId: number; itemIdx: number; value: number | null }>) =>
        new Map(rs.filter((a) => a.itemIdx !== 2).map((a) => [`${a.agentId}:${a.itemIdx}`, a.value]))
      expect(valueOf(records)).toEqual(valueOf(withRunDb(String(lastJson(plain.stdout)["runDir"]), (db) => [...readAnswerRecords(db)])))
    } finally {
      await degraded.close()
    }
  })

  it("a refused request (400) mid-run fails only the affected agents; resume completes them", async () => {
    const runs = tempDir("refused")
    server.plan([{ kind: "ok" }, { kind: "400" }])
    const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "30", "--seed", "2", "--concurrency", "1", "--runs-dir", runs, ...openaiArgs()])
    expect(r.code).toBe(1)
    const s = lastJson(r.stdout)
    expect(s["status"]).toBe("incomplete")
    expect(Number(s["unitsFailed"])).toBeGreaterThan(0)
    expect(r.stderr).toContain("valuesim resume")
    const resumed = await runCli(["resume", String(s["runDir"]), "--json"])
    expect(resumed.code, resumed.stderr).toBe(0)
    const t = lastJson(resumed.stdout)
    expect(t["status"]).toBe("complete")
    expect(t["answers"]).toBe(30 * 40)
    expect(t["failed"]).toBe(0)
  })

  it("a server that answers garbage (or cannot be reached, or gives no logprobs under logprob scoring) stops the run before anything is written: exit 2", async () => {
    const bad = await startFakeServer({ periodicFault: { every: 1, fault: { kind: "garbage" } } })
    try {
      const runs = path.join(tempDir("garbage2"), "runs")
      const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "5", "--runs-dir", runs, "--backend", "openai", "--base-url", bad.url, "--model", "m", "--json"])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`--base-url ${bad.url}`)
      expect(r.stderr).toContain("BadResponse")
      expect(fs.existsSync(runs)).toBe(false)
    } finally {
      await bad.close()
    }
    const bare = await startFakeServer({ periodicFault: { every: 1, fault: { kind: "nologprobs" } } })
    try {
      const runs = path.join(tempDir("nologprobs"), "runs")
      // Logprob scoring asked for: stopped at the first request (auto, the default, would score by another method).
      const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "5", "--scoring", "logprob", "--runs-dir", runs, "--backend", "openai", "--base-url", bare.url, "--model", "m", "--json"])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("without usable logprobs after 6 attempts")
      expect(r.stderr).toContain("--scoring stated")
      expect(bare.requests).toBe(6)
      expect(fs.existsSync(runs)).toBe(false)
    } finally {
      await bare.close()
    }
  })

  it("sample scoring re-asks an unparseable answer and records it as missing after the last re-ask", async () => {
    const runs = tempDir("reask")
    // One permit, so requests go out in order: the probe, the first item (prose), its two re-asks at once
    // (prose again), then the other 39 items.
    const prose = { kind: "text" as const, text: "I would rather not say." }
    server.plan([{ kind: "ok" }, prose, prose, prose])
    const t = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "1", "--seed", "2", "--scoring", "sample", "--concurrency", "1", "--runs-dir", runs, ...openaiArgs()])
    expect(t.code, t.stderr).toBe(0)
    const st = lastJson(t.stdout)
    expect(st["missing"]).toBe(1)
    const missing = withRunDb(String(st["runDir"]), (db) =>
      [...readAnswerRecords(db)].filter((a) => a.value === null).map((a) => ({ attempts: a.attempts, error: a.error, scoring: a.scoring })))
    expect(missing).toEqual([{ attempts: 3, error: "unparseable answer after the last re-ask", scoring: "sample" }])
  })

  it("a run killed mid-way and resumed equals an uninterrupted run: same rows, none duplicated", async () => {
    // One server for both runs, so the request keys (which name the endpoint) are the same. After the full run it
    // answers 300 more requests and then none: the second run is certainly mid-way when it is killed, however
    // fast or slow the machine. Its resume goes to the shared server with --base-url; the keys stay the plan's.
    const stalling = await startFakeServer()
    try {
      const runs = tempDir("crash")
      // Sample scoring: every agent sends its own requests (30 × 40).
      const args = ["run", "scenarios/vsq40.yaml", "--agents", "30", "--seed", "11", "--scoring", "sample", "--concurrency", "8",
        "--backend", "openai", "--base-url", stalling.url, "--model", "fake-model", "--no-tui", "--json", "--runs-dir", runs]
      const full = await runCli(args)
      expect(full.code, full.stderr).toBe(0)
      const fullDir = String(lastJson(full.stdout)["runDir"])

      const answered = stalling.requests + 300
      stalling.plan([...Array.from({ length: 300 }, (): Fault => ({ kind: "ok" })), ...Array.from({ length: 20_000 }, (): Fault => ({ kind: "hang" }))])
      const child = startCli(args)
      const done = waitCli(child)
      // Kill hard once the server has stopped answering and some agents are finished (the writer saves them
      // within a moment; the test's timeout is the only clock).
      const runDir = await new Promise<string>((resolve) => {
        const poll = setInterval(() => {
          if (stalling.requests <= answered) return
          const dirs = fs.readdirSync(runs).map((d) => path.join(runs, d)).filter((d) => d !== fullDir && fs.existsSync(path.join(d, "run.sqlite")))
          if (dirs.length !== 1) return
          try {
            const n = withRunDb(dirs[0]!, (db) => readRunTotals(db).done)
            if (n >= 1) {
              clearInterval(poll)
              child.kill("SIGKILL")
              resolve(dirs[0]!)
            }
          } catch {
            // the store is busy; look again
          }
        }, 20)
      })
      const killed = await done
      expect(killed.signal).toBe("SIGKILL")
      const partial = withRunDb(runDir, (db) => readRunTotals(db).done)
      expect(partial).toBeGreaterThan(0)
      expect(partial).toBeLessThan(30)

      const resumed = await runCli(["resume", runDir, "--base-url", server.url, "--json"])
      expect(resumed.code, resumed.stderr).toBe(0)
      const s = lastJson(resumed.stdout)
      expect(s["answers"]).toBe(30 * 40)
      expect(s["status"]).toBe("complete")

      const a = await exportRows(fullDir, path.join(runs, "ex-full"))
      const b = await exportRows(runDir, path.join(runs, "ex-resumed"))
      expect(b.length).toBe(30 * 40 + 1)
      expect(new Set(b).size).toBe(b.length)
      expect(b).toEqual(a)
    } finally {
      await stalling.close()
    }
  })
})

describe("an empty OPENAI_API_KEY (issue 22 item 8)", () => {
  it("runs keyless, as with no key at all, instead of ending in an internal error", async () => {
    const runs = tempDir("empty-key")
    const r = await runCli(["run", "tests/fixtures/mini-values.yaml", "--agents", "2", "--runs-dir", runs, ...openaiArgs()], { OPENAI_API_KEY: "" })
    expect(r.stderr).not.toContain("internal error")
    expect(r.code, r.stderr).toBe(0)
    expect(lastJson(r.stdout)["status"]).toBe("complete")
  })
})
