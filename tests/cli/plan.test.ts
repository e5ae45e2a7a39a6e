import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

/** A price table for the loopback server's model (a table entry is charged even on localhost). */
const priceTable = (inputPerMillion: number) => {
  const file = path.join(tempDir("prices"), "prices.yaml")
  fs.writeFileSync(file, `kind: prices\nmodels:\n  fake-model: { input_per_million: ${inputPerMillion}, output_per_million: 0 }\n`)
  return file
}

const sums = (runDir: string) => {
  const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
  const r = db.prepare(`SELECT count(*) AS n, sum(prompt_tokens) AS input FROM requests`).get() as { n: number; input: number }
  db.close()
  return r
}

describe("valuesim plan", () => {
  it("prints requests, tokens, cost and time for the default study on OpenAI (440 requests under logprob scoring)", async () => {
    const r = await runCli(["plan", "scenarios/default-study.yaml", "--backend", "openai", "--model", "gpt-4o-mini", "--scoring", "logprob", "--json"], { VALUESIM_PRICES: "" })
    expect(r.code, r.stderr).toBe(0)
    const p = lastJson(r.stdout)
    expect(p["requests"]).toBe(440)
    expect(p["answers"]).toBe(40_000)
    expect(Number(p["inputTokens"])).toBeGreaterThan(440 * 50)
    expect(p["outputTokens"]).toBe(440)
    expect(p["costUsd"]).toBeNull()
    expect(Number(p["etaSeconds"])).toBeGreaterThan(0)
    const priced = lastJson((await runCli(["plan", "scenarios/default-study.yaml", "--backend", "openai", "--model", "gpt-4o-mini", "--scoring", "logprob", "--json"], { VALUESIM_PRICES: "1,2" })).stdout)
    expect(priced["costUsd"]).toBeCloseTo((Number(p["inputTokens"]) * 1 + 440 * 2) / 1e6, 12)
    // Without --scoring the default study on an endpoint is planned under auto (the study file names no method).
    const auto = lastJson((await runCli(["plan", "scenarios/default-study.yaml", "--backend", "openai", "--model", "gpt-4o-mini", "--json"], { VALUESIM_PRICES: "" })).stdout)
    expect(auto["scoring"]).toBe("auto")
    expect(auto["requestsByMethod"]).toMatchObject({ logprob: 440, stated: 440 })
  })

  it("predicts the requests a run sends and, within 20 %, the input tokens the server counts", async () => {
    for (const [scoring, spec] of [["logprob", "scenarios/vsq40.yaml"], ["sample", "tests/fixtures/mini-values.yaml"]] as const) {
      const args = [spec, "--agents", "25", "--seed", "4", "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--scoring", scoring]
      const plan = lastJson((await runCli(["plan", ...args, "--json"])).stdout)
      const before = server.requests
      const r = await runCli(["run", ...args, "--runs-dir", tempDir("plan-run"), "--no-tui", "--json"])
      expect(r.code, r.stderr).toBe(0)
      const sent = server.requests - before
      expect(plan["requests"], scoring).toBe(sent)
      const stored = sums(String(lastJson(r.stdout)["runDir"]))
      expect(stored.n).toBe(sent)
      expect(Number(plan["inputTokens"])).toBeGreaterThanOrEqual(stored.input)
      expect(Number(plan["inputTokens"])).toBeLessThanOrEqual(stored.input * 1.2)
    }
  }, 180_000)

  it("the synthetic backend sends nothing and costs nothing", async () => {
    const p = lastJson((await runCli(["plan", "scenarios/default-study.yaml", "--json"])).stdout)
    expect(p["requests"]).toBe(0)
    expect(p["costUsd"]).toBe(0)
    expect(p["etaSeconds"]).toBeNull()
  })
})

describe("run --max-cost", () => {
  const args = (runs: string) => ["run", "scenarios/vsq40.yaml", "--agents", "40", "--seed", "3", "--scoring", "sample", "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--runs-dir", runs, "--no-tui"]

  it("refuses a run whose estimate exceeds it: exit 2, the estimate printed, nothing sent or written", async () => {
    const runs = tempDir("maxcost-refuse")
    const before = server.requests
    const r = await runCli([...args(runs), "--max-cost", "0.5"], { VALUESIM_PRICES: priceTable(100) })
    expect(r.code).toBe(2)
    // 40 agents × 40 items, each agent its own requests, and the start-up probe.
    expect(r.stdout).toMatch(/requests\s+1,601 for 1,600 answers/)
    expect(r.stderr).toMatch(/--max-cost: the run is estimated at \$\d+\.\d\d, more than \$0\.50; nothing was sent/)
    expect(server.requests).toBe(before)
    expect(fs.readdirSync(runs)).toEqual([])
  })

  it("without a price for the model it cannot be checked: exit 2 before anything is sent", async () => {
    const runs = tempDir("maxcost-noprice")
    const r = await runCli([...args(runs).map((a) => (a === server.url ? "http://valuesim-test.invalid/v1" : a)), "--max-cost", "1"], { VALUESIM_PRICES: "" })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("--max-cost: no price is known for fake-model")
    expect(fs.readdirSync(runs)).toEqual([])
  })

  it("stops a run whose spending reaches it (here: re-asks the estimate does not count), and resume completes it", async () => {
    // Every second reply is unreadable, so half the items are re-asked: the run spends about 1.5× the estimate.
    const picky = await startFakeServer({ periodicFault: { every: 2, fault: { kind: "text", text: "I would rather not say." } } })
    try {
      const runs = tempDir("maxcost-stop")
      const prices = priceTable(100)
      const runArgs = args(runs).map((a) => (a === server.url ? picky.url : a))
      const plan = lastJson((await runCli(["plan", ...runArgs.slice(1, -3), "--json"], { VALUESIM_PRICES: prices })).stdout)
      const budget = Number(plan["costUsd"]) * 1.05
      const r = await runCli([...runArgs, "--max-cost", String(budget), "--json"], { VALUESIM_PRICES: prices })
      expect(r.code, r.stderr).toBe(130)
      // --json promises the summary on the last stdout line, a --max-cost stop included (issue 21 item 11).
      const summary = lastJson(r.stdout)
      expect(summary["status"]).toBe("interrupted")
      expect(summary["stoppedBy"]).toBe("max-cost")
      expect(Number(summary["answers"])).toBeLessThan(40 * 40)
      expect(r.stderr).toMatch(/stopped: spending reached --max-cost \$\d+\.\d\d .*finished answers are saved\. Continue with: .*valuesim resume /)
      const runDir = path.join(runs, fs.readdirSync(runs)[0]!)
      const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
      const pending = (db.prepare(`SELECT count(*) AS n FROM units WHERE state != 'done'`).get() as { n: number }).n
      const status = JSON.parse((db.prepare(`SELECT value FROM manifest WHERE key = 'status'`).get() as { value: string }).value) as string
      const spent = (db.prepare(`SELECT sum(prompt_tokens) AS t FROM requests`).get() as { t: number }).t * 100 / 1e6
      db.close()
      expect(pending).toBeGreaterThan(0)
      expect(status).toBe("interrupted")
      // Stopped at the budget: what was stored cost at least the budget, and not much more (requests in flight).
      expect(spent).toBeGreaterThanOrEqual(budget)
      expect(spent).toBeLessThan(budget * 1.2)
      const resumed = await runCli(["resume", runDir, "--json"], { VALUESIM_PRICES: prices })
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(lastJson(resumed.stdout)["answers"]).toBe(40 * 40)
    } finally {
      await picky.close()
    }
  }, 180_000)
})
