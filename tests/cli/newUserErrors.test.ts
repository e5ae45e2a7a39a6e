import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BIN, lastJson, ROOT, runCli, tempDir, type CliResult } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/** What a newcomer's mistakes get (issue 21 item 22): an empty file, a run id for a run folder, resuming a complete run. */
let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

/** valuesim with `cwd` as the working folder. */
const inFolder = (cwd: string, args: ReadonlyArray<string>) =>
  new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, VALUESIM_CACHE_DIR: path.join(cwd, "cache") }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

describe("a newcomer's mistakes", () => {
  it("an empty or comment-only file says it is empty (exit 2), not that its kind is null", async () => {
    const dir = tempDir("empty")
    for (const [name, text] of [["empty.yaml", ""], ["comments.yaml", "# nothing yet\n"], ["empty.json", "  \n"]] as const) {
      const file = path.join(dir, name)
      fs.writeFileSync(file, text)
      for (const args of [["validate", file], ["run", file, "--no-tui", "--runs-dir", dir]]) {
        const r = await runCli(args)
        expect(r.code, args.join(" ")).toBe(2)
        expect(r.stderr, args.join(" ")).toMatch(new RegExp(`${name.replace(".", "\\.")}: the file is empty`))
        expect(r.stderr).not.toMatch(/got null|unknown kind/)
      }
    }
  })

  it("report, export and resume take a run id for runs/<run-id>; resuming a complete run says so and sends nothing", async () => {
    const dir = tempDir("run-id")
    fs.cpSync(path.join(ROOT, "tests", "fixtures", "mini-values.yaml"), path.join(dir, "mini-values.yaml"))
    const r = await inFolder(dir, ["run", "mini-values.yaml", "--agents", "4", "--backend", "openai", "--base-url", server.url, "--model", "m", "--no-tui", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const runId = String(lastJson(r.stdout)["runId"])
    expect(fs.existsSync(path.join(dir, "runs", runId, "run.sqlite"))).toBe(true)
    const report = await inFolder(dir, ["report", runId, "--permutations", "0", "--bootstrap-iterations", "2"])
    expect(report.code, report.stderr).toBe(0)
    expect(report.stdout).toContain(runId)
    // Fits 80 columns in a pipe, and names files relative to the working folder, not by the clone's path (item 21).
    expect(report.stdout.split("\n").filter((l) => l.length > 80)).toEqual([])
    // (the relative path from a temporary folder passes through ROOT's folders, but never starts with it)
    expect(report.stdout).not.toMatch(new RegExp(`(^|[\\s(])${ROOT.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`))
    expect(report.stdout.replace(/\s+/g, " ")).toContain(`${path.relative(dir, path.join(ROOT, "human-baselines"))}/`)
    const exported = await inFolder(dir, ["export", runId])
    expect(exported.code, exported.stderr).toBe(0)
    expect(fs.existsSync(path.join(dir, "runs", runId, "export", "answers.csv"))).toBe(true)
    const sent = server.requests
    const resumed = await inFolder(dir, ["resume", runId, "--no-tui", "--json"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/run .* is already complete: all 4 agent-steps are done \(40 answers\); nothing to resume, nothing sent/)
    expect(resumed.stderr).not.toMatch(/sending requests/)
    expect(lastJson(resumed.stdout)["status"]).toBe("complete")
    expect(server.requests).toBe(sent)
  })
})
