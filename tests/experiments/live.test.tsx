import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import * as path from "node:path"
import { renderToString } from "ink"
import { stripVTControlCharacters } from "node:util"
import { describe, expect, it } from "vitest"
import { loadRunSpec } from "../../src/config/StudyFile.js"
import { makeExperimentPanel } from "../../src/experiments/live.js"
import { normalEffect } from "../../src/stats/effects.js"
import type { AnswerPage, MatchResult } from "../../src/store/RunStore.js"
import { Dashboard } from "../../src/ui/components/Dashboard.js"
import { reduce } from "../../src/ui/reducer.js"
import { ROOT } from "../helpers/cli.js"
import { makeSnapshot, syntheticSnapshot } from "../ui/dashboardFixtures.js"

/**
 * The dashboard's experiment lines (issue 24, item 3): arms side by side while the run goes, each arm's mean so far
 * and the live effect with its normal-approximation interval, updated as pages of answers arrive.
 */
const specOf = (file: string, agents: number) =>
  Effect.runPromise(loadRunSpec(file, { agents, backend: "synthetic" }, {}).pipe(Effect.provide(NodeContext.layer)))

/** A page of one step's answers: agent ids and their answers to the items, in item order. */
const page = (step: number, items: number, rows: ReadonlyArray<readonly [number, ReadonlyArray<number>]>): AnswerPage => ({
  _tag: "AnswerPage",
  step,
  items,
  k: 5,
  agentIds: rows.map((r) => r[0]),
  failed: null,
  redo: null,
  values: Float64Array.from(rows.flatMap((r) => r[1])),
  scoring: new Uint8Array(rows.length * items).fill(2),
  dists: null,
  requestKeys: null,
  attempts: null,
  raws: null,
  errors: null,
  masses: null,
  degraded: 0
})

describe("live experiment lines", () => {
  it("show each arm's mean and the paired effect with its interval, and follow the answers as they arrive", async () => {
    // examples/09-policy-experiment: steps 0 (values), 1 = arm loss (control), 2 = arm gain; items CC1, CC2 support, CC3 fairness.
    const spec = await specOf(path.join(ROOT, "examples", "09-policy-experiment", "study.yaml"), 6)
    const panel = makeExperimentPanel(spec, 6)
    expect(panel.lines()).toEqual([expect.stringContaining("experiment congestion-charge (within agents, paired)"), "  waiting for the first answers of the control arm"])
    const loss = [[2, 3, 2], [3, 3, 4], [1, 2, 2], [4, 4, 3]] as const
    const gain = [[3, 4, 2], [4, 4, 4], [3, 3, 3], [4, 5, 3]] as const
    panel.observe(page(1, 3, loss.map((v, i) => [i, v])))
    panel.observe(page(2, 3, gain.slice(0, 3).map((v, i) => [i, v])))
    const support = (rows: ReadonlyArray<ReadonlyArray<number>>) => rows.map((r) => (r[0]! + r[1]!) / 2)
    const e = normalEffect(support(loss.slice(0, 3)), support(gain.slice(0, 3)), true)
    const line = panel.lines()!.find((l) => l.trimStart().startsWith("support"))!
    expect(line).toContain("loss 2.75 (n 4)")
    expect(line).toContain("gain 3.50 (n 3)")
    expect(line).toContain(`gain − loss +${e.effect.toFixed(2)} [${e.lower >= 0 ? "+" : ""}${e.lower.toFixed(2)}, +${e.upper.toFixed(2)}] (3 pairs)`)
    // The fourth agent's gain answers arrive: the estimate follows.
    panel.observe(page(2, 3, [[3, gain[3]!]]))
    const after = normalEffect(support(loss), support(gain), true)
    expect(panel.lines()!.find((l) => l.trimStart().startsWith("support"))).toContain(`+${after.effect.toFixed(2)} [`)
    expect(panel.lines()!.find((l) => l.trimStart().startsWith("support"))).toContain("(4 pairs)")
    // Answers of steps outside the experiment change nothing.
    const before = panel.lines()
    panel.observe(page(0, 3, [[5, [1, 1, 1]]]))
    expect(panel.lines()).toEqual(before)
  })

  it("a game experiment between agents: each agent's mean decision per arm, Welch interval", async () => {
    const spec = await specOf(path.join(ROOT, "scenarios", "experiments", "public-goods-punishment.study.yaml"), 8)
    const arms = spec.experiments![0]!.arms
    const panel = makeExperimentPanel({ ...spec, experiments: [{ ...spec.experiments![0]!, assignment: "between" }] }, 8)
    const match = (step: number, members: ReadonlyArray<number>, contributions: ReadonlyArray<ReadonlyArray<number>>): MatchResult => ({
      _tag: "Match",
      step,
      matchId: 0,
      members,
      redo: false,
      failed: false,
      outcome: null,
      results: [],
      moves: contributions.flatMap((cs, round) =>
        cs.map((value, member) => ({ round: round + 1, agentId: members[member]!, member, role: "player", decision: "contribute", value, label: null, scoring: "synthetic", requestKey: null, dist: null, raw: null, attempts: 0, error: null }))
      )
    })
    panel.observe(match(arms[0]!.step, [0, 1, 2, 3], [[10, 4, 0, 20], [8, 6, 0, 20]]))
    panel.observe(match(arms[1]!.step, [4, 5, 6, 7], [[12, 10, 20, 20], [14, 12, 20, 20]]))
    const e = normalEffect([9, 5, 0, 20], [13, 11, 20, 20], false)
    const line = panel.lines()!.find((l) => l.trimStart().startsWith("contribute"))!
    expect(line).toContain("none 8.50 (n 4)")
    expect(line).toContain("punishment 16.00 (n 4)")
    expect(line).toContain(`punishment − none +${e.effect.toFixed(2)} [${e.lower >= 0 ? "+" : ""}${e.lower.toFixed(2)}, +${e.upper.toFixed(2)}]`)
  })

  it("reach the dashboard's statistics panel and the last frame, within the terminal's width", () => {
    const lines = ["experiment congestion-charge (within agents, paired): arm means so far", "  support  loss 2.75 (n 4)  gain 3.50 (n 3)  │ gain − loss +0.75 [+0.32, +1.18] (3 pairs)"]
    const s = reduce(syntheticSnapshot("stats", 120, 40), { _tag: "Experiments", lines })
    const text = stripVTControlCharacters(renderToString(<Dashboard snapshot={s} />, { columns: 120 }))
    expect(text).toContain("gain − loss +0.75 [+0.32, +1.18] (3 pairs)")
    expect(text).toContain("S_V")
    const done = stripVTControlCharacters(renderToString(<Dashboard snapshot={makeSnapshot({ ...s, status: "complete" })} />, { columns: 120 }))
    expect(done).toContain("gain 3.50 (n 3)")
    const narrow = stripVTControlCharacters(renderToString(<Dashboard snapshot={{ ...s, ui: { ...s.ui, width: 40 } }} />, { columns: 40 }))
    for (const l of narrow.split("\n")) expect(Array.from(l).length).toBeLessThanOrEqual(40)
  })
})
