import { NodeContext } from "@effect/platform-node"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"
import { loadPopulation } from "../../src/config/PopulationFile.js"
import { loadQuestionnaire, questionnaireFromData } from "../../src/config/QuestionnaireFile.js"
import { SpecFileError } from "../../src/config/SpecFileError.js"
import { VALUES_19 } from "../../src/domain/values.js"
import { drawVariants } from "../../src/sampling/population.js"
import { ROOT, tempDir } from "../helpers/cli.js"

const run = <A, E>(e: Effect.Effect<A, E, NodeContext.NodeContext>) => Effect.runPromise(Effect.either(Effect.provide(e, NodeContext.layer)))
const ok = async <A, E>(e: Effect.Effect<A, E, NodeContext.NodeContext>) => {
  const r = await run(e)
  if (Either.isLeft(r)) throw new Error(String((r.left as SpecFileError).problems ?? r.left))
  return r.right
}
const VSQ57 = path.join(ROOT, "scenarios/value-anchoring/vsq57.yaml")
const POPS = path.join(ROOT, "populations/anchoring")

describe("19-value questionnaires", () => {
  it("loads the project's VSQ-57: three items for each refined value, refined codes, batch administration (paper 002's main condition)", async () => {
    const q = await ok(loadQuestionnaire(VSQ57))
    expect(q.valueSystem).toBe("refined")
    expect(q.items).toHaveLength(57)
    expect(q.administration).toBe("batch")
    for (const v of VALUES_19) expect(q.items.filter((i) => i.subscale === v)).toHaveLength(3)
    expect(new Set(q.items.map((i) => i.text)).size).toBe(57)
    // ST, HE, AC and TR are codes of both systems; here they are refined values with their own theory peaks.
    expect(q.items.find((i) => i.subscale === "TR")!.theory).toEqual({ peak: "TR" })
    // Neighbours on the circle never follow each other, so session context does not pair related items.
    const idx = (code: string) => VALUES_19.indexOf(code as (typeof VALUES_19)[number])
    q.items.slice(1).forEach((it, i) => {
      const d = Math.abs(idx(it.subscale) - idx(q.items[i]!.subscale))
      expect(Math.min(d, 19 - d)).toBeGreaterThan(1)
    })
  })

  it("rejects a basic code in a refined questionnaire and a refined code in a basic one, naming the field", () => {
    const data = parse(fs.readFileSync(VSQ57, "utf8")) as { items: Array<{ subscale: string }>; values?: string }
    data.items[0]!.subscale = "SD"
    const r = questionnaireFromData(data, "vsq57.yaml")
    expect(Either.isLeft(r)).toBe(true)
    const e = (r as Either.Left<SpecFileError, unknown>).left
    expect(e.file).toBe("vsq57.yaml")
    expect(e.problems).toEqual([expect.stringMatching(/^items\[0\]\.subscale: unknown value code "SD" \(expected one of the refined values SDT, SDA/)])
    data.items[0]!.subscale = "SDT"
    delete data.values
    const basic = questionnaireFromData(data, "q.yaml")
    expect(Either.isLeft(basic) && basic.left.problems.some((p) => p.includes('unknown value code "SDT"'))).toBe(true)
  })
})

describe("paper 002 populations", () => {
  it("value anchor: 19 conditions value:SDT … value:UNT with the appendix E phrases", async () => {
    const p = await ok(loadPopulation(path.join(POPS, "value-anchor.yaml")))
    expect(p.values).toBe("refined")
    expect(p.conditions.map((c) => c.id)).toEqual(VALUES_19.map((v) => `value:${v}`))
    expect(p.conditions.find((c) => c.value === "UNN")!.system).toContain("protecting the natural environment from destruction or pollution")
    expect(p.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
  })

  it("basic: one unprimed condition without a system message", async () => {
    const p = await ok(loadPopulation(path.join(POPS, "basic.yaml")))
    expect(p.conditions).toEqual([{ id: "none", value: null, system: null }])
  })

  it("demographic and names: 300 variants drawn from the run seed; personas: the written list", async () => {
    const a = await ok(loadPopulation(path.join(POPS, "demographic.yaml"), 1))
    const b = await ok(loadPopulation(path.join(POPS, "demographic.yaml"), 1))
    const c = await ok(loadPopulation(path.join(POPS, "demographic.yaml"), 2))
    expect(a.conditions).toHaveLength(300)
    expect(a.conditions).toEqual(b.conditions)
    expect(a.conditions.map((x) => x.system)).not.toEqual(c.conditions.map((x) => x.system))
    for (const cond of a.conditions) {
      expect(cond.id).toMatch(/^variant:\d+$/)
      const age = Number(/a (\d+)-year-old/.exec(cond.system!)![1])
      expect(age).toBeGreaterThanOrEqual(18)
      expect(age).toBeLessThanOrEqual(75)
      expect(cond.system).not.toContain("{")
    }
    const names = await ok(loadPopulation(path.join(POPS, "names.yaml"), 1))
    expect(names.conditions[0]!.system).toMatch(/^Answer as M[rsx]\. [A-Z][\w']+\.$/)
    const personas = await ok(loadPopulation(path.join(POPS, "persona.yaml")))
    expect(personas.conditions).toHaveLength(24)
  })

  it("rejects dominant-value-share strategies for refined populations and unknown codes in refined prompts", async () => {
    const dir = tempDir("refined-pop")
    const prompts = path.join(ROOT, "populations/prompts/value-anchors-19.yaml")
    const hnp = path.join(dir, "hnp.yaml")
    fs.writeFileSync(hnp, `kind: population\nid: x\nvalues: refined\nstrategy: h-np\nshares: { file: ${path.join(ROOT, "human-baselines/dominant-value-shares.yaml")}, dataset: ess_sweden_1441 }\nprompts: ${prompts}\n`)
    const r = await run(loadPopulation(hnp))
    expect(Either.isLeft(r) && (r.left as SpecFileError).problems[0]).toMatch(/^strategy: h-np draws on dominant-value shares/)
    const basicWithRefinedPrompts = path.join(dir, "basic.yaml")
    fs.writeFileSync(basicWithRefinedPrompts, `kind: population\nid: y\nstrategy: uniform\nprompts: ${prompts}\n`)
    const r2 = await run(loadPopulation(basicWithRefinedPrompts))
    expect(Either.isLeft(r2)).toBe(true)
    const e = (r2 as Either.Left<SpecFileError, unknown>).left
    expect(e.file).toBe(prompts)
    expect(e.problems[0]).toMatch(/^values\.SDT: unknown value code "SDT"/)
  })

  it("drawVariants fills every slot, integer ranges inclusive", () => {
    const v = drawVariants("{a}-{n}", { a: ["x", "y"], n: { min: 1, max: 2 } }, 400, 9, "t")
    expect(new Set(v)).toEqual(new Set(["x-1", "x-2", "y-1", "y-2"]))
    expect(drawVariants("{a}-{n}", { a: ["x", "y"], n: { min: 1, max: 2 } }, 400, 9, "t")).toEqual(v)
  })
})
