import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"

/** The `scoring` column of an exported CSV file. */
const scoringColumn = (file: string) => {
  const [head, ...rows] = fs.readFileSync(file, "utf8").trim().split("\n")
  const col = head!.split(",").indexOf("scoring")
  expect(col).toBeGreaterThanOrEqual(0)
  return new Set(rows.map((r) => r.split(",")[col]))
}

describe("a synthetic run stored before the synthetic scoring code", () => {
  it("exports its answers as synthetic, not as the logprob code its store holds", async () => {
    const runs = tempDir("legacy-scoring")
    const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "12", "--seed", "3", "--runs-dir", runs, "--no-tui", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const runDir = String(lastJson(r.stdout)["runDir"])
    // What the earlier synthetic respondent wrote: code 0 (logprob) for every answer.
    const db = new Sqlite(path.join(runDir, "run.sqlite"))
    try {
      db.prepare(`UPDATE answers SET scoring = zeroblob(length(scoring))`).run()
    } finally {
      db.close()
    }
    const out = tempDir("legacy-scoring-export")
    const e = await runCli(["export", runDir, "--format", "csv", "--out", out])
    expect(e.code, e.stderr).toBe(0)
    expect(scoringColumn(path.join(out, "answers.csv"))).toEqual(new Set(["synthetic"]))
  })
})
