import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { ROOT, runCli, tempDir } from "../helpers/cli.js"
import { expectMatrixClose, loadStatsReference } from "../helpers/statsFixture.js"

// SciPy reference (tests/fixtures/make_stats_reference.py): the human matrix is the PVQ-40 US centered C(V)
// (mds.r), the "model" the ESS Sweden one (procrustes.human.rEss); mtx1, mtx2 and the disparity come from
// scipy.spatial.procrustes applied to the classical MDS maps of sqrt(2(1 - r)).
interface Fixture {
  readonly mds: { labels: Array<string>; r: Array<Array<number>> }
  readonly procrustes: { human: { rEss: Array<Array<number>>; mtx1: Array<Array<number>>; mtx2: Array<Array<number>>; disparity: number; sv: number } }
}
const ref = loadStatsReference<Fixture>()
const labels = ref.mds.labels

const csv = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>) =>
  [header.join(","), ...rows.map((r) => r.join(","))].join("\n") + "\n"

describe("valuesim compare-structure", () => {
  const dir = tempDir("compare")
  const human = path.join(dir, "human.csv")
  const model = path.join(dir, "model.csv")
  fs.writeFileSync(human, csv(labels, ref.mds.r))
  fs.writeFileSync(model, csv(["value", ...labels], ref.procrustes.human.rEss.map((row, i) => [labels[i]!, ...row])))

  it("with --mds classical, agrees with SciPy's procrustes on classical MDS maps to 1e-6", async () => {
    const r = await runCli(["compare-structure", "--human", human, "--model", model, "--mds", "classical", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      mdsMethod: string
      sv: number
      disparity: number
      labels: Array<string>
      human: { aligned: Array<Array<number>> }
      model: { aligned: Array<Array<number>> }
    }
    expect(out.labels).toEqual(labels)
    expect(out.mdsMethod).toBe("classical")
    expect(Math.abs(out.disparity - ref.procrustes.human.disparity)).toBeLessThan(1e-6)
    expect(Math.abs(out.sv - ref.procrustes.human.sv)).toBeLessThan(1e-6)
    expectMatrixClose(out.human.aligned, ref.procrustes.human.mtx1, 1e-6)
    expectMatrixClose(out.model.aligned, ref.procrustes.human.mtx2, 1e-6)
  })

  it("reorders a model matrix given in another value order, and reads baseline files", async () => {
    const perm = [3, 7, 0, 9, 1, 5, 2, 8, 4, 6]
    const shuffled = path.join(dir, "shuffled.csv")
    // Rows and columns in another order; rows keep their label, so they may come in any order too.
    fs.writeFileSync(
      shuffled,
      csv(["value", ...perm.map((i) => labels[i]!)], [...perm].reverse().map((i) => [labels[i]!, ...perm.map((j) => ref.procrustes.human.rEss[i]![j]!)]))
    )
    const baseline = path.join(dir, "human.yaml")
    fs.writeFileSync(
      baseline,
      JSON.stringify({
        kind: "value-correlations",
        id: "t",
        title: "test matrix",
        instrument: "PVQ-40",
        population: "test",
        source: "test fixture",
        obtained: "computed-from-public-data",
        confidence: "low",
        centered: true,
        labels,
        matrix: ref.mds.r
      })
    )
    const textRun = runCli(["compare-structure", "--human", human, "--model", shuffled, "--mds", "classical"])
    const r = await runCli(["compare-structure", "--human", baseline, "--model", shuffled, "--mds", "classical", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout.trim()) as { sv: number; model: { aligned: Array<Array<number>> } }
    expect(Math.abs(out.sv - ref.procrustes.human.sv)).toBeLessThan(1e-6)
    expectMatrixClose(out.model.aligned, ref.procrustes.human.mtx2, 1e-6)

    const text = await textRun
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain(`S_V = ${ref.procrustes.human.sv.toFixed(4)}`)
    expect(text.stdout).toContain("chance level")
  })

  it("by default uses ratio SMACOF (scikit-learn fixture, 1e-6) and prints the chance level; --mds classical as SciPy", async () => {
    // tests/fixtures/make_mds_reference.py: sklearn.manifold.smacof from the classical start, scipy.spatial.procrustes
    const mdsRef = JSON.parse(fs.readFileSync(new URL("../fixtures/mds-reference.json", import.meta.url), "utf8")) as {
      pairs: Array<{ human: string; model: string; svClassical: number; svSmacof: number }>
    }
    const pair = mdsRef.pairs.find((x) => x.human.startsWith("pvq40-us151.correlations-centered") && x.model.startsWith("ess-sweden-1441.correlations-centered"))!
    const h = path.join(ROOT, "human-baselines", pair.human)
    const m = path.join(ROOT, "human-baselines", pair.model)
    const [a, b, c, d] = await Promise.all([
      runCli(["compare-structure", "--human", h, "--model", m, "--json"]),
      runCli(["compare-structure", "--human", h, "--model", m, "--mds", "classical", "--json"]),
      runCli(["compare-structure", "--human", h, "--model", m, "--json", "--seed", "2"]),
      runCli(["compare-structure", "--human", h, "--model", m, "--mds", "tsne"])
    ])
    for (const r of [a, b, c]) expect(r.code, r.stderr).toBe(0)
    type Out = { sv: number; disparity: number; mdsMethod: string; null: { permutations: number; mean: number; q95: number; p: number } }
    const smacof = JSON.parse(a.stdout.trim()) as Out
    const classical = JSON.parse(b.stdout.trim()) as Out
    expect(smacof.mdsMethod).toBe("smacof")
    expect(Math.abs(smacof.sv - pair.svSmacof)).toBeLessThanOrEqual(1e-6)
    expect(Math.abs(smacof.disparity - (1 - pair.svSmacof))).toBeLessThanOrEqual(1e-6)
    expect(classical.mdsMethod).toBe("classical")
    expect(Math.abs(classical.sv - pair.svClassical)).toBeLessThanOrEqual(1e-6)
    // the chance level: 1,000 seeded permutations of the model's labels; far above 0, far below the observed S_V
    expect(smacof.null.permutations).toBe(1000)
    expect(smacof.null.mean).toBeGreaterThan(0.1)
    expect(smacof.null.q95).toBeLessThan(smacof.sv)
    expect(smacof.null.p).toBeCloseTo(1 / 1001, 6)
    const other = JSON.parse(c.stdout.trim()) as Out
    expect(other.sv).toBe(smacof.sv)
    expect(other.null.mean).not.toBe(smacof.null.mean)
    expect(d.code).toBe(2)
  })

  it("rejects a bad matrix with exit 2 and a message naming the file and field", async () => {
    const bad = path.join(dir, "bad.csv")
    const asym = ref.mds.r.map((row) => [...row])
    asym[0]![1] = 0.9
    fs.writeFileSync(bad, csv(labels, asym))
    const unknown = path.join(dir, "unknown.csv")
    fs.writeFileSync(unknown, csv([...labels.slice(0, 9), "XX"], ref.mds.r))
    const fewer = path.join(dir, "fewer.csv")
    fs.writeFileSync(fewer, csv(labels.slice(0, 9), ref.mds.r.slice(0, 9).map((row) => row.slice(0, 9))))
    const [r, u, f, missing] = await Promise.all([
      runCli(["compare-structure", "--human", human, "--model", bad]),
      runCli(["compare-structure", "--human", unknown, "--model", model]),
      runCli(["compare-structure", "--human", human, "--model", fewer]),
      runCli(["compare-structure", "--human", path.join(dir, "nope.csv"), "--model", model])
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(bad)
    expect(r.stderr).toContain("matrix[1][0]")

    expect(u.code).toBe(2)
    expect(u.stderr).toContain('"XX" is not a value code')

    expect(f.code).toBe(2)
    expect(f.stderr).toContain("lacks UN")

    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("nope.csv")
  })
})
