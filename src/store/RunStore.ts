import Sqlite from "better-sqlite3"
import { Data, Effect } from "effect"
import { SpecFileError } from "../config/SpecFileError.js"
import * as fs from "node:fs"
import * as path from "node:path"
import { checkStoreFile, DAMAGED_NEXT, nextFor, RunStoreError, storeErrorOf } from "./storeFault.js"
import { societyRoundInserter } from "./society.js"
import { requestColumns } from "./reads.js"
import { answerCounts, encodeAnswerRow, encodeDist, SCORING_MODES, sharedDistCode, type ScoringCode } from "./encoding.js"

export { formatDist } from "./encoding.js"

/** The run database handle. Only modules under src/store/ run SQL against it; everything else calls their typed functions. */
export type RunDb = Sqlite.Database

export class DatabaseError extends Data.TaggedError("DatabaseError")<{ readonly file: string; readonly cause: unknown }> {
  override get message(): string {
    return `run store ${this.file}: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/** Version 3: answers are stored one row per (step, agent) in compact binary columns (see `answers` below). */
export const SCHEMA_VERSION = 3

/**
 * The run store schema. One file per run, WAL journal. Units are (step, agent); an agent's answers for a step
 * and its unit state are written in one transaction, so a unit is either wholly present or pending.
 *
 * `answers` holds one row per finished (step, agent) with one entry per item in each column, in item order:
 * `vals` int16 little-endian (−32768: no value), `scoring` one byte (0 logprob, 1 sample, 2 synthetic), `dists` the
 * distribution the answer was drawn from when the answer computed it itself (the synthetic respondent): k
 * probabilities × 3 bytes, round(p·10⁶) (0xFFFFFF first: none), `request_ids` uint32 (0: no request),
 * `attempts` one byte, `raws` and `errors` JSON arrays. Columns whose entries are all empty are NULL.
 * A model request is stored once in `requests`, with the distribution its top logprobs gave over the options
 * (`dist`, same 3-byte encoding), however many agents drew from it, and the option mass its first token's top
 * logprobs carried before renormalising (`mass`; NULL where none was measured), why the reply ended
 * (`finish_reason` as the server said: `stop`, `length`, …) and whether the model was seen thinking (`thinking`:
 * 1 when reasoning tokens, a reasoning field or a `<think>` block came back, 0 when none did; NULL where not known).
 * `mass`, `finish_reason` and `thinking` were added to version 3 after its first stores were written: opening
 * such a store to write adds them, readers read NULL without them. `step_totals` are the writer's counters,
 * kept in the same transactions as the rows they count.
 */
const SCHEMA = `
  CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE conditions (condition_idx INTEGER PRIMARY KEY, condition TEXT NOT NULL, value_code TEXT, system_prompt TEXT);
  CREATE TABLE agents (agent_id INTEGER PRIMARY KEY, condition_idx INTEGER NOT NULL);
  CREATE TABLE items (step INTEGER NOT NULL, item_idx INTEGER NOT NULL, item_id TEXT NOT NULL, subscale TEXT NOT NULL,
    reverse INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (step, item_idx)) WITHOUT ROWID;
  CREATE TABLE units (step INTEGER NOT NULL, agent_id INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
    PRIMARY KEY (step, agent_id)) WITHOUT ROWID;
  CREATE TABLE answers (step INTEGER NOT NULL, agent_id INTEGER NOT NULL, vals BLOB NOT NULL, scoring BLOB NOT NULL,
    dists BLOB, request_ids BLOB, attempts BLOB, raws TEXT, errors TEXT, PRIMARY KEY (step, agent_id)) WITHOUT ROWID;
  CREATE TABLE requests (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL, text TEXT, top_logprobs TEXT,
    dist BLOB, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, latency_ms REAL NOT NULL, attempts INTEGER NOT NULL,
    mass REAL, finish_reason TEXT, thinking INTEGER);
  CREATE TABLE step_totals (step INTEGER PRIMARY KEY, units_pending INTEGER NOT NULL, units_done INTEGER NOT NULL,
    units_failed INTEGER NOT NULL, answers INTEGER NOT NULL, failed INTEGER NOT NULL, missing INTEGER NOT NULL,
    degraded INTEGER NOT NULL);
  CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
  CREATE TABLE matches (step INTEGER NOT NULL, match_id INTEGER NOT NULL, members TEXT NOT NULL, state TEXT NOT NULL,
    outcome TEXT, PRIMARY KEY (step, match_id)) WITHOUT ROWID;
  CREATE TABLE moves (step INTEGER NOT NULL, match_id INTEGER NOT NULL, seq INTEGER NOT NULL, round INTEGER NOT NULL,
    agent_id INTEGER NOT NULL, member INTEGER NOT NULL, role TEXT NOT NULL, decision TEXT NOT NULL, value INTEGER,
    label TEXT, scoring TEXT NOT NULL, request_key TEXT, dist TEXT, raw TEXT, attempts INTEGER NOT NULL, error TEXT,
    PRIMARY KEY (step, match_id, seq)) WITHOUT ROWID;
  CREATE TABLE game_results (step INTEGER NOT NULL, agent_id INTEGER NOT NULL, match_id INTEGER, member INTEGER,
    status TEXT NOT NULL, payoff REAL, details TEXT, PRIMARY KEY (step, agent_id)) WITHOUT ROWID;`

/**
 * The arm of every step that is one arm of an experiment (issue 24): answers, moves and game results carry their
 * arm through their step. Added to schema version 3 without a version change: created by the plan of a run
 * with arms, and absent from stores made before or without arms (readers treat that as no arms).
 */
export const createStepArms = (db: RunDb): void => {
  db.exec(`CREATE TABLE IF NOT EXISTS step_arms (step INTEGER PRIMARY KEY, arm TEXT NOT NULL, experiment TEXT NOT NULL)`)
}

export interface RequestRow {
  readonly key: string
  readonly body: string
  readonly text: string | null
  readonly topLogprobs: string | null
  readonly promptTokens: number
  readonly completionTokens: number
  readonly latencyMs: number
  readonly attempts: number
  /** The server's finish_reason (`stop`, `length`, …), when it gave one. */
  readonly finishReason?: string | null
  /** Reasoning was seen in the reply (true), looked for and not seen (false), or not known (null). */
  readonly thinking?: boolean | null
}

/**
 * Finished units of a questionnaire step in columnar form, for every backend (no object per answer: a
 * million-agent run makes 40 million of them). Agent a's answer to item i is entry `a·items + i` of each
 * per-answer column; its distribution is `dists[(a·items + i)·k …+k]`.
 */
export interface AnswerPage {
  readonly _tag: "AnswerPage"
  readonly step: number
  readonly items: number
  /** Options of the step's scale. */
  readonly k: number
  readonly agentIds: ArrayLike<number>
  /** Per agent: 1 when a request of its unit failed for good (resume redoes the unit); null when none did. */
  readonly failed: Uint8Array | null
  /** Per agent: 1 when its unit had failed before and is being redone; null when none had. */
  readonly redo: Uint8Array | null
  /** Per answer: the canonical scale value, NaN when there is none. */
  readonly values: Float64Array
  /** Per answer: 0 logprob, 1 sample, 2 synthetic (`SCORING_MODES`). */
  readonly scoring: Uint8Array
  /** Per answer: k probabilities (canonical order) it was drawn from; NaN in the first entry when none. Null: none at all. */
  readonly dists: Float64Array | null
  /** Per answer: the key of the (possibly shared) request it came from, or null. Null: no requests. */
  readonly requestKeys: ReadonlyArray<string | null> | null
  /** Per answer: asks it took (0 without a request). Null: all 0. */
  readonly attempts: Uint8Array | null
  /** Per answer: the text said, for answers without a request (the synthetic option token). Null: none. */
  readonly raws: ReadonlyArray<string | null> | null
  /** Per answer: why it has no value (a failed request, an unreadable reply). Null: no errors. */
  readonly errors: ReadonlyArray<string | null> | null
  /**
   * Per answer: the option mass the first-token logprobs of its condition × item carried before renormalising
   * (NaN: none measured). Stored on the answer's request. Absent or null: none.
   */
  readonly masses?: Float64Array | null
  /** Answers (of this page) that were degraded responses answered by a fallback sampled request. */
  readonly degraded?: number
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
  /**
   * The option mass the logprobs of the move's shared request carried before renormalising (null or absent: none
   * measured); stored on the request (`requests.mass`), as a questionnaire answer's.
   */
  readonly mass?: number | null
  /** No shared method gave a usable distribution, so this agent asked on its own (counted as degraded). */
  readonly fellBack?: boolean
}

/** A finished match: its moves, each member's result, and whether a request failed (then it stays resumable). */
export interface MatchResult {
  readonly _tag: "Match"
  readonly step: number
  readonly matchId: number
  readonly members: ReadonlyArray<number>
  /** The match had failed before and is replayed (its members' units were `failed`). */
  readonly redo: boolean
  /** A request failed for good: the match is marked failed and replayed by `resume` (moves are not kept). */
  readonly failed: boolean
  readonly moves: ReadonlyArray<MoveRow>
  readonly outcome: unknown
  /** Per member: status (complete | void), total payoff and game-specific details. */
  readonly results: ReadonlyArray<{ readonly status: string; readonly payoff: number | null; readonly details: unknown }>
}

/**
 * A finished (or failed) round of a society step: every agent's action and the round's statistics. Its unit is
 * the round; `decisions` are the answers it adds (agents asked this round).
 */
export interface SocietyRoundOp {
  readonly _tag: "SocietyRound"
  readonly step: number
  readonly round: number
  /** The round had failed before and is done again. */
  readonly redo: boolean
  /** A request failed for good: the round is counted failed and `resume` plays it again (nothing else is kept). */
  readonly failed: boolean
  readonly actions: Uint8Array
  readonly decisions: number
  readonly stats: string
  readonly asked: string | null
  /** The option mass of each shared request the round drew from (request key, mass), stored on the request. */
  readonly masses?: ReadonlyArray<readonly [string, number]>
  /** Decisions whose shared question got no usable distribution, so the agent asked on its own. */
  readonly degraded?: number
}

export type WriteOp = { readonly _tag: "Request"; readonly row: RequestRow } | MatchResult | AnswerPage | SocietyRoundOp

/** What a batch changed, for the writer's in-memory counters. */
export interface BatchCounts {
  answers: number
  failed: number
  missing: number
  degraded: number
  unitsDone: number
  unitsFailed: number
}

const storeVersionProblem = (found: number) =>
  `run store version ${found}: this valuesim reads version ${SCHEMA_VERSION} stores only (answers are stored compactly since version 3). ` +
  `Finish, export or report this run with the valuesim release that made it (its version is in the manifest), or start the run again.`

/**
 * Opens (creating if needed) a run database with WAL and the schema applied. A store of another schema
 * version is refused with one message (exit code 2): stores are not migrated. With `mustExist` (every command
 * that reads a run) the store is checked before anything can change it: an empty file, a file that is not an
 * SQLite database, one without a run's schema, or one failing SQLite's structural check (`quick_check`) is a
 * damaged store (RunStoreError, exit 3) and is never written; with `writes` (resume) a store or folder that
 * cannot be written is refused too (exit 4). Synchronous: called at the edges.
 */
export const openDatabase = (
  file: string,
  options: { readonly mustExist?: boolean; readonly readonly?: boolean; readonly writes?: boolean } = {}
) =>
  Effect.gen(function* () {
    const mustExist = options.mustExist ?? false
    if (mustExist) {
      const problem = checkStoreFile(file, options.writes === true && options.readonly !== true)
      if (problem !== null) return yield* problem
    }
    const fault = (cause: unknown) =>
      storeErrorOf(path.dirname(file), cause) ?? (mustExist ? unwritableFolder(file, cause) : null) ?? new DatabaseError({ file, cause })
    const opened = yield* Effect.try({
      try: () => {
        const d = new Sqlite(file, { fileMustExist: mustExist, readonly: options.readonly ?? false })
        try {
          // Checked before anything (even the journal mode) changes the file.
          const version = d.pragma("user_version", { simple: true }) as number
          if (mustExist && version === SCHEMA_VERSION) {
            const check = d.pragma("quick_check(1)", { simple: true })
            if (check !== "ok") {
              const first = String(check).replace(/^\*\*\* in database \w+ \*\*\*\n/, "").split("\n")[0]
              throw Object.assign(new Error(`SQLite's check found: ${first}`), { code: "SQLITE_CORRUPT" })
            }
          }
          return { d, version }
        } catch (e) {
          d.close()
          throw e
        }
      },
      catch: fault
    })
    const { d: db, version } = opened
    if (mustExist && version === 0) {
      db.close()
      return yield* new RunStoreError({ runDir: path.dirname(file), fault: "damaged", detail: "it holds no run: no schema", next: DAMAGED_NEXT })
    }
    if (version !== 0 && version !== SCHEMA_VERSION) {
      db.close()
      return yield* new SpecFileError({ file, problems: [storeVersionProblem(version)] })
    }
    yield* Effect.try({
      try: () => {
        if (options.readonly !== true) {
          // Answer rows are ~0.9 kB (40 items): 16 kB pages fill to ~97 % where 4 kB pages filled to ~84 %.
          // Only takes effect on a new, empty file (before the journal mode is set).
          if (version === 0) db.pragma("page_size = 16384")
          db.pragma("journal_mode = WAL")
          db.pragma("synchronous = NORMAL")
        }
        db.pragma("busy_timeout = 5000")
        // A larger page cache keeps the B-trees' upper levels in memory during bulk inserts.
        db.pragma("cache_size = -65536")
        if (version === 0 && options.readonly !== true) {
          db.transaction(() => {
            db.exec(SCHEMA)
            db.pragma(`user_version = ${SCHEMA_VERSION}`)
          })()
        } else if (options.readonly !== true) {
          // Columns added to version 3 after its first stores were written (readers take NULL without them).
          const have = requestColumns(db)
          for (const [name, type] of ADDED_REQUEST_COLUMNS) if (!have.includes(name)) db.exec(`ALTER TABLE requests ADD COLUMN ${name} ${type}`)
        }
      },
      catch: (cause) => {
        db.close()
        return fault(cause)
      }
    })
    return db
  })

