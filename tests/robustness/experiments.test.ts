import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { renderAblation, renderAnswerSheet, runPrimingAblation } from "../../src/app/primingAblation.js"
import { DEFAULT_PARAPHRASES, renderRobustness, runRobustness } from "../../src/app/robustness.js"
import { PAPER_BOOTSTRAP } from "../../src/analysis/alignment.js"
import type { Questionnaire } from "../../src/domain/questionnaire.js"
import { ROOT, tempDir } from "../helpers/cli.js"
import { withRunDb } from "../helpers/store.js"
import { readAgentConditions, readConditions } from "../../src/store/reads.js"

/** The two experiment commands' app functions, in-process on the synthetic backend (few agents). */

const run = <A, E>(e: Effect.Effect<A, E, NodeContext.NodeContext>) => Effect.runPromise(Effect.provide(e, NodeContext.layer))
const quiet = { json: true, progressEveryMs: 60_000 }
const STUDY = path.join(ROOT, "tests", "fixtures", "mini-values-study.yaml")
const bootstrap = { ...PAPER_BOOTSTRAP, iterations: 20, sampleSize: 200 }
const env = {}

describe("runRobustness (synthetic)", () => {
  it("runs base, three paraphrases and reversed options as pool runs, adds the distribution control, and continues a folder", async () => {
    const runsDir = tempDir("robustness")
    const options = {
      study: STUDY,
      agentsPerCondition: 12,
      paraphrases: DEFAULT_PARAPHRASES,
      overrides: {},
      baselines: null,
      bootstrap,
      runsDir,
      out: undefined,
      output: quiet
    }
    const first = await run(runRobustness(options, env))
    const r = first.result!
    expect(r.rows.map((x) => x.variant)).toEqual(["base", "paraphrase-1", "paraphrase-2", "paraphrase-3", "options-reversed", "distribution-uniform"])
    expect(r.runs.map((x) => x.prompts)).toEqual([
      "value-prompting-appendix-a",
      "value-prompting-paraphrase-1",
      "value-prompting-paraphrase-2",
      "value-prompting-paraphrase-3",
      "value-prompting-appendix-a"
    ])
    expect(r.runs.map((x) => x.optionOrder)).toEqual(["normal", "normal", "normal", "normal", "reversed"])
    expect(Object.values(r.pools)).toEqual(new Array(11).fill(12))
    expect(r.baselines.length).toBeGreaterThanOrEqual(3)
    // The paraphrase runs really sent the paraphrased system messages.
    const conds = withRunDb(r.runs[1]!.runDir, readConditions)
    expect(conds.find((c) => c.condition === "value:BE")!.systemPrompt).toMatch(/^Picture yourself as someone for whom benevolence matters/)
    expect(conds.find((c) => c.condition === "none")!.systemPrompt).toBeNull()
    for (const row of r.rows.slice(1)) {
      for (const c of row.cells) {
        expect(c.difference).not.toBeNull()
        expect(c.difference!.pAdjusted!).toBeGreaterThanOrEqual(c.difference!.p!)
        expect(c.bootstrap.iterations).toBe(20)
      }
    }
    // The synthetic respondent ignores wording and option order: those variants equal the base exactly.
    for (const row of r.rows.slice(1, 5)) for (const c of row.cells) expect([c.difference!.mean, c.difference!.p]).toEqual([0, 1])
    // The control changes only the shares: different S_V, different hierarchy.
    const control = r.rows[5]!
    expect(control.weights.find((w) => w.condition === "none")).toBeUndefined()
    expect(control.cells.some((c) => c.difference!.mean !== 0)).toBe(true)
    expect(control.hierarchySpearmanVsBase!).toBeLessThan(1)
    expect(renderRobustness(r)).toContain("distribution-uniform")
    expect(fs.existsSync(path.join(r.dir, "robustness.json"))).toBe(true)

    // Same folder again: every variant run is reused, the table is identical.
    const again = await run(runRobustness({ ...options, out: r.dir }, env))
    expect(again.result!.runs.every((x) => x.reused)).toBe(true)
    expect(again.result!.rows).toEqual(r.rows)
    // A different plan in the same folder is refused, naming the folder.
    const clash = await run(Effect.flip(runRobustness({ ...options, agentsPerCondition: 13, out: r.dir }, env)))
    expect((clash as { _tag?: string })._tag).toBe("SpecFileError")
    expect(clash.message).toContain("different plan")
  }, 60_000)

  it("refuses a paraphrase file that lacks a value before running anything", async () => {
    const runsDir = tempDir("robustness-bad")
    const bad = path.join(runsDir, "short.yaml")
    fs.writeFileSync(bad, `kind: condition-prompts\nid: short\ncitation: test\nvalues:\n  BE: "Be kind."\n`)
    const e = await run(
      Effect.flip(
        runRobustness({ study: STUDY, agentsPerCondition: 5, paraphrases: [bad], overrides: {}, baselines: null, bootstrap, runsDir, out: undefined, output: quiet }, env)
      )
    )
    expect(e.message).toContain(bad)
    expect(e.message).toContain("values.SD: no paraphrase")
    expect(fs.readdirSync(runsDir)).toEqual(["short.yaml"])
  })
})

