/**
 * The fault suite (issue 15, item 8): a run against the loopback server with seeded faults (429 with
 * Retry-After, 5xx, resets, hangs past the client timeout, malformed bodies, empty choices, nonsense, missing
 * logprobs), then `resume` with faults off, compared answer by answer with a fault-free run of the same plan.
 * Used by `npm run chaos` (chaosMain.ts) and, smaller, by tests/cli/chaos.test.ts.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { exportRun } from "../../src/app/exportRun.js"
import { lastJson, ROOT, runCli, tempDir } from "./cli.js"
import { startFakeServer, type FakeServer } from "./fakeOpenAiServer.js"

export interface ChaosSettings {
  readonly agents: number
  readonly rate: number
  readonly seed: number
  readonly scorings: ReadonlyArray<"sample" | "logprob">
  readonly concurrency: number
  /** Per-request timeout, seconds: a hang costs this long. */
  readonly timeoutS: number
  /** HTTP attempts per request (the study's max_attempts): few enough that some requests fail for good, so resume has work. */
  readonly maxAttempts: number
  /** Run seed (agents, allocation); the fault seed is `seed`. */
  readonly runSeed: number
}

/** One scoring mode's outcome. Every count is of answers (agent × item) unless it says otherwise. */
export interface ChaosResult {
  readonly scoring: string
  readonly agents: number
  readonly answersPlanned: number
  /** Chat requests the server received during the faulted run, and the faults it injected, by kind. */
  readonly requests: number
  readonly faults: Readonly<Record<string, number>>
  /** HTTP retries the faulted run reported (its JSON summary). */
  readonly retries: number
  /** Status and exit code of the faulted run; agent-steps it left failed for resume. */
  readonly chaosStatus: string
  readonly chaosExit: number | null
  readonly unitsFailed: number
  /** Answers without a value after the faulted run, all of which must carry an error saying why. */
  readonly missingAfterChaos: number
  /** Of those, how many the resume (faults off) filled in. */
  readonly recovered: number
  /** Planned answers absent from the final export. */
  readonly lost: number
  /** Answers present more than once in the final export. */
  readonly duplicated: number
  /** Answers that differ from the fault-free run for a recorded reason: re-asked after a nonsense reply, or a degraded logprob response answered by the agent's own sampled request. */
  readonly reasked: number
  readonly degraded: number
  /** Missing answers with no error, and answers that differ from the fault-free run with no recorded reason. */
  readonly unexplained: number
  /** Answers equal to the fault-free run's, field by field (value, scoring, dist, raw, error, request key). */
  readonly equal: number
  readonly resumeStatus: string
}

interface Row {
  readonly step: number
  readonly agent_id: number
  readonly item_idx: number
  readonly value: number | null
  readonly scoring: string
  readonly raw: string | null
  readonly dist: unknown
  readonly request_key: string | null
  readonly attempts: number
  readonly error: string | null
}

const COMPARED = ["value", "scoring", "dist", "raw", "error", "request_key"] as const

/** The answers of a run as `valuesim export --format jsonl` writes them (the same code, run in this process: no start-up cost). */
const exportRows = async (runDir: string, out: string): Promise<ReadonlyArray<Row>> => {
  await Effect.runPromise(exportRun(runDir, "jsonl", out))
  return fs.readFileSync(path.join(out, "answers.jsonl"), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Row)
}

const keyOf = (r: Row) => `${r.step}|${r.agent_id}|${r.item_idx}`

/** The study of every run: VSQ-40 with the h-np population, `maxAttempts` attempts per request. */
const studyFile = (s: ChaosSettings, work: string) => {
  const file = path.join(work, "chaos-study.yaml")
  fs.writeFileSync(file, [
    "kind: study", "id: chaos", `population: ${path.join(ROOT, "populations/h-np.yaml")}`,
    "steps:", `  - questionnaire: ${path.join(ROOT, "scenarios/vsq40.yaml")}`,
    "backend:", `  max_attempts: ${s.maxAttempts}`
  ].join("\n") + "\n")
  return file
}

/**
 * Only the faulted run has the short timeout (hangs must cost little); the fault-free runs wait as long as a
 * loaded machine needs, so a slow answer there is never taken for a fault.
 */
const SLOW_TIMEOUT_S = 60

// --no-cache: every answer must come from the server (the response cache would answer the faulted run from the fault-free one).
const runArgs = (s: ChaosSettings, scoring: string, url: string, runsDir: string, timeoutS: number) => [
  "run", studyFile(s, path.dirname(runsDir)), "--agents", String(s.agents), "--seed", String(s.runSeed), "--scoring", scoring,
  "--backend", "openai", "--base-url", url, "--model", "fake-model", "--concurrency", String(s.concurrency),
  "--timeout", String(timeoutS), "--no-cache", "--no-tui", "--json", "--runs-dir", runsDir
]

const diff = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) =>
  Object.fromEntries(Object.keys(a).map((k) => [k, (a[k] ?? 0) - (b[k] ?? 0)]).filter(([, n]) => n !== 0))

