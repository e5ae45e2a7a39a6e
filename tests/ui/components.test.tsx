import { renderToString } from "ink"
import { stripVTControlCharacters } from "node:util"
import type { ReactNode } from "react"
import { describe, expect, it } from "vitest"
import { Dashboard } from "../../src/ui/components/Dashboard.js"
import { HelpPanel } from "../../src/ui/components/HelpPanel.js"
import { RunPanel, runPanelLines, SYNTHETIC_BANNER } from "../../src/ui/components/RunPanel.js"
import { NO_STATS, StatsPanel } from "../../src/ui/components/StatsPanel.js"
import type { Snapshot } from "../../src/ui/state.js"
import { liveStats, makeSnapshot, openAiSnapshot, syntheticSnapshot } from "./dashboardFixtures.js"

/** Rendered text without styles (chalk may or may not colour under the test runner). */
const frame = (node: ReactNode, columns: number): string => stripVTControlCharacters(renderToString(node, { columns }))
const dashboard = (s: Snapshot) => frame(<Dashboard snapshot={s} />, s.ui.width)
const lines = (text: string) => text.split("\n")
const width = (line: string) => Array.from(line).length

const expectWithin = (text: string, columns: number, rows: number) => {
  const ls = lines(text)
  expect(ls.length).toBeLessThanOrEqual(rows)
  for (const l of ls) expect(width(l), `line too long: ${JSON.stringify(l)}`).toBeLessThanOrEqual(columns)
}

describe("RunPanel", () => {
  it("shows a synthetic run mid-way, with the synthetic banner on its own line", () => {
    const text = dashboard(syntheticSnapshot("run"))
    const banner = lines(text).filter((l) => l.includes(SYNTHETIC_BANNER))
    expect(banner).toHaveLength(1)
    expect(banner[0]?.trim()).toBe(SYNTHETIC_BANNER)
    expect(text).toContain("default-study")
    expect(text).toContain("r-20250301-7f3a")
    expect(text).toContain("synthetic/circumplex-v1")
    expect(text).toContain("200 agents")
    expect(text).toMatch(/total\s+\S+ 244\/400\s+61\.0%/)
    expect(text).toMatch(/pvq-rr\s+\S+ 160\/200\s+80\.0%\s+questionnaire/)
    expect(text).toMatch(/public-goods\s+\S+\s+84\/200\s+42\.0%\s+game/)
    expect(text).toContain("individualist")
    expect(text).toContain("61/100")
    expect(text).toContain("● running")
    expect(text).toContain("elapsed 4m05s")
    expect(text).toContain("ETA 2m35s")
    expect(text).toContain("40 answers/s")
    expect(text).toMatch(/cost\s+free/)
    expect(text).toMatch(/fails\s+none/)
    expect(text).toMatchSnapshot()
  })

  it("styles the banner inverse yellow across the full width", () => {
    const banner = runPanelLines(syntheticSnapshot("run"), 80).find((l) => l.some((s) => s.text.includes(SYNTHETIC_BANNER)))
    expect(banner).toBeDefined()
    expect(banner?.every((s) => s.inverse === true && s.color === "yellow")).toBe(true)
    expect(banner?.reduce((n, s) => n + s.text.length, 0)).toBe(80)
  })

  it("flags answers drawn from distributions with low option mass, and says nothing when there are none", () => {
    const base = openAiSnapshot("run")
    const flagged = runPanelLines({ ...base, totals: { ...base.totals, lowMass: 1234 } }, 120).flat()
    const seg = flagged.find((s) => s.text.includes("low option mass"))
    expect(seg?.text).toBe("1,234 low option mass")
    expect(seg?.color).toBe("yellow")
    expect(runPanelLines(base, 120).flat().some((s) => s.text.includes("low option mass"))).toBe(false)
  })

  it("shows an OpenAI run with retries, failures by reason and a cost, and no banner", () => {
    const text = dashboard(openAiSnapshot("run"))
    expect(text).not.toContain(SYNTHETIC_BANNER)
    expect(text).not.toContain("synthetic")
    expect(text).toContain("openai/gpt-4o-mini")
    expect(text).toContain("1,200 agents")
    expect(text).toMatch(/total\s+\S+ 749\/2,400\s+31\.2%\s+6 failed/)
    expect(text).toContain("ETA 1h02m03s")
    expect(text).toContain("elapsed 30m34s")
    expect(text).toContain("23 answers/s")
    expect(text).toContain("7.3k tokens/s")
    expect(text).toContain("32 in flight")
    expect(text).toContain("44,310 requests · 1,204 cached · 17 retries")
    expect(text).toContain("rate_limit 3 · timeout 2 · unparseable 1")
    expect(text).toContain("≈ $2.38")
    expect(text).toContain("12M prompt + 830k completion tokens")
    // Eight conditions, three per line at 100 columns.
    expect(lines(text).filter((l) => l.includes("country-"))).toHaveLength(3)
    expect(text).toMatchSnapshot()
  })

  it("shows small costs with four decimals and an unknown price as unknown", () => {
    expect(dashboard({ ...openAiSnapshot("run"), costUsd: 0.0123 })).toContain("≈ $0.0123")
    const unknown = dashboard({ ...openAiSnapshot("run"), costUsd: null })
    expect(unknown).toMatch(/cost\s+unknown \(no price known for this model\)/)
  })

  it("shows the status, the message, and an unknown or finished ETA", () => {
    const paused = dashboard(makeSnapshot({ status: "paused", etaSeconds: null, message: "paused: no new requests are sent" }))
    expect(paused).toContain("● paused")
    expect(paused).toContain("ETA unknown")
    expect(paused).toContain("paused: no new requests are sent")
    expect(paused).toContain("p resume")
    const stopped = dashboard(
      makeSnapshot({ status: "interrupted", message: "stopped; resume with valuesim resume runs/r-20250301-7f3a" })
    )
    expect(stopped).toContain("● interrupted")
    expect(stopped).toContain("ETA –")
    expect(stopped).toContain("resume with valuesim resume runs/r-20250301-7f3a")
  })

  it("gives way on condition rows first on a short terminal, saying how many are hidden", () => {
    const s = openAiSnapshot("run", 60, 16)
    const text = dashboard(s)
    expectWithin(text, 60, 16)
    expect(text).toMatch(/… \d+ more conditions/)
    expect(text).toContain("cost")
    expect(text).toContain("tab panels")
  })
})

