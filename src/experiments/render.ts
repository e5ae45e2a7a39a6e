/**
 * How the report draws experiments: text lines, the rows of the HTML tables and the Vega-Lite effect plot (one
 * per outcome: the overall effect and each condition's, with their intervals, and the human effect beside them
 * when the scenario has one). src/report/text.ts and src/report/html.ts place these in the "Experiments" section.
 */
import type { TopLevelSpec } from "vega-lite"
import { ciText, isNumber, num, pValue } from "../report/format.js"
import type { ExperimentAnalysis, OutcomeEffect, PanelAnalysis } from "./analysis.js"
import type { PairedRuns } from "./pairing.js"

const contrastName = (o: OutcomeEffect) => `${o.treatment} − ${o.control}`

/** One experiment's heading line. */
export const experimentHeading = (e: ExperimentAnalysis): string =>
  `${e.id}: ${e.arms.length} arms (${e.arms.map((a) => `${a.name} ${a.agents}`).join(", ")} agents), ${e.assignment === "within" ? "within agents (paired)" : "between agents (randomised within value conditions)"}; control ${e.control}`

/** The cells every effect row shares: both means, the effect, its CI, p, BH-adjusted p and n. */
const effectCells = (o: Pick<OutcomeEffect, "means" | "effect" | "ci" | "p" | "pAdjusted" | "n">): Array<string> => [
  num(o.means.control, 2),
  num(o.means.treatment, 2),
  num(o.effect),
  ciText(o.ci),
  pValue(o.p),
  pValue(o.pAdjusted),
  String(o.n)
]

/** The overall effects table: header and rows (text cells). */
export const effectRows = (e: ExperimentAnalysis): { header: Array<string>; rows: Array<Array<string>> } => ({
  header: ["outcome", "contrast", "control", "treatment", "effect", "95% CI", "p", "p (BH)", "n", "interaction p", "human effect [CI]"],
  rows: e.outcomes.map((o) => [
    o.outcome,
    contrastName(o),
    ...effectCells(o),
    pValue(o.interaction.p),
    o.human !== undefined ? `${num(o.human.effect)} ${ciText(o.human.ci)}` : o.humanUnavailable !== undefined ? "unavailable" : "–"
  ])
})

/**
 * A repeated game's decisions per round, arm beside arm: one table per decision, a row per round with each arm's
 * mean and (two arms) the difference treatment − control. Empty for experiments without rounds.
 */
export const roundTables = (e: ExperimentAnalysis): Array<{ decision: string; header: Array<string>; rows: Array<Array<string>> }> => {
  const arms = [e.control, ...e.arms.map((a) => a.name).filter((n) => n !== e.control)]
  const decisions = [...new Set((e.byRound ?? []).map((r) => r.decision))]
  return decisions.map((decision) => ({
    decision,
    header: ["round", ...arms, ...(arms.length === 2 ? [`${arms[1]} − ${arms[0]}`] : [])],
    rows: (e.byRound ?? [])
      .filter((r) => r.decision === decision)
      .map((r) => {
        const diff = arms.length === 2 && isNumber(r.means[arms[0]!]) && isNumber(r.means[arms[1]!]) ? r.means[arms[1]!]! - r.means[arms[0]!]! : null
        return [String(r.round), ...arms.map((a) => num(r.means[a] ?? null, 2)), ...(arms.length === 2 ? [num(diff, 2)] : [])]
      })
  }))
}

/** The effect by condition of one outcome: header and rows. */
export const conditionRows = (o: OutcomeEffect): { header: Array<string>; rows: Array<Array<string>> } => ({
  header: ["condition", "n", "effect", "95% CI"],
  rows: o.byCondition.map((c) => [c.condition, String(c.n), num(c.effect), ciText(c.ci)])
})

/** A plain-language reading of one outcome, honest about uncertainty. */
export const verdict = (o: OutcomeEffect): string => {
  const het = isNumber(o.interaction.p)
    ? o.interaction.p < 0.05
      ? `it differs between value conditions (Cochran's Q = ${num(o.interaction.q, 2)}, df ${o.interaction.df}, p ${pValue(o.interaction.p)})`
      : `no evidence that it differs between value conditions (Q = ${num(o.interaction.q, 2)}, df ${o.interaction.df}, p ${pValue(o.interaction.p)})`
    : "too few conditions to test whether it differs between them"
  const sig = isNumber(o.pAdjusted) && o.pAdjusted < 0.05
  const human =
    o.human === undefined
      ? ""
      : ` Humans: ${num(o.human.effect)} ${ciText(o.human.ci)} (N = ${o.human.n.control + o.human.n.treatment}; ${o.human.id}, ${o.human.obtained}); ` +
        (o.ci.lower !== null && o.ci.upper !== null && o.human.ci.lower <= o.ci.upper && o.ci.lower <= o.human.ci.upper ? "the intervals overlap." : "the intervals do not overlap.")
  const missing = o.human === undefined && o.humanUnavailable !== undefined ? ` Humans: unavailable (${o.humanUnavailable.experiment}; see ${o.humanUnavailable.file}).` : ""
  return `${o.outcome} (${contrastName(o)}): ${sig ? "an effect" : "no significant effect"} of ${num(o.effect)} ${ciText(o.ci)}, p ${pValue(o.p)} (BH ${pValue(o.pAdjusted)}); ${het}.${human}${missing}`
}

