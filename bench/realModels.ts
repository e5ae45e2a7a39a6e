/**
 * The request-path benchmarks of `npm run bench` (issue 10): valuesim against the project's loopback OpenAI
 * server running in its own process. Server and client are each pinned to one core with `taskset` (when there
 * are two cores and taskset exists); the runs compared with each other go in interleaved pairs, repeated, and
 * every figure is a median with its range over the pairs.
 */
import { Effect } from "effect"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeScheduler } from "../src/engine/Scheduler.js"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const SERVER_CORE = "0"
const CLIENT_CORE = "1"

const canPin = (() => {
  if (os.cpus().length < 2) return false
  try {
    execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

/** `argv` pinned to `core` (null: not pinned). */
const onCore = (core: string | null, argv: ReadonlyArray<string>): [string, Array<string>] =>
  canPin && core !== null ? ["taskset", ["-c", core, ...argv]] : [argv[0]!, argv.slice(1)]

export const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits
/** Median and range of a measure over the repetitions. */
const summary = (xs: ReadonlyArray<number>, digits = 3) => ({
  median: round(median(xs), digits),
  min: round(Math.min(...xs), digits),
  max: round(Math.max(...xs), digits)
})

interface Finished {
  readonly stdout: string
  /** Peak resident set of the process (VmHWM), in MB; null where /proc is not readable. */
  readonly peakRssMb: number | null
  readonly wallSeconds: number
}

/** Runs a command to completion (an exit code other than `accept`'s fails), sampling its peak RSS from /proc while it runs. */
export const runToEnd = (argv: ReadonlyArray<string>, core: string | null, accept: ReadonlyArray<number> = [0]): Promise<Finished> =>
  new Promise((resolve, reject) => {
    const [cmd, args] = onCore(core, argv)
    const t0 = performance.now()
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    let peakKb: number | null = null
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"))
        if (m !== null) peakKb = Math.max(peakKb ?? 0, Number(m[1]))
      } catch {
        // the process has ended, or there is no /proc
      }
    }
    const timer = setInterval(sample, 100)
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString()
      sample()
    })
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("close", (code) => {
      clearInterval(timer)
      if (code === null || !accept.includes(code)) return reject(new Error(`${argv.join(" ")}: exit ${code}\n${stderr.slice(-2000)}`))
      resolve({ stdout, peakRssMb: peakKb === null ? null : round(peakKb / 1024, 1), wallSeconds: (performance.now() - t0) / 1000 })
    })
  })

export const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>

/**
 * The loopback server (tests/helpers/fakeServerMain.ts) in its own process, pinned to the server core (or to
 * `core`, null: not pinned); `extra`: more of its options (seeded faults).
 */
export const startServer = (latencyMs: number, extra: ReadonlyArray<string> = [], core: string | null = SERVER_CORE) =>
  new Promise<{ readonly url: string; readonly stop: () => Promise<void> }>((resolve, reject) => {
    const [cmd, args] = onCore(core, [
      process.execPath,
      "--import",
      "tsx",
      "tests/helpers/fakeServerMain.ts",
      "--port",
      "0",
      "--latency-ms",
      String(latencyMs),
      ...extra
    ])
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
    let out = ""
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once("close", () => done())
        child.kill("SIGTERM")
      })
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      const m = /FAKE_SERVER_URL=(\S+)/.exec(out)
      if (m !== null) resolve({ url: m[1]!, stop })
    })
    child.on("close", (code) => reject(new Error(`loopback server exited (${code}) before it was ready`)))
  })

export const withServer = async <A>(latencyMs: number, f: (url: string) => Promise<A>): Promise<A> => {
  const server = await startServer(latencyMs)
  try {
    return await f(server.url)
  } finally {
    await server.stop()
  }
}

