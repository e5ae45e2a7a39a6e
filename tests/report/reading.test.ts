/**
 * The reports as a reader sees them, from real runs of shipped scenarios: no doubled full stops, HTML tables that
 * fit a 1024-pixel window without a horizontal scrollbar, a table of contents whose links all land, MDS labels
 * that do not overlap, and in the text report every per-condition result the HTML page shows.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import type { Report } from "../../src/analysis/Report.js"
import { doubledStops, num } from "../../src/report/format.js"
import { intersectingPairs, labelSize, placeLabels, type Box } from "../../src/report/labels.js"
import { stringify } from "yaml"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"

const STUDIES: ReadonlyArray<readonly [name: string, file: string, args: ReadonlyArray<string>]> = [
  ["default", "scenarios/default-study.yaml", []],
  ["paper", "scenarios/studies/paper.yaml", ["--agents", "300"]],
  ["public-goods", "scenarios/games/public-goods.yaml", ["--agents", "200"]],
  ["ultimatum", "scenarios/games/ultimatum.yaml", ["--agents", "200"]],
  ["two-models", "two-models.yaml", []],
  ["vignette", "scenarios/vignettes/sugar-tax.yaml", ["--agents", "60"]]
]

/** A study on two backends (the models side by side, then each model's report). */
const twoModels = (dir: string) => {
  const file = path.join(dir, "two-models.yaml")
  fs.writeFileSync(
    file,
    stringify({
      kind: "study",
      id: "two-models",
      population: path.join(ROOT, "populations", "h-np.yaml"),
      agents: 200,
      seed: 3,
      steps: [{ questionnaire: path.join(ROOT, "scenarios", "vsq40.yaml") }, { game: path.join(ROOT, "scenarios", "games", "ultimatum.yaml") }],
      backends: [{ kind: "synthetic" }, { kind: "synthetic", temperature: 0.5 }]
    })
  )
  return file
}

interface Rendered {
  readonly text: string
  readonly html: string
  readonly json: Report
}

const decode = (s: string) =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&")

/** What a reader of the HTML page reads: no style sheet, no plots, no markup. */
const readingText = (html: string) =>
  decode(html.replace(/<style>[\s\S]*?<\/style>/g, "").replace(/<svg[\s\S]*?<\/svg>/g, " ").replace(/<[^>]+>/g, " "))

// ---------------------------------------------------------------------------------------------------------------
// Narrowest width a table can take (its min-content width), estimated from the CSS of the report: a cell cannot be
// narrower than its longest unbreakable run of text (numbers never wrap; reference cells wrap anywhere). Glyphs are
// taken at 0.6 em, wider than the average of a system sans-serif, so the estimate errs towards too wide.

const PAGE = 1024 - 2 * 24 - 16 // a 1024-pixel window, less the body's padding and a vertical scrollbar
const EM = 16
const CELL_EXTRA = 2 * 0.5 * EM + 1 // padding and border
const glyphs = (text: string, fontPx: number) => text.length * 0.6 * fontPx

const cellMinWidth = (inner: string, header: boolean, numeric: boolean): number => {
  const size = (header ? 0.82 : 0.88) * EM
  const runs = (html: string) =>
    decode(html.replace(/<br>/g, " ").replace(/<[^>]+>/g, ""))
      .split(/\s+/)
      .flatMap((w) => w.split(/(?<=-)(?=\p{L})/u)) // browsers may break after a hyphen between letters
      .filter((w) => w.length > 0)
  // reference text and file names wrap anywhere: they cost one glyph
  const wrapAnywhere = /class="(ref|path|id)"/
  if (numeric) {
    // a number never wraps; an interval under it (span.ci) may wrap after its comma
    const lines = inner.split("<br>").map((line) =>
      /class="[^"]*\bci\b/.test(line) ? Math.max(...runs(line).map((w) => glyphs(w, 0.8 * EM))) : glyphs(decode(line.replace(/<[^>]+>/g, "")), size)
    )
    return Math.max(...lines) + CELL_EXTRA
  }
  const parts = inner.split(/(<(?:span|code)[^>]*>[\s\S]*?<\/(?:span|code)>)/)
  let widest = 0
  for (const part of parts) {
    const anywhere = wrapAnywhere.test(part)
    const sub = /class="sub"/.test(part) ? 0.8 * EM : size
    for (const w of runs(part)) widest = Math.max(widest, anywhere ? glyphs("W", sub) : glyphs(w, sub))
  }
  return widest + CELL_EXTRA
}

const tableMinWidths = (html: string): Array<{ caption: string; width: number }> =>
  [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((t) => {
    const body = t[1]!
    const caption = decode(/<caption>([\s\S]*?)<\/caption>/.exec(body)?.[1] ?? "")
    const widths: Array<number> = []
    for (const row of body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)) {
      let col = 0
      for (const c of row[1]!.matchAll(/<(td|th)([^>]*)>([\s\S]*?)<\/\1>/g)) {
        const w = cellMinWidth(c[3]!, c[1] === "th", /class="(num)"/.test(c[2]!))
        widths[col] = Math.max(widths[col] ?? 0, w)
        col++
      }
    }
    return { caption, width: widths.reduce((a, b) => a + b, 0) }
  })

