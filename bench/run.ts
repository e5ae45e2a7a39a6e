/**
 * `npm run bench`: throughput measurements printed as one JSON object. Targets are ratios measured in the
 * same invocation (these machines are shared and noisy), never absolute timings in unit tests.
 *
 * - synthetic: a questionnaire run on the synthetic backend through the real CLI (answers/s end to end,
 *   SQLite included);
 * - scheduler: the same requests to a loopback server with fixed latency, sent by the bare `openai` client
 *   and by valuesim's scheduler (permits, timeout, retry policy, dedup); `ratio` = scheduler / bare.
 */
import { Effect } from "effect"
import OpenAI from "openai"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeScheduler } from "../src/engine/Scheduler.js"
import { LlmClient } from "../src/llm/LlmClient.js"
import * as LlmClientOpenAi from "../src/llm/LlmClientOpenAi.js"
import { startFakeServer } from "../tests/helpers/fakeOpenAiServer.js"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")

const runCli = (args: ReadonlyArray<string>) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "bin/valuesim.js"), ...args], { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>) : reject(new Error(`exit ${code}`))
    )
  })

const synthetic = async (agents: number) => {
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-bench-"))
  try {
    const s = await runCli(["run", "scenarios/default-study.yaml", "--agents", String(agents), "--seed", "1", "--json", "--runs-dir", runs])
    const secs = Number(s["elapsedSeconds"])
    return { agents, answers: s["answers"], seconds: secs, answersPerSecond: Math.round(Number(s["answers"]) / secs) }
  } finally {
    fs.rmSync(runs, { recursive: true, force: true })
  }
}

const scheduler = async (requests: number, concurrency: number, latencyMs: number) => {
  const server = await startFakeServer({ latencyMs })
  try {
    const body = (i: number) => ({ role: "user" as const, content: `bench ${i}\n1. a\n2. b\n3. c` })
    const client = new OpenAI({ baseURL: server.url, apiKey: "x", maxRetries: 0 })
    let next = 0
    let t0 = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const i = next++
          await client.chat.completions.create({ model: "m", messages: [body(i)], max_tokens: 1, logprobs: true, top_logprobs: 5 })
        }
      })
    )
    const bare = requests / ((performance.now() - t0) / 1000)
    const program = Effect.scoped(
      Effect.gen(function* () {
        const llm = yield* LlmClient
        const s = yield* makeScheduler({ concurrency, rpm: null, timeoutMs: 60_000, maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 })
        t0 = performance.now()
        // Every request queued at once, as the engine does: the scheduler's permits set the pace.
        yield* Effect.forEach(
          Array.from({ length: requests }, (_, i) => i),
          (i) => s.run(`k${i}`, llm.complete({ messages: [body(requests + i)], logprobs: true, topLogprobs: 5, maxTokens: 1, temperature: 0, seed: undefined })),
          { concurrency: "unbounded", discard: true }
        )
        return requests / ((performance.now() - t0) / 1000)
      })
    ).pipe(Effect.provide(LlmClientOpenAi.layer({ baseURL: server.url, apiKey: "x", model: "m" })))
    const scheduled = await Effect.runPromise(program)
    return {
      requests,
      concurrency,
      latencyMs,
      ceilingPerSecond: Math.round((concurrency * 1000) / latencyMs),
      bareClientPerSecond: Math.round(bare),
      schedulerPerSecond: Math.round(scheduled),
      ratio: Math.round((scheduled / bare) * 1000) / 1000
    }
  } finally {
    await server.close()
  }
}

const result = {
  node: process.version,
  cpus: os.cpus().length,
  synthetic: await synthetic(20_000),
  scheduler: await scheduler(3000, 64, 50)
}
console.log(JSON.stringify(result))
