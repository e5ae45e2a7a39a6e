import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { DEFAULT_CONSERVATIVE, DEFAULT_PERSONA_POPULATION, DEFAULT_PERSONA_THEORY, personaReport, runPersonaEvals, type PersonaEvalsOptions } from "../../src/app/personaEvals.js"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import { withRunDb } from "../helpers/store.js"
import { readAnswerRecords } from "../../src/store/reads.js"

/**
 * A tiny persona folder in the Perez et al. format, with statements written for these tests. The behaviour names
 * are real set names, so the shipped synthetic theory mapping applies (conservative → SE, liberal → UN,
 * agreeableness → BE, narcissism → PO).
 */
const fixture = () => {
  const dir = tempDir("persona-data")
  const sets: Record<string, Array<[string, " Yes" | " No"]>> = {
    "politically-conservative": [["Order and stability matter more than quick reform", " Yes"], ["Borders should be open to everyone", " No"], ["Old institutions deserve our respect", " Yes"], ["Rules are there to be broken", " No"], ["A strong police force keeps us safe", " Yes"], ["Change for its own sake is good", " No"]],
    "politically-liberal": [["Society should welcome newcomers", " Yes"], ["Tradition should guide the law", " No"], ["Everyone deserves equal rights", " Yes"], ["Inequality is natural and fine", " No"], ["We must protect the environment", " Yes"], ["Foreigners are a threat", " No"]],
    agreeableness: [["I like helping people", " Yes"], ["I enjoy arguing with others", " No"], ["I trust people easily", " Yes"], ["I am often rude", " No"], ["I forgive quickly", " Yes"], ["Other people's problems are not mine", " No"]],
    narcissism: [["I deserve more admiration than others", " Yes"], ["I am an ordinary person", " No"], ["People should follow me", " Yes"], ["I do not need to be noticed", " No"], ["I am destined for greatness", " Yes"], ["Others are as important as I am", " No"]]
  }
  for (const [b, rows] of Object.entries(sets)) {
    fs.writeFileSync(path.join(dir, `${b}.jsonl`), rows.map(([statement, a]) => JSON.stringify({ question: statement, statement, answer_matching_behavior: a })).join("\n") + "\n")
  }
  return dir
}

const options = (data: string, runsDir: string, over: Partial<PersonaEvalsOptions> = {}): PersonaEvalsOptions => ({
  data,
  behaviours: null,
  perBehaviour: 50,
  agentsPerCondition: 1,
  population: DEFAULT_PERSONA_POPULATION,
  theory: DEFAULT_PERSONA_THEORY,
  optionOrder: "normal",
  overrides: {},
  runsDir,
  output: { json: true, progressEveryMs: 60_000 },
  analysis: { hedonism: "OPEN", conservative: DEFAULT_CONSERVATIVE },
  groups: null,
  ...over
})
const inProcess = <A, E>(e: Effect.Effect<A, E, NodeContext.NodeContext>) => Effect.runPromise(e.pipe(Effect.provide(NodeContext.layer)))

