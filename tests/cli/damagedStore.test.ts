/**
 * Damaged stores and full disks (issue 15, item 3): every command says in one line which run's store is
 * damaged (exit 3), read-only (exit 4) or out of space (exit 5), never writes into a store that failed its
 * check, keeps the status honest when a full disk stops a run, and leaves no run folder without a plan. Full
 * disks are real: a size-limited tmpfs (skipped where this process may not mount one).
 */
import Sqlite from "better-sqlite3"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { lastJson, runCli, startCli, tempDir, waitCli } from "../helpers/cli.js"
import { canMakeReadOnly, mountable, withReadOnly, withSmallDisk } from "../helpers/fsLimits.js"

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .*\.(ts|js|mjs):\d+/)
const hash = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex")
const oneLine = (stderr: string, command: string, runDir: string, says: string) => {
  noStack(stderr)
  const lines = stderr.trim().split("\n")
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain(`valuesim ${command}: run ${runDir}: ${says}`)
}

const manifestValue = (runDir: string, key: string) => {
  const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
  try {
    const row = db.prepare(`SELECT value FROM manifest WHERE key = ?`).get(key) as { value: string } | undefined
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown)
  } finally {
    db.close()
  }
}

/** A finished synthetic run of `agents` agents, its folder copied to a fresh place for each test to damage. */
let finished: string
beforeAll(async () => {
  const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "60", "--seed", "3", "--no-tui", "--json", "--runs-dir", tempDir("damaged-src")])
  expect(r.code, r.stderr).toBe(0)
  finished = String(lastJson(r.stdout)["runDir"])
})
const copyRun = (prefix: string) => {
  const dir = path.join(tempDir(prefix), "run")
  fs.cpSync(finished, dir, { recursive: true })
  return dir
}

const commands = (runDir: string, out: string): ReadonlyArray<ReadonlyArray<string>> => [
  ["export", runDir, "--out", out],
  ["report", runDir],
  ["resume", runDir, "--no-tui"]
]

describe("a damaged store", () => {
  it("a 0-byte run.sqlite is exit 3 from export, report and resume, and stays 0 bytes", async () => {
    const runDir = copyRun("zero")
    fs.writeFileSync(path.join(runDir, "run.sqlite"), "")
    const out = path.join(runDir, "..", "export")
    // The three commands at once (none may write, so none can change what another sees).
    const all = commands(runDir, out)
    const results = await Promise.all(all.map((args) => runCli(args)))
    for (const [i, args] of all.entries()) {
      const r = results[i]!
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(3)
      oneLine(r.stderr, args[0]!, runDir, "run.sqlite is damaged (it is empty, 0 bytes); nothing was written to it")
    }
    expect(fs.statSync(path.join(runDir, "run.sqlite")).size).toBe(0)
    expect(fs.existsSync(out)).toBe(false)
    expect(fs.readdirSync(runDir)).toEqual(["run.sqlite"])
  })

  it("a store corrupted mid-file is exit 3 from export, report and resume, and is not changed", async () => {
    const runDir = copyRun("corrupt")
    const file = path.join(runDir, "run.sqlite")
    // Garbage over the middle of every page after the first two (the header and the schema stay readable).
    const fd = fs.openSync(file, "r+")
    const size = fs.fstatSync(fd).size
    for (let off = 2 * 16384; off < size; off += 16384) fs.writeSync(fd, Buffer.alloc(400, 0xde), 0, 400, off + 100)
    fs.closeSync(fd)
    const before = hash(file)
    const out = path.join(runDir, "..", "export")
    const all = commands(runDir, out)
    const results = await Promise.all(all.map((args) => runCli(args)))
    for (const [i, args] of all.entries()) {
      const r = results[i]!
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(3)
      oneLine(r.stderr, args[0]!, runDir, "run.sqlite is damaged (SQLite's check found:")
    }
    expect(hash(file)).toBe(before)
    expect(fs.existsSync(out)).toBe(false)
  })

  it("a file that is not an SQLite database is exit 3", async () => {
    const runDir = copyRun("notdb")
    fs.writeFileSync(path.join(runDir, "run.sqlite"), "x".repeat(4096))
    const r = await runCli(["report", runDir])
    expect(r.code, r.stderr).toBe(3)
    oneLine(r.stderr, "report", runDir, "run.sqlite is damaged (it is not an SQLite database)")
  })
})

