/**
 * The drive loop: runs every pending unit of a run whose plan is stored (all backends at once, with the dashboard
 * or progress lines, the `--max-cost` guard and the stops of src/engine/runStops.ts), records how it ended
 * (complete, incomplete, interrupted, a store fault) and returns the run's summary.
 */
import { Cause, Clock, Console, Duration, Effect, Fiber, Layer, Schedule } from "effect"
import type { BackendSettings, RunSpec } from "../config/RunSpec.js"
import { agentRangeOf, backendNames, backendsOf, specOfBackend, SYNTHETIC_LABEL } from "../config/RunSpec.js"
import { escapeControl, resumeCommand } from "../domain/printable.js"
import { cliCommand } from "../app/invocation.js"
import { prepareDashboard, startDashboard, type PreparedDashboard } from "../app/dashboard.js"
import { threadCpuUserSeconds } from "../app/threadCpu.js"
import type { PriceSetting } from "../config/PricesFile.js"
import { MaxCostReachedError } from "../app/planRun.js"
import { runGameStep } from "../engine/GameRunner.js"
import { makeAsker, type Asker, type Preloaded } from "../engine/RequestCache.js"
import { runQuestionnaireStep } from "../engine/QuestionnaireRunner.js"
import { runSocietyStep, societyTotals } from "../society/runSociety.js"
import type { ResponseCache } from "../llm/responseCache.js"
import { llmRespondent } from "../respondents/llm.js"
import { contextPanelOf, contextReady, panelContext } from "../experiments/context.js"
import type { Respondent } from "../respondents/Respondent.js"
import { syntheticRespondent } from "../respondents/synthetic.js"
import { makeScheduler } from "../engine/Scheduler.js"
import { makeQuotaStop, missingGuard, mostlyMissing, MostlyMissingError, mostlyMissingError, QuotaExhaustedError } from "../engine/runStops.js"
import { makePacer } from "../llm/rateLimits.js"
import { openScoped } from "../store/storeScope.js"
import { makeCounters, progressLine, type RunCounters } from "../progress/counters.js"
import { commonAnswerError, readMethodTotals, readRunTotals } from "../store/reads.js"
import { massThresholdOf } from "../scoring/methods.js"
import { logEvent, putManifest, type RunDb } from "../store/RunStore.js"
import { releaseSpace, RunStoreError, stoppedNext, storeErrorOf } from "../store/storeFault.js"
import { makeResultWriter, type ResultWriter } from "../store/ResultWriter.js"
import { budgetOf, spendingGuard, type Budget } from "../run/budget.js"
import { secondSignalStops } from "../run/signals.js"
import { llmLayer, schedulerOptions, openRunCache } from "./backend.js"
import type { OutputOptions, RunSummary } from "../app/runStudy.js"

export const unitCounts = (db: RunDb) => {
  const t = readRunTotals(db)
  return { done: t.done, failed: t.failed, pending: t.pending }
}

/** Runs one step: questionnaires through the backend's respondent, games through the asker (null: synthetic). */
export const runStep = (spec: RunSpec, step: number, db: RunDb, writer: ResultWriter, asker: Asker | null, respondent: Respondent, gate: Effect.Effect<void>, idle: (() => boolean) | null = null) =>
  spec.steps[step]!.kind === "game"
    ? runGameStep(spec, step, db, writer, asker, gate)
    : spec.steps[step]!.kind === "society"
      ? runSocietyStep(spec, step, db, writer, asker, gate)
      : runQuestionnaireStep(spec, step, db, writer, respondent, gate, idle)

/**
 * Runs every pending unit of every step of a model-backed run through `asker` (the online asker, or the batch
 * path's asker that answers from the run store).
 */
export const runModelSteps = (spec: RunSpec, db: RunDb, writer: ResultWriter, asker: Asker, gate: Effect.Effect<void> = Effect.void, idle: (() => boolean) | null = null) =>
  Effect.gen(function* () {
    const respondent = llmRespondent(spec, asker, (step) => panelContext(db, spec, step))
    for (let step = 0; step < spec.steps.length; step++) {
      // A panel's repeat that shows earlier answers reads them from the store: everything before it is written
      // first, and it waits for a later pass (resume, the next batch wave) while one of them is not done.
      if (contextPanelOf(spec, step) !== undefined) {
        yield* writer.flushed
        if (!contextReady(db, spec, step)) continue
      }
      yield* runStep(spec, step, db, writer, asker, respondent, gate, idle)
    }
  })

