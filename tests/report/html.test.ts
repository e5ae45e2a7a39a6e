import { describe, expect, it } from "@effect/vitest"
import type { BaselineRef, BootstrapSummary, Report } from "../../src/analysis/Report.js"
import { renderHtml } from "../../src/report/html.js"

const CODES = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]
const angle = (k: number) => (2 * Math.PI * k) / CODES.length
const round3 = (x: number) => Number(x.toFixed(3))
const circleMatrix = (shift: number): Array<Array<number>> =>
  CODES.map((_, a) => CODES.map((__, b) => (a === b ? 1 : round3(0.6 * Math.cos(angle(a) - angle(b)) - shift))))
const circleMap = (radius: number, turn: number): Array<Array<number>> =>
  CODES.map((_, k) => [radius * Math.cos(angle(k) + turn), radius * Math.sin(angle(k) + turn)])

const baseline = (id: string, title: string, overrides: Partial<BaselineRef> = {}): BaselineRef => ({
  file: `human-baselines/${id}.yaml`,
  id,
  title,
  instrument: "PVQ-RR",
  population: "adults, 49 cultural groups",
  n: 53472,
  source: "Schwartz & Cieciuch (2022), doi:10.1177/10731911211018456",
  obtained: "published",
  confidence: "high",
  ...overrides
})

const bootstrap = (mean: number | null, p: number | null, pAdjusted: number | null): BootstrapSummary => ({
  iterations: 200,
  sampleSize: 40,
  sizeRule: "own",
  mean,
  sd: 0.02,
  ci: { level: 0.95, lower: mean === null ? null : mean - 0.03, upper: mean === null ? null : mean + 0.03 },
  t: 41.2,
  df: 199,
  p,
  pAdjusted
})

// one undefined r (HE–TR), drawn as a dash
const runCorrelations = circleMatrix(0.1).map((row, a) =>
  row.map((r, b): number | null => ((a === 2 && b === 7) || (a === 7 && b === 2) ? null : r))
)

