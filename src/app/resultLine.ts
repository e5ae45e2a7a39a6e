/**
 * The few lines that end a run: its headline result (S_V against the baseline the live panel uses, the game
 * outcomes beside their human figures), from the same analysis `valuesim report` runs, restricted to the shipped
 * baselines the headline needs so it takes a fraction of a second.
 */
import { Effect } from "effect"
import * as path from "node:path"
import { analyzeRun, DEFAULT_ANALYSIS } from "../analysis/analyzeRun.js"
import type { Report } from "../analysis/Report.js"
import { outsideCiNote } from "../domain/svOutsideCi.js"
import { SHIPPED_BASELINES_DIR } from "../config/BaselineFile.js"
import * as fs from "node:fs"

/** The baselines of the headline: ESS Sweden (the default population's shares come from it) and the game figures. */
const HEADLINE_BASELINES = ["ess-sweden-1441.correlations-centered.yaml", "ess-sweden-1441.hierarchy.yaml", "flage-2024.dictator.yaml", "oosterbeek-2004.ultimatum.yaml"]

const f3 = (x: number | null) => (x === null ? "–" : x.toFixed(3))

/**
 * The headline lines of an analysed run; [] when it measured nothing with a headline. A run of several backends
 * gets each backend's lines under its name (the report's top-level fields are only the first backend's).
 */
export const headline = (r: Report): Array<string> =>
  r.models === undefined
    ? headlineOf(r)
    : r.models.flatMap((m) => {
        const lines = headlineOf(m.report)
        return lines.length === 0 ? [] : [`${m.name}${m.report.run.synthetic ? " [synthetic: theory model, not an LLM]" : ""}:`, ...lines.map((l) => `  ${l}`)]
      })

const headlineOf = (r: Report): Array<string> => {
  const lines: Array<string> = []
  const vs = r.valueStructure
  if (vs !== null) {
    const c = vs.structureComparisons[0]
    if (c !== undefined && c.sv !== null) {
      const ci = c.bootstrap.ci
      const level = Math.round(ci.level * 100)
      const chance = c.null === null || c.null.mean === null ? "" : `; chance level ${f3(c.null.mean)} (95th percentile ${f3(c.null.q95)})`
      lines.push(
        `result: S_V = ${f3(c.sv)} (${level} % CI ${f3(ci.lower)}–${f3(ci.upper)}${chance}) against ${c.baseline.title}, ${vs.respondents} respondents`
      )
      const outside = outsideCiNote(c.sv, ci, c.bootstrap.mean)
      if (outside !== null) lines.push(`        note: ${outside}`)
    } else if (vs.noVariance !== undefined) {
      lines.push(`result: ${vs.noVariance} (${vs.respondents} respondents)`)
    } else if (vs.respondents > 0) {
      lines.push(`result: value scores of ${vs.respondents} respondents (S_V needs a human structure over the same values: see the report)`)
    }
    const h = vs.hierarchyComparisons[0]
    if (h !== undefined && h.spearman !== null) {
      const circular = h.circularity === null ? "" : " (partly circular: the population's shares come from the same sample)"
      lines.push(`        value hierarchy: Spearman ρ = ${f3(h.spearman)} with ${h.baseline.title}${circular}`)
    }
  }
  for (const g of r.games) {
    const c = g.comparisons.find((x) => x.round === null && x.run !== null)
    const m = g.metrics.find((x) => x.round === null && x.value !== null)
    const prefix = lines.length === 0 ? "result:" : "       "
    if (c !== undefined) lines.push(`${prefix} ${g.scenario}: ${c.metric} ${f3(c.run)} (human ${f3(c.human)}, ${c.baseline.title})`)
    else if (m !== undefined) lines.push(`${prefix} ${g.scenario}: ${m.metric} ${f3(m.value)} over ${m.n} (no human figure for it)`)
  }
  return lines
}

/** The headline of a finished run; [] when the analysis cannot be made (the run itself is not affected). */
export const runHeadline = (runDir: string) =>
  analyzeRun(runDir, {
    // The report's own settings (bootstrap, label permutations, seeded streams per baseline), so the closing line
    // prints the very S_V, CI and chance level that `valuesim report` prints for the same baseline.
    ...DEFAULT_ANALYSIS,
    baselines: HEADLINE_BASELINES.map((f) => path.join(SHIPPED_BASELINES_DIR, f)).filter((f) => fs.existsSync(f))
  }).pipe(
    Effect.map(headline),
    Effect.catchAll(() => Effect.succeed([] as Array<string>)),
    Effect.catchAllDefect(() => Effect.succeed([] as Array<string>))
  )
