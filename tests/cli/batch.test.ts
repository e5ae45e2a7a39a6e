import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { answerBatchInput, makeFakeBatchApi, type FakeBatchApi } from "../helpers/fakeBatchApi.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import Sqlite from "better-sqlite3"
import { readBatchFiles, updateBatchFile, type BatchFileRow } from "../../src/store/batch.js"

let server: FakeServer
let batchApi: FakeBatchApi
beforeAll(async () => {
  batchApi = makeFakeBatchApi()
  server = await startFakeServer({ routes: batchApi.handle })
})
afterAll(async () => {
  await server.close()
})

const study = ["scenarios/default-study.yaml", "--agents", "60", "--seed", "3", "--scoring", "logprob"]
const backend = () => ["--backend", "openai", "--base-url", server.url, "--model", "fake-model"]

/** A seeded shuffle (mulberry32), so a failure can be replayed. */
const shuffled = <A>(xs: ReadonlyArray<A>, seed: number): Array<A> => {
  let a = seed >>> 0
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** The export of a run (answers without the wall-clock latency column, and scores), as text. */
const exported = async (runDir: string) => {
  const out = tempDir("batch-export")
  const r = await runCli(["export", runDir, "--format", "csv", "--out", out])
  expect(r.code, r.stderr).toBe(0)
  const lines = fs.readFileSync(path.join(out, "answers.csv"), "utf8").trim().split("\n")
  const drop = lines[0]!.split(",").indexOf("latency_ms")
  expect(drop).toBeGreaterThan(0)
  const answers = lines.map((l) => {
    const cells = l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ""))
    return cells.filter((_, i) => i !== drop).join(",")
  })
  return { answers, scores: fs.readFileSync(path.join(out, "scores.csv"), "utf8") }
}

const prepare = async (args: ReadonlyArray<string>) => {
  const r = await runCli(["batch", "prepare", ...args, "--json"])
  expect(r.code, r.stderr).toBe(0)
  return lastJson(r.stdout) as { runDir: string; files: Array<string>; requests: number; outstanding: number }
}

const ingest = async (runDir: string, files: ReadonlyArray<string>) => {
  const r = await runCli(["batch", "ingest", runDir, ...files, "--json"])
  expect(r.code, r.stderr).toBe(0)
  return lastJson(r.stdout)
}

/** Writes `lines` into `parts` files in `dir`. */
const split = (dir: string, lines: ReadonlyArray<string>, parts: number, name: string) =>
  Array.from({ length: parts }, (_, p) => {
    const file = path.join(dir, `${name}-${p + 1}.jsonl`)
    fs.writeFileSync(file, lines.filter((_, i) => i % parts === p).join("\n") + "\n")
    return file
  })

