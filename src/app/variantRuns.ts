import { Clock, Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { backendIdentity, type BackendIdentity, type RunSpec } from "../config/RunSpec.js"
import type { BootstrapSettings } from "../analysis/alignment.js"
import { pathInside } from "../config/ids.js"
import { SpecFileError } from "../config/SpecFileError.js"
import type { RunOverrides } from "../config/StudyFile.js"
import { getManifest, openDatabase } from "../store/RunStore.js"
import type { OutputOptions, RunSummary } from "./runStudy.js"
import { resumeRun, startRun } from "./runStudy.js"

/**
 * Runs of an experiment made of several variants of one study (robustness checks, priming ablations): each
 * variant's run lives in `<dir>/<variant>/<run-id>/`. Running the same command again with the same folder
 * reuses finished variants, resumes interrupted ones and starts the missing ones, so an experiment is resumable
 * as a whole and every variant's run stays inspectable with `valuesim report`.
 */

/** The default experiment folder: `<runs-dir>/<kind>-<utc stamp>-<study>-s<seed>[-k]`, one that does not exist yet. */
export const experimentDir = (runsDir: string, kind: string, study: string, seed: number) =>
  Effect.gen(function* () {
    const ms = yield* Clock.currentTimeMillis
    const stamp = new Date(ms).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)
    const inside = pathInside(runsDir, `${kind}-${stamp}-${study}-s${seed}`, "id")
    const base = yield* inside
    // A fresh folder: an existing one would be continued, which only `--out` should ask for.
    let dir = base
    for (let k = 2; fs.existsSync(dir); k++) dir = `${base}-${k}`
    return dir
  })

/** The same plan, whatever JSON round trips it went through (undefined fields dropped). */
const planText = (spec: RunSpec) => JSON.stringify(spec)

export interface VariantRun {
  readonly variant: string
  readonly runDir: string
  readonly summary: RunSummary | null
  /** true when a finished run from an earlier invocation was reused. */
  readonly reused: boolean
}

/**
 * Makes sure `<dir>/<variant>` holds a complete run of `spec`: reuses a finished one, resumes an unfinished
 * one, or starts one. A run there with a different plan is an error (use another folder).
 */
export const ensureVariantRun = (
  dir: string,
  variant: string,
  spec: RunSpec,
  env: Readonly<Record<string, string | undefined>>,
  out: OutputOptions
) =>
  Effect.gen(function* () {
    const folder = path.join(dir, variant)
    const existing = fs.existsSync(folder)
      ? fs.readdirSync(folder).filter((f) => fs.existsSync(path.join(folder, f, "run.sqlite"))).sort()
      : []
    if (existing.length > 0) {
      const runDir = path.join(folder, existing[existing.length - 1]!)
      const db = yield* openDatabase(path.join(runDir, "run.sqlite"), { mustExist: true })
      const manifest = yield* Effect.sync(() => getManifest(db)).pipe(Effect.ensuring(Effect.sync(() => db.close())))
      const stored = manifest["spec"] as RunSpec | undefined
      if (stored === undefined || planText(stored) !== planText(spec)) {
        return yield* new SpecFileError({
          file: runDir,
          problems: [`--out: this folder holds a ${variant} run of a different plan (other study, options or backend); give a new --out folder`]
        })
      }
      if (manifest["status"] === "complete") return { variant, runDir, summary: null, reused: true } satisfies VariantRun
      const summary = yield* resumeRun(runDir, env, out)
      return { variant, runDir, summary, reused: false } satisfies VariantRun
    }
    const summary = yield* startRun(spec, folder, env, out)
    return { variant, runDir: summary.runDir, summary, reused: false } satisfies VariantRun
  })

/** What every experiment of variant runs (robustness, priming ablation) is given. */
export interface ExperimentOptions {
  readonly study: string
  readonly overrides: RunOverrides
  readonly baselines: ReadonlyArray<string> | null
  readonly bootstrap: BootstrapSettings
  readonly runsDir: string
  /** The experiment folder; an existing one is continued (finished variants reused). */
  readonly out: string | undefined
  readonly output: OutputOptions
}

/** What every experiment result (robustness, priming ablation) says about the study it ran and where. */
export interface ExperimentHeader extends BackendIdentity {
  readonly study: string
  readonly questionnaire: string
  readonly dir: string
  readonly seed: number
}

export const experimentHeader = (study: RunSpec, questionnaire: string, dir: string): ExperimentHeader => ({
  study: study.study.id,
  questionnaire,
  dir,
  ...backendIdentity(study.backend),
  seed: study.seed
})
