import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"

const CODES = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]

describe("compare-structure with a matrix written by pandas", () => {
  it("reads DataFrame.to_csv() output (an unnamed index column of value codes first)", async () => {
    // A circumplex-shaped matrix: r falls with the distance of two values on the circle.
    const r = (i: number, j: number) => (i === j ? 1 : Math.round(1000 * 0.5 * Math.cos((2 * Math.PI * (i - j)) / 10)) / 1000)
    const text = [`,${CODES.join(",")}`, ...CODES.map((c, i) => `${c},${CODES.map((_, j) => r(i, j)).join(",")}`)].join("\n") + "\n"
    const file = path.join(tempDir("pandas"), "matrix.csv")
    fs.writeFileSync(file, text)
    const out = await runCli(["compare-structure", "--human", file, "--model", file, "--json"])
    expect(out.code, out.stderr).toBe(0)
    expect(Number(lastJson(out.stdout)["sv"])).toBeCloseTo(1, 6)
  })
})
