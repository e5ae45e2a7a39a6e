/**
 * The report's sections, in reading order, as data: each renderer (text, HTML) draws every section listed here
 * that the report has content for, and the HTML table of contents is made from the same list. A new section is
 * one entry here plus one renderer per format (the `Record<SectionId, …>` of each renderer makes both required).
 *
 * Results come first (what the run measured), then what could not be compared, then where the human figures
 * came from.
 */
import type { Report } from "../analysis/Report.js"

export interface SectionSpec {
  readonly id: string
  readonly title: string
  /** Whether this report has anything to show in the section. */
  readonly present: (report: Report) => boolean
}

const hasBehaviour = (r: Report) =>
  r.behaviour.measures.length > 0 || r.behaviour.comparisons.length > 0 || r.behaviour.valueBehaviour !== null

export const REPORT_SECTIONS = [
  {
    id: "sv",
    title: "Value similarity S_V, with its confidence interval and chance level",
    present: (r) => (r.valueStructure?.structureComparisons.length ?? 0) > 0
  },
  { id: "notes", title: "Notes", present: (r) => r.notes.length > 0 },
  { id: "values", title: "Value structure", present: (r) => r.valueStructure !== null },
  { id: "behaviour", title: "Behaviour", present: hasBehaviour },
  { id: "games", title: "Games", present: (r) => r.games.length > 0 },
  { id: "society", title: "Society on a network", present: (r) => (r.societies?.length ?? 0) > 0 },
  { id: "experiments", title: "Experiments: arm effects with intervals, by value condition", present: (r) => (r.experiments?.length ?? 0) > 0 },
  { id: "panels", title: "Panels: change between a questionnaire and its repeat after a treatment", present: (r) => (r.panels?.length ?? 0) > 0 },
  { id: "paired", title: "Paired with another run of the same agents", present: (r) => r.pairedWith !== undefined },
  { id: "scoring", title: "Scoring methods and option mass", present: (r) => r.scoring !== undefined },
  { id: "not-compared", title: "Not measured or not compared", present: () => true },
  { id: "baselines", title: "Human baselines", present: (r) => r.baselines.used.length + r.baselines.unmatched.length > 0 }
] as const satisfies ReadonlyArray<SectionSpec>

export type SectionId = (typeof REPORT_SECTIONS)[number]["id"]

/** The sections this report draws, in order. */
export const presentSections = (report: Report): ReadonlyArray<SectionSpec & { readonly id: SectionId }> =>
  REPORT_SECTIONS.filter((s) => s.present(report))

/** What the run did not measure at all (said once, at the end, instead of an empty section per result). */
export const notMeasured = (report: Report): ReadonlyArray<string> => [
  ...(report.valueStructure === null ? ["no value questionnaire, so no value structure or S_V"] : []),
  ...(hasBehaviour(report) ? [] : ["no behaviour measure"]),
  ...(report.games.length === 0 && (report.societies?.length ?? 0) === 0 ? ["no game"] : [])
]

/**
 * The conditions of a game's outcomes, merged over its metrics in their own order (a condition that only one
 * metric has, e.g. a value whose agents only ever responded, goes after the condition it follows there).
 */
export const gameConditions = (metrics: ReadonlyArray<{ readonly byCondition: ReadonlyArray<{ readonly condition: string }> }>): Array<string> => {
  const merged: Array<string> = []
  for (const m of metrics) {
    let at = 0
    for (const { condition } of m.byCondition) {
      const found = merged.indexOf(condition)
      if (found >= 0) at = found + 1
      else merged.splice(at++, 0, condition)
    }
  }
  return merged
}
