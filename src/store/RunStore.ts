import Sqlite from "better-sqlite3"
import { Data, Effect } from "effect"
import type { ItemAnswer } from "../domain/answers.js"

export class DatabaseError extends Data.TaggedError("DatabaseError")<{ readonly file: string; readonly cause: unknown }> {
  override get message(): string {
    return `run store ${this.file}: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

export const SCHEMA_VERSION = 2

/**
 * The run store schema. One file per run, WAL journal. Units are (step, agent); an agent's answers for a step
 * and its unit state are written in one transaction, so a unit is either wholly present or pending.
 * Answers that came from a model request point at it (`request_key`); the request row holds the raw text,
 * top logprobs, tokens, latency and attempts. Every answer carries the distribution it was drawn from
 * (`dist`, canonical option order) when one was known; answers computed without a request (the synthetic
 * backend) also carry their own `raw`.
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE conditions (condition_idx INTEGER PRIMARY KEY, condition TEXT NOT NULL, value_code TEXT, system_prompt TEXT);
   CREATE TABLE agents (agent_id INTEGER PRIMARY KEY, condition_idx INTEGER NOT NULL);
   CREATE TABLE items (step INTEGER NOT NULL, item_idx INTEGER NOT NULL, item_id TEXT NOT NULL, subscale TEXT NOT NULL,
     reverse INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (step, item_idx)) WITHOUT ROWID;
   CREATE TABLE units (step INTEGER NOT NULL, agent_id INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
     PRIMARY KEY (step, agent_id)) WITHOUT ROWID;
   CREATE TABLE answers (step INTEGER NOT NULL, agent_id INTEGER NOT NULL, item_idx INTEGER NOT NULL, value INTEGER,
     scoring TEXT NOT NULL, request_key TEXT, dist TEXT, raw TEXT, attempts INTEGER NOT NULL, error TEXT,
     PRIMARY KEY (step, agent_id, item_idx)) WITHOUT ROWID;
   CREATE TABLE requests (key TEXT PRIMARY KEY, body TEXT NOT NULL, text TEXT, top_logprobs TEXT,
     prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, latency_ms REAL NOT NULL, attempts INTEGER NOT NULL);
   CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);`,
  // v2: interactive games. A match (pair or group) is the unit of work of a game step; its moves and the
  // members' results are written in one transaction with the members' units, so a match is wholly present
  // or pending.
  `CREATE TABLE matches (step INTEGER NOT NULL, match_id INTEGER NOT NULL, members TEXT NOT NULL, state TEXT NOT NULL,
     outcome TEXT, PRIMARY KEY (step, match_id)) WITHOUT ROWID;
   CREATE TABLE moves (step INTEGER NOT NULL, match_id INTEGER NOT NULL, seq INTEGER NOT NULL, round INTEGER NOT NULL,
     agent_id INTEGER NOT NULL, member INTEGER NOT NULL, role TEXT NOT NULL, decision TEXT NOT NULL, value INTEGER,
     label TEXT, scoring TEXT NOT NULL, request_key TEXT, dist TEXT, raw TEXT, attempts INTEGER NOT NULL, error TEXT,
     PRIMARY KEY (step, match_id, seq)) WITHOUT ROWID;
   CREATE TABLE game_results (step INTEGER NOT NULL, agent_id INTEGER NOT NULL, match_id INTEGER, member INTEGER,
     status TEXT NOT NULL, payoff REAL, details TEXT, PRIMARY KEY (step, agent_id)) WITHOUT ROWID;`
]

export interface RequestRow {
  readonly key: string
  readonly body: string
  readonly text: string | null
  readonly topLogprobs: string | null
  readonly promptTokens: number
  readonly completionTokens: number
  readonly latencyMs: number
  readonly attempts: number
}

export interface UnitResult {
  readonly step: number
  readonly agentId: number
  readonly failed: boolean
  readonly answers: ReadonlyArray<ItemAnswer>
}

/**
 * Finished units of the synthetic backend in columnar form (no object per answer: a million-agent run makes
 * 40 million of them). Agent a's answer to item i is `values[a·items + i]`, drawn from
 * `dists[(a·items + i)·k …+k]`.
 */
export interface CompactUnits {
  readonly _tag: "CompactUnits"
  readonly step: number
  readonly scoring: string
  readonly items: number
  readonly k: number
  readonly agentIds: ReadonlyArray<number>
  readonly values: ArrayLike<number>
  readonly dists: ArrayLike<number>
  /** The option token said, per answer (sample scoring), or null. */
  readonly raws: ReadonlyArray<string> | null
}

/** One move of a game as logged. */
export interface MoveRow {
  readonly round: number
  readonly agentId: number
  readonly member: number
  readonly role: string
  readonly decision: string
  readonly value: number | null
  readonly label: string | null
  readonly scoring: string
  readonly requestKey: string | null
  readonly dist: ReadonlyArray<number> | null
  readonly raw: string | null
  readonly attempts: number
  readonly error: string | null
}

/** A finished match: its moves, each member's result, and whether a request failed (then it stays resumable). */
export interface MatchResult {
  readonly _tag: "Match"
  readonly step: number
  readonly matchId: number
  readonly members: ReadonlyArray<number>
  /** A request failed for good: the match is marked failed and replayed by `resume` (moves are not kept). */
  readonly failed: boolean
  readonly moves: ReadonlyArray<MoveRow>
  readonly outcome: unknown
  /** Per member: status (complete | void), total payoff and game-specific details. */
  readonly results: ReadonlyArray<{ readonly status: string; readonly payoff: number | null; readonly details: unknown }>
}

export type WriteOp =
  | { readonly _tag: "Request"; readonly row: RequestRow }
  | MatchResult
  | { readonly _tag: "Units"; readonly units: ReadonlyArray<UnitResult> }
  | CompactUnits

/** Distribution as stored: probabilities rounded to 6 decimals, comma-separated, lowest option first. */
export const formatDist = (d: ArrayLike<number>, from = 0, k = d.length): string => {
  let s = ""
  for (let j = 0; j < k; j++) s += (j === 0 ? "" : ",") + Math.round(d[from + j]! * 1e6) / 1e6
  return s
}

/** Opens (creating if needed) a run database with WAL and the schema applied. Synchronous: called at the edges. */
export const openDatabase = (file: string, options: { readonly mustExist?: boolean } = {}) =>
  Effect.try({
    try: () => {
      const db = new Sqlite(file, { fileMustExist: options.mustExist ?? false })
      db.pragma("journal_mode = WAL")
      db.pragma("synchronous = NORMAL")
      db.pragma("busy_timeout = 5000")
      // A larger page cache keeps the answers B-tree's upper levels in memory during bulk inserts (+25 %).
      db.pragma("cache_size = -65536")
      const version = db.pragma("user_version", { simple: true }) as number
      for (let v = version; v < MIGRATIONS.length; v++) {
        db.exec(MIGRATIONS[v]!)
        db.pragma(`user_version = ${v + 1}`)
      }
      return db
    },
    catch: (cause) => new DatabaseError({ file, cause })
  })

/** Prepared statements and the batch transaction used by the single writer. */
export const makeStatements = (db: Sqlite.Database) => {
  const insertRequest = db.prepare(
    `INSERT OR IGNORE INTO requests (key, body, text, top_logprobs, prompt_tokens, completion_tokens, latency_ms, attempts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const insertAnswer = db.prepare(
    `INSERT OR REPLACE INTO answers (step, agent_id, item_idx, value, scoring, request_key, dist, raw, attempts, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const setUnit = db.prepare(`UPDATE units SET state = ?, attempts = attempts + 1 WHERE step = ? AND agent_id = ?`)
  const insertMove = db.prepare(
    `INSERT OR REPLACE INTO moves (step, match_id, seq, round, agent_id, member, role, decision, value, label, scoring, request_key, dist, raw, attempts, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const setMatch = db.prepare(`UPDATE matches SET state = ?, outcome = ? WHERE step = ? AND match_id = ?`)
  const insertResult = db.prepare(
    `INSERT OR REPLACE INTO game_results (step, agent_id, match_id, member, status, payoff, details) VALUES (?, ?, ?, ?, ?, ?, ?)`
  )
  const writeBatch = db.transaction((ops: ReadonlyArray<WriteOp>) => {
    let answers = 0
    for (const op of ops) {
      if (op._tag === "Request") {
        const r = op.row
        insertRequest.run(r.key, r.body, r.text, r.topLogprobs, r.promptTokens, r.completionTokens, r.latencyMs, r.attempts)
        continue
      }
      if (op._tag === "Match") {
        const { matchId, members, step } = op
        if (!op.failed) {
          op.moves.forEach((m, seq) => {
            insertMove.run(
              step, matchId, seq, m.round, m.agentId, m.member, m.role, m.decision, m.value, m.label, m.scoring,
              m.requestKey, m.dist === null ? null : formatDist(m.dist), m.requestKey === null ? m.raw : null, m.attempts, m.error
            )
          })
          op.results.forEach((r, member) =>
            insertResult.run(step, members[member]!, matchId, member, r.status, r.payoff, JSON.stringify(r.details))
          )
          answers += op.moves.length
        }
        setMatch.run(op.failed ? "failed" : "done", op.failed ? null : JSON.stringify(op.outcome), step, matchId)
        for (const agentId of members) setUnit.run(op.failed ? "failed" : "done", step, agentId)
        continue
      }
      if (op._tag === "CompactUnits") {
        const { agentIds, dists, items, k, raws, scoring, step, values } = op
        for (let a = 0; a < agentIds.length; a++) {
          const agentId = agentIds[a]!
          for (let i = 0; i < items; i++) {
            const n = a * items + i
            insertAnswer.run(step, agentId, i, values[n]!, scoring, null, formatDist(dists, n * k, k), raws === null ? null : raws[n]!, 0, null)
          }
          setUnit.run("done", step, agentId)
          answers += items
        }
        continue
      }
      for (const u of op.units) {
        u.answers.forEach((a, idx) => {
          insertAnswer.run(
            u.step,
            u.agentId,
            idx,
            a.value,
            a.scoring,
            a.requestKey,
            a.dist === null ? null : formatDist(a.dist),
            a.requestKey === null ? a.raw : null,
            a.attempts,
            a.error
          )
          answers++
        })
        setUnit.run(u.failed ? "failed" : "done", u.step, u.agentId)
      }
    }
    return answers
  })
  return { writeBatch }
}

export const getManifest = (db: Sqlite.Database): Record<string, unknown> => {
  const rows = db.prepare(`SELECT key, value FROM manifest`).all() as Array<{ key: string; value: string }>
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]))
}

export const putManifest = (db: Sqlite.Database, entries: Record<string, unknown>) => {
  const stmt = db.prepare(`INSERT OR REPLACE INTO manifest (key, value) VALUES (?, ?)`)
  db.transaction(() => {
    for (const [k, v] of Object.entries(entries)) stmt.run(k, JSON.stringify(v))
  })()
}

export const logEvent = (db: Sqlite.Database, at: string, kind: string, detail: unknown) =>
  db.prepare(`INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)`).run(at, kind, JSON.stringify(detail))