/** Runs one scoring mode: fault-free reference, faulted run, resume without faults, comparison. */
const chaosOne = async (server: FakeServer, s: ChaosSettings, scoring: "sample" | "logprob", work: string): Promise<ChaosResult> => {
  server.setChaos(null)
  const ref = await runCli(runArgs(s, scoring, server.url, path.join(work, `${scoring}-reference`), SLOW_TIMEOUT_S))
  if (ref.code !== 0) throw new Error(`the fault-free ${scoring} run failed (${ref.code}): ${ref.stderr}`)
  const reference = await exportRows(String(lastJson(ref.stdout)["runDir"]), path.join(work, `${scoring}-reference-export`))

  const requests0 = server.requests
  const faults0 = server.faults
  server.setChaos({ rate: s.rate, seed: s.seed })
  const chaos = await runCli(runArgs(s, scoring, server.url, path.join(work, `${scoring}-chaos`), s.timeoutS))
  server.setChaos(null)
  // 0: every unit done; 1: some agent-steps failed after their retries (resume retries them).
  if (chaos.code !== 0 && chaos.code !== 1) throw new Error(`the faulted ${scoring} run exited ${chaos.code}: ${chaos.stderr.slice(-2000)}`)
  const summary = lastJson(chaos.stdout)
  const runDir = String(summary["runDir"])
  const afterChaos = await exportRows(runDir, path.join(work, `${scoring}-chaos-export`))
  const missingKeys = new Set(afterChaos.filter((r) => r.value === null).map(keyOf))
  const unexplainedMissing = afterChaos.filter((r) => r.value === null && (r.error === null || r.error === "")).length

  const resumed = await runCli(["resume", runDir, "--json", "--no-tui", "--no-cache", "--timeout", String(SLOW_TIMEOUT_S)])
  if (resumed.code !== 0) throw new Error(`resume of the ${scoring} run exited ${resumed.code}: ${resumed.stderr.slice(-2000)}`)
  const final = await exportRows(runDir, path.join(work, `${scoring}-final-export`))

  const counts = new Map<string, number>()
  for (const r of final) counts.set(keyOf(r), (counts.get(keyOf(r)) ?? 0) + 1)
  const byKey = new Map(final.map((r) => [keyOf(r), r]))
  let lost = 0
  let equal = 0
  let reasked = 0
  let degraded = 0
  let unexplained = unexplainedMissing
  for (const want of reference) {
    const got = byKey.get(keyOf(want))
    if (got === undefined) {
      lost++
      continue
    }
    if (COMPARED.every((f) => JSON.stringify(got[f]) === JSON.stringify(want[f]))) equal++
    else if (got.attempts > 1) reasked++
    else if (want.scoring === "logprob" && got.scoring === "sample") degraded++
    else unexplained++
  }
  const recovered = [...missingKeys].filter((k) => byKey.get(k)?.value !== null && byKey.get(k)?.value !== undefined).length
  return {
    scoring,
    agents: s.agents,
    answersPlanned: reference.length,
    requests: server.requests - requests0,
    faults: diff(server.faults, faults0),
    retries: Number(summary["retries"]),
    chaosStatus: String(summary["status"]),
    chaosExit: chaos.code,
    unitsFailed: Number(summary["unitsFailed"]),
    missingAfterChaos: missingKeys.size,
    recovered,
    lost,
    duplicated: [...counts.values()].reduce((n, c) => n + (c - 1), 0),
    reasked,
    degraded,
    unexplained,
    equal,
    resumeStatus: String(lastJson(resumed.stdout)["status"])
  }
}

export interface ChaosSummary {
  readonly settings: ChaosSettings
  readonly faults: Readonly<Record<string, number>>
  readonly retries: number
  readonly missingAfterChaos: number
  readonly recovered: number
  readonly lost: number
  readonly duplicated: number
  readonly unexplained: number
  readonly runs: ReadonlyArray<ChaosResult>
}

/** The whole suite: one loopback server, each scoring mode in turn; temporary folders removed afterwards. */
export const runChaos = async (s: ChaosSettings): Promise<ChaosSummary> => {
  const server = await startFakeServer()
  const work = tempDir("chaos")
  try {
    const runs: Array<ChaosResult> = []
    for (const scoring of s.scorings) runs.push(await chaosOne(server, s, scoring, work))
    const sum = (f: (r: ChaosResult) => number) => runs.reduce((n, r) => n + f(r), 0)
    const faults: Record<string, number> = {}
    for (const r of runs) for (const [k, n] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + n
    return {
      settings: s,
      faults,
      retries: sum((r) => r.retries),
      missingAfterChaos: sum((r) => r.missingAfterChaos),
      recovered: sum((r) => r.recovered),
      lost: sum((r) => r.lost),
      duplicated: sum((r) => r.duplicated),
      unexplained: sum((r) => r.unexplained),
      runs
    }
  } finally {
    await server.close()
    // CHAOS_KEEP=1 keeps the runs and exports for a look (the folder is printed to stderr).
    if (process.env["CHAOS_KEEP"] === "1") process.stderr.write(`chaos: runs kept in ${work}\n`)
    else fs.rmSync(work, { recursive: true, force: true })
  }
}
