import { makeSocietyPanel } from "../society/live.js"
import { makeExperimentPanel } from "../experiments/live.js"
import { escapeControl, resumeCommand } from "../domain/printable.js"
import { massThresholdOf } from "../scoring/methods.js"
import { scoringCode } from "../store/encoding.js"
import { Clock, Duration, Effect, Exit, Schedule } from "effect"
import type { LoadedBaseline, ValueCorrelations, ValueHierarchy } from "../config/BaselineFile.js"
import { loadBaselineDir, SHIPPED_BASELINES_DIR } from "../config/BaselineFile.js"
import type { RunSpec } from "../config/RunSpec.js"
import { backendIdentity, backendNames, backendOfAgent, backendsOf } from "../config/RunSpec.js"
import { armLabel } from "../experiments/arms.js"
import type { RunCounters } from "../progress/counters.js"
import type { LiveGameFigure, LiveHuman } from "../progress/liveFeed.js"
import { makeLiveFeed } from "../progress/liveFeed.js"
import { forEachRespondent, readAgentConditions, readDoneByCondition, readStepTotals, readUnitStatesByBlock } from "../store/reads.js"
import type { WriteOp, RunDb } from "../store/RunStore.js"
import type { AskedState } from "../store/society.js"
import type { WriterStats } from "../store/ResultWriter.js"
import { pricesFor, type PriceSetting } from "../config/PricesFile.js"
import { cliCommand } from "./invocation.js"

// A full-size frame costs ink and React 10-25 ms of CPU (ink re-tokenises every styled character) and a
// statistics snapshot with its bootstrap a few ms: one frame a second (keys redraw at once) and statistics every
// three seconds (npm run bench); progress is read as often as drawn.
const PROGRESS_MS = 1000
const STATS_MS = 3000
const FRAME_MS = 1000

/** The live panel compares with ESS Sweden, the sample and instrument the default population's shares come from. */
const LIVE_STRUCTURE = "ess-sweden-1441.correlations-centered"
const LIVE_HIERARCHY = "ess-sweden-1441.hierarchy"

const liveBaselines = (baselines: ReadonlyArray<LoadedBaseline>) => {
  const structure = baselines.find((b) => b.baseline.kind === "value-correlations" && b.baseline.id === LIVE_STRUCTURE)?.baseline as ValueCorrelations | undefined
  const hierarchy = baselines.find((b) => b.baseline.kind === "value-hierarchy" && b.baseline.id === LIVE_HIERARCHY)?.baseline as ValueHierarchy | undefined
  const human: LiveHuman | null = structure
    ? {
        title: structure.title,
        labels: structure.labels,
        matrix: structure.matrix,
        hierarchy: hierarchy ? structure.labels.map((l) => hierarchy.means[l] ?? 0) : null,
        hierarchyTitle: hierarchy?.title ?? null
      }
    : null
  const games: Array<LiveGameFigure> = baselines.flatMap((lb) => {
    const b = lb.baseline as { kind: string; figures?: ReadonlyArray<{ game: string; metric: string; value: number; round?: number }> }
    return b.kind === "game-outcomes" && b.figures ? b.figures.filter((f) => f.round === undefined).map((f) => ({ game: f.game, metric: f.metric, value: f.value })) : []
  })
  return { human, games }
}

export interface DashboardHooks {
  /** Awaited before work is sent or computed: closed while the user has paused. */
  readonly gate: Effect.Effect<void>
  /** The writer's observer: feeds per-step and per-condition progress and the live statistics. */
  readonly observe: (op: WriteOp) => void
  /** Lets the dashboard read the writer's and scheduler's counters. */
  readonly attach: (writer: WriterStats, inFlight: () => number) => void
  /** What `q` / Ctrl-C does: interrupt the run's work (set by the engine once it has forked it). */
  readonly onStop: (stop: () => void) => void
}

/**
 * Starts the live terminal dashboard for a run (TTY only) in the current scope. It publishes events to the
 * pure reducer: progress every second, statistics every 3 s; the UI redraws once a second, and at once on a key.
 * `q`/Ctrl-C interrupts the run like a SIGINT (finished answers are kept; `valuesim resume` continues), `p`
 * closes or opens the gate. Closing the scope draws the last frame and restores the terminal.
 */
