import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { serverFileName } from "../../src/app/batchApi.js"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { makeFakeBatchApi } from "../helpers/fakeBatchApi.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * Names a server chooses never become paths (issue 21, item 3): a batch id of `../../../../escape-23` once made
 * `batch status` write its output file four folders above the run's `batches/` folder.
 */
const EVIL = "../../../../escape-23"
let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer({ routes: makeFakeBatchApi({ pollsToComplete: 1, batchId: () => EVIL }).handle })
})
afterAll(async () => {
  await server.close()
})

describe("batch status with a server's hostile batch id", () => {
  it("downloads into the run's batches/ folder under a sanitised name, and ingests", async () => {
    const base = tempDir("batch-names")
    // Deep enough that the escape lands inside the temporary folder, where the test can look for it.
    const runs = path.join(base, "a", "b", "c", "d", "runs")
    const prep = await runCli(["batch", "prepare", "scenarios/vsq40.yaml", "--agents", "4", "--seed", "2", "--scoring", "logprob",
      "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--runs-dir", runs, "--out", path.join(base, "in"), "--json"])
    expect(prep.code, prep.stderr).toBe(0)
    const runDir = String(lastJson(prep.stdout)["runDir"])
    const submitted = await runCli(["batch", "submit", runDir, "--json"])
    expect(submitted.code, submitted.stderr).toBe(0)
    const status = await runCli(["batch", "status", runDir, "--wait", "--poll-seconds", "0.2", "--json"])
    expect(status.code, status.stderr).toBe(0)
    expect((lastJson(status.stdout)["ingest"] as Record<string, unknown>)["status"]).toBe("complete")

    const escaped = path.resolve(runDir, "batches", `${EVIL}-output.jsonl`)
    expect(escaped.startsWith(runDir)).toBe(false)
    expect(fs.existsSync(escaped)).toBe(false)
    expect(fs.readdirSync(path.join(runDir, "batches"))).toEqual([serverFileName(EVIL, "-output.jsonl")])
    expect(serverFileName(EVIL, "-output.jsonl")).toMatch(/^[A-Za-z0-9_-]+-output\.jsonl$/)
    // Plain ids keep their name; different hostile ids do not collide.
    expect(serverFileName("batch_abc-1", ".jsonl")).toBe("batch_abc-1.jsonl")
    expect(serverFileName("../a", "")).not.toBe(serverFileName("/.a", ""))
  }, 120_000)
})