const fullReport: Report = {
  reportVersion: 1,
  run: {
    runId: "run-2024-01-01-abc",
    runDir: "runs/run-2024-01-01-abc & co",
    study: "default-study",
    status: "completed",
    backend: "synthetic",
    model: "theory-circumplex",
    synthetic: true,
    label: "synthetic: theory model, not an LLM",
    agents: 40,
    seed: 7,
    population: { id: "uniform-10", strategy: "stratified" }
  },
  settings: { bootstrapIterations: 200, bootstrapSampleSize: 40, bootstrapSizeRule: "own", ciLevel: 0.95, seed: 11, mdsMethod: "smacof", permutations: 1000 },
  valueStructure: {
    step: 0,
    questionnaire: "pvq-rr",
    labels: CODES,
    respondents: 40,
    hierarchy: {
      centered: CODES.map((_, k) => Number((0.5 * Math.cos(angle(k))).toFixed(3))),
      raw: CODES.map((_, k) => (k === 4 ? null : Number((4 + 0.5 * Math.cos(angle(k))).toFixed(3))))
    },
    hierarchyComparisons: [
      {
        baseline: baseline("schwartz-2022-hierarchy", "Pan-cultural value hierarchy"),
        centered: false,
        labels: CODES,
        human: CODES.map((_, k) => Number((4.2 + 0.4 * Math.sin(angle(k))).toFixed(3))),
        model: CODES.map((_, k) => Number((0.5 * Math.cos(angle(k))).toFixed(3))),
        spearman: 0.6121,
        circularity: "circular: the population's dominant-value shares come from the same data (test)"
      }
    ],
    correlations: { centered: runCorrelations, raw: circleMatrix(-0.1) },
    mds: { method: "smacof", coordinates: circleMap(1, 0), eigenvalues: [3.1, 2.9] },
    structureComparisons: [
      {
        baseline: baseline("schwartz-2012-mds", "Schwartz et al. <b>2012</b> structure"),
        centered: true,
        humanMatrix: circleMatrix(0.12),
        mdsMethod: "smacof",
        sv: 0.8734,
        disparity: 0.1266,
        null: { permutations: 1000, mean: 0.2345, q95: 0.4567, p: 0.000999, pAdjusted: 0.001998 },
        ceiling: { family: "PVQ", sv: 0.9, pairs: [{ baseline: "other", sv: 0.9 }], position: (0.8734 - 0.2345) / (0.9 - 0.2345) },
        circularity: null,
        bootstrap: bootstrap(0.8612, 1.2e-9, 2.4e-9),
        aligned: { human: circleMap(1, 0), model: circleMap(0.9, 0.15) }
      },
      {
        baseline: baseline("student-sample", "Student sample structure", {
          n: null,
          obtained: "computed-from-public-data",
          confidence: "low",
          source: "ESS round 9 microdata"
        }),
        centered: false,
        humanMatrix: circleMatrix(0.05),
        mdsMethod: "smacof",
        sv: 0.5432,
        disparity: null,
        null: null,
        ceiling: { family: "PVQ", sv: null, pairs: [], position: null },
        circularity: "partly circular: the population's dominant-value shares come from the same data (test)",
        bootstrap: bootstrap(null, null, null),
        aligned: { human: circleMap(1, 0), model: circleMap(1.1, -0.3) }
      }
    ],
    conditions: [
      { condition: "baseline", primedValue: null, agents: 20, means: CODES.map((_, k) => (k === 0 ? null : 0.1 * k)) },
      { condition: "prime-PO", primedValue: "PO", agents: 20, means: CODES.map((_, k) => -0.05 * k) }
    ],
    reliability: CODES.map((code, k) => ({ subscale: code, items: 3, alpha: k === 9 ? null : 0.7 + 0.01 * k }))
  },
  behaviour: {
    measures: [
      {
        step: 1,
        questionnaire: "prosocial-behaviour",
        behaviours: ["donate", "volunteer", "cheat"],
        respondents: 40,
        means: [3.2, 2.8, null],
        conditions: [{ condition: "baseline", primedValue: null, agents: 40, means: [3.2, 2.8, 1.1] }],
        reliability: [{ subscale: "donate", items: 4, alpha: 0.81 }]
      }
    ],
    valueBehaviour: {
      values: CODES,
      behaviours: ["donate", "volunteer", "cheat"],
      matrix: CODES.map((_, k) => [0.3 * Math.cos(angle(k)), 0.2 * Math.sin(angle(k)), k === 3 ? null : -0.1])
    },
    comparisons: [
      {
        baseline: baseline("bardi-2003", "Bardi & Schwartz 2003 behaviours", { instrument: "PVQ-40" }),
        measure: "prosocial-behaviour",
        values: CODES,
        behaviours: ["donate", "volunteer"],
        humanMatrix: CODES.map(() => [0.2, 0.1]),
        modelMatrix: CODES.map(() => [0.25, 0.05]),
        cells: 20,
        sb: 0.4567,
        null: { permutations: 1000, mean: 0.0123, q95: 0.2468, p: 0.0456, pAdjusted: 0.0912 },
        bootstrap: bootstrap(0.4444, 0.0123, 0.0246)
      }
    ],
    missingBaselines: [
      {
        measure: "dictator-game",
        source: "no public value × dictator-game correlations",
        reason: "no published correlations with PVQ values",
        usedIn: "S_B",
        measuredByRun: false
      }
    ]
  },
  baselines: {
    used: [baseline("schwartz-2012-mds", "Schwartz et al. <b>2012</b> structure")],
    unmatched: [baseline("unused", "An unused baseline")]
  },
  games: [],
  notes: ["Synthetic backend: figures are a theory reference.", "Small sample: 40 agents < 100."]
}

const emptyReport: Report = {
  ...fullReport,
  run: { ...fullReport.run, synthetic: false, label: null, backend: "openai", model: "gpt-test", status: "failed" },
  valueStructure: null,
  behaviour: { measures: [], valueBehaviour: null, comparisons: [], missingBaselines: [] },
  baselines: { used: [], unmatched: [] },
  games: [],
  notes: []
}

const svgTexts = (html: string): Array<string> =>
  [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].flatMap((m) =>
    [...m[0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]!)
  )

