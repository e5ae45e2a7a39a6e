/**
 * Input the tool must refuse or handle with care (issue 15): ids that would become paths outside their folder,
 * template typos, YAML alias bombs and oversized files, shares and weights that do not sum to 1, malformed
 * specs reported one line per problem, and printed names and commands that cannot mislead a terminal or shell.
 */
import { NodeContext } from "@effect/platform-node"
import { Effect, Either } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { isInside, pathInside } from "../../src/config/ids.js"
import { MAX_SPEC_BYTES, readDataFile } from "../../src/config/loadFile.js"
import { loadPopulation } from "../../src/config/PopulationFile.js"
import { questionnaireFromData } from "../../src/config/QuestionnaireFile.js"
import { gameFromData } from "../../src/config/GameFile.js"
import type { SpecFileError } from "../../src/config/SpecFileError.js"
import { endpointWarning, loadRunSpec } from "../../src/config/StudyFile.js"
import { escapeControl, resumeCommand, shellWord } from "../../src/domain/printable.js"
import { ROOT, tempDir } from "../helpers/cli.js"

const run = <A>(e: Effect.Effect<A, unknown, NodeContext.NodeContext>) => Effect.runPromise(e.pipe(Effect.either, Effect.provide(NodeContext.layer)))
const problemsOf = (r: Either.Either<unknown, unknown>): ReadonlyArray<string> => (Either.isLeft(r) ? (r.left as SpecFileError).problems : [])

const questionnaire = (extra: Record<string, unknown> = {}) => ({
  kind: "questionnaire",
  id: "q",
  title: "T",
  source: "written for this test",
  construct: "other",
  scale: [{ value: 1, label: "No" }, { value: 2, label: "Yes" }],
  items: [{ id: "a", subscale: "x", text: "I like tests." }],
  ...extra
})

const write = (dir: string, name: string, text: string) => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, text)
  return p
}

describe("ids that become folder names", () => {
  it("refuse anything but letters, digits, '.', '_' and '-' with one message, in questionnaires, games and studies", async () => {
    for (const bad of ["../escape-target/pwned", "a/b", "/abs", ".hidden", "..", "x\u001b[2Jy", "", "a".repeat(101)]) {
      const q = questionnaireFromData(questionnaire({ id: bad }), "q.yaml")
      expect(Either.isLeft(q), bad).toBe(true)
      const lines = problemsOf(q)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^id: ".*" is not a safe id: use 1-100 letters, digits/)
      const g = gameFromData({ kind: "game", id: bad, title: "t", source: "s", game: "dictator", prompts: { rules: "r", decisions: { give: "{options}" } } }, "g.yaml")
      expect(problemsOf(g).filter((p) => p.startsWith("id:"))).toHaveLength(1)
    }
    for (const ok of ["vsq40", "a.b_c-1", "X"]) expect(Either.isRight(questionnaireFromData(questionnaire({ id: ok }), "q.yaml"))).toBe(true)

    const dir = tempDir("ids")
    const study = write(dir, "s.yaml", [
      "kind: study", "id: ../escape-target/pwned", `population: ${path.join(ROOT, "populations/h-np.yaml")}`, "agents: 5",
      "steps:", `  - questionnaire: ${path.join(ROOT, "scenarios/vsq40.yaml")}`
    ].join("\n"))
    const r = await run(loadRunSpec(study, {}, {}))
    expect(problemsOf(r)).toEqual([`id: "../escape-target/pwned" is not a safe id: use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit (it becomes part of folder names)`])
  })

  it("a path built from a name must resolve inside its folder", () => {
    expect(Either.isRight(pathInside("/runs", "20260101-000000-vsq40-s1", "id"))).toBe(true)
    for (const bad of ["../x", "a/../../x", "/etc/x", "", "."]) {
      const r = pathInside("/runs", bad, "id")
      expect(Either.isLeft(r), bad).toBe(true)
    }
    expect(isInside("runs", "runs/a/b")).toBe(true)
    expect(isInside("runs", "runs-other/a")).toBe(false)
  })
})

