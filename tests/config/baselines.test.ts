import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  type Baseline,
  baselineFromData,
  type LoadedBaseline,
  loadBaselineDir,
  SHIPPED_BASELINES_DIR,
  type ValueBehaviourCorrelations,
  type ValueCorrelations,
  type ValueDifferences,
  type ValueHierarchy,
  type ValueItemCorrelations
} from "../../src/config/BaselineFile.js"
import { SpecFileError } from "../../src/config/SpecFileError.js"
import { VALUES_10, VALUES_19 } from "../../src/domain/values.js"
import { ROOT, runCli, tempDir } from "../helpers/cli.js"

/**
 * The human baselines shipped in human-baselines/: they load, malformed ones are rejected with "field: message"
 * problems, and (when the reference data beside the project is present) every figure equals its source.
 */

const DATA_DIR = path.resolve(ROOT, "../shared/data")
const SEEDS_DIR = path.resolve(ROOT, "../shared/seeds")
const BUILD_SCRIPT = path.join(ROOT, "scripts", "build-baselines.mjs")

const loadShipped = (): Promise<ReadonlyArray<LoadedBaseline>> =>
  Effect.runPromise(loadBaselineDir(SHIPPED_BASELINES_DIR).pipe(Effect.provide(NodeContext.layer)))

const shipped = async <B extends Baseline>(name: string): Promise<B> => {
  const all = await loadShipped()
  const found = all.find((b) => path.basename(b.file) === name)
  if (found === undefined) throw new Error(`${name} is not shipped`)
  return found.baseline as B
}

const problemsOf = (data: unknown): ReadonlyArray<string> => {
  const r = baselineFromData(data, "test.yaml")
  if (Either.isRight(r)) return []
  expect(r.left).toBeInstanceOf(SpecFileError)
  return r.left.problems
}

const unitMatrix = (k: number): Array<Array<number>> => Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : 0.1)))

const validCorrelations = () => ({
  kind: "value-correlations",
  id: "t",
  title: "t",
  instrument: "PVQ-40",
  population: "test",
  n: 10,
  source: "test",
  obtained: "computed-from-public-data",
  confidence: "low",
  centered: true,
  labels: [...VALUES_10] as Array<string>,
  matrix: unitMatrix(10)
})

const SHIPPED_FILES = [
  "dominant-value-shares.yaml",
  "ess-round11.differences.yaml",
  "ess-sweden-1441.correlations-centered.yaml",
  "ess-sweden-1441.correlations-raw.yaml",
  "ess-sweden-1441.hierarchy.yaml",
  "pvq40-us151.correlations-centered.yaml",
  "pvq40-us151.correlations-raw.yaml",
  "pvq40-us151.hierarchy.yaml",
  "schwartz-cieciuch-2022.hierarchy19.yaml",
  "svs-uk327.correlations-centered.yaml",
  "unavailable.yaml",
  "valueportrait-prolific-569.big-five.yaml",
  "valueportrait-prolific-569.correlations-centered.yaml",
  "valueportrait-prolific-569.hierarchy.yaml",
  "valueportrait.item-correlations.json"
]

