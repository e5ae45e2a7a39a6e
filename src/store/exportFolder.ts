import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { importPackage } from "../importPackage.js"
import { NO_VALUE } from "./encoding.js"
import type { ConditionRow, ItemRow, StepTotals } from "./reads.js"
import { readConditions, readItems, readMatches, readStepTotals } from "./reads.js"
import { getManifest, openDatabase, SCHEMA_VERSION, type RunDb } from "./RunStore.js"

/**
 * An export folder as a source of analysis: `run.json` (written beside every export) carries what the rows do
 * not (the run's manifest with its plan, conditions, items, the writer's counters, each agent's condition and the
 * games' matches), and `answers.parquet`, `moves.parquet` and `game_results.parquet` carry the rest. `report`
 * reads such a folder into an in-memory run store holding what the analysis reads (answer values, moves, game
 * results), so the report of an export is computed by the same code as that of its run.
 */

export const EXPORT_RUN_FILE = "run.json"

export interface ExportRunFile {
  readonly kind: "valuesim-export"
  readonly schemaVersion: number
  readonly runDir: string
  readonly manifest: Record<string, unknown>
  readonly conditions: ReadonlyArray<ConditionRow>
  readonly items: ReadonlyArray<ItemRow>
  readonly stepTotals: ReadonlyArray<StepTotals>
  /** Condition index of agent i. */
  readonly agentConditions: ReadonlyArray<number>
  readonly matches: ReadonlyArray<{ readonly step: number; readonly matchId: number; readonly members: ReadonlyArray<number>; readonly state: string; readonly outcome: string | null }>
}

/** What `run.json` holds, read from a run store. */
export const exportRunFile = (db: RunDb, runDir: string): ExportRunFile => {
  const agents = db.prepare(`SELECT agent_id, condition_idx FROM agents ORDER BY agent_id`).raw().all() as Array<[number, number]>
  const agentConditions = new Array<number>(agents.length === 0 ? 0 : agents[agents.length - 1]![0] + 1).fill(-1)
  for (const [id, c] of agents) agentConditions[id] = c
  const outcomes = new Map(
    (db.prepare(`SELECT step, match_id, outcome FROM matches`).raw().all() as Array<[number, number, string | null]>).map(([s, m, o]) => [`${s}:${m}`, o])
  )
  return {
    kind: "valuesim-export",
    schemaVersion: SCHEMA_VERSION,
    runDir,
    manifest: getManifest(db),
    conditions: readConditions(db),
    items: readItems(db),
    stepTotals: readStepTotals(db),
    agentConditions,
    matches: readMatches(db).map((m) => ({ ...m, outcome: outcomes.get(`${m.step}:${m.matchId}`) ?? null }))
  }
}

/** A folder holding an export that `report` can read (run.json and answers.parquet). */
export const isParquetExport = (dir: string) =>
  fs.existsSync(path.join(dir, EXPORT_RUN_FILE)) && fs.existsSync(path.join(dir, "answers.parquet"))

const sql = (s: string) => `'${s.replace(/'/g, "''")}'`

