import type { RunDb } from "./RunStore.js"
import { copySocietyStepsFromParent } from "./society.js"

/** The tables whose rows belong to one step (and are copied whole for a reused step). */
const STEP_TABLES = ["units", "answers", "step_totals", "matches", "moves", "game_results"] as const

/**
 * Copies the stored work of steps `0 … beforeStep − 1` of the run store `parentFile` into the freshly planned
 * store `db` (a branch, src/experiments/branch.ts): their units with their states, answers, counters, matches,
 * moves and game results replace the child's plan of those steps, and every request those answers and moves came
 * from is copied with its id (answers refer to requests by id), so nothing of them is asked again. One
 * transaction: the child has all of it or none. Returns the rows copied per table.
 */
export const copyStepsFrom = (db: RunDb, parentFile: string, beforeStep: number): Record<string, number> => {
  db.prepare(`ATTACH DATABASE ? AS parent`).run(parentFile)
  try {
    const copied: Record<string, number> = {}
    db.transaction(() => {
      for (const t of STEP_TABLES) {
        db.prepare(`DELETE FROM main.${t} WHERE step < ?`).run(beforeStep)
        copied[t] = db.prepare(`INSERT INTO main.${t} SELECT * FROM parent.${t} WHERE step < ?`).run(beforeStep).changes
      }
      // The requests the reused answers point to: their ids (uint32 little-endian per item) and the moves' keys.
      const ids = new Set<number>()
      for (const row of db.prepare(`SELECT request_ids FROM parent.answers WHERE step < ? AND request_ids IS NOT NULL`).pluck().iterate(beforeStep)) {
        const b = row as Buffer
        for (let i = 0; i + 4 <= b.length; i += 4) {
          const id = b.readUInt32LE(i)
          if (id !== 0) ids.add(id)
        }
      }
      const byId = db.prepare(`INSERT OR IGNORE INTO main.requests SELECT * FROM parent.requests WHERE id = ?`)
      let requests = 0
      for (const id of ids) requests += byId.run(id).changes
      requests += db
        .prepare(
          `INSERT OR IGNORE INTO main.requests SELECT * FROM parent.requests WHERE key IN (SELECT request_key FROM parent.moves WHERE step < ? AND request_key IS NOT NULL)`
        )
        .run(beforeStep).changes
      copied["requests"] = requests
      copied["society_rounds"] = copySocietyStepsFromParent(db, beforeStep)
    })()
    return copied
  } finally {
    db.prepare(`DETACH DATABASE parent`).run()
  }
}