/** Everything one execution of a run works with. */
export interface RunContext {
  readonly db: RunDb
  readonly dbFile: string
  readonly runId: string
  readonly runDir: string
  readonly spec: RunSpec
  readonly env: Readonly<Record<string, string | undefined>>
  readonly out: OutputOptions
  /** Requests answered before the store existed (the start-up probe), per backend. */
  readonly preloaded: ReadonlyArray<ReadonlyArray<Preloaded>>
  readonly prices: PriceSetting
  /** Where requests go: the plan's base URL, or `resume --base-url` (the request keys stay the plan's). */
  readonly endpoint: string | null
  /** The response cache folder, or null when the cache is off. */
  readonly cacheDir: string | null
  /** HTTP requests the capability probe sent before the store existed (beyond the preloaded first question). */
  readonly probeRequests?: number
  /** Of those, the ones sent again after a transient failure (counted in the summary's `retries`). */
  readonly probeRetries?: number
}

/** Executes every pending unit of a run whose plan is in the store. */
export const execute = (ctx: RunContext, counters: RunCounters, prepared: PreparedDashboard | null, budget: Budget | null) =>
  Effect.scoped(
    Effect.gen(function* () {
      const { db, dbFile, env, out, preloaded, spec, endpoint } = ctx
      const started = yield* Clock.currentTimeMillis
      const quota = yield* makeQuotaStop(resumeCommand(ctx.runDir, cliCommand()))
      // Acquired before the writer, so released after it: the last frame shows everything that was saved.
      const dashboard = prepared ? yield* startDashboard(prepared, db, spec, { runId: ctx.runId, runDir: ctx.runDir }, counters) : null
      const gate = dashboard?.gate ?? Effect.void
      const writer: ResultWriter = yield* makeResultWriter(db, dbFile, dashboard ? { observe: dashboard.observe } : {})
      const print = (line: string) => (out.json ? Console.error(line) : Console.log(line))
      const report = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* print(
          progressLine(counters, {
            unitsDone: writer.stats.unitsDone,
            unitsFailed: writer.stats.unitsFailed,
            answers: writer.stats.answers,
            elapsedMs: now - started
          })
        )
      })
      if (dashboard === null) yield* Effect.forkScoped(Effect.repeat(Effect.delay(report, Duration.millis(out.progressEveryMs)), Schedule.forever))
      else dashboard.attach(writer.stats, () => 0)

      // Every backend runs every step on its own agents, all backends at once; a backend of a several-backend
      // run reads its pending work through a connection scoped to its agents (the writer stays the one).
      const nBackends = backendsOf(spec).length
      const inFlight: Array<() => number> = []
      const onBackend = (b: number) =>
        Effect.gen(function* () {
          const bSpec = specOfBackend(spec, b)
          const reader = nBackends === 1 ? db : yield* Effect.acquireRelease(openScoped(dbFile, agentRangeOf(spec, b), { readonly: true }).pipe(Effect.orDie), (r) => Effect.sync(() => r.close()))
          if (bSpec.backend.kind === "synthetic") {
            const respondent = syntheticRespondent(bSpec)
            for (let step = 0; step < spec.steps.length; step++) yield* runStep(bSpec, step, reader, writer, null, respondent, gate)
            return
          }
          // The server's rate-limit headers pace this backend's requests; an exhausted quota stops the run.
          const pacer = makePacer()
          const scheduler = yield* makeScheduler({ ...schedulerOptions(bSpec), gate, pace: pacer.wait, onFailed: quota.trip }, (e) => {
            if (e._tag === "Retrying") counters.retries++
            else if (e._tag === "Failed") counters.failures[e.reason] = (counters.failures[e.reason] ?? 0) + 1
          })
          const bEndpoint = nBackends === 1 ? endpoint : bSpec.backend.baseUrl
          const cache: ResponseCache | null = ctx.cacheDir === null ? null : yield* openRunCache(bSpec, ctx.cacheDir, bEndpoint, env)
          // Built in the backend's scope, not the asker's: a local model's context must outlive makeAsker.
          // A replica's failover is a retry too (sent again, to another endpoint), counted with the scheduler's.
          const llm = yield* Layer.build(llmLayer(bSpec, env, bEndpoint, { onFailover: () => void counters.retries++ }, pacer))
          const asker = yield* makeAsker(bSpec.backend, reader, writer, scheduler, counters, preloaded[b] ?? [], cache).pipe(Effect.provide(llm))
          inFlight.push(() => scheduler.stats().inFlight)
          dashboard?.attach(writer.stats, () => inFlight.reduce((n, f) => n + f(), 0))
          // Permits free and nobody waiting for one: more pages may start (the scheduler hands a freed permit straight to a waiter).
          const idle = () => scheduler.stats().inFlight < bSpec.backend.concurrency
          yield* runModelSteps(bSpec, reader, writer, asker, gate, idle)
        })
      const all = Effect.forEach(backendsOf(spec), (_, b) => Effect.scoped(onBackend(b)), { concurrency: "unbounded", discard: true })
      // Stops: an exhausted quota (at once), answers that are mostly missing (src/engine/runStops.ts).
      const unguarded = Effect.raceFirst(
        all,
        Effect.raceFirst(quota.stopped, missingGuard(writer.stats, () => commonAnswerError(db), ctx.runDir))
      )
      const work = budget === null ? unguarded : Effect.raceFirst(unguarded, spendingGuard(budget, counters, ctx.runDir))
      if (dashboard === null) return yield* work
      // The dashboard's q stops the work fiber; joining it turns that into this run's interruption.
      const fiber = yield* Effect.fork(work)
      dashboard.onStop(() => void Effect.runFork(Fiber.interrupt(fiber)))
      return yield* Fiber.join(fiber)
    })
  )

