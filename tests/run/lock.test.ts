import { Effect, Exit } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { acquireRunLock, LOCK_FILE, releaseRunLock, withRunLock } from "../../src/run/lock.js"
import { tempDir } from "../helpers/cli.js"

const holderOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")) as { pid: number; host: string; token: string }

describe("run lock (src/run/lock.ts)", () => {
  it("is re-entrant within a process, released when the last holder lets go, and follows a renamed folder", async () => {
    const dir = tempDir("lock-unit")
    await Effect.runPromise(
      withRunLock(
        dir,
        Effect.gen(function* () {
          const first = holderOf(dir)
          expect(first.pid).toBe(process.pid)
          expect(first.host).toBe(os.hostname())
          // A nested writer of the same process (batch status ingesting) shares it.
          yield* withRunLock(dir, Effect.sync(() => expect(holderOf(dir).token).toBe(first.token)))
          expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(true)
        })
      )
    )
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false)

    const staging = path.join(tempDir("lock-move"), ".staging-x-1")
    fs.mkdirSync(staging)
    const lock = await Effect.runPromise(acquireRunLock(staging))
    const target = path.join(path.dirname(staging), "run-1")
    fs.renameSync(staging, target)
    lock.moveTo(target)
    await Effect.runPromise(withRunLock(target, Effect.void))
    expect(fs.existsSync(path.join(target, LOCK_FILE))).toBe(true)
    await Effect.runPromise(releaseRunLock(lock))
    expect(fs.existsSync(path.join(target, LOCK_FILE))).toBe(false)
  })

  it("never takes over a lock held on another host, and says how to clear it", async () => {
    const dir = tempDir("lock-foreign")
    const record = { pid: 1, host: `${os.hostname()}-elsewhere`, command: "valuesim resume r", since: "2026-01-01T00:00:00.000Z", token: "t", start: null, boot: null }
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(record))
    const exit = await Effect.runPromiseExit(acquireRunLock(dir))
    expect(Exit.isFailure(exit)).toBe(true)
    const message = Exit.isFailure(exit) ? String((exit.cause as { error?: Error }).error?.message) : ""
    expect(message).toContain(`pid 1 on ${os.hostname()}-elsewhere`)
    expect(message).toContain(`delete ${path.join(dir, LOCK_FILE)}`)
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8"))).toEqual(record)
  })
})
