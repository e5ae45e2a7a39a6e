/**
 * The self-contained HTML report: one file with inline CSS and inline SVG plots (Vega-Lite compiled to Vega and
 * rendered to SVG strings in Node). No scripts, fonts, stylesheets or images are referenced, and no data is loaded:
 * every plot's data is inlined in its spec, and the Vega loader refuses all requests.
 * One file (over 500 lines) on purpose: every section shares the page's styling, table and plot builders and the
 * order a reader meets them in; sections of their own rooms (society, experiments) come in through one call each.
 */
import { societyHtml } from "../society/html.js"
import { isSmacof, type MdsMethod } from "../stats/mds.js"
import * as vega from "vega"
import { compile } from "vega-lite"
import { modelTables } from "./models.js"
import { outsideCiNote } from "../domain/svOutsideCi.js"
import { polarisationGroupsText, type GameAnalysis } from "../analysis/games.js"
import type { TopLevelSpec } from "vega-lite"
import { conditionRows, effectPlotSpec, effectRows, experimentHeading, pairedRows, panelRows, roundTables, verdict } from "../experiments/render.js"
import type {
  BaselineRef,
  BehaviourComparison,
  BehaviourMeasure,
  ConditionBreakdown,
  Report,
  ScaleReliability,
  StructureComparison,
  ValueStructure
} from "../analysis/Report.js"
import { ciText, clause, hasText, int, isNumber, mdsMethodText, num, pValue, sentence } from "./format.js"
import { placeLabels } from "./labels.js"
import { gameConditions, notMeasured, presentSections, type SectionId } from "./sections.js"

const DASH = "–"
const RUN_COLOUR = "#e45756"
const HUMAN_COLOUR = "#4c78a8"
const RUN_SOURCE = "this run"
const HUMAN_SOURCE = "human baseline"

// ---------------------------------------------------------------------------------------------------------------
// Text and number formatting

const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")

const percent = (level: number): string => {
  if (!isNumber(level)) return DASH
  const pct = level * 100
  return `${num(pct, pct === Math.round(pct) ? 0 : 1)} %`
}

// ---------------------------------------------------------------------------------------------------------------
// HTML building blocks (every string argument is plain text and is escaped here)

/** A table cell: plain text, a number (right-aligned), or HTML made (and escaped) by this module. */
type Cell = string | { readonly num: string } | { readonly html: string } | { readonly ref: string }

/**
 * Cells: text wraps at spaces; a number never wraps; reference text (citations, file names, populations) may
 * wrap anywhere, so that a long URL or path does not widen its table beyond the page.
 */
/** "0.879 [0.871, 0.885]": the interval goes under its figure, so that a table of many of them stays narrow. */
const numberWithCi = (text: string): string => {
  const at = text.indexOf(" [")
  return at <= 0 ? escapeHtml(text) : `${escapeHtml(text.slice(0, at))}<br><span class="sub ci">${escapeHtml(text.slice(at + 1))}</span>`
}

const cell = (c: Cell): string =>
  typeof c === "string"
    ? `<td>${escapeHtml(c)}</td>`
    : "num" in c
      ? `<td class="num">${numberWithCi(c.num)}</td>`
      : "ref" in c
        ? `<td class="ref">${escapeHtml(c.ref)}</td>`
        : `<td>${c.html}</td>`

const table = (caption: string, head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<Cell>>): string => {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(caption)}: none.</p>`
  const thead = `<thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("")}</tr></thead>`
  const tbody = `<tbody>${rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("\n")}</tbody>`
  return `<div class="table-wrap"><table><caption>${escapeHtml(caption)}</caption>${thead}\n${tbody}</table></div>`
}

const n = (x: number | null | undefined, digits = 3): Cell => ({ num: num(x, digits) })
const p = (x: number | null | undefined): Cell => ({ num: pValue(x) })
const i = (x: number | null | undefined): Cell => ({ num: int(x) })

const figure = (caption: string, svg: string): string =>
  `<figure>${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`

// ---------------------------------------------------------------------------------------------------------------
// Plots: Vega-Lite → Vega → SVG string

const failRequest = (): Promise<never> => Promise.reject(new Error("the HTML report loads no external resources"))
const offlineLoader = (): vega.Loader => ({
  load: failRequest,
  sanitize: failRequest,
  http: failRequest,
  file: failRequest
})

/**
 * Vega numbers clip paths and gradients with process-wide counters, so two inline SVGs of one page could share ids
 * and ids would depend on what was rendered before. Renumber them per figure, in order of appearance.
 */
const scopeSvgIds = (svg: string, prefix: string): string => {
  const ids = new Map<string, string>()
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) {
    const id = m[1]
    if (id !== undefined && !ids.has(id)) ids.set(id, `${prefix}-${ids.size + 1}`)
  }
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (whole, open: string, id: string, close: string) => {
      const scoped = ids.get(id)
      return scoped === undefined ? whole : `${open}${scoped}${close}`
    })
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => {
      const scoped = ids.get(id)
      return scoped === undefined ? whole : `url(#${scoped})`
    })
}

const baseConfig = {
  background: "white",
  config: {
    font: "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif",
    view: { stroke: "#ddd" },
    axis: { labelFontSize: 11, titleFontSize: 11 },
    legend: { labelFontSize: 11, titleFontSize: 11 }
  }
} as const

class Figures {
  private count = 0
  async render(spec: TopLevelSpec, label: string): Promise<string> {
    this.count += 1
    const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none", loader: offlineLoader() })
    try {
      const svg = await view.toSVG()
      const scoped = scopeSvgIds(svg, `fig${this.count}`)
      return scoped.replace(/^<svg\s/, `<svg role="img" aria-label="${escapeHtml(label)}" `)
    } finally {
      view.finalize()
    }
  }
}

const equalDomain = (values: ReadonlyArray<number>): [number, number] => {
  if (values.length === 0) return [-1, 1]
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const span = hi - lo
  const pad = span > 0 ? span * 0.12 : 1
  return [lo - pad, hi + pad]
}

interface MapPoint {
  readonly code: string
  readonly source: string
  readonly order: number
  readonly x: number
  readonly y: number
}

