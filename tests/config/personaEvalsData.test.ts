import { NodeContext } from "@effect/platform-node"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { buildPersonaQuestionnaire, DEFAULT_PERSONA_THEORY } from "../../src/app/personaEvals.js"
import { validateFile } from "../../src/app/validateFiles.js"
import { loadPersonaSets, loadPersonaTheory, parsePersonaSet } from "../../src/config/PersonaEvalsData.js"
import { sampleStatementIndices } from "../../src/sampling/statements.js"
import { ROOT, tempDir } from "../helpers/cli.js"

const run = <A, E>(e: Effect.Effect<A, E, NodeContext.NodeContext>) => Effect.runPromise(Effect.either(e).pipe(Effect.provide(NodeContext.layer)))

/** Statements written for these tests (not from the Perez et al. sets). */
const line = (statement: string, answer: string) => JSON.stringify({ question: `Q: ${statement}`, statement, answer_matching_behavior: answer })

describe("parsePersonaSet", () => {
  it("reads statements with their matching answer and line", () => {
    const text = [line("I enjoy long walks", " Yes"), "", line("I dislike walking", " No")].join("\n")
    const { statements, problems } = parsePersonaSet(text)
    expect(problems).toEqual([])
    expect(statements).toEqual([
      { line: 1, statement: "I enjoy long walks", matching: "Yes" },
      { line: 3, statement: "I dislike walking", matching: "No" }
    ])
  })

  it("names the line and field of every bad line", () => {
    const text = [line("fine", " Yes"), "{not json", JSON.stringify({ statement: "", answer_matching_behavior: " Yes" }), line("x", " Maybe"), "[1]"].join("\n")
    const { problems } = parsePersonaSet(text)
    expect(problems[0]).toMatch(/^line 2: not valid JSON/)
    expect(problems[1]).toBe("line 3: statement: expected a non-empty string")
    expect(problems[2]).toBe('line 4: answer_matching_behavior: expected " Yes" or " No", got " Maybe"')
    expect(problems[3]).toBe("line 5: expected a JSON object")
  })
})

describe("loadPersonaSets", () => {
  const dir = tempDir("persona-sets")
  fs.writeFileSync(path.join(dir, "walking.jsonl"), [line("I walk daily", " Yes"), line("I never walk", " No")].join("\n"))
  fs.writeFileSync(path.join(dir, "broken.jsonl"), [line("ok", " Yes"), '{"statement": 3, "answer_matching_behavior": " No"}'].join("\n"))
  fs.writeFileSync(path.join(dir, "notes.txt"), "not a set")

  it("loads the chosen sets and fails on a malformed line naming file, line and field", async () => {
    const ok = await run(loadPersonaSets(dir, ["walking"]))
    expect(Either.isRight(ok) && ok.right.map((s) => [s.behaviour, s.statements.length])).toEqual([["walking", 2]])
    const bad = await run(loadPersonaSets(dir, null))
    expect(Either.isLeft(bad) && bad.left.message).toBe(`${path.join(dir, "broken.jsonl")}: line 2: statement: expected a non-empty string`)
  })

  it("fails on an unknown behaviour or a missing folder", async () => {
    const unknown = await run(loadPersonaSets(dir, ["walking", "flying"]))
    expect(Either.isLeft(unknown) && unknown.left._tag).toBe("UsageError")
    expect(Either.isLeft(unknown) && unknown.left.message).toMatch(/^--behaviours: no persona set "flying"/)
    const missing = await run(loadPersonaSets(path.join(dir, "nope"), null))
    expect(Either.isLeft(missing) && missing.left.message).toMatch(/--data: cannot read the folder/)
  })
})

describe("the shipped theory mapping", () => {
  it("loads and maps politics to the conservation and self-transcendence sides", async () => {
    const t = await run(loadPersonaTheory(DEFAULT_PERSONA_THEORY))
    if (Either.isLeft(t)) throw t.left
    expect(t.right.peaks.get("politically-conservative")).toBe("SE")
    expect(t.right.peaks.get("politically-liberal")).toBe("UN")
  })
})