describe.runIf(canMakeReadOnly())("a read-only store", () => {
  it("resume is exit 4 with one line, and the store keeps its status", async () => {
    const runDir = copyRun("readonly")
    const file = path.join(runDir, "run.sqlite")
    const before = hash(file)
    const r = await withReadOnly(runDir, () => runCli(["resume", runDir, "--no-tui"]))
    expect(r.code, r.stderr).toBe(4)
    oneLine(r.stderr, "resume", runDir, "run.sqlite cannot be written (")
    expect(hash(file)).toBe(before)
    expect(manifestValue(runDir, "status")).toBe("complete")
  })
})

describe.runIf(mountable())("a full disk", () => {
  it("stops a run with exit 5 and one line; the status is interrupted and resume (with space) completes it as if uninterrupted", async () => {
    // The uninterrupted reference runs while the full-disk run is tried (it does not depend on it).
    const referenceDone = runCli(["run", "scenarios/vsq40.yaml", "--agents", "3000", "--seed", "8", "--no-tui", "--json", "--runs-dir", tempDir("full-ref")])
    const moved = path.join(tempDir("full-moved"), "run")
    await withSmallDisk(1536, async (disk) => {
      const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "3000", "--seed", "8", "--no-tui", "--runs-dir", disk])
      expect(r.code, r.stderr).toBe(5)
      const runs = fs.readdirSync(disk)
      expect(runs).toHaveLength(1)
      const runDir = path.join(disk, runs[0]!)
      oneLine(r.stderr, "run", runDir, "run.sqlite could not be written, no space left (database or disk is full); the run stopped; finished answers are saved (status interrupted); free some space, then continue with: npx valuesim resume")
      expect(manifestValue(runDir, "status")).toBe("interrupted")
      // The space set aside to record that is not left behind (the journal may be: it holds committed answers).
      expect(fs.readdirSync(runDir).filter((f) => !f.startsWith("run.sqlite"))).toEqual([])
      // Resuming on the still-full disk changes nothing and says so.
      const again = await runCli(["resume", runDir, "--no-tui"])
      expect(again.code, again.stderr).toBe(5)
      oneLine(again.stderr, "resume", runDir, "run.sqlite could not be written, no space left")
      fs.cpSync(runDir, moved, { recursive: true })
    })
    const resumed = await runCli(["resume", moved, "--no-tui", "--json"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(lastJson(resumed.stdout)["status"]).toBe("complete")
    const reference = await referenceDone
    expect(reference.code, reference.stderr).toBe(0)
    const [a, b] = await Promise.all([
      runCli(["export", moved, "--out", path.join(moved, "..", "a")]),
      runCli(["export", String(lastJson(reference.stdout)["runDir"]), "--out", path.join(moved, "..", "b")])
    ])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    expect(hash(path.join(moved, "..", "a", "answers.csv"))).toBe(hash(path.join(moved, "..", "b", "answers.csv")))
  })

  it("at the start is exit 5 with one line and leaves no run folder", async () => {
    await withSmallDisk(160, async (disk) => {
      const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "20000", "--no-tui", "--runs-dir", disk])
      expect(r.code, r.stderr).toBe(5)
      noStack(r.stderr)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(r.stderr).toMatch(/^valuesim run: run .*-vsq40-s1: run\.sqlite could not be written, no space left \(.*\); nothing was kept/)
      expect(fs.readdirSync(disk)).toEqual([])
    })
  })
})

describe("a kill while the plan is written", () => {
  it("leaves no run folder, and the next run clears what it left", async () => {
    const runs = tempDir("plankill")
    const child = startCli(["run", "scenarios/vsq40.yaml", "--agents", "400000", "--no-tui", "--runs-dir", runs])
    const done = waitCli(child)
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (fs.existsSync(runs) && fs.readdirSync(runs).some((d) => fs.existsSync(path.join(runs, d, "run.sqlite")))) {
          clearInterval(poll)
          resolve()
        }
      }, 5)
    })
    child.kill("SIGKILL")
    await done
    // Only the hidden staging folder of the killed process: no run folder without a plan.
    expect(fs.readdirSync(runs).filter((d) => !d.startsWith("."))).toEqual([])
    const next = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "5", "--no-tui", "--json", "--runs-dir", runs])
    expect(next.code, next.stderr).toBe(0)
    expect(fs.readdirSync(runs)).toEqual([path.basename(String(lastJson(next.stdout)["runDir"]))])
  })
})
