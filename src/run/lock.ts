/**
 * One writer per run store: every command that writes to a run (`run`, `resume`, `batch prepare|ingest|submit|
 * status`) holds `<run-dir>/run.lock` while it does. The file names its holder (process id, host, command, since
 * when); a second writer is refused with one line naming that holder (exit 2), and nothing is written.
 *
 * Taking the lock: the holder's record is written to a file of its own and hard-linked to `run.lock`, which
 * fails when `run.lock` exists, so the lock appears whole or not at all. A lock whose holder is gone (its process
 * ended, was killed, or the machine rebooted: src/run/liveness.ts) is taken over: it is renamed aside (only one
 * process can rename it) and, if what was renamed is still that stale record, removed; a fresh lock renamed aside
 * by mistake is linked back. A lock held by a process on another host cannot be checked and is never taken over.
 *
 * Within one process the lock is re-entrant (`batch status` ingests through a second connection of its own).
 * It is released when the command ends, and on `process.exit` (a second Ctrl-C); a `kill -9` leaves it behind
 * for the next command to take over.
 */
import { Clock, Data, Effect } from "effect"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SpecFileError } from "../config/SpecFileError.js"
import { commandLine, escapeControl } from "../domain/printable.js"
import { realPathOf } from "../store/outputGuard.js"
import { storeErrorOf } from "../store/storeFault.js"
import { cliCommand } from "../app/invocation.js"
import { stampAlive, stampOf, type ProcessStamp } from "./liveness.js"

export const LOCK_FILE = "run.lock"

/** What `run.lock` holds. */
export interface LockHolder extends ProcessStamp {
  readonly host: string
  /** The command the holder was started with, as a user would type it. */
  readonly command: string
  /** When it took the lock (ISO 8601). */
  readonly since: string
  /** Tells this holding of the lock from any other by the same process. */
  readonly token: string
}

/** Another process writes to the run: exit code 2, nothing written. */
export class RunLockedError extends Data.TaggedError("RunLocked")<{ readonly runDir: string; readonly holder: LockHolder | null }> {
  override get message(): string {
    const h = this.holder
    const who =
      h === null
        ? "another process (its lock could not be read)"
        : `another valuesim process (pid ${h.pid} on ${escapeControl(h.host)}, since ${h.since}: ${escapeControl(h.command)})`
    const foreign = h !== null && h.host !== os.hostname()
    return (
      `run ${escapeControl(this.runDir)} is in use by ${who}; one command writes to a run at a time: wait for it to end` +
      (foreign ? ` (valuesim cannot see processes on another host: if that one is gone, delete ${escapeControl(path.join(this.runDir, LOCK_FILE))})` : ", or stop it") +
      ", then run this again"
    )
  }
}

/** Locks this process holds: real path of the run folder → the lock's token and how many times it was taken. */
const held = new Map<string, { file: string; token: string; count: number }>()
let exitHook = false

const readText = (file: string): string | null => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null
    throw e
  }
}

const parseHolder = (text: string): LockHolder | null => {
  try {
    const o = JSON.parse(text) as Partial<LockHolder>
    return typeof o.pid === "number" && typeof o.host === "string" && typeof o.token === "string"
      ? { pid: o.pid, host: o.host, command: String(o.command ?? "?"), since: String(o.since ?? "?"), token: o.token, start: o.start ?? null, boot: o.boot ?? null }
      : null
  } catch {
    return null
  }
}

/** Is the lock's holder still running? One on another host cannot be checked, so it counts as running. */
const holderAlive = (h: LockHolder): boolean => {
  if (h.host !== os.hostname()) return true
  // This process knows its own locks: a record with its pid that it does not hold is a former process's.
  if (h.pid === process.pid) return [...held.values()].some((l) => l.token === h.token)
  return stampAlive(h)
}

/**
 * Puts `from`'s content at `to` unless `to` exists: a hard link (atomic, whole); on a file system without hard
 * links (FAT, some network shares) an exclusive create and write, which a reader may see half-written for a moment.
 */
const linkOrExists = (from: string, to: string): boolean => {
  try {
    fs.linkSync(from, to)
    return true
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === "EEXIST") return false
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e
  }
  try {
    fs.writeFileSync(to, fs.readFileSync(from), { flag: "wx" })
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false
    throw e
  }
}

/** An unreadable lock this young may be one being written (see linkOrExists): it counts as held. */
const YOUNG_MS = 5000