const mapPoints = (
  labels: ReadonlyArray<string>,
  coords: ReadonlyArray<ReadonlyArray<number>>,
  source: string,
  order: number
) =>
  labels.flatMap((code, k): Array<MapPoint> => {
    const row = coords[k]
    const x = row?.[0]
    const y = row?.[1]
    return isNumber(x) && isNumber(y) ? [{ code, source, order, x, y }] : []
  })

const MAP_SIZE = 380
const LABEL_FONT = 11

/**
 * Run and human points on one map with equal axis scales; a thin line joins each value's two points. Labels are
 * placed by `placeLabels` (no two overlap), in data units, with a leader line when one had to move away.
 */
const mdsSpec = (
  points: ReadonlyArray<MapPoint>,
  sources: ReadonlyArray<string>,
  colours: ReadonlyArray<string>
): TopLevelSpec => {
  const domain = equalDomain(points.flatMap((pt) => [pt.x, pt.y]))
  const [lo, hi] = domain
  const toPx = (v: number) => ((v - lo) / (hi - lo)) * MAP_SIZE
  const fromPx = (px: number) => lo + (px / MAP_SIZE) * (hi - lo)
  const labels = placeLabels(
    points.map((pt) => ({ px: toPx(pt.x), py: MAP_SIZE - toPx(pt.y), text: pt.code })),
    MAP_SIZE,
    MAP_SIZE,
    { fontSize: LABEL_FONT, pointRadius: 5 }
  )
  const data = points.map((pt, k) => {
    const l = labels[k]!
    return { ...pt, lx: fromPx(l.cx), ly: fromPx(MAP_SIZE - l.cy), leader: l.ring >= 2 }
  })
  const scale = { domain, nice: false, zero: false }
  const colour = { domain: [...sources], range: [...colours] }
  const x = { field: "x", type: "quantitative", scale, axis: { title: "dimension 1", grid: true } } as const
  const y = { field: "y", type: "quantitative", scale, axis: { title: "dimension 2", grid: true } } as const
  return {
    ...baseConfig,
    width: MAP_SIZE,
    height: MAP_SIZE,
    data: { values: data },
    encoding: { x, y },
    layer: [
      {
        mark: { type: "line", color: "#9a9a9a", strokeWidth: 1, strokeDash: [3, 2] },
        encoding: { detail: { field: "code", type: "nominal" }, order: { field: "order", type: "quantitative" } }
      },
      {
        transform: [{ filter: "datum.leader" }],
        mark: { type: "rule", strokeWidth: 0.6, opacity: 0.7 },
        encoding: {
          x2: { field: "lx" },
          y2: { field: "ly" },
          color: { field: "source", type: "nominal", scale: colour, title: "source" }
        }
      },
      {
        mark: { type: "point", filled: true, size: 70, opacity: 0.9 },
        encoding: {
          color: { field: "source", type: "nominal", scale: colour, title: "source" },
          shape: {
            field: "source",
            type: "nominal",
            scale: { domain: [...sources], range: ["circle", "square"] },
            title: "source"
          }
        }
      },
      {
        mark: { type: "text", align: "center", baseline: "middle", fontSize: LABEL_FONT, fontWeight: "bold" },
        encoding: {
          x: { ...x, field: "lx" },
          y: { ...y, field: "ly" },
          text: { field: "code", type: "nominal" },
          color: { field: "source", type: "nominal", scale: colour, title: "source" }
        }
      }
    ]
  }
}

interface HeatCell {
  readonly row: string
  readonly col: string
  readonly r: number | null
  readonly label: string
  readonly strong: boolean
}

/** A correlation heatmap: diverging colours fixed to [−1, 1], r written in every cell, labels on both axes. */
const heatmapSpec = (
  rows: ReadonlyArray<string>,
  cols: ReadonlyArray<string>,
  matrix: ReadonlyArray<ReadonlyArray<number | null>>
): TopLevelSpec => {
  const cells = rows.flatMap((row, a) =>
    cols.map((col, b): HeatCell => {
      const value = matrix[a]?.[b]
      const r = isNumber(value) ? value : null
      return { row, col, r, label: r === null ? DASH : num(r, 2), strong: r !== null && Math.abs(r) > 0.55 }
    })
  )
  return {
    ...baseConfig,
    width: { step: 38 },
    height: { step: 26 },
    data: { values: cells.map((c) => ({ ...c })) },
    encoding: {
      x: { field: "col", type: "nominal", sort: [...cols], axis: { title: null, orient: "top", labelAngle: -40 } },
      y: { field: "row", type: "nominal", sort: [...rows], axis: { title: null } }
    },
    layer: [
      { mark: { type: "rect", color: "#eeeeee" } },
      {
        transform: [{ filter: "isValid(datum.r) && isFinite(datum.r)" }],
        mark: { type: "rect" },
        encoding: {
          color: {
            field: "r",
            type: "quantitative",
            scale: { domain: [-1, 1], scheme: "redblue", clamp: true },
            legend: { title: "r", gradientLength: 160 }
          }
        }
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          text: { field: "label", type: "nominal" },
          color: { condition: { test: "datum.strong", value: "white" }, value: "black" }
        }
      }
    ]
  }
}

interface Bar {
  readonly code: string
  readonly source: string
  readonly mean: number
}

/** Grouped bars per value: the run's mean next to the human mean. */
const barsSpec = (
  labels: ReadonlyArray<string>,
  data: ReadonlyArray<Bar>,
  sources: ReadonlyArray<string>,
  yTitle: string
): TopLevelSpec => ({
  ...baseConfig,
  width: { step: 44 },
  height: 220,
  data: { values: data.map((b) => ({ ...b })) },
  mark: { type: "bar" },
  encoding: {
    x: { field: "code", type: "nominal", sort: [...labels], axis: { title: null, labelAngle: 0 } },
    xOffset: { field: "source", type: "nominal", sort: [...sources] },
    y: { field: "mean", type: "quantitative", axis: { title: yTitle } },
    color: {
      field: "source",
      type: "nominal",
      scale: { domain: [...sources], range: [RUN_COLOUR, HUMAN_COLOUR].slice(0, sources.length) },
      title: "source"
    }
  }
})

// ---------------------------------------------------------------------------------------------------------------
// Sections

/** A section's content: HTML, or a sub-heading (drawn as h3 with an id, and listed in the table of contents). */
type Block = string | { readonly heading: string }
const h3 = (title: string): Block => ({ heading: title })

interface Context {
  readonly figures: Figures
  readonly report: Report
}

