import Sqlite from "better-sqlite3"
import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { runCli, tempDir } from "../helpers/cli.js"

/** Every bad input: exit 2, one message on stderr naming the file and the field, no stack trace, nothing written. */
const expectRejected = async (args: ReadonlyArray<string>, mentions: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const runs = path.join(tempDir("bad"), "runs")
  const r = await runCli([...args, "--runs-dir", runs], env)
  expect(r.code, r.stderr + r.stdout).toBe(2)
  for (const m of mentions) expect(r.stderr).toContain(m)
  expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/)
  expect(fs.existsSync(runs)).toBe(false)
  return r
}

const write = (dir: string, name: string, text: string) => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, text)
  return p
}

describe("bad input", () => {
  it("rejects malformed YAML, naming the file and line", async () => {
    const dir = tempDir("yaml")
    const f = write(dir, "broken.yaml", "kind: questionnaire\nid: [unclosed\nitems: - x\n")
    await expectRejected(["run", f], [f, "not valid YAML", "line"])
  })

  it("rejects an unknown value code, naming the file and field", async () => {
    const dir = tempDir("code")
    const q = fs.readFileSync("scenarios/vsq40.yaml", "utf8").replace("{ id: SD1, subscale: SD,", "{ id: SD1, subscale: XY,")
    const f = write(dir, "q.yaml", q)
    const r = await expectRejected(["run", f], [f, "subscale", 'unknown value code "XY"'])
    expect(r.stderr).toMatch(/items\[\d+\]\.subscale/)
  })

  it("rejects an unknown key and an unknown condition in a population file", async () => {
    const dir = tempDir("pop")
    const f = write(
      dir,
      "pop.yaml",
      [
        "kind: population",
        "id: p",
        "strategy: custom",
        "custom: { value:XX: 1 }",
        `prompts: ${path.resolve("populations/prompts/value-prompting.yaml")}`
      ].join("\n")
    )
    const g = write(dir, "pop2.yaml", fs.readFileSync("populations/h-np.yaml", "utf8").replace("strategy:", "stratgy:"))
    // Independent processes (each its own runs folder) at once.
    await Promise.all([
      expectRejected(["run", "scenarios/vsq40.yaml", "--population", f], [f, "custom.value:XX", "unknown condition"]),
      expectRejected(["run", "scenarios/vsq40.yaml", "--population", g], [g, "stratgy"])
    ])
  })

  it("rejects a bad price setting (VALUESIM_PRICES): a malformed table names the file and field", async () => {
    const dir = tempDir("prices")
    const f = write(dir, "prices.yaml", "kind: prices\nmodels:\n  gpt-x: { input_per_million: -1, output_per_million: 2 }\n")
    await Promise.all([
      expectRejected(["run", "scenarios/default-study.yaml", "--agents", "10"], [f, "models.gpt-x.input_per_million"], { VALUESIM_PRICES: f }),
      expectRejected(["run", "scenarios/default-study.yaml", "--agents", "10"], ["VALUESIM_PRICES", "two non-negative numbers"], { VALUESIM_PRICES: "1,-2" }),
      expectRejected(["run", "scenarios/default-study.yaml", "--agents", "10"], ["VALUESIM_PRICES", "no-prices.yaml", "nor an existing price table file"], { VALUESIM_PRICES: "no-prices.yaml" })
    ])
  })

  it("rejects a missing file", async () => {
    await Promise.all([
      expectRejected(["run", "scenarios/no-such-study.yaml"], ["scenarios/no-such-study.yaml", "cannot read"]),
      expectRejected(["run", "scenarios/default-study.yaml", "--population", "nope.yaml"], ["nope.yaml", "cannot read"])
    ])
  })

  it("rejects bad arguments with exit 2", async () => {
    const [, , e] = await Promise.all([
      expectRejected(["run", "scenarios/default-study.yaml", "--agents", "0"], ["--agents"]),
      expectRejected(["run", "scenarios/default-study.yaml", "--backend", "nonsense"], []),
      runCli(["export", "scenarios", "--format", "csv"])
    ])
    expect(e.code).toBe(2)
    expect(e.stderr).toContain("scenarios: run-dir: no run.sqlite here")
  })

  it("refuses a run store of an older schema version with one message (exit 2), and leaves it untouched", async () => {
    const dir = tempDir("old-store")
    const file = path.join(dir, "run.sqlite")
    const db = new Sqlite(file)
    db.exec(`CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
    db.pragma("user_version = 2")
    db.close()
    const before = fs.readFileSync(file)
    // The three commands at once: none may write, and the store is compared after all of them.
    for (const r of await Promise.all([["resume", dir], ["export", dir], ["report", dir]].map((args) => runCli(args)))) {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain(`${file}: run store version 2: this valuesim reads version 3 stores only`)
      expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/)
    }
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it("validate lists every problem and exits 2, or 0 when all files are fine", async () => {
    const dir = tempDir("val")
    const a = write(dir, "a.yaml", "kind: questionnaire\nid: a\ntitle: t\nsource: s\nscale: [{value: 1, label: x}]\nitems: []\n")
    const b = write(dir, "b.yaml", "kind: population\nid: b\n")
    const [ok, r] = await Promise.all([
      runCli(["validate", "scenarios/vsq40.yaml", "scenarios/default-study.yaml", "populations/h-np.yaml", "populations/uniform.yaml", "human-baselines/dominant-value-shares.yaml", "populations/prompts/value-prompting.yaml"]),
      runCli(["validate", a, b])
    ])
    expect(ok.code, ok.stderr).toBe(0)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${a}: scale`)
    expect(r.stderr).toContain(`${a}: items`)
    expect(r.stderr).toContain(`${b}: strategy`)
    expect(r.stderr).toContain(`${b}: prompts`)
  })
})