/** Reads an export folder into an in-memory run store (answer values, moves and game results; no requests). */
export const loadParquetExport = async (dir: string): Promise<RunDb> => {
  const file = JSON.parse(fs.readFileSync(path.join(dir, EXPORT_RUN_FILE), "utf8")) as ExportRunFile
  if (file.kind !== "valuesim-export") throw new Error(`${EXPORT_RUN_FILE}: not a valuesim export (kind ${String(file.kind)})`)
  // DuckDB (a large native library) loads only here, not with every command.
  const [{ DuckDBInstance }, { default: duckdb }] = await Promise.all([
    importPackage<typeof import("@duckdb/node-api")>("@duckdb/node-api"),
    importPackage<{ default: typeof import("@duckdb/node-bindings") }>("@duckdb/node-bindings")
  ])
  const db = Effect.runSync(openDatabase(":memory:"))
  const duck = await DuckDBInstance.create(":memory:", { preserve_insertion_order: "true" })
  const con = await duck.connect()
  try {
    db.transaction(() => {
      const m = db.prepare(`INSERT INTO manifest (key, value) VALUES (?, ?)`)
      for (const [k, v] of Object.entries(file.manifest)) m.run(k, JSON.stringify(v))
      const c = db.prepare(`INSERT INTO conditions (condition_idx, condition, value_code, system_prompt) VALUES (?, ?, ?, ?)`)
      for (const x of file.conditions) c.run(x.idx, x.condition, x.valueCode, x.systemPrompt)
      const it = db.prepare(`INSERT INTO items (step, item_idx, item_id, subscale, reverse, text) VALUES (?, ?, ?, ?, ?, '')`)
      for (const x of file.items) it.run(x.step, x.itemIdx, x.itemId, x.subscale, x.reverse ? 1 : 0)
      const t = db.prepare(
        `INSERT INTO step_totals (step, units_pending, units_done, units_failed, answers, failed, missing, degraded) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
      )
      for (const x of file.stepTotals) t.run(x.step, x.unitsPending, x.unitsDone, x.unitsFailed, x.answers, x.failed, x.missing, x.degraded)
      const ag = db.prepare(`INSERT INTO agents (agent_id, condition_idx) VALUES (?, ?)`)
      file.agentConditions.forEach((cond, id) => {
        if (cond >= 0) ag.run(id, cond)
      })
      const mt = db.prepare(`INSERT INTO matches (step, match_id, members, state, outcome) VALUES (?, ?, ?, ?, ?)`)
      for (const x of file.matches) mt.run(x.step, x.matchId, JSON.stringify(x.members), x.state, x.outcome)
    })()

    // Answer values: one stored row per agent and step, as the run keeps them. The columns come out of DuckDB's
    // vectors in bulk (no value converted one by one); rows may come in any order.
    const agents = file.agentConditions.length
    const itemsOf = new Map<number, number>()
    for (const x of file.items) itemsOf.set(x.step, Math.max(itemsOf.get(x.step) ?? 0, x.itemIdx + 1))
    const values = new Map([...itemsOf].map(([step, n]) => [step, new Int16Array(agents * n).fill(NO_VALUE)] as const))
    const present = new Map([...itemsOf].map(([step]) => [step, new Uint8Array(agents)] as const))
    const result = await con.stream(`SELECT step, agent_id, item_idx, value FROM read_parquet(${sql(path.join(dir, "answers.parquet"))})`)
    while (true) {
      const chunk = await result.fetchChunk()
      if (chunk === null || chunk.rowCount === 0) break
      const n = chunk.rowCount
      const col = (c: number) => {
        const v = duckdb.data_chunk_get_vector(chunk.chunk, c)
        const bytes = duckdb.vector_get_data(v, 4 * n)
        return { data: new Int32Array(bytes.buffer, bytes.byteOffset, n), validity: duckdb.vector_get_validity(v, Math.ceil(n / 64) * 8) }
      }
      const [step, agent, item, value] = [col(0), col(1), col(2), col(3)]
      for (let r = 0; r < n; r++) {
        const s = step.data[r]!
        const a = agent.data[r]!
        const items = itemsOf.get(s)
        if (items === undefined || a < 0 || a >= agents) continue
        present.get(s)![a] = 1
        const valid = value.validity === null || ((value.validity[r >> 3]! >> (r & 7)) & 1) === 1
        if (valid) values.get(s)![a * items + item.data[r]!] = value.data[r]!
      }
    }
    const ins = db.prepare(`INSERT INTO answers (step, agent_id, vals, scoring) VALUES (?, ?, ?, ?)`)
    db.transaction(() => {
      for (const [step, items] of itemsOf) {
        const v = values.get(step)!
        const p = present.get(step)!
        const scoring = Buffer.alloc(items)
        for (let a = 0; a < agents; a++) {
          if (p[a] === 0) continue
          ins.run(step, a, Buffer.from(v.buffer, v.byteOffset + 2 * a * items, 2 * items), scoring)
        }
      }
    })()

    // Games: moves and results as stored.
    if (fs.existsSync(path.join(dir, "moves.parquet"))) {
      const moves = (
        await con.runAndReadAll(
          `SELECT step, match_id, seq, round, agent_id, member, role, decision, value, label, scoring, request_key, dist::VARCHAR[] AS dist, raw, attempts, error
           FROM read_parquet(${sql(path.join(dir, "moves.parquet"))})`
        )
      ).getRowObjectsJS() as Array<Record<string, unknown>>
      const mv = db.prepare(
        `INSERT INTO moves (step, match_id, seq, round, agent_id, member, role, decision, value, label, scoring, request_key, dist, raw, attempts, error)
         VALUES (@step, @match_id, @seq, @round, @agent_id, @member, @role, @decision, @value, @label, @scoring, @request_key, @dist, @raw, @attempts, @error)`
      )
      db.transaction(() => {
        for (const r of moves) mv.run({ ...r, dist: Array.isArray(r["dist"]) ? (r["dist"] as Array<string>).join(",") : null })
      })()
    }
    if (fs.existsSync(path.join(dir, "game_results.parquet"))) {
      const results = (
        await con.runAndReadAll(
          `SELECT step, agent_id, match_id, member, status, payoff, details FROM read_parquet(${sql(path.join(dir, "game_results.parquet"))})`
        )
      ).getRowObjectsJS() as Array<Record<string, unknown>>
      const gr = db.prepare(
        `INSERT INTO game_results (step, agent_id, match_id, member, status, payoff, details) VALUES (@step, @agent_id, @match_id, @member, @status, @payoff, @details)`
      )
      db.transaction(() => {
        for (const r of results) gr.run(r)
      })()
    }
    return db
  } catch (e) {
    db.close()
    throw e
  } finally {
    con.closeSync()
    duck.closeSync()
  }
}
