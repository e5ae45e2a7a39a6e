import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { lastJson, runCli, startCli, tempDir, waitCli } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/**
 * One writer per run store (issue 21, item 1): a second command that would write to a run another process is
 * writing to exits 2 with one line naming that process; a lock left by a dead process (kill -9) is taken over.
 */
let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

const AGENTS = 3
const ITEMS = 40
const runArgs = (runs: string) =>
  ["run", "scenarios/vsq40.yaml", "--agents", String(AGENTS), "--seed", "4", "--scoring", "sample", "--concurrency", "2",
    "--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--no-tui", "--json", "--runs-dir", runs]

/** The pid of a process that has ended (so no live process has it, barring reuse within the test). */
const deadPid = (): number => {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
  return Number(r.stdout)
}

const lockOf = (pid: number, token = "t0") =>
  JSON.stringify({ pid, host: os.hostname(), command: "valuesim resume x", since: "2026-01-01T00:00:00.000Z", token, start: null, boot: null })

/** A finished run of AGENTS agents (resume has nothing to do but must still take the lock). */
const finishedRun = async () => {
  const runs = tempDir("lock")
  const r = await runCli(runArgs(runs))
  expect(r.code, r.stderr).toBe(0)
  return String(lastJson(r.stdout)["runDir"])
}

describe("run store lock", () => {
  it("a run killed with -9 leaves its lock; two resumes then race: one exits 2 naming the holder, the other completes", async () => {
    const runs = tempDir("lock-kill")
    server.setLatency(100)
    try {
      const child = startCli(runArgs(runs))
      const done = waitCli(child)
      // Killed once its run folder (and so its lock) exists.
      const runDir = await new Promise<string>((resolve) => {
        const poll = setInterval(() => {
          const dirs = fs.readdirSync(runs).filter((d) => !d.startsWith("."))
          if (dirs.length === 1 && fs.existsSync(path.join(runs, dirs[0]!, "run.lock")) && server.requests > 3) {
            clearInterval(poll)
            child.kill("SIGKILL")
            resolve(path.join(runs, dirs[0]!))
          }
        }, 20)
      })
      expect((await done).signal).toBe("SIGKILL")
      const left = JSON.parse(fs.readFileSync(path.join(runDir, "run.lock"), "utf8")) as { pid: number; command: string }
      expect(left.pid).toBe(child.pid)
      expect(left.command).toContain(" run scenarios/vsq40.yaml")

      // The first resume takes the dead run's lock over; a second, started while the first sends (slowly, until
      // the checks are done), is refused.
      server.setLatency(2000)
      const first = startCli(["resume", runDir, "--json"])
      const firstDone = waitCli(first)
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          const text = fs.existsSync(path.join(runDir, "run.lock")) ? fs.readFileSync(path.join(runDir, "run.lock"), "utf8") : ""
          if (text.includes(`"pid":${first.pid},`)) {
            clearInterval(poll)
            resolve()
          }
        }, 20)
      })
      const second = await runCli(["resume", runDir, "--json"])
      expect(second.code).toBe(2)
      const lines = second.stderr.trim().split("\n")
      expect(lines.length, second.stderr).toBe(1)
      expect(lines[0]).toContain(`is in use by another valuesim process (pid ${first.pid} on ${os.hostname()}`)
      expect(lines[0]).toContain(" resume ")
      expect(second.stdout).toBe("")
      // batch ingest writes too: refused the same way.
      const ingest = await runCli(["batch", "ingest", runDir, path.join(runDir, "none.jsonl")])
      expect(ingest.code).toBe(2)
      expect(ingest.stderr).toContain(`pid ${first.pid}`)
      server.setLatency(0)

      const resumed = await firstDone
      expect(resumed.code, resumed.stderr).toBe(0)
      const s = lastJson(resumed.stdout)
      expect(s["status"]).toBe("complete")
      expect(s["answers"]).toBe(AGENTS * ITEMS)
      expect(fs.existsSync(path.join(runDir, "run.lock"))).toBe(false)
    } finally {
      server.setLatency(0)
    }
  }, 120_000)

  it("a lock held by a live process refuses resume (exit 2, one line); one left by a dead pid is taken over", async () => {
    const runDir = await finishedRun()
    const lock = path.join(runDir, "run.lock")
    // This test process is alive: its lock holds.
    fs.writeFileSync(lock, lockOf(process.pid, "held-by-the-test"))
    const refused = await runCli(["resume", runDir, "--json"])
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split("\n")).toEqual([expect.stringContaining(`pid ${process.pid} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z: valuesim resume x`)])
    expect(fs.readFileSync(lock, "utf8")).toBe(lockOf(process.pid, "held-by-the-test"))

    // A dead pid's lock, and an unreadable one: taken over, the command runs, the lock is gone afterwards.
    for (const stale of [lockOf(deadPid()), "{not json"]) {
      fs.writeFileSync(lock, stale)
      // Older than a lock that may still be being written.
      fs.utimesSync(lock, new Date(0), new Date(0))
      const r = await runCli(["resume", runDir, "--json"])
      expect(r.code, r.stderr).toBe(0)
      expect(lastJson(r.stdout)["status"]).toBe("complete")
      expect(fs.existsSync(lock)).toBe(false)
    }
  }, 60_000)
})
