import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Report } from "../../src/analysis/Report.js"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"

/** Pre/post panels (issue 24): a questionnaire asked again after a treatment step, changes keyed by agent. */
let dir: string
beforeAll(() => {
  dir = tempDir("panel")
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const QUESTION = path.join(ROOT, "examples", "09-policy-experiment", "congestion-charge.yaml")
const study = (name: string, panel: string) => {
  const file = path.join(dir, `${name}.yaml`)
  fs.writeFileSync(
    file,
    [
      "kind: study",
      `id: ${name}`,
      `population: ${path.join(ROOT, "populations", "h-np.yaml")}`,
      "agents: 48",
      "seed: 6",
      "steps:",
      `  - questionnaire: ${QUESTION}`,
      `  - game: ${path.join(ROOT, "examples", "03-policy-vignette", "four-day-week.yaml")}`,
      `  - questionnaire: ${QUESTION}`,
      `    panel: ${panel}`,
      "backend: { kind: synthetic }"
    ].join("\n") + "\n"
  )
  return file
}

describe("panels", () => {
  it("the repeat after a treatment is paired with the first asking, per agent, per condition and overall", async () => {
    const r = await runCli(["run", study("panel", "{ of: 0, context: none }"), "--json", "--no-tui", "--runs-dir", path.join(dir, "runs")])
    expect(r.code, r.stderr).toBe(0)
    const runDir = String(lastJson(r.stdout)["runDir"])
    const rep = await runCli(["report", runDir, "--format", "json"])
    expect(rep.code, rep.stderr).toBe(0)
    const p = (JSON.parse(rep.stdout) as Report).panels![0]!
    expect([p.id, p.pre, p.post, p.context]).toEqual(["congestion-charge", 0, 2, "none"])
    expect(p.outcomes.map((o) => o.outcome)).toEqual(["support", "fairness"])
    for (const o of p.outcomes) {
      expect(o.n).toBe(48)
      expect(o.perAgent.up + o.perAgent.down + o.perAgent.same).toBe(48)
      // The theory model has no memory of the deliberation: its repeat differs only by its draws.
      expect(o.ci.lower!).toBeLessThan(0)
      expect(o.ci.upper!).toBeGreaterThan(0)
      expect(o.byCondition.length).toBeGreaterThan(1)
    }
    const text = await runCli(["report", runDir])
    expect(text.stdout).toContain("Panels: change between a questionnaire and its repeat")
  })

  it("a panel of a later step or of another questionnaire is one line and exit 2", async () => {
    for (const [name, panel, field] of [["later", "{ of: 2 }", "steps[2].panel.of"], ["other", "{ of: 1 }", "steps[2].panel"]] as const) {
      const file = study(name, panel)
      const r = await runCli(["run", file, "--json", "--runs-dir", path.join(dir, "bad")])
      expect(r.code).toBe(2)
      const lines = r.stderr.trim().split("\n")
      expect(lines, r.stderr).toHaveLength(1)
      expect(lines[0]).toContain(field)
      expect(lines[0]).toContain(file)
    }
  })
})
