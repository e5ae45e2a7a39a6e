/**
 * One row of README's server compatibility table per test group: the CLI run against the loopback emulator of
 * each server kind (tests/helpers/serverKinds.ts, written from each server's documentation), first as a new
 * user runs it (auto scoring, the default on an endpoint), then with logprob scoring forced and what the table
 * says to set. No setup may end `complete` with more than 5 % of its
 * answers missing: each either answers or stops with the fix named.
 */
import { afterEach, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"
import { withRunDb } from "../helpers/store.js"
import { MODEL } from "../helpers/fakeOpenAiServer.js"
import { startEmulator, type Emulator, type EmulatorOptions } from "../helpers/serverKinds.js"
import { getManifest } from "../../src/store/RunStore.js"
import { shellWord } from "../../src/domain/printable.js"
import { AUTO_REASONING_TOKENS } from "../../src/probe/probe.js"

let server: Emulator | null = null
afterEach(async () => {
  await server?.close()
  server = null
})

const start = async (o: EmulatorOptions) => {
  server = await startEmulator(o)
  return server
}

/** A study of the ten-item test questionnaire on the uniform population, two attempts per request (fast failures). */
const study = (dir: string, agents: number) => {
  const file = path.join(dir, "study.yaml")
  fs.writeFileSync(
    file,
    [
      "kind: study",
      "id: kinds",
      `population: ${path.join(ROOT, "populations/uniform.yaml")}`,
      `agents: ${agents}`,
      "seed: 4",
      "steps:",
      `  - questionnaire: ${path.join(ROOT, "tests/fixtures/mini-values.yaml")}`,
      "backend:",
      "  kind: openai",
      "  max_attempts: 2",
      "  concurrency: 8",
      ""
    ].join("\n")
  )
  return file
}

const run = async (s: Emulator, agents: number, flags: ReadonlyArray<string>, model = MODEL) => {
  const dir = tempDir(`kind-${s.kind}`)
  const r = await runCli(["run", study(dir, agents), "--base-url", s.url, "--model", model, "--runs-dir", path.join(dir, "runs"), "--no-tui", "--json", ...flags])
  return r
}

/** A run that completed with at most 5 % of its answers missing. */
const expectAnswered = (r: Awaited<ReturnType<typeof runCli>>, answers: number) => {
  expect(r.code, r.stderr).toBe(0)
  const s = lastJson(r.stdout)
  expect(s["status"]).toBe("complete")
  expect(s["answers"]).toBe(answers)
  expect(Number(s["missing"])).toBeLessThanOrEqual(0.05 * answers)
  return s
}

describe("server kinds: what a user must set, and what happens otherwise", () => {
  it("OpenAI chat models: logprob scoring as is; a wrong model name shows the server's message", async () => {
    const s = await start({ kind: "openai-chat" })
    // auto (the default) finds the options carry the first token's mass: logprob, the probe's request the run's own.
    const auto = expectAnswered(await run(s, 10, []), 100)
    expect(auto["scoring"]).toEqual({ asked: "auto", chosen: "logprob" })
    expectAnswered(await run(s, 10, ["--scoring", "logprob"]), 100)
    const wrong = await run(s, 10, [], "gpt-nonexistent")
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain("The model `gpt-nonexistent` does not exist")
    expect(wrong.stderr).toContain("check --model")
  }, 60_000)

  it("OpenAI reasoning models: auto sends max_completion_tokens and no temperature and answers; logprob scoring names each flag to set; sample with a reasoning effort answers", async () => {
    const s = await start({ kind: "openai-reasoning" })
    // auto (the default): the probe finds max_tokens, temperature and logprobs refused and valid stated
    // probabilities, so stated, with room to reason.
    const auto = expectAnswered(await run(s, 10, []), 100)
    expect(auto["scoring"]).toEqual({ asked: "auto", chosen: "stated" })
    const sentByAuto = s.bodies.at(-1) as Record<string, unknown>
    expect("max_tokens" in sentByAuto || "temperature" in sentByAuto || "logprobs" in sentByAuto).toBe(false)
    expect(sentByAuto["max_completion_tokens"]).toBeGreaterThanOrEqual(AUTO_REASONING_TOKENS)
    const first = await run(s, 10, ["--scoring", "logprob"])
    expect(first.code).toBe(2)
    expect(first.stderr).toContain("'max_tokens' is not supported with this model")
    expect(first.stderr).toContain("--max-completion-tokens")
    const temperature = await run(s, 10, ["--scoring", "logprob", "--max-completion-tokens", "16"])
    expect(temperature.code).toBe(2)
    expect(temperature.stderr).toContain("--no-temperature")
    const logprobs = await run(s, 10, ["--scoring", "logprob", "--max-completion-tokens", "16", "--no-temperature"])
    expect(logprobs.code).toBe(2)
    expect(logprobs.stderr).toContain("--scoring sample")
    // Reasoning spends the whole limit: the run stops early with the fix, never `complete` with answers missing.
    const cut = await run(s, 10, ["--scoring", "sample", "--max-completion-tokens", "16", "--no-temperature"])
    expect(cut.code, cut.stderr).toBe(1)
    expect(cut.stderr).toMatch(/stopped: \d+ of the first \d+ answers are missing: .*finish_reason: length.*--thinking-budget/)
    expect(lastJson(cut.stdout)["status"]).toBe("interrupted")
    const sent = s.bodies.at(-1) as Record<string, unknown>
    expect(sent["max_completion_tokens"]).toBe(16)
    expect("max_tokens" in sent || "temperature" in sent || "logprobs" in sent).toBe(false)
    expectAnswered(await run(s, 10, ["--scoring", "sample", "--max-completion-tokens", "16", "--no-temperature", "--reasoning-effort", "minimal"]), 100)
    expect((s.bodies.at(-1) as Record<string, unknown>)["reasoning_effort"]).toBe("minimal")
  }, 120_000)

  it("Anthropic's compatibility layer: auto finds no logprobs and answers; logprob scoring stops at the probe naming --scoring stated; sample answers", async () => {
    const s = await start({ kind: "anthropic" })
    expect(expectAnswered(await run(s, 10, []), 100)["scoring"]).toEqual({ asked: "auto", chosen: "stated" })
    const first = await run(s, 10, ["--scoring", "logprob"])
    expect(first.code).toBe(2)
    expect(first.stderr).toContain("--scoring stated")
    expectAnswered(await run(s, 10, ["--scoring", "sample"]), 100)
  }, 60_000)

  it("Gemini's compatibility layer: auto reads the array-wrapped refusal of logprobs and answers; under logprob scoring it names the fix; sample answers", async () => {
    const s = await start({ kind: "gemini" })
    expect(expectAnswered(await run(s, 10, []), 100)["scoring"]).toEqual({ asked: "auto", chosen: "stated" })
    const first = await run(s, 10, ["--scoring", "logprob"])
    expect(first.code).toBe(2)
    expect(first.stderr).toContain("Logprobs is not supported for this model")
    expect(first.stderr).not.toContain("no body")
    expect(first.stderr).toContain("--scoring sample")
    const wrong = await run(s, 10, ["--scoring", "sample"], "gemini-nonexistent")
    expect(wrong.stderr).toContain("models/gemini-nonexistent is not found")
    expectAnswered(await run(s, 10, ["--scoring", "sample"]), 100)
  }, 60_000)

  it("vLLM: logprob scoring as is; its top-level error shape is read (wrong model, too many top_logprobs)", async () => {
    const s = await start({ kind: "vllm" })
    expect(expectAnswered(await run(s, 10, []), 100)["scoring"]).toEqual({ asked: "auto", chosen: "logprob" })
    const wrong = await run(s, 10, [], "Qwen/nonexistent")
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain("The model `Qwen/nonexistent` does not exist.")
  }, 60_000)

  it("Ollama: logprob from 0.12.11; on 0.12.10 auto answers and logprob scoring stops at the probe naming --scoring stated; a thinking model answers with --reasoning-effort none", async () => {
    expect(expectAnswered(await run(await start({ kind: "ollama" }), 10, []), 100)["scoring"]).toEqual({ asked: "auto", chosen: "logprob" })
    await server?.close()
    const old = await start({ kind: "ollama", ollamaVersion: "0.12.10" })
    expect(expectAnswered(await run(old, 10, []), 100)["scoring"]).toEqual({ asked: "auto", chosen: "stated" })
    const first = await run(old, 10, ["--scoring", "logprob"])
    expect(first.code).toBe(2)
    expect(first.stderr).toContain("--scoring stated")
    await server?.close()
    const thinking = await start({ kind: "ollama", thinkingTokens: 200 })
    const cut = await run(thinking, 10, ["--scoring", "sample"])
    expect(cut.code).toBe(1)
    expect(cut.stderr).toContain("while the model was still thinking")
    expectAnswered(await run(thinking, 10, ["--scoring", "sample", "--reasoning-effort", "none"]), 100)
  }, 120_000)

  it("llama.cpp: logprob scoring as is (its extra id fields are ignored)", async () => {
    expect(expectAnswered(await run(await start({ kind: "llamacpp" }), 10, []), 100)["scoring"]).toEqual({ asked: "auto", chosen: "logprob" })
  }, 60_000)

  it("a thinking model (Qwen3, <think> in content): cut replies stop the run with the fix; a thinking budget or thinking off answers", async () => {
    const s = await start({ kind: "thinking", thinkingTokens: 300 })
    // auto (the default): no option among the first token's logprobs, no valid stated reply inside the limit, so
    // sample, whose replies are cut while thinking: the run stops with the fix named, never `complete`.
    const auto = await run(s, 10, [])
    expect(auto.code).toBe(1)
    expect(auto.stderr).toMatch(/stopped: .*while the model was still thinking.*--thinking-budget/)
    // Logprob scoring: the first token is the reasoning's; the probe says so and names both ways out.
    const logprob = await run(s, 10, ["--scoring", "logprob"])
    expect(logprob.code).toBe(2)
    expect(logprob.stderr).toContain("a thinking model")
    expect(logprob.stderr).toContain("enable_thinking")
    const cut = await run(s, 10, ["--scoring", "sample"])
    expect(cut.code).toBe(1)
    expect(cut.stderr).toMatch(/stopped: .*while the model was still thinking.*--thinking-budget/)
    const runDir = String(lastJson(cut.stdout)["runDir"])
    expect(withRunDb(runDir, (db) => getManifest(db)["status"])).toBe("interrupted")
    // The store and the export keep why each reply ended and that the model was thinking.
    const out = tempDir("kind-thinking-export")
    expect((await runCli(["export", runDir, "--format", "jsonl", "--out", out])).code).toBe(0)
    const rows = fs.readFileSync(path.join(out, "answers.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
    const asked = rows.filter((row) => row["request_key"] !== null)
    expect(asked.length).toBeGreaterThan(0)
    for (const row of asked) expect(row).toMatchObject({ finish_reason: "length", thinking: true, value: null })
    expectAnswered(await run(s, 10, ["--scoring", "sample", "--thinking-budget", "512"]), 100)
    // Thinking off, logprob scoring works as on any model with logprobs.
    expect(expectAnswered(await run(s, 10, ["--extra-body", '{"chat_template_kwargs":{"enable_thinking":false}}']), 100)["scoring"]).toEqual({ asked: "auto", chosen: "logprob" })
    expect((s.bodies.at(-1) as Record<string, unknown>)["chat_template_kwargs"]).toEqual({ enable_thinking: false })
  }, 120_000)
})

describe("rate limits and quota", () => {
  it("a 300-RPM server (bucket nearly empty, x-ratelimit headers, 429 with Retry-After) completes without failures or a resume", async () => {
    const s = await start({ kind: "openai-chat", rateLimit: { rpm: 300, burst: 10 } })
    // Sample scoring: one request per agent and item, 40 requests where 10 are allowed at once.
    const r = await run(s, 4, ["--scoring", "sample"])
    const summary = expectAnswered(r, 40)
    expect(summary["failed"]).toBe(0)
    expect(s.statuses["200"]).toBeGreaterThanOrEqual(40)
  }, 90_000)

  it("an exhausted quota stops the run at once: interrupted, the provider's words, the resume command", async () => {
    const s = await start({ kind: "openai-chat", quotaAfter: 5 })
    const r = await run(s, 10, ["--scoring", "sample"])
    expect(r.code).toBe(130)
    expect(r.stderr).toContain("You exceeded your current quota, please check your plan and billing details.")
    const runDir = String(lastJson(r.stdout)["runDir"])
    expect(r.stderr).toContain(`resume ${shellWord(runDir)}`)
    expect(lastJson(r.stdout)["status"]).toBe("interrupted")
    expect(withRunDb(runDir, (db) => getManifest(db)["status"])).toBe("interrupted")
    // At once: no more than what was in flight when the first refusal came back was sent after it.
    expect(s.requests).toBeLessThan(5 + 2 * 8 + 2)
  }, 60_000)
})