describe("runPrimingAblation (synthetic)", () => {
  it("runs Priming Only, Priming & Test and Test Only with answer sheets from the first run, and scores S_V and S_B", async () => {
    const runsDir = tempDir("ablation")
    const r = (await run(runPrimingAblation({ study: STUDY, agents: 120, overrides: {}, baselines: null, bootstrap, runsDir, out: undefined, output: quiet }, env))).result!
    expect(r.rows.map((x) => x.title)).toEqual(["Priming Only", "Priming & Test", "Test Only"])
    for (const row of r.rows) {
      expect(row.cells.filter((c) => c.kind === "S_V").length).toBeGreaterThanOrEqual(3)
      const sb = row.cells.find((c) => c.kind === "S_B" && c.measure === "big-five")
      expect(sb?.baseline.id).toBe("valueportrait-prolific-569.big-five")
      expect(row.meanSb).not.toBeNull()
      for (const c of row.cells) expect(c.bootstrap.pAdjusted!).toBeGreaterThanOrEqual(c.bootstrap.p!)
    }
    // One sheet per value condition with agents, each from an agent of that condition in the Priming Only run.
    withRunDb(r.rows[0]!.runDir, (prim) => {
      const conditions = readConditions(prim)
      const agentConditions = readAgentConditions(prim)
      for (const s of r.sheets) expect(conditions[agentConditions[s.agentId]!]!.condition).toBe(s.condition)
    })
    const systemOf = (runDir: string, condition: string) =>
      withRunDb(runDir, readConditions).find((c) => c.condition === condition)!.systemPrompt
    const sheet = r.sheets.find((s) => s.condition === "value:BE")!
    expect(systemOf(r.rows[2]!.runDir, "value:BE")).toBe(sheet.text)
    expect(systemOf(r.rows[1]!.runDir, "value:BE")).toBe(`${systemOf(r.rows[0]!.runDir, "value:BE")}\n\n${sheet.text}`)
    expect(systemOf(r.rows[2]!.runDir, "none")).toBeNull()
    expect(sheet.text.split("\n").filter((l) => l.startsWith("- ")).length).toBe(10)
    expect(renderAblation(r)).toContain("Test Only")
    // S_V re-asks the items the sheet answers: a copying check under Test Only and Priming & Test, not under Priming Only
    for (const row of r.rows)
      for (const c of row.cells) expect(c.copyingCheck, `${row.setting} ${c.kind}`).toBe(c.kind === "S_V" && row.setting !== "priming-only")
    expect(renderAblation(r)).toContain("† copying check")
    // stars by chance level, CIs in the cells, the paper's t-test in its own column (issue 22 items 2, 5)
    for (const row of r.rows) for (const c of row.cells) expect(c.null, `${row.setting} ${c.kind}`).not.toBeNull()
    expect(renderAblation(r)).toContain("paper's t-test")
    expect(renderAblation(r)).toMatch(/\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/)
    expect(r.mdsMethod).toBe("smacof")
  }, 60_000)

  it("renders an answer sheet from the scale labels, skipping unanswered items", () => {
    const q = {
      items: [
        { id: "a", text: "Likes quiet evenings.", subscale: "HE", reverse: false },
        { id: "b", text: "Keeps promises.", subscale: "BE", reverse: false }
      ],
      scale: [
        { value: 1, label: "No" },
        { value: 2, label: "Yes" }
      ]
    } as unknown as Questionnaire
    const text = renderAnswerSheet(q, [2, null])
    expect(text).toContain(`- "Likes quiet evenings." Your answer: Yes (2 of 2).`)
    expect(text).not.toContain("Keeps promises")
  })
})
