import { NodeContext } from "@effect/platform-node"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { ignoredPriceWarnings, loadPriceSetting, pricesFor } from "../../src/config/PricesFile.js"
import type { BackendSettings } from "../../src/config/RunSpec.js"
import { runCli, tempDir } from "../helpers/cli.js"

const load = (value: string | undefined) =>
  Effect.runPromise(loadPriceSetting(value === undefined ? {} : { VALUESIM_PRICES: value }).pipe(Effect.either, Effect.provide(NodeContext.layer)))

const backend = (kind: "synthetic" | "openai", model: string, baseUrl: string | null): BackendSettings => ({
  kind, model, baseUrl, temperature: 0, seed: null, maxTokens: 1, scoring: "logprob", topLogprobs: 20, concurrency: 1, rpm: null,
  timeoutMs: 1000, maxAttempts: 1, reasks: 0
})
const remote = "https://api.example.com/v1"

describe("prices for the cost estimate (VALUESIM_PRICES)", () => {
  it("reads one pair for any model; nothing set means unknown, except synthetic and local servers (free)", async () => {
    const pair = Either.getOrThrow(await load(" 2.5 , 10 "))
    expect(pricesFor(backend("openai", "any", remote), pair)).toEqual({ inputPerMillion: 2.5, outputPerMillion: 10 })
    const none = Either.getOrThrow(await load(undefined))
    expect(pricesFor(backend("openai", "any", remote), none)).toBeNull()
    expect(pricesFor(backend("synthetic", "synthetic-theory-v1", null), pair)).toEqual({ inputPerMillion: 0, outputPerMillion: 0 })
    expect(pricesFor(backend("openai", "llama", "http://127.0.0.1:8080/v1"), pair)).toEqual({ inputPerMillion: 0, outputPerMillion: 0 })
  })

  it("reads a table by model: a listed model gets its price (even on a local server), others are unknown", async () => {
    const f = path.join(tempDir("prices"), "prices.yaml")
    fs.writeFileSync(f, "kind: prices\nmodels:\n  gpt-x: { input_per_million: 0.15, output_per_million: 0.6, note: list price }\n  local-paid: { input_per_million: 1, output_per_million: 1 }\n")
    const table = Either.getOrThrow(await load(f))
    expect(pricesFor(backend("openai", "gpt-x", remote), table)).toEqual({ inputPerMillion: 0.15, outputPerMillion: 0.6 })
    expect(pricesFor(backend("openai", "other", remote), table)).toBeNull()
    expect(pricesFor(backend("openai", "local-paid", "http://localhost:8000/v1"), table)).toEqual({ inputPerMillion: 1, outputPerMillion: 1 })
  })

  it("rejects a pair that is not two non-negative numbers and a table with a bad field, naming them", async () => {
    const bad = await load("1,x")
    expect(Either.isLeft(bad) && bad.left.problems.join(" ")).toMatch(/two non-negative numbers/)
    const f = path.join(tempDir("prices-bad"), "p.yaml")
    fs.writeFileSync(f, "kind: prices\nmodels:\n  m: { input_per_million: 1 }\n")
    const missing = await load(f)
    expect(Either.isLeft(missing) && missing.left.file).toBe(f)
    expect(Either.isLeft(missing) && missing.left.problems.join(" ")).toMatch(/models\.m\.output_per_million/)
  })
})

describe("VALUESIM_PRICES said plainly (issue 21 item 20)", () => {
  it("a value that is neither a pair nor a file names the variable", async () => {
    const bad = await load("abc")
    expect(Either.isLeft(bad) && bad.left.file).toBe("VALUESIM_PRICES")
    expect(Either.isLeft(bad) && bad.left.problems.join(" ")).toMatch(/"abc": neither a pair .* nor an existing price table file/)
  })

  it("a pair not applied to a server on this machine is warned about, by plan and run; a remote one is not", async () => {
    const pair = Either.getOrThrow(await load("1,2"))
    expect(ignoredPriceWarnings([backend("openai", "llama", "http://127.0.0.1:8080/v1")], pair)[0]).toMatch(
      /^\[valuesim\] warning: VALUESIM_PRICES \(1,2\) is not applied to llama at http:\/\/127\.0\.0\.1:8080\/v1: a server on this machine counts as free/
    )
    expect(ignoredPriceWarnings([backend("openai", "gpt", remote), backend("synthetic", "s", null)], pair)).toEqual([])
    expect(ignoredPriceWarnings([backend("openai", "llama", "http://localhost:8080/v1")], Either.getOrThrow(await load(undefined)))).toEqual([])
    const args = ["tests/fixtures/mini-values.yaml", "--agents", "2", "--backend", "openai", "--model", "llama", "--base-url", "http://127.0.0.1:9/v1"]
    const plan = await runCli(["plan", ...args], { VALUESIM_PRICES: "1,2" })
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stderr).toMatch(/warning: VALUESIM_PRICES \(1,2\) is not applied to llama/)
    const run = await runCli(["run", ...args, "--max-cost", "1", "--runs-dir", tempDir("prices-run"), "--no-tui"], { VALUESIM_PRICES: "1,2" })
    expect(run.stderr).toMatch(/warning: VALUESIM_PRICES \(1,2\) is not applied to llama/)
  })
})