describe("valuesim batch prepare / ingest", () => {
  it("answers from shuffled output files split across files equal the online run's, and nothing is sent", async () => {
    const runs = tempDir("batch-runs")
    const online = await runCli(["run", ...study, ...backend(), "--runs-dir", runs, "--no-tui", "--json"])
    expect(online.code, online.stderr).toBe(0)
    const onlineDir = String(lastJson(online.stdout)["runDir"])

    const sentBefore = server.requests
    const out = tempDir("batch-in")
    const prep = await prepare([...study, ...backend(), "--runs-dir", runs, "--out", out, "--max-file-requests", "150"])
    // The default study under logprob scoring: one request per condition × item, whatever the agents.
    expect(prep.requests).toBeGreaterThan(150)
    expect(prep.files.length).toBe(Math.ceil(prep.requests / 150))
    const inputs = prep.files.map((f) => fs.readFileSync(f, "utf8").trim().split("\n"))
    expect(inputs.flat().length).toBe(prep.requests)
    for (const lines of inputs) expect(lines.length).toBeLessThanOrEqual(150)
    const first = JSON.parse(inputs[0]![0]!) as Record<string, unknown>
    expect(Object.keys(first)).toEqual(["custom_id", "method", "url", "body"])
    expect(first["url"]).toBe("/v1/chat/completions")
    expect((first["body"] as Record<string, unknown>)["logprobs"]).toBe(true)

    // Right after prepare every unit is pending.
    const before = await runCli(["export", prep.runDir, "--format", "csv", "--out", tempDir("batch-pending")])
    expect(before.code, before.stderr).toBe(0)

    // Answered by the test's own script from the request bodies alone, then shuffled and split in three.
    const answered = prep.files.flatMap((f) => answerBatchInput(fs.readFileSync(f, "utf8")).output)
    const results = tempDir("batch-out")
    const parts = split(results, shuffled(answered, 7), 3, "output")
    const partial = await ingest(prep.runDir, [parts[1]!])
    expect(partial["status"]).toBe("waiting")
    expect(partial["newAnswers"]).toBe(parts[1] && fs.readFileSync(parts[1], "utf8").trim().split("\n").length)
    const done = await ingest(prep.runDir, [parts[2]!, parts[0]!, parts[1]!])
    expect(done["status"]).toBe("complete")
    expect(done["knownAnswers"]).toBeGreaterThan(0)
    // Idempotent: everything again changes nothing.
    const again = await ingest(prep.runDir, parts)
    expect(again["newAnswers"]).toBe(0)
    expect(again["status"]).toBe("complete")

    expect(server.requests).toBe(sentBefore)
    const batch = await exported(prep.runDir)
    const reference = await exported(onlineDir)
    expect(batch.answers.length).toBe(60 * 40 + 1)
    expect(batch.answers).toEqual(reference.answers)
    expect(batch.scores).toBe(reference.scores)
  })

  it("failed lines leave their units failed; the next prepare asks only those again", async () => {
    const runs = tempDir("batch-fail-runs")
    const args = ["scenarios/vsq40.yaml", "--agents", "20", "--seed", "4", ...backend(), "--runs-dir", runs]
    const online = await runCli(["run", ...args, "--no-tui", "--json"])
    expect(online.code, online.stderr).toBe(0)
    const prep = await prepare([...args, "--out", tempDir("batch-fail-in")])
    // Before any answer is back, preparing the run folder again writes nothing (submitting both would pay twice).
    const early = await prepare([prep.runDir, "--out", tempDir("batch-fail-early")])
    expect(early.requests).toBe(0)
    expect(early.files).toEqual([])
    expect(early.outstanding).toBe(prep.requests)
    const input = fs.readFileSync(prep.files[0]!, "utf8")
    const ids = input.trim().split("\n").map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)
    const failing = new Set(ids.slice(0, 5))
    const { output, errors } = answerBatchInput(input, { fail: (id) => failing.has(id) })
    expect(errors.length).toBe(5)
    const dir = tempDir("batch-fail-out")
    fs.writeFileSync(path.join(dir, "output.jsonl"), output.join("\n") + "\n")
    fs.writeFileSync(path.join(dir, "errors.jsonl"), errors.join("\n") + "\n")
    const r = await ingest(prep.runDir, [path.join(dir, "errors.jsonl"), path.join(dir, "output.jsonl")])
    expect(r["status"]).toBe("incomplete")
    expect(r["failedLines"]).toBe(5)
    expect(r["failedRequests"]).toBe(5)
    expect(Number(r["unitsNotDone"])).toBeGreaterThan(0)

    const next = await prepare([prep.runDir, "--out", tempDir("batch-fail-in2")])
    expect(next.requests).toBe(5)
    const retried = fs.readFileSync(next.files[0]!, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)
    expect(new Set(retried)).toEqual(failing)
    const fixed = path.join(dir, "retry.jsonl")
    fs.writeFileSync(fixed, answerBatchInput(fs.readFileSync(next.files[0]!, "utf8")).output.join("\n") + "\n")
    // The old error file read again does not undo the answers.
    expect((await ingest(prep.runDir, [fixed, path.join(dir, "errors.jsonl")]))["status"]).toBe("complete")
    expect((await exported(prep.runDir)).answers).toEqual((await exported(String(lastJson(online.stdout)["runDir"]))).answers)
  })

  it("bad output lines stop the ingest with the file and line, exit 2, and store nothing", async () => {
    const runs = tempDir("batch-bad-runs")
    const prep = await prepare(["scenarios/vsq40.yaml", "--agents", "5", "--seed", "1", ...backend(), "--runs-dir", runs, "--out", tempDir("batch-bad-in")])
    const good = answerBatchInput(fs.readFileSync(prep.files[0]!, "utf8")).output
    const dir = tempDir("batch-bad-out")
    const cases: Array<[string, Array<string>, RegExp]> = [
      ["notjson", [good[0]!, "{not json"], /notjson\.jsonl: line 2: not a JSON object/],
      ["unknown", [good[0]!, good[1]!.replace(/"custom_id":"[0-9a-f]+"/, '"custom_id":"nope"'), good[2]!], /unknown\.jsonl: line 2: custom_id "nope" is not a request/]
    ]
    for (const [name, lines, message] of cases) {
      const file = path.join(dir, `${name}.jsonl`)
      fs.writeFileSync(file, lines.join("\n") + "\n")
      const r = await runCli(["batch", "ingest", prep.runDir, file])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trim().split("\n").length).toBe(1)
    }
    // Nothing of the bad files was kept: the first good line is new to the run.
    const file = path.join(dir, "one.jsonl")
    fs.writeFileSync(file, good[0]! + "\n")
    expect((await ingest(prep.runDir, [file]))["newAnswers"]).toBe(1)
  })

  it("an output line without logprobs is degraded on its own: every other line is stored, and nothing is paid for twice", async () => {
    const runs = tempDir("batch-degraded-runs")
    const prep = await prepare(["scenarios/vsq40.yaml", "--agents", "20", "--seed", "6", ...backend(), "--runs-dir", runs, "--out", tempDir("batch-degraded-in")])
    const input = fs.readFileSync(prep.files[0]!, "utf8")
    const good = answerBatchInput(input).output
    const bad = JSON.parse(good[3]!) as { custom_id: string; response: { body: { choices: Array<Record<string, unknown>> } } }
    bad.response.body.choices[0]!["logprobs"] = null
    const file = path.join(tempDir("batch-degraded-out"), "output.jsonl")
    fs.writeFileSync(file, [...good.slice(0, 3), JSON.stringify(bad), ...good.slice(4)].join("\n") + "\n")
    const r = await ingest(prep.runDir, [file])
    // Every line is stored; the degraded request's agents wait for their own requests.
    expect(r["newAnswers"]).toBe(prep.requests)
    expect(r["degradedLines"]).toBe(1)
    expect(r["failedLines"]).toBe(0)
    expect(r["status"]).toBe("waiting")
    expect(Number(r["unitsDone"])).toBeGreaterThan(0)
    // The next waves hold only the degraded request's fallbacks (its stated request and its re-asks, then, as this
    // model never states probabilities, one own request per agent of that condition), never a request already answered.
    const ids = (text: string) => text.trim().split("\n").map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)
    const asked = new Set(ids(input))
    let done: Record<string, unknown> = r
    for (let wave = 2; wave <= 8 && done["status"] !== "complete"; wave++) {
      const next = await prepare([prep.runDir, "--out", tempDir(`batch-degraded-in${wave}`)])
      const these = ids(fs.readFileSync(next.files[0]!, "utf8"))
      expect(these.length).toBe(next.requests)
      expect(next.requests).toBeGreaterThan(0)
      expect(next.requests).toBeLessThanOrEqual(20)
      expect(these.filter((id) => asked.has(id))).toEqual([])
      for (const id of these) asked.add(id)
      const fixed = path.join(path.dirname(file), `wave${wave}.jsonl`)
      fs.writeFileSync(fixed, answerBatchInput(fs.readFileSync(next.files[0]!, "utf8")).output.join("\n") + "\n")
      done = await ingest(prep.runDir, [fixed])
    }
    expect(done["status"]).toBe("complete")
    expect(done["answers"]).toBe(20 * 40)
    // Reading the first file again changes nothing, and nothing is left to prepare.
    expect((await ingest(prep.runDir, [file]))["newAnswers"]).toBe(0)
    expect((await prepare([prep.runDir, "--out", tempDir("batch-degraded-in3")])).requests).toBe(0)
  })

  it("refuses the synthetic backend and impossible file limits with one line and exit 2, writing nothing", async () => {
    const runs = tempDir("batch-refuse")
    const out = path.join(tempDir("batch-refuse-out"), "files")
    for (const extra of [["--backend", "synthetic"], [...backend(), "--max-file-requests", "50001"], [...backend(), "--max-file-bytes", "300000000"]]) {
      const r = await runCli(["batch", "prepare", "scenarios/vsq40.yaml", "--agents", "5", ...extra, "--runs-dir", runs, "--out", out])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr.trim().split("\n").length).toBe(1)
    }
    expect(fs.existsSync(out)).toBe(false)
    expect(fs.readdirSync(runs)).toEqual([])
  })

  it("sample scoring: each agent's own requests (same body, own custom_id), answers equal to the online run's", async () => {
    const runs = tempDir("batch-sample")
    const args = ["scenarios/vsq40.yaml", "--agents", "6", "--seed", "8", "--scoring", "sample", ...backend(), "--runs-dir", runs]
    const online = await runCli(["run", ...args, "--no-tui", "--json"])
    expect(online.code, online.stderr).toBe(0)
    const prep = await prepare([...args, "--out", tempDir("batch-sample-in")])
    expect(prep.requests).toBe(6 * 40)
    const lines = prep.files.flatMap((f) => fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { custom_id: string; body: Record<string, unknown> }))
    expect(new Set(lines.map((l) => l.custom_id)).size).toBe(6 * 40)
    expect(lines[0]!.body["logprobs"]).toBeUndefined()
    const out = path.join(tempDir("batch-sample-out"), "out.jsonl")
    fs.writeFileSync(out, shuffled(prep.files.flatMap((f) => answerBatchInput(fs.readFileSync(f, "utf8")).output), 3).join("\n") + "\n")
    expect((await ingest(prep.runDir, [out]))["status"]).toBe("complete")
    expect((await exported(prep.runDir)).answers).toEqual((await exported(String(lastJson(online.stdout)["runDir"]))).answers)
  })

  it("submit uploads and creates each batch once, even after an interruption; status downloads, ingests, and resume sends what failed", async () => {
    const runs = tempDir("batch-api-runs")
    const args = ["scenarios/vsq40.yaml", "--agents", "25", "--seed", "6", ...backend(), "--runs-dir", runs]
    const online = await runCli(["run", ...args, "--no-tui", "--json"])
    expect(online.code, online.stderr).toBe(0)
    const prep = await prepare([...args, "--out", tempDir("batch-api-in"), "--max-file-requests", "120"])
    expect(prep.files.length).toBeGreaterThanOrEqual(3)
    const uploads0 = batchApi.uploads
    const created0 = batchApi.batchesCreated

    const submit = async () => {
      const r = await runCli(["batch", "submit", prep.runDir, "--json"])
      expect(r.code, r.stderr).toBe(0)
      return lastJson(r.stdout) as { batches: Array<{ file: string; fileId: string; batchId: string }> }
    }
    const first = await submit()
    expect(first.batches.length).toBe(prep.files.length)
    expect(batchApi.uploads - uploads0).toBe(prep.files.length)
    expect(batchApi.batchesCreated - created0).toBe(prep.files.length)

    // As if stopped while calls were under way, their results unrecorded: file 1's upload and batch creation,
    // file 2's batch creation. The re-run finds the file by name and size and the batches by input file.
    const db = new Sqlite(path.join(prep.runDir, "run.sqlite"))
    const rows: Array<BatchFileRow> = readBatchFiles(db)
    updateBatchFile(db, rows[0]!.file, { uploadState: "uploading", fileId: null, batchState: "creating", batchId: null })
    updateBatchFile(db, rows[1]!.file, { batchState: "creating", batchId: null })
    db.close()
    const again = await submit()
    expect(again.batches).toEqual(first.batches)
    expect(batchApi.uploads - uploads0).toBe(prep.files.length)
    expect(batchApi.batchesCreated - created0).toBe(prep.files.length)

    // Three requests fail in their batch; the rest is answered.
    const failing = new Set(
      fs.readFileSync(prep.files[0]!, "utf8").trim().split("\n").slice(0, 3).map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)
    )
    batchApi.setFail((id) => failing.has(id))
    const status = async (extra: ReadonlyArray<string>) => {
      const r = await runCli(["batch", "status", prep.runDir, ...extra, "--json"])
      expect(r.code, r.stderr).toBe(0)
      return lastJson(r.stdout) as { open: number; ingest: Record<string, unknown> | null }
    }
    const once = await status([])
    expect(once.open).toBe(prep.files.length)
    expect(once.ingest).toBeNull()
    const downloads0 = batchApi.downloads
    const waited = await status(["--wait", "--poll-seconds", "0.2"])
    batchApi.setFail(undefined)
    expect(waited.open).toBe(0)
    expect(waited.ingest!["status"]).toBe("incomplete")
    expect(waited.ingest!["failedLines"]).toBe(3)
    expect(batchApi.downloads - downloads0).toBe(prep.files.length + 1)
    // Nothing new: no download, no ingest.
    expect((await status([])).ingest).toBeNull()
    expect(batchApi.downloads - downloads0).toBe(prep.files.length + 1)

    const sent = server.requests
    const resumed = await runCli(["resume", prep.runDir, "--no-tui", "--json"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(server.requests - sent).toBe(3)
    expect((await exported(prep.runDir)).answers).toEqual((await exported(String(lastJson(online.stdout)["runDir"]))).answers)
  })

  it("a session questionnaire goes out in waves, one item each, and ends equal to the online run", async () => {
    const dir = tempDir("batch-waves")
    const spec = path.join(dir, "mini-session.yaml")
    const source = fs.readFileSync("tests/fixtures/mini-values.yaml", "utf8").replace("administration: independent", "administration: session")
    // Three items: three waves (each item's conversation holds the agent's drawn answers to the earlier ones).
    const lines = source.split("\n")
    const firstItem = lines.findIndex((l) => l.startsWith("  - { id:"))
    fs.writeFileSync(spec, [...lines.slice(0, firstItem + 3), ""].join("\n"))
    const args = [spec, "--agents", "8", "--seed", "2", ...backend(), "--runs-dir", path.join(dir, "runs")]
    const online = await runCli(["run", ...args, "--no-tui", "--json"])
    expect(online.code, online.stderr).toBe(0)
    let prep = await prepare([...args, "--out", path.join(dir, "in-1")])
    const runDir = prep.runDir
    const waves: Array<number> = []
    while (prep.requests > 0 && waves.length < 5) {
      waves.push(prep.requests)
      const out = path.join(dir, `out-${waves.length}.jsonl`)
      fs.writeFileSync(out, prep.files.flatMap((f) => answerBatchInput(fs.readFileSync(f, "utf8")).output).join("\n") + "\n")
      const r = await ingest(runDir, [out])
      expect(r["status"]).toBe(waves.length < 3 ? "waiting" : "complete")
      prep = await prepare([runDir, "--out", path.join(dir, `in-${waves.length + 1}`)])
    }
    expect(waves.length).toBe(3)
    // Later items carry each agent's own earlier answers: at most one request per agent (identical
    // conversations, same condition and same answers so far, are still asked once).
    for (const w of waves.slice(1)) expect(w).toBeGreaterThan(0)
    for (const w of waves.slice(1)) expect(w).toBeLessThanOrEqual(8)
    expect((await exported(runDir)).answers).toEqual((await exported(String(lastJson(online.stdout)["runDir"]))).answers)
  })

  it("sample scoring: an unreadable reply is re-asked in the next wave", async () => {
    const dir = tempDir("batch-reask")
    const args = ["tests/fixtures/mini-values.yaml", "--agents", "1", "--seed", "1", "--scoring", "sample", ...backend(), "--runs-dir", path.join(dir, "runs")]
    const prep = await prepare([...args, "--out", path.join(dir, "in-1")])
    expect(prep.requests).toBe(10)
    const output = answerBatchInput(fs.readFileSync(prep.files[0]!, "utf8")).output
    const garbled = JSON.parse(output[0]!) as { response: { body: { choices: Array<{ message: { content: string } }> } } }
    garbled.response.body.choices[0]!.message.content = "Hard to say"
    fs.writeFileSync(path.join(dir, "out-1.jsonl"), [JSON.stringify(garbled), ...output.slice(1)].join("\n") + "\n")
    expect((await ingest(prep.runDir, [path.join(dir, "out-1.jsonl")]))["status"]).toBe("waiting")
    const next = await prepare([prep.runDir, "--out", path.join(dir, "in-2")])
    expect(next.requests).toBe(1)
    const reask = JSON.parse(fs.readFileSync(next.files[0]!, "utf8").trim()) as { body: { messages: Array<{ role: string; content: string }> } }
    const turns = reask.body.messages
    expect(turns[turns.length - 2]).toEqual({ role: "assistant", content: "Hard to say" })
    expect(turns[turns.length - 1]!.content).toMatch(/could not be matched to an option/)
    fs.writeFileSync(path.join(dir, "out-2.jsonl"), answerBatchInput(fs.readFileSync(next.files[0]!, "utf8")).output.join("\n") + "\n")
    const done = await ingest(prep.runDir, [path.join(dir, "out-2.jsonl")])
    expect(done["status"]).toBe("complete")
    expect(done["answers"]).toBe(10)
  })

  it("a batch that expires half-answered leaves the rest failed; the next prepare writes exactly that rest", async () => {
    const dir = tempDir("batch-expire")
    const args = ["tests/fixtures/mini-values.yaml", "--agents", "30", "--seed", "3", ...backend(), "--runs-dir", path.join(dir, "runs")]
    const prep = await prepare([...args, "--out", path.join(dir, "in-1")])
    expect(prep.files.length).toBe(1)
    expect((await runCli(["batch", "submit", prep.runDir])).code).toBe(0)
    batchApi.setExpire(5)
    const r = await runCli(["batch", "status", prep.runDir, "--wait", "--poll-seconds", "0.2", "--json"])
    batchApi.setExpire(undefined)
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout) as { open: number; batches: Array<{ status: string }>; ingest: Record<string, unknown> }
    expect(s.open).toBe(0)
    expect(s.batches[0]!.status).toBe("expired")
    expect(s.ingest["newAnswers"]).toBe(5)
    expect(s.ingest["status"]).toBe("incomplete")
    expect(s.ingest["failedRequests"]).toBe(prep.requests - 5)
    const next = await prepare([prep.runDir, "--out", path.join(dir, "in-2")])
    expect(next.requests).toBe(prep.requests - 5)
    expect(next.outstanding).toBe(0)
  })
})