/** The synthetic backend's warning: over the whole run, or naming the backends of a several-backend run it covers. */
const syntheticBanner = (label: string | null, names: ReadonlyArray<string> | null, of: number): string => {
  const who =
    names === null
      ? `This run used the synthetic backend: every answer was generated`
      : `${names.map(escapeHtml).join(", ")} (${names.length} of this run's ${of} backends) used the synthetic backend: ${names.length === 1 ? "its" : "their"} answers were generated`
  const scope = names === null ? "Its figures are" : `${names.length === 1 ? "Its" : "Their"} figures are`
  const cite = names === null ? "Do not cite them as LLM results." : `Do not cite ${names.length === 1 ? "them" : "those"} as LLM results; the other backends' figures are the models'.`
  return (
    `<div class="banner synthetic" role="alert"><p class="banner-label">${escapeHtml(label ?? "synthetic: theory model, not an LLM")}</p>` +
    `<p>${who} from a theory model of human values, not by a language model. ${scope} a <strong>theory reference</strong> (what ` +
    `the theory predicts when its assumptions hold), not the behaviour of any LLM. ${cite}</p></div>`
  )
}

/** The backends of a several-backend run that are synthetic (null for a run of one backend). */
const syntheticModels = (report: Report) => report.models?.filter((m) => m.report.run.synthetic) ?? null

const headerHtml = (report: Report): string => {
  const run = report.run
  const models = report.models
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["Study", run.study],
    ["Run id", run.runId],
    ...(models === undefined
      ? [["Backend", run.backend] as const, ["Model", run.model] as const]
      : [["Backends", models.map((m) => `${m.name} (${m.report.run.backend})`).join(", ")] as const]),
    ["Agents", int(run.agents)],
    ["Seed", int(run.seed)],
    ["Population", `${run.population.id} (strategy: ${run.population.strategy})`],
    ["Status", run.status],
    ["Run directory", run.runDir]
  ]
  const synthetic = syntheticModels(report)
  const banner =
    models === undefined || synthetic === null
      ? run.synthetic
        ? syntheticBanner(run.label, null, 1)
        : ""
      : synthetic.length === 0
        ? ""
        : syntheticBanner(synthetic[0]!.report.run.label, synthetic.length === models.length ? null : synthetic.map((m) => m.name), models.length)
  return headerBlock(`valuesim report: ${run.study}`, banner, rows)
}

/** The page's header: its title, the synthetic banner (HTML, or ""), and the facts as a definition list. */
const headerBlock = (title: string, banner: string, rows: ReadonlyArray<readonly [string, string]>): string => {
  const dl = rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")
  return `<header><h1>${escapeHtml(title)}</h1>\n${banner}\n<dl class="meta">${dl}</dl></header>`
}

const notesSection = async ({ report }: Context): Promise<Array<Block>> => [
  `<ul class="notes">${report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join("")}</ul>`
]

/**
 * A baseline in a results table: its title, and its sample size and confidence in a second line. The instrument,
 * population, source and file are in the "Human baselines" section, once per baseline.
 */
const baselineCell = (b: BaselineRef, suffix = ""): Cell => ({
  html: `${escapeHtml(b.title + suffix)}<br><span class="sub">n ${escapeHtml(int(b.n))}, ${escapeHtml(b.confidence)} confidence</span>`
})
const bootstrapHead = (ciLevel: number) => ["bootstrap mean", `${percent(ciLevel)} CI`, "p", "BH-adjusted p"]

const methodText = (m: MdsMethod) => mdsMethodText(m)

/** The headline: S_V per baseline with its bootstrap CI and the chance level it must be read against. */
const svSection = async ({ report }: Context): Promise<Array<Block>> => {
  const vs = report.valueStructure!
  const s = report.settings
  const rows = vs.structureComparisons.map((c): Array<Cell> => [
    baselineCell(c.baseline, c.centered ? "" : " (raw scores)"),
    n(c.sv),
    { num: ciText(c.bootstrap.ci) },
    n(c.null?.mean ?? null),
    n(c.null?.q95 ?? null),
    p(c.null?.p ?? null),
    n(c.ceiling?.sv ?? null),
    n(c.ceiling?.position ?? null, 2)
  ])
  const circular = vs.structureComparisons.filter((c) => c.circularity !== null)
  return [
    table(
      `S_V per human value structure (${methodText(s.mdsMethod)} + Procrustes)`,
      ["baseline", "S_V", `${percent(s.ciLevel)} CI`, "chance mean", "chance 95th pct.", "p (perm.)", "human ceiling", "position"],
      rows
    ),
    ...(vs.noVariance === undefined ? [] : [`<p class="note"><strong>No S_V</strong>: ${escapeHtml(vs.noVariance)}.</p>`]),
    ...vs.structureComparisons.flatMap((c) => {
      const note = outsideCiNote(c.sv, c.bootstrap.ci, c.bootstrap.mean)
      return note === null ? [] : [`<p class="note"><strong>${escapeHtml(c.baseline.title)}</strong>: ${escapeHtml(note)}.</p>`]
    }),
    `<p>CI: ${escapeHtml(int(s.bootstrapIterations))} bootstrap resamples of ${escapeHtml(int(vs.structureComparisons[0]?.bootstrap.sampleSize ?? s.bootstrapSampleSize))} respondents` +
      `${s.bootstrapSizeRule === "own" && (vs.structureComparisons[0]?.bootstrap.sampleSize ?? s.bootstrapSampleSize) < s.bootstrapSampleSize ? ` (the sample's own size; the paper draws ${escapeHtml(int(s.bootstrapSampleSize))} whatever the sample)` : ""}. ` +
      `Chance: S_V when the run's value labels are permuted (${escapeHtml(int(s.permutations))} permutations, seeded by the run); ` +
      `p (perm.) is the share of permuted structures at or above S_V. Unrelated structures reach S_V well above 0, ` +
      `so an S_V means something only above its chance level. The paper's t-test against 0 is in the value-structure section. ` +
      `Human ceiling: mean S_V of the baseline with the other human samples given of its instrument family and centering; ` +
      `position = (S_V − chance mean) / (ceiling − chance mean), 0 at chance and 1 at human agreement (valuesim's reading, not the paper's).</p>`,
    ...(circular.length === 0
      ? []
      : [`<ul class="circular">${circular.map((c) => `<li><strong>${escapeHtml(c.baseline.title)}</strong>: ${escapeHtml(sentence(c.circularity!))}</li>`).join("")}</ul>`])
  ]
}

const svTable = (comparisons: ReadonlyArray<StructureComparison>, ciLevel: number): string =>
  table(
    "The paper's test (appendix G): S_V per human baseline, bootstrap over respondents, one-sample t-test of the resamples against 0",
    ["baseline", "scores", "S_V", "disparity", ...bootstrapHead(ciLevel)],
    comparisons.map((c) => [
      baselineCell(c.baseline),
      c.centered ? "centered" : "raw",
      n(c.sv),
      n(c.disparity),
      n(c.bootstrap.mean),
      { num: ciText(c.bootstrap.ci) },
      p(c.bootstrap.p),
      p(c.bootstrap.pAdjusted)
    ])
  )

/** Means per condition; the primed value gets a column only when a condition's name does not already say it. */
const conditionsTable = (caption: string, keys: ReadonlyArray<string>, conditions: ReadonlyArray<ConditionBreakdown>) => {
  const primed = conditions.some((c) => c.primedValue !== null && c.condition !== `value:${c.primedValue}`)
  return table(
    caption,
    ["condition", ...(primed ? ["primed value"] : []), "agents", ...keys],
    conditions.map((c) => [c.condition, ...(primed ? [c.primedValue ?? DASH] : []), i(c.agents), ...keys.map((_, k) => n(c.means[k]))])
  )
}

const reliabilityTable = (caption: string, rows: ReadonlyArray<ScaleReliability>) =>
  table(
    caption,
    ["subscale", "items", "Cronbach's α"],
    rows.map((r) => [r.subscale, i(r.items), n(r.alpha)])
  )

/** z-scores within one series (just centred when its SD is 0), so that profiles on different scales share an axis. */
const standardise = (xs: ReadonlyArray<number | null>): Array<number | null> => {
  const finite = xs.filter(isNumber)
  if (finite.length === 0) return xs.map(() => null)
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length
  const sd = finite.length > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1)) : 0
  return xs.map((x) => (isNumber(x) ? (sd > 0 ? (x - mean) / sd : x - mean) : null))
}

