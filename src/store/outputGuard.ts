/**
 * Nothing valuesim writes lands on a run store, in a staging folder, or on a file the same command reads
 * (issue 21, item 2: `report RUN --out RUN/run.sqlite` once replaced every answer with the report). Every `--out`
 * goes through `refuseUnsafeOutput` before anything is written; a refusal is a usage error (exit 2).
 *
 * Paths are compared as the file system sees them, not as spelled: an existing file by device and inode (so a
 * symlink, `./`, `..`, a hard link or another letter case on a case-insensitive disk all count as the same file),
 * a path not there yet by the real path of the folder it would be made in.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { UsageError } from "../config/SpecFileError.js"
import { escapeControl } from "../domain/printable.js"

/** The files of a run store: the database, its SQLite companions and the run's lock. */
export const RUN_STORE_FILES = ["run.sqlite", "run.sqlite-wal", "run.sqlite-shm", "run.sqlite-journal", "run.lock"] as const

/** The prefix of the hidden folder a new run is planned in (src/run/staging.ts). */
export const STAGING_PREFIX = ".staging-"

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1")

/** The real path of `p`, also when it does not exist yet (the real path of its nearest existing folder, then the rest). */
export const realPathOf = (p: string): string => {
  const abs = path.resolve(p)
  const rest: Array<string> = []
  let at = abs
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(at), ...rest.reverse())
    } catch {
      const up = path.dirname(at)
      if (up === at) return abs
      rest.push(path.basename(at))
      at = up
    }
  }
}

const statOf = (p: string): fs.Stats | null => {
  try {
    return fs.statSync(p)
  } catch {
    return null
  }
}

const holdsSqlite = (file: string): boolean => {
  try {
    const fd = fs.openSync(file, "r")
    try {
      const head = Buffer.alloc(SQLITE_MAGIC.length)
      return fs.readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_MAGIC)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return false
  }
}

/** What is wrong with writing `file`, or null. */
const problemOf = (file: string, reading: ReadonlyArray<string>): string | null => {
  const real = realPathOf(file)
  const staging = real.split(path.sep).find((part) => part.startsWith(STAGING_PREFIX))
  if (staging !== undefined) return `is inside ${staging}, the staging folder of a run being created`
  const st = statOf(real)
  if (st !== null) {
    if (st.isDirectory()) return null
    for (const r of reading) {
      const rs = statOf(r)
      if (rs !== null && rs.dev === st.dev && rs.ino === st.ino) return `is ${escapeControl(r)}, which this command reads`
    }
    if (holdsSqlite(real)) return "holds an SQLite database (a run store?), which valuesim never writes over"
  }
  const dir = path.dirname(real)
  if ((RUN_STORE_FILES as ReadonlyArray<string>).includes(path.basename(real)) && fs.existsSync(path.join(dir, "run.sqlite"))) {
    return `is part of the run store in ${escapeControl(dir)}`
  }
  return null
}

/**
 * Fails with a usage error (exit 2, nothing written) when any of `files` (the files a command is about to write,
 * temporary `.partial` names included by the caller or not) is a run store or part of one, lies in a staging
 * folder, or is one of `reading` (the files the command reads).
 */
export const refuseUnsafeOutput = (flag: string, files: ReadonlyArray<string>, reading: ReadonlyArray<string>) =>
  Effect.suspend(() => {
    for (const f of files) {
      for (const candidate of [f, `${f}.partial`]) {
        const problem = problemOf(candidate, reading)
        if (problem !== null) return Effect.fail(new UsageError({ detail: `${flag} ${escapeControl(f)}: ${problem}; nothing was written` }))
      }
    }
    return Effect.void
  })

/** The files a command reading the run folder `runDir` reads (an export folder's, for `report` of an export). */
export const runInputs = (runDir: string): Array<string> =>
  (fs.existsSync(path.join(runDir, "run.sqlite")) ? [...RUN_STORE_FILES] : ["run.json", "answers.parquet", "moves.parquet", "game_results.parquet"]).map((f) =>
    path.join(runDir, f)
  )

/** The files under `p` (itself when a file; a folder's files, one level of subfolders deep), for `reading`. */
export const filesUnder = (p: string): Array<string> => {
  const st = statOf(p)
  if (st === null || !st.isDirectory()) return [p]
  const out: Array<string> = []
  const walk = (dir: string, depth: number) => {
    let names: Array<string>
    try {
      names = fs.readdirSync(dir)
    } catch {
      return
    }
    for (const n of names) {
      const full = path.join(dir, n)
      const s = statOf(full)
      if (s?.isDirectory() === true) {
        if (depth > 0) walk(full, depth - 1)
      } else out.push(full)
    }
  }
  walk(p, 1)
  return out
}
