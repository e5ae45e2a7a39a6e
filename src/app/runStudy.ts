/**
 * `run` and `resume`: a run from its plan to its summary. The lifecycle's parts are in src/run/, one module per
 * concern: `plan.ts` (where a run starts: the plan and the run folder), `staging.ts` (the folder it is planned
 * in), `lock.ts` (one writer per run store) and `liveness.ts`, `probe.ts` (where it probes the endpoint),
 * `backend.ts` (the LLM layer, scheduler settings and response cache), `budget.ts` (where it spends:
 * `--max-cost`), `drive.ts` (the drive loop and how a run ends) and `signals.ts` (where it stops on a second
 * Ctrl-C). This file starts and resumes runs with them.
 */
import { Clock, Console, Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { BackendSettings, RunSpec } from "../config/RunSpec.js"
import { backendNames, backendsOf, specOfBackend } from "../config/RunSpec.js"
import { endpointWarning } from "../config/StudyFile.js"
import { escapeControl } from "../domain/printable.js"
import { SpecFileError, UsageError } from "../config/SpecFileError.js"
import { versions } from "./version.js"
import { loadPriceSetting } from "../config/PricesFile.js"
import type { Preloaded } from "../engine/RequestCache.js"
import { defaultCacheDir } from "../llm/responseCache.js"
import { adaptToProbe, probeTable, type ProbeResult } from "../probe/probe.js"
import { readRunTotals } from "../store/reads.js"
import { DatabaseError, putManifest } from "../store/RunStore.js"
import { reserveSpace, storeErrorOf } from "../store/storeFault.js"
import { withDatabase, createPlannedRun, specOf } from "../run/plan.js"
import { probeBackend, withBackend, autoProbe, reachableAny, replicaUrls, endpointLine, printOnce } from "../run/probe.js"
import { driveRun, scoringOf } from "../run/drive.js"

// What other commands use of a run's lifecycle, from where they have always imported it.
export { createPlannedRun, specOf, withDatabase } from "../run/plan.js"
export { llmLayer } from "../run/backend.js"
export { runModelSteps, scoringSummaryLine } from "../run/drive.js"

export interface RunSummary {
  readonly runId: string
  readonly runDir: string
  /** `interrupted`: stopped by Ctrl-C or a signal (only in the summary printed then; resume continues). */
  readonly status: "complete" | "incomplete" | "interrupted"
  readonly backend: string
  readonly model: string
  /** A run of several backends: each one's model as results name it (`backend` and `model` are the first's). */
  readonly models?: ReadonlyArray<string>
  /** Agents stored: the population times the number of backends. */
  readonly agents: number
  readonly answers: number
  readonly failed: number
  readonly missing: number
  /**
   * Answers whose shared logprob response stayed degraded (no usable logprobs) after its retries, so the
   * agent was asked on its own and its reply parsed (scoring `sample`).
   */
  readonly degraded: number
  readonly unitsFailed: number
  /** Answers drawn from a shared distribution whose option mass is below the backend's mass threshold (default 0.9). */
  readonly lowMass: number
  /** Answers per scoring method (logprob, stated, sample, synthetic, …). */
  readonly methods: Readonly<Record<string, number>>
  /**
   * The scoring method asked (`auto`, the default on an endpoint, or the one given) and the one the run uses (what
   * the probe chose under auto); several backends: each distinct one, comma-separated. Absent without a model.
   */
  readonly scoring?: { readonly asked: string; readonly chosen: string }
  /** Distinct requests answered by the endpoint in this execution (each counted once, however many agents it served). */
  readonly requests: number
  /** Every HTTP request sent in this execution: the distinct requests, their retries and the start-up probe's. */
  readonly httpRequests: number
  /** Requests sent again after a failure (429, 5xx, a timeout, a reset), the start-up probe's included. */
  readonly retries: number
  readonly sharedOrCached: number
  /** Distinct requests answered by the response cache across runs instead of the endpoint. */
  readonly fromCache: number
  readonly elapsedSeconds: number
  /** CPU time (user + system) this process spent over the same span: steadier than wall time on a shared machine. */
  readonly cpuSeconds: number
  /** The user-mode part of cpuSeconds (the JavaScript, SQLite and rendering work; system time is mostly I/O). */
  readonly cpuUserSeconds: number
  /** User-mode CPU of the run's own thread alone (the dashboard draws from another); null off Linux. */
  readonly runThreadCpuUserSeconds: number | null
  /** Runs with a society step: the agent decisions taken in its rounds (part of `answers`). */
  readonly agentRounds?: number
}

export interface OutputOptions {
  /** Progress lines go to stderr (stdout is kept for the final JSON line). */
  readonly json: boolean
  readonly progressEveryMs: number
  /** Show the live dashboard instead of progress lines (only when stdout is a terminal). */
  readonly tui?: boolean
  /** --max-cost: stop the run (resumable) once the spending of this invocation reaches this many US dollars. */
  readonly maxCostUsd?: number
  /** The response cache folder; null: --no-cache; absent: the default (defaultCacheDir). */
  readonly cacheDir?: string | null
}

/** The response cache folder a run uses, or null when the cache is off. */
export const runCacheDir = (out: Pick<OutputOptions, "cacheDir">, env: Readonly<Record<string, string | undefined>>): string | null =>
  out.cacheDir === undefined ? defaultCacheDir(env) : out.cacheDir

/** Starts a new run of `spec` in a fresh folder under `runsDir`. */
export const startRun = (planned: RunSpec, runsDir: string, env: Readonly<Record<string, string | undefined>>, out: OutputOptions) =>
  Effect.gen(function* () {
    let spec0 = planned
    const prices = yield* loadPriceSetting(env)
    // Each model backend: where requests go, then (unless its first question is cached) whether anything answers there.
    const cacheDir = runCacheDir(out, env)
    const preloaded: Array<ReadonlyArray<Preloaded>> = []
    const probes: Array<ProbeResult> = []
    let probeExtra = 0
    let probeRetries = 0
    const say = printOnce(out.json ? Console.error : Console.log)
    const names = planned.backends === undefined ? undefined : backendNames(planned)
    for (const [b, backend] of backendsOf(planned).entries()) {
      if (backend.kind === "synthetic") {
        preloaded.push([])
        continue
      }
      for (const url of replicaUrls(backend)) yield* say(endpointLine(backend, url, env, names?.[b]))
      // `--scoring auto`: the capability probe chooses the method; its replies to the run's first question are kept.
      const probed = backend.kind === "openai" && backend.scoringAuto === true ? yield* autoProbe(specOfBackend(spec0, b), env, cacheDir, reachableAny(replicaUrls(backend), env, out)) : null
      if (probed !== null) {
        probes.push(probed.result)
        probeExtra += probed.result.requests - probed.preloaded.length
        probeRetries += probed.retries
        for (const line of probeTable(probed.result)) yield* (out.json ? Console.error : Console.log)(`[valuesim] probe ${line.trimStart()}`)
        const adapted = adaptToProbe(backend, probed.result)
        if (adapted.omitTemperature === true && backend.omitTemperature !== true) yield* say("[valuesim] probe: the server refuses temperature; sending none (as --no-temperature)")
        if (adapted.maxCompletionTokens !== backend.maxCompletionTokens) {
          yield* say(`[valuesim] probe: the model takes max_completion_tokens; sending ${adapted.maxCompletionTokens} (room to reason; set --max-completion-tokens to change)`)
        }
        spec0 = withBackend(spec0, b, adapted)
        if (probed.preloaded.length > 0) {
          preloaded.push(probed.preloaded)
          continue
        }
      }
      preloaded.push([yield* probeBackend(specOfBackend(spec0, b), env, cacheDir, out)])
    }
    const spec = spec0
    const now = yield* Clock.currentTimeMillis
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const scoring = scoringOf(spec)
        const manifest = { ...(scoring === undefined ? {} : { scoring }), ...(probes.length === 0 ? {} : { probe: probes }) }
        const { runDir, runId } = yield* createPlannedRun(spec, runsDir, now, Object.keys(manifest).length === 0 ? undefined : manifest, true)
        const dbFile = path.join(runDir, "run.sqlite")
        return yield* withDatabase(dbFile, false, (db) =>
          driveRun({
            db, dbFile, runId, runDir, spec, env, out, preloaded, prices, endpoint: spec.backend.baseUrl, cacheDir,
            // The probe's requests not kept as the run's own (those are counted as preloaded requests).
            probeRequests: probeExtra,
            probeRetries
          })
        )
      })
    )
  })

