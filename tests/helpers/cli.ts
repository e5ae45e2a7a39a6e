import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
export const BIN = path.join(ROOT, "bin", "valuesim.js")

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

let cliProcesses = 0

/**
 * A response cache folder of its own for one CLI process, inside the test file's (tests/helpers/cacheSetup.ts),
 * so no run answers from another's cache unless the test passes the same VALUESIM_CACHE_DIR to both.
 */
const ownCacheDir = () => path.join(process.env["VALUESIM_CACHE_DIR"] ?? os.tmpdir(), `cli-${process.pid}-${++cliProcesses}`)

/** Starts the real CLI as a child process (the way users run it). */
export const startCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): ChildProcess =>
  spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, VALUESIM_PROGRESS_MS: "500", VALUESIM_CACHE_DIR: ownCacheDir(), ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })

export const waitCli = (child: ChildProcess): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

export const runCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => waitCli(startCli(args, env))

/** The summary JSON of a `--json` run: the last stdout line. */
export const lastJson = (stdout: string): Record<string, unknown> => {
  const lines = stdout.trim().split("\n")
  return JSON.parse(lines[lines.length - 1] ?? "{}") as Record<string, unknown>
}

export const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `valuesim-${prefix}-`))
