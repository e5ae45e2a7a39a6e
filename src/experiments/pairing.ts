/**
 * Two runs of the same agents side by side (issue 24): a branch and its parent (`report CHILD --paired-with
 * PARENT`), or any two runs of one plan. Every step both runs have (same position, same questionnaire or game)
 * is compared outcome by outcome, agent by agent: the paired difference child − parent with a bootstrap CI and a
 * sign-flip permutation p, BH-adjusted across the outcomes. Steps a branch reused are marked (their difference
 * is 0 by construction).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { stepId, type RunSpec } from "../config/RunSpec.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { stream } from "../sampling/rng.js"
import { mean } from "../stats/descriptive.js"
import { pairedEffect } from "../stats/effects.js"
import { benjaminiHochberg } from "../stats/inference.js"
import { getManifest, openDatabase, type RunDb } from "../store/RunStore.js"
import { EFFECT_ITERATIONS, EFFECT_PERMUTATIONS, outcomesOf, type Interval } from "./analysis.js"

export interface PairedOutcome {
  readonly outcome: string
  readonly kind: "subscale" | "decision"
  readonly means: { readonly parent: number | null; readonly child: number | null }
  /** child − parent, mean over the agents both runs have an outcome for. */
  readonly effect: number | null
  readonly ci: Interval
  readonly p: number | null
  readonly pAdjusted: number | null
  readonly n: number
}

export interface PairedStep {
  readonly step: number
  readonly id: string
  readonly arm: string | null
  /** The parent's arm of this step, when it differs from the child's (a branch with `--arm`). */
  readonly parentArm?: string | null
  /** The branch copied this step from the parent (so the two are identical). */
  readonly reused: boolean
  readonly outcomes: ReadonlyArray<PairedOutcome>
}

export interface PairedRuns {
  readonly parent: { readonly runId: string; readonly runDir: string }
  /** The branch's first re-run step, when the run is a branch of that parent; null otherwise. */
  readonly fromStep: number | null
  readonly steps: ReadonlyArray<PairedStep>
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null)

/** The paired comparison of two open run stores. */
export const pairRuns = (child: RunDb, parent: RunDb, parentDir: string, level = 0.95): PairedRuns => {
  const cm = getManifest(child)
  const pm = getManifest(parent)
  const cs = cm["spec"] as RunSpec
  const ps = pm["spec"] as RunSpec
  const branch = cm["branch"] as { parentRunId?: string; fromStep?: number } | undefined
  const fromStep = branch !== undefined && branch.parentRunId === pm["run_id"] ? (branch.fromStep ?? null) : null
  const raw: Array<Omit<PairedStep, "outcomes"> & { outcomes: Array<Omit<PairedOutcome, "pAdjusted">> }> = []
  for (let step = 0; step < Math.min(cs.steps.length, ps.steps.length); step++) {
    const c = cs.steps[step]!
    const p = ps.steps[step]!
    if (c.kind !== p.kind || stepId(c) !== stepId(p)) continue
    const co = outcomesOf(child, cs, step)
    const po = outcomesOf(parent, ps, step)
    const outcomes = [...co.values.keys()].flatMap((outcome) => {
      const cv = co.values.get(outcome)!
      const pv = po.values.get(outcome)
      if (pv === undefined) return []
      const x: Array<number> = []
      const y: Array<number> = []
      for (const [agent, v] of pv) {
        const w = cv.get(agent)
        if (w === undefined) continue
        x.push(v)
        y.push(w)
      }
      const e = pairedEffect(x, y, { iterations: EFFECT_ITERATIONS, permutations: EFFECT_PERMUTATIONS, level, rng: stream(cs.seed, "paired-runs", step, outcome) })
      return [{
        outcome,
        kind: co.kind,
        means: { parent: num(mean(x)), child: num(mean(y)) },
        effect: num(e.effect),
        ci: { level, lower: num(e.ci.lower), upper: num(e.ci.upper) },
        p: num(e.p),
        n: e.n
      }]
    })
    const parentArm = p.arm?.name ?? null
    raw.push({ step, id: stepId(c), arm: c.arm?.name ?? null, ...(parentArm === (c.arm?.name ?? null) ? {} : { parentArm }), reused: fromStep !== null && step < fromStep, outcomes })
  }
  // The reused steps are identical by construction: they are shown, but not tested.
  const tested = raw.flatMap((s) => s.outcomes.map((o) => (s.reused ? NaN : (o.p ?? NaN))))
  const adjusted = benjaminiHochberg(tested)
  let k = 0
  return {
    parent: { runId: String(pm["run_id"] ?? path.basename(parentDir)), runDir: parentDir },
    fromStep,
    steps: raw.map((s) => ({ ...s, outcomes: s.outcomes.map((o) => ({ ...o, pAdjusted: num(adjusted[k++]!) })) }))
  }
}

/** Opens both runs read-only and pairs them. */
export const pairWith = (childDir: string, parentDir: string, level = 0.95) => {
  const open = (dir: string) => {
    const file = path.join(dir, "run.sqlite")
    return Effect.acquireRelease(
      fs.existsSync(file)
        ? openDatabase(file, { mustExist: true, readonly: true })
        : Effect.fail(new SpecFileError({ file: dir, problems: ["--paired-with: no run.sqlite here; is this a run folder?"] })),
      (db) => Effect.sync(() => db.close())
    )
  }
  return Effect.scoped(Effect.gen(function* () {
    const child = yield* open(childDir)
    const parent = yield* open(parentDir)
    return pairRuns(child, parent, parentDir, level)
  }))
}