describe("shipped human baselines", () => {
  it("every file in human-baselines/ loads with no problems", async () => {
    const all = await loadShipped()
    // Others may add files of their own; these must be among them (and every file must load).
    expect(all.map((b) => path.basename(b.file))).toEqual(expect.arrayContaining(SHIPPED_FILES))
    const kinds = new Set(all.map((b) => b.baseline.kind))
    expect([...kinds].sort()).toEqual([
      "dominant-value-shares",
      "game-outcomes",
      "unavailable-baselines",
      "value-behaviour-correlations",
      "value-correlations",
      "value-differences",
      "value-hierarchy",
      "value-item-correlations"
    ])
  })

  it("states provenance in every file and keeps the conventions", async () => {
    for (const { file, baseline: b } of await loadShipped()) {
      if (b.kind === "unavailable-baselines") {
        expect(b.entries.map((e) => e.measure).filter((m) => !m.startsWith("game:")).sort()).toEqual(["big-five", "donation-causes", "everyday-behaviours", "paired-charity-game", "prosociality"])
        continue
      }
      if (b.kind === "dominant-value-shares") continue
      if (b.kind !== "game-outcomes") expect(b.n, file).toBeGreaterThan(0)
      expect(b.notes?.length ?? 0, file).toBeGreaterThan(40)
      if (b.kind === "value-correlations") expect(b.labels, file).toEqual(VALUES_10)
      if (b.kind === "value-hierarchy") {
        expect(b.centered, file).toBe(true)
        expect(Object.keys(b.means), file).toEqual(Object.keys(b.means).length === 19 ? [...VALUES_19] : [...VALUES_10])
      }
    }
    const bf = await shipped<ValueBehaviourCorrelations>("valueportrait-prolific-569.big-five.yaml")
    expect(bf.behaviours).toEqual(["extraversion", "agreeableness", "conscientiousness", "neuroticism", "openness"])
    expect(bf.measure).toBe("big-five")
    const items = await shipped<ValueItemCorrelations>("valueportrait.item-correlations.json")
    expect(items.variables).toEqual([...VALUES_10, ...bf.behaviours])
    expect(Object.keys(items.items)).toHaveLength(520)
    expect(Object.keys(items.items).every((id) => /^\d{4}-[1-5]$/.test(id))).toBe(true)
  })

  it("carries no item text: items hold only numbers, keyed by id", () => {
    const data = JSON.parse(fs.readFileSync(path.join(SHIPPED_BASELINES_DIR, "valueportrait.item-correlations.json"), "utf8")) as {
      items: Record<string, Record<string, ReadonlyArray<unknown>>>
    }
    const keySets = new Set(Object.values(data.items).map((item) => Object.keys(item).join(",")))
    expect([...keySets]).toEqual(["r,p"])
    const cells = Object.values(data.items).flatMap((item) => [...item.r!, ...item.p!])
    expect(cells.every((x) => x === null || typeof x === "number")).toBe(true)
  })
})

