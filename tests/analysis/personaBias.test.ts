import { NodeContext } from "@effect/platform-node"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { personaBias } from "../../src/analysis/personaBias.js"
import { loadPopulation } from "../../src/config/PopulationFile.js"
import { ROOT, tempDir } from "../helpers/cli.js"

const run = <A, E>(e: Effect.Effect<A, E, NodeContext.NodeContext>) => Effect.runPromise(Effect.either(Effect.provide(e, NodeContext.layer)))
const flat = (x: number) => Object.fromEntries(["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"].map((v) => [v, x]))

describe("persona bias (seed 004 tables 9-12)", () => {
  it("model = persona − no persona, beside the human group differences, with the two-group contrast", () => {
    const personas = new Map([
      ["gender/male", { ...flat(0.5), TR: 1.5 }],
      ["gender/female", flat(0.5)],
      ["age/80+", flat(0)]
    ])
    const human = [
      { variable: "gender", group: "male", differences: { ...flat(0), TR: -0.06, UN: 0.1 } },
      { variable: "gender", group: "female", differences: { ...flat(0), TR: 0.05 } },
      { variable: "education", group: "masters", differences: flat(0.2) }
    ]
    const t = personaBias(personas, flat(0.5), human)
    expect(t.map((x) => x.variable)).toEqual(["gender", "age"]) // education: no persona in the run
    const [male, female, contrast] = t[0]!.rows
    expect(male!.model["TR"]).toBeCloseTo(1, 12)
    expect(male!.model["UN"]).toBeCloseTo(0, 12)
    expect(male!.human["TR"]).toBe(-0.06)
    expect(female!.model["TR"]).toBeCloseTo(0, 12)
    expect(contrast!.group).toBe("male-female")
    expect(contrast!.model["TR"]).toBeCloseTo(1, 12)
    expect(contrast!.human["TR"]).toBeCloseTo(-0.11, 12)
    expect(male!.mean_abs_gap).toBeCloseTo((1.06 + 0.1) / 10, 12)
    const old = t[1]!.rows[0]!
    expect(old.model["SD"]).toBeCloseTo(-0.5, 12)
    expect(old.human["SD"]).toBeNull()
    expect(old.mean_abs_gap).toBeNull()
  })

  it("the demographic-personas population has one condition per ESS group plus none, each with its system prompt", async () => {
    const r = await run(loadPopulation(path.join(ROOT, "populations", "demographic-personas.yaml")))
    if (Either.isLeft(r)) throw new Error(String(r.left))
    expect(r.right.conditions).toHaveLength(14)
    const male = r.right.conditions.find((c) => c.id === "persona:gender/male")!
    expect(male.value).toBeNull()
    expect(male.system).toMatch(/man/)
    expect(r.right.conditions.find((c) => c.id === "none")!.system).toBeNull()
    // every persona matches a group of the shipped ESS differences file
    const ess = fs.readFileSync(path.join(ROOT, "human-baselines", "ess-round11.differences.yaml"), "utf8")
    for (const c of r.right.conditions.filter((c) => c.id.startsWith("persona:"))) {
      const [variable, group] = c.id.slice("persona:".length).split("/")
      expect(ess, c.id).toContain(`variable: ${variable}\n    group: ${group}\n`)
    }
  })

  it("an unknown persona is reported against the population file", async () => {
    const dir = tempDir("persona-bad")
    fs.copyFileSync(path.join(ROOT, "populations", "prompts", "demographic-personas.yaml"), path.join(dir, "p.yaml"))
    const file = path.join(dir, "pop.yaml")
    fs.writeFileSync(file, "kind: population\nid: x\nstrategy: custom\ncustom: { none: 1, persona:gender/other: 1 }\nprompts: p.yaml\n")
    const r = await run(loadPopulation(file))
    expect(Either.isLeft(r) && String(r.left)).toContain("custom.persona:gender/other")
  })
})