describe("prompt template placeholders", () => {
  it("a typo in prompts.item is unknown and the item text missing, naming field and placeholder", () => {
    const q = questionnaireFromData(questionnaire({ prompts: { item: "Statement: {itme}\n{options}" } }), "typo.yaml")
    expect(problemsOf(q)).toEqual([
      "prompts.item: unknown placeholder {itme} (available: {item}, {options}, {min}, {max})",
      "prompts.item: missing placeholder {item}"
    ])
    expect(String((Either.flip(q) as Either.Either<SpecFileError, unknown>).pipe(Either.getOrThrow).message)).toContain("typo.yaml")
  })

  it("checks every template field: instructions take none, option needs {number} (or {label} with answer_with: label)", () => {
    const q = questionnaireFromData(
      questionnaire({ prompts: { instructions: "Hi {name}", option: "{label}", reask: "{opts}", batch: "{options}", batch_reask: "{missing} {x}" } }),
      "q.yaml"
    )
    expect(problemsOf(q)).toEqual([
      "prompts.instructions: unknown placeholder {name} (the instructions text is sent as written; it has no placeholders)",
      "prompts.option: missing placeholder {number}",
      "prompts.reask: unknown placeholder {opts} (available: {options}, {min}, {max})",
      "prompts.batch: missing placeholder {items}",
      "prompts.batch_reask: unknown placeholder {x} (available: {missing}, {options}, {min}, {max})"
    ])
    const labels = questionnaireFromData(questionnaire({ answer_with: "label", prompts: { option: "{label}" } }), "q.yaml")
    expect(Either.isRight(labels)).toBe(true)
  })

  it("every shipped questionnaire passes", async () => {
    const files = fs.readdirSync(path.join(ROOT, "scenarios")).filter((f) => f.endsWith(".yaml")).map((f) => path.join(ROOT, "scenarios", f))
    for (const f of files) {
      const data = await run(readDataFile(f))
      const kind = Either.isRight(data) ? (data.right as { kind?: string }).kind : undefined
      if (kind === "questionnaire") expect(problemsOf(questionnaireFromData(Either.getOrThrow(data), f)), f).toEqual([])
    }
  })
})

describe("YAML and file size limits", () => {
  it("an alias bomb is one line, not an internal error", async () => {
    const dir = tempDir("bomb")
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    "bcdefghi".split("").forEach((n, i) => lines.push(`${n}: &${n} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(",")}]`))
    const f = write(dir, "bomb.yaml", lines.join("\n") + "\n")
    expect(problemsOf(await run(readDataFile(f)))).toEqual(["not usable YAML: its aliases (*name) expand too far (at most 100 alias expansions)"])
    // A few aliases are fine.
    const g = write(dir, "few.yaml", "a: &a [1, 2]\nb: *a\nc: *a\n")
    expect(Either.getOrThrow(await run(readDataFile(g)))).toEqual({ a: [1, 2], b: [1, 2], c: [1, 2] })
  })

  it("a file above the documented maximum is refused before it is parsed", async () => {
    const dir = tempDir("big")
    const f = path.join(dir, "big.yaml")
    fs.writeFileSync(f, "kind: questionnaire\n")
    fs.truncateSync(f, MAX_SPEC_BYTES + 1)
    const problems = problemsOf(await run(readDataFile(f)))
    expect(problems).toEqual(["(file): 8.0 MiB is more than the 8.0 MiB a spec or data file may have"])
  })
})

