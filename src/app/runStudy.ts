/**
 * `run` and `resume`: a run's lifecycle from its plan to its summary. Its parts with a module of their own are in
 * src/run/: `lock.ts` (one writer per run store) and `liveness.ts` (is a process that left something still
 * alive), `staging.ts` (the folder a new run is planned in), `budget.ts` (what `--max-cost` stops) and
 * `signals.ts` (a second Ctrl-C). Still here, and one file for now because several changes to them are under
 * way at once (issues 20 and 21): the plan and run folder (`createPlannedRun`), the LLM layer and scheduler
 * settings, the start-up probe of the endpoint, and the drive loop (`execute`, `driveRun`, `runPending`) with
 * its summary; they are to move to src/run/ next, one module per concern.
 */
import { Cause, Clock, Console, Context, Duration, Effect, Fiber, Layer, Schedule } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { BackendSettings, RunSpec } from "../config/RunSpec.js"
import { agentRangeOf, backendNames, backendsOf, specOfBackend, SYNTHETIC_LABEL } from "../config/RunSpec.js"
import { DEFAULT_BASE_URL, endpointWarning, hostOf } from "../config/StudyFile.js"
import { escapeControl, resumeCommand } from "../domain/printable.js"
import { BackendUnusableError, SpecFileError, UsageError } from "../config/SpecFileError.js"
import { presentedChoices } from "../domain/questionnaire.js"
import { batchTurn, itemTurn, openingMessages } from "../engine/prompts.js"
import { LlmClient } from "../llm/LlmClient.js"
import { versions } from "./version.js"
import { cliCommand } from "./invocation.js"
import { checkReachable } from "./reachable.js"
import { prepareDashboard, startDashboard, type PreparedDashboard } from "./dashboard.js"
import { threadCpuUserSeconds } from "./threadCpu.js"
import { loadPriceSetting, type PriceSetting } from "../config/PricesFile.js"
import { MaxCostReachedError } from "./planRun.js"
import { firstGameMessages, planMatches, runGameStep } from "../engine/GameRunner.js"
import { describeRequest, makeAsker, validated, type Asker, type Preloaded } from "../engine/RequestCache.js"
import { runQuestionnaireStep } from "../engine/QuestionnaireRunner.js"
import { societyChoices, societyMessages } from "../society/prompts.js"
import { planSociety, runSocietyStep, societyTotals } from "../society/runSociety.js"
import { logprobValidator } from "../llm/scoring.js"
import { cacheable, defaultCacheDir, endpointIdentity, learnServing, openCache, type ResponseCache } from "../llm/responseCache.js"
import { llmRespondent } from "../respondents/llm.js"
import type { Respondent } from "../respondents/Respondent.js"
import { syntheticRespondent } from "../respondents/synthetic.js"
import { makeScheduler } from "../engine/Scheduler.js"
import { makeQuotaStop, missingGuard, mostlyMissing, MostlyMissingError, mostlyMissingError, QuotaExhaustedError } from "../engine/runStops.js"
import { makePacer, type Pacer } from "../llm/rateLimits.js"
import { thinkingHint } from "../llm/reasoning.js"
import * as LlmClientLocal from "../llm/LlmClientLocal.js"
import * as LlmClientOpenAi from "../llm/LlmClientOpenAi.js"
import * as Replicas from "../llm/replicas.js"
import { openScoped } from "../store/storeScope.js"
import { makeCounters, progressLine, type RunCounters } from "../progress/counters.js"
import { assignConditions, largestRemainder, multinomialCounts } from "../sampling/allocation.js"
import { stream } from "../sampling/rng.js"
import { writePlan } from "../store/plan.js"
import { stepAgents } from "../experiments/assignment.js"
import { commonAnswerError, readMethodTotals, readRunTotals } from "../store/reads.js"
import { massThresholdOf } from "../scoring/methods.js"
import { probeEndpoint, probeTable, type ProbeResult } from "../probe/probe.js"
import { DatabaseError, getManifest, logEvent, openDatabase, putManifest, type RunDb } from "../store/RunStore.js"
import { releaseSpace, reserveSpace, RunStoreError, stoppedNext, storeErrorOf } from "../store/storeFault.js"
import { makeResultWriter, type ResultWriter } from "../store/ResultWriter.js"
import { budgetOf, spendingGuard, type Budget } from "../run/budget.js"
import { scopedRunLock, withRunLock } from "../run/lock.js"
import { secondSignalStops } from "../run/signals.js"
import { stageRunDir } from "../run/staging.js"

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

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)

