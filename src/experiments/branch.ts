/**
 * `valuesim branch RUN-DIR --from-step K [changes]` (issue 24): a new run that keeps the parent's agents (ids and
 * conditions) and the stored work of its steps 0 … K−1 — copied, so no request is sent for them — and runs the
 * steps from K on with the changes: a new seed (new draws; on the synthetic backend also a new latent profile
 * per agent for the later steps; each agent keeps its arm), another model, backend or endpoint, other game
 * parameters (`--param`), or one arm of a later experiment in place of all of its arms (`--arm`). With no change
 * the later steps are run again as they were. The child's manifest names its parent, so `report CHILD
 * --paired-with PARENT` can pair the two runs agent by agent (src/experiments/pairing.ts).
 */
import { Clock, Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { BackendKind, BackendSettings, RunSpec, Step } from "../config/RunSpec.js"
import { SpecFileError, UsageError } from "../config/SpecFileError.js"
import { resolveBackend } from "../config/StudyFile.js"
import { makeGame } from "../games/index.js"
import { copyStepsFrom } from "../store/branch.js"
import { playedThrough } from "./context.js"
import { readAgentConditions } from "../store/reads.js"
import { openDatabase } from "../store/RunStore.js"
import { createPlannedRun, resumeRun, specOf, withDatabase, type OutputOptions } from "../app/runStudy.js"

export interface BranchChanges {
  readonly seed?: number | undefined
  readonly backend?: BackendKind | undefined
  readonly model?: string | undefined
  readonly baseUrl?: string | undefined
  /** Game parameters for the game steps from K on (`--param KEY=VALUE`). */
  readonly params?: Readonly<Record<string, unknown>> | undefined
  /**
   * An arm of an experiment from K on (`--arm NAME`): every arm step of that experiment is answered in this arm's
   * wording and rules, by the agents who answered it in the parent, so `report --paired-with` gives, agent by agent,
   * what the other arms' agents answer under this one.
   */
  readonly arm?: string | undefined
}

/** `KEY=VALUE` pairs as game parameters: numbers where the value reads as one, true and false as flags, else text. */
export const parseParams = (pairs: ReadonlyArray<string>) =>
  Effect.forEach(pairs, (pair) => {
    const at = pair.indexOf("=")
    if (at < 1) return Effect.fail(new UsageError({ detail: `--param: expected KEY=VALUE, got "${pair}"` }))
    const raw = pair.slice(at + 1)
    const value: unknown = raw === "true" ? true : raw === "false" ? false : raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw
    return Effect.succeed([pair.slice(0, at), value] as const)
  }).pipe(Effect.map((entries) => Object.fromEntries(entries) as Record<string, unknown>))

const changedBackend = (parent: BackendSettings, c: BranchChanges, env: Readonly<Record<string, string | undefined>>): BackendSettings => {
  if (c.backend !== undefined && c.backend !== parent.kind) {
    return resolveBackend({ scoring: parent.scoring === "constrained" ? "logprob" : parent.scoring, temperature: parent.temperature, concurrency: parent.concurrency }, { backend: c.backend, model: c.model, baseUrl: c.baseUrl }, env)
  }
  if (c.model === undefined && c.baseUrl === undefined) return parent
  const { replicas: _replicas, ...rest } = parent
  return {
    ...(c.baseUrl === undefined ? parent : rest),
    ...(c.model === undefined ? {} : { model: c.model }),
    ...(c.baseUrl === undefined || parent.kind !== "openai" ? {} : { baseUrl: c.baseUrl })
  }
}

/**
 * The steps and experiments with `--arm NAME` applied: each experiment from `fromStep` on that has an arm NAME has
 * every arm step replaced by NAME's (its content, name and planted shift), the experiment then one of a single arm.
 * An arm no experiment from K on has (or one whose experiment starts before K) is a usage error naming the arms.
 */
const withArm = (parent: RunSpec, fromStep: number, arm: string) =>
  Effect.gen(function* () {
    const experiments = [...(parent.experiments ?? [])]
    const steps = [...parent.steps]
    const later = experiments.filter((e) => e.arms.every((a) => a.step >= fromStep))
    const hits = later.filter((e) => e.arms.some((a) => a.name === arm))
    if (hits.length === 0) {
      const names = [...new Set(later.flatMap((e) => e.arms.map((a) => a.name)))]
      return yield* new UsageError({
        detail: `--arm: no experiment from step ${fromStep} on has an arm named "${arm}" (${names.length === 0 ? "it has no arms from that step on" : `arms: ${names.join(", ")}`})`
      })
    }
    for (const e of hits) {
      const source = parent.steps[e.arms.find((a) => a.name === arm)!.step]!
      for (const a of e.arms) steps[a.step] = source
      experiments[experiments.indexOf(e)] = { ...e, control: arm, arms: e.arms.map((a) => ({ name: arm, step: a.step })) }
    }
    return { steps, experiments }
  })

/** The child's plan: the parent's, with the changes applied to the steps from `fromStep` on. */
export const branchSpec = (parent: RunSpec, fromStep: number, c: BranchChanges, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    let games = 0
    const armed = c.arm === undefined ? { steps: parent.steps, experiments: parent.experiments } : yield* withArm(parent, fromStep, c.arm)
    const steps = armed.steps.map((s, i): Step => {
      if (i < fromStep || s.kind !== "game" || c.params === undefined) return s
      games++
      return { ...s, game: { ...s.game, params: { ...s.game.params, ...c.params } } }
    })
    if (c.params !== undefined && games === 0) {
      return yield* new UsageError({ detail: `--param: the run has no game step from step ${fromStep} on to set parameters of` })
    }
    for (const s of steps.slice(fromStep)) {
      if (s.kind !== "game" || c.params === undefined) continue
      const problem = yield* Effect.try(() => makeGame(s.game.game, s.game.params)).pipe(
        Effect.as(null),
        Effect.catchAll((e) => Effect.succeed((e as { error?: Error }).error?.message ?? String(e)))
      )
      if (problem !== null) return yield* new UsageError({ detail: `--param: ${problem} (game ${s.game.id})` })
      const unworded = [...new Set(playedThrough(s.game, "highest").map((m) => m.decision))].find((d) => s.game.prompts.decisions[d] === undefined)
      if (unworded !== undefined) {
        return yield* new UsageError({ detail: `--param: with these parameters game ${s.game.id} asks "${unworded}", which its file does not word (prompts.decisions.${unworded}); branch with --arm to an arm that words it` })
      }
    }
    // A new seed gives new draws, not a new assignment: each agent keeps the arm it had in the parent.
    const experiments = c.seed === undefined || c.seed === parent.seed ? armed.experiments : armed.experiments?.map((e) => ({ ...e, assignmentSeed: e.assignmentSeed ?? parent.seed }))
    const spec: RunSpec = {
      ...parent,
      seed: c.seed ?? parent.seed,
      backend: changedBackend(parent.backend, c, env),
      steps,
      ...(experiments === undefined ? {} : { experiments })
    }
    return spec
  })

