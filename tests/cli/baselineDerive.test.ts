import { Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { baselineFromData } from "../../src/config/BaselineFile.js"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"

const write = (dir: string, name: string, text: string) => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, text)
  return p
}

const readYaml = (file: string): Record<string, any> => parse(fs.readFileSync(file, "utf8")) as Record<string, any>

/** A tiny item-level CSV: 3 values with 2 items each, coded 1 = very much like me, one missing cell, one quoted id. */
const CSV = [
  "id,sd1,sd2,po1,po2,be1,be2,give",
  '"p,1",1,2,5,6,2,1,4',
  "p2,3,3,2,1,4,5,2",
  "p3,2,NA,4,4,1,1,5",
  "p4,4,5,3,2,3,2,",
  "p5,6,5,1,2,5,6,1"
].join("\r\n")

const MAPPING = `kind: baseline-derivation
id: tiny
title: Tiny test sample
instrument: a three-value test instrument
population: five made-up persons
source: tests/cli/baselineDerive.test.ts
confidence: low
input:
  format: items
  id_column: id
  recode: { min: 1, max: 6 }
  values:
    SD: [sd1, sd2]
    power: [po1, po2]
    BE: [be1, be2]
  behaviours:
    giving: give
  behaviour_measure: donations
`

/** Bad input: exit 2, one message naming the file and the field, no stack trace, nothing written in --out. */
const expectRejected = async (data: string, mapping: string, mentions: ReadonlyArray<string>) => {
  const out = path.join(tempDir("derive-bad"), "out")
  const r = await runCli(["baseline", "derive", "--data", data, "--mapping", mapping, "--out", out])
  expect(r.code, r.stderr + r.stdout).toBe(2)
  for (const m of mentions) expect(r.stderr).toContain(m)
  expect(r.stderr.match(/valuesim( [a-z-]+)*:/g)?.length).toBe(1)
  expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/)
  expect(fs.existsSync(out)).toBe(false)
  return r
}

describe("valuesim baseline derive", () => {
  it("writes valid baseline files for every output that applies, and the key numbers with --json", async () => {
    const dir = tempDir("derive")
    const data = write(dir, "data.csv", CSV)
    const mapping = write(dir, "tiny.mapping.yaml", MAPPING)
    const out = path.join(dir, "out")
    const r = await runCli(["baseline", "derive", "--data", data, "--mapping", mapping, "--out", out, "--json"])
    expect(r.code, r.stderr).toBe(0)
    const j = lastJson(r.stdout) as { files: Array<{ output: string; file: string }>; persons: number; dominant: unknown; hierarchy: Record<string, number> }
    expect(j.persons).toBe(5)
    expect(j.dominant).toBeNull() // only 3 of the 10 values: no dominant-value shares
    expect(Object.keys(j.hierarchy)).toEqual(["SD", "PO", "BE"])
    expect(j.files.map((f) => path.basename(f.file))).toEqual([
      "tiny.correlations-centered.yaml",
      "tiny.correlations-raw.yaml",
      "tiny.hierarchy.yaml",
      "tiny.values-x-donations.yaml"
    ])
    expect(fs.readdirSync(out).sort()).toEqual(j.files.map((f) => path.basename(f.file)).sort())
    for (const f of j.files) expect(Either.isRight(baselineFromData(readYaml(f.file), f.file)), f.file).toBe(true)
    const vb = readYaml(path.join(out, "tiny.values-x-donations.yaml"))
    expect(vb.behaviours).toEqual(["giving"])
    expect(vb.n).toBe(5)

    const text = await runCli(["baseline", "derive", "--data", data, "--mapping", mapping, "--out", out])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain(`wrote ${path.join(out, "tiny.hierarchy.yaml")}`)
  })

  it("rejects a mapping with an unknown key, naming the file and the field", async () => {
    const dir = tempDir("derive-key")
    const data = write(dir, "data.csv", CSV)
    const mapping = write(dir, "m.yaml", MAPPING.replace("confidence: low", "confidence: low\nconfidance: high"))
    await expectRejected(data, mapping, [mapping, "confidance", "unknown key"])
  })

  it("lists an unknown value code and an unknown column in one message about the mapping", async () => {
    const dir = tempDir("derive-code")
    const data = write(dir, "data.csv", CSV)
    const mapping = write(dir, "m.yaml", MAPPING.replace("SD: [sd1, sd2]", "XY: [sd1, sd2]").replace("[be1, be2]", "[be1, be9]"))
    const r = await expectRejected(data, mapping, [mapping, "input.values.XY", 'unknown value code "XY"', "input.values.BE[1]", 'no column "be9"'])
    expect(r.stderr).toContain("2 problems")
  })

  it("names the row and column of a non-numeric cell and of a cell outside the recode range in the data file", async () => {
    const dir = tempDir("derive-cell")
    const data = write(dir, "data.csv", CSV.replace("p2,3,3,", "p2,three,3,").replace("p5,6,5,", "p5,6,9,"))
    const mapping = write(dir, "m.yaml", MAPPING)
    await expectRejected(data, mapping, [data, 'row 2 (id p2), column sd1: "three" is not a number', "row 5 (id p5), column sd2: 9 is outside input.recode 1…6"])
  })

  it("rejects outputs that do not apply and a missing data file", async () => {
    const dir = tempDir("derive-out")
    const data = write(dir, "data.csv", CSV)
    const mapping = write(dir, "m.yaml", MAPPING + "outputs: [hierarchy, dominant-shares]\n")
    await expectRejected(data, mapping, [mapping, "outputs[1]", "need all 10 values"])
    await expectRejected(path.join(dir, "nope.csv"), write(dir, "ok.yaml", MAPPING), ["nope.csv", "cannot read"])
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Re-derivation of the published human-derived figures from the public data beside the project.

const SHARED = path.resolve(ROOT, "../shared/data")
const hasShared = fs.existsSync(path.join(SHARED, "human-derived/human_value_baselines.json"))
const ORDER = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]

const maxAbs = (a: ReadonlyArray<ReadonlyArray<number>>, b: ReadonlyArray<ReadonlyArray<number>>) =>
  Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i]![j]!))))
