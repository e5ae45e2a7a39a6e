import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"

/**
 * No command writes over a run store, a staging folder or a file it reads (issue 21, item 2): an `--out` onto one
 * is exit 2 with one line, and the file is unchanged, however the path is spelled (symlink, `./`, `..`).
 */
let runs: string
let runDir: string
let store: string
const hash = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex")

beforeAll(async () => {
  runs = tempDir("out-safety")
  const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "20", "--seed", "2", "--no-tui", "--json", "--runs-dir", runs])
  expect(r.code, r.stderr).toBe(0)
  runDir = String(lastJson(r.stdout)["runDir"])
  store = path.join(runDir, "run.sqlite")
}, 60_000)

const refused = async (args: ReadonlyArray<string>, mention: string) => {
  const before = hash(store)
  const r = await runCli(args)
  expect(r.code, r.stderr + r.stdout).toBe(2)
  expect(r.stderr.trim().split("\n").length, r.stderr).toBe(1)
  expect(r.stderr).toContain(mention)
  expect(r.stderr).toContain("nothing was written")
  expect(hash(store)).toBe(before)
  return r
}

describe("--out never lands on what a command reads", () => {
  it("report --out onto the run store, spelled any way, is exit 2 and the store is unchanged", async () => {
    const files = fs.readdirSync(runDir)
    await refused(["report", runDir, "--out", store], "which this command reads")
    await refused(["report", runDir, "--format", "json", "--out", path.join(runDir, ".", "..", path.basename(runDir), "run.sqlite")], "which this command reads")
    const link = path.join(tempDir("out-link"), "looks-harmless.txt")
    fs.symlinkSync(store, link)
    await refused(["report", runDir, "--out", link], "which this command reads")
    // A copy of a run store elsewhere is an SQLite database: not written over either.
    const copy = path.join(tempDir("out-copy"), "backup.db")
    fs.copyFileSync(store, copy)
    await refused(["report", runDir, "--out", copy], "holds an SQLite database")
    expect(hash(copy)).toBe(hash(store))
    // Its companions and the lock.
    await refused(["report", runDir, "--out", path.join(runDir, "run.lock")], "is part of the run store")
    expect(fs.readdirSync(runDir)).toEqual(files)
  }, 60_000)

  it("report --out onto a baseline file it reads is exit 2; export into a staging folder or over the store is exit 2", async () => {
    const dir = tempDir("out-baseline")
    const baseline = path.join(dir, "mine.yaml")
    fs.copyFileSync("human-baselines/" + fs.readdirSync("human-baselines").find((f) => f.endsWith(".yaml") && f !== "unavailable.yaml")!, baseline)
    const text = fs.readFileSync(baseline, "utf8")
    await refused(["report", runDir, "--baseline", dir, "--out", baseline], "which this command reads")
    expect(fs.readFileSync(baseline, "utf8")).toBe(text)

    const staging = path.join(runs, ".staging-20260101-000000-x-s1-999999")
    fs.mkdirSync(staging)
    await refused(["export", runDir, "--out", path.join(staging, "export")], "the staging folder of a run being created")
    expect(fs.readdirSync(staging)).toEqual([])
    // An export whose answers file would be the store (through a symlink in the target folder).
    const out = tempDir("out-export")
    fs.symlinkSync(store, path.join(out, "answers.csv"))
    await refused(["export", runDir, "--out", out], "which this command reads")
    // Where it is safe, the same commands work.
    const ok = await runCli(["export", runDir, "--out", tempDir("out-ok")])
    expect(ok.code, ok.stderr).toBe(0)
  }, 60_000)

  it("baseline derive never writes over its mapping or data file", async () => {
    const dir = tempDir("out-derive")
    const data = path.join(dir, "data.csv")
    fs.writeFileSync(data, ["id,sd1,sd2,po1,po2,be1,be2", "p1,1,2,5,6,2,1", "p2,3,3,2,1,4,5", "p3,2,4,4,4,1,1", "p4,4,5,3,2,3,2", "p5,6,5,1,2,5,6"].join("\n"))
    // The mapping is named like the hierarchy file the derivation writes, in the --out folder.
    const mapping = path.join(dir, "tiny.hierarchy.yaml")
    const MAPPING = `kind: baseline-derivation\nid: tiny\ntitle: Tiny\ninstrument: test\npopulation: four made-up persons\nsource: tests\nconfidence: low\noutputs: [hierarchy]\ninput:\n  format: items\n  id_column: id\n  values:\n    SD: [sd1, sd2]\n    power: [po1, po2]\n    BE: [be1, be2]\n`
    fs.writeFileSync(mapping, MAPPING)
    const r = await runCli(["baseline", "derive", "--data", data, "--mapping", mapping, "--out", dir])
    expect(r.code, r.stderr + r.stdout).toBe(2)
    expect(r.stderr).toContain("which this command reads")
    expect(fs.readFileSync(mapping, "utf8")).toBe(MAPPING)
  }, 60_000)
})
