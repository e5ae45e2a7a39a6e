/**
 * `report <ensemble-dir> --format html`: one self-contained page for an ensemble. First the headline statistics
 * across seeds (the table the text report prints, and a plot of each seed's S_V, S_B and hierarchy ρ beside their
 * mean and the runs' own CIs), then each seed's whole report under its seed. Built on the run report's page
 * (src/report/html.ts), loaded on demand like it.
 */
import type { TopLevelSpec } from "vega-lite"
import * as path from "node:path"
import { renderReportsPage } from "../report/html.js"
import { headlineFigures } from "./acrossSeeds.js"
import { acrossSeedsTable, type EnsembleReport } from "./ensemble.js"

/** Statistics on a bounded similarity scale, drawn seed by seed (means and game outcomes stay in the table). */
const PLOTTED = /^(S_V|S_B|hierarchy ρ) /

/** Each seed's value of every plotted statistic (a point per seed), the mean across seeds (a tick) and the averaged within-run CI (a rule). */
export const seedsPlotSpec = (r: EnsembleReport): TopLevelSpec | null => {
  const points = r.reports.flatMap(({ seed, report }) =>
    [...headlineFigures(report)].flatMap(([statistic, e]) =>
      PLOTTED.test(statistic) && e.value !== null && Number.isFinite(e.value) ? [{ statistic, seed: String(seed), value: e.value }] : []
    )
  )
  if (points.length === 0) return null
  const order = [...new Set(points.map((p) => p.statistic))]
  const summary = order.map((statistic) => {
    const s = r.acrossSeeds[statistic]!
    return { statistic, mean: s.mean, lower: s.withinRunCi?.lower ?? null, upper: s.withinRunCi?.upper ?? null }
  })
  const y = { field: "statistic", type: "nominal", sort: order, title: null } as const
  const x = { type: "quantitative", title: "value (each seed's run)", scale: { zero: false } } as const
  return {
    width: 420,
    height: { step: 22 },
    layer: [
      {
        data: { values: summary.filter((s) => s.lower !== null && s.upper !== null) },
        mark: { type: "rule", color: "#bbb", strokeWidth: 6 },
        encoding: { y, x: { field: "lower", ...x }, x2: { field: "upper" } }
      },
      {
        data: { values: points },
        mark: { type: "point", filled: true, size: 40, opacity: 0.8 },
        encoding: { y, x: { field: "value", ...x }, color: { field: "seed", type: "nominal", title: "seed" } }
      },
      {
        data: { values: summary.filter((s) => s.mean !== null) },
        mark: { type: "tick", color: "#1d1d1f", thickness: 2 },
        encoding: { y, x: { field: "mean", ...x } }
      }
    ]
  } as TopLevelSpec
}

export const renderEnsembleHtml = (r: EnsembleReport): Promise<string> => {
  const synthetic = r.reports.length > 0 && r.reports.every((x) => x.report.run.synthetic) ? (r.reports[0]!.report.run.label ?? "synthetic: theory model, not an LLM") : null
  const first = r.reports[0]?.report.run
  const plot = seedsPlotSpec(r)
  return renderReportsPage({
    title: `valuesim ensemble report: ${r.ensemble.study}${synthetic === null ? "" : " [synthetic]"}`,
    facts: [
      ["Study", r.ensemble.study],
      ["Seeds", r.ensemble.seeds.join(", ")],
      ...(first === undefined ? [] : ([["Backend", first.backend], ["Model", first.model], ["Agents per seed", String(first.agents)]] as const)),
      ["Ensemble folder", r.ensemble.dir]
    ],
    synthetic,
    lead: {
      id: "across-seeds",
      title: `Across seeds — ${r.ensemble.seeds.length} runs of the same study`,
      tables: [acrossSeedsTable(r)],
      plots: plot === null ? [] : [{ spec: plot, caption: "Each seed's S_V, S_B and hierarchy ρ (points), their mean over seeds (tick) and the runs' own CIs averaged (grey bar)" }]
    },
    items: r.reports.map(({ seed, report }) => ({ id: `seed-${seed}`, name: `Seed ${seed} — ${path.join(r.ensemble.dir, r.ensemble.runs.find((x) => x.seed === seed)?.runDir ?? "")}`, report }))
  })
}
