import { societyLines } from "../society/report.js"
import type { BehaviourMeasure, BootstrapSummary, ConditionBreakdown, Report } from "../analysis/Report.js"
import { polarisationGroupsText, type GameAnalysis } from "../analysis/games.js"
import { ciText, clause, hasText, int, mdsMethodText, num as f, pValue as p, sentence } from "./format.js"
import { gameConditions, notMeasured, presentSections, type SectionId } from "./sections.js"
import { renderModelsText } from "./models.js"
import { experimentsText, pairedRows, panelRows } from "../experiments/render.js"
import { outsideCiNote } from "../domain/svOutsideCi.js"

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))
const lpad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s)

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, numeric: ReadonlyArray<boolean>): Array<string> => {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, j) => (numeric[j] ? lpad(c, widths[j]!) : pad(c, widths[j]!))).join("  ").trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)]
}

const indent = (lines: ReadonlyArray<string>, by = "  ") => lines.map((l) => by + l)
const ci = (b: BootstrapSummary) => ciText(b.ci)

const conditionsTable = (keys: ReadonlyArray<string>, conditions: ReadonlyArray<ConditionBreakdown>) =>
  table(
    ["condition", "agents", ...keys],
    conditions.map((c) => [c.condition, String(c.agents), ...keys.map((_, k) => f(c.means[k], 2))]),
    [false, true, ...keys.map(() => true)]
  )

// ---------------------------------------------------------------------------------------------------------------
// Sections (the order and the titles are in sections.ts)

/** How many respondents each resample drew, and by which rule (paper 000 draws 500 whatever the sample's size). */
const resampleText = (r: Report, used: number | undefined): string =>
  used === undefined || used === r.settings.bootstrapSampleSize
    ? `${r.settings.bootstrapSampleSize} respondents${r.settings.bootstrapSizeRule === "paper" ? " (the paper's fixed size)" : ""}`
    : `${used} respondents (the sample's own size, below the paper's ${r.settings.bootstrapSampleSize})`

const svSection = (r: Report): Array<string> => {
  const v = r.valueStructure!
  const out: Array<string> = []
  // S_V first: the figure, its bootstrap CI and the chance level it must be read against.
  const method = mdsMethodText(r.settings.mdsMethod)
  out.push(`Against human value structures — ${v.questionnaire}, ${v.respondents} respondents; ${method} + Procrustes`)
  const marks: Array<string> = []
  out.push(
    ...indent(
      table(
        ["baseline", "n", "conf.", "S_V", `${Math.round(r.settings.ciLevel * 100)}% CI`, "chance", "chance 95%", "p (perm.)", "human ceiling", "position"],
        v.structureComparisons.map((c) => {
          if (c.circularity !== null) marks.push(`${c.baseline.title}: ${sentence(c.circularity)}`)
          return [
            `${c.baseline.title}${c.centered ? "" : " (raw)"}${c.circularity !== null ? " [circular]" : ""}`,
            int(c.baseline.n),
            c.baseline.confidence,
            f(c.sv),
            ci(c.bootstrap),
            f(c.null?.mean),
            f(c.null?.q95),
            p(c.null?.p ?? null),
            f(c.ceiling?.sv),
            f(c.ceiling?.position, 2)
          ]
        }),
        [false, true, false, true, false, true, true, true, true, true]
      )
    )
  )
  if (v.noVariance !== undefined) out.push(`  S_V –: ${v.noVariance}.`)
  for (const c of v.structureComparisons) {
    const note = outsideCiNote(c.sv, c.bootstrap.ci, c.bootstrap.mean)
    if (note !== null) out.push(`  [outside CI] ${c.baseline.title}: ${note}.`)
  }
  const perms = v.structureComparisons.find((c) => c.null !== null)?.null?.permutations ?? r.settings.permutations
  out.push(
    `  CI: ${r.settings.bootstrapIterations} bootstrap resamples of ${resampleText(r, v.structureComparisons[0]?.bootstrap.sampleSize)}. Chance: mean and 95th percentile of S_V with the run's value labels permuted (${perms} permutations); p (perm.) = share of them at or above S_V. Unrelated structures reach S_V well above 0, so read S_V against the chance level.`,
    "  Human ceiling: mean S_V of the baseline with the other human samples given of its instrument family (PVQ: PVQ-21, ESS, PVQ-40; SVS) and centering; position = (S_V − chance mean) / (ceiling − chance mean): 0 at chance, 1 at human agreement (valuesim's reading; the paper has neither)."
  )
  for (const m of marks) out.push(`  [circular] ${m}`)
  out.push("", "  The paper's test (appendix G): bootstrap mean, one-sample t-test of the resamples vs 0, Benjamini–Hochberg across the report:")
  out.push(
    ...indent(
      table(
        ["baseline", "disparity", "boot mean", "t", "p", "p (BH)"],
        v.structureComparisons.map((c) => [`${c.baseline.title}${c.centered ? "" : " (raw)"}`, f(c.disparity), f(c.bootstrap.mean), f(c.bootstrap.t, 1), p(c.bootstrap.p), p(c.bootstrap.pAdjusted)]),
        [false, true, true, true, true, true]
      ),
      "    "
    )
  )
  return out
}

