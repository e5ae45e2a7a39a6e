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

const endpoint = () => ["--backend", "openai", "--base-url", server.url, "--model", "fake-model"]

/** Runs `args` with the cache in `cacheDir`; the requests the server received and the run's summary. */
const counted = async (args: ReadonlyArray<string>, cacheDir: string) => {
  const before = server.requests
  const r = await runCli(["run", ...args, ...endpoint(), "--runs-dir", tempDir("cache-runs"), "--no-tui", "--json"], { VALUESIM_CACHE_DIR: cacheDir })
  expect(r.code, r.stderr).toBe(0)
  return { sent: server.requests - before, summary: lastJson(r.stdout) }
}

const answersCsv = async (runDir: string) => {
  const out = tempDir("cache-export")
  const r = await runCli(["export", runDir, "--format", "csv", "--out", out])
  expect(r.code, r.stderr).toBe(0)
  // latency_ms is wall-clock (0 for an answer from the cache); every other column must match.
  const lines = fs.readFileSync(path.join(out, "answers.csv"), "utf8").trim().split("\n")
  const drop = lines[0]!.split(",").indexOf("latency_ms")
  return lines.map((l) => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, "")).filter((_, i) => i !== drop).join(","))
}

const cacheJson = async (args: ReadonlyArray<string>, cacheDir: string) => {
  const r = await runCli(["cache", ...args, "--cache-dir", cacheDir, "--json"])
  expect(r.code, r.stderr).toBe(0)
  return lastJson(r.stdout)
}

describe("the response cache across runs", () => {
  it("a logprob study run twice sends its requests once; another seed or agent count sends none; plan counts the hits", async () => {
    const cache = tempDir("cache")
    const study = ["scenarios/vsq40.yaml", "--population", "populations/h-np.yaml", "--scoring", "logprob"]
    const first = await counted([...study, "--agents", "500", "--seed", "5"], cache)
    // 11 conditions × 40 items, the probe being the first of them.
    expect(first.sent).toBe(440)
    expect(first.summary["fromCache"]).toBe(0)

    const plan = lastJson((await runCli(["plan", ...study, "--agents", "500", "--seed", "5", ...endpoint(), "--cache-dir", cache, "--json"])).stdout)
    expect(plan["requests"]).toBe(0)
    expect(plan["cached"]).toBe(440)
    const uncachedPlan = lastJson((await runCli(["plan", ...study, "--agents", "500", "--seed", "5", ...endpoint(), "--cache-dir", cache, "--no-cache", "--json"])).stdout)
    expect(uncachedPlan["requests"]).toBe(440)
    expect(uncachedPlan["cached"]).toBe(0)

    const again = await counted([...study, "--agents", "500", "--seed", "5"], cache)
    expect(again.sent).toBe(0)
    expect(again.summary["requests"]).toBe(0)
    expect(again.summary["fromCache"]).toBe(440)
    expect(again.summary["answers"]).toBe(500 * 40)
    // The same seed draws the same answers from the same distributions.
    expect(await answersCsv(String(again.summary["runDir"]))).toEqual(await answersCsv(String(first.summary["runDir"])))

    // The distinct requests do not depend on the seed or the number of agents (every condition is present).
    expect((await counted([...study, "--agents", "700", "--seed", "9"], cache)).sent).toBe(0)

    // --no-cache sends everything again and leaves the cache as it was.
    const off = await runCli(["run", ...study, "--agents", "500", "--seed", "5", ...endpoint(), "--no-cache", "--runs-dir", tempDir("cache-runs"), "--no-tui", "--json"], { VALUESIM_CACHE_DIR: cache })
    expect(off.code, off.stderr).toBe(0)
    expect(lastJson(off.stdout)["requests"]).toBe(440)

    const stats = await cacheJson(["stats"], cache)
    expect(stats["entries"]).toBe(440)
    // The second and third runs each took all 440 from the cache.
    expect(stats["hits"]).toBe(880)
    expect(stats["groups"]).toEqual([{ endpoint: server.url, model: "fake-model", entries: 440, hits: 880 }])

    // Pruning what was used within the last day removes nothing older; --all empties it.
    expect((await cacheJson(["prune", "--older-than", "1"], cache))["removed"]).toBe(0)
    expect((await cacheJson(["prune", "--all"], cache))["removed"]).toBe(440)
    expect((await cacheJson(["stats"], cache))["entries"]).toBe(0)
    expect((await counted([...study, "--agents", "500", "--seed", "5"], cache)).sent).toBe(440)
  }, 900_000) // seven runs and three other commands: about 70 s on a quiet machine, over 300 s at load 40

  it("never answers a sample at temperature above 0 from the cache; at temperature 0 it does", async () => {
    const cache = tempDir("cache-sample")
    const args = ["tests/fixtures/mini-values.yaml", "--agents", "12", "--seed", "3", "--scoring", "sample"]
    // Every agent asks each of the 10 items at least once (re-asks of unreadable replies vary with the samples).
    const asked = 12 * 10
    expect((await counted([...args, "--temperature", "0.7"], cache)).sent).toBeGreaterThanOrEqual(asked)
    expect((await counted([...args, "--temperature", "0.7"], cache)).sent).toBeGreaterThanOrEqual(asked)
    expect((await cacheJson(["stats"], cache))["entries"]).toBe(0)

    const cold = await counted([...args, "--temperature", "0"], cache)
    // At temperature 0 agents of one condition sending the same prompt share one request (issue 20 item 5).
    expect(cold.sent).toBeGreaterThan(0)
    expect(cold.sent).toBeLessThan(asked)
    const hot = await counted([...args, "--temperature", "0"], cache)
    expect(hot.sent).toBe(0)
    expect(hot.summary["answers"]).toBe(cold.summary["answers"])
  }, 900_000)

  it("two runs at once share one cache: both finish, and it holds each distinct request once", async () => {
    const cache = tempDir("cache-two")
    const study = ["scenarios/vsq40.yaml", "--population", "populations/h-np.yaml", "--agents", "500", "--scoring", "logprob"]
    const before = server.requests
    const [a, b] = await Promise.all([counted([...study, "--seed", "1"], cache), counted([...study, "--seed", "2"], cache)])
    expect(a.summary["status"]).toBe("complete")
    expect(b.summary["status"]).toBe("complete")
    // Each run sends what it did not find; together at most twice the distinct requests, at least once.
    const sent = server.requests - before
    expect(sent).toBeGreaterThanOrEqual(440)
    expect(sent).toBeLessThanOrEqual(880)
    expect((await cacheJson(["stats"], cache))["entries"]).toBe(440)
  }, 900_000)

  it("cache prune needs --older-than or --all (exit 2)", async () => {
    const r = await runCli(["cache", "prune", "--cache-dir", tempDir("cache-bad")])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--older-than DAYS or --all/)
  })
})
