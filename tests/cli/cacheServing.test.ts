import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * The response cache answers only for the model that serves (issue 21, item 4): when another model is put behind
 * the same URL and model name (a server restarted on another file under the same alias), nothing of the first
 * model's is served from the cache; `/v1` and `/v1/` are one endpoint; degraded and damaged entries are asked
 * again and replaced.
 */
const A = { root: "/models/model-a-q4.gguf", fingerprint: "b4100-aaaaaaa" }
const B = { root: "/models/model-b-q4.gguf", fingerprint: "b4100-aaaaaaa" }
let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer({ serving: A })
})
afterAll(async () => {
  await server.close()
})

const study = ["scenarios/vsq40.yaml", "--agents", "8", "--seed", "3", "--scoring", "logprob"]

const counted = async (cacheDir: string, baseUrl = server.url) => {
  const before = server.requests
  const r = await runCli(["run", ...study, "--backend", "openai", "--base-url", baseUrl, "--model", "fake-model", "--runs-dir", tempDir("serving-runs"), "--no-tui", "--json"], {
    VALUESIM_CACHE_DIR: cacheDir
  })
  expect(r.code, r.stderr).toBe(0)
  return { sent: server.requests - before, summary: lastJson(r.stdout) }
}

const answers = (runDir: string) => {
  const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
  const rows = db.prepare(`SELECT text FROM requests ORDER BY key`).all()
  db.close()
  return JSON.stringify(rows)
}

describe("the response cache and the model behind a name", () => {
  it("another model behind the same URL and name is not answered from the first one's cache; switching back is", async () => {
    const cache = tempDir("serving-cache")
    server.setServing(A)
    const first = await counted(cache)
    const n = first.sent
    expect(n).toBeGreaterThan(100)
    const again = await counted(cache)
    expect(again.sent).toBe(0)
    expect(again.summary["fromCache"]).toBe(n)

    server.setServing(B)
    const other = await counted(cache)
    expect(other.sent).toBe(n)
    expect(other.summary["fromCache"]).toBe(0)
    expect(answers(String(other.summary["runDir"]))).not.toBe(answers(String(again.summary["runDir"])))
    // `/v1/` is the same endpoint as `/v1`: B's answers, all from the cache.
    const slash = await counted(cache, `${server.url}/`)
    expect(slash.sent).toBe(0)
    expect(slash.summary["fromCache"]).toBe(n)
    expect(answers(String(slash.summary["runDir"]))).toBe(answers(String(other.summary["runDir"])))

    server.setServing(A)
    const back = await counted(cache)
    expect(back.sent).toBe(0)
    expect(answers(String(back.summary["runDir"]))).toBe(answers(String(again.summary["runDir"])))
  }, 180_000)

  it("degraded and damaged entries are asked again and replaced", async () => {
    const cache = tempDir("serving-tamper")
    server.setServing(A)
    const first = await counted(cache)
    const db = new Sqlite(path.join(cache, "responses.sqlite"))
    const keys = (db.prepare(`SELECT key FROM responses ORDER BY key LIMIT 6`).all() as Array<{ key: string }>).map((r) => r.key)
    // Three without logprobs (a degraded response under logprob scoring), three whose stored logprobs are not JSON.
    for (const k of keys.slice(0, 3)) db.prepare(`UPDATE responses SET top_logprobs = NULL WHERE key = ?`).run(k)
    for (const k of keys.slice(3)) db.prepare(`UPDATE responses SET top_logprobs = '{broken' WHERE key = ?`).run(k)
    db.close()
    const repaired = await counted(cache)
    expect(repaired.sent).toBe(6)
    expect(repaired.summary["fromCache"]).toBe(first.sent - 6)
    const after = await counted(cache)
    expect(after.sent).toBe(0)
    expect(fs.existsSync(path.join(cache, "responses.sqlite"))).toBe(true)
  }, 180_000)
})
