/**
 * The run store's society tables (every SQL statement about them lives here). A society step keeps:
 * - `society_network`: its network as compressed sparse rows, in blobs of at most 4 MB (`what` = offsets or
 *   targets, `part` in order; uint32 little-endian), and a JSON row (`what` = info) describing it;
 * - `society_rounds`: one row per finished round: every agent's action, one byte each (`actions`), the round's
 *   statistics (JSON, per condition and overall) and, for a model, the distinct observations asked with their
 *   request keys and distributions (JSON). Payoffs and neighbour counts are derived from actions and network.
 * Units of a society step are its rounds (`step_totals`: pending rounds, done rounds, answers = agent decisions).
 * The tables are created with a run's plan when it has a society step (stores of older runs have none).
 */
import type { Network } from "../sampling/network.js"
import type { RunDb } from "./RunStore.js"

const TABLES = `
  CREATE TABLE IF NOT EXISTS society_network (step INTEGER NOT NULL, what TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (step, what, part)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS society_rounds (step INTEGER NOT NULL, round INTEGER NOT NULL, actions BLOB NOT NULL, stats TEXT NOT NULL,
    asked TEXT, PRIMARY KEY (step, round)) WITHOUT ROWID;`

const PART = 1 << 20

const u32Blob = (a: Uint32Array, from: number, to: number) => Buffer.from(a.buffer, a.byteOffset + from * 4, (to - from) * 4)

/** Stores a society step's network and its description (inside the caller's transaction). */
export const writeSocietyNetwork = (db: RunDb, step: number, g: Network, info: unknown): void => {
  db.exec(TABLES)
  const ins = db.prepare(`INSERT INTO society_network (step, what, part, data) VALUES (?, ?, ?, ?)`)
  for (const [what, arr] of [["offsets", g.offsets], ["targets", g.targets]] as const) {
    for (let from = 0, part = 0; from < arr.length || part === 0; from += PART, part++) ins.run(step, what, part, u32Blob(arr, from, Math.min(arr.length, from + PART)))
  }
  ins.run(step, "info", 0, Buffer.from(JSON.stringify(info)))
}

const concatU32 = (rows: ReadonlyArray<Buffer>): Uint32Array => {
  const total = rows.reduce((n, b) => n + b.length, 0)
  const out = new Uint32Array(total / 4)
  const bytes = new Uint8Array(out.buffer)
  let at = 0
  for (const b of rows) {
    bytes.set(b, at)
    at += b.length
  }
  return out
}

/** A society step's stored network. */
export const readSocietyNetwork = (db: RunDb, step: number): Network => {
  const part = (what: string) =>
    (db.prepare(`SELECT data FROM society_network WHERE step = ? AND what = ? ORDER BY part`).pluck().all(step, what) as Array<Buffer>)
  const offsets = concatU32(part("offsets"))
  return { n: offsets.length - 1, offsets, targets: concatU32(part("targets")) }
}

/** The description stored with a society step's network (kind, parameters, degree, clustering, assortativity). */
export const readSocietyNetworkInfo = (db: RunDb, step: number): Record<string, unknown> | null => {
  if (!hasSocietyTables(db)) return null
  const b = db.prepare(`SELECT data FROM society_network WHERE step = ? AND what = 'info'`).pluck().get(step) as Buffer | undefined
  return b === undefined ? null : (JSON.parse(b.toString("utf8")) as Record<string, unknown>)
}