// ---------------------------------------------------------------------------------------------------------------
// MDS label boxes as drawn: Vega writes each label as <text text-anchor="middle" transform="translate(x,y)">,
// y being the baseline; an upper-case label stands between 0.8 em above and 0.2 em below it.

const mdsFigures = (html: string): Array<string> =>
  [...html.matchAll(/<figure>(<svg[\s\S]*?<\/svg>)<figcaption>MDS maps after Procrustes/g)].map((m) => m[1]!)

const labelBoxes = (svg: string): Array<{ text: string; box: Box }> =>
  [...svg.matchAll(/<text[^>]*aria-roledescription="text mark"[^>]*transform="translate\(([-\d.e]+),([-\d.e]+)\)"[^>]*font-size="(\d+)px"[^>]*font-weight="bold"[^>]*>([^<]+)<\/text>/g)].map((m) => {
    const x = Number(m[1])
    const y = Number(m[2])
    const size = Number(m[3])
    const text = m[4]!
    const { w } = labelSize(text, size)
    return { text, box: { x0: x - w / 2, x1: x + w / 2, y0: y - 0.8 * size, y1: y + 0.2 * size } }
  })

describe("reports as a reader sees them", () => {
  const reports = new Map<string, Rendered>()

  beforeAll(async () => {
    const runs = tempDir("reading")
    const own = twoModels(runs)
    for (const [name, file, args] of STUDIES) {
      const run = await runCli(["run", name === "two-models" ? own : file, "--json", "--runs-dir", runs, ...args])
      expect(run.code, run.stderr).toBe(0)
      const dir = String(lastJson(run.stdout)["runDir"])
      const out = path.join(runs, `${name}.html`)
      const [text, html, json] = await Promise.all([
        runCli(["report", dir]),
        runCli(["report", dir, "--format", "html", "--out", out]),
        runCli(["report", dir, "--format", "json"])
      ])
      for (const r of [text, html, json]) expect(r.code, r.stderr).toBe(0)
      reports.set(name, { text: text.stdout, html: fs.readFileSync(out, "utf8"), json: JSON.parse(json.stdout) as Report })
    }
  }, 300_000)

  it("has no doubled full stops in any text or HTML report", () => {
    for (const [name, r] of reports) {
      expect(doubledStops(r.text), `${name} text`).toEqual([])
      expect(doubledStops(readingText(r.html)), `${name} html`).toEqual([])
      // a field a data file leaves empty ("-") is left out, not printed
      expect(r.text, name).not.toMatch(/: - —|Source: -/)
      expect(readingText(r.html), name).not.toMatch(/Source: -|used in -/)
    }
  })

  it("fits every HTML table in a 1024-pixel window", () => {
    for (const [name, r] of reports) {
      const tables = tableMinWidths(r.html)
      expect(tables.length, name).toBeGreaterThan(0)
      for (const t of tables) expect(t.width, `${name}: ${t.caption}`).toBeLessThanOrEqual(PAGE)
    }
  })

  it("opens with a table of contents whose every link lands on a heading", () => {
    for (const [name, r] of reports) {
      const toc = /<nav class="toc"[\s\S]*?<\/nav>/.exec(r.html)?.[0] ?? ""
      const links = [...toc.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!)
      const sections = [...r.html.matchAll(/<section id="([^"]+)"><h2>/g)].map((m) => m[1]!)
      expect(sections.length, name).toBeGreaterThan(1)
      for (const id of sections) expect(links, `${name}: ${id}`).toContain(id)
      for (const id of links) expect(r.html, `${name}: #${id}`).toMatch(new RegExp(`<(section|h3|article) id="${id}"`))
      expect(r.html.indexOf(toc)).toBeLessThan(r.html.indexOf("<section"))
    }
  })

  it("leads with results: what was not compared comes after them, briefly", () => {
    for (const [name, r] of reports) {
      const notCompared = r.html.indexOf('<section id="not-compared">')
      for (const id of ["sv", "values", "behaviour", "games"]) {
        const at = r.html.indexOf(`<section id="${id}">`)
        if (at >= 0) expect(at, `${name}: ${id}`).toBeLessThan(notCompared)
      }
      // baselines the run did not measure are named, not explained
      for (const m of r.json.behaviour.missingBaselines.filter((x) => !x.measuredByRun)) {
        expect(readingText(r.html), name).not.toContain(m.reason.slice(0, 60))
        expect(r.text, name).not.toContain(m.reason.slice(0, 60))
        expect(r.text, name).toContain(m.measure)
      }
    }
  })

  it("draws the default study's MDS maps with labels that do not overlap", () => {
    const figures = mdsFigures(reports.get("default")!.html)
    expect(figures.length).toBeGreaterThanOrEqual(3)
    for (const svg of figures) {
      const labels = labelBoxes(svg)
      expect(labels).toHaveLength(20) // ten values, run and human
      expect(intersectingPairs(labels.map((l) => l.box)).map(([a, b]) => `${labels[a]!.text}/${labels[b]!.text}`)).toEqual([])
    }
  })

  /**
   * A condition's row from `from` on, with its continuation lines: the text report is fitted to 80 columns, so a
   * wide table's row may be a record (the condition, then "header value" pairs on the more indented lines below).
   */
  const rowText = (lines: ReadonlyArray<string>, from: number, condition: string): string | undefined => {
    const i = lines.findIndex((l, k) => k >= from && (l.trim() === condition || l.trim().startsWith(`${condition} `)))
    if (i < 0) return undefined
    const indent = (l: string) => l.length - l.trimStart().length
    let text = lines[i]!.trim()
    for (let k = i + 1; k < lines.length && lines[k]!.trim() !== "" && indent(lines[k]!) > indent(lines[i]!); k++) text += ` ${lines[k]!.trim()}`
    return text
  }

  it("prints in the text report the per-condition behaviour and game results the HTML page shows", () => {
    const paper = reports.get("paper")!
    expect(paper.json.behaviour.measures.length).toBeGreaterThanOrEqual(4)
    const lines = paper.text.split("\n")
    for (const m of paper.json.behaviour.measures) {
      const at = lines.findIndex((l) => l.startsWith(`${m.questionnaire} (step ${m.step})`))
      expect(at, m.questionnaire).toBeGreaterThan(0)
      for (const c of m.conditions) {
        const row = rowText(lines, at, c.condition)
        expect(row, `${m.questionnaire} ${c.condition}`).toBeDefined()
        // The means (the agents count has no decimal point), whether the row is a table row or a record.
        const means = row!.split(/\s+/).map((t) => t.replace(/;$/, "")).filter((t) => /^-?\d+\.\d+$/.test(t) || t === "–")
        expect(means).toEqual(c.means.map((x) => num(x, 2)))
      }
    }
    for (const name of ["paper", "public-goods", "ultimatum"]) {
      const r = reports.get(name)!
      expect(r.json.games.length, name).toBe(1)
      const g = r.json.games[0]!
      const text = r.text.slice(r.text.indexOf("By condition of the deciding agent"))
      const overall = g.metrics.filter((m) => m.round === null)
      const conditions = new Set(overall.flatMap((m) => m.byCondition.map((b) => b.condition)))
      expect(conditions.size, name).toBeGreaterThan(2)
      for (const cond of conditions) {
        const row = rowText(text.split("\n"), 0, cond)
        expect(row, `${name} ${cond}`).toBeDefined()
        for (const m of overall) {
          const b = m.byCondition.find((x) => x.condition === cond)
          if (b !== undefined) expect(row!, `${name} ${cond} ${m.metric}`).toContain(num(b.value))
        }
      }
      // the HTML page shows the same outcome of each condition
      for (const m of overall) for (const b of m.byCondition) expect(r.html).toContain(`${num(b.value)} (${b.n})`)
    }
    const rounds = reports.get("public-goods")!.text
    expect(rounds).toContain("By round:")
  })
})