/** Creates and runs the branch; its summary, as `run` gives one. */
export const branchRun = (
  parentDir: string,
  fromStep: number,
  changes: BranchChanges,
  runsDir: string,
  env: Readonly<Record<string, string | undefined>>,
  out: OutputOptions
) =>
  Effect.gen(function* () {
    const parentFile = path.join(parentDir, "run.sqlite")
    if (!fs.existsSync(parentFile)) return yield* new SpecFileError({ file: parentDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    const { spec, runId, population } = yield* Effect.acquireUseRelease(
      openDatabase(parentFile, { mustExist: true, readonly: true }),
      (db) => Effect.map(specOf(db, parentFile), (s) => ({ ...s, population: readAgentConditions(db) })),
      (db) => Effect.sync(() => db.close())
    )
    if (spec.backends !== undefined) {
      return yield* new UsageError({ detail: `branch: ${parentDir} is a run of ${spec.backends.length} backends; branch a run of one backend` })
    }
    if (!Number.isInteger(fromStep) || fromStep < 0 || fromStep >= spec.steps.length) {
      return yield* new UsageError({ detail: `--from-step: ${fromStep} is out of range; ${parentDir} has steps 0 to ${spec.steps.length - 1}` })
    }
    const child = yield* branchSpec(spec, fromStep, changes, env)
    const now = yield* Clock.currentTimeMillis
    const manifest = {
      branch: { parent: path.resolve(parentDir), parentRunId: runId, fromStep, changes: { ...changes } }
    }
    // The new run's lock (taken by createPlannedRun) is held while the parent's steps are copied in, then given
    // back for resumeRun, which takes it again to run the rest.
    const { runDir } = yield* Effect.scoped(
      Effect.gen(function* () {
        const created = yield* createPlannedRun(child, runsDir, now, manifest, false, population.subarray(0, spec.agents))
        yield* withDatabase(path.join(created.runDir, "run.sqlite"), true, (db) => Effect.sync(() => copyStepsFrom(db, parentFile, fromStep)))
        return created
      })
    )
    return yield* resumeRun(runDir, env, out)
  })
