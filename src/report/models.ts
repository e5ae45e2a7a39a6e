/**
 * The models of a several-backend run side by side: one row per model, one column per human baseline (or game
 * metric), the figures each model's own report computed (no new statistic). The text and HTML reports draw these
 * tables first, then each model's full report.
 */
import type { ChanceLevel, Report } from "../analysis/Report.js"
import { benjaminiHochberg } from "../stats/inference.js"
import { stars, STARS_LEGEND } from "./format.js"

export interface ModelsTable {
  readonly title: string
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
  /** Per column: right-aligned (a number). */
  readonly numeric: ReadonlyArray<boolean>
  readonly note: string | null
}

const f = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined ? "–" : x.toFixed(digits))

/** Keys in first-seen order over every model, each with the label of its column. */
const columnsOf = <T>(models: NonNullable<Report["models"]>, items: (r: Report) => ReadonlyArray<T>, key: (x: T) => string, label: (x: T) => string) => {
  const seen = new Map<string, string>()
  for (const m of models) for (const x of items(m.report)) if (!seen.has(key(x))) seen.set(key(x), label(x))
  return [...seen.entries()].map(([k, l]) => ({ key: k, label: l }))
}

/**
 * Stars for a table's cells by their chance-level p, Benjamini–Hochberg-adjusted over the table's cells (each
 * model's report adjusts over its own tests, so the table adjusts again over what it shows).
 */
const starsOver = (chances: ReadonlyArray<ChanceLevel | null | undefined>): Array<string> => {
  const adjusted = benjaminiHochberg(chances.map((c) => c?.p ?? NaN))
  return adjusted.map((p) => (Number.isFinite(p) ? stars(p) : ""))
}

/** A similarity cell: figure, CI, stars by chance, and its chance level (95th percentile of the permuted figures). */
const cellText = (
  x: number | null,
  ci: { readonly lower: number | null; readonly upper: number | null },
  mark: string,
  chance: ChanceLevel | null | undefined,
  ceiling?: number | null
) => `${f(x)} [${f(ci.lower)}, ${f(ci.upper)}]${mark} chance ${f(chance?.q95)}${ceiling === undefined ? "" : ` ceiling ${f(ceiling)}`}`

