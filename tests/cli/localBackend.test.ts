import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"
import { withRunDb } from "../helpers/store.js"
import { readAnswerRecords } from "../../src/store/reads.js"

/**
 * The local backend on the tiny random-weight GGUF beside the repository (../shared/models). Skipped when the
 * model or node-llama-cpp (not a dependency of the project) is absent; without node-llama-cpp the install hint
 * is tested instead.
 */
const MODEL = path.resolve(ROOT, "..", "shared", "models", "llama-2-tiny-random.gguf")
const installed = fs.existsSync(path.join(ROOT, "node_modules", "node-llama-cpp", "package.json"))
const haveModel = fs.existsSync(MODEL)

// One thread: llama.cpp's worker threads spin while waiting, which a loaded two-core machine punishes.
const local = ["--backend", "local", "--model", MODEL, "--no-tui", "--json"]
const env = { VALUESIM_LOCAL_THREADS: "1" }

describe("the local backend (node-llama-cpp)", () => {
  it.skipIf(!installed || !haveModel)("runs the default study with logprob scoring from the model's token probabilities; a second run is answered from the cache", async () => {
    const cache = tempDir("local-cache")
    const run = async () => {
      const r = await runCli(["run", "scenarios/default-study.yaml", "--agents", "40", "--scoring", "logprob", "--runs-dir", tempDir("local"), ...local], { ...env, VALUESIM_CACHE_DIR: cache })
      expect(r.code, r.stderr).toBe(0)
      return lastJson(r.stdout)
    }
    const s = await run()
    expect(s["status"]).toBe("complete")
    expect(s["backend"]).toBe("local")
    expect(s["answers"]).toBe(40 * 40)
    expect(s["failed"]).toBe(0)
    expect(Number(s["requests"])).toBeGreaterThan(40)
    const answers = withRunDb(String(s["runDir"]), (db) => [...readAnswerRecords(db)])
    expect(new Set(answers.map((a) => a.scoring))).toEqual(new Set(["logprob"]))
    for (const a of answers.slice(0, 200)) {
      const dist = a.dist!.split(",").map(Number)
      expect(dist).toHaveLength(6)
      expect(dist.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5)
      // Random weights: close to uniform, but the model's own numbers, never exactly uniform.
      expect(Math.max(...dist) - Math.min(...dist)).toBeGreaterThan(0)
    }

    const again = await run()
    expect(again["requests"]).toBe(0)
    expect(again["fromCache"]).toBe(s["requests"])
  }, 600_000)

  it.skipIf(!installed || !haveModel)("runs the default study with sample scoring: generated text, parsed or missing after the re-asks", async () => {
    const r = await runCli(["run", "scenarios/default-study.yaml", "--agents", "2", "--scoring", "sample", "--runs-dir", tempDir("local"), ...local], env)
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["status"]).toBe("complete")
    expect(s["answers"]).toBe(2 * 40)
    // Every item is asked at least once; unreadable replies are asked again (reasks: 2).
    expect(Number(s["requests"])).toBeGreaterThanOrEqual(2 * 40)
    expect(Number(s["requests"])).toBeLessThanOrEqual(2 * 40 * 3 + 1)
    const answers = withRunDb(String(s["runDir"]), (db) => [...readAnswerRecords(db)])
    expect(new Set(answers.map((a) => a.scoring))).toEqual(new Set(["sample"]))
    // The random model's replies are text it generated, kept raw.
    expect(answers.every((a) => a.raw !== null && a.raw.length > 0)).toBe(true)
  }, 600_000)

  it("a missing model file is a usage error (exit 2), naming the flag", async () => {
    const r = await runCli(["run", "scenarios/default-study.yaml", "--runs-dir", tempDir("local"), ...local.map((a) => (a === MODEL ? "no-such-model.gguf" : a))])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--model no-such-model\.gguf: no such GGUF file/)
  })

  it.skipIf(installed || !haveModel)("without node-llama-cpp the run stops with the install hint (exit 2), nothing written", async () => {
    const runs = tempDir("local")
    const r = await runCli(["run", "scenarios/default-study.yaml", "--runs-dir", runs, ...local])
    expect(r.code).toBe(2)
    // --no-save: installing it must not add it to the project's package.json and lockfile (issue 21 item 11).
    expect(r.stderr).toMatch(/npm install --no-save node-llama-cpp@\d+\.\d+\.\d+/)
    expect(fs.readdirSync(runs)).toEqual([])
  })
})