describe("StatsPanel", () => {
  it("shows S_V with its CI, the hierarchies, the map, the condition means and the games", () => {
    const text = dashboard(syntheticSnapshot("stats"))
    expect(text).toContain("S_V 0.87 [0.85, 0.89] vs ESS Sweden")
    expect(text).toContain("143 respondents")
    // Hierarchy: highest run mean first, run score then the human one.
    const hierarchy = lines(text).filter((l) => /^[A-Z]{2} /.test(l))
    expect(hierarchy.map((l) => l.slice(0, 2))).toEqual(["BE", "UN", "SD", "SE", "HE", "CO", "AC", "ST", "TR", "PO"])
    expect(hierarchy[0]).toMatch(/BE\s+│█+▌?\s+\+0\.91\s+│█+\s+\+0\.86/)
    expect(hierarchy[9]).toMatch(/PO\s+█+│\s+-1\.21/)
    // Map: every code in upper case (run) to the right of the hierarchy, and human codes in lower case.
    const mapPart = lines(text)
      .slice(2, 20)
      .map((l) => l.slice(45))
      .join("\n")
    expect(mapPart).toContain("map SD run · sd human")
    for (const code of liveStats.labels) expect(mapPart).toMatch(new RegExp(`\\b${code}\\b`))
    const humanCodes = new Set(mapPart.match(/\b[a-z]{2}\b/g))
    expect(humanCodes.size).toBeGreaterThanOrEqual(6)
    for (const code of humanCodes) expect(liveStats.labels).toContain(code.toUpperCase())
    expect(text).toMatch(/individualist\s+36 \+0\.90 \+0\.20/)
    expect(text).toContain("public-goods contribution rate ▅▅▅▄▄▄·▃ 0.31 · human 0.47")
    expect(text).toContain("ultimatum    mean offer share  ▄▄▄ 0.44 · no human figure")
    expect(text).toMatchSnapshot()
  })

  it("says when statistics will appear", () => {
    const text = dashboard(openAiSnapshot("stats"))
    expect(text).toContain(NO_STATS)
    expect(frame(<StatsPanel stats={null} width={80} />, 80)).toBe(NO_STATS)
  })

  it("marks a pending CI, a missing human hierarchy and a missing map", () => {
    const stats = {
      ...liveStats,
      sv: { title: "ESS Sweden", value: 0.5, lower: null, upper: null },
      humanHierarchy: null,
      map: null
    }
    const text = frame(<StatsPanel stats={stats} width={80} />, 80)
    expect(text).toContain("S_V 0.50 [CI pending] vs ESS Sweden")
    expect(text).toContain("no human hierarchy")
    expect(text).toContain("map: not available yet")
    const noSv = frame(<StatsPanel stats={{ ...liveStats, sv: null }} width={80} />, 80)
    expect(noSv).toContain("S_V not available yet")
  })

  it("cuts the means table to the width with a trailing …", () => {
    const text = frame(<StatsPanel stats={liveStats} width={50} />, 50)
    const head = lines(text).find((l) => l.startsWith("condition"))
    expect(head).toMatch(/SD\s+ST\s+HE.*…$/)
    expect(head).not.toContain("UN")
  })
})

