import Sqlite from "better-sqlite3"
import * as path from "node:path"
import type { RunDb } from "../../src/store/RunStore.js"

/** Opens a run's store read-only for a test, runs `read` with it and closes it. */
export const withRunDb = <A>(runDir: string, read: (db: RunDb) => A): A => {
  const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}
