import { beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"
import type { Report } from "../../src/analysis/Report.js"
import { lastJson, ROOT, runCli, tempDir, type CliResult } from "../helpers/cli.js"

/** The project's behaviour questionnaires (scenarios/behaviour) and their example studies (scenarios/studies). */
const MEASURES = ["donation-causes", "prosociality", "big-five", "everyday-behaviours"] as const
type Measure = (typeof MEASURES)[number]
const BIG_FIVE = ["extraversion", "agreeableness", "conscientiousness", "neuroticism", "openness"]
/** Measures without a shipped value–behaviour baseline: the report lists them as missing, measured by the run. */
const WITHOUT_BASELINE: ReadonlyArray<Measure> = ["donation-causes", "prosociality", "everyday-behaviours"]

interface ItemFile {
  readonly id: string
  readonly subscale: string
  readonly reverse?: boolean
  readonly theory?: { readonly peak: string }
}
interface QuestionnaireFile {
  readonly id: string
  readonly measure: string
  readonly scale: ReadonlyArray<{ readonly value: number }>
  readonly items: ReadonlyArray<ItemFile>
}

const yamlFiles = (dir: string) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f))

const readQuestionnaire = (measure: Measure) =>
  parse(fs.readFileSync(path.join(ROOT, "scenarios", "behaviour", `${measure}.yaml`), "utf8")) as QuestionnaireFile

const subscalesOf = (q: QuestionnaireFile) => [...new Set(q.items.map((it) => it.subscale))]

describe("the project's behaviour questionnaires", () => {
  it("validate, with the example studies", async () => {
    const files = [...yamlFiles("scenarios/behaviour"), ...yamlFiles("scenarios/studies")]
    for (const m of MEASURES) {
      expect(files).toContain(path.join("scenarios", "behaviour", `${m}.yaml`))
      expect(files).toContain(path.join("scenarios", "studies", `${m}.yaml`))
    }
    const r = await runCli(["validate", ...files])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    for (const f of files) expect(r.stdout).toContain(f)
  })

  it("have unique item ids, a theory peak on every item, and the measure keys and scales of paper 000 appendix D", () => {
    const points: Record<Measure, ReadonlyArray<number>> = {
      "donation-causes": [1, 2, 3, 4, 5, 6],
      prosociality: [1, 2, 3, 4, 5],
      "big-five": [1, 2, 3, 4, 5],
      "everyday-behaviours": [0, 1, 2, 3, 4]
    }
    for (const m of MEASURES) {
      const q = readQuestionnaire(m)
      expect(q.id).toBe(m)
      expect(q.measure).toBe(m)
      expect(q.scale.map((o) => o.value)).toEqual(points[m])
      const ids = q.items.map((it) => it.id)
      expect(new Set(ids).size, `${m}: duplicate item ids`).toBe(ids.length)
      expect(q.items.every((it) => it.theory !== undefined), `${m}: an item without theory.peak`).toBe(true)
    }
    expect(readQuestionnaire("donation-causes").items).toHaveLength(9)
    const pro = readQuestionnaire("prosociality")
    expect(pro.items).toHaveLength(16)
    expect(subscalesOf(pro)).toEqual(["prosociality"])
    const eb = readQuestionnaire("everyday-behaviours")
    for (const code of ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]) {
      const items = eb.items.filter((it) => it.subscale === `eb-${code}`)
      expect(items.length, `eb-${code}`).toBeGreaterThanOrEqual(3)
      expect(items.length, `eb-${code}`).toBeLessThanOrEqual(6)
      expect(items.every((it) => it.theory?.peak === code)).toBe(true)
    }
    expect(subscalesOf(eb)).toHaveLength(10)
  })

  it("big-five has 12 items per domain, exactly 6 of them reverse-keyed, with the baseline's keys", () => {
    const q = readQuestionnaire("big-five")
    expect(q.items).toHaveLength(60)
    expect(subscalesOf(q)).toEqual(BIG_FIVE)
    for (const domain of BIG_FIVE) {
      const items = q.items.filter((it) => it.subscale === domain)
      expect(items, domain).toHaveLength(12)
      expect(items.filter((it) => it.reverse === true), domain).toHaveLength(6)
    }
    const baseline = parse(
      fs.readFileSync(path.join(ROOT, "human-baselines", "valueportrait-prolific-569.big-five.yaml"), "utf8")
    ) as { behaviours: ReadonlyArray<string> }
    expect(baseline.behaviours).toEqual(BIG_FIVE)
  })
})

