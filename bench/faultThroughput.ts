/**
 * `faultThroughput` (issue 21, item 6): answers per second of the same run against three loopback servers, one
 * fault-free, one answering 20 % of requests with HTTP 500 and one leaving 2.5 % of requests hanging (the client
 * gives up after `--timeout 3`), the three runs side by side so the shared machine's load falls on all alike.
 * Goal: each faulted run at least half the fault-free run's answers per second.
 *
 * The servers answer after `latencyMs` (150 ms, a small model on a busy GPU server). A hang holds its permit
 * until the timeout (the request is in flight at the server), so whatever the concurrency the best a 2.5 % hang
 * rate allows is about 0.15 / (0.975 · 0.15 + 0.025 · 3) ≈ 0.68 of the fault-free rate; against an instant
 * server no scheduling could reach 0.5. Concurrency 16 keeps the fault-free run's CPU to a fraction of a core
 * (at ~100 answers/s), so on a loaded machine it stays bound by the server's latency, not starved of CPU. The
 * faults are seeded: which request bodies fail does not depend on timing.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { lastJson, runToEnd, startServer } from "./realModels.js"

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits

interface Side {
  readonly faults: ReadonlyArray<string>
}

const SIDES: Readonly<Record<string, Side>> = {
  faultFree: { faults: [] },
  http500: { faults: ["--chaos-rate", "0.2", "--chaos-kinds", "500", "--chaos-seed", "1"] },
  hangs: { faults: ["--chaos-rate", "0.025", "--chaos-kinds", "hang", "--chaos-seed", "1"] }
}

/** One run of `agents` agents (VSQ-40, sample scoring: one request per answer) against its own server. */
const sideRun = async (side: Side, agents: number, concurrency: number, latencyMs: number) => {
  // Not pinned: six processes (three runs, three servers) spread over the cores as the system sees fit.
  const server = await startServer(latencyMs, side.faults, null)
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-bench-faults-"))
  try {
    const args = [
      "run", "scenarios/vsq40.yaml", "--agents", String(agents), "--seed", "1", "--scoring", "sample",
      "--concurrency", String(concurrency), "--timeout", "3", "--backend", "openai", "--base-url", server.url, "--model", "fake-model",
      "--no-tui", "--json", "--no-cache", "--runs-dir", runs
    ]
    // Exit 1: a request failed all its attempts (its agent-step is left to resume); the answers given still count.
    const done = await runToEnd([process.execPath, "bin/valuesim.js", ...args], null, [0, 1])
    const s = lastJson(done.stdout)
    const answers = Number(s["answers"])
    const seconds = Number(s["elapsedSeconds"])
    return { answers, seconds, answersPerSecond: round(answers / seconds, 1), retries: Number(s["retries"]), unitsFailed: Number(s["unitsFailed"]) }
  } finally {
    await server.stop()
    fs.rmSync(runs, { recursive: true, force: true })
  }
}

export const faultThroughput = async (agents = 150, concurrency = 16, latencyMs = 150) => {
  const names = Object.keys(SIDES)
  const results = await Promise.all(names.map((n) => sideRun(SIDES[n]!, agents, concurrency, latencyMs)))
  const by = Object.fromEntries(names.map((n, i) => [n, results[i]!])) as Record<keyof typeof SIDES, (typeof results)[number]>
  const ratio = (n: string) => round(by[n]!.answersPerSecond / by["faultFree"]!.answersPerSecond)
  const ratios = { http500: ratio("http500"), hangs: ratio("hangs") }
  return {
    agents,
    items: 40,
    concurrency,
    latencyMs,
    timeoutSeconds: 3,
    runs: by,
    ratios,
    target: 0.5,
    met: ratios.http500 >= 0.5 && ratios.hangs >= 0.5
  }
}
