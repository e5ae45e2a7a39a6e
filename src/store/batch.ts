import { requestInserter, type RequestRow, type RunDb } from "./RunStore.js"

/**
 * The batch path's records in the run store (created on first use, so a run that never sees a batch keeps the
 * plain schema):
 * - `batch_requests`: one row per request written to a batch input file, keyed by its `custom_id` (the
 *   engine's request key), with the engine's body (what `requests.body` holds once answered), the chat body of
 *   the input line, the shard file it went into, and its state: `pending` (written, no answer read yet),
 *   `answered` (its answer is in `requests`) or `failed` (its output line carried an error, kept in `error`).
 * - `batch_files`: one row per shard file, with what `batch submit` and `batch status` did remotely. Each remote
 *   call is recorded as begun before it is made (`upload_state` / `batch_state` = `uploading` / `creating`) and
 *   as done after it returns, so a re-run knows which calls may have happened and checks them before repeating.
 */
const BATCH_SCHEMA = `
  CREATE TABLE IF NOT EXISTS batch_requests (custom_id TEXT PRIMARY KEY, body TEXT NOT NULL, line TEXT NOT NULL,
    file TEXT NOT NULL, state TEXT NOT NULL, error TEXT) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS batch_files (file TEXT PRIMARY KEY, wave INTEGER NOT NULL, requests INTEGER NOT NULL,
    bytes INTEGER NOT NULL, upload_state TEXT, file_id TEXT, batch_state TEXT, batch_id TEXT, status TEXT,
    output_file_id TEXT, error_file_id TEXT, ingested INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;`

export const ensureBatchTables = (db: RunDb): void => {
  db.exec(BATCH_SCHEMA)
}

