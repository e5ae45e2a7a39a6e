import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { runCli, tempDir } from "../helpers/cli.js"
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

  it("agrees with SciPy's procrustes on classical MDS maps to 1e-6", async () => {
    const r = await runCli(["compare-structure", "--human", human, "--model", model, "--json"])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      sv: number
      disparity: number
      labels: Array<string>
      human: { aligned: Array<Array<number>> }
      model: { aligned: Array<Array<number>> }
    }
    expect(out.labels).toEqual(labels)
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
    const textRun = runCli(["compare-structure", "--human", human, "--model", shuffled])
    const r = await runCli(["compare-structure", "--human", baseline, "--model", shuffled, "--json"])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout.trim()) as { sv: number; model: { aligned: Array<Array<number>> } }
    expect(Math.abs(out.sv - ref.procrustes.human.sv)).toBeLessThan(1e-6)
    expectMatrixClose(out.model.aligned, ref.procrustes.human.mtx2, 1e-6)

    const text = await textRun
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain(`S_V = ${ref.procrustes.human.sv.toFixed(4)}`)
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
