import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT, tempDir } from "../helpers/cli.js"

/**
 * A new user's first minutes: `npm start` in a fresh copy of the checkout (the files git would clone, as they are
 * now, with the installed node_modules linked in), then every command the output tells the user to run, pasted
 * as printed into a shell in that folder. Each must exist and succeed.
 */

/** The checkout's files as a clone would have them: tracked and not ignored, with their current content. */
const freshClone = () => {
  const dir = path.join(tempDir("clone"), "valuesim")
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter((f) => f !== "")
  for (const f of files) {
    const from = path.join(ROOT, f)
    if (!fs.existsSync(from) || fs.lstatSync(from).isSymbolicLink()) continue
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true })
    fs.copyFileSync(from, path.join(dir, f))
  }
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(dir, "node_modules"))
  return dir
}

/** Runs a shell command line in `cwd` the way a user's terminal would (no VALUESIM_* settings, not in CI). */
const shell = (line: string, cwd: string) =>
  new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VALUESIM_") && !k.startsWith("npm_") && k !== "CI"))
    const child = spawn("sh", ["-c", line], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr.on("data", (d: Buffer) => (out += d.toString()))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, out }))
  })

/** Every `npx valuesim …` command in the output: the words after it up to a space run, a parenthesis or the line end. */
const commandsIn = (out: string) => [...out.matchAll(/(?:^|[\s(:])(npx valuesim(?: [^\s()]+)+)/gm)].map((m) => m[1]!)

describe("a fresh clone", () => {
  it("npm start finishes and every command it tells the user to run works as printed", async () => {
    const clone = freshClone()
    const start = await shell("npm start", clone)
    expect(start.code, start.out).toBe(0)
    const commands = commandsIn(start.out)
    // At least the report of the run just made, in text and as HTML.
    expect(commands.some((c) => /^npx valuesim report runs\/\S+$/.test(c)), start.out).toBe(true)
    expect(commands.some((c) => /^npx valuesim report runs\/\S+ --format html$/.test(c)), start.out).toBe(true)
    // Each reads the run just made, none depends on another: started together.
    const results = await Promise.all(commands.map((c) => shell(c, clone)))
    for (const [i, c] of commands.entries()) expect(results[i]!.code, `${c}\n${results[i]!.out}`).toBe(0)
    fs.rmSync(path.dirname(clone), { recursive: true, force: true })
  }, 180_000)
})
