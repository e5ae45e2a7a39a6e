/**
 * Where a run starts: the hidden staging folder a new run's plan is written in before it becomes the run folder
 * (src/run/plan.ts `createPlannedRun` renames it into place), so a run folder never exists without its plan.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathInside } from "../config/ids.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { STAGING_PREFIX } from "../store/outputGuard.js"
import { faultOf, storeErrorOf } from "../store/storeFault.js"
import { processAlive } from "./liveness.js"

/**
 * Creates a hidden staging folder `<runsDir>/.staging-<base>-<pid>` for a new run; `createPlannedRun` renames it to
 * `<runsDir>/<run-id>/` once the plan is stored, so a run folder never exists without its plan (a kill or a full
 * disk while it is written leaves no empty run folder). Staging folders of processes no longer alive are removed.
 */
export const stageRunDir = (runsDir: string, base: string) =>
  // Checked before anything is created: the run folder must land inside runsDir whatever the id holds.
  Effect.zipRight(pathInside(runsDir, base, "id"), Effect.try({
    try: () => {
      fs.mkdirSync(runsDir, { recursive: true })
      for (const name of fs.readdirSync(runsDir)) {
        const pid = name.startsWith(STAGING_PREFIX) ? Number(name.slice(name.lastIndexOf("-") + 1)) : NaN
        if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) fs.rmSync(path.join(runsDir, name), { recursive: true, force: true })
      }
      const staging = path.join(runsDir, `${STAGING_PREFIX}${base}-${process.pid}`)
      fs.rmSync(staging, { recursive: true, force: true })
      fs.mkdirSync(staging)
      return staging
    },
    catch: (e) =>
      storeErrorOf(runsDir, faultOf(e) === "full" ? e : null) ??
      new SpecFileError({ file: runsDir, problems: [`--runs-dir: cannot create the run folder (${(e as Error).message})`] })
  }))
