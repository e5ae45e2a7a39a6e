import Sqlite from "better-sqlite3"
import { Data } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { escapeControl } from "../domain/printable.js"
import { faultOf, type StoreFault } from "./storeFault.js"

/**
 * The response cache shared by every run of a user (`<cache-dir>/responses.sqlite`): one row per distinct request
 * content, keyed by a hash of the endpoint's identity and the request body (model, parameters, messages). Only
 * responses that may be reused are put here (src/llm/responseCache.ts decides which). WAL and a busy timeout let
 * two runs read and write it at once.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, endpoint TEXT NOT NULL, model TEXT NOT NULL, text TEXT,
    top_logprobs TEXT, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created_ms INTEGER NOT NULL,
    used_ms INTEGER NOT NULL, hits INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS responses_used ON responses (used_ms);`

export const CACHE_FILE = "responses.sqlite"

export interface CachedResponse {
  /** The model the server said answered (its `model` field), when it said; null in entries from before it was kept. */
  readonly servedBy: string | null
  readonly text: string | null
  /** JSON of the first token's top logprobs, as the run store keeps them. */
  readonly topLogprobs: string | null
  readonly promptTokens: number
  readonly completionTokens: number
  /** The server's finish_reason, and whether the model was seen thinking (null: not known, or an entry from before they were kept). */
  readonly finishReason?: string | null
  readonly thinking?: boolean | null
}

export interface CacheGroup {
  readonly endpoint: string
  readonly model: string
  readonly entries: number
  readonly hits: number
}

export interface CacheStats {
  readonly file: string
  readonly entries: number
  /** Times an entry answered a request instead of the endpoint. */
  readonly hits: number
  /** Size of the database file and its WAL, in bytes. */
  readonly bytes: number
  readonly oldestUseMs: number | null
  readonly newestUseMs: number | null
  readonly groups: ReadonlyArray<CacheGroup>
}

export interface ResponseCacheDb {
  readonly file: string
  readonly lookup: (key: string) => CachedResponse | undefined
  /** Marks an entry as used now (for `prune --older-than`). */
  readonly touch: (key: string, nowMs: number) => void
  /** Stores (or replaces: a degraded or damaged entry is superseded by a fresh answer) the response to `key`. */
  readonly put: (key: string, endpoint: string, model: string, r: CachedResponse, nowMs: number) => void
  /** What `endpoint` last said about the model behind `model` (its `/models` entry, hashed), or null. */
  readonly lastServing: (endpoint: string, model: string) => string | null
  readonly noteServing: (endpoint: string, model: string, serving: string, nowMs: number) => void
  readonly close: () => void
}

/**
 * The response cache file cannot be used by `cache stats`, `cache prune` or `plan`: damaged (exit 3) or not
 * writable where it must be written (exit 4), as for a run store (README, "Exit codes"). A run instead goes on
 * without the cache after a warning (src/llm/responseCache.ts).
 */
export class CacheFileError extends Data.TaggedError("CacheFileError")<{
  readonly file: string
  readonly fault: StoreFault
  readonly detail: string
}> {
  override get message(): string {
    const file = escapeControl(this.file)
    const detail = escapeControl(this.detail)
    return this.fault === "damaged"
      ? `the response cache ${file} is damaged (${detail}); delete it (it only saves repeating requests) or give another --cache-dir`
      : this.fault === "readonly"
        ? `the response cache ${file} cannot be written (${detail}); nothing was removed`
        : `the response cache ${file} could not be written, no space left (${detail}); nothing was removed`
  }
}

/** `e` as a CacheFileError of `file` when it is a file fault (damaged, read-only, full); anything else is rethrown. */
const cacheFault = (file: string, e: unknown): CacheFileError => {
  const fault = faultOf(e)
  if (fault === null) throw e
  return new CacheFileError({ file, fault, detail: e instanceof Error ? e.message : String(e) })
}

const SERVING_SCHEMA = `
  CREATE TABLE IF NOT EXISTS serving (endpoint TEXT NOT NULL, model TEXT NOT NULL, serving TEXT NOT NULL, seen_ms INTEGER NOT NULL,
    PRIMARY KEY (endpoint, model)) WITHOUT ROWID;`

