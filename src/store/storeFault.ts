import { Data } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { escapeControl } from "../domain/printable.js"

/**
 * Why a run store cannot be used, one exit code each (README, "Exit codes"):
 * - `damaged` (3): run.sqlite is empty, not an SQLite file, holds no run, or fails SQLite's structural check;
 * - `readonly` (4): the store or its folder cannot be written (resume needs to write);
 * - `full` (5): a write failed for want of space (the disk or a file-size limit is full) or an I/O error.
 */
export type StoreFault = "damaged" | "readonly" | "full"

export const STORE_FAULT_EXIT: Readonly<Record<StoreFault, number>> = { damaged: 3, readonly: 4, full: 5 }

export class RunStoreError extends Data.TaggedError("RunStoreError")<{
  /** The run folder (the store is `<runDir>/run.sqlite`). */
  readonly runDir: string
  readonly fault: StoreFault
  /** What was found, e.g. `is empty (0 bytes)`, `database disk image is malformed`. */
  readonly detail: string
  /** What the user can do next (a sentence), or "" when nothing is to be said. */
  readonly next: string
}> {
  override get message(): string {
    const what =
      this.fault === "damaged"
        ? "run.sqlite is damaged"
        : this.fault === "readonly"
          ? "run.sqlite cannot be written"
          : "run.sqlite could not be written, no space left"
    return `run ${escapeControl(this.runDir)}: ${what} (${escapeControl(this.detail)})${this.next === "" ? "" : `; ${this.next}`}`
  }
}

/** SQLite's result code of an error thrown by better-sqlite3 (e.g. `SQLITE_CORRUPT`), or a Node errno code. */
const codeOf = (e: unknown): string | null => {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === "string" ? code : null
}

/** The store fault an error thrown while using a store stands for, or null for anything else. */
export const faultOf = (e: unknown): StoreFault | null => {
  // DatabaseError wraps the SQLite error as `cause`.
  const inner = (e as { _tag?: string; cause?: unknown } | null)?._tag === "DatabaseError" ? (e as { cause: unknown }).cause : e
  const code = codeOf(inner)
  if (code === null) return null
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return "damaged"
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS" || code === "EACCES" || code === "EPERM") return "readonly"
  if (code === "SQLITE_FULL" || code.startsWith("SQLITE_IOERR") || code === "ENOSPC" || code === "EFBIG" || code === "EDQUOT") return "full"
  return null
}

/**
 * An output file (an export table, a report) could not be written for want of space: exit 5, as for a run store
 * (README, "Exit codes"); nothing half-written is left.
 */
export class NoSpaceError extends Data.TaggedError("NoSpaceError")<{ readonly file: string; readonly detail: string }> {
  override get message(): string {
    return `${escapeControl(this.file)}: could not be written, no space left (${escapeControl(this.detail)}); nothing was kept; free some space and try again`
  }
}

/** A NoSpaceError for `file` when `e` is a want of space (or another write error), else null. */
export const noSpaceOf = (file: string, e: unknown): NoSpaceError | null =>
  // DuckDB (Parquet export) reports the want of space in words only.
  faultOf(e) === "full" || /no space left on device/i.test(messageOf(e)) ? new NoSpaceError({ file, detail: messageOf(e) }) : null

/**
 * Writes `file` through `<file>.partial`, renamed once complete; whatever fails on the way, the partial file is
 * removed before the error is rethrown, so a reader never finds half a file under either name.
 */
export const writeThroughPartial = <A>(file: string, write: (tmp: string) => A): A => {
  const tmp = `${file}.partial`
  try {
    const result = write(tmp)
    fs.renameSync(tmp, file)
    return result
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  }
}

const messageOf = (e: unknown): string => {
  const inner = (e as { _tag?: string; cause?: unknown } | null)?._tag === "DatabaseError" ? (e as { cause: unknown }).cause : e
  return inner instanceof Error ? inner.message : String(inner)
}

