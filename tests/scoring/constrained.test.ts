import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import { openerAccuracy } from "../helpers/openerModel.js"
import { withRunDb } from "../helpers/store.js"
import { answerTopLogprobs, constrainedLabel, constraintFields } from "../../src/scoring/constrained.js"
import { toCompletion } from "../../src/llm/LlmClientOpenAi.js"

const entry = (token: string, top: ReadonlyArray<readonly [string, number]> = [[token, 0]]) => ({
  token,
  logprob: 0,
  top_logprobs: top.map(([t, p]) => ({ token: t, logprob: Math.log(p) }))
})

describe("constrained answers", () => {
  it("spells the constraint in each server's dialect", () => {
    const options = ["1", "2", "3"]
    expect(constraintFields({ dialect: "vllm", options })).toEqual({ structured_outputs: { choice: options } })
    const openai = constraintFields({ dialect: "openai", options }) as { response_format: { type: string; json_schema: { strict: boolean; schema: { properties: { answer: { enum: Array<string> } } } } } }
    expect(openai.response_format.type).toBe("json_schema")
    expect(openai.response_format.json_schema.strict).toBe(true)
    expect(openai.response_format.json_schema.schema.properties.answer.enum).toEqual(options)
    expect(constraintFields({ dialect: "llamacpp", options })).toHaveProperty("json_schema.properties.answer.enum", options)
    expect(constraintFields({ dialect: "ollama", options })).toHaveProperty("format.properties.answer.enum", options)
  })

  it("reads the logprobs at the token carrying the option, not the first token", () => {
    const at = [["4", 0.6], ["5", 0.4]] as const
    expect(answerTopLogprobs([entry('{"'), entry("answer"), entry('":"'), entry("4", at), entry('"}')])?.map((t) => t.token)).toEqual(["4", "5"])
    // whitespace between, and a token holding the opening quote
    expect(answerTopLogprobs([entry("{"), entry(' "answer"'), entry(": "), entry('"4', [['"4', 0.6], ['"5', 0.4]])])?.map((t) => t.token)).toEqual(["4", "5"])
    // a bare choice (vLLM structured_outputs choice): the first token
    expect(answerTopLogprobs([entry("4", at)])?.map((t) => t.token)).toEqual(["4", "5"])
    expect(answerTopLogprobs([entry('{"'), entry("other"), entry('":"'), entry("4")])).toBeNull()
    expect(answerTopLogprobs(null)).toBeNull()
  })

  it("a constrained completion carries the answer's logprobs; an unconstrained one the first token's", () => {
    const raw = { choices: [{ message: { content: '{"answer":"4"}' }, logprobs: { content: [entry('{"'), entry("answer"), entry('":"'), entry("4", [["4", 0.7], ["2", 0.3]]), entry('"}')] }, finish_reason: "stop" }] }
    const c = toCompletion(raw, { dialect: "openai", options: ["1", "2", "3", "4"] })
    expect(typeof c !== "string" && c.topLogprobs?.map((t) => t.token)).toEqual(["4", "2"])
    const plain = toCompletion(raw)
    expect(typeof plain !== "string" && plain.topLogprobs?.map((t) => t.token)).toEqual(['{"'])
    expect(constrainedLabel('{"answer": "4"}', ["4"])).toBe("4")
    expect(constrainedLabel("4", ["4"])).toBe("4")
    // A bare label kept the vLLM choice; under a JSON schema it is a reply that ignored the schema.
    expect(constrainedLabel("4", ["4"], "vllm")).toBe("4")
    expect(constrainedLabel("4", ["4"], "openai")).toBeNull()
    expect(constrainedLabel('{"answer":"4"}', ["4"], "openai")).toBe("4")
    expect(constrainedLabel("**4**", ["4"])).toBeNull()
  })
})