describe("shares and weights", () => {
  const prompts = path.join(ROOT, "populations/prompts/value-prompting.yaml")
  const sharesFile = (dir: string, normalize: boolean) =>
    write(dir, `shares-${normalize}.yaml`, [
      "kind: dominant-value-shares", "id: s", "description: d", "tie_rule: t", ...(normalize ? ["normalize: true"] : []), "datasets:",
      "  big:", "    n: 10", "    instrument: i", "    population: p", "    source: s", "    obtained: published", "    confidence: low",
      "    shares: { SD: 0.5, ST: 0.5, HE: 0.5, AC: 0.5, PO: 0.5, SE: 0.5, CO: 0.5, TR: 0.5, BE: 0.5, UN: 0.5 }", "    no_dominant: 0.5"
    ].join("\n"))

  it("shares summing to 5.5 are refused unless the file says normalize: true (then rescaled)", async () => {
    const dir = tempDir("shares")
    for (const normalize of [false, true]) {
      const s = sharesFile(dir, normalize)
      const pop = write(dir, `pop-${normalize}.yaml`, `kind: population\nid: p\nstrategy: h-np\nshares: { file: ${s}, dataset: big }\nprompts: ${prompts}\n`)
      const r = await run(loadPopulation(pop))
      if (!normalize) {
        expect(problemsOf(r)).toEqual(["datasets.big: the shares and no_dominant sum to 5.5, not 1 (add normalize: true to the file if they are relative)"])
        expect(String((r as Either.Left<SpecFileError, unknown>).left.file)).toBe(s)
      } else {
        const weights = Either.getOrThrow(r).weights
        expect(weights).toHaveLength(11)
        for (const w of weights) expect(w).toBeCloseTo(1 / 11, 12)
      }
    }
  })

  it("custom weights summing to 1.1 are refused unless normalize: true", async () => {
    const dir = tempDir("weights")
    const body = `kind: population\nid: p\nstrategy: custom\ncustom: { value:BE: 0.6, none: 0.5 }\nprompts: ${prompts}\n`
    const bad = await run(loadPopulation(write(dir, "bad.yaml", body)))
    expect(problemsOf(bad)).toEqual(["custom: the weights sum to 1.1, not 1 (add normalize: true to the file if they are relative)"])
    const ok = await run(loadPopulation(write(dir, "ok.yaml", body.replace("strategy: custom", "strategy: custom\nnormalize: true"))))
    expect(Either.getOrThrow(ok).weights).toEqual([0.6, 0.5])
    const rounded = await run(loadPopulation(write(dir, "third.yaml", body.replace("{ value:BE: 0.6, none: 0.5 }", "{ value:BE: 0.333, value:UN: 0.333, none: 0.333 }"))))
    expect(Either.isRight(rounded)).toBe(true)
  })
})

describe("malformed specs: one line per problem", () => {
  it("optional fields, word choices and alternatives give one readable line each", async () => {
    const dir = tempDir("malformed")
    const f = write(dir, "b.yaml", [
      "kind: study", "id: s", "population: p.yaml", "agents: 1.5", "steps:", "  - { questionnaire: q.yaml, extra: 1 }", "  - {}",
      "backend: { kind: bogus, temperature: hot, top_logprobs: 0 }", "colour: blue"
    ].join("\n"))
    const problems = problemsOf(await run(loadRunSpec(f, {}, {})))
    expect(problems).toEqual([
      "colour: unknown key",
      "agents: expected an integer, got 1.5",
      'steps[0]: expected a mapping with key questionnaire, a mapping with key game or a mapping with key society, got {"questionnaire":"q.yaml","extra":1}',
      "steps[1]: expected a mapping with key questionnaire, a mapping with key game or a mapping with key society, got {}",
      'backend.kind: expected "synthetic", "openai" or "local", got "bogus"',
      'backend.temperature: expected a number or "omit", got "hot"',
      "backend.top_logprobs: expected a number between 1 and 20, got 0"
    ])
    for (const p of problems) expect(p).not.toMatch(/Expected|undefined|readonly/)
  })
})

describe("printing names and commands", () => {
  it("escapes control characters and quotes the resume command so a shell reads back the folder", () => {
    expect(escapeControl("run\u001b[31m\nx\u0085")).toBe("run\\x1b[31m\\x0ax\\u0085")
    expect(resumeCommand("runs/a-1")).toBe("valuesim resume runs/a-1")
    for (const dir of ["runs/with space", "runs/it's", "runs/$(touch pwned)", "runs/esc\u001b]0;x\u0007", "runs/new\nline"]) {
      const word = shellWord(dir)
      expect(word).not.toMatch(/[\u0000-\u001f]/)
      expect(execFileSync("bash", ["-c", `printf %s ${word}`], { encoding: "utf8" })).toBe(dir)
    }
  })

  it("warns when a file's base URL would send the key to another host than the environment names", () => {
    const env = { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: "https://llm.internal.example/v1" }
    expect(endpointWarning("https://evil.example/v1", "study.yaml (backend.base_url)", env)).toBe(
      "[valuesim] warning: study.yaml (backend.base_url) sends requests and OPENAI_API_KEY to evil.example, not to llm.internal.example (OPENAI_BASE_URL); --base-url overrides"
    )
    expect(endpointWarning("https://llm.internal.example/v2", "x", env)).toBeNull()
    expect(endpointWarning("http://127.0.0.1:9/v1", "x", { OPENAI_API_KEY: "k" })).toContain("not to api.openai.com")
    // No key in the environment: nothing of the user's goes anywhere.
    expect(endpointWarning("https://evil.example/v1", "x", { OPENAI_BASE_URL: "https://a.example" })).toBeNull()
  })
})