describe("the example studies, end to end on the synthetic backend", () => {
  const work = tempDir("behaviour-studies")
  const reports = new Map<Measure | "donation-causes-uniform", Report>()
  /** The last command of each run-and-report: the run if it failed, else the report. */
  const outcomes = new Map<Measure | "donation-causes-uniform", CliResult>()

  const runAndReport = async (name: Measure | "donation-causes-uniform", study: Measure, extra: ReadonlyArray<string>) => {
    const runsDir = path.join(work, name)
    const run = await runCli(["run", path.join("scenarios", "studies", `${study}.yaml`), "--agents", "120", "--no-tui", "--json", "--runs-dir", runsDir, ...extra])
    outcomes.set(name, run)
    if (run.code !== 0) return
    const report = await runCli(["report", String(lastJson(run.stdout)["runDir"]), "--format", "json"])
    outcomes.set(name, report)
    if (report.code === 0) reports.set(name, JSON.parse(report.stdout) as Report)
  }

  beforeAll(async () => {
    await Promise.all([
      ...MEASURES.map((m) => runAndReport(m, m, [])),
      // H-NP draws almost no power-prompted agents (ESS Sweden: 0.14 %), so the UN-versus-PO check of the
      // synthetic theory runs the same study on a uniform population: 12 agents per value prompt.
      runAndReport("donation-causes-uniform", "donation-causes", ["--population", path.join("populations", "uniform.yaml")])
    ])
  }, 180_000)

  const reportOf = (name: Measure | "donation-causes-uniform") => {
    const r = outcomes.get(name)
    expect(r?.code, `${name}: ${r?.stderr ?? "not run"}`).toBe(0)
    return reports.get(name)!
  }

  it.each(MEASURES)("%s: the report has the measure, a mean for every subscale and value × behaviour correlations", (m) => {
    const report = reportOf(m)
    const q = readQuestionnaire(m)
    expect(report.run.synthetic).toBe(true)
    expect(report.valueStructure?.questionnaire).toBe("vsq40")
    const measure = report.behaviour.measures[0]!
    expect(measure.questionnaire).toBe(q.id)
    expect(measure.behaviours).toEqual(subscalesOf(q))
    expect(measure.respondents).toBe(120)
    expect(measure.means).toHaveLength(subscalesOf(q).length)
    const [lo, hi] = [q.scale[0]!.value, q.scale[q.scale.length - 1]!.value]
    for (const mean of measure.means) {
      expect(typeof mean).toBe("number")
      expect(mean!).toBeGreaterThanOrEqual(lo)
      expect(mean!).toBeLessThanOrEqual(hi)
    }
    expect(report.behaviour.valueBehaviour!.behaviours).toEqual(subscalesOf(q))
    expect(report.behaviour.valueBehaviour!.matrix).toHaveLength(10)
  })

  it("big-five is compared with the Value Portrait values × Big Five baseline; its domains are internally consistent", () => {
    const report = reportOf("big-five")
    const c = report.behaviour.comparisons.find((x) => x.baseline.id === "valueportrait-prolific-569.big-five")!
    expect(c).toBeDefined()
    expect(c.measure).toBe("big-five")
    expect(c.behaviours).toEqual(BIG_FIVE)
    expect(c.cells).toBe(50)
    expect(c.sb).not.toBeNull()
    // Reverse-keyed items carry the peak of the pole they are scored towards: were that convention broken,
    // half of each domain would point the other way and alpha would collapse.
    const alphas = report.behaviour.measures[0]!.reliability
    expect(alphas.map((a) => a.subscale)).toEqual(BIG_FIVE)
    for (const a of alphas) expect(a.alpha!, a.subscale).toBeGreaterThan(0.5)
    // Theory sanity: openness goes with self-direction, agreeableness with benevolence.
    const vb = report.behaviour.valueBehaviour!
    const r = (value: string, trait: string) => vb.matrix[vb.values.indexOf(value)]![vb.behaviours.indexOf(trait)]!
    expect(r("SD", "openness")).toBeGreaterThan(0.2)
    expect(r("BE", "agreeableness")).toBeGreaterThan(0.2)
    expect(r("PO", "agreeableness")).toBeLessThan(-0.2)
  })

  it.each(WITHOUT_BASELINE)("%s: listed among the missing baselines as measured by the run", (m) => {
    const report = reportOf(m)
    const missing = report.behaviour.missingBaselines.find((x) => x.measure === m)
    expect(missing).toBeDefined()
    expect(missing!.measuredByRun).toBe(true)
    expect(report.behaviour.comparisons.filter((c) => c.measure === m)).toEqual([])
  })

  it("donation-causes: universalism-prompted agents rate the universalism-peaked causes above power-prompted agents", () => {
    const report = reportOf("donation-causes-uniform")
    const measure = report.behaviour.measures[0]!
    const q = readQuestionnaire("donation-causes")
    const unCauses = q.items.filter((it) => it.theory?.peak === "UN").map((it) => it.subscale)
    expect(unCauses).toContain("environment")
    const un = measure.conditions.find((c) => c.condition === "value:UN")!
    const po = measure.conditions.find((c) => c.condition === "value:PO")!
    expect(un.agents).toBeGreaterThan(5)
    expect(po.agents).toBeGreaterThan(5)
    for (const cause of unCauses) {
      const j = measure.behaviours.indexOf(cause)
      expect(un.means[j]!, cause).toBeGreaterThan(po.means[j]! + 1)
    }
    // The opposite for the cause peaked on security, next to power on the circle.
    const health = measure.behaviours.indexOf("health")
    expect(po.means[health]!).toBeGreaterThan(un.means[health]!)
  })
})
