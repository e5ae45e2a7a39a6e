import { Effect } from "effect"
import { openDatabase, type RunDb } from "./RunStore.js"

/**
 * One backend's part of a run that several backends answered. Backend b's agents are stored with ids
 * `first … first + count − 1` (src/config/RunSpec.ts, `agentRangeOf`); a scoped connection shows only them.
 *
 * SQLite resolves an unqualified table name in the `temp` schema before `main`, so temporary views named like
 * the run's agent-level tables (`agents`, `units`, `answers`, `matches`, `moves`, `game_results`), each the
 * `main` table restricted to the range, make every typed read in reads.ts (and everything built on them: the
 * engine's pending work, the analysis) see one backend's agents without a line of it changing. Views live in
 * the connection only: nothing is written to the file. The connection is for reading (the run's single
 * writer keeps its own), and counters in `step_totals` stay the whole run's.
 */
export interface AgentRange {
  readonly first: number
  readonly count: number
}

const int = (x: number) => {
  if (!Number.isSafeInteger(x) || x < 0) throw new Error(`agent range: ${x} is not an agent id`)
  return x
}

/** Restricts an open connection's view of the agent-level tables to `range` (see above). */
export const scopeToAgents = (db: RunDb, range: AgentRange): RunDb => {
  const lo = int(range.first)
  const hi = int(range.first + range.count - 1)
  const within = (column: string) => `${column} BETWEEN ${lo} AND ${hi}`
  db.exec(`
    CREATE TEMP VIEW agents AS SELECT * FROM main.agents WHERE ${within("agent_id")};
    CREATE TEMP VIEW units AS SELECT * FROM main.units WHERE ${within("agent_id")};
    CREATE TEMP VIEW answers AS SELECT * FROM main.answers WHERE ${within("agent_id")};
    CREATE TEMP VIEW moves AS SELECT * FROM main.moves WHERE ${within("agent_id")};
    CREATE TEMP VIEW game_results AS SELECT * FROM main.game_results WHERE ${within("agent_id")};
    CREATE TEMP VIEW matches AS SELECT * FROM main.matches WHERE ${within("json_extract(members, '$[0]')")};`)
  return db
}

const SCOPED_TABLES = ["agents", "units", "answers", "moves", "game_results", "matches"]

/** Ends `scopeToAgents` on a connection: every table shows the whole run again. */
export const unscope = (db: RunDb): void => {
  for (const t of SCOPED_TABLES) db.exec(`DROP VIEW IF EXISTS temp.${t}`)
}

/** Runs `f` with the connection scoped to `range`, and unscoped afterwards whatever happens. */
export const withinAgents = <A>(db: RunDb, range: AgentRange, f: () => A): A => {
  scopeToAgents(db, range)
  try {
    return f()
  } finally {
    unscope(db)
  }
}

/** A second connection to a run store showing only `range`'s agents (closed by the caller). */
export const openScoped = (file: string, range: AgentRange, options: { readonly readonly?: boolean } = {}) =>
  Effect.map(openDatabase(file, { mustExist: true, readonly: options.readonly ?? false }), (db) => {
    try {
      return scopeToAgents(db, range)
    } catch (e) {
      db.close()
      throw e
    }
  })
