/**
 * `npm run bench`: throughput measurements printed as one JSON object. Targets are ratios measured in the
 * same invocation (these machines are shared and noisy), never absolute timings in unit tests.
 *
 * - synthetic: a questionnaire run on the synthetic backend through the real CLI (answers/s end to end,
 *   SQLite included);
 * - scheduler: the same requests to a loopback server with fixed latency, sent by the bare `openai` client
 *   and by valuesim's scheduler (permits, timeout, retry policy, dedup); `ratio` = scheduler / bare.
 * - dashboard: the same runs in pseudo-terminals (util-linux `script`), with the live dashboard and with
 *   `--no-tui` side by side; `ratio` = answers per second with / without, the median over 9 pairs (target
 *   ≥ 0.95), with the same ratio per CPU-second of the run's thread and of the process. Synthetic (CPU-bound:
 *   the worst case for the UI) and a loopback LLM run (latency-bound).
 * - scoringAccuracy: each scoring method's answers against a model with a known distribution that opens its
 *   replies with `**`/`Answer`/a space, and its requests against the plan (bench/scoringAccuracy.ts).
 * - faultThroughput: answers/s under 20 % HTTP 500s and under 2.5 % hangs against the fault-free run's
 *   (bench/faultThroughput.ts).
 * - schedulerOverhead, engineVsBareOpenai, fractionOfCL, logprobVsSynthetic (with bytesPerAnswer) and, behind
 *   a flag, millionAgents: the request path against the loopback server in its own process (bench/realModels.ts).
 */
import { Effect } from "effect"
import OpenAI from "openai"
import Sqlite from "better-sqlite3"
import { execFileSync, spawn } from "node:child_process"
import { society } from "./society.js"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeScheduler } from "../src/engine/Scheduler.js"
import { LlmClient } from "../src/llm/LlmClient.js"
import * as LlmClientOpenAi from "../src/llm/LlmClientOpenAi.js"
import { startFakeServer } from "../tests/helpers/fakeOpenAiServer.js"
import { faultThroughput } from "./faultThroughput.js"
import { engineVsBareOpenai, fractionOfCL, logprobVsSynthetic, millionAgents, schedulerOverhead } from "./realModels.js"
import type { BenchOutput } from "./readmeTable.js"
import { writeReadmeTable } from "./readmeTable.js"
import { scale } from "./scale.js"
import { scoringAccuracy } from "./scoringAccuracy.js"

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
          (i) => s.run(`k${i}`, (attempt) => llm.complete({ messages: [body(requests + i)], logprobs: true, topLogprobs: 5, maxTokens: 1, temperature: 0, seed: undefined }, attempt)),
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

/** Runs the CLI in a pseudo-terminal (so the dashboard is on unless --no-tui) and returns the run's summary. */
const runInPty = (args: ReadonlyArray<string>, runs: string) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    // A pseudo-terminal starts 0×0: give it the size of an ordinary terminal window, so frames are full-size.
    const cmd = "stty cols 120 rows 40; exec " + [process.execPath, path.join(root, "bin/valuesim.js"), ...args, "--runs-dir", runs].map((a) => `'${a}'`).join(" ")
    // Without CI/CONTINUOUS_INTEGRATION: set, they turn the dashboard into plain lines (ink draws live only outside CI).
    const { CI: _ci, CONTINUOUS_INTEGRATION: _cont, ...env } = process.env
    const child = spawn("script", ["-qefc", cmd, "/dev/null"], { cwd: root, stdio: ["pipe", "ignore", "ignore"], env: { ...env, COLUMNS: "120", LINES: "40" } })
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`exit ${code}`))
      const dir = fs.readdirSync(runs).map((d) => path.join(runs, d)).sort().pop()!
      const db = new Sqlite(path.join(dir, "run.sqlite"), { readonly: true })
      const end = db.prepare(`SELECT detail FROM events WHERE kind = 'end' ORDER BY id DESC LIMIT 1`).get() as { detail: string }
      db.close()
      fs.rmSync(dir, { recursive: true, force: true })
      resolve(JSON.parse(end.detail) as Record<string, unknown>)
    })
  })

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const r3 = (x: number) => Math.round(x * 1000) / 1000

/**
 * With and without the dashboard, `pairs` times. The two runs of a pair go side by side (the run is
 * single-threaded; the machine has two cores), so whatever else the shared machine does in those seconds slows
 * both alike: one after the other, pair ratios swung from 0.76 to 1.01 with the same code. `ratio` is the median
 * over the pairs of answers per wall-clock second with / without (the target, ≥ 0.95). Beside it, per CPU-second:
 * of the run's own thread (`runThreadCpuRatio`: what the dashboard takes from the run's thread; it draws from a
 * worker thread) and of the whole process (`processCpuRatio`, the worker's drawing included).
 */
