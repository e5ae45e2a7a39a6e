import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import type { StrategyComparison } from "../../src/app/compareStrategies.js"
import { modelSpecificWeights } from "../../src/sampling/population.js"

let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

const STRATEGIES = ["uniform", "h-norm", "h-even", "h-np", "model-specific"]
const parse = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as StrategyComparison

describe("valuesim compare-strategies", () => {
  it("scores the five strategies against every shipped 10-value structure from one synthetic pool run", async () => {
    const runs = tempDir("strategies")
    const args = ["compare-strategies", "--agents-per-condition", "40", "--bootstrap-iterations", "20", "--seed", "4", "--runs-dir", runs, "--json"]
    const r = await runCli(args)
    expect(r.code, r.stderr).toBe(0)
    const c = parse(r.stdout)
    expect(c.run.synthetic).toBe(true)
    expect(Object.values(c.run.pools)).toEqual(new Array(11).fill(40))
    expect(c.strategies.map((s) => s.strategy)).toEqual(STRATEGIES)
    const ids = c.baselines.map((b) => b.id)
    expect(ids).toEqual(expect.arrayContaining(["pvq40-us151.correlations-centered", "ess-sweden-1441.correlations-centered", "valueportrait-prolific-569.correlations-centered"]))
    for (const s of c.strategies) {
      expect(s.cells).toHaveLength(ids.length)
      for (const cell of s.cells) {
        const total = cell.weights.reduce((a, w) => a + w.weight, 0)
        expect(total).toBeCloseTo(1, 12)
        expect(cell.bootstrap.iterations).toBe(20)
        expect(cell.bootstrap.mean!).toBeGreaterThan(0.5)
        expect(cell.bootstrap.ci.lower!).toBeLessThanOrEqual(cell.bootstrap.mean!)
        expect(cell.bootstrap.pAdjusted!).toBeLessThan(0.01)
        // a chance level and a human ceiling beside every cell (issue 22 items 2, 4)
        expect(cell.null!.pAdjusted!).toBeLessThan(0.01)
        if (cell.baseline.id.startsWith("svs")) expect(cell.ceiling.sv).toBeNull()
        else expect(cell.ceiling.sv!).toBeGreaterThan(0.8)
      }
    }
    // H-NP gives the ESS Sweden no-dominant share (0.4136) to unprimed agents; Uniform and H-Norm give them none.
    const weight = (strategy: string, condition: string) =>
      c.strategies.find((s) => s.strategy === strategy)!.cells[0]!.weights.find((w) => w.condition === condition)?.weight ?? 0
    expect(weight("h-np", "none")).toBeCloseTo(0.4136, 3)
    expect(weight("uniform", "none")).toBe(0)
    expect(weight("uniform", "value:PO")).toBeCloseTo(0.1, 12)
    // Model-Specific: weights proportional to each value pool's own S_V with that baseline.
    for (const cell of c.strategies.find((s) => s.strategy === "model-specific")!.cells) {
      const expected = modelSpecificWeights(cell.valueSimilarity as Record<string, number>)
      expect(cell.weights.map((w) => w.weight)).toEqual(expected.map((w) => w.weight))
    }

    // Re-analysing the same run gives the same table (the resamples come from the run seed), and text renders.
    const runDir = c.run.runDir
    const [again, text] = await Promise.all([
      runCli(["compare-strategies", "--run", runDir, "--bootstrap-iterations", "20", "--json"]),
      runCli(["compare-strategies", "--run", runDir, "--bootstrap-iterations", "20"])
    ])
    expect(again.code, again.stderr).toBe(0)
    expect(parse(again.stdout).strategies).toEqual(c.strategies)
    expect(text.stdout).toContain("Model-Specific")
    expect(text.stdout).toContain("synthetic: theory model, not an LLM")
  })

  it("runs on an OpenAI-compatible endpoint, and refuses baselines it cannot use", async () => {
    const runs = tempDir("strategies-openai")
    const before = server.requests
    const r = await runCli([
      "compare-strategies",
      "--agents-per-condition", "10",
      "--bootstrap-iterations", "5",
      "--backend", "openai", "--base-url", server.url, "--model", "fake-model",
      "--runs-dir", runs, "--json"
    ])
    expect(r.code, r.stderr).toBe(0)
    const c = parse(r.stdout)
    expect(c.run.synthetic).toBe(false)
    expect(c.run.backend).toBe("openai")
    expect(c.strategies).toHaveLength(5)
    // Logprob scoring: one request per condition × item, shared by the agents of that condition.
    expect(server.requests - before).toBeLessThanOrEqual(11 * 40)

    const bad = await runCli(["compare-strategies", "--run", c.run.runDir, "--baseline", "human-baselines/schwartz-cieciuch-2022.hierarchy19.yaml"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("no centered 10-value correlation baseline")
  })
})
