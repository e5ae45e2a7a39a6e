import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { answerBatchInput, makeFakeBatchApi, type FakeBatchApi } from "../helpers/fakeBatchApi.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * What `batch ingest` refuses (issue 21 items 10 and 19): two lines answering one request differently, answers
 * from another model, a batch input file given as output; and what `batch status` and `batch submit` say about a
 * run folder (the key going to a stored URL; a run completed by a hand ingest).
 */
let server: FakeServer
let batchApi: FakeBatchApi
beforeAll(async () => {
  batchApi = makeFakeBatchApi()
  server = await startFakeServer({ routes: batchApi.handle })
})
afterAll(async () => {
  await server.close()
})

const prepare = async (dir: string) => {
  const r = await runCli([
    "batch", "prepare", "tests/fixtures/mini-values.yaml", "--agents", "4", "--seed", "2", "--backend", "openai", "--base-url", server.url,
    "--model", "fake-model", "--runs-dir", path.join(dir, "runs"), "--out", path.join(dir, "in"), "--json"
  ])
  expect(r.code, r.stderr).toBe(0)
  return lastJson(r.stdout) as { runDir: string; files: Array<string>; requests: number }
}

const write = (file: string, lines: ReadonlyArray<string>) => {
  fs.writeFileSync(file, lines.join("\n") + "\n")
  return file
}

describe("batch ingest refuses what it cannot trust, exit 2, storing nothing", () => {
  it("two lines answering one request differently (within a call, or against an earlier ingest)", async () => {
    const dir = tempDir("batch-dup")
    const prep = await prepare(dir)
    const good = answerBatchInput(fs.readFileSync(prep.files[0]!, "utf8")).output
    const other = JSON.parse(good[0]!) as { response: { body: { choices: Array<{ message: { content: string } }> } } }
    other.response.body.choices[0]!.message.content = other.response.body.choices[0]!.message.content === "1" ? "2" : "1"
    const a = write(path.join(dir, "a.jsonl"), good)
    const b = write(path.join(dir, "b.jsonl"), [JSON.stringify(other)])
    const both = await runCli(["batch", "ingest", prep.runDir, a, b])
    expect(both.code, both.stderr).toBe(2)
    expect(both.stderr).toMatch(/b\.jsonl: line 1: custom_id "[0-9a-f]+" is answered differently on line 1 of .*a\.jsonl/)
    // Nothing was stored: a alone completes the run, and b afterwards conflicts with what a stored.
    const first = await runCli(["batch", "ingest", prep.runDir, a, "--json"])
    expect(first.code, first.stderr).toBe(0)
    expect(lastJson(first.stdout)["newAnswers"]).toBe(prep.requests)
    const later = await runCli(["batch", "ingest", prep.runDir, b])
    expect(later.code).toBe(2)
    expect(later.stderr).toMatch(/answered differently by the answer an earlier ingest stored/)
    // The same line again is no conflict.
    expect((await runCli(["batch", "ingest", prep.runDir, a])).code).toBe(0)
  })

  it("completions from another model, and a batch input file given as output", async () => {
    const dir = tempDir("batch-model")
    const prep = await prepare(dir)
    const input = fs.readFileSync(prep.files[0]!, "utf8")
    const foreign = answerBatchInput(input.replaceAll('"model":"fake-model"', '"model":"other-model"')).output
    const r = await runCli(["batch", "ingest", prep.runDir, write(path.join(dir, "foreign.jsonl"), foreign)])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/foreign\.jsonl: line 1: response\.body\.model: answered by "other-model", but this run asks "fake-model"/)
    // A dated snapshot of the run's model is the run's model.
    const dated = answerBatchInput(input.replaceAll('"model":"fake-model"', '"model":"fake-model-2024-07-18"')).output
    expect((await runCli(["batch", "ingest", prep.runDir, write(path.join(dir, "dated.jsonl"), dated)])).code).toBe(0)

    const dir2 = tempDir("batch-input")
    const prep2 = await prepare(dir2)
    const wrong = await runCli(["batch", "ingest", prep2.runDir, prep2.files[0]!])
    expect(wrong.code, wrong.stderr).toBe(2)
    expect(wrong.stderr).toMatch(/line 1: a batch input line .*not one it returns/)
    expect(wrong.stderr.trim().split("\n").length).toBe(1)
  })
})

describe("batch status and submit", () => {
  it("warn when the run's stored URL is not where the environment sends the key; a run completed by ingest is complete", async () => {
    const dir = tempDir("batch-status")
    const prep = await prepare(dir)
    const out = write(path.join(dir, "out.jsonl"), answerBatchInput(fs.readFileSync(prep.files[0]!, "utf8")).output)
    expect((await runCli(["batch", "ingest", prep.runDir, out])).code).toBe(0)
    const env = { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: "https://api.example.org/v1" }
    const uploads = batchApi.uploads
    const status = await runCli(["batch", "status", prep.runDir, "--json"], env)
    expect(status.code, status.stderr).toBe(0)
    expect(status.stderr).toMatch(/warning: the run's stored settings .* sends requests and OPENAI_API_KEY to 127\.0\.0\.1:\d+, not to api\.example\.org/)
    expect(status.stderr).not.toMatch(/not submitted/)
    expect(status.stderr).toMatch(/the run is complete; next: .* report/)
    expect(lastJson(status.stdout)["unsubmitted"]).toBe(0)
    const submit = await runCli(["batch", "submit", prep.runDir], env)
    expect(submit.code, submit.stderr).toBe(0)
    expect(submit.stderr).toMatch(/warning: the run's stored settings .* sends requests and OPENAI_API_KEY to 127\.0\.0\.1/)
    // Nothing to pay for: the file's answers are in.
    expect(submit.stdout).toMatch(/every request answered already/)
    expect(batchApi.uploads).toBe(uploads)
  })
})
