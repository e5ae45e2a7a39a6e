import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * A model that answers the same to everything (issue 21 item 15): every respondent has the same centered score on
 * every value, so there is no S_V. The closing line, the text report and the HTML report say so where S_V would be.
 */
let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer({ periodicFault: { every: 1, fault: { kind: "text", text: "4" } } })
})
afterAll(async () => {
  await server.close()
})

describe("a model that answers the same to everything", () => {
  it("is told as 'no variance in the answers' in the closing line and both reports", async () => {
    const dir = tempDir("same-answers")
    const r = await runCli([
      "run", "tests/fixtures/mini-values.yaml", "--agents", "40", "--seed", "1", "--scoring", "sample", "--backend", "openai",
      "--base-url", server.url, "--model", "m", "--runs-dir", dir, "--no-tui"
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^result: no variance in the answers: every respondent has the same score on every value .*\(40 respondents\)$/m)
    expect(r.stdout).not.toMatch(/S_V needs a human structure/)
    const runDir = path.join(dir, fs.readdirSync(dir)[0]!)
    const text = await runCli(["report", runDir, "--permutations", "0", "--bootstrap-iterations", "2"])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/S_V –: no variance in the answers/)
    const out = path.join(dir, "report.html")
    expect((await runCli(["report", runDir, "--format", "html", "--out", out, "--permutations", "0", "--bootstrap-iterations", "2"])).code).toBe(0)
    expect(fs.readFileSync(out, "utf8")).toContain("<strong>No S_V</strong>: no variance in the answers")
  })
})
