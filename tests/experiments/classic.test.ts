import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Report } from "../../src/analysis/Report.js"
import { HUMAN_EFFECTS_DIR, loadHumanEffects } from "../../src/experiments/human.js"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"

/** Classic experiments with their human results (issue 24): the shipped scenario runs and its report sits beside the human effect. */
let dir: string
beforeAll(() => {
  dir = tempDir("classic")
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("classic experiments", () => {
  it("every human experiment effect names its source, sample and how it was obtained; the interval holds the effect", () => {
    const humans = loadHumanEffects()
    expect(humans.length).toBeGreaterThan(0)
    for (const h of humans) {
      expect(h.source.length).toBeGreaterThan(20)
      expect(h.sample.length).toBeGreaterThan(5)
      expect(h.n.control + h.n.treatment).toBeGreaterThan(0)
      expect(h.ci.lower).toBeLessThanOrEqual(h.effect)
      expect(h.ci.upper).toBeGreaterThanOrEqual(h.effect)
    }
    // The Wald interval of the framing effect, recomputed from the published shares and sizes.
    const tk = humans.find((h) => h.id === "tversky-kahneman-1981.risky-framing")!
    const se = Math.sqrt((0.28 * 0.72) / 152 + (0.78 * 0.22) / 155)
    expect(tk.ci.lower).toBeCloseTo(0.5 - 1.96 * se, 3)
    expect(tk.ci.upper).toBeCloseTo(0.5 + 1.96 * se, 3)
    const unavailable = parse(fs.readFileSync(path.join(HUMAN_EFFECTS_DIR, "unavailable.yaml"), "utf8")) as { entries: Array<{ experiment: string; reason: string }> }
    expect(unavailable.entries.every((e) => e.reason.length > 20)).toBe(true)
  })

  it("the risky-choice framing scenario runs between agents and its report puts the human effect beside the population's", async () => {
    const r = await runCli(["run", "scenarios/experiments/risky-framing.study.yaml", "--agents", "200", "--json", "--no-tui", "--runs-dir", dir])
    expect(r.code, r.stderr).toBe(0)
    const runDir = String(lastJson(r.stdout)["runDir"])
    const rep = await runCli(["report", runDir, "--format", "json"])
    expect(rep.code, rep.stderr).toBe(0)
    const o = (JSON.parse(rep.stdout) as Report).experiments![0]!.outcomes[0]!
    expect([o.outcome, o.control, o.treatment, o.paired]).toEqual(["risky-choice", "gain", "loss", false])
    expect(o.human!.effect).toBe(0.5)
    expect(o.human!.ci).toEqual({ level: 0.95, lower: 0.403, upper: 0.597 })
    expect(o.effect!).toBeGreaterThan(0)
    const text = await runCli(["report", runDir])
    expect(text.stdout).toMatch(/Humans: 0\.500 \[0\.403, 0\.597\]/)
  })
})