type Series = readonly [source: string, values: ReadonlyArray<number | null>]

const barData = (labels: ReadonlyArray<string>, series: ReadonlyArray<Series>) =>
  labels.flatMap((code, k) =>
    series.flatMap(([source, values]): Array<Bar> => {
      const mean = values[k]
      return isNumber(mean) ? [{ code, source, mean }] : []
    })
  )

const hierarchyBars = async (figures: Figures, vs: ValueStructure): Promise<string> => {
  const parts: Array<string> = []
  for (const h of vs.hierarchyComparisons) {
    const data = barData(h.labels, [
      [RUN_SOURCE, standardise(h.model)],
      [HUMAN_SOURCE, standardise(h.human)]
    ])
    const svg = await figures.render(
      barsSpec(h.labels, data, [RUN_SOURCE, HUMAN_SOURCE], "standardised mean (z within source)"),
      `hierarchy vs ${h.baseline.title}`
    )
    parts.push(
      figure(
        `Value hierarchy: this run vs ${clause(h.baseline.title)} (Spearman ρ = ${num(h.spearman)}). Each set of means is ` +
          `standardised (z-scores over the values) because the two can be on different scales; the table above ` +
          `gives the unstandardised means.`,
        svg
      )
    )
  }
  if (vs.hierarchyComparisons.length === 0) {
    const data = barData(vs.labels, [[RUN_SOURCE, vs.hierarchy.centered]])
    if (data.length > 0) {
      const spec = barsSpec(vs.labels, data, [RUN_SOURCE], "mean centered score")
      const svg = await figures.render(spec, "value hierarchy")
      parts.push(figure("Value hierarchy of this run (mean centered score per value).", svg))
    }
  }
  return parts.join("\n")
}

const hierarchyTable = (vs: ValueStructure): string => {
  const human = vs.hierarchyComparisons.map((h) => (code: string) => h.human[h.labels.indexOf(code)] ?? null)
  return table(
    "Mean score per value: this run and each human hierarchy",
    [
      "value",
      "run: centered mean",
      "run: raw mean",
      ...vs.hierarchyComparisons.map((h) => `human: ${h.baseline.title}`)
    ],
    vs.labels.map((code, k) => [
      code,
      n(vs.hierarchy.centered[k]),
      n(vs.hierarchy.raw[k]),
      ...human.map((lookup) => n(lookup(code)))
    ])
  )
}

const structureComparisonBlocks = async (
  figures: Figures,
  vs: ValueStructure,
  c: StructureComparison
): Promise<Array<Block>> => {
  const parts: Array<Block> = [h3(`Map and correlations: ${c.baseline.title}`)]
  parts.push(
    `<p>S_V = <strong>${escapeHtml(num(c.sv))}</strong>, bootstrap mean ${escapeHtml(num(c.bootstrap.mean))}, ` +
      `${escapeHtml(percent(c.bootstrap.ci.level))} CI ${escapeHtml(ciText(c.bootstrap.ci))} ` +
      `(${escapeHtml(int(c.bootstrap.iterations))} iterations of ` +
      `${escapeHtml(int(c.bootstrap.sampleSize))} respondents).</p>`
  )
  const figs: Array<string> = []
  if (c.aligned !== null) {
    const points = [
      ...mapPoints(vs.labels, c.aligned.model, RUN_SOURCE, 0),
      ...mapPoints(vs.labels, c.aligned.human, HUMAN_SOURCE, 1)
    ]
    const svg = await figures.render(
      mdsSpec(points, [RUN_SOURCE, HUMAN_SOURCE], [RUN_COLOUR, HUMAN_COLOUR]),
      `MDS map of this run aligned to ${c.baseline.title}`
    )
    figs.push(
      figure(
        `MDS maps after Procrustes: this run (circles) aligned to ${clause(c.baseline.title)} (squares); ` +
          `dashed lines join each value's two points.`,
        svg
      )
    )
  } else {
    figs.push(`<p class="empty">No aligned map for this baseline (a map could not be computed).</p>`)
  }
  const heat = await figures.render(
    heatmapSpec(vs.labels, vs.labels, c.humanMatrix),
    `human correlation matrix, ${c.baseline.title}`
  )
  figs.push(
    figure(`Human correlations, ${clause(c.baseline.title)} (${c.centered ? "centered" : "raw"} scores).`, heat)
  )
  parts.push(`<div class="figures">${figs.join("\n")}</div>`)
  return parts
}