const dashboard = async (pairs: number) => {
  const hasScript = (() => {
    try {
      execFileSync("script", ["--version"], { stdio: "ignore" })
      return true
    } catch {
      return false
    }
  })()
  if (!hasScript) return { skipped: "util-linux script is not installed" }
  const server = await startFakeServer({ latencyMs: 20 })
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-bench-tui-"))
  const sideDir = (side: string) => {
    const dir = path.join(runs, side)
    fs.mkdirSync(dir, { recursive: true })
    return dir
  }
  type Summary = Record<string, unknown>
  const measures = {
    wall: (s: Summary) => Number(s["answers"]) / Number(s["elapsedSeconds"]),
    runThreadCpu: (s: Summary) => Number(s["answers"]) / Number(s["runThreadCpuUserSeconds"]),
    processCpu: (s: Summary) => Number(s["answers"]) / Number(s["cpuUserSeconds"])
  }
  try {
    const workloads = {
      synthetic: ["run", "scenarios/default-study.yaml", "--agents", "100000", "--seed", "1"],
      loopback: ["run", "scenarios/vsq40.yaml", "--agents", "200", "--scoring", "sample", "--concurrency", "32", "--backend", "openai", "--base-url", server.url, "--model", "fake"]
    }
    const out: Record<string, unknown> = {}
    for (const [name, args] of Object.entries(workloads)) {
      const summaries: Array<{ readonly with: Summary; readonly without: Summary }> = []
      for (let i = 0; i < pairs; i++) {
        const [w, wo] = await Promise.all([runInPty(args, sideDir("with")), runInPty([...args, "--no-tui"], sideDir("without"))])
        summaries.push({ with: w, without: wo })
      }
      const pairRatios = (m: (s: Summary) => number) => summaries.map((p) => m(p.with) / m(p.without))
      const wall = pairRatios(measures.wall)
      out[name] = {
        pairs,
        answersPerSecond: {
          withDashboard: Math.round(median(summaries.map((p) => measures.wall(p.with)))),
          withoutDashboard: Math.round(median(summaries.map((p) => measures.wall(p.without))))
        },
        wallPairRatios: wall.map(r3),
        ratio: r3(median(wall)),
        runThreadCpuRatio: summaries.every((p) => p.with["runThreadCpuUserSeconds"] !== null) ? r3(median(pairRatios(measures.runThreadCpu))) : null,
        processCpuRatio: r3(median(pairRatios(measures.processCpu))),
        target: 0.95,
        met: median(wall) >= 0.95
      }
    }
    return out
  } finally {
    await server.close()
    fs.rmSync(runs, { recursive: true, force: true })
  }
}

// VALUESIM_BENCH=part[,part…] runs those parts only; the million-agent run needs VALUESIM_BENCH_MILLION=1 (or
// `--million`). `--readme` rewrites the request-path table in docs/benchmarks.md from this run's output; `--readme-from FILE`
// does so from a saved output without measuring anything.
const argv = process.argv.slice(2)
const readmeFrom = argv.includes("--readme-from") ? argv[argv.indexOf("--readme-from") + 1] : undefined
if (readmeFrom !== undefined) {
  writeReadmeTable(path.join(root, "docs", "benchmarks.md"), JSON.parse(fs.readFileSync(readmeFrom, "utf8")) as BenchOutput)
  console.log(`docs/benchmarks.md: request-path table rewritten from ${readmeFrom}`)
  process.exit(0)
}
const only = process.env["VALUESIM_BENCH"]?.split(",").map((p) => p.trim())
const want = (part: string) => only === undefined || only.includes(part)
const million = argv.includes("--million") || process.env["VALUESIM_BENCH_MILLION"] === "1" || (only?.includes("million") ?? false)
const pairs = Number(process.env["VALUESIM_BENCH_PAIRS"] ?? 3)

const result: BenchOutput = { node: process.version, cpus: os.cpus().length }
if (want("synthetic")) result.synthetic = await synthetic(20_000)
if (want("scheduler")) result.scheduler = await scheduler(3000, 64, 50)
if (want("schedulerOverhead")) result.schedulerOverhead = await schedulerOverhead(pairs)
if (want("engineVsBareOpenai")) result.engineVsBareOpenai = await engineVsBareOpenai(pairs)
if (want("fractionOfCL")) result.fractionOfCL = await fractionOfCL(pairs)
if (want("logprobVsSynthetic")) {
  const l = await logprobVsSynthetic(pairs)
  result.logprobVsSynthetic = l
  result.bytesPerAnswer = { ...l.bytesPerAnswer, agents: l.agents, goal: 30, met: l.bytesPerAnswer.logprob <= 30 }
}
// VALUESIM_BENCH_MILLION_AGENTS changes the count (to try the part out on a smaller run).
if (million) result.millionAgents = await millionAgents(Number(process.env["VALUESIM_BENCH_MILLION_AGENTS"] ?? 1_000_000))
// The society part (issue 23) runs a million agents three times over: only when asked (VALUESIM_BENCH=society,
// or --society); VALUESIM_BENCH_SOCIETY_AGENTS changes the count.
if (argv.includes("--society") || (only?.includes("society") ?? false)) result.society = await society(Number(process.env["VALUESIM_BENCH_SOCIETY_AGENTS"] ?? 1_000_000))
if (want("faultThroughput")) result.faultThroughput = await faultThroughput()
if (want("dashboard")) result.dashboard = await dashboard(9)
if (want("scale")) result.scale = await scale()
if (want("scoringAccuracy")) result.scoringAccuracy = await scoringAccuracy()
console.log(JSON.stringify(result))
if (argv.includes("--readme")) writeReadmeTable(path.join(root, "docs", "benchmarks.md"), result)