describe("renderHtml", () => {
  it("renders a complete self-contained page", async () => {
    const start = performance.now()
    const html = await renderHtml(fullReport)
    const elapsed = performance.now() - start
    console.log(`renderHtml(fullReport): ${elapsed.toFixed(0)} ms, ${html.length} characters`)

    expect(html.startsWith("<!doctype html>")).toBe(true)
    // run C(V) heatmap, 2 × (MDS map + human heatmap), 1 hierarchy chart, value × behaviour heatmap
    expect(html.match(/<svg[\s>]/g)?.length).toBe(7)
    expect(html.match(/<\/svg>/g)?.length).toBe(7)

    const texts = svgTexts(html)
    for (const code of CODES) expect(texts, code).toContain(code)
    for (const behaviour of ["donate", "volunteer", "cheat"]) expect(texts).toContain(behaviour)

    expect(html).toContain("synthetic: theory model, not an LLM")
    expect(html).toContain("theory reference")
    expect(html).toContain("0.873") // S_V
    expect(html).toContain("0.861") // bootstrap mean
    expect(html).toContain("[0.831, 0.891]") // CI
    expect(html).toContain("&lt;.001") // p below .001, formatted as in the text report
    expect(html).toContain("0.543")
    expect(html).toContain("0.612") // Spearman
    expect(html).toContain("0.457") // S_B
    // Results first: the short list of what was not compared follows the behaviour comparisons; a baseline the
    // run did not measure is named there, not explained.
    expect(html).toContain("not measured by this run): <code>dictator-game</code>")
    expect(html.indexOf('<section id="not-compared">')).toBeGreaterThan(html.indexOf("Comparison with human value–behaviour correlations"))
    expect(html).not.toContain("no published correlations with PVQ values")
    // a table of contents links every section
    for (const id of ["sv", "notes", "values", "behaviour", "not-compared", "baselines"]) expect(html).toContain(`<a href="#${id}">`)

    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i)
    expect(html).not.toMatch(/@import|@font-face/i)
    expect(html).not.toMatch(/\b(src|href|action|poster)\s*=\s*["']?\s*(https?:)?\/\//i)
    expect(html).not.toMatch(/url\(\s*["']?\s*(https?:)?\/\//i)
    const withoutXmlns = html.replace(/\sxmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, "")
    expect(withoutXmlns).not.toMatch(/https?:\/\//)

    expect(html).not.toContain("NaN")
    expect(html).not.toMatch(/>\s*(null|undefined)\s*</)
    expect(html).not.toContain("Infinity")
  })

  it("renders null statistics as a dash", async () => {
    const html = await renderHtml(fullReport)
    // the second structure comparison has a null disparity, bootstrap mean, CI, p and BH-adjusted p
    const row = html.split("\n").find((line) => line.includes("<td>Student sample structure<br>") && line.includes(">raw<"))!
    expect(row).toBeDefined()
    expect(row).toContain("n –, low confidence")
    expect(row.match(/<td class="num">–<\/td>/g)?.length).toBe(5) // disparity, mean, CI, p, BH p
    // the undefined r of the run's matrix is a dash inside the heatmap
    expect(svgTexts(html)).toContain("–")
  })

  it("escapes text from the report", async () => {
    const html = await renderHtml(fullReport)
    expect(html).not.toContain("<b>2012</b>")
    expect(html).toContain("Schwartz et al. &lt;b&gt;2012&lt;/b&gt; structure")
    expect(html).toContain("runs/run-2024-01-01-abc &amp; co")
  })

  it("numbers SVG ids per figure so inline plots do not share ids", async () => {
    const html = await renderHtml(fullReport)
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])
    expect(new Set(ids).size).toBe(ids.length)
    expect(await renderHtml(fullReport)).toBe(html)
  })

  it("renders a report without value structure or behaviour", async () => {
    const html = await renderHtml(emptyReport)
    expect(html.startsWith("<!doctype html>")).toBe(true)
    expect(html).not.toContain("<svg")
    expect(html).not.toContain("synthetic: theory model")
    expect(html).toContain("This run has no value questionnaire, so no value structure or S_V; no behaviour measure; no game.")
    expect(html).not.toContain('<section id="values">')
    expect(html).toContain("gpt-test")
    expect(html).not.toContain("NaN")
  })
})

describe("an S_V outside its own CI (issue 21 item 16)", () => {
  it("is never printed without a word: HTML, text and the closing line explain it", async () => {
    const { renderText } = await import("../../src/report/text.js")
    const { headline } = await import("../../src/app/resultLine.js")
    const vs = fullReport.valueStructure!
    const first = vs.structureComparisons[0]!
    const outside: Report = {
      ...fullReport,
      valueStructure: {
        ...vs,
        structureComparisons: [{ ...first, sv: 0.434, bootstrap: { ...first.bootstrap, mean: 0.173, ci: { level: 0.95, lower: 0.058, upper: 0.407 } } }]
      }
    }
    const said = /S_V 0\.434 lies outside its own CI 0\.058–0\.407 \(bootstrap mean 0\.173\): at a small or structureless sample S_V is biased/
    expect(await renderHtml(outside)).toMatch(said)
    expect(renderText(outside)).toMatch(new RegExp(`\\[outside CI\\] ${first.baseline.title}: ${said.source}`))
    const lines = headline(outside)
    expect(lines[0]).toMatch(/^result: S_V = 0\.434 \(95 % CI 0\.058–0\.407/)
    expect(lines[1]).toMatch(new RegExp(`^ +note: ${said.source}`))
    // Inside its CI: no such word.
    expect(renderText(fullReport)).not.toContain("[outside CI]")
  })
})