const valuesSection = async ({ figures, report }: Context): Promise<Array<Block>> => {
  const vs = report.valueStructure!
  const parts: Array<Block> = [
    `<p>Questionnaire <code>${escapeHtml(vs.questionnaire)}</code> (step ${escapeHtml(int(vs.step))}), ` +
      `${escapeHtml(int(vs.respondents))} respondents with every value scored.</p>`
  ]

  if (vs.structureComparisons.length > 0) {
    parts.push(h3("Structure: S_V per baseline (the paper's test)"))
    parts.push(svTable(vs.structureComparisons, report.settings.ciLevel))
  }

  parts.push(h3("Hierarchy"))
  if (vs.hierarchyComparisons.length > 0) {
    parts.push(
      table(
        "Spearman ρ between the run's value hierarchy and each human hierarchy",
        ["baseline", "values compared", "Spearman ρ", "circularity"],
        vs.hierarchyComparisons.map((h) => [baselineCell(h.baseline), i(h.labels.length), n(h.spearman), h.circularity === null ? "" : sentence(h.circularity)])
      )
    )
  }
  parts.push(hierarchyTable(vs))
  parts.push(`<div class="figures">${await hierarchyBars(figures, vs)}</div>`)

  parts.push(h3("Correlations of this run"))
  const runHeat = await figures.render(
    heatmapSpec(vs.labels, vs.labels, vs.correlations.centered),
    "correlation matrix of this run (centered scores)"
  )
  const runFigs = [
    figure("C⁽ⱽ⁾ of this run: correlations of centered value scores (– marks an undefined r).", runHeat)
  ]
  if (vs.structureComparisons.every((c) => c.aligned === null) && vs.mds !== null) {
    const pts = mapPoints(vs.labels, vs.mds.coordinates, RUN_SOURCE, 0)
    if (pts.length > 0) {
      const svg = await figures.render(mdsSpec(pts, [RUN_SOURCE], [RUN_COLOUR]), "MDS map of this run")
      runFigs.push(figure(`${isSmacof(vs.mds.method) ? "Ratio SMACOF" : "Classical MDS"} map of this run's C⁽ⱽ⁾ (not aligned to any baseline).`, svg))
    }
  }
  parts.push(`<div class="figures">${runFigs.join("\n")}</div>`)

  for (const c of vs.structureComparisons) parts.push(...(await structureComparisonBlocks(figures, vs, c)))

  parts.push(h3("Per-condition breakdown"))
  parts.push(conditionsTable("Mean score per value in each condition", vs.labels, vs.conditions))
  parts.push(h3("Reliability"))
  parts.push(reliabilityTable("Internal consistency of each value subscale", vs.reliability))
  return parts
}

const measureBlocks = (m: BehaviourMeasure): Array<Block> => [
  h3(m.questionnaire),
  `<p>Step ${escapeHtml(int(m.step))}, ${escapeHtml(int(m.respondents))} respondents.</p>`,
  table(
    `Mean score per behaviour, ${m.questionnaire}`,
    ["behaviour", "mean"],
    m.behaviours.map((b, k) => [b, n(m.means[k])])
  ),
  conditionsTable(`Mean score per behaviour in each condition, ${m.questionnaire}`, m.behaviours, m.conditions),
  ...(m.reliability.some((r) => r.alpha !== null) ? [reliabilityTable(`Internal consistency of each subscale, ${m.questionnaire}`, m.reliability)] : [])
]

const sbTable = (comparisons: ReadonlyArray<BehaviourComparison>, ciLevel: number): string =>
  table(
    "Value–behaviour similarity S_B per human baseline",
    ["baseline", "measure", "cells", "S_B", "chance mean", "chance 95th pct.", "p (perm.)", ...bootstrapHead(ciLevel).map((h) => (h === "p" || h === "BH-adjusted p" ? `paper's t-test ${h}` : h))],
    comparisons.map((c) => [
      baselineCell(c.baseline),
      c.measure,
      i(c.cells),
      n(c.sb),
      n(c.null?.mean ?? null),
      n(c.null?.q95 ?? null),
      p(c.null?.p ?? null),
      n(c.bootstrap.mean),
      { num: ciText(c.bootstrap.ci) },
      p(c.bootstrap.p),
      p(c.bootstrap.pAdjusted)
    ])
  )

const behaviourSection = async ({ figures, report }: Context): Promise<Array<Block>> => {
  const b = report.behaviour
  const parts: Array<Block> = []
  for (const m of b.measures) parts.push(...measureBlocks(m))
  if (b.valueBehaviour !== null) {
    const vb = b.valueBehaviour
    parts.push(h3("Value × behaviour correlations"))
    const spec = heatmapSpec(vb.values, vb.behaviours, vb.matrix)
    const svg = await figures.render(spec, "value by behaviour correlations")
    const caption = "Correlations of centered value scores (rows) with behaviour scores (columns)."
    parts.push(`<div class="figures">${figure(caption, svg)}</div>`)
  }
  if (b.comparisons.length > 0) {
    parts.push(h3("Comparison with human value–behaviour correlations"))
    parts.push(sbTable(b.comparisons, report.settings.ciLevel))
  }
  return parts
}

const roundsSpec = (data: ReadonlyArray<{ round: number; value: number; source: string }>, yTitle: string): TopLevelSpec => ({
  ...baseConfig,
  width: 420,
  height: 200,
  data: { values: data.map((d) => ({ ...d })) },
  mark: { type: "line", point: true },
  encoding: {
    x: { field: "round", type: "ordinal", axis: { title: "round", labelAngle: 0 } },
    y: { field: "value", type: "quantitative", axis: { title: yTitle }, scale: { zero: true } },
    // The legend lists only the series drawn: a human series only where there are human figures by round.
    color: data.some((d) => d.source === HUMAN_SOURCE)
      ? { field: "source", type: "nominal", scale: { domain: [RUN_SOURCE, HUMAN_SOURCE], range: [RUN_COLOUR, HUMAN_COLOUR] }, title: "source" }
      : { field: "source", type: "nominal", scale: { domain: [RUN_SOURCE], range: [RUN_COLOUR] }, title: "source" }
  }
})