/** The comparison tables of a several-backend report (empty for a run of one backend). */
export const modelTables = (r: Report): Array<ModelsTable> => {
  const models = r.models
  if (models === undefined || models.length === 0) return []
  const tables: Array<ModelsTable> = []
  const name = (m: (typeof models)[number]) => `${m.name}${m.report.run.synthetic ? " [synthetic]" : ""}`
  const level = Math.round(r.settings.ciLevel * 100)

  const structures = columnsOf(models, (x) => x.valueStructure?.structureComparisons ?? [], (c) => c.baseline.id, (c) => c.baseline.title)
  const svCells = models.map((m) => structures.map((s) => m.report.valueStructure?.structureComparisons.find((x) => x.baseline.id === s.key)))
  const svStars = starsOver(svCells.flat().map((c) => c?.null))
  const paperT = (p: number | null | undefined) => stars(p) || "n.s."
  tables.push({
    title: `Value similarity S_V by model — paper 000 Table 1's rows (S_V, its bootstrap ${level}% CI and chance level per human value structure)`,
    header: ["model", "respondents", ...structures.map((s) => s.key.replace(/\.correlations/, "")), "paper's t-test"],
    rows: models.map((m, mi) => {
      const v = m.report.valueStructure
      return [
        name(m),
        v === null ? "–" : String(v.respondents),
        ...structures.map((_, si) => {
          const c = svCells[mi]![si]
          return c === undefined ? "–" : cellText(c.sv, c.bootstrap.ci, svStars[mi * structures.length + si]!, c.null, c.ceiling?.sv ?? null)
        }),
        svCells[mi]!.map((c) => (c === undefined ? "–" : paperT(c.bootstrap.pAdjusted))).join(" ")
      ]
    }),
    numeric: [false, true, ...structures.map(() => true), false],
    note:
      structures.length === 0
        ? "no human value-correlation baseline matched these runs' values"
        : [
            ...structures.map((s) => `${s.key}: ${s.label}`),
            `${STARS_LEGEND}; chance = the 95th percentile of S_V with the run's value labels permuted; ceiling = mean S_V of the baseline with the other human samples of its instrument family (human agreement).`,
            "paper's t-test: paper 000's one-sample t-test of the bootstrap S_V against 0 (BH within each model's report), one mark per column in order; for comparison only, as unrelated structures are far above 0."
          ].join("\n")
  })

  const hierarchies = columnsOf(models, (x) => x.valueStructure?.hierarchyComparisons ?? [], (h) => h.baseline.id, (h) => h.baseline.id)
  if (hierarchies.length > 0) {
    tables.push({
      title: "Value hierarchy by model (Spearman ρ with the human hierarchy)",
      header: ["model", ...hierarchies.map((h) => h.label)],
      rows: models.map((m) => [
        name(m),
        ...hierarchies.map((h) => f(m.report.valueStructure?.hierarchyComparisons.find((x) => x.baseline.id === h.key)?.spearman))
      ]),
      numeric: [false, ...hierarchies.map(() => true)],
      note: null
    })
  }

  const behaviours = columnsOf(models, (x) => x.behaviour.comparisons, (c) => `${c.baseline.id}|${c.measure}`, (c) => c.measure)
  if (behaviours.length > 0) {
    const sbCells = models.map((m) => behaviours.map((b) => m.report.behaviour.comparisons.find((x) => `${x.baseline.id}|${x.measure}` === b.key)))
    const sbStars = starsOver(sbCells.flat().map((c) => c?.null))
    tables.push({
      title: `Behaviour similarity S_B by model (S_B, bootstrap ${level}% CI, chance level) — paper 000 Table 2's shape`,
      header: ["model", ...behaviours.map((b) => b.label), "paper's t-test"],
      rows: models.map((m, mi) => [
        name(m),
        ...behaviours.map((_, bi) => {
          const c = sbCells[mi]![bi]
          return c === undefined ? "–" : cellText(c.sb, c.bootstrap.ci, sbStars[mi * behaviours.length + bi]!, c.null)
        }),
        sbCells[mi]!.map((c) => (c === undefined ? "–" : paperT(c.bootstrap.pAdjusted))).join(" ")
      ]),
      numeric: [false, ...behaviours.map(() => true), false],
      note: `${STARS_LEGEND}; chance = the 95th percentile of S_B with the run's value labels (rows of its value × behaviour matrix) permuted.`
    })
  }

  const metrics = columnsOf(
    models,
    (x) => x.games.flatMap((g) => g.metrics.filter((m) => m.round === null).map((m) => ({ game: g.scenario, metric: m.metric }))),
    (m) => `${m.game}|${m.metric}`,
    (m) => `${m.game}: ${m.metric}`
  )
  if (metrics.length > 0) {
    tables.push({
      title: "Game outcomes by model",
      header: ["model", ...metrics.map((m) => m.label)],
      rows: models.map((m) => [
        name(m),
        ...metrics.map((c) => {
          const [game, metric] = c.key.split("|") as [string, string]
          return f(m.report.games.find((g) => g.scenario === game)?.metrics.find((x) => x.metric === metric && x.round === null)?.value)
        })
      ]),
      numeric: [false, ...metrics.map(() => true)],
      note: null
    })
  }
  return tables
}

/** The comparison of a several-backend report as text lines (none for one backend). */
export const renderModelsText = (r: Report): Array<string> => {
  const models = r.models
  if (models === undefined) return []
  const out: Array<string> = [`Models side by side — ${models.length} backends, each answering its own copy of the population (${r.run.agents} agents, seed ${r.run.seed})`]
  for (const t of modelTables(r)) {
    const widths = t.header.map((h, j) => Math.max(h.length, ...t.rows.map((row) => row[j]!.length)))
    const line = (cells: ReadonlyArray<string>) => cells.map((c, j) => (t.numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join("  ").trimEnd()
    out.push("", t.title, ...[line(t.header), line(widths.map((w) => "-".repeat(w))), ...t.rows.map(line)].map((l) => "  " + l))
    if (t.note !== null) for (const l of t.note.split("\n")) out.push(`  ${l}`)
  }
  out.push("", "Each model's full report follows (p-values adjusted within each model's report).")
  return out
}