/** What `resume` may change: where requests go, how long one may take, and how fast they go (`--rpm`, `--tpm`). */
export interface ResumeOverrides {
  readonly baseUrl?: string | undefined
  readonly timeoutMs?: number | undefined
  readonly rpm?: number | undefined
  readonly tpm?: number | undefined
}

/** Continues an interrupted or partly failed run: only units not done are run; nothing done is redone. */
export const resumeRun = (
  runDir: string,
  env: Readonly<Record<string, string | undefined>>,
  out: OutputOptions,
  overrides: ResumeOverrides = {}
) =>
  Effect.gen(function* () {
    const prices = yield* loadPriceSetting(env)
    const dbFile = path.join(runDir, "run.sqlite")
    if (!fs.existsSync(dbFile)) {
      return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    }
    return yield* withDatabase(dbFile, true, (db) =>
      Effect.gen(function* () {
        const { spec, runId } = yield* specOf(db, dbFile)
        const reserved = reserveSpace(runDir)
        if (reserved !== null) return yield* reserved
        yield* Effect.try({
          try: () => putManifest(db, { resumed_with: versions() }),
          catch: (cause) => storeErrorOf(runDir, cause) ?? new DatabaseError({ file: dbFile, cause })
        })
        // --timeout changes how long a request may take; --base-url only where requests go: the request keys
        // (and so the answers already stored) stay those of the run's plan.
        if (spec.backends !== undefined && overrides.baseUrl !== undefined) {
          return yield* new UsageError({ detail: `--base-url: the run has ${spec.backends.length} backends; it names one server and cannot say whose` })
        }
        const done = readRunTotals(db)
        if (done.pending === 0 && done.failed === 0) {
          // Nothing to continue: said so, nothing sent (no endpoint is probed); the summary and the headline follow.
          yield* (out.json ? Console.error : Console.log)(
            `[valuesim] run ${escapeControl(runId)} is already complete: all ${done.done} agent-steps are done (${done.answers} answers); nothing to resume, nothing sent`
          )
          return yield* driveRun({ db, dbFile, runId, runDir, spec, env, out, preloaded: [], prices, endpoint: spec.backend.baseUrl, cacheDir: null })
        }
        // None of these enter a request's key: the answers already stored stay those of the run's plan.
        const withTimeout = (b: BackendSettings): BackendSettings => ({
          ...b,
          ...(overrides.timeoutMs === undefined ? {} : { timeoutMs: overrides.timeoutMs }),
          ...(overrides.rpm === undefined ? {} : { rpm: overrides.rpm }),
          ...(overrides.tpm === undefined ? {} : { tpm: overrides.tpm })
        })
        const resumed: RunSpec = {
          ...spec,
          backend: withTimeout(spec.backend),
          ...(spec.backends === undefined ? {} : { backends: spec.backends.map(withTimeout) })
        }
        const endpoint = overrides.baseUrl ?? spec.backend.baseUrl
        if (spec.backends !== undefined) {
          const say = printOnce(out.json ? Console.error : Console.log)
          const warn = printOnce(Console.error)
          const names = backendNames(spec)
          for (const [i, b] of spec.backends.entries()) {
            if (b.kind === "synthetic") continue
            for (const url of b.replicas?.map((r) => r.baseUrl) ?? [b.baseUrl]) {
              const warning = endpointWarning(url, `the run's stored settings (${escapeControl(runDir)})`, env)
              if (warning !== null) yield* warn(warning)
              yield* say(endpointLine(b, url, env, names[i]))
            }
          }
        } else if (resumed.backend.kind !== "synthetic") {
          if (overrides.baseUrl === undefined) {
            const warning = endpointWarning(spec.backend.baseUrl, `the run's stored settings (${escapeControl(runDir)})`, env)
            if (warning !== null) yield* Console.error(warning)
          }
          yield* (out.json ? Console.error : Console.log)(endpointLine(resumed.backend, endpoint, env))
        }
        const pacing = [overrides.rpm === undefined ? null : `${overrides.rpm} requests/min`, overrides.tpm === undefined ? null : `${overrides.tpm} tokens/min`].filter((x) => x !== null)
        if (pacing.length > 0) yield* (out.json ? Console.error : Console.log)(`[valuesim] resuming at most ${pacing.join(" and ")} (--rpm/--tpm; the run's own limits otherwise)`)
        return yield* driveRun({ db, dbFile, runId, runDir, spec: resumed, env, out, preloaded: [], prices, endpoint, cacheDir: runCacheDir(out, env) })
      })
    )
  })