const gameBlocks = async (figures: Figures, g: GameAnalysis): Promise<Array<Block>> => {
  const overall = g.metrics.filter((m) => m.round === null)
  const conditions = gameConditions(overall)
  const parts: Array<Block> = [
    h3(g.scenario === g.game ? g.scenario : `${g.scenario} (${g.game})`),
    `<p>Matches: ${int(g.matches.complete)} complete, ${int(g.matches.void)} void (a missing move), ${int(g.matches.failed)} failed, ` +
      `${int(g.matches.pending)} pending; ${int(g.unmatchedAgents)} agents sat out (group size).</p>`,
    table(
      `Outcomes of ${g.scenario} beside the human figures`,
      ["metric", "this run", "decisions", "human", "source", "where"],
      overall.map((m) => {
        const c = g.comparisons.find((x) => x.metric === m.metric && x.round === null)
        return [m.metric, n(m.value), i(m.n), c ? n(c.human) : "not available", { ref: c ? c.baseline.title : DASH }, { ref: c ? c.baseline.where : DASH }]
      })
    ),
    table(
      `${g.scenario}: outcomes by condition of the deciding agent (decisions in brackets)`,
      ["condition", ...overall.map((m) => m.metric)],
      conditions.map((cond) => [
        cond,
        ...overall.map((m): Cell => {
          const b = m.byCondition.find((x) => x.condition === cond)
          return { num: b === undefined ? DASH : `${num(b.value)} (${int(b.n)})` }
        })
      ])
    )
  ]
  const roundMetrics = [...new Set(g.metrics.filter((m) => m.round !== null).map((m) => m.metric))]
  const rounds = [...new Set(g.metrics.filter((m) => m.round !== null).map((m) => m.round!))].sort((a, b) => a - b)
  if (roundMetrics.length > 0) {
    parts.push(
      table(
        `${g.scenario}: outcomes by round`,
        ["metric", ...rounds.map((r) => `round ${r}`)],
        roundMetrics.map((name) => [name, ...rounds.map((r) => n(g.metrics.find((m) => m.metric === name && m.round === r)?.value ?? null))])
      )
    )
    if (g.polarisationGroups !== undefined) parts.push(`<p class="note">${escapeHtml(polarisationGroupsText(g.polarisationGroups))}.</p>`)
  }
  const firstMetric = roundMetrics[0]
  const byRound = g.metrics.filter((m) => m.round !== null && m.metric === firstMetric && isNumber(m.value))
  if (byRound.length > 1) {
    const data = byRound.map((m) => ({ round: m.round!, value: m.value!, source: RUN_SOURCE }))
    for (const c of g.comparisons) if (c.round !== null) data.push({ round: c.round, value: c.human, source: HUMAN_SOURCE })
    const svg = await figures.render(roundsSpec(data, byRound[0]!.metric), `${g.scenario} by round`)
    parts.push(figure(`${g.scenario}: ${byRound[0]!.metric} by round (this run${data.some((d) => d.source === HUMAN_SOURCE) ? " and human figures" : ""}).`, svg))
  }
  if (g.causes !== null && g.causes.length > 0) {
    parts.push(table(`${g.scenario}: causes chosen by contributors`, ["cause", "contributors"], g.causes.map((c) => [c.cause, i(c.count)])))
  }
  return parts
}

const gamesSection = async ({ figures, report }: Context): Promise<Array<Block>> => {
  const parts: Array<Block> = []
  for (const g of report.games) parts.push(...(await gameBlocks(figures, g)))
  return parts
}

/** What could not be compared, briefly and last: in full only what this run measured, the rest by name. */
const notComparedSection = async ({ report }: Context): Promise<Array<Block>> => {
  const parts: Array<Block> = []
  const absent = notMeasured(report)
  if (absent.length > 0) parts.push(`<p class="empty">This run has ${escapeHtml(absent.join("; "))}.</p>`)
  const missing = report.behaviour.missingBaselines
  const measured = missing.filter((m) => m.measuredByRun)
  if (measured.length > 0) {
    const items = measured.map(
      (m) =>
        `<li><strong>${escapeHtml(m.measure)}</strong>: ${escapeHtml(sentence(m.reason))} ` +
        (hasText(m.source) || hasText(m.usedIn)
          ? `<span class="sub">${[hasText(m.source) ? `Source: ${escapeHtml(clause(m.source))}` : "", hasText(m.usedIn) ? `used in ${escapeHtml(clause(m.usedIn))}` : ""].filter((x) => x !== "").join("; ")}.</span>`
          : "") +
        `</li>`
    )
    parts.push(`<p>Measured by this run, but without a human figure to compare with:</p><ul class="missing">${items.join("")}</ul>`)
  }
  const others = [...new Set(missing.filter((m) => !m.measuredByRun).map((m) => m.measure))]
  if (others.length > 0) {
    parts.push(`<p class="missing">Also without a human figure (not measured by this run): ${others.map((o) => `<code>${escapeHtml(o)}</code>`).join(", ")}.</p>`)
  }
  if (parts.length === 0) parts.push(`<p>Everything this run measured has a human figure beside it.</p>`)
  return parts
}

const baselinesSection = async ({ report }: Context): Promise<Array<Block>> => {
  const rows = (refs: ReadonlyArray<BaselineRef>) =>
    refs.map((b): Array<Cell> => [
      { html: `${escapeHtml(b.title)}<br><code class="id">${escapeHtml(b.id)}</code>` },
      { ref: b.instrument },
      { ref: b.population },
      i(b.n),
      `${b.obtained}, ${b.confidence} confidence`,
      { html: `<span class="ref">${escapeHtml(b.source)}</span><br><code class="path">${escapeHtml(baseName(b.file))}</code>` }
    ])
  const head = ["baseline", "instrument", "population", "n", "obtained", "source and file"]
  const parts: Array<Block> = []
  if (report.baselines.used.length > 0) parts.push(table("Baseline files used in this report", head, rows(report.baselines.used)))
  if (report.baselines.unmatched.length > 0) {
    parts.push(
      `<p class="missing">Read but matching nothing in this run: ` +
        `${report.baselines.unmatched.map((b) => `<code class="id">${escapeHtml(b.id)}</code>`).join(", ")}.</p>`
    )
  }
  return parts
}

const baseName = (file: string): string => file.split(/[\\/]/).at(-1) ?? file