const withRunsDir = async <A>(f: (dir: string) => Promise<A>): Promise<A> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-bench-req-"))
  try {
    return await f(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** One `valuesim run` in its own process on the client core (no response cache: every request is sent); its JSON summary plus the run's file size. */
export const engineRun = (args: ReadonlyArray<string>) =>
  withRunsDir(async (runs) => {
    const done = await runToEnd([process.execPath, "bin/valuesim.js", "run", ...args, "--no-tui", "--json", "--no-cache", "--runs-dir", runs], CLIENT_CORE)
    const s = lastJson(done.stdout)
    const runDir = String(s["runDir"])
    const bytes = ["run.sqlite", "run.sqlite-wal"].reduce((n, f) => {
      const file = path.join(runDir, f)
      return n + (fs.existsSync(file) ? fs.statSync(file).size : 0)
    }, 0)
    return {
      answers: Number(s["answers"]),
      requests: Number(s["requests"]),
      seconds: Number(s["elapsedSeconds"]),
      cpuSeconds: Number(s["cpuSeconds"]),
      bytes,
      peakRssMb: done.peakRssMb,
      wallSeconds: done.wallSeconds,
      summary: s
    }
  })

export const loopbackArgs = (url: string) => ["--backend", "openai", "--base-url", url, "--model", "fake-model"]

const bareRun = async (url: string, requests: number, concurrency: number) => {
  const done = await runToEnd([process.execPath, "bench/bareOpenai.mjs", url, String(requests), String(concurrency)], CLIENT_CORE)
  const s = lastJson(done.stdout)
  return { requestsPerSecond: Number(s["requestsPerSecond"]), cpuMsPerRequest: Number(s["cpuMsPerRequest"]) }
}

/**
 * valuesim (sample scoring: one request per agent × item, nothing shared) against a bare `openai` loop in
 * its own process, both at concurrency 64 against an instant server; `ratio` = valuesim's requests per
 * second / the bare loop's (goal ≥ 0.9).
 */
export const engineVsBareOpenai = (pairs: number, agents = 100, concurrency = 64) =>
  withServer(0, async (url) => {
    const items = 40
    const rows: Array<{ engine: number; bare: number; engineCpuMs: number; bareCpuMs: number }> = []
    for (let i = 0; i < pairs; i++) {
      const engine = () =>
        engineRun(["scenarios/vsq40.yaml", "--agents", String(agents), "--scoring", "sample", "--concurrency", String(concurrency), ...loopbackArgs(url)])
      const bare = () => bareRun(url, agents * items, concurrency)
      // Alternate which goes first, so a drift of the shared machine does not favour one side.
      let e: Awaited<ReturnType<typeof engine>>
      let b: Awaited<ReturnType<typeof bare>>
      if (i % 2 === 0) {
        e = await engine()
        b = await bare()
      } else {
        b = await bare()
        e = await engine()
      }
      rows.push({ engine: e.answers / e.seconds, bare: b.requestsPerSecond, engineCpuMs: (1000 * e.cpuSeconds) / e.answers, bareCpuMs: b.cpuMsPerRequest })
    }
    const ratios = rows.map((r) => r.engine / r.bare)
    return {
      requests: agents * items,
      concurrency,
      latencyMs: 0,
      pinned: canPin,
      pairs,
      valuesimRequestsPerSecond: summary(rows.map((r) => r.engine), 0),
      bareOpenaiRequestsPerSecond: summary(rows.map((r) => r.bare), 0),
      valuesimCpuMsPerRequest: summary(rows.map((r) => r.engineCpuMs)),
      bareOpenaiCpuMsPerRequest: summary(rows.map((r) => r.bareCpuMs)),
      pairRatios: ratios.map((r) => round(r)),
      ratio: round(median(ratios)),
      goal: 0.9,
      met: median(ratios) >= 0.9
    }
  })

/**
 * valuesim at concurrency 256 (sample scoring) against a server that answers after 200 ms: requests per
 * second over the ceiling C/L = 1,280 (goal ≥ 0.85). The bare `openai` loop at the same settings runs in the
 * same pairs, for reference.
 */
export const fractionOfCL = (pairs: number, agents = 150, concurrency = 256, latencyMs = 200) =>
  withServer(latencyMs, async (url) => {
    const ceiling = (concurrency * 1000) / latencyMs
    const rows: Array<{ engine: number; bare: number; engineCpuMs: number }> = []
    for (let i = 0; i < pairs; i++) {
      const engine = () =>
        engineRun(["scenarios/vsq40.yaml", "--agents", String(agents), "--scoring", "sample", "--concurrency", String(concurrency), ...loopbackArgs(url)])
      const bare = () => bareRun(url, agents * 40, concurrency)
      const row = (e: Awaited<ReturnType<typeof engine>>, b: Awaited<ReturnType<typeof bare>>) => ({
        engine: e.answers / e.seconds,
        bare: b.requestsPerSecond,
        engineCpuMs: (1000 * e.cpuSeconds) / e.answers
      })
      if (i % 2 === 0) {
        const e = await engine()
        rows.push(row(e, await bare()))
      } else {
        const b = await bare()
        rows.push(row(await engine(), b))
      }
    }
    const cpuMs = median(rows.map((r) => r.engineCpuMs))
    const fractions = rows.map((r) => r.engine / ceiling)
    return {
      requests: agents * 40,
      concurrency,
      latencyMs,
      ceilingPerSecond: ceiling,
      pinned: canPin,
      pairs,
      valuesimRequestsPerSecond: summary(rows.map((r) => r.engine), 0),
      bareOpenaiRequestsPerSecond: summary(rows.map((r) => r.bare), 0),
      bareOpenaiFraction: round(median(rows.map((r) => r.bare / ceiling))),
      pairFractions: fractions.map((f) => round(f)),
      fraction: round(median(fractions)),
      valuesimCpuMsPerRequest: round(cpuMs),
      /** What valuesim's CPU per request would allow on a core of its own: (1000 / cpuMs) / ceiling, at most 1. */
      cpuBoundFraction: round(Math.min(1, 1000 / cpuMs / ceiling)),
      goal: 0.85,
      met: median(fractions) >= 0.85
    }
  })

/**
 * The default study (H-NP population × VSQ-40) with `agents` agents under logprob scoring against an instant
 * loopback server, and the same study on the synthetic backend, in interleaved pairs: answers per second
 * logprob / synthetic (goal ≥ 0.7), and the bytes on disk per answer of each run (run.sqlite and its WAL).
 */
export const logprobVsSynthetic = (pairs: number, agents = 20_000) =>
  withServer(0, async (url) => {
    const study = ["scenarios/default-study.yaml", "--agents", String(agents), "--seed", "1"]
    const rows: Array<{ logprob: Awaited<ReturnType<typeof engineRun>>; synthetic: Awaited<ReturnType<typeof engineRun>> }> = []
    for (let i = 0; i < pairs; i++) {
      const logprob = () => engineRun([...study, "--scoring", "logprob", ...loopbackArgs(url)])
      const synthetic = () => engineRun(study)
      if (i % 2 === 0) {
        const l = await logprob()
        rows.push({ logprob: l, synthetic: await synthetic() })
      } else {
        const s = await synthetic()
        rows.push({ logprob: await logprob(), synthetic: s })
      }
    }
    const rate = (r: { answers: number; seconds: number }) => r.answers / r.seconds
    const ratios = rows.map((r) => rate(r.logprob) / rate(r.synthetic))
    return {
      agents,
      answers: rows[0]!.logprob.answers,
      requests: rows[0]!.logprob.requests,
      pairs,
      logprobAnswersPerSecond: summary(rows.map((r) => rate(r.logprob)), 0),
      syntheticAnswersPerSecond: summary(rows.map((r) => rate(r.synthetic)), 0),
      pairRatios: ratios.map((r) => round(r)),
      ratio: round(median(ratios)),
      goal: 0.7,
      met: median(ratios) >= 0.7,
      bytesPerAnswer: {
        logprob: round(median(rows.map((r) => r.logprob.bytes / r.logprob.answers)), 1),
        synthetic: round(median(rows.map((r) => r.synthetic.bytes / r.synthetic.answers)), 1)
      }
    }
  })

/** One logprob run of the default study with a million agents: wall time and peak RSS (goals < 5 min, < 500 MB). */
export const millionAgents = (agents = 1_000_000) =>
  withServer(0, async (url) => {
    const r = await engineRun(["scenarios/default-study.yaml", "--agents", String(agents), "--seed", "1", "--scoring", "logprob", ...loopbackArgs(url)])
    return {
      agents,
      answers: r.answers,
      requests: r.requests,
      runSeconds: r.seconds,
      processWallSeconds: round(r.wallSeconds, 1),
      peakRssMb: r.peakRssMb,
      bytesPerAnswer: round(r.bytes / r.answers, 1),
      goals: { processWallSeconds: 300, peakRssMb: 500 },
      met: agents >= 1_000_000 && r.wallSeconds < 300 && r.peakRssMb !== null && r.peakRssMb < 500
    }
  })

/**
 * CPU the scheduler adds per request, in this process: `requests` stand-in requests (each completes on the
 * next turn of the event loop, like I/O) sent 64 at a time by plain Effect fibers, and the same through the
 * scheduler unshared (`key` null) and shared (a distinct key each). Interleaved, `rounds` times; medians of
 * the extra microseconds per request (goal for the unshared path, the one sample scoring takes: ≤ 150).
 */
export const schedulerOverhead = async (rounds: number, requests = 20_000, concurrency = 64) => {
  const io = Effect.async<number>((resume) => {
    setImmediate(() => resume(Effect.succeed(1)))
  })
  const cpuMs = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  const indices = Array.from({ length: requests }, (_, i) => i)
  const plain = Effect.forEach(indices, () => io, { concurrency, discard: true })
  const scheduled = (keyed: boolean) =>
    Effect.scoped(
      Effect.gen(function* () {
        const s = yield* makeScheduler({ concurrency, rpm: null, timeoutMs: 60_000, maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 })
        yield* Effect.forEach(indices, (i) => s.run(keyed ? `k${i}` : null, () => io), { concurrency: 2 * concurrency, discard: true })
      })
    )
  const measure = async (e: Effect.Effect<void, unknown>) => {
    const t = cpuMs()
    await Effect.runPromise(e)
    return ((cpuMs() - t) * 1000) / requests
  }
  await measure(plain) // warm-up
  await measure(scheduled(false))
  const unshared: Array<number> = []
  const shared: Array<number> = []
  for (let i = 0; i < rounds; i++) {
    const base = await measure(plain)
    unshared.push((await measure(scheduled(false))) - base)
    shared.push((await measure(scheduled(true))) - base)
  }
  return {
    requests,
    concurrency,
    rounds,
    unsharedMicrosecondsPerRequest: summary(unshared, 1),
    sharedMicrosecondsPerRequest: summary(shared, 1),
    goalMicroseconds: 150,
    met: median(unshared) <= 150
  }
}
