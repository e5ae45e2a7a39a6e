import type { BootstrapSummary, Report } from "../analysis/Report.js"
import { renderModelsText } from "./models.js"

const f = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined ? "–" : x.toFixed(digits))
const p = (x: number | null): string => (x === null ? "–" : x < 0.001 ? "<.001" : x.toFixed(3))
const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))
const lpad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s)

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, numeric: ReadonlyArray<boolean>): Array<string> => {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, j) => (numeric[j] ? lpad(c, widths[j]!) : pad(c, widths[j]!))).join("  ").trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)]
}

const ci = (b: BootstrapSummary) => `[${f(b.ci.lower)}, ${f(b.ci.upper)}]`

/** The report as plain text for a terminal: the same figures as the JSON, rounded. */
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
  const v = r.valueStructure
  if (v !== null) {
    // S_V first: the figure, its bootstrap CI and the chance level it must be read against.
    const method = r.settings.mdsMethod === "smacof" ? "ratio SMACOF maps (the paper's metric MDS)" : "classical MDS maps"
    out.push("", `Value similarity S_V vs human value structures — ${v.questionnaire}, ${v.respondents} respondents; ${method} + Procrustes`)
    if (v.structureComparisons.length === 0) out.push("  no human value-correlation baseline with these values")
    else {
      const marks: Array<string> = []
      out.push(
        ...table(
          ["baseline", "n", "conf.", "S_V", `${Math.round(r.settings.ciLevel * 100)}% CI`, "chance", "chance 95%", "p (perm.)"],
          v.structureComparisons.map((c) => {
            if (c.circularity !== null) marks.push(`${c.baseline.title}: ${c.circularity}`)
            return [
              `${c.baseline.title}${c.centered ? "" : " (raw)"}${c.circularity !== null ? " [circular]" : ""}`,
              c.baseline.n === null ? "–" : String(c.baseline.n),
              c.baseline.confidence,
              f(c.sv),
              ci(c.bootstrap),
              f(c.null?.mean),
              f(c.null?.q95),
              p(c.null?.p ?? null)
            ]
          }),
          [false, true, false, true, false, true, true, true]
        ).map((l) => "  " + l)
      )
      const perms = v.structureComparisons.find((c) => c.null !== null)?.null?.permutations ?? r.settings.permutations
      out.push(
        `  CI: ${r.settings.bootstrapIterations} bootstrap resamples of ${r.settings.bootstrapSampleSize} respondents. chance: mean and 95th percentile of S_V with the run's value labels permuted (${perms} permutations); p (perm.) = share of them at or above S_V. Unrelated structures reach S_V well above 0, so read S_V against the chance level.`
      )
      for (const m of marks) out.push(`  [circular] ${m}`)
      out.push("", "  The paper's test (appendix G): bootstrap mean, one-sample t-test of the resamples vs 0, Benjamini–Hochberg across the report:")
      out.push(
        ...table(
          ["baseline", "boot mean", "t", "p", "p (BH)"],
          v.structureComparisons.map((c) => [`${c.baseline.title}${c.centered ? "" : " (raw)"}`, f(c.bootstrap.mean), f(c.bootstrap.t, 1), p(c.bootstrap.p), p(c.bootstrap.pAdjusted)]),
          [false, true, true, true, true]
        ).map((l) => "    " + l)
      )
    }
  }
  for (const n of r.notes) out.push(`note: ${n}`)

  if (v === null) out.push("", "No value questionnaire in this run: no value structure.")
  else {
    out.push("", `Value structure — ${v.questionnaire}, ${v.respondents} respondents with every value scored`)
    out.push("", "Value hierarchy (mean centered score):")
    const order = v.labels.map((l, i) => ({ l, m: v.hierarchy.centered[i] ?? null })).sort((a, b) => (b.m ?? -Infinity) - (a.m ?? -Infinity))
    out.push("  " + order.map((x) => `${x.l} ${f(x.m, 2)}`).join("  "))
    if (v.hierarchyComparisons.length > 0) {
      out.push(
        ...table(
          ["human hierarchy", "values", "Spearman ρ"],
          v.hierarchyComparisons.map((h) => [`${h.baseline.title}${h.circularity !== null ? " [circular]" : ""}`, String(h.labels.length), f(h.spearman)]),
          [false, true, true]
        ).map((l) => "  " + l)
      )
      for (const h of v.hierarchyComparisons) if (h.circularity !== null) out.push(`  [circular] ${h.baseline.title}: ${h.circularity}`)
    }
    out.push("", "Mean centered score by condition:")
    out.push(
      ...table(
        ["condition", "agents", ...v.labels],
        v.conditions.map((c) => [c.condition, String(c.agents), ...c.means.map((m) => f(m, 2))]),
        [false, true, ...v.labels.map(() => true)]
      ).map((l) => "  " + l)
    )
    out.push("", "Cronbach's α: " + v.reliability.map((x) => `${x.subscale} ${f(x.alpha, 2)}`).join("  "))
  }

  out.push("", "Behaviour")
  if (r.behaviour.measures.length === 0) out.push("  this run has no behaviour measure")
  for (const m of r.behaviour.measures) {
    out.push(`  ${m.questionnaire}: ${m.respondents} respondents; means ` + m.behaviours.map((b, i) => `${b} ${f(m.means[i], 2)}`).join("  "))
  }
  if (r.behaviour.comparisons.length > 0) {
    out.push("", "Behaviour similarity S_B vs human value–behaviour correlations:")
    out.push(
      ...table(
        ["baseline", "measure", "cells", "S_B", "boot mean", "95% CI", "p", "p (BH)"],
        r.behaviour.comparisons.map((c) => [c.baseline.title, c.measure, String(c.cells), f(c.sb), f(c.bootstrap.mean), ci(c.bootstrap), p(c.bootstrap.p), p(c.bootstrap.pAdjusted)]),
        [false, false, true, true, true, false, true, true]
      ).map((l) => "  " + l)
    )
  }
  for (const g of r.games) {
    out.push("", `Game ${g.scenario} (${g.game}): ${g.matches.complete} matches complete, ${g.matches.void} void, ${g.matches.failed} failed, ${g.matches.pending} pending; ${g.unmatchedAgents} agents sat out`)
    const overall = g.metrics.filter((m) => m.round === null)
    out.push(
      ...table(
        ["metric", "this run", "n", "human", "source"],
        overall.map((m) => {
          const c = g.comparisons.find((x) => x.metric === m.metric && x.round === null)
          return [m.metric, f(m.value), String(m.n), c ? f(c.human) : "not available", c ? c.baseline.id : "–"]
        }),
        [false, true, true, true, false]
      ).map((l) => "  " + l)
    )
    const byRound = g.metrics.filter((m) => m.round !== null)
    for (const name of [...new Set(byRound.map((m) => m.metric))]) {
      out.push(`  ${name} by round: ${byRound.filter((m) => m.metric === name).map((m) => `${m.round}: ${f(m.value, 2)}`).join("  ")}`)
    }
    if (g.causes !== null && g.causes.length > 0) out.push(`  causes: ${g.causes.map((c) => `${c.cause} ${c.count}`).join(", ")}`)
  }
  // What could not be compared comes last, briefly: the results above are what the run measured.
  if (r.behaviour.missingBaselines.length > 0) {
    out.push("", "Human baselines not available (no comparison is made):")
    for (const m of r.behaviour.missingBaselines) {
      out.push(`  - ${m.measure}: ${m.source} — ${m.reason}${m.measuredByRun ? " (this run measured it)" : ""}`)
    }
  }
  return out.join("\n") + "\n"
}