/** How the figures were computed: only what this report's figures used (a game-only run has no bootstrap). */
const settingsHtml = (report: Report): string => {
  const s = report.settings
  const structure = (report.valueStructure?.structureComparisons.length ?? 0) > 0
  const bootstrapped = structure || report.behaviour.comparisons.length > 0
  const parts = [
    ...(bootstrapped
      ? [
          `Bootstrap: ${int(s.bootstrapIterations)} iterations of ${int(s.bootstrapSampleSize)} respondents, ${percent(s.ciLevel)} percentile CI, seed ${int(s.seed)}.`,
          `p in the paper's tables: two-sided one-sample t-test of the iterations against 0; BH-adjusted across all tests of this report.`
        ]
      : []),
    ...(structure ? [`Maps: ${methodText(s.mdsMethod)}. Chance level: ${int(s.permutations)} permutations of the run's value labels.`] : []),
    `Report format version ${int(report.reportVersion)}, generated by valuesim.`
  ]
  return `<footer><p>${escapeHtml(parts.join(" "))}</p></footer>`
}

/** The scoring methods side by side, then the shared questions whose option mass was below the threshold. */
const scoringSection = async ({ report }: Context): Promise<Array<Block>> => {
  const s = report.scoring!
  return [
    table("Answers per scoring method", ["method", "answers", "shared questions", "mean option mass", `answers below ${s.threshold}`],
      s.methods.map((m) => [m.method, int(m.answers), int(m.questions), num(m.meanMass), int(m.lowMassAnswers)])),
    table(`Shared questions with option mass below ${s.threshold} (${s.lowMass} answers drawn from them)`, ["step", "item", "condition", "mass", "scored by", "answers"],
      s.flagged.map((q) => [int(q.step), q.itemId, q.condition, num(q.mass), q.method, int(q.answers)]))
  ]
}

/** Each experiment: its effects table, then per outcome the effect plot and the effect by condition. */
const experimentsSection = async ({ figures, report }: Context): Promise<Array<Block>> => {
  const parts: Array<Block> = []
  for (const e of report.experiments ?? []) {
    parts.push(h3(e.id), `<p>${escapeHtml(experimentHeading(e))}</p>`)
    const t = effectRows(e)
    parts.push(table(`${e.id}: effect of each treatment arm against the control`, t.header, t.rows.map((r) => r.map((c, j) => (j >= 2 ? { num: c } : c)))))
    for (const o of e.outcomes) {
      const svg = await figures.render(effectPlotSpec(o), `effect on ${o.outcome}`)
      parts.push(figure(verdict(o), svg))
      const c = conditionRows(o)
      parts.push(table(`${o.outcome}: effect by value condition`, c.header, c.rows.map((r) => r.map((x, j) => (j >= 1 ? { num: x } : x)))))
    }
    for (const r of roundTables(e)) parts.push(table(`${e.id}: ${r.decision}, mean per round by arm`, r.header, r.rows.map((row) => row.map((x) => ({ num: x })))))
  }
  return parts
}

const SECTIONS: Record<SectionId, (ctx: Context) => Promise<Array<Block>>> = {
  scoring: scoringSection,
  sv: svSection,
  notes: notesSection,
  values: valuesSection,
  behaviour: behaviourSection,
  games: gamesSection,
  society: async ({ report }) => (report.societies ?? []).flatMap((a) => [h3(`${a.society} — ${a.title}`), societyHtml(a)]),
  experiments: experimentsSection,
  panels: async ({ report }) =>
    (report.panels ?? []).flatMap((p) => {
      const t = panelRows(p)
      return [h3(p.id), `<p>${escapeHtml(t.intro)}</p>`, table(`${p.id}: change between the two askings`, t.header, t.rows.map((r) => r.map((c, j) => (j >= 1 ? { num: c } : c))))]
    }),
  paired: async ({ report }) => {
    const t = pairedRows(report.pairedWith!)
    return [`<p>${escapeHtml(t.intro)}</p>`, table("Outcomes of both runs, agent by agent (difference: this run − the other)", t.header, t.rows.map((r) => r.map((c, j) => (j >= 2 ? { num: c } : c))))]
  },
  "not-compared": notComparedSection,
  baselines: baselinesSection
}

interface Rendered {
  readonly id: string
  readonly title: string
  readonly html: string
  readonly subs: ReadonlyArray<{ readonly id: string; readonly title: string }>
}

const renderSection = (id: string, title: string, blocks: ReadonlyArray<Block>): Rendered => {
  const subs: Array<{ id: string; title: string }> = []
  const html = blocks.map((b) => {
    if (typeof b === "string") return b
    const sub = { id: `${id}-${subs.length + 1}`, title: b.heading }
    subs.push(sub)
    return `<h3 id="${sub.id}">${escapeHtml(sub.title)}</h3>`
  })
  return { id, title, subs, html: `<section id="${id}"><h2>${escapeHtml(title)}</h2>\n${html.join("\n")}\n</section>` }
}

