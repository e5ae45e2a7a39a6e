import { afterAll, describe, expect, it } from "vitest"
import { DuckDBInstance } from "@duckdb/node-api"
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"

const dirs: Array<string> = []
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })))

/** CSV text to its header and rows of raw field text (quotes undone, nothing else converted). */
const csvRows = (text: string) => {
  const records: Array<Array<string>> = []
  let record: Array<string> = []
  let field = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ",") record.push(field), (field = "")
    else if (ch === "\n") record.push(field), records.push(record), (record = []), (field = "")
    else field += ch
  }
  return { columns: records[0]!, rows: records.slice(1) }
}

/** A Parquet value as the CSV export writes it. */
const asCsv = (v: unknown): string => {
  if (v === null || v === undefined) return ""
  if (Array.isArray(v)) return v.map((x) => String(x)).join(",")
  if (typeof v === "bigint") return v.toString()
  return String(v)
}

/** Reads a Parquet file with hyparquet (a reader written apart from DuckDB, which wrote it). */
const readParquet = async (file: string) => {
  const buffer = await asyncBufferFromFile(file)
  const metadata = await parquetMetadataAsync(buffer)
  const rows = (await parquetReadObjects({ file: buffer, metadata })) as Array<Record<string, unknown>>
  return { rows, metadata }
}

describe("export --format parquet", () => {
  it("writes typed answers, scores, moves and game results that match the CSV export row for row", async () => {
    const runs = tempDir("parquet")
    dirs.push(runs)
    const run = await runCli(["run", "scenarios/studies/paper.yaml", "--agents", "24", "--seed", "5", "--json", "--runs-dir", runs, "--no-tui"])
    expect(run.code).toBe(0)
    const runDir = String(lastJson(run.stdout)["runDir"])
    const csvDir = path.join(runs, "csv")
    const pqDir = path.join(runs, "pq")
    expect((await runCli(["export", runDir, "--format", "csv", "--out", csvDir])).code).toBe(0)
    const pq = await runCli(["export", runDir, "--format", "parquet", "--out", pqDir, "--json"])
    expect(pq.code).toBe(0)
    const summary = lastJson(pq.stdout)
    expect(fs.readdirSync(pqDir).sort()).toEqual(["answers.parquet", "game_results.parquet", "manifest.json", "moves.parquet", "run.json", "scores.parquet"])

    for (const table of ["answers", "scores", "moves", "game_results"]) {
      const csv = csvRows(fs.readFileSync(path.join(csvDir, `${table}.csv`), "utf8"))
      const { rows, metadata } = await readParquet(path.join(pqDir, `${table}.parquet`))
      expect(rows.length, table).toBe(csv.rows.length)
      expect(rows.length, table).toBeGreaterThan(0)
      const columns = csv.columns
      expect(metadata.schema.filter((s) => s.name !== "element" && s.name !== "list" && s.name !== "duckdb_schema").map((s) => s.name)).toEqual(columns)
      csv.rows.forEach((want, r) => {
        const got = rows[r]!
        columns.forEach((c, j) => {
          if (c === "dist" && want[j] !== "") {
            // The CSV writes the text stored (moves) or 6-decimal text (answers): compare the numbers.
            expect((got[c] as Array<number>).map((x) => Math.round(x * 1e6)), `${table} row ${r} ${c}`).toEqual(want[j]!.split(",").map((x) => Math.round(Number(x) * 1e6)))
          } else expect(asCsv(got[c]), `${table} row ${r} ${c}`).toBe(want[j])
        })
      })
    }

    // Typed columns: integers as integers, the distribution a list of doubles, booleans as booleans.
    const { rows: answers, metadata } = await readParquet(path.join(pqDir, "answers.parquet"))
    const a = answers.find((x) => x["dist"] !== null)!
    expect(Array.isArray(a["dist"])).toBe(true)
    expect(typeof a["agent_id"]).toBe("number")
    expect(typeof a["reverse"]).toBe("boolean")
    // Provenance on every row, as in the CSV: the synthetic backend, and its answers scored "synthetic".
    expect(new Set(answers.map((x) => `${String(x["backend"])}/${String(x["scoring"])}`))).toEqual(new Set(["synthetic/synthetic"]))
    expect(JSON.parse(fs.readFileSync(path.join(pqDir, "manifest.json"), "utf8"))).toMatchObject({ backend: "synthetic", synthetic: true, format: "parquet" })
    const type = (name: string) => metadata.schema.find((s) => s.name === name)?.type
    expect([type("agent_id"), type("value"), type("element"), type("condition")]).toEqual(["INT32", "INT32", "DOUBLE", "BYTE_ARRAY"])

    // DuckDB reads it as the acceptance query: agents × items rows, agents distinct agents.
    const duck = await DuckDBInstance.create(":memory:")
    const con = await duck.connect()
    const file = path.join(pqDir, "answers.parquet").replace(/'/g, "''")
    const counts = (await con.runAndReadAll(`SELECT count(*), count(DISTINCT agent_id) FROM '${file}' WHERE step = 0`)).getRows()[0]!
    const items = new Set(answers.filter((x) => x["step"] === 0).map((x) => x["item_idx"])).size
    expect(counts.map(Number)).toEqual([24 * items, 24])
    con.closeSync()
    duck.closeSync()
    expect(summary["rows"]).toBe(answers.length)

    // The export folder reports as its run does (apart from the source path).
    const reportOf = async (dir: string) => {
      const r = await runCli(["report", dir, "--format", "json"])
      expect(r.code, r.stderr).toBe(0)
      const json = JSON.parse(r.stdout) as { run: Record<string, unknown>; games: Array<unknown>; valueStructure: unknown }
      delete json.run["runDir"]
      return json
    }
    const [fromRun, fromExport] = await Promise.all([reportOf(runDir), reportOf(pqDir)])
    expect(fromRun.games.length).toBeGreaterThan(0)
    expect(fromRun.valueStructure).not.toBeNull()
    expect(fromExport).toEqual(fromRun)
  }, 180_000)
})