/**
 * What the dashboard needs before the run starts: its worker thread with ink and React loaded, the shipped
 * baselines and the user's prices. Made before the run's clock starts, so the one-off start-up is not run time;
 * fails (and the run shows progress lines) when the worker cannot start.
 */
export const prepareDashboard = (prices: PriceSetting) => Effect.gen(function* () {
  const { spawnTuiWorker } = yield* Effect.promise(() => import("../ui/tuiHost.js"))
  const worker = yield* Effect.tryPromise({ try: () => spawnTuiWorker(), catch: (e) => (e instanceof Error ? e.message : String(e)) })
  const baselines = yield* loadBaselineDir(SHIPPED_BASELINES_DIR).pipe(Effect.orElseSucceed(() => []))
  return { worker, prices, ...liveBaselines(baselines) }
})

export type PreparedDashboard = Effect.Effect.Success<ReturnType<typeof prepareDashboard>>

export const startDashboard = (
  prepared: PreparedDashboard,
  db: RunDb,
  spec: RunSpec,
  run: { readonly runId: string; readonly runDir: string },
  counters: RunCounters
) =>
  Effect.gen(function* () {
    const { worker, human, games } = prepared
    const agentCondition = readAgentConditions(db)
    const feed = makeLiveFeed(spec, (a) => agentCondition[a] ?? 0, human, games)
    // Several backends: a progress row per step and model; the live statistics are the first model's (pages and
    // matches never span two backends, so an op belongs to the backend of its first agent).
    const names = backendNames(spec)
    const several = spec.backends !== undefined
    const firstModel = (agentId: number | undefined) => !several || agentId === undefined || backendOfAgent(spec, agentId) === 0
    // A resumed run's statistics start from every respondent already saved, not only those of this session
    // (read after the first frame is up: a large run takes a moment).
    const preloadAnswered = () => {
      if (feed.valueStep < 0 || feed.valueItems === 0) return
      forEachRespondent(db, feed.valueStep, feed.valueItems, (agentId, _condition, values) => {
        if (firstModel(agentId)) feed.addAnswered(agentId, values)
      })
    }
    const totals = readStepTotals(db)
    const stepTotal = spec.steps.map((_, i) => totals.filter((r) => r.step === i).reduce((s, r) => s + r.unitsPending + r.unitsDone + r.unitsFailed, 0))
    const stepDone = spec.steps.map((_, i) => totals.filter((r) => r.step === i).reduce((s, r) => s + r.unitsDone, 0))
    const stepFailed = spec.steps.map(() => 0)
    const condAgents = spec.population.conditions.map(() => 0)
    for (const c of agentCondition) condAgents[c] = (condAgents[c] ?? 0) + 1
    // A resumed run starts from what is already done: per condition, and the answers (and game moves) saved.
    const condDone = spec.population.conditions.map(() => 0)
    for (const r of readDoneByCondition(db)) condDone[r.c] = r.n
    // The writer's counters: questionnaire answers and game moves alike.
    const answersBefore = totals.reduce((n, r) => n + r.answers, 0)
    const nB = backendsOf(spec).length
    const blocks = several ? readUnitStatesByBlock(db, spec.agents) : []
    const rowOf = (step: number, b: number) => step * nB + b
    const rowTotal = new Array<number>(spec.steps.length * nB).fill(0)
    const rowDone = new Array<number>(spec.steps.length * nB).fill(0)
    const rowFailed = new Array<number>(spec.steps.length * nB).fill(0)
    for (const r of blocks) {
      const i = rowOf(r.step, Math.min(nB - 1, r.block))
      rowTotal[i] = (rowTotal[i] ?? 0) + r.total
      rowDone[i] = (rowDone[i] ?? 0) + r.done
    }
    const doneUnit = (step: number, agentId: number, failed: boolean) => {
      if (failed) stepFailed[step] = (stepFailed[step] ?? 0) + 1
      else stepDone[step] = (stepDone[step] ?? 0) + 1
      if (several) {
        const i = rowOf(step, backendOfAgent(spec, agentId))
        if (failed) rowFailed[i] = (rowFailed[i] ?? 0) + 1
        else rowDone[i] = (rowDone[i] ?? 0) + 1
      }
      const c = agentCondition[agentId] ?? 0
      condDone[c] = (condDone[c] ?? 0) + 1
    }
    const society = makeSocietyPanel(spec)
    const experiments = makeExperimentPanel(spec, spec.agents)
    const LOGPROB = scoringCode("logprob")
    // Answers drawn from logprob distributions whose option mass is below the threshold, flagged as they arrive.
    const threshold = massThresholdOf(spec.backend)
    let lowMass = 0
    const fromLogprobs = (method: string | undefined) => method === undefined || method === "logprob" || method === "constrained"
    const countLowMass = (op: WriteOp) => {
      // Game moves and society decisions drawn from a logprob distribution of low mass count as answers do.
      if (op._tag === "Match") {
        for (const m of op.moves) if (fromLogprobs(m.scoring) && typeof m.mass === "number" && m.mass < threshold) lowMass++
        return
      }
      if (op._tag === "SocietyRound") {
        for (const a of op.asked === null ? [] : (JSON.parse(op.asked) as Array<AskedState>)) {
          if (fromLogprobs(a.method) && typeof a.mass === "number" && a.mass < threshold) lowMass += a.agents ?? 0
        }
        return
      }
      if (op._tag !== "AnswerPage" || op.masses === null || op.masses === undefined) return
      for (let n = 0; n < op.masses.length; n++) if (op.scoring[n] === LOGPROB && op.masses[n]! < threshold) lowMass++
    }
    const observe = (op: WriteOp) => {
      if (op._tag === "SocietyRound") {
        if (op.failed) stepFailed[op.step] = (stepFailed[op.step] ?? 0) + 1
        else stepDone[op.step] = (stepDone[op.step] ?? 0) + 1
        society.observe(op)
        countLowMass(op)
        return
      }
      countLowMass(op)
      if (op._tag === "AnswerPage") for (let a = 0; a < op.agentIds.length; a++) doneUnit(op.step, op.agentIds[a]!, op.failed?.[a] === 1)
      else if (op._tag === "Match") for (const a of op.members) doneUnit(op.step, a, op.failed)
      if (op._tag === "AnswerPage" ? firstModel(op.agentIds[0]) : op._tag === "Match" ? firstModel(op.members[0]) : true) {
        feed.observe(op)
        experiments.observe(op)
      }
    }
    const steps = () =>
      several
        ? spec.steps.flatMap((s, i) =>
            names.map((name, b) => ({ id: `${armLabel(s)} · ${name}`, kind: s.kind, unitsTotal: rowTotal[rowOf(i, b)]!, unitsDone: rowDone[rowOf(i, b)]!, unitsFailed: rowFailed[rowOf(i, b)]! }))
          )
        : spec.steps.map((s, i) => ({ id: armLabel(s), kind: s.kind, unitsTotal: stepTotal[i]!, unitsDone: stepDone[i]!, unitsFailed: stepFailed[i]! }))
    const conditions = () => spec.population.conditions.map((c, i) => ({ condition: c.id, agents: condAgents[i]!, unitsDone: condDone[i]! }))
    let writer: WriterStats | null = null
    let inFlight: () => number = () => 0
    const progressEvent = (atMs: number) =>
      ({
        _tag: "Progress",
        atMs,
        steps: steps(),
        conditions: conditions(),
        answers: answersBefore + (writer?.answers ?? 0),
        requests: counters.requests,
        cached: counters.cacheHits,
        inFlight: inFlight(),
        retries: counters.retries,
        failuresByReason: { ...counters.failures },
        promptTokens: counters.promptTokens,
        completionTokens: counters.completionTokens,
        ...(lowMass > 0 ? { lowMass } : {})
      }) as const
    const latch = yield* Effect.makeLatch(true)
    let stopper: () => void = () => undefined
    const t0Stop = () => stopper()
    // The first frame is the run's own (with a resumed run's saved counts and answers), not an empty one:
    // Started and a first progress sample go with the start of the drawing.
    const startedAt = yield* Clock.currentTimeMillis
    const started = {
      _tag: "Started",
      atMs: startedAt,
      run: {
        runId: run.runId,
        study: spec.study.id,
        ...backendIdentity(spec.backend),
        ...(several ? { model: `${names.join(" | ")} (live statistics: ${names[0]})` } : {}),
        agents: spec.agents * nB,
        runDir: run.runDir,
        command: cliCommand()
      },
      steps: steps(),
      conditions: conditions(),
      prices: pricesFor(spec.backend, prepared.prices)
    } as const
    const tui = yield* Effect.acquireRelease(
      Effect.sync(() =>
        worker.start({
          stdout: process.stdout,
          stdin: process.stdin,
          frameMs: FRAME_MS,
          initial: [started, progressEvent(startedAt)],
          // Interrupts the run's work fiber: the same clean stop as Ctrl-C in a plain terminal (finished answers
          // are flushed, the manifest says interrupted), without a signal that the terminal library also hooks.
          onStop: () => {
            t0Stop()
          },
          onPause: (paused) => {
            if (paused) latch.unsafeClose()
            else latch.unsafeOpen()
            tui.dispatch({ _tag: "Paused", paused, atMs: performance.timeOrigin + performance.now() })
          }
        })
      ),
      (t, exit) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const interrupted = Exit.isInterrupted(exit)
          // The last frame shows the final counts: a run shorter than one progress tick would otherwise end at 0 %.
          t.dispatch(progressEvent(now))
          const last = feed.stats()
          if (last !== null) t.dispatch({ _tag: "Stats", stats: last })
          const societyLines = society.lines()
          if (societyLines !== null) t.dispatch({ _tag: "Society", lines: societyLines })
          const experimentLines = experiments.lines()
          if (experimentLines !== null) t.dispatch({ _tag: "Experiments", lines: experimentLines })
          // A finished run stays on screen with its statistics (the run's figures follow as lines); a stopped or
          // failed one with the run panel, which says how to resume.
          t.dispatch({ _tag: "Panel", panel: (last !== null || societyLines !== null || experimentLines !== null) && Exit.isSuccess(exit) ? "stats" : "run" })
          t.dispatch({
            _tag: "Finished",
            atMs: now,
            status: interrupted ? "interrupted" : Exit.isSuccess(exit) ? "complete" : "incomplete",
            message: interrupted ? `stopped; finished answers are saved. Continue with: ${resumeCommand(run.runDir, cliCommand())}` : `finished → ${escapeControl(run.runDir)}`
          })
          yield* Effect.promise(() => t.close())
        })
    )
    preloadAnswered()
    const progress = Effect.map(Clock.currentTimeMillis, (at) => tui.dispatch(progressEvent(at)))
    const stats = Effect.sync(() => {
      const s = feed.stats()
      if (s !== null) tui.dispatch({ _tag: "Stats", stats: s })
      const lines = society.lines()
      if (lines !== null) tui.dispatch({ _tag: "Society", lines })
      const arms = experiments.lines()
      if (arms !== null) tui.dispatch({ _tag: "Experiments", lines: arms })
    })
    // A progress sample and a frame a second, statistics every three seconds: enough to watch, cheap enough
    // that the run keeps ≥ 95 % of its speed (`npm run bench` measures it).
    yield* Effect.forkScoped(Effect.repeat(Effect.delay(progress, Duration.millis(PROGRESS_MS)), Schedule.forever))
    yield* Effect.forkScoped(Effect.repeat(Effect.delay(stats, Duration.millis(STATS_MS)), Schedule.forever))
    return {
      gate: latch.await,
      observe,
      attach: (w, f) => {
        writer = w
        inFlight = f
      },
      onStop: (stop) => {
        stopper = stop
      }
    } satisfies DashboardHooks
  })
