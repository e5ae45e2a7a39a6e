import * as fs from "node:fs"
import { createServer } from "node:net"
import { describe, expect, it } from "vitest"
import { runCli, tempDir } from "../helpers/cli.js"

/** A port nothing listens on: bound by the system, then released. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

describe("an endpoint that cannot be reached", () => {
  it("stops the run within seconds with its address, exit 2, nothing written", async () => {
    const runs = tempDir("unreachable")
    const url = `http://127.0.0.1:${await freePort()}/v1`
    const t0 = Date.now()
    const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "5", "--backend", "openai", "--base-url", url, "--model", "m", "--runs-dir", runs, "--no-tui"])
    const seconds = (Date.now() - t0) / 1000
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(url)
    expect(r.stderr).toContain("connection refused")
    // The request retries (about 15 s of back-off) are not waited for; the bound leaves room for a loaded machine.
    expect(seconds).toBeLessThan(8)
    expect(fs.readdirSync(runs)).toEqual([])
  })
})