/**
 * The scoring method asked of the run's model backends (`auto` when the probe chose) and the one each uses;
 * undefined for a run on the synthetic backend alone.
 */
export const scoringOf = (spec: RunSpec): { readonly asked: string; readonly chosen: string } | undefined => {
  const models = backendsOf(spec).filter((b) => b.kind !== "synthetic")
  if (models.length === 0) return undefined
  const distinct = (xs: ReadonlyArray<string>) => [...new Set(xs)].join(", ")
  return { asked: distinct(models.map((b) => (b.scoringAuto === true ? "auto" : b.scoring))), chosen: distinct(models.map((b) => b.scoring)) }
}

/** The run's summary, from the writer's counters as stored (no scan of the answers). */
export const summarize = (
  ctx: RunContext,
  counters: RunCounters,
  elapsedMs: number,
  cpu: NodeJS.CpuUsage,
  threadCpu: number | null,
  retries: number
): RunSummary => {
  const t = readRunTotals(ctx.db)
  const m = readMethodTotals(ctx.db, massThresholdOf(ctx.spec.backend))
  return {
    runId: ctx.runId,
    runDir: ctx.runDir,
    status: t.pending === 0 && t.failed === 0 ? "complete" : "incomplete",
    backend: ctx.spec.backend.kind,
    model: ctx.spec.backend.model,
    ...(ctx.spec.backends === undefined ? {} : { models: backendNames(ctx.spec) }),
    agents: ctx.spec.agents * backendsOf(ctx.spec).length,
    answers: t.answers,
    failed: t.failedAnswers,
    missing: t.missing,
    degraded: t.degraded,
    unitsFailed: t.failed,
    lowMass: m.lowMass,
    methods: m.methods,
    ...((sc) => (sc === undefined ? {} : { scoring: sc }))(scoringOf(ctx.spec)),
    requests: counters.requests,
    httpRequests: counters.requests + retries + (ctx.probeRequests ?? 0),
    retries,
    sharedOrCached: counters.cacheHits,
    fromCache: counters.fromCache,
    elapsedSeconds: Math.round(elapsedMs / 10) / 100,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    cpuUserSeconds: Math.round(cpu.user / 1e4) / 100,
    runThreadCpuUserSeconds: threadCpu === null ? null : Math.round(threadCpu * 100) / 100,
    ...societyTotals(ctx.spec, ctx.db)
  }
}

/**
 * Runs the pending work of an open run database and returns its summary; marks the manifest status. A store
 * that cannot be written any more (a full disk) stops the run with a RunStoreError: the space set aside before
 * (`reserveSpace`, by the caller) is given back to record the status `interrupted`, and the message ends with
 * the resume command.
 */
