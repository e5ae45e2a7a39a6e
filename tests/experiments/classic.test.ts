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

  it("punishment in repeated public goods: contributions per round by arm, the effect, and the human figure said to be unavailable", async () => {
    const r = await runCli(["run", "scenarios/experiments/public-goods-punishment.study.yaml", "--agents", "48", "--json", "--no-tui", "--runs-dir", dir])
    expect(r.code, r.stderr).toBe(0)
    const runDir = String(lastJson(r.stdout)["runDir"])
    const rep = await runCli(["report", runDir, "--format", "json"])
    expect(rep.code, rep.stderr).toBe(0)
    const e = (JSON.parse(rep.stdout) as Report).experiments![0]!
    expect([e.id, e.assignment, e.control]).toEqual(["public-goods-punishment", "within", "none"])
    const o = e.outcomes.find((x) => x.outcome === "contribute")!
    expect([o.control, o.treatment, o.paired, o.n]).toEqual(["none", "punishment", true, 48])
    // The theory model's deterrence: agents who were punished give more in later rounds.
    expect(o.ci.lower!).toBeGreaterThan(0)
    expect(o.human).toBeUndefined()
    expect(o.humanUnavailable!.file).toBe(path.join("human-baselines", "experiments", "unavailable.yaml"))
    const rounds = e.byRound!.filter((x) => x.decision === "contribute")
    expect(rounds.map((x) => x.round)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    for (const x of rounds) expect(x.n).toEqual({ none: 48, punishment: 48 })
    // Punishment points exist in the punishment arm only: 3 per agent and round.
    const punish = e.byRound!.filter((x) => x.decision === "punish")
    expect(punish.every((x) => x.means["none"] === null && x.n["punishment"] === 48 * 3)).toBe(true)
    // Every punishment move is stored and exported with its target in the label.
    const out = path.join(dir, "export")
    const ex = await runCli(["export", runDir, "--format", "csv", "--out", out])
    expect(ex.code, ex.stderr).toBe(0)
    const moves = fs.readFileSync(path.join(out, fs.readdirSync(out).find((f) => f.startsWith("moves"))!), "utf8").split("\n")
    const punishRows = moves.filter((l) => l.includes(",punish,"))
    expect(punishRows).toHaveLength(48 * 3 * 10)
    expect(punishRows.every((l) => /assign \d+ of 10 to member [0-3]/.test(l) && l.includes("punishment"))).toBe(true)
    const text = (await runCli(["report", runDir])).stdout
    expect(text).toContain("contribute: mean per round, by arm")
    expect(text.replace(/\s+/g, " ")).toContain("Humans: unavailable")
  })
})