const notesSection = (r: Report): Array<string> => r.notes.map((n) => `- ${n}`)

const valuesSection = (r: Report): Array<string> => {
  const v = r.valueStructure!
  const out: Array<string> = [`${v.questionnaire}, ${v.respondents} respondents with every value scored`]
  out.push("", "Value hierarchy (mean centered score):")
  const order = v.labels.map((l, i) => ({ l, m: v.hierarchy.centered[i] ?? null })).sort((a, b) => (b.m ?? -Infinity) - (a.m ?? -Infinity))
  out.push("  " + order.map((x) => `${x.l} ${f(x.m, 2)}`).join("  "))
  if (v.hierarchyComparisons.length > 0) {
    out.push(
      ...indent(
        table(
          ["human hierarchy", "values", "Spearman ρ"],
          v.hierarchyComparisons.map((h) => [`${h.baseline.title}${h.circularity !== null ? " [circular]" : ""}`, String(h.labels.length), f(h.spearman)]),
          [false, true, true]
        )
      )
    )
    for (const h of v.hierarchyComparisons) if (h.circularity !== null) out.push(`  [circular] ${h.baseline.title}: ${sentence(h.circularity)}`)
  }
  out.push("", "Mean score per value, this run and each human hierarchy (centered means unless marked raw):")
  out.push(
    ...indent(
      table(
        ["value", "centered", "raw", ...v.hierarchyComparisons.map((h) => `${h.baseline.id}${h.centered ? "" : " (raw)"}`)],
        v.labels.map((code, k) => [
          code,
          f(v.hierarchy.centered[k]),
          f(v.hierarchy.raw[k]),
          ...v.hierarchyComparisons.map((h) => {
            const at = h.labels.indexOf(code)
            return at < 0 ? "–" : f(h.human[at])
          })
        ]),
        [false, true, true, ...v.hierarchyComparisons.map(() => true)]
      )
    )
  )
  out.push("", "Mean centered score by condition:")
  out.push(...indent(conditionsTable(v.labels, v.conditions)))
  out.push("", "Cronbach's α: " + v.reliability.map((x) => `${x.subscale} ${f(x.alpha, 2)}`).join("  "))
  return out
}

const measureLines = (m: BehaviourMeasure): Array<string> => {
  const out = [`${m.questionnaire} (step ${m.step}), ${m.respondents} respondents`]
  out.push("  mean: " + m.behaviours.map((b, i) => `${b} ${f(m.means[i], 2)}`).join("  "))
  if (m.conditions.length > 0) {
    out.push("  Mean score by condition:")
    out.push(...indent(conditionsTable(m.behaviours, m.conditions), "    "))
  }
  if (m.reliability.some((x) => x.alpha !== null)) out.push("  Cronbach's α: " + m.reliability.map((x) => `${x.subscale} ${f(x.alpha, 2)}`).join("  "))
  return out
}

const behaviourSection = (r: Report): Array<string> => {
  const b = r.behaviour
  const out: Array<string> = []
  for (const m of b.measures) out.push(...(out.length > 0 ? [""] : []), ...measureLines(m))
  if (b.valueBehaviour !== null) {
    const vb = b.valueBehaviour
    out.push("", "Value × behaviour correlations (behaviour scores in rows, centered value scores in columns):")
    out.push(
      ...indent(
        table(
          ["behaviour", ...vb.values],
          vb.behaviours.map((name, j) => [name, ...vb.values.map((_, i) => f(vb.matrix[i]?.[j], 2))]),
          [false, ...vb.values.map(() => true)]
        )
      )
    )
  }
  if (b.comparisons.length > 0) {
    out.push("", "Behaviour similarity S_B vs human value–behaviour correlations (chance: S_B with the run's value labels permuted):")
    out.push(
      ...indent(
        table(
          ["baseline", "measure", "cells", "S_B", `${Math.round(r.settings.ciLevel * 100)}% CI`, "chance", "chance 95%", "p (perm.)", "paper's t p (BH)"],
          b.comparisons.map((c) => [
            c.baseline.title,
            c.measure,
            String(c.cells),
            f(c.sb),
            ci(c.bootstrap),
            f(c.null?.mean),
            f(c.null?.q95),
            p(c.null?.p ?? null),
            p(c.bootstrap.pAdjusted)
          ]),
          [false, false, true, true, false, true, true, true, true]
        )
      )
    )
  }
  return out
}

