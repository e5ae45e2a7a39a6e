import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { commandLine } from "../../src/domain/printable.js"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * Every command valuesim prints round-trips through a shell (issue 21, item 5): the `--max-cost` stop once printed
 * `resume <dir>` unquoted, so a folder named `mc;touch X;x` ran `touch X` when the line was pasted.
 */
const NASTY = "mc;touch X;x"

/** The words a POSIX shell reads from `printed` after the command prefix, run where a stray `touch X` would show. */
const shellWords = (printed: string, prefix: string) => {
  expect(printed.startsWith(`${prefix} `), printed).toBe(true)
  const sandbox = tempDir("shell")
  const r = spawnSync("sh", ["-c", `printf '%s\\0' ${printed.slice(prefix.length + 1)}`], { cwd: sandbox, encoding: "utf8" })
  expect(r.status, r.stderr).toBe(0)
  expect(fs.readdirSync(sandbox)).toEqual([])
  return r.stdout.split("\0").slice(0, -1)
}

let picky: FakeServer
beforeAll(async () => {
  // Every second reply is unreadable: re-asks the estimate does not count, so spending passes --max-cost.
  picky = await startFakeServer({ periodicFault: { every: 2, fault: { kind: "text", text: "I would rather not say." } } })
})
afterAll(async () => {
  await picky.close()
})

describe("printed commands", () => {
  it("commandLine quotes what a shell would split or run", () => {
    const printed = commandLine("valuesim", "resume", `/tmp/${NASTY}/it's $HOME`, "--max-cost", "2")
    expect(shellWords(printed, "valuesim")).toEqual(["resume", `/tmp/${NASTY}/it's $HOME`, "--max-cost", "2"])
  })

  it("the --max-cost stop's resume command, and a finished run's report command, paste back to the same folder", async () => {
    const runs = path.join(tempDir("printed"), NASTY)
    const prices = path.join(tempDir("printed-prices"), "prices.yaml")
    fs.writeFileSync(prices, "kind: prices\nmodels:\n  fake-model: { input_per_million: 100, output_per_million: 0 }\n")
    const args = ["scenarios/vsq40.yaml", "--agents", "5", "--seed", "3", "--scoring", "sample", "--backend", "openai", "--base-url", picky.url, "--model", "fake-model"]
    const plan = lastJson((await runCli(["plan", ...args, "--json"], { VALUESIM_PRICES: prices })).stdout)
    const r = await runCli(["run", ...args, "--runs-dir", runs, "--no-tui", "--max-cost", String(Number(plan["costUsd"]) * 1.05)], { VALUESIM_PRICES: prices })
    expect(r.code, r.stderr).toBe(130)
    const runDir = path.join(runs, fs.readdirSync(runs)[0]!)
    const hint = /Continue with: (.*) <USD>$/m.exec(r.stderr)
    expect(hint, r.stderr).not.toBeNull()
    const prefix = hint![1]!.slice(0, hint![1]!.indexOf(" resume "))
    expect(shellWords(hint![1]!, prefix)).toEqual(["resume", runDir, "--max-cost"])

    const synthetic = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "5", "--runs-dir", runs, "--no-tui"])
    expect(synthetic.code, synthetic.stderr).toBe(0)
    const next = /^next: (.*?) {3}\(/m.exec(synthetic.stdout)
    expect(next, synthetic.stdout).not.toBeNull()
    const words = shellWords(next![1]!, prefix)
    expect(words[0]).toBe("report")
    expect(path.dirname(words[1]!)).toBe(runs)
    expect(fs.existsSync(path.join(words[1]!, "run.sqlite"))).toBe(true)
  }, 120_000)
})
