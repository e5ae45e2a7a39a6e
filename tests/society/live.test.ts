import { Either } from "effect"
import { describe, expect, it } from "vitest"
import type { RunSpec } from "../../src/config/RunSpec.js"
import { makeSocietyPanel } from "../../src/society/live.js"
import { roundStats } from "../../src/society/roundStats.js"
import { societyFromData } from "../../src/society/SocietyFile.js"
import { lattice } from "../../src/sampling/network.js"

const scenario = Either.getOrThrow(
  societyFromData(
    {
      kind: "society", id: "lat", title: "t", source: "s", dynamic: "prisoners-dilemma", rounds: 3,
      network: { kind: "lattice", width: 6, height: 5, neighbourhood: "moore" },
      prompts: { rules: "r", first: "f", summary: "{when} {own_action}", decision: "{options}" }
    },
    "lat.yaml"
  )
)

describe("dashboard society panel", () => {
  it("draws the headline by round per condition, the human figure, and a character map of the lattice", () => {
    const spec = { steps: [{ kind: "society", society: scenario }] } as unknown as RunSpec
    const panel = makeSocietyPanel(spec)
    expect(panel.lines()).not.toBeNull()
    const g = lattice(6, 5, "moore")
    const conditions = Int32Array.from({ length: 30 }, (_, i) => i % 2)
    for (const [round, coop] of [[1, 0.8], [2, 0.5]] as const) {
      const actions = Uint8Array.from({ length: 30 }, (_, i) => (i < 30 * coop ? 1 : 0))
      const stats = roundStats("prisoners-dilemma", scenario.params, g, actions, conditions, ["none", "value:BE"], 30, null)
      panel.observe({ _tag: "SocietyRound", step: 0, round, redo: false, failed: false, actions, decisions: 30, stats: JSON.stringify(stats), asked: null })
    }
    const lines = panel.lines()!
    expect(lines[0]).toContain("round 2 of 3")
    expect(lines.find((l) => l.includes("all agents"))).toMatch(/0\.500$/)
    expect(lines.some((l) => l.includes("value:BE"))).toBe(true)
    expect(lines.some((l) => l.trim().startsWith("humans"))).toBe(true)
    // Round 2: the first 15 agents (rows 0–1 and half of row 2) cooperate.
    const map = lines.slice(lines.findIndex((l) => l.includes("lattice window")) + 1).map((l) => l.trim())
    expect(map).toEqual(["██████", "██████", "███···", "······", "······"])
  })
})