const youngerThan = (file: string, ms: number, nowMs: number): boolean => {
  try {
    return nowMs - fs.statSync(file).mtimeMs < ms
  } catch {
    return false
  }
}

/** Takes the lock of `dir` for this process, or returns who holds it. Throws what the file system throws. */
const take = (dir: string, nowMs: number): { readonly holder: LockHolder | null } | null => {
  const nowIso = new Date(nowMs).toISOString()
  const key = realPathOf(dir)
  const file = path.join(dir, LOCK_FILE)
  const mine = held.get(key)
  if (mine !== undefined) {
    const current = readText(mine.file)
    if (current !== null && parseHolder(current)?.token === mine.token) {
      mine.count++
      return null
    }
    // Someone removed or replaced it meanwhile: this process holds it no more.
    held.delete(key)
  }
  const token = randomBytes(8).toString("hex")
  const me: LockHolder = { ...stampOf(process.pid), host: os.hostname(), command: commandLine(cliCommand(), ...process.argv.slice(2)), since: nowIso, token }
  const mineFile = `${file}.${process.pid}-${token}`
  fs.writeFileSync(mineFile, `${JSON.stringify(me)}\n`)
  try {
    let last: LockHolder | null = null
    for (let attempt = 0; attempt < 8; attempt++) {
      if (linkOrExists(mineFile, file)) {
        held.set(key, { file, token, count: 1 })
        if (!exitHook) {
          exitHook = true
          process.on("exit", releaseAll)
        }
        return null
      }
      const text = readText(file)
      if (text === null) continue
      last = parseHolder(text)
      if (last !== null ? holderAlive(last) : youngerThan(file, YOUNG_MS, nowMs)) return { holder: last }
      // Stale (or unreadable, which no holder writes): moved aside, and removed if it is still that record.
      const aside = `${file}.stale-${process.pid}-${token}`
      try {
        fs.renameSync(file, aside)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue
        throw e
      }
      if (readText(aside) !== text) linkOrExists(aside, file)
      fs.rmSync(aside, { force: true })
    }
    return { holder: last }
  } finally {
    fs.rmSync(mineFile, { force: true })
  }
}

const drop = (key: string) => {
  const mine = held.get(key)
  if (mine === undefined) return
  if (--mine.count > 0) return
  held.delete(key)
  try {
    const text = readText(mine.file)
    if (text !== null && parseHolder(text)?.token === mine.token) fs.rmSync(mine.file, { force: true })
  } catch {
    // Left behind: the next command finds this process gone and takes the lock over.
  }
}

function releaseAll() {
  for (const key of [...held.keys()]) {
    const mine = held.get(key)!
    mine.count = 1
    drop(key)
  }
}

/** A lock taken; `moveTo` follows its folder when that is renamed (a staged run folder put in place). */
export interface RunLock {
  readonly dir: () => string
  readonly moveTo: (dir: string) => void
}

/** Takes the run lock of `dir` (re-entrant within this process); RunLockedError when another process holds it. */
export const acquireRunLock = (dir: string) =>
  Clock.currentTimeMillis.pipe(
    Effect.flatMap((nowMs) =>
      Effect.try({
        try: () => take(dir, nowMs),
        catch: (e) =>
          storeErrorOf(dir, e) ?? new SpecFileError({ file: dir, problems: [`run-dir: cannot take the run's lock ${LOCK_FILE} (${e instanceof Error ? e.message : String(e)})`] })
      })
    ),
    Effect.flatMap((refused) => (refused === null ? Effect.void : Effect.fail(new RunLockedError({ runDir: dir, holder: refused.holder })))),
    Effect.map((): RunLock => {
      let current = realPathOf(dir)
      return {
        dir: () => current,
        moveTo: (to) => {
          const mine = held.get(current)
          held.delete(current)
          current = realPathOf(to)
          if (mine !== undefined) held.set(current, { ...mine, file: path.join(to, LOCK_FILE) })
        }
      }
    })
  )

export const releaseRunLock = (lock: RunLock) => Effect.sync(() => drop(lock.dir()))

/** Holds the run lock of `dir` while `use` runs. */
export const withRunLock = <A, E, R>(dir: string, use: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(acquireRunLock(dir), () => use, releaseRunLock)

/** Holds the run lock of `dir` until the current scope closes. */
export const scopedRunLock = (dir: string) => Effect.acquireRelease(acquireRunLock(dir), releaseRunLock)
