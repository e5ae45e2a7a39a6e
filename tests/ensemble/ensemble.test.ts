import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { acrossSeedsOf } from "../../src/ensemble/acrossSeeds.js"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet"

const readParquet = async (file: string) => (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Array<Record<string, unknown>>

/** Ensembles across seeds (issue 22 item 6): one study replicated over three seeds, summarised and exported together. */
describe("valuesim run --seeds: an ensemble across seeds", () => {
  it("reports between-seed spread beside the within-run CI, exports a seed column, and continues a folder", async () => {
    const runs = tempDir("ensemble")
    const r = await runCli(["run", "tests/fixtures/mini-values.yaml", "--agents", "30", "--seeds", "1,2,3", "--runs-dir", runs, "--no-tui", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const e = lastJson(r.stdout) as { ensembleDir: string; seeds: Array<number>; runs: Array<{ seed: number; runDir: string }> }
    expect(e.seeds).toEqual([1, 2, 3])
    expect(new Set(e.runs.map((x) => x.runDir)).size).toBe(3)

    const rep = await runCli(["report", e.ensembleDir, "--format", "json", "--bootstrap-iterations", "20", "--permutations", "50"])
    expect(rep.code, rep.stderr).toBe(0)
    const j = JSON.parse(rep.stdout) as { acrossSeeds: Record<string, { mean: number; sd: number; min: number; max: number; n: number; withinRunCi: { lower: number; upper: number } | null }>; reports: Array<{ seed: number; report: { run: { seed: number } } }> }
    expect(j.reports.map((x) => x.report.run.seed)).toEqual([1, 2, 3])
    const sv = j.acrossSeeds["S_V pvq40-us151.correlations-centered"]!
    expect(sv.n).toBe(3)
    expect(sv.sd).toBeGreaterThan(0) // different seeds, different agents: the statistic moves
    expect(sv.min).toBeLessThanOrEqual(sv.mean)
    expect(sv.max).toBeGreaterThanOrEqual(sv.mean)
    expect(sv.withinRunCi!.lower).toBeLessThan(sv.withinRunCi!.upper)
    expect(j.acrossSeeds["hierarchy ρ pvq40-us151.hierarchy"]!.n).toBe(3)
    expect(Object.keys(j.acrossSeeds).some((k) => k.startsWith("mean value:"))).toBe(true)
    const text = await runCli(["report", e.ensembleDir, "--bootstrap-iterations", "20", "--permutations", "50"])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain("sd (seeds)")
    expect(text.stdout).toContain("within-run 95% CI")

    const out = path.join(runs, "export")
    const x = await runCli(["export", e.ensembleDir, "--out", out])
    expect(x.code, x.stderr).toBe(0)
    const lines = fs.readFileSync(path.join(out, "answers.csv"), "utf8").trim().split("\n")
    expect(lines[0]!.split(",")[0]).toBe("seed")
    expect(new Set(lines.slice(1).map((l) => l.split(",")[0]))).toEqual(new Set(["1", "2", "3"]))
    expect(lines.length - 1).toBe(3 * 30 * 10)

    // Parquet: the same rows, the seed column first (read back with hyparquet, apart from DuckDB that wrote it)
    const pq = path.join(runs, "export-parquet")
    const xp = await runCli(["export", e.ensembleDir, "--format", "parquet", "--out", pq])
    expect(xp.code, xp.stderr).toBe(0)
    const rows = await readParquet(path.join(pq, "answers.parquet"))
    expect(rows).toHaveLength(3 * 30 * 10)
    expect(Object.keys(rows[0]!)[0]).toBe("seed")
    expect(rows.map((r) => Number(r["seed"]))).toEqual(lines.slice(1).map((l) => Number(l.split(",")[0])))

    // HTML: one page, the statistics across seeds first (table and the seeds' plot), then each seed's report
    const html = await runCli(["report", e.ensembleDir, "--format", "html", "--bootstrap-iterations", "20", "--permutations", "50"])
    expect(html.code, html.stderr).toBe(0)
    const page = fs.readFileSync(path.join(e.ensembleDir, "report.html"), "utf8")
    expect(page).toContain("Headline statistics across 3 seeds")
    expect(page).toContain(`${sv.mean.toFixed(3)}`)
    expect(page.match(/<svg /g)!.length).toBeGreaterThan(3)
    for (const seed of [1, 2, 3]) expect(page).toContain(`<article id="seed-${seed}">`)
    expect(page).toContain("synthetic backend")
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/)

    // the same command with --out continues the folder: every replicate is reused
    const again = await runCli(["run", "tests/fixtures/mini-values.yaml", "--agents", "30", "--seeds", "1,2,3", "--out", e.ensembleDir, "--no-tui", "--json"])
    expect(again.code, again.stderr).toBe(0)
    expect((lastJson(again.stdout) as typeof e).runs).toEqual(e.runs)

    const bad = await runCli(["run", "tests/fixtures/mini-values.yaml", "--seeds", "1,x", "--runs-dir", runs])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--seeds")
  }, 120_000)

  it("summarises a statistic missing from one seed over the seeds that have it", () => {
    const report = (sv: number | null) =>
      ({ valueStructure: { labels: [], conditions: [], hierarchyComparisons: [], structureComparisons: [{ baseline: { id: "b" }, sv, bootstrap: { ci: { lower: 0.1, upper: 0.3 } } }] }, behaviour: { comparisons: [] }, games: [] }) as any
    const s = acrossSeedsOf([report(0.2), report(null), report(0.4)])["S_V b"]!
    expect(s.n).toBe(2)
    expect(s.mean).toBeCloseTo(0.3, 15)
    expect(s.sd).toBeCloseTo(Math.SQRT2 * 0.1, 15)
    expect(s.withinRunCi!.lower).toBeCloseTo(0.1, 15)
    expect(s.withinRunCi!.upper).toBeCloseTo(0.3, 15)
  })
})

describe("a study file's seeds", () => {
  it("make `run` an ensemble, as --seeds does; --seed still asks for one run", async () => {
    const dir = tempDir("ensemble-study")
    const study = path.join(dir, "study.yaml")
    fs.writeFileSync(
      study,
      `kind: study\nid: seeded\npopulation: ${path.resolve("populations/h-np.yaml")}\nagents: 12\nseeds: [4, 5]\nsteps:\n  - questionnaire: ${path.resolve("tests/fixtures/mini-values.yaml")}\n`
    )
    const r = await runCli(["run", study, "--runs-dir", dir, "--no-tui", "--json"])
    expect(r.code, r.stderr).toBe(0)
    expect((lastJson(r.stdout) as { seeds: Array<number> }).seeds).toEqual([4, 5])
    const one = await runCli(["run", study, "--seed", "7", "--runs-dir", dir, "--no-tui", "--json"])
    expect(one.code, one.stderr).toBe(0)
    expect(lastJson(one.stdout)["runDir"]).toBeDefined()
    fs.writeFileSync(study, fs.readFileSync(study, "utf8").replace("seeds: [4, 5]", "seeds: [4, 4]"))
    const twice = await runCli(["run", study, "--runs-dir", dir, "--no-tui"])
    expect(twice.code).toBe(2)
    expect(twice.stderr).toContain("seeds")
  }, 60_000)
})