export const hasSocietyTables = (db: RunDb): boolean =>
  db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'society_rounds'`).get() !== undefined

/** A finished round as the writer stores it. */
export interface SocietyRoundRow {
  readonly step: number
  readonly round: number
  readonly actions: Uint8Array
  readonly stats: string
  readonly asked: string | null
}

/** The statement that stores a round (prepared on first use: stores without society tables never need it). */
export const societyRoundInserter = (db: RunDb) => {
  const ins = db.prepare(`INSERT OR REPLACE INTO society_rounds (step, round, actions, stats, asked) VALUES (?, ?, ?, ?, ?)`)
  return (r: SocietyRoundRow) => ins.run(r.step, r.round, Buffer.from(r.actions.buffer, r.actions.byteOffset, r.actions.length), r.stats, r.asked)
}

/** Stores round 0 (diffusion's seeds) with the plan. */
export const writeSocietyRound = (db: RunDb, r: SocietyRoundRow): void => {
  societyRoundInserter(db)(r)
}

/** The last stored round of a step (−1 when none). */
export const lastSocietyRound = (db: RunDb, step: number): number =>
  (db.prepare(`SELECT MAX(round) FROM society_rounds WHERE step = ?`).pluck().get(step) as number | null) ?? -1

/** One stored round's actions (a copy), or null. */
export const readSocietyActions = (db: RunDb, step: number, round: number): Uint8Array | null => {
  const b = db.prepare(`SELECT actions FROM society_rounds WHERE step = ? AND round = ?`).pluck().get(step, round) as Buffer | undefined
  return b === undefined ? null : new Uint8Array(b)
}

/** Every stored round's statistics in round order. */
export const readSocietyStats = (db: RunDb, step: number): Array<{ readonly round: number; readonly stats: Record<string, unknown> }> =>
  !hasSocietyTables(db)
    ? []
    : (db.prepare(`SELECT round, stats FROM society_rounds WHERE step = ? ORDER BY round`).raw().all(step) as Array<[number, string]>).map(([round, s]) => ({
        round,
        stats: JSON.parse(s) as Record<string, unknown>
      }))

/**
 * One shared question of a model round, as stored in `society_rounds.asked`: the condition and observation code
 * asked, its request (null: no shared method gave a distribution and each agent asked on its own), the distribution
 * drawn from, and — since methods are recorded — its method, option mass (null: none measured) and the agents
 * that drew from it. Entries of older stores lack the last three (they were all logprob).
 */
export interface AskedState {
  readonly condition: string
  readonly observation: number
  readonly key: string | null
  readonly dist: ReadonlyArray<number> | null
  readonly method?: string
  readonly mass?: number | null
  readonly agents?: number
}

/** One stored round's asked states (null: none were asked, or no such round). */
export const readSocietyAsked = (db: RunDb, step: number, round: number): ReadonlyArray<AskedState> | null => {
  const a = db.prepare(`SELECT asked FROM society_rounds WHERE step = ? AND round = ?`).pluck().get(step, round) as string | null | undefined
  return a === null || a === undefined ? null : (JSON.parse(a) as Array<AskedState>)
}

/** Every stored round after the start, with its decisions (from its statistics) and its asked states (null: none). */
export function* iterateSocietyRounds(db: RunDb): Generator<{ readonly step: number; readonly round: number; readonly decisions: number; readonly asked: ReadonlyArray<AskedState> | null }> {
  if (!hasSocietyTables(db)) return
  for (const r of db.prepare(`SELECT step, round, stats, asked FROM society_rounds WHERE round >= 1 ORDER BY step, round`).iterate() as Iterable<{ step: number; round: number; stats: string; asked: string | null }>) {
    const decisions = (JSON.parse(r.stats) as { decisions?: number }).decisions ?? 0
    yield { step: r.step, round: r.round, decisions, asked: r.asked === null ? null : (JSON.parse(r.asked) as Array<AskedState>) }
  }
}

/** Bytes the society tables take in the store file (dbstat when SQLite has it; null otherwise). */
export const societyBytes = (db: RunDb): number | null => {
  try {
    return (db.prepare(`SELECT SUM(pgsize) FROM dbstat WHERE name IN ('society_rounds', 'society_network')`).pluck().get() as number | null) ?? 0
  } catch {
    return null
  }
}

/**
 * A branch (src/store/branch.ts, with the parent store attached as `parent`): copies the society steps before
 * `beforeStep` — network, rounds — and the requests their rounds asked, inside the caller's transaction. Returns
 * the rounds copied (0 when the parent has no society tables).
 */
export const copySocietyStepsFromParent = (db: RunDb, beforeStep: number): number => {
  const parentHas = db.prepare(`SELECT 1 FROM parent.sqlite_master WHERE type = 'table' AND name = 'society_rounds'`).get() !== undefined
  if (!parentHas) return 0
  db.exec(TABLES)
  let rounds = 0
  for (const t of ["society_network", "society_rounds"]) {
    db.prepare(`DELETE FROM main.${t} WHERE step < ?`).run(beforeStep)
    const n = db.prepare(`INSERT INTO main.${t} SELECT * FROM parent.${t} WHERE step < ?`).run(beforeStep).changes
    if (t === "society_rounds") rounds = n
  }
  const byKey = db.prepare(`INSERT OR IGNORE INTO main.requests SELECT * FROM parent.requests WHERE key = ?`)
  for (const asked of db.prepare(`SELECT asked FROM parent.society_rounds WHERE step < ? AND asked IS NOT NULL`).pluck().iterate(beforeStep)) {
    for (const a of JSON.parse(asked as string) as Array<{ key: string }>) byKey.run(a.key)
  }
  return rounds
}