describe("malformed baselines", () => {
  it("accepts the valid template", () => {
    expect(problemsOf(validCorrelations())).toEqual([])
  })

  it("rejects an asymmetric matrix", () => {
    const b = validCorrelations()
    b.matrix[0]![1] = 0.5
    expect(problemsOf(b)).toEqual([expect.stringMatching(/^matrix\[1\]\[0\]: 0\.1 differs from matrix\[0\]\[1\] = 0\.5; the matrix must be symmetric$/)])
  })

  it("rejects a diagonal that is not 1 and a correlation out of range", () => {
    const a = validCorrelations()
    a.matrix[2]![2] = 0.9
    expect(problemsOf(a)).toEqual(["matrix[2][2]: the diagonal must be 1, got 0.9"])
    const b = validCorrelations()
    b.matrix[3]![4] = 1.5
    b.matrix[4]![3] = 1.5
    const problems = problemsOf(b)
    expect(problems).toContain("matrix[3][4]: a correlation must lie between -1 and 1, got 1.5")
    expect(problems).toContain("matrix[4][3]: a correlation must lie between -1 and 1, got 1.5")
  })

  it("tolerates float noise on the diagonal", () => {
    const b = validCorrelations()
    b.matrix[0]![0] = 1.0000000000000002
    expect(problemsOf(b)).toEqual([])
  })

  it("rejects an unknown value code", () => {
    const b = validCorrelations()
    b.labels[2] = "XY"
    expect(problemsOf(b)).toEqual([expect.stringMatching(/^labels\[2\]: unknown value code "XY"/)])
    const h = { ...validCorrelations(), kind: "value-hierarchy", measure: "m", means: { SD: 1, ST: 0, QQ: -1 } } as Record<string, unknown>
    delete h.labels
    delete h.matrix
    expect(problemsOf(h)).toEqual([expect.stringMatching(/^means\.QQ: unknown value code "QQ"/)])
  })

  it("rejects a row of the wrong length", () => {
    const b = validCorrelations()
    b.matrix[3] = b.matrix[3]!.slice(0, 9)
    expect(problemsOf(b)).toEqual(["matrix[3]: 9 columns but 10 labels"])
    const c = validCorrelations()
    c.matrix = c.matrix.slice(0, 9)
    expect(problemsOf(c)).toContain("matrix: 9 rows but 10 labels")
  })

  it("rejects an unknown kind, a missing kind and an unknown field", () => {
    expect(problemsOf({ ...validCorrelations(), kind: "value-corr" })).toEqual([
      expect.stringMatching(/^kind: unknown kind "value-corr" \(a baseline file has kind value-correlations, /)
    ])
    expect(problemsOf({ id: "x" })).toEqual([expect.stringMatching(/^kind: missing/)])
    expect(problemsOf({ ...validCorrelations(), sample: 3 })).toEqual([expect.stringMatching(/^sample: /)])
  })

  it("rejects item rows whose length does not match the variables", () => {
    const b = {
      kind: "value-item-correlations",
      id: "t",
      title: "t",
      instrument: "i",
      population: "p",
      source: "s",
      obtained: "published",
      confidence: "low",
      correlation: "spearman",
      variables: ["SD", "ST"],
      items: { "1-1": { r: [0.1, null], p: [0.5] } }
    }
    expect(problemsOf(b)).toEqual(["items.1-1.p: 1 entries but 2 variables"])
  })
})

const readJson = (...p: Array<string>) => JSON.parse(fs.readFileSync(path.join(DATA_DIR, ...p), "utf8")) as any

const expectMatrixClose = (got: ReadonlyArray<ReadonlyArray<number | null>>, want: ReadonlyArray<ReadonlyArray<number>>, tol: number, what: string) => {
  expect(got.length, what).toBe(want.length)
  got.forEach((row, i) => {
    expect(row.length, what).toBe(want[i]!.length)
    row.forEach((x, j) => {
      if (Math.abs((x as number) - want[i]![j]!) > tol) throw new Error(`${what}[${i}][${j}]: ${x} differs from ${want[i]![j]}`)
    })
  })
}

describe.skipIf(!fs.existsSync(DATA_DIR))("shipped baselines against the reference data in ../shared/data", () => {
  const STEMS: Record<string, string> = {
    pvq40_us151: "pvq40-us151",
    ess_sweden_1441: "ess-sweden-1441",
    valueportrait_prolific_569: "valueportrait-prolific-569",
    indvalues_uk327_svs: "svs-uk327"
  }

  it("correlation matrices and hierarchies equal human_value_baselines.json to 1e-9", async () => {
    const hvb = readJson("human-derived", "human_value_baselines.json")
    let matrices = 0
    for (const [key, stem] of Object.entries(STEMS)) {
      const d = hvb.datasets[key]
      for (const variant of ["centered", "raw"] as const) {
        const want = d[`corr_${variant}`] as Array<Array<number>> | undefined
        const file = `${stem}.correlations-${variant}.yaml`
        if (want === undefined) {
          expect(fs.existsSync(path.join(SHIPPED_BASELINES_DIR, file)), file).toBe(false)
          continue
        }
        const b = await shipped<ValueCorrelations>(file)
        expect(b.n).toBe(d.n)
        expect(b.centered).toBe(variant === "centered")
        expectMatrixClose(b.matrix, want, 1e-9, file)
        matrices++
      }
      const hier = path.join(SHIPPED_BASELINES_DIR, `${stem}.hierarchy.yaml`)
      if (key === "indvalues_uk327_svs") {
        expect(fs.existsSync(hier)).toBe(false)
        continue
      }
      const h = await shipped<ValueHierarchy>(`${stem}.hierarchy.yaml`)
      for (const v of VALUES_10) expect(Math.abs(h.means[v]! - d.means_centered[v])).toBeLessThan(1e-9)
    }
    expect(matrices).toBe(6)
  })

  it("values x BFI-10 equals the human-derived CSV to 4 decimals", async () => {
    const b = await shipped<ValueBehaviourCorrelations>("valueportrait-prolific-569.big-five.yaml")
    const rows = fs.readFileSync(path.join(DATA_DIR, "human-derived", "valueportrait_value_x_bfi10_corr.csv"), "utf8").trim().split("\n").slice(1)
    expect(rows.map((r) => r.split(",")[0])).toEqual([...VALUES_10])
    expectMatrixClose(b.matrix, rows.map((r) => r.split(",").slice(1).map(Number)), 5.0001e-5, "big-five")
  })

  it("item correlations equal the dataset's correlation_results", async () => {
    const b = await shipped<ValueItemCorrelations>("valueportrait.item-correlations.json")
    const pvq = readJson("value-portrait", "data", "correlation_results", "pvq_correlation_results.json") as Array<any>
    const first = pvq.find((c) => c.pvq_dimension === "Power")
    const item = b.items[`${Number(first.portrait_id)}-${first.option_id}`]!
    expect(Math.abs(item.r[VALUES_10.indexOf("PO")]! - first.spearman_corr)).toBeLessThan(1e-9)
    expect(Math.abs(item.p[VALUES_10.indexOf("PO")]! - first.spearman_p_value)).toBeLessThan(1e-9)
    const bfi = readJson("value-portrait", "data", "correlation_results", "bfi_correlation_results.json") as Array<any>
    const last = bfi[bfi.length - 1]
    const other = b.items[`${Number(last.portrait_id)}-${last.option_id}`]!
    expect(Math.abs(other.r[b.variables.indexOf(String(last.bfi_dimension).toLowerCase())]! - last.spearman_corr)).toBeLessThan(1e-9)
  })

  it.skipIf(!fs.existsSync(SEEDS_DIR))("19-value hierarchy and ESS differences match the seed tables", async () => {
    const h = await shipped<ValueHierarchy>("schwartz-cieciuch-2022.hierarchy19.yaml")
    expect(h.n).toBe(53472)
    const seed002 = fs.readFileSync(path.join(SEEDS_DIR, "002_8599096937f5cc8f.txt"), "utf8")
    const table2 = seed002.slice(seed002.indexOf("Table 2:"))
    for (const [rank, code, value] of [[1, "BEC", 0.79], [3, "SDA", 0.6], [11, "FAC", 0.05], [15, "HUM", -0.2], [19, "POD", -1.4]] as const) {
      expect(h.means[code]).toBe(value)
      expect(table2).toContain(`${rank} ${code} ${value < 0 ? "-" : ""}${Math.abs(value).toFixed(2)} `)
    }
    const d = await shipped<ValueDifferences>("ess-round11.differences.yaml")
    expect(d.n).toBe(37498)
    const group = (variable: string, g: string) => d.groups.find((x) => x.variable === variable && x.group === g)!.differences
    expect(d.groups.map((g) => g.group)).not.toContain("male-female")
    const seed004 = fs.readFileSync(path.join(SEEDS_DIR, "004_2b29cc2fcb4f01f6.txt"), "utf8")
    // Table 10, row 80+, columns Uni..Sel; Table 12, row Master's; Table 9, row Female.
    expect(seed004).toContain("80+\t+0.05\t+0.02\t+0.51\t+0.43\t+0.30\t-0.07\t-0.21\t-0.37\t-0.50\t-0.19")
    expect(group("age", "80+")).toEqual({ SD: -0.19, ST: -0.5, HE: -0.37, AC: -0.21, PO: -0.07, SE: 0.3, CO: 0.51, TR: 0.43, BE: 0.02, UN: 0.05 })
    expect(seed004).toContain("Master\u2019s\t+0.19\t+0.07\t-0.19\t-0.25\t-0.23\t-0.07\t+0.05\t-0.01\t+0.11\t+0.22")
    expect(group("education", "masters")).toEqual({ SD: 0.22, ST: 0.11, HE: -0.01, AC: 0.05, PO: -0.07, SE: -0.23, CO: -0.19, TR: -0.25, BE: 0.07, UN: 0.19 })
    expect(seed004).toContain("Female\t+0.06\t+0.06\t-0.01\t+0.05\t+0.08\t-0.07\t-0.06\t-0.05\t-0.08\t-0.01")
    expect(group("gender", "female").UN).toBe(0.06)
    expect(group("political-orientation", "right-wing").TR).toBe(0.16)
  })

  it("the generator reproduces the committed files byte for byte", () => {
    const out = tempDir("baselines")
    execFileSync(process.execPath, [BUILD_SCRIPT, DATA_DIR, "--out", out], { stdio: "pipe" })
    const built = fs.readdirSync(out).sort()
    expect(built.length).toBe(13)
    for (const name of built) {
      expect(fs.readFileSync(path.join(out, name), "utf8"), name).toBe(fs.readFileSync(path.join(SHIPPED_BASELINES_DIR, name), "utf8"))
    }
  })
})

describe("valuesim validate", () => {
  it("accepts every shipped baseline", async () => {
    const files = fs
      .readdirSync(SHIPPED_BASELINES_DIR)
      .filter((n) => /\.(ya?ml|json)$/.test(n))
      .map((n) => path.join("human-baselines", n))
    const r = await runCli(["validate", ...files])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    for (const f of files) expect(r.stdout).toContain(`ok   ${f}`)
    expect(r.stdout).toContain("(value-correlations)")
  })

  it("rejects a malformed baseline with exit 2, naming the file and field", async () => {
    const f = path.join(tempDir("badbase"), "bad.yaml")
    const text = fs.readFileSync(path.join(SHIPPED_BASELINES_DIR, "pvq40-us151.correlations-centered.yaml"), "utf8").replace("labels: [SD,", "labels: [XY,")
    fs.writeFileSync(f, text)
    const r = await runCli(["validate", f])
    expect(r.code, r.stderr + r.stdout).toBe(2)
    expect(r.stderr).toContain(`${f}: labels[0]: unknown value code "XY"`)
  })
})
