/**
 * A full disk under `run --json`, `export` and `report` (issue 21, item 9): the run ends with exit 5, status
 * `interrupted` and, under --json, its summary on the last stdout line; an export or report onto a full disk
 * exits 5 with one line and leaves no `.partial` (nor half of an export) behind.
 */
import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { mountable, withSmallDisk } from "../helpers/fsLimits.js"

const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at .*\.(ts|js|mjs):\d+/)

const status = (runDir: string) => {
  const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
  try {
    return JSON.parse((db.prepare(`SELECT value FROM manifest WHERE key = 'status'`).pluck().get() as string) ?? "null") as unknown
  } finally {
    db.close()
  }
}

/** Fills the disk at `dir` with one file until no byte more fits. */
const fill = (dir: string) => {
  const fd = fs.openSync(path.join(dir, "filler"), "w")
  const chunk = Buffer.alloc(4096, 1)
  try {
    for (;;) fs.writeSync(fd, chunk)
  } catch (e) {
    expect((e as { code?: string }).code).toBe("ENOSPC")
  } finally {
    fs.closeSync(fd)
  }
}

describe.runIf(mountable())("a full disk", () => {
  it("run --json: exit 5, status interrupted, and the summary on the last stdout line", async () => {
    await withSmallDisk(1536, async (disk) => {
      const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "3000", "--seed", "8", "--no-tui", "--json", "--runs-dir", disk])
      expect(r.code, r.stderr).toBe(5)
      noStack(r.stderr)
      const summary = lastJson(r.stdout)
      expect(summary["status"]).toBe("interrupted")
      expect(Number(summary["answers"])).toBeGreaterThan(0)
      expect(summary["answers"]).toBeLessThan(3000 * 40)
      const runDir = String(summary["runDir"])
      expect(status(runDir)).toBe("interrupted")
    })
  })

  it("export and report onto a full disk: exit 5, one line, nothing half-written left", async () => {
    const made = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "200", "--seed", "2", "--no-tui", "--json", "--runs-dir", tempDir("full-out-runs")])
    expect(made.code, made.stderr).toBe(0)
    const runDir = String(lastJson(made.stdout)["runDir"])
    await withSmallDisk(256, async (disk) => {
      fs.mkdirSync(path.join(disk, "out"))
      fill(disk)
      for (const format of ["csv", "jsonl"]) {
        const r = await runCli(["export", runDir, "--format", format, "--out", path.join(disk, "out")])
        expect(r.code, r.stderr).toBe(5)
        noStack(r.stderr)
        expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^valuesim export: .*\/out: could not be written, no space left \(.*\); nothing was kept; free some space and try again$/)])
        expect(fs.readdirSync(path.join(disk, "out"))).toEqual([])
      }
      for (const format of ["html", "text"]) {
        const file = path.join(disk, `report.${format}`)
        const r = await runCli(["report", runDir, "--format", format, "--out", file])
        expect(r.code, r.stderr).toBe(5)
        noStack(r.stderr)
        expect(r.stderr.trim().split("\n")).toEqual([`valuesim report: ${file}: could not be written, no space left (ENOSPC: no space left on device, write); nothing was kept; free some space and try again`])
      }
      expect(fs.readdirSync(disk).sort()).toEqual(["filler", "out"])
    })
  }, 60_000)
})
