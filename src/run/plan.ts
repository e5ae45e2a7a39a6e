/**
 * Where a run starts: the seeded plan of a new run (conditions, the allocation of agents, every unit pending),
 * written in a staging folder (src/run/staging.ts) that becomes the run folder only once the plan is stored, with
 * the run's lock (src/run/lock.ts) held from the start; and opening an existing run's store for writing.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { RunSpec } from "../config/RunSpec.js"
import { backendsOf } from "../config/RunSpec.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { versions } from "../app/version.js"
import { planMatches } from "../engine/GameRunner.js"
import { planSociety } from "../society/runSociety.js"
import { assignConditions, largestRemainder, multinomialCounts } from "../sampling/allocation.js"
import { stream } from "../sampling/rng.js"
import { writePlan } from "../store/plan.js"
import { stepAgents } from "../experiments/assignment.js"
import { DatabaseError, getManifest, openDatabase, putManifest, type RunDb } from "../store/RunStore.js"
import { releaseSpace, reserveSpace, RunStoreError, storeErrorOf } from "../store/storeFault.js"
import { scopedRunLock, withRunLock } from "../run/lock.js"
import { stageRunDir } from "../run/staging.js"

export const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)

/** The first free run id for `base` in runsDir: `base`, then `base-2`, `base-3`, … */
export const freeRunId = (runsDir: string, base: string, from = 1) => {
  for (let i = from; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`
    if (!fs.existsSync(path.join(runsDir, id))) return { id, i }
  }
}

/**
 * Writes the plan of a new run: conditions, the seeded allocation of agents to conditions, items, every
 * (step, agent) unit as pending, and the manifest, in one transaction (`writePlan`).
 */
export const planRun = (db: RunDb, spec: RunSpec, runId: string, createdAt: string, given?: Int32Array) => {
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
