/**
 * `cache stats`, `cache prune` and `plan` on a damaged or read-only response cache (issue 21, item 8): one line
 * naming the file and the exit code README gives (3 damaged, 4 cannot be written), never an internal error; a
 * read-only cache is still read (stats, and plan's count of cached requests).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import { canMakeReadOnly, withReadOnly } from "../helpers/fsLimits.js"

let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

const study = ["scenarios/vsq40.yaml", "--agents", "2", "--seed", "3", "--scoring", "logprob"]
const endpoint = () => ["--backend", "openai", "--base-url", server.url, "--model", "fake-model"]

describe("a response cache that cannot be used", () => {
  it("damaged: cache stats and cache prune exit 3 with one line naming it; plan warns and counts nothing as cached", async () => {
    const dir = tempDir("cache-damaged")
    const file = path.join(dir, "responses.sqlite")
    fs.writeFileSync(file, Buffer.alloc(8192, 7))
    for (const args of [["cache", "stats"], ["cache", "prune", "--all"]]) {
      const r = await runCli([...args, "--cache-dir", dir])
      expect(r.code, r.stderr).toBe(3)
      expect(r.stderr).not.toMatch(/internal error|SqliteError/)
      expect(r.stderr.trim().split("\n")).toEqual([`valuesim cache: the response cache ${file} is damaged (file is not a database); delete it (it only saves repeating requests) or give another --cache-dir`])
    }
    const plan = await runCli(["plan", ...study, ...endpoint(), "--cache-dir", dir, "--json"])
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stderr).toContain(`the response cache ${file} is damaged`)
    expect(lastJson(plan.stdout)["cached"]).toBe(0)
    // Nothing was changed.
    expect(fs.readFileSync(file)).toEqual(Buffer.alloc(8192, 7))
  }, 60_000)

  it.skipIf(!canMakeReadOnly())("read-only: stats and plan read it; prune exits 4 and removes nothing", async () => {
    const dir = tempDir("cache-readonly")
    const filled = await runCli(["run", ...study, ...endpoint(), "--runs-dir", tempDir("cache-readonly-runs"), "--no-tui", "--json"], { VALUESIM_CACHE_DIR: dir })
    expect(filled.code, filled.stderr).toBe(0)
    const stats = async () => {
      const r = await runCli(["cache", "stats", "--cache-dir", dir, "--json"])
      expect(r.code, r.stderr).toBe(0)
      return lastJson(r.stdout)
    }
    const plan = async () => {
      const r = await runCli(["plan", ...study, ...endpoint(), "--cache-dir", dir, "--json"])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe("")
      return lastJson(r.stdout)["cached"]
    }
    const entries = Number((await stats())["entries"])
    const cached = Number(await plan())
    expect(entries).toBeGreaterThan(0)
    expect(cached).toBeGreaterThan(0)
    await withReadOnly(dir, async () => {
      expect((await stats())["entries"]).toBe(entries)
      expect(await plan()).toBe(cached)
      const prune = await runCli(["cache", "prune", "--all", "--cache-dir", dir])
      expect(prune.code, prune.stderr).toBe(4)
      expect(prune.stderr.trim().split("\n")).toHaveLength(1)
      expect(prune.stderr).toMatch(/the response cache .*responses\.sqlite cannot be written \(.*\); nothing was removed/)
    })
    expect((await stats())["entries"]).toBe(entries)
  }, 90_000)
})