const gameLines = (g: GameAnalysis): Array<string> => {
  const out = [`${g.scenario === g.game ? g.scenario : `${g.scenario} (${g.game})`}: ${g.matches.complete} matches complete, ${g.matches.void} void, ${g.matches.failed} failed, ${g.matches.pending} pending; ${g.unmatchedAgents} agents sat out`]
  const overall = g.metrics.filter((m) => m.round === null)
  out.push(
    ...indent(
      table(
        ["metric", "this run", "decisions", "human", "source"],
        overall.map((m) => {
          const c = g.comparisons.find((x) => x.metric === m.metric && x.round === null)
          return [m.metric, f(m.value), String(m.n), c ? f(c.human) : "not available", c ? c.baseline.id : "–"]
        }),
        [false, true, true, true, false]
      )
    )
  )
  const conditions = gameConditions(overall)
  if (conditions.length > 0) {
    const entry = (metric: GameAnalysis["metrics"][number], cond: string) => metric.byCondition.find((x) => x.condition === cond)
    // One decisions column when every metric counts the same decisions per condition.
    const sameN = conditions.every((cond) => new Set(overall.map((m) => entry(m, cond)?.n)).size === 1)
    const cols = sameN ? [...overall.map((m) => m.metric), "decisions"] : overall.flatMap((m) => [m.metric, `${m.metric} n`])
    out.push("  By condition of the deciding agent:")
    out.push(
      ...indent(
        table(
          ["condition", ...cols],
          conditions.map((cond) => {
            const count = (m: GameAnalysis["metrics"][number]) => int(entry(m, cond)?.n)
            const value = (m: GameAnalysis["metrics"][number]) => f(entry(m, cond)?.value ?? null)
            return [cond, ...(sameN ? [...overall.map(value), count(overall[0]!)] : overall.flatMap((m) => [value(m), count(m)]))]
          }),
          [false, ...cols.map(() => true)]
        ),
        "    "
      )
    )
  }
  const byRound = g.metrics.filter((m) => m.round !== null)
  const rounds = [...new Set(byRound.map((m) => m.round!))].sort((a, b) => a - b)
  const roundMetrics = [...new Set(byRound.map((m) => m.metric))]
  if (roundMetrics.length > 0) {
    out.push("  By round:")
    out.push(
      ...indent(
        table(
          ["metric", ...rounds.map(String)],
          roundMetrics.map((name) => [name, ...rounds.map((rd) => f(byRound.find((m) => m.metric === name && m.round === rd)?.value ?? null, 2))]),
          [false, ...rounds.map(() => true)]
        ),
        "    "
      )
    )
    if (g.polarisationGroups !== undefined) out.push(`  ${polarisationGroupsText(g.polarisationGroups)}`)
    const humanRounds = g.comparisons.filter((c) => c.round !== null)
    if (humanRounds.length > 0) {
      out.push(`  human by round: ${humanRounds.map((c) => `${c.metric} ${c.round}: ${f(c.human, 2)} (${c.baseline.id})`).join("  ")}`)
    }
  }
  if (g.causes !== null && g.causes.length > 0) out.push(`  causes chosen by contributors: ${g.causes.map((c) => `${c.cause} ${c.count}`).join(", ")}`)
  return out
}

const gamesSection = (r: Report): Array<string> => r.games.flatMap((g, k) => [...(k > 0 ? [""] : []), ...gameLines(g)])