/** The first free run id for `base` in runsDir: `base`, then `base-2`, `base-3`, … */
const freeRunId = (runsDir: string, base: string, from = 1) => {
  for (let i = from; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`
    if (!fs.existsSync(path.join(runsDir, id))) return { id, i }
  }
}

/**
 * Writes the plan of a new run: conditions, the seeded allocation of agents to conditions, items, every
 * (step, agent) unit as pending, and the manifest, in one transaction (`writePlan`).
 */
const planRun = (db: RunDb, spec: RunSpec, runId: string, createdAt: string, given?: Int32Array) => {
  const weights = spec.population.weights
  const counts =
    given !== undefined
      ? spec.population.conditions.map((_, c) => given.filter((x) => x === c).length)
      : spec.population.allocation === "multinomial"
        ? multinomialCounts(weights, spec.agents, stream(spec.seed, "allocation-counts"))
        : largestRemainder(weights, spec.agents)
  // A branch keeps its parent's agents (src/experiments/branch.ts): their conditions are given, not drawn.
  const population = given ?? assignConditions(counts, stream(spec.seed, "allocation"))
  // Every backend answers the same population: backend b's agents are b·N … (b+1)·N − 1, with backend 0's
  // conditions and (in games) its matching, shifted.
  const nBackends = backendsOf(spec).length
  const n = population.length
  const assignment = nBackends === 1 ? population : Int32Array.from({ length: n * nBackends }, (_, i) => population[i % n]!)
  const everyone = Array.from({ length: n }, (_, i) => i)
  const shifted = (ids: ReadonlyArray<number>, b: number) => ids.map((a) => a + b * n)
  const backendIdx = Array.from({ length: nBackends }, (_, b) => b)
  // Arms of a `between` experiment: each agent answers only its own arm's step (src/experiments/assignment.ts).
  const answering = stepAgents(spec, population)
  writePlan(db, {
    conditions: spec.population.conditions.map((c) => ({ id: c.id, value: c.value, system: c.system })),
    assignment,
    steps: spec.steps.map((s, step) => {
      if (s.kind === "society") return planSociety(spec, step, population)
      const own = answering[step] ?? null
      const agents = own === null ? {} : { agents: backendIdx.flatMap((b) => shifted(own, b)) }
      const arm = s.arm === undefined ? {} : { arm: s.arm.name, experiment: spec.experiments![s.arm.experiment]!.id }
      if (s.kind === "questionnaire") return { kind: "questionnaire" as const, items: s.questionnaire.items, ...agents, ...arm }
      const m = planMatches(spec, step, own ?? everyone)
      return {
        kind: "game" as const,
        groups: backendIdx.flatMap((b) => m.groups.map((g) => shifted(g, b))),
        unmatched: backendIdx.flatMap((b) => shifted(m.unmatched, b)),
        ...agents,
        ...arm
      }
    }),
    manifest: {
      run_id: runId,
      created_at: createdAt,
      versions: versions(),
      spec,
      counts: Object.fromEntries(spec.population.conditions.map((cond, i) => [cond.id, counts[i] ?? 0])),
      status: "running"
    }
  })
}

const unitCounts = (db: RunDb) => {
  const t = readRunTotals(db)
  return { done: t.done, failed: t.failed, pending: t.pending }
}

/**
 * The LLM client of a run spec's backend: a local model (which may fail to load), or an OpenAI-compatible
 * endpoint: one, or its replicas composed into one client (src/llm/replicas.ts) unless `endpoint` (resume
 * --base-url) names another server.
 */
export const llmLayer = (
  spec: RunSpec,
  env: Readonly<Record<string, string | undefined>>,
  endpoint: string | null = spec.backend.baseUrl,
  replicaOptions: Replicas.ReplicaOptions = {},
  pacer?: Pacer
): Layer.Layer<LlmClient, UsageError> => {
  const b = spec.backend
  if (b.kind === "local") return LlmClientLocal.layer({ modelPath: b.model, seed: spec.seed, ...localThreads(env) })
  // `pacer`: the one server's rate-limit headers pace the run (replicas are separate servers: none is shared).
  const openAi = (baseURL: string, connections: number, paced?: Pacer) =>
    LlmClientOpenAi.layer({
      baseURL,
      // Local servers (Ollama, vLLM, llama.cpp) accept any key; OpenAI itself answers 401 without one.
      apiKey: LlmClientOpenAi.apiKeyOf(env),
      model: b.model,
      connections,
      ...(paced === undefined ? {} : { pacer: paced })
    })
  if (b.replicas === undefined || endpoint !== b.baseUrl) return openAi(endpoint ?? DEFAULT_BASE_URL, b.concurrency, pacer)
  return Layer.unwrapScoped(
    Effect.map(
      Effect.forEach(b.replicas, (r) => Effect.map(Layer.build(openAi(r.baseUrl, r.concurrency)), (ctx) => ({ name: r.baseUrl, concurrency: r.concurrency, rpm: r.rpm, client: Context.get(ctx, LlmClient) }))),
      (endpoints) => Replicas.layer(b.model, endpoints, replicaOptions)
    )
  )
}

/** VALUESIM_LOCAL_THREADS: CPU threads of the local backend (default: node-llama-cpp's, every core). */
const localThreads = (env: Readonly<Record<string, string | undefined>>): { readonly threads?: number } => {
  const n = Number(env["VALUESIM_LOCAL_THREADS"] ?? "")
  return Number.isInteger(n) && n > 0 ? { threads: n } : {}
}

const schedulerOptions = (spec: RunSpec) => ({
  concurrency: spec.backend.concurrency,
  rpm: spec.backend.rpm,
  timeoutMs: spec.backend.timeoutMs,
  maxAttempts: spec.backend.maxAttempts,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
  tpm: spec.backend.tpm ?? null
})

/**
 * Before anything is written, asks the endpoint the run's first real question (retrying transient failures
 * as usual). A server that cannot be reached, refuses the key, answers something that is not a chat
 * completion, or under logprob scoring answers without logprobs over the options, stops the run here with one
 * message. The answer is kept and used by the run, so the probe costs no extra request under logprob scoring.
 * When the response cache already holds a usable answer to that question, nothing is sent (the run may then
 * be answered from the cache alone, with the endpoint down).
 */
const probeBackend = (spec: RunSpec, env: Readonly<Record<string, string | undefined>>, cacheDir: string | null, out: OutputOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const first = spec.steps[0]!
      const cond = spec.population.conditions[0]!
      const messages =
        first.kind === "society"
          ? societyMessages(first.society, cond.system, 1, 0)
          : first.kind === "questionnaire"
          ? [
              ...openingMessages(cond.system),
              first.questionnaire.administration === "batch"
                ? batchTurn(first.questionnaire.prompts, first.questionnaire.items, presentedChoices(first.questionnaire))
                : itemTurn(first.questionnaire.prompts, first.questionnaire.items[0]!, presentedChoices(first.questionnaire), true)
            ]
          : firstGameMessages(spec, 0, cond.system)
      const nonce = spec.backend.scoring === "sample" ? "probe" : null
      const { body, key, request } = describeRequest(spec.backend, messages, nonce)
      // Under logprob scoring the first question must come back with logprobs over its options, as every
      // shared request must (a degraded response is retried like a 5xx).
      const validate = first.kind === "questionnaire" && first.questionnaire.administration !== "batch" && spec.backend.scoring === "logprob"
        ? thinkingHint(logprobValidator(presentedChoices(first.questionnaire)))
        : first.kind === "society" && spec.backend.scoring === "logprob"
          ? logprobValidator(societyChoices(first.society))
          : undefined
      const cache = cacheDir !== null && cacheable(spec.backend, nonce) ? yield* openRunCache(spec, cacheDir, spec.backend.baseUrl, env) : null
      const hit = cache === null ? undefined : cache.get(body, yield* Clock.currentTimeMillis)
      if (hit !== undefined && (validate === undefined || validate(hit) === null)) {
        const preloaded: Preloaded = { key, body, completion: hit, attempts: 0, latencyMs: 0, fromCache: true }
        return preloaded
      }
      if (spec.backend.kind === "openai") yield* reachableAny(replicaUrls(spec.backend), env, out)
      const scheduler = yield* makeScheduler(schedulerOptions(spec))
      const llm = yield* LlmClient
      const sent = yield* scheduler.run(null, (attempt) => validated(llm.complete(request, attempt), validate)).pipe(
        Effect.mapError((e) => {
          const detail = e.reason === "Degraded"
            ? `the first request came back without usable logprobs after ${spec.backend.maxAttempts} attempts (${e.detail}); a server without logprobs needs --scoring stated (or auto, which probes the server and chooses)`
            : `the first request failed (${e.message})`
          return spec.backend.kind === "local"
            ? new UsageError({ detail: `--model ${spec.backend.model}: ${detail}; nothing was written` })
            : new BackendUnusableError({ baseUrl: spec.backend.baseUrl ?? "", detail })
        })
      )
      if (cache !== null) cache.put(body, sent.value, yield* Clock.currentTimeMillis)
      const preloaded: Preloaded = { key, body, completion: sent.value, attempts: sent.attempts, latencyMs: sent.latencyMs }
      return preloaded
    }).pipe(Effect.provide(llmLayer(spec, env)))
  )

/** The run with backend b's settings replaced (the method `auto` chose). */
const withBackend = (spec: RunSpec, b: number, settings: BackendSettings): RunSpec =>
  spec.backends === undefined
    ? { ...spec, backend: settings }
    : { ...spec, backend: b === 0 ? settings : spec.backend, backends: spec.backends.map((x, i) => (i === b ? settings : x)) }

/**
 * The capability probe of an endpoint run under `--scoring auto`, asking the run's first independent question
 * (null when the run has none: then auto keeps logprob and the usual start-up probe runs).
 */
const autoProbe = (spec: RunSpec, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const step = spec.steps.find((s) => s.kind === "questionnaire" && s.questionnaire.administration === "independent")
    if (step === undefined || step.kind !== "questionnaire") return null
    const q = step.questionnaire
    const choices = presentedChoices(q)
    const messages = [...openingMessages(spec.population.conditions[0]!.system), itemTurn(q.prompts, q.items[0]!, choices, true)]
    return yield* probeEndpoint({ backend: spec.backend, apiKey: env["OPENAI_API_KEY"] ?? "no-key", messages, choices })
  })

/** The run's view of the response cache for requests to `endpoint`, keyed by what the endpoint says it serves. */
const openRunCache = (spec: RunSpec, dir: string, endpoint: string | null, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const serving = yield* learnServing(spec.backend, endpoint, env)
    return yield* openCache(dir, endpointIdentity(spec.backend, endpoint), spec.backend.model, serving, yield* Clock.currentTimeMillis)
  })

/** Runs one step: questionnaires through the backend's respondent, games through the asker (null: synthetic). */
const runStep = (spec: RunSpec, step: number, db: RunDb, writer: ResultWriter, asker: Asker | null, respondent: Respondent, gate: Effect.Effect<void>, idle: (() => boolean) | null = null) =>
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
    const respondent = llmRespondent(spec, asker)
    for (let step = 0; step < spec.steps.length; step++) yield* runStep(spec, step, db, writer, asker, respondent, gate, idle)
  })

/** Everything one execution of a run works with. */
interface RunContext {
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
}

/** Executes every pending unit of a run whose plan is in the store. */
const execute = (ctx: RunContext, counters: RunCounters, prepared: PreparedDashboard | null, budget: Budget | null) =>
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

/** The run's summary, from the writer's counters as stored (no scan of the answers). */
const summarize = (
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
const driveRun = (ctx: RunContext) =>
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

const runPending = (ctx: RunContext) =>
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
    const probeRetries = ctx.preloaded.flat().reduce((n, p) => n + Math.max(0, p.attempts - 1), 0)
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
  return `[valuesim] scoring: ${by}; ${s.httpRequests} HTTP requests; ${s.degraded} degraded, ${s.missing} missing${low}`
}

/** The base URLs a backend's requests go to: its replicas, or its one endpoint. */
const replicaUrls = (backend: BackendSettings): ReadonlyArray<string> => backend.replicas?.map((r) => r.baseUrl) ?? [backend.baseUrl ?? DEFAULT_BASE_URL]

/**
 * Fails when none of a backend's servers can be reached; a replica that cannot is named and left to the others
 * (the replica client sends it nothing while it is down, and tries it again later).
 */
const reachableAny = (urls: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>>, out: OutputOptions) =>
  Effect.gen(function* () {
    if (urls.length === 1) return yield* checkReachable(urls[0]!, env)
    const failures = yield* Effect.forEach(urls, (u) => Effect.flip(checkReachable(u, env)).pipe(Effect.option))
    const down = failures.flatMap((f) => (f._tag === "Some" ? [f.value] : []))
    if (down.length === urls.length) return yield* down[0]!
    for (const e of down) yield* (out.json ? Console.error : Console.log)(`[valuesim] warning: replica ${escapeControl(e.baseUrl)} cannot be reached (${e.detail}); its share goes to the others`)
  })

/**
 * Where requests go, printed before the first one is sent (the API key from the environment goes with them). In a
 * run of several backends the line names the backend (`name`), so two models on one server make two lines that
 * say which is which.
 */
const endpointLine = (backend: BackendSettings, endpoint: string | null, env: Readonly<Record<string, string | undefined>>, name?: string) =>
  backend.kind === "local"
    ? `[valuesim] running ${escapeControl(backend.model)} in this process (node-llama-cpp)`
    : `[valuesim] sending ${name === undefined ? "" : `${escapeControl(name)}'s `}requests to ${escapeControl(hostOf(endpoint ?? DEFAULT_BASE_URL))}${env["OPENAI_API_KEY"] ? " with OPENAI_API_KEY" : ""}`

/** Prints each distinct line once (replicas on one host, `/v1` and `/v1/`, say the same thing). */
const printOnce = (say: (line: string) => Effect.Effect<void>) => {
  const said = new Set<string>()
  return (line: string) => (said.has(line) ? Effect.void : Effect.zipRight(Effect.sync(() => said.add(line)), say(line)))
}

const logEventNow = (db: RunDb, kind: string, detail: unknown) =>
  Effect.flatMap(Clock.currentTimeMillis, (ms) => Effect.sync(() => logEvent(db, new Date(ms).toISOString(), kind, detail)))

/**
 * Opens a run database for writing (an existing one is checked first: `openDatabase`), takes the run's lock
 * (src/run/lock.ts: one writer per run store), uses it, and releases and closes it.
 */
export const withDatabase = <A, E, R>(file: string, mustExist: boolean, use: (db: RunDb) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(openDatabase(file, { mustExist, writes: true }), (db) => withRunLock(path.dirname(file), use(db)), (db) => Effect.sync(() => db.close()))

/**
 * Creates the folder of a new run of `spec` under `runsDir` with its plan stored (and `manifest` entries, if
 * given). The plan is written in a staging folder renamed into place, so a run folder never exists without it.
 * The run's lock (src/run/lock.ts) is taken in the staging folder and held until the caller's scope closes.
 * With `keepReserve` the space set aside for recording a status on a full disk (`reserveSpace`) stays for the
 * run that follows (`driveRun` gives it back); otherwise it is given back at once.
 */
export const createPlannedRun = (
  spec: RunSpec,
  runsDir: string,
  now: number,
  manifest?: Readonly<Record<string, unknown>>,
  keepReserve = false,
  /** The condition of each agent when they are given (a branch keeps its parent's), else drawn from the seed. */
  population?: Int32Array
) =>
  Effect.gen(function* () {
    const base = `${stamp(now)}-${spec.study.id}-s${spec.seed}`
    // The plan is written in a staging folder, which is removed unless it became the run folder.
    return yield* Effect.acquireUseRelease(
      stageRunDir(runsDir, base),
      (staging) =>
        Effect.gen(function* () {
          // Locked before the plan is written and held (moved along) once it is the run folder, so no other
          // command writes to the new run before this one is done with it.
          const lock = yield* scopedRunLock(staging)
          let { id, i } = freeRunId(runsDir, base)
          const stagedFile = path.join(staging, "run.sqlite")
          // A full disk here keeps nothing: the staging folder goes with the error.
          const keptNothing = (fault: RunStoreError) =>
            new RunStoreError({ ...fault, runDir: path.join(runsDir, id), next: "nothing was kept; free some space and start the run again" })
          const atStart = (e: unknown): unknown => {
            const fault = storeErrorOf(runsDir, e)
            return fault === null ? e : keptNothing(fault)
          }
          const reserved = reserveSpace(staging)
          if (reserved !== null) return yield* keptNothing(reserved)
          const plan = (db: RunDb) => {
            planRun(db, spec, id, new Date(now).toISOString(), population)
            if (manifest !== undefined) putManifest(db, { ...manifest })
          }
          yield* withDatabase(stagedFile, false, (db) => Effect.try({ try: () => plan(db), catch: atStart })).pipe(
            Effect.mapError(atStart),
            Effect.catchIf((e): e is unknown => !(e instanceof RunStoreError || e instanceof SpecFileError || e instanceof DatabaseError), Effect.die)
          )
          // Another run may have taken the id meanwhile: then the next free one, recorded before the rename.
          for (;;) {
            const target = path.join(runsDir, id)
            const moved = yield* Effect.try({
              try: () => {
                try {
                  fs.renameSync(staging, target)
                  return true
                } catch (e) {
                  const code = (e as NodeJS.ErrnoException).code
                  if (code === "EEXIST" || code === "ENOTEMPTY") return false
                  throw e
                }
              },
              catch: (e) => new SpecFileError({ file: runsDir, problems: [`--runs-dir: cannot create the run folder (${(e as Error).message})`] })
            })
            if (moved) {
              lock.moveTo(target)
              if (!keepReserve) releaseSpace(target)
              return { runDir: target, runId: id }
            }
            ;({ id, i } = freeRunId(runsDir, base, i + 1))
            const newId = id
            yield* withDatabase(stagedFile, true, (db) => Effect.sync(() => putManifest(db, { run_id: newId })))
          }
        }),
      (staging) => Effect.sync(() => fs.rmSync(staging, { recursive: true, force: true }))
    )
  })

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
    const say = printOnce(out.json ? Console.error : Console.log)
    const names = planned.backends === undefined ? undefined : backendNames(planned)
    for (const [b, backend] of backendsOf(planned).entries()) {
      if (backend.kind === "synthetic") {
        preloaded.push([])
        continue
      }
      for (const url of replicaUrls(backend)) yield* say(endpointLine(backend, url, env, names?.[b]))
      // `--scoring auto`: the capability probe chooses the method; its replies to the run's first question are kept.
      const probed = backend.kind === "openai" && backend.scoringAuto === true ? yield* autoProbe(specOfBackend(spec0, b), env) : null
      if (probed !== null) {
        probes.push(probed.result)
        probeExtra += probed.result.requests - probed.preloaded.length
        for (const line of probeTable(probed.result)) yield* (out.json ? Console.error : Console.log)(`[valuesim] probe ${line.trimStart()}`)
        spec0 = withBackend(spec0, b, { ...backend, scoring: probed.result.method })
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
        const { runDir, runId } = yield* createPlannedRun(spec, runsDir, now, probes.length === 0 ? undefined : { probe: probes }, true)
        const dbFile = path.join(runDir, "run.sqlite")
        return yield* withDatabase(dbFile, false, (db) =>
          driveRun({
            db, dbFile, runId, runDir, spec, env, out, preloaded, prices, endpoint: spec.backend.baseUrl, cacheDir,
            // The probe's requests not kept as the run's own (those are counted as preloaded requests).
            probeRequests: probeExtra
          })
        )
      })
    )
  })

/** The plan of an existing run folder (a usage error when the folder holds none). */
export const specOf = (db: RunDb, dbFile: string) =>
  Effect.gen(function* () {
    const manifest = getManifest(db)
    const spec = manifest["spec"] as RunSpec | undefined
    const runId = manifest["run_id"] as string | undefined
    if (spec === undefined || runId === undefined) {
      return yield* new SpecFileError({ file: dbFile, problems: ["manifest: the run has no plan (it was never started properly)"] })
    }
    return { spec, runId }
  })

/** What `resume` may change: where requests go and how long one may take. */
export interface ResumeOverrides {
  readonly baseUrl?: string | undefined
  readonly timeoutMs?: number | undefined
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
        const withTimeout = (b: BackendSettings): BackendSettings => (overrides.timeoutMs === undefined ? b : { ...b, timeoutMs: overrides.timeoutMs })
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
        return yield* driveRun({ db, dbFile, runId, runDir, spec: resumed, env, out, preloaded: [], prices, endpoint, cacheDir: runCacheDir(out, env) })
      })
    )
  })