export const DAMAGED_NEXT = "nothing was written to it; valuesim cannot recover its answers: start the run again"
const READONLY_NEXT = "nothing was written to it; make the folder and run.sqlite writable (or copy the run folder somewhere writable) and try again"
const FULL_NEXT = "free some space and try again"

/** What to do after a fault stopped a run midway: a sentence ending in the resume command when resuming can help. */
export const stoppedNext = (fault: StoreFault, resume: string, statusRecorded: boolean): string =>
  fault === "damaged"
    ? "the run stopped; valuesim cannot recover its answers: start the run again"
    : `the run stopped; finished answers are saved${statusRecorded ? " (status interrupted)" : ""}; ${
        fault === "full" ? "free some space" : "make the folder and run.sqlite writable"
      }, then continue with: ${resume}`

/** A file of this size is kept in a run folder while a run writes, and deleted to make room to record the status when the disk fills up. */
const RESERVE_BYTES = 512 * 1024
const reserveFile = (runDir: string) => path.join(runDir, ".space-reserve")

/** Sets space aside for recording a run's status should the disk fill up; a RunStoreError (full) when there is none. */
export const reserveSpace = (runDir: string): RunStoreError | null => {
  try {
    fs.writeFileSync(reserveFile(runDir), Buffer.alloc(RESERVE_BYTES))
    return null
  } catch (e) {
    fs.rmSync(reserveFile(runDir), { force: true })
    return storeErrorOf(runDir, e) ?? new RunStoreError({ runDir, fault: "full", detail: messageOf(e), next: FULL_NEXT })
  }
}

/** Gives the reserved space back (when the run ends, or to record its status on a full disk). */
export const releaseSpace = (runDir: string): void => {
  try {
    fs.rmSync(reserveFile(runDir), { force: true })
  } catch {
    // Nothing to give back.
  }
}

/** What to do about a fault, when nothing more specific is known. */
export const nextFor = (fault: StoreFault): string => (fault === "damaged" ? DAMAGED_NEXT : fault === "readonly" ? READONLY_NEXT : FULL_NEXT)

/**
 * A RunStoreError for an error thrown while using the store of `runDir` (`next`: what to do, by default
 * `nextFor` the fault), or null when the error is not a store fault.
 */
export const storeErrorOf = (runDir: string, e: unknown, next?: string): RunStoreError | null => {
  if (e instanceof RunStoreError) return e
  const fault = faultOf(e)
  return fault === null ? null : new RunStoreError({ runDir, fault, detail: messageOf(e), next: next ?? nextFor(fault) })
}

const SQLITE_MAGIC = "SQLite format 3\u0000"

/**
 * Checks a run store file before SQLite opens it: present but empty, too short or without SQLite's header is
 * damaged (SQLite would otherwise take an empty file for a new database and write a schema into it); with
 * `write`, the file and its folder (where SQLite keeps its journal) must be writable. Null when it passes.
 */
export const checkStoreFile = (file: string, write: boolean): RunStoreError | null => {
  const runDir = path.dirname(file)
  const damaged = (detail: string) => new RunStoreError({ runDir, fault: "damaged", detail, next: DAMAGED_NEXT })
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch (e) {
    return storeErrorOf(runDir, e)
  }
  try {
    const size = fs.fstatSync(fd).size
    if (size === 0) return damaged("it is empty, 0 bytes")
    const head = Buffer.alloc(16)
    const read = fs.readSync(fd, head, 0, 16, 0)
    if (read < 16 || size < 512 || head.toString("latin1") !== SQLITE_MAGIC) return damaged("it is not an SQLite database")
  } finally {
    fs.closeSync(fd)
  }
  if (write) {
    for (const f of [file, runDir]) {
      try {
        fs.accessSync(f, fs.constants.W_OK)
      } catch (e) {
        return new RunStoreError({
          runDir,
          fault: "readonly",
          detail: `${f === runDir ? "its folder" : "the file"}: ${codeOf(e) ?? messageOf(e)}`,
          next: READONLY_NEXT
        })
      }
    }
  }
  return null
}
