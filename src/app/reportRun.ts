import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { AnalysisOptions } from "../analysis/analyzeRun.js"
import { analyzeRun } from "../analysis/analyzeRun.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { fitToWidth, outputWidth } from "../report/fitWidth.js"
import { renderText } from "../report/text.js"

export type ReportFormat = "text" | "json" | "html"

/** Writes a file under a temporary name and renames it, so a reader never sees half a report. */
export const writeAtomically = (file: string, content: string, flag: string) =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
      const tmp = `${file}.partial`
      fs.writeFileSync(tmp, content)
      fs.renameSync(tmp, file)
      return file
    },
    catch: (e) => new SpecFileError({ file, problems: [`${flag}: cannot write the file (${(e as Error).message})`] })
  })

/**
 * Analyses a run and renders the report. Returns the rendered text and, when it was written to a file, where.
 * HTML always goes to a file (`<run-dir>/report.html` unless `out` is given); text and JSON go to stdout unless
 * `out` is given.
 */
export const reportRun = (runDir: string, format: ReportFormat, out: string | undefined, options: AnalysisOptions) =>
  Effect.gen(function* () {
    const report = yield* analyzeRun(runDir, options)
    const rendered =
      format === "json"
        ? JSON.stringify(report)
        : format === "text"
          ? // To the terminal's width on a terminal, else (a pipe, a file) 80 columns.
            fitToWidth(renderText(report), out === undefined ? outputWidth() : 80)
          : // Loaded on demand: Vega is large, and only HTML needs it.
            yield* Effect.promise(() => import("../report/html.js").then((m) => m.renderHtml(report)))
    const target = out ?? (format === "html" ? path.join(runDir, "report.html") : undefined)
    if (target === undefined) return { report, rendered, file: null }
    yield* writeAtomically(target, format === "json" ? rendered + "\n" : rendered, "--out")
    return { report, rendered, file: target }
  })