/**
 * SQLite cannot open a WAL store whose folder it may not write (it keeps its shared-memory index there): a
 * read-only store (exit 4) rather than an unexplained "unable to open database file".
 */
const unwritableFolder = (file: string, cause: unknown): RunStoreError | null => {
  if ((cause as { code?: unknown } | null)?.code !== "SQLITE_CANTOPEN") return null
  try {
    fs.accessSync(path.dirname(file), fs.constants.W_OK)
    return null
  } catch (e) {
    return new RunStoreError({
      runDir: path.dirname(file),
      fault: "readonly",
      detail: `its folder: ${(e as NodeJS.ErrnoException).code ?? String(e)}; SQLite keeps its journal index next to run.sqlite`,
      next: nextFor("readonly")
    })
  }
}

/** Columns of `requests` added to version 3 after its first stores were written, with their types. */
const ADDED_REQUEST_COLUMNS: ReadonlyArray<readonly [string, string]> = [["mass", "REAL"], ["finish_reason", "TEXT"], ["thinking", "INTEGER"]]

/** Stores a request unless its key is stored already (the run's writer and batch ingestion both do). */
export const requestInserter = (db: RunDb) => {
  const stmt = db.prepare(
    `INSERT OR IGNORE INTO requests (key, body, text, top_logprobs, prompt_tokens, completion_tokens, latency_ms, attempts, finish_reason, thinking)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  return (r: RequestRow) => {
    const thinking = r.thinking === undefined || r.thinking === null ? null : r.thinking ? 1 : 0
    return stmt.run(r.key, r.body, r.text, r.topLogprobs, r.promptTokens, r.completionTokens, r.latencyMs, r.attempts, r.finishReason ?? null, thinking)
  }
}

/** Prepared statements and the batch transaction used by the single writer. */
export const makeStatements = (db: RunDb) => {
  const insertRequest = requestInserter(db)
  const requestIdOf = db.prepare(`SELECT id FROM requests WHERE key = ?`).pluck()
  const setRequestDist = db.prepare(`UPDATE requests SET dist = ? WHERE id = ? AND dist IS NULL`)
  const setRequestMass = db.prepare(`UPDATE requests SET mass = ? WHERE id = ? AND mass IS NULL`)
  const insertAnswers = db.prepare(
    `INSERT OR REPLACE INTO answers (step, agent_id, vals, scoring, dists, request_ids, attempts, raws, errors)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const oldAnswers = db.prepare(`SELECT vals, errors FROM answers WHERE step = ? AND agent_id = ?`)
  const setUnit = db.prepare(`UPDATE units SET state = ?, attempts = attempts + 1 WHERE step = ? AND agent_id = ?`)
  const insertMove = db.prepare(
    `INSERT OR REPLACE INTO moves (step, match_id, seq, round, agent_id, member, role, decision, value, label, scoring, request_key, dist, raw, attempts, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const setMatch = db.prepare(`UPDATE matches SET state = ?, outcome = ? WHERE step = ? AND match_id = ?`)
  const insertResult = db.prepare(
    `INSERT OR REPLACE INTO game_results (step, agent_id, match_id, member, status, payoff, details) VALUES (?, ?, ?, ?, ?, ?, ?)`
  )
  const addTotals = db.prepare(
    `UPDATE step_totals SET units_pending = units_pending + ?, units_done = units_done + ?, units_failed = units_failed + ?,
       answers = answers + ?, failed = failed + ?, missing = missing + ?, degraded = degraded + ? WHERE step = ?`
  )

  // Request ids by key: requests are written before the answers that cite them, usually in the same batch.
  const ids = new Map<string, number>()
  const withDist = new Set<number>()
  const remember = (key: string, id: number) => {
    if (ids.size >= 100_000) ids.clear()
    ids.set(key, id)
  }
  const idOf = (key: string): number => {
    const known = ids.get(key)
    if (known !== undefined) return known
    const id = requestIdOf.get(key) as number | undefined
    if (id === undefined) throw new Error(`an answer cites request ${key}, which is not stored`)
    remember(key, id)
    return id
  }

  // A move's or a society state's option mass, on its request (a request not stored is left alone).
  const massOfKey = (key: string, mass: number) => {
    const id = ids.get(key) ?? (requestIdOf.get(key) as number | undefined)
    if (id !== undefined && !Number.isNaN(mass)) setRequestMass.run(mass, id)
  }

  let insertRound: ReturnType<typeof societyRoundInserter> | null = null
  interface StepDelta { pending: number; done: number; failedUnits: number; answers: number; failed: number; missing: number; degraded: number }
  const writeBatch = db.transaction((ops: ReadonlyArray<WriteOp>): BatchCounts => {
    const counts: BatchCounts = { answers: 0, failed: 0, missing: 0, degraded: 0, unitsDone: 0, unitsFailed: 0 }
    const deltas = new Map<number, StepDelta>()
    const deltaOf = (step: number) => {
      let d = deltas.get(step)
      if (d === undefined) {
        d = { pending: 0, done: 0, failedUnits: 0, answers: 0, failed: 0, missing: 0, degraded: 0 }
        deltas.set(step, d)
      }
      return d
    }
    const unitMoved = (d: StepDelta, redo: boolean, failed: boolean) => {
      if (redo) d.failedUnits--
      else d.pending--
      if (failed) {
        d.failedUnits++
        counts.unitsFailed++
      } else {
        d.done++
        counts.unitsDone++
      }
    }
    for (const op of ops) {
      if (op._tag === "SocietyRound") {
        const d = deltaOf(op.step)
        if (!op.failed) {
          insertRound ??= societyRoundInserter(db)
          insertRound(op)
          for (const [key, mass] of op.masses ?? []) massOfKey(key, mass)
          d.answers += op.decisions
          d.degraded += op.degraded ?? 0
        }
        unitMoved(d, op.redo, op.failed)
        continue
      }
      if (op._tag === "Request") {
        const r = op.row
        const res = insertRequest(r)
        if (res.changes === 1) remember(r.key, Number(res.lastInsertRowid))
        continue
      }
      if (op._tag === "Match") {
        const { matchId, members, step } = op
        const d = deltaOf(step)
        if (!op.failed) {
          op.moves.forEach((m, seq) => {
            insertMove.run(
              step, matchId, seq, m.round, m.agentId, m.member, m.role, m.decision, m.value, m.label, m.scoring,
              m.requestKey, m.dist === null ? null : formatDistText(m.dist), m.requestKey === null ? m.raw : null, m.attempts, m.error
            )
            d.answers++
            if (m.error !== null) d.failed++
            if (m.value === null) d.missing++
            if (m.fellBack === true) d.degraded++
            if (m.requestKey !== null && m.mass !== undefined && m.mass !== null) massOfKey(m.requestKey, m.mass)
          })
          op.results.forEach((r, member) =>
            insertResult.run(step, members[member]!, matchId, member, r.status, r.payoff, JSON.stringify(r.details))
          )
        }
        setMatch.run(op.failed ? "failed" : "done", op.failed ? null : JSON.stringify(op.outcome), step, matchId)
        for (const agentId of members) {
          setUnit.run(op.failed ? "failed" : "done", step, agentId)
          unitMoved(d, op.redo, op.failed)
        }
        continue
      }
      const { step, items, k, agentIds, failed, redo } = op
      const d = deltaOf(step)
      const requestIds = op.requestKeys === null ? null : new Uint32Array(agentIds.length * items)
      if (op.requestKeys !== null) {
        for (let n = 0; n < op.requestKeys.length; n++) {
          const key = op.requestKeys[n]
          if (key === null || key === undefined) continue
          const id = idOf(key)
          requestIds![n] = id
          // The distribution of a shared request is stored once, on the request.
          if (sharedDistCode(op.scoring[n]!) && op.dists !== null && !Number.isNaN(op.dists[n * k]!) && !withDist.has(id)) {
            setRequestDist.run(encodeDist(op.dists, n * k, k), id)
            const mass = op.masses?.[n]
            if (mass !== undefined && !Number.isNaN(mass)) setRequestMass.run(mass, id)
            if (withDist.size >= 100_000) withDist.clear()
            withDist.add(id)
          }
        }
      }
      for (let a = 0; a < agentIds.length; a++) {
        const agentId = agentIds[a]!
        const again = redo !== null && redo[a] === 1
        if (again) {
          const old = oldAnswers.get(step, agentId) as { vals: Buffer; errors: string | null } | undefined
          if (old !== undefined) {
            const c = answerCounts(old.vals, old.errors)
            d.answers -= c.answers
            d.failed -= c.failed
            d.missing -= c.missing
          }
        }
        const row = encodeAnswerRow(op, a, requestIds)
        insertAnswers.run(step, agentId, row.vals, row.scoring, row.dists, row.requestIds, row.attempts, row.raws, row.errors)
        d.answers += items
        d.failed += row.failed
        d.missing += row.missing
        const unitFailed = failed !== null && failed[a] === 1
        setUnit.run(unitFailed ? "failed" : "done", step, agentId)
        unitMoved(d, again, unitFailed)
      }
      d.degraded += op.degraded ?? 0
    }
    for (const [step, x] of deltas) {
      addTotals.run(x.pending, x.done, x.failedUnits, x.answers, x.failed, x.missing, x.degraded, step)
      counts.answers += x.answers
      counts.failed += x.failed
      counts.missing += x.missing
      counts.degraded += x.degraded
    }
    return counts
  })
  return { writeBatch }
}

/** Game move distributions keep the text form: probabilities rounded to 6 decimals, comma-separated. */
const formatDistText = (d: ReadonlyArray<number>): string => d.map((p) => Math.round(p * 1e6) / 1e6).join(",")

export const scoringName = (code: number): string => SCORING_MODES[code as ScoringCode] ?? "sample"

export const getManifest = (db: RunDb): Record<string, unknown> => {
  const rows = db.prepare(`SELECT key, value FROM manifest`).all() as Array<{ key: string; value: string }>
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]))
}

export const putManifest = (db: RunDb, entries: Record<string, unknown>) => {
  const stmt = db.prepare(`INSERT OR REPLACE INTO manifest (key, value) VALUES (?, ?)`)
  db.transaction(() => {
    for (const [k, v] of Object.entries(entries)) stmt.run(k, JSON.stringify(v))
  })()
}

export const logEvent = (db: RunDb, at: string, kind: string, detail: unknown) =>
  db.prepare(`INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)`).run(at, kind, JSON.stringify(detail))
