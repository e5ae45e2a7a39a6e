import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "vitest"
import { resolveBackend } from "../../src/config/StudyFile.js"
import { AUTO_REASONING_TOKENS, probeEndpoint, probeTable } from "../../src/probe/probe.js"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { MODEL, readBody, sendJson, startFakeServer } from "../helpers/fakeOpenAiServer.js"
import { withRunDb } from "../helpers/store.js"
import { getManifest } from "../../src/store/RunStore.js"

const choices = [1, 2, 3, 4].map((v) => ({ token: String(v), label: `option ${v}`, value: v }))
const messages = [{ role: "user" as const, content: "How much is this like you?\n1. a\n2. b\n3. c\n4. d" }]

/**
 * A reasoning model's endpoint, as OpenAI documents its o-series and gpt-5 chat completions (a stated
 * assumption of this test): `temperature` and `max_tokens` refused with a 400 naming them, no logprobs, reasoning
 * tokens reported in `usage.completion_tokens_details`. Asked for stated probabilities, it states them.
 */
const reasoningServer = () =>
  new Promise<{ url: string; bodies: Array<Record<string, unknown>>; close: () => Promise<void> }>((resolve) => {
    const bodies: Array<Record<string, unknown>> = []
    const server = createServer((req, res) => {
      // The model list (the response cache asks which model serves): this one model.
      if (req.method === "GET") return sendJson(res, 200, { object: "list", data: [{ id: "reasoner", object: "model", created: 0, owned_by: "test" }] })
      void readBody(req).then((text) => {
        const body = JSON.parse(text) as Record<string, unknown>
        bodies.push(body)
        const refuse = (param: string, message: string) =>
          sendJson(res, 400, { error: { message, type: "invalid_request_error", param, code: "unsupported_parameter" } })
        if ("temperature" in body) return refuse("temperature", "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported.")
        if ("max_tokens" in body) return refuse("max_tokens", "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.")
        if (body["logprobs"] === true) return refuse("logprobs", "This model does not support the logprobs parameter.")
        const stated = JSON.stringify(body["messages"]).includes("Do not pick a single option")
        sendJson(res, 200, {
          id: "x", object: "chat.completion", created: 0, model: "reasoner",
          choices: [{ index: 0, message: { role: "assistant", content: stated ? '{"1": 0.1, "2": 0.2, "3": 0.3, "4": 0.4}' : "3" }, logprobs: null, finish_reason: "stop" }],
          usage: { prompt_tokens: 20, completion_tokens: 80, total_tokens: 100, completion_tokens_details: { reasoning_tokens: 64 } }
        })
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({ url: `http://127.0.0.1:${port}/v1`, bodies, close: () => new Promise<void>((done) => server.close(() => done())) })
    })
  })

describe("the capability probe", () => {
  it("finds refused temperature and max_tokens, no logprobs and thinking, and chooses stated", async () => {
    const server = await reasoningServer()
    try {
      const backend = resolveBackend({ kind: "openai" }, { backend: "openai", baseUrl: server.url, model: "reasoner" }, {})
      const { result, preloaded } = await Effect.runPromise(probeEndpoint({ backend, apiKey: "k", messages, choices }))
      expect(result).toMatchObject({
        logprobs: false, optionMass: null, temperatureAccepted: false, maxTokensAccepted: false, thinks: true, stated: true, method: "stated"
      })
      expect(result.thinkingEvidence).toContain("64 reasoning tokens")
      expect(result.reason).toContain("the server refuses logprobs")
      // Refused, then sent without temperature, with max_completion_tokens, without logprobs; then the stated question.
      expect(result.requests).toBe(5)
      // room for hidden reasoning on top of the stated reply (AUTO_REASONING_TOKENS)
      expect(server.bodies[4]).toMatchObject({ max_completion_tokens: 200 + AUTO_REASONING_TOKENS })
      expect(server.bodies[4]).not.toHaveProperty("temperature")
      // The run's own requests send temperature and max_tokens, so a reply to a changed request is not kept as one.
      expect(preloaded).toEqual([])
      expect(probeTable(result).at(-1)).toMatch(/^method: stated — /)
    } finally {
      await server.close()
    }
  })

  it("a run on a reasoning model (auto, the default) takes what the probe found: no temperature, max_completion_tokens, stated; a re-run sends nothing", async () => {
    const server = await reasoningServer()
    const cache = tempDir("auto-reasoning-cache")
    try {
      const r = await runCli([
        "run", "tests/fixtures/mini-values.yaml", "--agents", "30", "--backend", "openai", "--base-url", server.url, "--model", "reasoner",
        "--runs-dir", tempDir("auto-reasoning"), "--no-tui", "--json"
      ], { VALUESIM_CACHE_DIR: cache })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout + r.stderr).toContain("sending none (as --no-temperature)")
      const summary = lastJson(r.stdout)
      expect(summary).toMatchObject({ status: "complete", failed: 0, missing: 0 })
      expect(Object.keys(summary["methods"] as object)).toEqual(["stated"])
      // Every request after the probe's own refusals goes out as the model accepts it.
      const after = server.bodies.slice(4)
      expect(after.length).toBeGreaterThan(0)
      for (const b of after) {
        expect(b).not.toHaveProperty("temperature")
        expect(b).not.toHaveProperty("max_tokens")
        expect(b["max_completion_tokens"]).toBeGreaterThanOrEqual(AUTO_REASONING_TOKENS)
      }
      expect(summary["scoring"]).toEqual({ asked: "auto", chosen: "stated" })
      // The same run again: the probe's findings and every answer come from the response cache.
      const sent = server.bodies.length
      const again = await runCli(
        ["run", "tests/fixtures/mini-values.yaml", "--agents", "30", "--backend", "openai", "--base-url", server.url, "--model", "reasoner", "--runs-dir", tempDir("auto-reasoning"), "--no-tui", "--json"],
        { VALUESIM_CACHE_DIR: cache }
      )
      expect(again.code, again.stderr).toBe(0)
      expect(server.bodies.length - sent).toBe(0)
      expect(lastJson(again.stdout)).toMatchObject({ status: "complete", missing: 0, methods: { stated: 300 } })
    } finally {
      await server.close()
    }
  })

  it("auto is the default on an endpoint; a re-run from the cache sends nothing, the probe included; another model behind the URL is probed afresh", async () => {
    const A = { root: "/models/a.gguf" }
    const server = await startFakeServer({ serving: A })
    const cache = tempDir("auto-cache")
    const go = async () => {
      const before = server.requests
      const r = await runCli(
        ["run", "tests/fixtures/mini-values.yaml", "--agents", "20", "--backend", "openai", "--base-url", server.url, "--model", MODEL, "--runs-dir", tempDir("auto-runs"), "--no-tui", "--json"],
        { VALUESIM_CACHE_DIR: cache }
      )
      expect(r.code, r.stderr).toBe(0)
      return { sent: server.requests - before, summary: lastJson(r.stdout), output: r.stdout + r.stderr }
    }
    try {
      const first = await go()
      expect(first.sent).toBeGreaterThan(0)
      // The fake model puts 0.95 of the first token's mass on the options: the probe's request is the run's own.
      expect(first.summary).toMatchObject({ status: "complete", scoring: { asked: "auto", chosen: "logprob" }, httpRequests: first.sent })
      const manifest = withRunDb(String(first.summary["runDir"]), (db) => getManifest(db))
      expect(manifest["scoring"]).toEqual({ asked: "auto", chosen: "logprob" })
      expect((manifest["probe"] as Array<Record<string, unknown>>)[0]).toMatchObject({ method: "logprob" })
      expect(first.output).toContain("(auto chose logprob)")

      const again = await go()
      expect(again.sent).toBe(0)
      expect(again.output).toContain("found in the response cache")
      expect(again.summary).toMatchObject({ status: "complete", scoring: { asked: "auto", chosen: "logprob" }, httpRequests: 0 })

      // Another model behind the same URL and name: its /models entry differs, so nothing of the first is used.
      server.setServing({ root: "/models/b.gguf" })
      const other = await go()
      expect(other.sent).toBe(first.sent)
      expect(other.output).not.toContain("found in the response cache")
    } finally {
      await server.close()
    }
  })

  it("plan foresees auto: each method's requests, and with --probe the method chosen, which the run then keeps to; forced logprob below the floor names the hand-over", async () => {
    // Opens with ** / Answer / a space 95 % of the time (first-token option mass ~0.05) and ignores constraints: auto takes stated.
    const server = await startFakeServer({ opener: { openerShare: 0.95, structured: false } })
    const env = { VALUESIM_CACHE_DIR: tempDir("foresee-cache") }
    const args = ["tests/fixtures/mini-values.yaml", "--agents", "20", "--seed", "3", "--backend", "openai", "--base-url", server.url, "--model", MODEL]
    try {
      const unknown = await runCli(["plan", ...args, "--json"], env)
      expect(unknown.code, unknown.stderr).toBe(0)
      const u = lastJson(unknown.stdout)
      const byMethod = u["requestsByMethod"] as Record<string, number>
      expect(Object.keys(byMethod)).toEqual(["logprob", "constrained", "stated", "sample"])
      expect(byMethod["stated"]).toBe(byMethod["logprob"])
      expect(byMethod["sample"]).toBeGreaterThan(byMethod["logprob"]!)
      expect(u).toMatchObject({ scoring: "auto", requests: byMethod["logprob"]! + 1 })
      expect(u["scoringChosen"]).toBeUndefined()
      expect(server.requests).toBe(0)

      const probed = await runCli(["plan", ...args, "--probe", "--json"], env)
      expect(probed.code, probed.stderr).toBe(0)
      const p = lastJson(probed.stdout)
      expect(p).toMatchObject({ scoring: "auto", scoringChosen: "stated", probe: { method: "stated" } })
      expect(server.requests).toBeGreaterThan(0)
      const text = await runCli(["plan", ...args], env)
      expect(text.stdout).toMatch(/by method +logprob \d+ · constrained \d+ · stated \d+ · sample \d+/)
      expect(text.stdout).toContain("auto          will use stated")

      // Forced logprob: the cached probe saw the options carry far less than the floor on the first token.
      const forced = await runCli(["plan", ...args, "--scoring", "logprob", "--no-cache", "--json"], env)
      expect(lastJson(forced.stdout)["handOver"]).toBeUndefined()
      const withCache = await runCli(["plan", ...args, "--scoring", "logprob", "--json"], env)
      const f = lastJson(withCache.stdout)
      const handOver = f["handOver"] as Record<string, number>
      expect(handOver["optionMass"]).toBeLessThan(0.5)
      expect(f["requests"]).toBe(handOver["logprob"]! + handOver["stated"]!)
      expect(handOver["stated"]).toBeGreaterThan(0.8 * handOver["logprob"]!)
      const said = await runCli(["plan", ...args, "--scoring", "logprob"], env)
      expect(said.stdout).toContain("roughly doubles the requests")
      // --max-cost counts the same: a budget above the logprob requests alone but below the hand-over's is refused.
      const prices = path.join(tempDir("foresee-prices"), "prices.yaml")
      fs.writeFileSync(prices, "kind: prices\nmodels:\n  fake-model: { input_per_million: 1000, output_per_million: 0 }\n")
      const priced = { ...env, VALUESIM_PRICES: prices }
      const alone = Number(lastJson((await runCli(["plan", ...args, "--scoring", "logprob", "--no-cache", "--json"], priced)).stdout)["costUsd"])
      const both = Number(lastJson((await runCli(["plan", ...args, "--scoring", "logprob", "--json"], priced)).stdout)["costUsd"])
      expect(both).toBeGreaterThan(1.5 * alone)
      const sentBefore = server.requests
      const refused = await runCli(["run", ...args, "--scoring", "logprob", "--max-cost", String((alone + both) / 2), "--runs-dir", tempDir("foresee-refused"), "--no-tui"], priced)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain("--max-cost: the run is estimated at")
      expect(server.requests).toBe(sentBefore)

      const before = server.requests
      const r = await runCli(["run", ...args, "--runs-dir", tempDir("foresee-runs"), "--no-tui", "--json"], env)
      expect(r.code, r.stderr).toBe(0)
      expect(lastJson(r.stdout)).toMatchObject({ status: "complete", scoring: { asked: "auto", chosen: "stated" } })
      const sent = server.requests - before
      expect(sent).toBeGreaterThan(0)
      expect(sent).toBeLessThanOrEqual(1.1 * Number(p["requests"]))

    } finally {
      await server.close()
    }
  })
})