/** What could not be compared comes last and briefly: in full only what this run measured. */
const notComparedSection = (r: Report): Array<string> => {
  const out: Array<string> = []
  const absent = notMeasured(r)
  if (absent.length > 0) out.push(`This run has ${absent.join("; ")}.`)
  const missing = r.behaviour.missingBaselines
  const measured = missing.filter((m) => m.measuredByRun)
  if (measured.length > 0) {
    out.push("Measured by this run, but no human figure to compare with:")
    for (const m of measured) out.push(`  - ${m.measure}: ${hasText(m.source) ? `${clause(m.source)} — ` : ""}${sentence(m.reason)}`)
  }
  const others = [...new Set(missing.filter((m) => !m.measuredByRun).map((m) => m.measure))]
  if (others.length > 0) out.push(`Also without a human figure (not measured by this run): ${others.join(", ")}.`)
  if (out.length === 0) out.push("Everything this run measured has a human figure beside it.")
  return out
}

const baselinesSection = (r: Report): Array<string> => {
  const out: Array<string> = []
  if (r.baselines.used.length > 0) {
    out.push("Used in this report:")
    out.push(...indent(table(["id", "n", "obtained", "confidence"], r.baselines.used.map((b) => [b.id, int(b.n), b.obtained, b.confidence]), [false, true, false, false])))
  }
  if (r.baselines.unmatched.length > 0) out.push(`Read but matching nothing in this run: ${r.baselines.unmatched.map((b) => b.id).join(", ")}.`)
  return out
}

/** The scoring methods side by side, then the shared questions whose option mass was below the threshold. */
const scoringSection = (r: Report): Array<string> => {
  const s = r.scoring!
  const out = table(
    ["method", "answers", "shared questions", "mean option mass", `answers below ${s.threshold}`],
    s.methods.map((m) => [m.method, int(m.answers), int(m.questions), f(m.meanMass), int(m.lowMassAnswers)]),
    [false, true, true, true, true]
  )
  if (s.flagged.length === 0) return [...out, `No shared question had an option mass below ${s.threshold}.`]
  out.push("", `Below option mass ${s.threshold} (${s.flagged.length} questions; ${s.lowMass} answers drawn from them):`)
  out.push(...indent(table(["step", "item", "condition", "mass", "scored by", "answers"], s.flagged.slice(0, 20).map((q) => [int(q.step), q.itemId, q.condition, f(q.mass), q.method, int(q.answers)]), [true, false, false, true, false, true])))
  if (s.flagged.length > 20) out.push(`  … and ${s.flagged.length - 20} more (valuesim report --format json lists them all).`)
  return out
}

const SECTIONS: Record<SectionId, (r: Report) => Array<string>> = {
  scoring: scoringSection,
  sv: svSection,
  notes: notesSection,
  values: valuesSection,
  behaviour: behaviourSection,
  games: gamesSection,
  society: (r) => (r.societies ?? []).flatMap((a, k) => [...(k > 0 ? [""] : []), ...societyLines(a)]),
  experiments: (r) => experimentsText(r.experiments ?? [], table),
  panels: (r) =>
    (r.panels ?? []).flatMap((p, k) => {
      const t = panelRows(p)
      return [...(k > 0 ? [""] : []), t.intro, ...table(t.header, t.rows, [false, ...t.header.slice(1).map((h) => h !== "95% CI")]).map((l) => `  ${l}`)]
    }),
  paired: (r) => {
    const t = pairedRows(r.pairedWith!)
    return [t.intro, ...table(t.header, t.rows, [false, false, true, true, true, false, true, true, true]).map((l) => `  ${l}`)]
  },
  "not-compared": notComparedSection,
  baselines: baselinesSection
}

/** The report as plain text for a terminal: the same figures as the JSON and the HTML page, rounded. */
export const renderText = (r: Report): string => {
  // Several backends: the models side by side, then each model's own report.
  if (r.models !== undefined) {
    const head = `valuesim report — ${r.run.study} (run ${r.run.runId}); ${r.models.length} models; ${r.run.status}`
    return [head, "", ...renderModelsText(r), ...r.models.flatMap((m) => ["", `═══ ${m.name} ═══`, renderText(m.report)])].join("\n")
  }
  const out: Array<string> = []
  out.push(`valuesim report — ${r.run.study} (run ${r.run.runId})`)
  out.push(`backend ${r.run.backend}, model ${r.run.model}; ${r.run.agents} agents, seed ${r.run.seed}, population ${r.run.population.id} (${r.run.population.strategy}); ${r.run.status}`)
  if (r.run.label) out.push(`*** ${r.run.label} ***`)
  for (const s of presentSections(r)) {
    out.push("", s.title, "=".repeat(s.title.length), ...SECTIONS[s.id](r))
  }
  return out.join("\n") + "\n"
}
