import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse, stringify } from "yaml"
import type { Report } from "../../src/analysis/Report.js"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"

const SHIPPED_STRUCTURES = [
  "pvq40-us151.correlations-centered",
  "ess-sweden-1441.correlations-centered",
  "valueportrait-prolific-569.correlations-centered"
]
const PAPER_MEASURES = ["paired-charity-game", "donation-causes", "prosociality", "everyday-behaviours", "big-five"]

describe("valuesim report", () => {
  const runs = tempDir("report")
  let runDir = ""
  const runOnce = async () => {
    if (runDir !== "") return runDir
    const r = await runCli(["run", "scenarios/default-study.yaml", "--agents", "400", "--seed", "3", "--json", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    runDir = String(lastJson(r.stdout)["runDir"])
    return runDir
  }

  it("the run's closing line prints the S_V, CI and chance level the report prints for the same baseline", async () => {
    const r = await runCli(["run", "scenarios/default-study.yaml", "--agents", "200", "--seed", "5", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const line = r.stdout.split("\n").find((l) => l.startsWith("result: S_V"))!
    const m = /S_V = ([\d.]+) \(95 % CI ([\d.]+)–([\d.]+); chance level ([\d.]+) \(95th percentile ([\d.]+)\)\) against (.*), 200 respondents/.exec(line)
    expect(m, line).not.toBeNull()
    const dir = /run folder: (\S+)/.exec(r.stderr + r.stdout)![1]!
    const j = await runCli(["report", dir, "--format", "json"])
    const c = (JSON.parse(j.stdout) as Report).valueStructure!.structureComparisons.find((x) => x.baseline.title === m![6])!
    expect(c, m![6]).toBeDefined()
    const f3 = (x: number | null | undefined) => (x ?? NaN).toFixed(3)
    expect(m!.slice(1, 6)).toEqual([f3(c.sv), f3(c.bootstrap.ci.lower), f3(c.bootstrap.ci.upper), f3(c.null?.mean), f3(c.null?.q95)])
  })

  it("reports the hierarchy, S_V per shipped baseline with bootstrap CI and p, and the missing behaviour baselines", async () => {
    const dir = await runOnce()
    const [a, b] = await Promise.all([runCli(["report", dir, "--format", "json"]), runCli(["report", dir, "--format", "json"])])
    expect(a.code, a.stderr).toBe(0)
    expect(a.stdout).toBe(b.stdout) // bootstrap resamples come from the run seed
    const r = JSON.parse(a.stdout) as Report
    expect(r.run.synthetic).toBe(true)
    expect(r.run.label).toBe("synthetic: theory model, not an LLM")
    expect(r.notes.join(" ")).toContain("not an LLM")

    const v = r.valueStructure!
    expect(v.labels).toEqual(["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"])
    expect(v.respondents).toBe(400)
    expect(v.hierarchy.centered.every((x) => typeof x === "number")).toBe(true)
    // The 10-value hierarchies are compared; the 19-value one is not (it is not over these values).
    const hierarchies = v.hierarchyComparisons.map((h) => h.baseline.id)
    expect(hierarchies).toEqual(expect.arrayContaining(["pvq40-us151.hierarchy", "ess-sweden-1441.hierarchy", "valueportrait-prolific-569.hierarchy"]))
    expect(hierarchies.some((id) => id.includes("hierarchy19"))).toBe(false)
    for (const h of v.hierarchyComparisons) expect(h.spearman).toBeGreaterThan(0)

    for (const id of SHIPPED_STRUCTURES) {
      const c = v.structureComparisons.find((x) => x.baseline.id === id)!
      expect(c, id).toBeDefined()
      expect(c.sv!).toBeGreaterThan(0.5)
      expect(c.sv!).toBeLessThanOrEqual(1)
      expect(c.bootstrap.iterations).toBe(100)
      // 400 respondents: resampled at their own size, not the paper's 500 (issue 22 item 5)
      expect(c.bootstrap.sampleSize).toBe(400)
      expect(c.bootstrap.sizeRule).toBe("own")
      expect(c.bootstrap.ci.lower!).toBeLessThan(c.bootstrap.mean!)
      expect(c.bootstrap.ci.upper!).toBeGreaterThan(c.bootstrap.mean!)
      expect(c.bootstrap.p!).toBeLessThan(0.001)
      expect(c.bootstrap.pAdjusted!).toBeGreaterThanOrEqual(c.bootstrap.p!)
      expect(c.aligned!.model).toHaveLength(10)
      // the paper's metric MDS by default, and the chance level beside the S_V
      expect(c.mdsMethod).toBe("smacof")
      expect(c.null!.permutations).toBe(1000)
      // the human ceiling beside the chance level (issue 22 item 4): PVQ samples agree with each other, SVS has no partner shipped
      if (id.startsWith("svs")) expect(c.ceiling.sv).toBeNull()
      else {
        expect(c.ceiling.family).toBe("PVQ")
        expect(c.ceiling.pairs.length).toBeGreaterThan(0)
        expect(c.ceiling.sv!).toBeGreaterThan(0.8)
        expect(c.ceiling.position!).toBeCloseTo((c.sv! - c.null!.mean!) / (c.ceiling.sv! - c.null!.mean!), 12)
      }
      expect(c.null!.mean!).toBeGreaterThan(0.05)
      expect(c.null!.q95!).toBeGreaterThan(c.null!.mean!)
      expect(c.null!.q95!).toBeLessThan(c.sv!)
      expect(c.null!.p!).toBeCloseTo(1 / 1001, 9)
    }
    expect(r.settings.mdsMethod).toBe("smacof")
    expect(r.settings.permutations).toBe(1000)
    expect(v.mds!.method).toBe("smacof")
    // H-NP on ESS Sweden shares: the comparisons with the same ESS Sweden data are flagged as circular, the others not
    const ess = v.hierarchyComparisons.find((h) => h.baseline.id === "ess-sweden-1441.hierarchy")!
    expect(ess.circularity).toContain("circular")
    expect(v.hierarchyComparisons.find((h) => h.baseline.id === "pvq40-us151.hierarchy")!.circularity).toBeNull()
    expect(v.structureComparisons.find((c) => c.baseline.id === "ess-sweden-1441.correlations-centered")!.circularity).toContain("circular")
    expect(v.structureComparisons.find((c) => c.baseline.id === "pvq40-us151.correlations-centered")!.circularity).toBeNull()
    expect(r.notes.join(" ")).toContain("Circular comparisons")
    const missing = r.behaviour.missingBaselines.map((m) => m.measure)
    expect(missing).toEqual(expect.arrayContaining(PAPER_MEASURES))
    expect(r.behaviour.missingBaselines.every((m) => m.reason.length > 0 && !m.measuredByRun)).toBe(true)
    expect(v.conditions.map((c) => c.condition)).toContain("none")
    expect(v.reliability.every((x) => x.alpha! > 0.5)).toBe(true)

    const text = await runCli(["report", dir])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain("Value similarity S_V")
    // What could not be compared is listed after every result the run measured, by name only when the run did not
    // measure it; then where the human figures came from.
    const notCompared = text.stdout.indexOf("Not measured or not compared\n")
    expect(notCompared).toBeGreaterThan(text.stdout.indexOf("Value hierarchy"))
    expect(text.stdout.slice(notCompared)).toContain(`Also without a human figure (not measured by this run): ${missing[0]}`)
    expect(text.stdout.indexOf("Human baselines\n")).toBeGreaterThan(notCompared)
    // S_V, its CI and its chance level come first, before the hierarchy; the t-test is labelled as the paper's
    const lines = text.stdout.split("\n")
    const first = lines.findIndex((l) => l.startsWith("Value similarity S_V"))
    expect(first).toBeGreaterThan(0)
    expect(first).toBeLessThan(lines.findIndex((l) => l.startsWith("Value hierarchy")))
    // (within the first lines of the section: the table fitted to 80 columns, as columns or as "header value" records)
    const head = lines.slice(first + 2, first + 16).join(" ").replace(/\s+/g, " ")
    for (const column of ["S_V", "95% CI", "chance", "chance 95%", "p (perm.)"]) expect(head, column).toContain(column)
    expect(text.stdout).toContain("The paper's test (appendix G)")
    expect(text.stdout).toContain("[circular]")
    const classical = await runCli(["report", dir, "--format", "json", "--mds", "classical", "--permutations", "50"])
    expect(classical.code, classical.stderr).toBe(0)
    const rc = JSON.parse(classical.stdout) as Report
    expect(rc.settings.mdsMethod).toBe("classical")
    expect(rc.valueStructure!.structureComparisons.every((c) => c.mdsMethod === "classical" && c.null!.permutations === 50)).toBe(true)
    const bad = await runCli(["report", dir, "--permutations", "-1"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--permutations")
  })

  it("writes one self-contained HTML file with the plots", async () => {
    const dir = await runOnce()
    const out = path.join(runs, "out", "report.html")
    const r = await runCli(["report", dir, "--format", "html", "--out", out])
    expect(r.code, r.stderr).toBe(0)
    const html = fs.readFileSync(out, "utf8")
    expect(html.toLowerCase().startsWith("<!doctype html>")).toBe(true)
    // The run's heatmap, and per structure baseline an MDS map and a heatmap, and hierarchy bars.
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(1 + 2 * SHIPPED_STRUCTURES.length + 1)
    expect(html).not.toMatch(/<script[^>]*src=/i)
    expect(html).toContain("synthetic: theory model, not an LLM")
    // the headline section (S_V, CI, chance level) comes before the value-structure section
    expect(html.indexOf('<section id="sv">')).toBeGreaterThan(0)
    expect(html.indexOf('<section id="sv">')).toBeLessThan(html.indexOf('<section id="values">'))
    expect(html).toContain("chance 95th pct.")
    expect(fs.readdirSync(path.dirname(out))).toEqual(["report.html"])
  })

  it("uses the given baselines, in any value order, and rejects a broken one with exit 2", async () => {
    const dir = await runOnce()
    const work = tempDir("report-baselines")
    // The PVQ-40 matrix with its values listed in another order must give the same S_V.
    const original = parse(fs.readFileSync(path.join(ROOT, "human-baselines", "pvq40-us151.correlations-centered.yaml"), "utf8")) as {
      labels: Array<string>
      matrix: Array<Array<number>>
      id: string
    }
    const perm = [9, 2, 5, 0, 7, 1, 8, 3, 6, 4]
    const permuted = { ...original, id: "permuted", labels: perm.map((i) => original.labels[i]!), matrix: perm.map((i) => perm.map((j) => original.matrix[i]![j]!)) }
    const file = path.join(work, "permuted.yaml")
    fs.writeFileSync(file, stringify(permuted))
    const broken = path.join(work, "broken.yaml")
    fs.writeFileSync(broken, stringify({ ...original, labels: [...original.labels.slice(0, 9), "XX"] }))

    const [given, shipped, bad, notRun] = await Promise.all([
      runCli(["report", dir, "--format", "json", "--baseline", file]),
      runCli(["report", dir, "--format", "json"]),
      runCli(["report", dir, "--format", "json", "--baseline", broken]),
      runCli(["report", path.join(work, "nothing-here"), "--format", "json"])
    ])
    expect(given.code, given.stderr).toBe(0)
    const g = JSON.parse(given.stdout) as Report
    const s = JSON.parse(shipped.stdout) as Report
    expect(g.valueStructure!.structureComparisons).toHaveLength(1)
    const sv = g.valueStructure!.structureComparisons[0]!.sv!
    const expected = s.valueStructure!.structureComparisons.find((c) => c.baseline.id === original.id)!.sv!
    expect(Math.abs(sv - expected)).toBeLessThan(1e-9)
    // No unavailable-baselines file among the given ones: nothing is listed as missing for an unmeasured behaviour.
    expect(g.behaviour.missingBaselines).toHaveLength(0)

    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(broken)
    expect(bad.stderr).toContain("labels[9]")
    expect(notRun.code).toBe(2)
  })

  it("computes value × behaviour correlations and S_B when a run measures a behaviour a baseline covers", async () => {
    const work = tempDir("report-behaviour")
    const study = path.join(work, "study.yaml")
    fs.writeFileSync(
      study,
      stringify({
        kind: "study",
        id: "values-and-traits",
        population: path.join(ROOT, "populations", "h-np.yaml"),
        agents: 300,
        seed: 2,
        steps: [{ questionnaire: path.join(ROOT, "scenarios", "vsq40.yaml") }, { questionnaire: path.join(ROOT, "tests", "fixtures", "mini-big-five.yaml") }],
        backend: { kind: "synthetic" }
      })
    )
    const run = await runCli(["run", study, "--json", "--runs-dir", work])
    expect(run.code, run.stderr).toBe(0)
    const r = await runCli(["report", String(lastJson(run.stdout)["runDir"]), "--format", "json", "--bootstrap-iterations", "30"])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    const m = report.behaviour.measures[0]!
    expect(m.questionnaire).toBe("mini-big-five")
    expect(m.behaviours).toEqual(["extraversion", "agreeableness", "conscientiousness", "neuroticism", "openness"])
    expect(report.behaviour.valueBehaviour!.matrix).toHaveLength(10)
    const c = report.behaviour.comparisons.find((x) => x.measure === "big-five")!
    expect(c.baseline.id).toBe("valueportrait-prolific-569.big-five")
    expect(c.cells).toBe(50)
    expect(c.sb).not.toBeNull()
    // S_B carries its chance level, as S_V does (issue 22 item 3)
    expect(c.null!.permutations).toBe(1000)
    expect(c.null!.q95).not.toBeNull()
    expect(c.null!.pAdjusted).not.toBeNull()
    expect(c.bootstrap.iterations).toBe(30)
    // The model matrix of the comparison is the run's value × behaviour matrix (same cells, same order).
    expect(c.modelMatrix[0]![0]).toBeCloseTo(report.behaviour.valueBehaviour!.matrix[0]![0]!, 12)
    // Roccas et al.'s table is still listed as unavailable, now as measured by this run.
    expect(report.behaviour.missingBaselines.find((x) => x.measure === "big-five")!.measuredByRun).toBe(true)
    // BH runs over the S_V and S_B tests together.
    const ps = [...report.valueStructure!.structureComparisons.map((x) => x.bootstrap), c.bootstrap]
    expect(ps.every((b) => b.pAdjusted !== null && b.pAdjusted >= b.p!)).toBe(true)
  })
})