export const driveRun = (ctx: RunContext) =>
  Effect.suspend(() =>
    runPending(ctx).pipe(
      Effect.catchAllDefect((defect) => {
        const fault = storeErrorOf(ctx.runDir, defect)
        return fault === null ? Effect.die(defect) : Effect.fail(fault)
      }),
      Effect.mapError((e) => {
        if (!(e instanceof RunStoreError)) return e
        releaseSpace(ctx.runDir)
        let recorded = false
        if (e.fault !== "damaged") {
          try {
            logEvent(ctx.db, new Date().toISOString(), "store-error", { fault: e.fault, detail: e.detail, ...unitCounts(ctx.db) })
            putManifest(ctx.db, { status: "interrupted" })
            recorded = true
          } catch {
            // Not even the status could be written: the message says so by not claiming it.
          }
        }
        return new RunStoreError({ ...e, next: stoppedNext(e.fault, resumeCommand(ctx.runDir, cliCommand()), recorded) })
      }),
      Effect.ensuring(Effect.sync(() => releaseSpace(ctx.runDir)))
    )
  )

export const runPending = (ctx: RunContext) =>
  Effect.gen(function* () {
    const { db, out, prices, runDir, runId, spec } = ctx
    const before = unitCounts(db)
    const total = before.done + before.failed + before.pending
    const counters = makeCounters(total, before.done)
    // Without a dashboard (its worker could not start), the run shows plain progress lines instead.
    const prepared = out.tui
      ? yield* prepareDashboard(prices).pipe(
          Effect.catchAll((reason) => Effect.as(Console.error(`[valuesim] the dashboard could not start (${reason}); showing progress lines instead`), null))
        )
      : null
    const t0 = yield* Clock.currentTimeMillis
    const cpu0 = process.cpuUsage()
    const threadCpu0 = threadCpuUserSeconds()
    const print = (line: string) => (out.json ? Console.error(line) : Console.log(line))
    const labelOf = (b: BackendSettings, endpoint: string | null) =>
      b.kind === "synthetic" ? SYNTHETIC_LABEL : b.kind === "local" ? `local ${b.model} (in-process)` : `${b.kind} ${b.model} at ${endpoint}${b.replicas !== undefined && endpoint === b.baseUrl ? ` and ${b.replicas.length - 1} more replica(s)` : ""}`
    const all = backendsOf(spec)
    if (all.length === 1) {
      yield* print(`[valuesim] run ${escapeControl(runId)}: ${spec.agents} agents × ${spec.steps.length} step(s), backend ${escapeControl(labelOf(spec.backend, ctx.endpoint))}`)
    } else {
      yield* print(`[valuesim] run ${escapeControl(runId)}: ${spec.agents} agents × ${spec.steps.length} step(s) on each of ${all.length} backends:`)
      for (const [b, name] of backendNames(spec).entries()) yield* print(`[valuesim]   ${escapeControl(name)}: ${escapeControl(labelOf(all[b]!, all[b]!.baseUrl))}`)
    }
    yield* print(`[valuesim] run folder: ${escapeControl(runDir)}`)
    yield* logEventNow(db, "start", { pending: before.pending + before.failed, ...(ctx.endpoint !== spec.backend.baseUrl ? { endpoint: ctx.endpoint } : {}) })
    const probeRetries = ctx.preloaded.flat().reduce((n, p) => n + Math.max(0, p.attempts - 1), 0) + (ctx.probeRetries ?? 0)
    const summaryNow = Effect.gen(function* () {
      const t1 = yield* Clock.currentTimeMillis
      const threadCpu1 = threadCpuUserSeconds()
      const threadCpu = threadCpu0 === null || threadCpu1 === null ? null : threadCpu1 - threadCpu0
      return summarize(ctx, counters, t1 - t0, process.cpuUsage(cpu0), threadCpu, counters.retries + probeRetries)
    })
    const hint = `[valuesim] interrupted; finished answers are saved. Continue with: ${resumeCommand(runDir, cliCommand())}`
    const budget = yield* budgetOf(spec, out, prices)
    yield* execute(ctx, counters, prepared, budget).pipe(
      Effect.tapError((e) =>
        e instanceof MaxCostReachedError
          ? Effect.gen(function* () {
              yield* logEventNow(db, "max-cost", { ...unitCounts(db), spentUsd: e.spentUsd, maxUsd: e.maxUsd })
              putManifest(db, { status: "interrupted" })
              // As an interruption: --json promises a summary on the last stdout line.
              if (out.json) yield* Console.log(JSON.stringify({ ...(yield* summaryNow), status: "interrupted", stoppedBy: "max-cost" }))
            })
          : e instanceof QuotaExhaustedError || e instanceof MostlyMissingError
            ? Effect.gen(function* () {
                yield* logEventNow(db, e._tag === "QuotaExhausted" ? "quota-exhausted" : "mostly-missing", { ...unitCounts(db), detail: e.message })
                putManifest(db, { status: "interrupted" })
                if (out.json) yield* Console.log(JSON.stringify({ ...(yield* summaryNow), status: "interrupted", stopped: e._tag }))
              })
            : Effect.void
      ),
      Effect.onInterrupt(() =>
        Effect.gen(function* () {
          yield* logEventNow(db, "interrupted", unitCounts(db))
          putManifest(db, { status: "interrupted" })
          yield* Console.error(hint)
          // --json promises a summary on the last stdout line; an interrupted run prints one too.
          if (out.json) yield* Console.log(JSON.stringify({ ...(yield* summaryNow), status: "interrupted" }))
        })
      ),
      // A second Ctrl-C (or SIGTERM) while the first is being handled would kill the process with the
      // status still `running`; it stops at once instead, with an honest status and the hint.
      secondSignalStops(() => {
        try {
          putManifest(db, { status: "interrupted" })
        } catch {
          // The store could not be written; the hint still holds (resume checks the units, not the status).
        }
        process.stderr.write(`${hint}\n`)
      }),
      // A store that cannot be written (full disk) stops the run with a RunStoreError (driveRun records the
      // status): --json still ends with the summary, as for an interruption.
      Effect.tapErrorCause((cause) => {
        const fault = out.json ? storeErrorOf(runDir, Cause.squash(cause)) : null
        return fault === null || fault.fault === "damaged"
          ? Effect.void
          : Effect.flatMap(summaryNow, (s) => Console.log(JSON.stringify({ ...s, status: "interrupted" }))).pipe(Effect.catchAllDefect(() => Effect.void))
      }),
      // The dashboard's close ends its worker; this also ends one whose dashboard never started.
      Effect.ensuring(Effect.sync(() => prepared?.worker.discard()))
    )
    const summary = yield* summaryNow
    // However few answers it had, a run whose answers are mostly missing does not end complete (src/engine/runStops.ts).
    const totals = { answers: summary.answers, missing: summary.missing, unitsDone: unitCounts(db).done, unitsFailed: summary.unitsFailed }
    if (summary.status === "complete" && mostlyMissing(totals, true)) {
      const stop = mostlyMissingError(totals, commonAnswerError(db), runDir)
      yield* logEventNow(db, "mostly-missing", { ...unitCounts(db), detail: stop.message })
      putManifest(db, { status: "interrupted" })
      if (out.json) yield* Console.log(JSON.stringify({ ...summary, status: "interrupted", stopped: stop._tag }))
      return yield* stop
    }
    putManifest(db, { status: summary.status })
    yield* logEventNow(db, "end", summary)
    yield* print(
      summary.status === "complete"
        ? `[valuesim] done: ${summary.answers} answers (${summary.missing} missing) in ${summary.elapsedSeconds}s → ${escapeControl(runDir)}`
        : `[valuesim] ${summary.unitsFailed} agent-steps failed (export the run to see them in column error); retry them with: ${resumeCommand(runDir, cliCommand())}`
    )
    const scoringLine = scoringSummaryLine(summary, massThresholdOf(spec.backend))
    if (scoringLine !== null) yield* print(scoringLine)
    return summary
  })

/**
 * The human-readable line on how the answers were scored: answers per method, HTTP requests sent, and the degraded,
 * missing and low-mass counts (null for a run without model requests or methods to speak of).
 */
export const scoringSummaryLine = (s: RunSummary, threshold: number): string | null => {
  const methods = Object.entries(s.methods).filter(([, n]) => n > 0)
  if (methods.length === 0 || (methods.length === 1 && methods[0]![0] === "synthetic")) return null
  const by = methods.map(([m, n]) => `${n} ${m}`).join(", ")
  const low = s.lowMass > 0 ? `; ${s.lowMass} answers drawn from distributions with option mass below ${threshold} (see valuesim report)` : ""
  const auto = s.scoring !== undefined && s.scoring.asked !== s.scoring.chosen ? ` (${s.scoring.asked} chose ${s.scoring.chosen})` : ""
  return `[valuesim] scoring${auto}: ${by}; ${s.httpRequests} HTTP requests; ${s.degraded} degraded, ${s.missing} missing${low}`
}

export const logEventNow = (db: RunDb, kind: string, detail: unknown) =>
  Effect.flatMap(Clock.currentTimeMillis, (ms) => Effect.sync(() => logEvent(db, new Date(ms).toISOString(), kind, detail)))