/** Adds what later versions keep to a cache made by an earlier one (a column the old rows leave null). */
const migrate = (db: Sqlite.Database) => {
  const columns = (db.prepare(`PRAGMA table_info(responses)`).all() as Array<{ name: string }>).map((c) => c.name)
  if (!columns.includes("served_by")) db.exec(`ALTER TABLE responses ADD COLUMN served_by TEXT`)
  if (!columns.includes("finish_reason")) db.exec(`ALTER TABLE responses ADD COLUMN finish_reason TEXT`)
  if (!columns.includes("thinking")) db.exec(`ALTER TABLE responses ADD COLUMN thinking INTEGER`)
  db.exec(SERVING_SCHEMA)
}

const open = (file: string, readonly: boolean): Sqlite.Database => {
  const db = new Sqlite(file, readonly ? { readonly: true, fileMustExist: true } : {})
  try {
    db.pragma("busy_timeout = 5000")
    if (!readonly) {
      db.pragma("journal_mode = WAL")
      db.pragma("synchronous = NORMAL")
      db.exec(SCHEMA)
      migrate(db)
    }
    return db
  } catch (e) {
    db.close()
    throw e
  }
}

/**
 * Whether SQLite may create files in the folder of `file` (a WAL database needs its `-shm` index beside it);
 * access() says no on a read-only mount even to root.
 */