const tocHtml = (sections: ReadonlyArray<Rendered>): string => {
  const link = (id: string, title: string) => `<a href="#${id}">${escapeHtml(title)}</a>`
  const items = sections.map(
    (s) =>
      `<li>${link(s.id, s.title)}${s.subs.length === 0 ? "" : `<ol>${s.subs.map((x) => `<li>${link(x.id, x.title)}</li>`).join("")}</ol>`}</li>`
  )
  return `<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>${items.join("")}</ol></nav>`
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f; margin: 0 auto;
  max-width: 1200px; padding: 1.5rem; line-height: 1.45; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 0.8rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0.8rem 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.banner { border-radius: 6px; padding: 0.8rem 1rem; margin: 1rem 0; }
.banner p { margin: 0.3rem 0; }
.banner-label { font-weight: 700; font-size: 1.1rem; }
.banner.synthetic { background: #fff3cd; border: 3px solid #d39e00; }
.banner.synthetic .banner-label { text-transform: uppercase; letter-spacing: 0.03em; color: #7a5a00; }
nav.toc { border: 1px solid #ddd; border-radius: 6px; padding: 0.2rem 1rem 0.6rem; margin: 1rem 0; font-size: 0.9rem; }
nav.toc h2 { font-size: 1rem; border: none; margin: 0.5rem 0 0.2rem; }
nav.toc ol { margin: 0.1rem 0; padding-left: 1.4rem; }
nav.toc ol ol { font-size: 0.85rem; }
.missing, ul.circular { color: #555; font-size: 0.9rem; }
.sub { color: #666; font-size: 0.8rem; }
code.path, code.id { font-size: 0.78rem; overflow-wrap: anywhere; }
td.ref, span.ref { overflow-wrap: anywhere; }
td.num span.ci { white-space: normal; }
.table-wrap { overflow-x: auto; margin: 0.8rem 0; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.88rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; vertical-align: top; overflow-wrap: break-word; }
th { background: #f4f4f6; text-align: left; font-size: 0.82rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
.figures { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure { margin: 0.5rem 0; max-width: 100%; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.85rem; color: #555; max-width: 520px; }
.empty { color: #666; font-style: italic; }
footer { margin-top: 2.5rem; font-size: 0.8rem; color: #666; border-top: 1px solid #ddd; padding-top: 0.5rem; }
@media print { .figures { display: block; } figure { break-inside: avoid; } nav.toc { display: none; } }
`

/** Renders the report as one self-contained HTML page (inline CSS and SVG; no scripts, no external resources). */
/** One backend's sections, their anchors prefixed so that several backends' reports fit one page. */
const renderSections = async (figures: Figures, report: Report, prefix: string): Promise<Array<Rendered>> => {
  const ctx: Context = { figures, report }
  const sections: Array<Rendered> = []
  for (const s of presentSections(report)) sections.push(renderSection(`${prefix}${s.id}`, s.title, await SECTIONS[s.id](ctx)))
  return sections
}

/** Several whole reports on one page (a run's backends, an ensemble's seeds), each an article under its name. */
const reportArticles = async (
  figures: Figures,
  items: ReadonlyArray<{ readonly id: string; readonly name: string; readonly report: Report }>,
  banner: (report: Report, name: string) => string
): Promise<{ readonly toc: Array<Rendered>; readonly articles: Array<string> }> => {
  const toc: Array<Rendered> = []
  const articles: Array<string> = []
  for (const it of items) {
    const sections = await renderSections(figures, it.report, `${it.id}-`)
    toc.push({ id: it.id, title: it.name, subs: sections.map((x) => ({ id: x.id, title: x.title })), html: "" })
    articles.push(`<article id="${it.id}"><h1>${escapeHtml(it.name)}</h1>\n${banner(it.report, it.name)}${sections.map((x) => x.html).join("\n")}\n${settingsHtml(it.report)}\n</article>`)
  }
  return { toc, articles }
}

/** A several-backend run: the models side by side (src/report/models.ts), then each model's report. */
const modelsBody = async (figures: Figures, report: Report, models: NonNullable<Report["models"]>): Promise<Array<string>> => {
  const tables = modelTables(report).map((t) =>
    table(t.title, t.header, t.rows.map((r) => r.map((c, j): Cell => (t.numeric[j] ? { num: c } : c)))) +
    (t.note === null ? "" : t.note.split("\n").map((l) => `<p class="note">${escapeHtml(l)}</p>`).join("\n"))
  )
  const side = renderSection("models", `Models side by side — ${models.length} backends, each answering its own copy of the population`, [tables.join("\n")])
  const items = models.map((m, b) => ({ id: `model-${b + 1}`, name: m.name, report: m.report }))
  const { toc, articles } = await reportArticles(figures, items, (r, name) => (r.run.synthetic ? syntheticBanner(r.run.label, [name], models.length) : ""))
  return [headerHtml(report), tocHtml([side, ...toc]), side.html, ...articles]
}

const pageHtml = (title: string, body: ReadonlyArray<string>): string =>
  `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
  `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
  `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n` +
  `${body.join("\n")}\n</body>\n</html>\n`

/** A table given as text (numeric columns right-aligned) and the notes under it. */
export interface PageTable {
  readonly caption: string
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
  readonly numeric: ReadonlyArray<boolean>
  readonly notes: ReadonlyArray<string>
}

/**
 * A page of several whole reports after one leading section of tables and plots (an ensemble's seeds: its
 * across-seed table first, then each seed's report). `synthetic`: the label of the synthetic banner shown once
 * at the top when every report is the synthetic backend's (null: none is).
 */
export const renderReportsPage = async (page: {
  readonly title: string
  readonly facts: ReadonlyArray<readonly [string, string]>
  readonly synthetic: string | null
  readonly lead: { readonly id: string; readonly title: string; readonly tables: ReadonlyArray<PageTable>; readonly plots: ReadonlyArray<{ readonly spec: TopLevelSpec; readonly caption: string }> }
  readonly items: ReadonlyArray<{ readonly id: string; readonly name: string; readonly report: Report }>
}): Promise<string> => {
  const figures = new Figures()
  const blocks: Array<string> = []
  for (const plot of page.lead.plots) blocks.push(figure(plot.caption, await figures.render(plot.spec, plot.caption)))
  for (const t of page.lead.tables)
    blocks.push(table(t.caption, t.header, t.rows.map((r) => r.map((c, j): Cell => (t.numeric[j] ? { num: c } : c)))) + t.notes.map((l) => `<p class="note">${escapeHtml(l)}</p>`).join("\n"))
  const lead = renderSection(page.lead.id, page.lead.title, blocks)
  const { toc, articles } = await reportArticles(figures, page.items, () => "")
  const header = headerBlock(page.title, page.synthetic === null ? "" : syntheticBanner(page.synthetic, null, 1), page.facts)
  return pageHtml(page.title, [header, tocHtml([lead, ...toc]), lead.html, ...articles])
}

export const renderHtml = async (report: Report): Promise<string> => {
  const figures = new Figures()
  let body: Array<string>
  if (report.models === undefined) {
    const sections = await renderSections(figures, report, "")
    body = [headerHtml(report), tocHtml(sections), ...sections.map((s) => s.html), settingsHtml(report)]
  } else {
    body = await modelsBody(figures, report, report.models)
  }
  const run = report.run
  const synthetic = syntheticModels(report)
  const tag =
    synthetic === null ? (run.synthetic ? " [synthetic]" : "") : synthetic.length === 0 ? "" : synthetic.length === report.models!.length ? " [synthetic]" : " [partly synthetic]"
  return pageHtml(`valuesim report: ${run.study} (${run.runId})${tag}`, body)
}