describe("constrained scoring against a model that opens with ** / Answer / a space", () => {
  let opener: FakeServer
  beforeAll(async () => {
    opener = await startFakeServer({ opener: { openerShare: 0.8 } })
  })
  afterAll(async () => {
    await opener.close()
  })
  const args = (url: string, agents: number) => ["scenarios/vsq40.yaml", "--agents", String(agents), "--seed", "5", "--backend", "openai", "--base-url", url, "--model", "fake-model", "--json", "--no-cache"]

  it("answers match the model's distribution at one request per condition × item (plus the start-up probe)", async () => {
    const runs = tempDir("constrained")
    const plan = await runCli(["plan", ...args(opener.url, 300), "--scoring", "constrained"])
    expect(plan.code, plan.stderr).toBe(0)
    const planned = Number(lastJson(plan.stdout)["requests"])
    const before = opener.requests
    const r = await runCli(["run", ...args(opener.url, 300), "--no-tui", "--scoring", "constrained", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    const sent = opener.requests - before
    expect(s["httpRequests"]).toBe(sent)
    expect(sent).toBeLessThanOrEqual(planned)
    // One request per condition × item and the start-up probe's plain question, exactly as planned.
    expect(sent).toBe(planned)
    expect(s["methods"]).toEqual({ constrained: 300 * 40 })
    expect(s["lowMass"]).toBe(0)
    const acc = withRunDb(String(s["runDir"]), openerAccuracy)
    console.log(`constrained: ${sent} requests (plan ${planned}); mean diff ${acc.meanDiff.toFixed(4)}; variance ratio ${acc.varianceRatio.toFixed(4)}`)
    expect(acc.missing).toBe(0)
    expect(Math.abs(acc.meanDiff)).toBeLessThan(0.05)
    expect(Math.abs(acc.varianceRatio - 1)).toBeLessThan(0.05)
    // The export names each answer's method and its option mass.
    const out = tempDir("constrained-export")
    const e = await runCli(["export", String(s["runDir"]), "--format", "csv", "--out", out])
    expect(e.code, e.stderr).toBe(0)
    const csv = fs.readdirSync(out).filter((f) => f.endsWith(".csv")).map((f) => fs.readFileSync(`${out}/${f}`, "utf8")).join("\n")
    expect(csv).toContain("constrained")
  }, 120_000)

  it("a server that ignores the constraint: the answer's low option mass hands the questions to stated", async () => {
    const unstructured = await startFakeServer({ opener: { openerShare: 0.8, structured: false } })
    try {
      const r = await runCli(["run", ...args(unstructured.url, 20), "--no-tui", "--scoring", "constrained", "--runs-dir", tempDir("constrained-ignored")])
      expect(r.code, r.stderr).toBe(0)
      expect(lastJson(r.stdout)["methods"]).toEqual({ stated: 20 * 40 })
    } finally {
      await unstructured.close()
    }
  }, 120_000)

  it("the vllm dialect sends structured_outputs choice and reads the bare answer's logprobs", async () => {
    const runs = tempDir("constrained-vllm")
    const r = await runCli(["run", ...args(opener.url, 20), "--no-tui", "--scoring", "constrained", "--constrained-dialect", "vllm", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["methods"]).toEqual({ constrained: 20 * 40 })
    expect(s["lowMass"]).toBe(0)
  }, 120_000)

  it("auto chooses constrained when the first token's option mass is low and the server keeps answers to the options", async () => {
    const runs = tempDir("constrained-auto")
    const plan = await runCli(["plan", ...args(opener.url, 300), "--scoring", "auto"])
    expect(plan.code, plan.stderr).toBe(0)
    const planned = Number(lastJson(plan.stdout)["requests"])
    const before = opener.requests
    const r = await runCli(["run", ...args(opener.url, 300), "--no-tui", "--scoring", "auto", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/method: constrained — the options carry only 0\.2\d* of the first token's probability, but 1\.000 at the answer/)
    const s = lastJson(r.stdout)
    const sent = opener.requests - before
    expect(s["httpRequests"]).toBe(sent)
    expect(sent).toBeLessThanOrEqual(1.1 * planned)
    expect(s["methods"]).toEqual({ constrained: 300 * 40 })
    const acc = withRunDb(String(s["runDir"]), openerAccuracy)
    console.log(`auto → constrained: ${sent} requests (plan ${planned}); mean diff ${acc.meanDiff.toFixed(4)}; variance ratio ${acc.varianceRatio.toFixed(4)}`)
    expect(Math.abs(acc.meanDiff)).toBeLessThan(0.05)
    expect(Math.abs(acc.varianceRatio - 1)).toBeLessThan(0.05)
  }, 120_000)

  it("batches: a constrained batch (answered as `vllm run-batch` would, by the server) ends with the online run's answers", async () => {
    const study = [...args(opener.url, 20).filter((a) => a !== "--json" && a !== "--no-cache"), "--scoring", "constrained"]
    const online = await runCli(["run", ...study, "--no-tui", "--json", "--no-cache", "--runs-dir", tempDir("constrained-online")])
    expect(online.code, online.stderr).toBe(0)
    const runs = tempDir("constrained-batch")
    const out = tempDir("constrained-batch-out")
    const prep = await runCli(["batch", "prepare", ...study, "--runs-dir", runs, "--out", out, "--json"])
    expect(prep.code, prep.stderr).toBe(0)
    const { runDir, files } = lastJson(prep.stdout) as { runDir: string; files: Array<string> }
    const lines = files.flatMap((f) => fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { custom_id: string; body: Record<string, unknown> }))
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.every((l) => "response_format" in l.body && l.body["logprobs"] === true)).toBe(true)
    // Each line's body sent to the server as it stands, its reply written as an output line.
    const output = await Promise.all(
      lines.map(async (l, i) => {
        const res = await fetch(`${opener.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(l.body) })
        return JSON.stringify({ id: `batch_req_${i}`, custom_id: l.custom_id, response: { status_code: res.status, request_id: `r${i}`, body: await res.json() }, error: null })
      })
    )
    const outFile = `${out}/output.jsonl`
    fs.writeFileSync(outFile, output.join("\n") + "\n")
    const ingest = await runCli(["batch", "ingest", runDir, outFile, "--json"])
    expect(ingest.code, ingest.stderr).toBe(0)
    expect(lastJson(ingest.stdout)["status"]).toBe("complete")
    expect(lastJson(ingest.stdout)["degradedLines"]).toBe(0)
    const answers = async (dir: string) => {
      const x = tempDir("constrained-batch-export")
      expect((await runCli(["export", dir, "--format", "csv", "--out", x])).code).toBe(0)
      const rows = fs.readFileSync(`${x}/answers.csv`, "utf8").trim().split("\n").map((l) => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, "")))
      const keep = rows[0]!.flatMap((h, i) => (["agent_id", "item_id", "value", "method"].includes(h) ? [i] : []))
      expect(keep).toHaveLength(4)
      return rows.map((r) => keep.map((i) => r[i]).join(","))
    }
    const batched = await answers(runDir)
    expect(batched).toHaveLength(20 * 40 + 1)
    expect(batched.filter((r) => r.endsWith(",constrained"))).toHaveLength(20 * 40)
    expect(batched).toEqual(await answers(String(lastJson(online.stdout)["runDir"])))
  }, 120_000)
})