const maxAbsRecord = (a: Record<string, number>, b: Record<string, number>) => Math.max(...ORDER.map((v) => Math.abs(a[v]! - b[v]!)))

describe.skipIf(!hasShared)("re-derivation of ../shared/data/human-derived with the committed mappings", () => {
  const reference = hasShared
    ? (JSON.parse(fs.readFileSync(path.join(SHARED, "human-derived/human_value_baselines.json"), "utf8")) as {
        value_order: Array<string>
        datasets: Record<string, Record<string, any>>
      })
    : undefined

  const derive = async (data: string, mapping: string) => {
    const out = path.join(tempDir("rederive"), "out")
    const r = await runCli(["baseline", "derive", "--data", data, "--mapping", path.join(ROOT, "human-baselines/derivations", mapping), "--out", out, "--json"])
    expect(r.code, r.stderr).toBe(0)
    const files = (lastJson(r.stdout) as { files: Array<{ output: string; file: string }> }).files
    return Object.fromEntries(files.map((f) => [f.output, readYaml(f.file)]))
  }

  const checkCommon = (got: Record<string, Record<string, any>>, want: Record<string, any>, id: string) => {
    expect(reference!.value_order).toEqual(ORDER)
    expect(got["correlations-centered"]!.labels).toEqual(ORDER)
    expect(maxAbs(got["correlations-centered"]!.matrix, want.corr_centered)).toBeLessThan(1e-6)
    expect(got.hierarchy!.n).toBe(want.n)
    expect(maxAbsRecord(got.hierarchy!.means, want.means_centered)).toBeLessThan(1e-6)
    const ds = got["dominant-shares"]!.datasets[id]
    expect(ds.n).toBe(want.n)
    expect(maxAbsRecord(ds.shares, want.dominant_share)).toBeLessThan(1e-6)
    expect(Math.abs(ds.no_dominant - want.no_single_dominant)).toBeLessThan(1e-6)
  }

  it("PVQ-40, 151 US adults: centered and raw correlations, hierarchy, dominant shares", async () => {
    const got = await derive(path.join(SHARED, "pvq40-us151/PVQ40.csv"), "pvq40-us151.mapping.yaml")
    const want = reference!.datasets["pvq40_us151"]!
    checkCommon(got, want, "pvq40-us151")
    expect(maxAbs(got["correlations-raw"]!.matrix, want.corr_raw)).toBeLessThan(1e-6)
  })

  it("Value Portrait Prolific, 569 persons: centered correlations, hierarchy, dominant shares, values × BFI-10", async () => {
    const got = await derive(path.join(SHARED, "value-portrait/data/prolific/value/main/value.json"), "valueportrait-prolific-569.mapping.yaml")
    const want = reference!.datasets["valueportrait_prolific_569"]!
    checkCommon(got, want, "valueportrait-prolific-569")
    expect(got["correlations-raw"]).toBeUndefined()

    // valueportrait_value_x_bfi10_corr.csv: rows = values, columns Extraversion … Openness, 4 decimals.
    const lines = fs.readFileSync(path.join(SHARED, "human-derived/valueportrait_value_x_bfi10_corr.csv"), "utf8").trim().split(/\r?\n/)
    const header = lines[0]!.split(",").slice(1).map((h) => h.toLowerCase())
    const wantRows = Object.fromEntries(lines.slice(1).map((l) => [l.split(",")[0]!, l.split(",").slice(1).map(Number)]))
    const vb = got["value-behaviour"]!
    expect(vb.measure).toBe("big-five")
    expect(vb.behaviours).toEqual(header)
    const wantMatrix = (vb.values as Array<string>).map((v) => wantRows[v]!)
    expect(maxAbs(vb.matrix, wantMatrix)).toBeLessThan(1e-4)
  })
})