describe("valuesim validate on the persona files", () => {
  it("accepts the shipped theory and groups files and names a bad value code", async () => {
    const ok = await run(validateFile(DEFAULT_PERSONA_THEORY, {}))
    const groups = await run(validateFile(path.join(ROOT, "scenarios/persona-evals/groups-example.yaml"), {}))
    expect(Either.isRight(ok) && ok.right).toMatchObject({ kind: "persona-evals-theory", problems: [] })
    expect(Either.isRight(groups) && groups.right).toMatchObject({ kind: "persona-evals-groups", problems: [] })
    const bad = path.join(tempDir("persona-theory"), "theory.yaml")
    fs.writeFileSync(bad, "kind: persona-evals-theory\nid: t\nsource: tests\npeaks: { interest-in-art: Beauty }\n")
    const r = await run(validateFile(bad, {}))
    expect(Either.isRight(r) && r.right.problems).toEqual([`${bad}: peaks.interest-in-art: unknown value code "Beauty" (expected one of SD, ST, HE, AC, PO, SE, CO, TR, BE, UN)`])
  })
})

describe("sampleStatementIndices", () => {
  it("draws k distinct increasing indices, the same for the same seed and behaviour", () => {
    const a = sampleStatementIndices(7, "b", 1000, 50)
    expect(a).toHaveLength(50)
    expect(new Set(a).size).toBe(50)
    expect([...a].sort((x, y) => x - y)).toEqual(a)
    expect(a.every((i) => i >= 0 && i < 1000)).toBe(true)
    expect(sampleStatementIndices(7, "b", 1000, 50)).toEqual(a)
    expect(sampleStatementIndices(8, "b", 1000, 50)).not.toEqual(a)
    expect(sampleStatementIndices(7, "c", 1000, 50)).not.toEqual(a)
    expect(sampleStatementIndices(7, "b", 30, 50)).toEqual(Array.from({ length: 30 }, (_, i) => i))
  })
})

const DATA = path.resolve(ROOT, "../shared/data/anthropic-evals-persona")

describe.skipIf(!fs.existsSync(DATA))("sampling the Perez et al. persona sets (../shared/data)", () => {
  it("builds the same Yes/No questionnaire for the same seed, whatever other behaviours are chosen", async () => {
    const both = await run(loadPersonaSets(DATA, ["politically-conservative", "agreeableness"]))
    const one = await run(loadPersonaSets(DATA, ["agreeableness"]))
    if (Either.isLeft(both)) throw both.left
    if (Either.isLeft(one)) throw one.left
    const peaks = new Map([["agreeableness", "BE" as const]])
    const q1 = buildPersonaQuestionnaire(both.right, 3, 50, peaks, DATA)
    const q2 = buildPersonaQuestionnaire(both.right, 3, 50, peaks, DATA)
    const q3 = buildPersonaQuestionnaire(one.right, 3, 50, peaks, DATA)
    const q4 = buildPersonaQuestionnaire(both.right, 4, 50, peaks, DATA)
    expect(q1.items).toHaveLength(100)
    expect(q2.items).toEqual(q1.items)
    expect(q3.items).toEqual(q1.items.filter((i) => i.subscale === "agreeableness"))
    expect(q4.items.map((i) => i.id)).not.toEqual(q1.items.map((i) => i.id))
    expect(q1.scale.map((o) => o.label)).toEqual(["No", "Yes"])
    // Reverse keying follows the set's matching answer; the synthetic peak only where mapped.
    const set = both.right.find((s) => s.behaviour === "agreeableness")!
    for (const item of q1.items.filter((i) => i.subscale === "agreeableness")) {
      const s = set.statements.find((x) => `agreeableness:${x.line}` === item.id)!
      expect(item.text).toBe(s.statement)
      expect(item.reverse).toBe(s.matching === "No")
      expect(item.theory).toEqual({ peak: "BE" })
    }
    expect(q1.items.find((i) => i.subscale === "politically-conservative")!.theory).toBeUndefined()
    // Both answers occur among the sampled statements.
    expect(new Set(q1.items.map((i) => i.reverse)).size).toBe(2)
  })
})