/** Text lines of the whole section. */
export const experimentsText = (experiments: ReadonlyArray<ExperimentAnalysis>, table: (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, numeric: ReadonlyArray<boolean>) => Array<string>): Array<string> =>
  experiments.flatMap((e, k) => {
    const t = effectRows(e)
    return [
      ...(k > 0 ? [""] : []),
      experimentHeading(e),
      ...table(t.header, t.rows, [false, false, true, true, true, false, true, true, true, true, false]).map((l) => `  ${l}`),
      ...e.outcomes.flatMap((o) => {
        const c = conditionRows(o)
        return ["", `  ${verdict(o)}`, ...table(c.header, c.rows, [false, true, true, false]).map((l) => `    ${l}`)]
      }),
      ...roundTables(e).flatMap((r) => ["", `  ${r.decision}: mean per round, by arm`, ...table(r.header, r.rows, r.header.map(() => true)).map((l) => `    ${l}`)])
    ]
  })

/** The effect plot of one outcome: a point and interval per row (overall first, the human effect, then each condition), zero marked. */
export const effectPlotSpec = (o: OutcomeEffect): TopLevelSpec => {
  const rows = [
    { group: "all agents", effect: o.effect, lower: o.ci.lower, upper: o.ci.upper, source: "this run" },
    ...(o.human === undefined ? [] : [{ group: `humans (${o.human.id})`, effect: o.human.effect, lower: o.human.ci.lower, upper: o.human.ci.upper, source: "human" }]),
    ...o.byCondition.map((c) => ({ group: c.condition, effect: c.effect, lower: c.ci.lower, upper: c.ci.upper, source: "this run" }))
  ].filter((r) => isNumber(r.effect))
  const order = rows.map((r) => r.group)
  return {
    background: "white",
    config: { font: "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif", view: { stroke: "#ddd" } },
    width: 420,
    height: Math.max(60, 18 * rows.length),
    data: { values: rows },
    layer: [
      { mark: { type: "rule", color: "#888", strokeDash: [4, 3] }, encoding: { x: { datum: 0 } } },
      {
        mark: { type: "rule" },
        encoding: {
          color: { field: "source", type: "nominal", scale: { domain: ["this run", "human"], range: ["#e45756", "#4c78a8"] }, title: "source" },
          y: { field: "group", type: "nominal", sort: order, title: null },
          x: { field: "lower", type: "quantitative", title: `effect on ${o.outcome} (${contrastName(o)})` },
          x2: { field: "upper" }
        }
      },
      {
        mark: { type: "point", filled: true },
        encoding: {
          color: { field: "source", type: "nominal", scale: { domain: ["this run", "human"], range: ["#e45756", "#4c78a8"] } },
          y: { field: "group", type: "nominal", sort: order },
          x: { field: "effect", type: "quantitative" }
        }
      }
    ]
  } as TopLevelSpec
}

/** The paired-runs section: a sentence, then one table of every step's outcomes (child − parent). */
export const pairedRows = (p: PairedRuns): { intro: string; header: Array<string>; rows: Array<Array<string>> } => ({
  intro:
    `Compared agent by agent with run ${p.parent.runId} (${p.parent.runDir})` +
    (p.fromStep === null ? "." : `; this run is its branch from step ${p.fromStep}: steps before it were reused (identical, not tested).`),
  header: ["step", "outcome", "parent", "this run", "difference", "95% CI", "p", "p (BH)", "agents"],
  rows: p.steps.flatMap((s) =>
    s.outcomes.map((o) => [
      `${s.step} ${s.id}${s.arm === null ? "" : ` [${s.parentArm === undefined ? "" : `${s.parentArm ?? "none"} → `}${s.arm}]`}${s.reused ? " (reused)" : ""}`,
      o.outcome,
      num(o.means.parent, 2),
      num(o.means.child, 2),
      num(o.effect),
      ciText(o.ci),
      pValue(o.p),
      pValue(o.pAdjusted),
      String(o.n)
    ])
  )
})

/** The panels section: per panel one table of its outcomes' change (post − pre) and how many agents moved. */
export const panelRows = (p: PanelAnalysis): { intro: string; header: Array<string>; rows: Array<Array<string>> } => ({
  intro: `${p.id}: asked at step ${p.pre} and again at step ${p.post} (${p.context === "answers" ? "the agent's earlier answers in context" : "earlier answers not in context"}); change = repeat − first, paired by agent.`,
  header: ["outcome", "first", "repeat", "change", "95% CI", "p", "p (BH)", "agents", "up", "down", "same", "interaction p"],
  rows: p.outcomes.map((o) => [
    o.outcome,
    ...effectCells(o),
    String(o.perAgent.up),
    String(o.perAgent.down),
    String(o.perAgent.same),
    pValue(o.interaction.p)
  ])
})