describe("label placement", () => {
  it("keeps labels of a crowded cluster apart, where labels above their points would overlap", () => {
    const codes = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]
    // twenty points within a 40-pixel square in the middle of a 380-pixel plot
    const points = codes.flatMap((text, k) => [
      { px: 170 + 4 * k, py: 180 + ((k * 7) % 20), text },
      { px: 172 + 4 * k, py: 185 + ((k * 11) % 20), text }
    ])
    const naive = points.map((pt) => {
      const { w, h } = labelSize(pt.text, 11)
      return { x0: pt.px - w / 2, x1: pt.px + w / 2, y0: pt.py - 7 - h, y1: pt.py - 7 }
    })
    expect(intersectingPairs(naive).length).toBeGreaterThan(0)
    const placed = placeLabels(points, 380, 380, { fontSize: 11, pointRadius: 5 })
    expect(intersectingPairs(placed.map((l) => l.box))).toEqual([])
    for (const l of placed) {
      expect(l.box.x0).toBeGreaterThanOrEqual(0)
      expect(l.box.y0).toBeGreaterThanOrEqual(0)
    }
    expect(placeLabels(points, 380, 380, { fontSize: 11, pointRadius: 5 })).toEqual(placed)
  })
})

describe("doubledStops", () => {
  it("finds doubled full stops, not paths or ellipses", () => {
    expect(doubledStops("Not guessed.. Next")).toHaveLength(1)
    expect(doubledStops("as listed above.). Then")).toHaveLength(1)
    expect(doubledStops("Society. . used")).toHaveLength(1)
    expect(doubledStops("see ../shared/data and wait... then 0.5. Done.")).toEqual([])
  })
})