/** True once a batch was prepared for the run (readers then find its tables; they never create them). */
const hasBatchTables = (db: RunDb): boolean =>
  db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'batch_files'`).pluck().get() === 1

/** One request of a shard file as recorded. */
export interface BatchRequestRecord {
  readonly customId: string
  /** The engine's request body (`requests.body`). */
  readonly body: string
  /** The chat-completion body written on the input line (JSON). */
  readonly line: string
}

export interface ShardRecord {
  readonly file: string
  readonly wave: number
  readonly bytes: number
  readonly requests: ReadonlyArray<BatchRequestRecord>
}

/** The wave a new `batch prepare` of this run writes (1 for the first). */
export const nextBatchWave = (db: RunDb): number => {
  if (!hasBatchTables(db)) return 1
  return (db.prepare(`SELECT coalesce(max(wave), 0) + 1 FROM batch_files`).pluck().get() as number)
}

/**
 * Records written shard files and their requests in one transaction. A request written again (its earlier line
 * failed, or its file was never answered) moves to the new file and is pending again; an answered one stays.
 */
export const recordShards = (db: RunDb, shards: ReadonlyArray<ShardRecord>): void => {
  ensureBatchTables(db)
  const file = db.prepare(`INSERT OR REPLACE INTO batch_files (file, wave, requests, bytes) VALUES (?, ?, ?, ?)`)
  const req = db.prepare(
    `INSERT INTO batch_requests (custom_id, body, line, file, state, error) VALUES (?, ?, ?, ?, 'pending', NULL)
     ON CONFLICT (custom_id) DO UPDATE SET file = excluded.file, state = 'pending', error = NULL WHERE state != 'answered'`
  )
  db.transaction(() => {
    for (const s of shards) {
      file.run(s.file, s.wave, s.requests.length, s.bytes)
      for (const r of s.requests) req.run(r.customId, r.body, r.line, s.file)
    }
  })()
}

export interface BatchRequestState {
  readonly body: string
  readonly state: "pending" | "answered" | "failed"
  readonly error: string | null
}

/** A lookup of recorded batch requests by custom_id. */
export const batchRequestLookup = (db: RunDb): ((customId: string) => BatchRequestState | undefined) => {
  if (!hasBatchTables(db)) return () => undefined
  const stmt = db.prepare(`SELECT body, state, error FROM batch_requests WHERE custom_id = ?`)
  return (customId) => stmt.get(customId) as BatchRequestState | undefined
}

/**
 * Stores the answers and failures read from batch output lines, in one transaction. An answer is stored as the
 * engine stores a response it received (`requests`); a failure never overwrites an answer (a later batch may
 * have answered what an earlier one failed). Returns how many answers were new.
 */
export const storeBatchResults = (
  db: RunDb,
  answered: ReadonlyArray<{ readonly customId: string; readonly row: RequestRow }>,
  failed: ReadonlyArray<{ readonly customId: string; readonly error: string }>
): number => {
  ensureBatchTables(db)
  const insert = requestInserter(db)
  const answer = db.prepare(`UPDATE batch_requests SET state = 'answered', error = NULL WHERE custom_id = ?`)
  const fail = db.prepare(`UPDATE batch_requests SET state = 'failed', error = ? WHERE custom_id = ? AND state != 'answered'`)
  return db.transaction(() => {
    let added = 0
    for (const { customId, row: r } of answered) {
      added += insert(r).changes
      answer.run(customId)
    }
    for (const f of failed) fail.run(f.error, f.customId)
    return added
  })()
}

/** The answer already stored for a request (its text and top logprobs as stored), to compare a new line with. */
export const storedAnswerLookup = (
  db: RunDb
): ((key: string) => { readonly at: string; readonly text: string; readonly top: string | null } | undefined) => {
  const stmt = db.prepare(`SELECT text, top_logprobs AS top FROM requests WHERE key = ?`)
  return (key) => {
    const r = stmt.get(key) as { text: string; top: string | null } | undefined
    return r === undefined ? undefined : { at: "by the answer an earlier ingest stored", text: r.text, top: r.top }
  }
}

/**
 * Marks the requests of a shard file that are still pending as failed with `error` (its batch ended without
 * answering them: expired, cancelled or failed). Answers ingested afterwards still count.
 */
export const failPendingOf = (db: RunDb, file: string, error: string): number =>
  db.prepare(`UPDATE batch_requests SET state = 'failed', error = ? WHERE file = ? AND state = 'pending'`).run(error, file).changes

/** How many of each shard file's requests have no answer yet (pending or failed); a file with none is absent. */
export const unansweredByFile = (db: RunDb): Map<string, number> => {
  if (!hasBatchTables(db)) return new Map()
  const rows = db.prepare(`SELECT file, count(*) AS n FROM batch_requests WHERE state != 'answered' GROUP BY file`).all() as Array<{ file: string; n: number }>
  return new Map(rows.map((r) => [r.file, r.n]))
}

/** A shard file and what was done with it remotely. */
export interface BatchFileRow {
  readonly file: string
  readonly wave: number
  readonly requests: number
  readonly bytes: number
  readonly uploadState: "uploading" | "uploaded" | null
  readonly fileId: string | null
  readonly batchState: "creating" | "created" | null
  readonly batchId: string | null
  readonly status: string | null
  readonly outputFileId: string | null
  readonly errorFileId: string | null
  readonly ingested: boolean
}

export const readBatchFiles = (db: RunDb): Array<BatchFileRow> => {
  if (!hasBatchTables(db)) return []
  return (
    db
      .prepare(
        `SELECT file, wave, requests, bytes, upload_state AS uploadState, file_id AS fileId, batch_state AS batchState,
           batch_id AS batchId, status, output_file_id AS outputFileId, error_file_id AS errorFileId, ingested
         FROM batch_files ORDER BY wave, file`
      )
      .all() as Array<Omit<BatchFileRow, "ingested"> & { ingested: number }>
  ).map((r) => ({ ...r, ingested: r.ingested === 1 }))
}

/** The remote progress of one shard file, as far as it is known. */
export type BatchFileUpdate = Partial<Pick<BatchFileRow, "uploadState" | "fileId" | "batchState" | "batchId" | "status" | "outputFileId" | "errorFileId" | "ingested">>

const COLUMN: Record<keyof BatchFileUpdate, string> = {
  uploadState: "upload_state",
  fileId: "file_id",
  batchState: "batch_state",
  batchId: "batch_id",
  status: "status",
  outputFileId: "output_file_id",
  errorFileId: "error_file_id",
  ingested: "ingested"
}

/** Records what was done remotely with a shard file (committed at once: the record must survive a crash). */
export const updateBatchFile = (db: RunDb, file: string, update: BatchFileUpdate): void => {
  const keys = Object.keys(update) as Array<keyof BatchFileUpdate>
  if (keys.length === 0) return
  const values = keys.map((k) => {
    const v = update[k]
    return typeof v === "boolean" ? (v ? 1 : 0) : (v ?? null)
  })
  db.prepare(`UPDATE batch_files SET ${keys.map((k) => `${COLUMN[k]} = ?`).join(", ")} WHERE file = ?`).run(...values, file)
}