const folderWritable = (file: string): boolean => {
  try {
    fs.accessSync(path.dirname(file), fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Runs `use` on the cache file opened read-only. SQLite cannot open a WAL database in a folder it may not write
 * (no room for its `-shm` index): then a copy of the file and its WAL in a temporary folder is read instead. A
 * damaged file is a CacheFileError.
 */
const reading = <A>(file: string, use: (db: Sqlite.Database) => A): A => {
  let copy: string | null = null
  let db: Sqlite.Database | null = null
  try {
    if (folderWritable(file)) db = open(file, true)
    else {
      copy = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-cache-read-"))
      const to = path.join(copy, CACHE_FILE)
      fs.copyFileSync(file, to)
      if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${to}-wal`)
      db = open(to, true)
    }
    return use(db)
  } catch (e) {
    throw cacheFault(file, e)
  } finally {
    db?.close()
    if (copy !== null) fs.rmSync(copy, { recursive: true, force: true })
  }
}

/** Opens (creating the folder and file when missing) the cache in `dir`. Throws what the driver throws. */
export const openResponseCache = (dir: string): ResponseCacheDb => {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, CACHE_FILE)
  const db = open(file, false)
  const get = db.prepare<
    [string],
    { served_by: string | null; text: string | null; top_logprobs: string | null; prompt_tokens: number; completion_tokens: number; finish_reason: string | null; thinking: number | null }
  >(`SELECT served_by, text, top_logprobs, prompt_tokens, completion_tokens, finish_reason, thinking FROM responses WHERE key = ?`)
  const touch = db.prepare(`UPDATE responses SET used_ms = ?, hits = hits + 1 WHERE key = ?`)
  const insert = db.prepare(
    `INSERT OR REPLACE INTO responses (key, endpoint, model, served_by, text, top_logprobs, prompt_tokens, completion_tokens, finish_reason, thinking, created_ms, used_ms, hits)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`
  )
  const serving = db.prepare<[string, string], { serving: string }>(`SELECT serving FROM serving WHERE endpoint = ? AND model = ?`)
  const noteServing = db.prepare(`INSERT OR REPLACE INTO serving (endpoint, model, serving, seen_ms) VALUES (?, ?, ?, ?)`)
  return {
    file,
    lookup: (key) => {
      const row = get.get(key)
      return row === undefined
        ? undefined
        : {
            servedBy: row.served_by, text: row.text, topLogprobs: row.top_logprobs, promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens,
            finishReason: row.finish_reason, thinking: row.thinking === null ? null : row.thinking === 1
          }
    },
    touch: (key, nowMs) => void touch.run(nowMs, key),
    put: (key, endpoint, model, r, nowMs) =>
      void insert.run(
        key, endpoint, model, r.servedBy, r.text, r.topLogprobs, r.promptTokens, r.completionTokens, r.finishReason ?? null,
        r.thinking === undefined || r.thinking === null ? null : r.thinking ? 1 : 0, nowMs, nowMs
      ),
    lastServing: (endpoint, model) => serving.get(endpoint, model)?.serving ?? null,
    noteServing: (endpoint, model, s, nowMs) => void noteServing.run(endpoint, model, s, nowMs),
    close: () => db.close()
  }
}

/**
 * Calls `use` with a membership test on the cache in `dir`, opened read-only (a missing cache holds nothing and
 * is not created). For `valuesim plan`.
 */
export const withCacheReader = <A>(
  dir: string,
  use: (
    has: (key: string) => boolean,
    lastServing: (endpoint: string, model: string) => string | null,
    /** The text of the entry under `key` (what the probe's findings are kept as), or null. */
    textOf: (key: string) => string | null
  ) => A
): A => {
  const file = path.join(dir, CACHE_FILE)
  if (!fs.existsSync(file)) return use(() => false, () => null, () => null)
  return reading(file, (db) => {
    const has = db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM responses WHERE key = ?`)
    const text = db.prepare<[string], { text: string | null }>(`SELECT text FROM responses WHERE key = ?`)
    let serving: Sqlite.Statement<[string, string], { serving: string }> | null
    try {
      serving = db.prepare<[string, string], { serving: string }>(`SELECT serving FROM serving WHERE endpoint = ? AND model = ?`)
    } catch {
      serving = null // a cache from before the table was kept
    }
    // A read that fails midway (a damaged page) is a CacheFileError too: `reading` turns it into one.
    return use(
      (key) => has.get(key) !== undefined,
      (endpoint, model) => serving?.get(endpoint, model)?.serving ?? null,
      (key) => text.get(key)?.text ?? null
    )
  })
}

const fileBytes = (file: string) => [file, `${file}-wal`].reduce((s, f) => s + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0)

/** What the cache in `dir` holds (an empty summary when there is none yet). */
export const cacheStats = (dir: string): CacheStats => {
  const file = path.join(dir, CACHE_FILE)
  if (!fs.existsSync(file)) return { file, entries: 0, hits: 0, bytes: 0, oldestUseMs: null, newestUseMs: null, groups: [] }
  return reading(file, (db) => {
    const t = db
      .prepare<[], { entries: number; hits: number | null; oldest: number | null; newest: number | null }>(
        `SELECT COUNT(*) AS entries, SUM(hits) AS hits, MIN(used_ms) AS oldest, MAX(used_ms) AS newest FROM responses`
      )
      .get()!
    const groups = db
      .prepare<[], CacheGroup>(
        `SELECT endpoint, model, COUNT(*) AS entries, SUM(hits) AS hits FROM responses GROUP BY endpoint, model ORDER BY entries DESC, endpoint, model`
      )
      .all()
    return { file, entries: t.entries, hits: t.hits ?? 0, bytes: fileBytes(file), oldestUseMs: t.oldest, newestUseMs: t.newest, groups }
  })
}

/**
 * Deletes the entries last used before `beforeMs` (every entry when null) and gives the space back. Returns the
 * number deleted and the bytes the files take afterwards.
 */
export const pruneCache = (dir: string, beforeMs: number | null): { readonly removed: number; readonly bytes: number } => {
  const file = path.join(dir, CACHE_FILE)
  if (!fs.existsSync(file)) return { removed: 0, bytes: 0 }
  for (const f of [file, path.dirname(file)]) {
    try {
      fs.accessSync(f, fs.constants.W_OK)
    } catch (e) {
      throw new CacheFileError({ file, fault: "readonly", detail: `${f === file ? "the file" : "its folder"}: ${(e as { code?: string }).code ?? String(e)}` })
    }
  }
  let db: Sqlite.Database
  try {
    db = open(file, false)
  } catch (e) {
    throw cacheFault(file, e)
  }
  let removed: number
  try {
    removed = beforeMs === null ? db.prepare(`DELETE FROM responses`).run().changes : db.prepare(`DELETE FROM responses WHERE used_ms < ?`).run(beforeMs).changes
    if (removed > 0) {
      db.exec("VACUUM")
      db.pragma("wal_checkpoint(TRUNCATE)")
    }
  } catch (e) {
    throw cacheFault(file, e)
  } finally {
    db.close()
  }
  return { removed, bytes: fileBytes(file) }
}