describe("HelpPanel", () => {
  it("lists the keys and how to resume", () => {
    const text = dashboard(syntheticSnapshot("help"))
    expect(text).toContain("q / Ctrl-C")
    expect(text).toContain("stop gracefully")
    expect(text).toContain("finished answers are kept")
    expect(text).toMatch(/\bp\s+pause \/ resume sending/)
    expect(text).toMatch(/tab\s+switch panels/)
    expect(text).toMatch(/\?\s+this help/)
    expect(text).toContain("valuesim resume runs/r-20250301-7f3a")
    expect(frame(<HelpPanel runDir="runs/x" command="npx valuesim" width={80} />, 80)).toContain("npx valuesim resume runs/x")
    expect(text).toMatchSnapshot()
  })
})

describe("Dashboard", () => {
  it("ends with a one-line footer of keys that marks the current panel", () => {
    for (const panel of ["run", "stats", "help"] as const) {
      const last = lines(dashboard(syntheticSnapshot(panel))).at(-1) ?? ""
      expect(last).toContain("q stop · p pause · tab panels · ? help")
      expect(last).toContain(` ${panel} `)
    }
  })

  it.each(["run", "stats", "help"] as const)("fits the %s panel in a 60×20 terminal", (panel) => {
    for (const s of [syntheticSnapshot(panel, 60, 20), openAiSnapshot(panel, 60, 20)]) {
      const text = dashboard(s)
      expectWithin(text, 60, 20)
      expect(lines(text).at(-1)).toContain("q stop")
    }
  })

  it("keeps the narrow synthetic frames legible: banner, percentages, S_V, codes and sparklines", () => {
    const run = dashboard(syntheticSnapshot("run", 60, 20))
    expect(run).toContain(SYNTHETIC_BANNER)
    expect(run).toContain("61.0%")
    expect(run).toContain("ETA 2m35s")
    const stats = dashboard(syntheticSnapshot("stats", 60, 20))
    expect(stats).toContain("S_V 0.87 [0.85, 0.89] vs ESS Sweden")
    for (const code of liveStats.labels) expect(stats).toContain(code)
    expect(stats).toContain("▅▅▅▄▄▄·▃")
    expect(stats).toContain("no human figure")
    expect(stats).toMatchSnapshot()
  })

  it("never exceeds tiny or odd terminal sizes", () => {
    for (const [w, h] of [[30, 8], [45, 12], [61, 25], [200, 60]] as const)
      for (const panel of ["run", "stats", "help"] as const)
        for (const s of [syntheticSnapshot(panel, w, h), openAiSnapshot(panel, w, h)]) expectWithin(dashboard(s), w, h)
  })

  it("truncates rather than wraps long names", () => {
    const s = makeSnapshot({
      run: { ...syntheticSnapshot().run, study: "a-study-with-a-remarkably-long-name-that-goes-on-and-on-and-on" },
      ui: { panel: "run", width: 40, height: 30 }
    })
    const text = dashboard(s)
    expectWithin(text, 40, 30)
    expect(lines(text)[0]).toMatch(/…$/)
  })

  it("renders panels standalone without a height", () => {
    const text = frame(<RunPanel snapshot={syntheticSnapshot()} width={80} />, 80)
    expect(text).toContain("61.0%")
  })
})

describe("the end of a run", () => {
  it("keeps the run's head and its statistics in the last frame of a finished run, within the terminal", () => {
    for (const [w, h] of [[120, 45], [60, 20], [30, 8]] as const) {
      const s = makeSnapshot({ ...syntheticSnapshot("stats", w, h), status: "complete" })
      const text = dashboard(s)
      expectWithin(text, w, h)
      if (h >= 20) {
        expect(text).toContain(SYNTHETIC_BANNER.slice(0, Math.min(SYNTHETIC_BANNER.length, w - 4)))
        expect(text).toMatch(/^total\s/m)
        expect(text).toContain("S_V 0.87")
      }
    }
  })

  it("a run without a value questionnaire shows its games, not an S_V that never comes", () => {
    const gamesOnly = { ...liveStats, respondents: 0, labels: [], hierarchy: [], humanHierarchy: null, map: null, sv: null, conditionMeans: [] }
    const text = frame(<StatsPanel stats={gamesOnly} width={80} />, 80)
    expect(text).toContain("no value questionnaire in this run")
    expect(text).not.toContain("not available yet")
    expect(text).toContain("public-goods")
  })
})

describe("condition bars", () => {
  it("draw an empty bar for a condition without agents", () => {
    const base = syntheticSnapshot("run", 120, 40)
    const s = makeSnapshot({ ...base, conditions: [{ condition: "value:PO", agents: 0, unitsDone: 0 }, { condition: "value:BE", agents: 10, unitsDone: 10 }] })
    const text = dashboard(s)
    const po = lines(text).find((l) => l.includes("value:PO")) ?? ""
    const cell = po.slice(po.indexOf("value:PO"), po.indexOf("│") > 0 ? po.indexOf("│") : undefined)
    expect(cell).not.toContain("█")
    expect(cell).toContain("0/0")
  })
})
