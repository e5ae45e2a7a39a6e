import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { AnalysisOptions } from "../analysis/analyzeRun.js"
import { analyzeRun } from "../analysis/analyzeRun.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { fitToWidth, outputWidth } from "../report/fitWidth.js"
import { renderText } from "../report/text.js"
import { pairWith } from "../experiments/pairing.js"
import { filesUnder, refuseUnsafeOutput, runInputs } from "../store/outputGuard.js"
import { noSpaceOf, writeThroughPartial } from "../store/storeFault.js"

export type ReportFormat = "text" | "json" | "html"

/** Writes a file under a temporary name and renames it, so a reader never sees half a report. */
export const writeAtomically = (file: string, content: string, flag: string) =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
      return writeThroughPartial(file, (tmp) => {
        fs.writeFileSync(tmp, content)
        return file
      })
    },
    // No space: exit 5, as for a run store; anything else about --out is a bad argument (exit 2).
    catch: (e) => noSpaceOf(file, e) ?? new SpecFileError({ file, problems: [`${flag}: cannot write the file (${(e as Error).message})`] })
  })

/**
 * Analyses a run and renders the report. Returns the rendered text and, when it was written to a file, where.
 * HTML always goes to a file (`<run-dir>/report.html` unless `out` is given); text and JSON go to stdout unless
 * `out` is given.
 */
export const reportRun = (runDir: string, format: ReportFormat, out: string | undefined, options: AnalysisOptions, pairedWith?: string) =>
  Effect.gen(function* () {
    const target = out ?? (format === "html" ? path.join(runDir, "report.html") : undefined)
    // Checked before the analysis: never over the run store, a staging folder or a baseline file being read.
    // --paired-with's run is read too.
    const pairedInputs = pairedWith === undefined ? [] : runInputs(pairedWith)
    if (target !== undefined) yield* refuseUnsafeOutput("--out", [target], [...runInputs(runDir), ...pairedInputs, ...(options.baselines ?? []).flatMap(filesUnder)])
    const analysed = yield* analyzeRun(runDir, options)
    // --paired-with: the other run of the same agents, compared agent by agent (src/experiments/pairing.ts).
    const report = pairedWith === undefined ? analysed : { ...analysed, pairedWith: yield* pairWith(runDir, pairedWith, options.bootstrap.level) }
    const rendered =
      format === "json"
        ? JSON.stringify(report)
        : format === "text"
          ? // To the terminal's width on a terminal, else (a pipe, a file) 80 columns.
            fitToWidth(renderText(report), out === undefined ? outputWidth() : 80)
          : // Loaded on demand: Vega is large, and only HTML needs it.
            yield* Effect.promise(() => import("../report/html.js").then((m) => m.renderHtml(report)))
    if (target === undefined) return { report, rendered, file: null }
    yield* writeAtomically(target, format === "json" ? rendered + "\n" : rendered, "--out")
    return { report, rendered, file: target }
  })