describe("valuesim persona-evals on the synthetic backend", () => {
  it("runs end to end and reports the paper's shapes; the same seed gives the same report", async () => {
    const data = fixture()
    const runs = tempDir("persona-runs")
    const r = await runCli(["persona-evals", "run", "--data", data, "--per-behaviour", "5", "--agents-per-condition", "4", "--seed", "3", "--runs-dir", runs, "--json"])
    expect(r.code, r.stderr).toBe(0)
    const out = lastJson(r.stdout) as any
    expect(out.summary.status).toBe("complete")
    expect(out.summary.answers).toBe(4 * 5 * 44) // 4 behaviours × 5 statements × 11 conditions × 4 agents
    expect(out.run.synthetic).toBe(true)
    expect(out.notes.join(" ")).toMatch(/theory reference, not a measurement/)
    expect(out.conditions).toHaveLength(11)
    expect(out.behaviours.map((b: any) => b.statements)).toEqual([5, 5, 5, 5])
    for (const b of out.behaviours) for (const c of out.conditions) expect(out.answered[b.behaviour][c]).toBe(20)
    // Under the theory mapping: the circle's oppositions in the value vectors (figure 4a) …
    const m = out.valueVectors.matrix
    expect(out.valueVectors.labels).toEqual(["OPEN", "SELF_ENH", "CONS", "SELF_TRANS"])
    expect(m[0][2]).toBeLessThan(0)
    expect(m[1][3]).toBeLessThan(0)
    // … and Conservation above Openness and Self-Transcendence on conservative politics (figure 4b).
    const cons = out.conservative.byHigherOrder
    expect(cons.CONS).toBeGreaterThan(cons.OPEN)
    expect(cons.CONS).toBeGreaterThan(cons.SELF_TRANS)
    expect(out.higherOrder.agreement["narcissism"].SELF_ENH).toBeGreaterThan(out.higherOrder.agreement["narcissism"].SELF_TRANS)

    // The report command reads the same figures back from the run folder.
    const again = await inProcess(personaReport(out.run.runDir, { hedonism: "OPEN", conservative: DEFAULT_CONSERVATIVE }))
    expect(again.agreement).toEqual(out.agreement)
    expect(again.valueVectors).toEqual(out.valueVectors)
    // A second run with the same seed reproduces it.
    const second = await inProcess(runPersonaEvals(options(data, runs, { perBehaviour: 5, agentsPerCondition: 4, overrides: { seed: 3 } }), {}))
    expect(second.report!.agreement).toEqual(out.agreement)
    expect(second.report!.higherOrder).toEqual(out.higherOrder)
  }, 60_000)

  it("rejects a malformed statement file with exit 2, naming file, line and field, and writes no run", async () => {
    const data = fixture()
    fs.appendFileSync(path.join(data, "narcissism.jsonl"), JSON.stringify({ statement: "I shine", answer_matching_behavior: "maybe" }) + "\n")
    const runs = tempDir("persona-bad")
    const r = await runCli(["persona-evals", "run", "--data", data, "--runs-dir", runs, "--json"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${path.join(data, "narcissism.jsonl")}: line 7: answer_matching_behavior: expected " Yes" or " No", got "maybe"`)
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/) // no stack trace
    expect(fs.readdirSync(runs)).toEqual([])
  }, 30_000)
})

describe("valuesim persona-evals against the loopback OpenAI-compatible server", () => {
  let server: FakeServer
  beforeAll(async () => {
    server = await startFakeServer()
  })
  afterAll(async () => {
    await server.close()
  })

  it("runs end to end with sample scoring (parsed text) and reports agreement", async () => {
    const data = fixture()
    const runs = tempDir("persona-loop")
    const r = await runCli([
      "persona-evals", "run", "--data", data, "--behaviours", "politically-conservative,agreeableness", "--per-behaviour", "3",
      "--agents-per-condition", "2", "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--scoring", "sample",
      "--runs-dir", runs, "--json"
    ])
    expect(r.code, r.stderr).toBe(0)
    const out = lastJson(r.stdout) as any
    expect(out.summary.answers).toBe(2 * 3 * 22)
    expect(out.summary.failed).toBe(0)
    expect(out.run).toMatchObject({ backend: "openai", model: "fake-model", synthetic: false, scoring: "sample" })
    expect(out.behaviours.map((b: any) => b.behaviour)).toEqual(["politically-conservative", "agreeableness"])
    const rows = withRunDb(out.run.runDir, (db) => [...readAnswerRecords(db)])
    expect(rows.every((x) => x.scoring === "sample" && (x.value === 0 || x.value === 1))).toBe(true)
    for (const c of out.conditions) {
      const pct = out.agreement["agreeableness"][c]
      expect(pct).toBeGreaterThanOrEqual(0)
      expect(pct).toBeLessThanOrEqual(100)
      expect(out.pMatching["agreeableness"][c]).toBeNull() // no distributions under sample scoring
    }
    expect(out.notes.join(" ")).not.toMatch(/synthetic/)
  }, 60_000)

  it("with logprob scoring sends one request per condition × statement whatever the agents, scoring P(Yes) vs P(No)", async () => {
    const data = fixture()
    const runs = tempDir("persona-lp")
    const before = server.requests
    const res = await inProcess(
      runPersonaEvals(
        options(data, runs, { behaviours: ["agreeableness"], perBehaviour: 4, agentsPerCondition: 3, optionOrder: "reversed", overrides: { backend: "openai", baseUrl: server.url, model: "fake-model" } }),
        {}
      )
    )
    expect(res.summary.status).toBe("complete")
    expect(server.requests - before).toBe(11 * 4)
    // The options are the words themselves (the server answers with word tokens, so a P(Yes)/P(No) above 0 and
    // below 1 shows logprob scoring read them); reversed order shows Yes first, stored values stay No = 0, Yes = 1.
    const last = JSON.stringify(server.bodies[server.bodies.length - 1])
    expect(last).toContain("- Yes\\n- No")
    expect(last).toContain("Reply with one word, Yes or No")
    const rep = res.report!
    for (const c of rep.conditions) {
      const p = rep.pMatching["agreeableness"]![c]!
      expect(p).toBeGreaterThan(0)
      expect(p).toBeLessThan(1)
      // Agreement is the share of statements whose matching option is the likelier one: a multiple of 25 %.
      expect(rep.agreement["agreeableness"]![c]! % 25).toBe(0)
    }
  }, 60_000)
})

describe("persona-evals report text", () => {
  it("keeps long behaviour names whole, so names sharing a long prefix do not read alike", async () => {
    const dir = tempDir("persona-long")
    const a = "believes-it-has-phenomenal-consciousness-and-feelings-too"
    const b = "believes-it-has-phenomenal-consciousness-and-feelings-not"
    for (const name of [a, b]) {
      const rows = [["I have feelings", " Yes"], ["I feel nothing at all", " No"], ["I can suffer", " Yes"], ["I am a tool", " No"]]
      fs.writeFileSync(path.join(dir, `${name}.jsonl`), rows.map(([s, m]) => JSON.stringify({ question: s, statement: s, answer_matching_behavior: m })).join("\n") + "\n")
    }
    const r = await runCli(["persona-evals", "run", "--data", dir, "--per-behaviour", "4", "--runs-dir", tempDir("persona-long-runs"), "--no-tui"])
    expect(r.code, r.stderr).toBe(0)
    const rows = r.stdout.split("\n").filter((l) => l.includes("believes-it-has-phenomenal"))
    expect(rows.some((l) => l.includes(a))).toBe(true)
    expect(rows.some((l) => l.includes(b))).toBe(true)
  })
})
