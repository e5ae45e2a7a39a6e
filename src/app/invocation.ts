/**
 * How the user can start valuesim again from where they are, so that every printed hint ("continue with …",
 * "next: …") is a command that works when pasted:
 * - `valuesim` when a `valuesim` on PATH is this very program (installed globally, or `npm link`);
 * - `npx valuesim` inside a clone (npm runs a package's own bin from anywhere below its folder) or inside a
 *   project that has valuesim as a dependency (its node_modules/.bin holds the link);
 * - `node <path>/bin/valuesim.js` otherwise (the script started by path from outside its clone).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { shellWord } from "../domain/printable.js"

const realpath = (file: string): string | null => {
  try {
    return fs.realpathSync(file)
  } catch {
    return null
  }
}

const isInside = (dir: string, parent: string) => {
  const rel = path.relative(parent, dir)
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))
}

export interface InvocationContext {
  /** The script node was started with (process.argv[1]). */
  readonly script: string | undefined
  readonly cwd: string
  readonly pathVariable: string | undefined
}

/** The command prefix for hints, decided from the started script, the working directory and PATH. */
export const commandFor = (ctx: InvocationContext): string => {
  const script = ctx.script === undefined ? null : realpath(ctx.script)
  // Started some other way (a test importing the sources): the installed name is the best guess.
  if (script === null || path.basename(script) !== "valuesim.js") return "valuesim"
  const cwd = realpath(ctx.cwd) ?? ctx.cwd
  for (const dir of (ctx.pathVariable ?? "").split(path.delimiter)) {
    if (dir === "") continue
    if (realpath(path.join(dir, "valuesim")) !== script) continue
    const project = path.dirname(path.dirname(path.resolve(dir)))
    if (path.basename(path.resolve(dir)) === ".bin" && path.basename(path.dirname(path.resolve(dir))) === "node_modules") {
      // npm puts a project's node_modules/.bin on PATH while it runs a script; npx finds it from that project.
      if (isInside(cwd, realpath(project) ?? project)) return "npx valuesim"
      continue
    }
    return "valuesim"
  }
  const packageRoot = path.dirname(path.dirname(script))
  if (isInside(cwd, packageRoot)) return "npx valuesim"
  const rel = path.relative(cwd, script)
  return `node ${shellWord(rel.startsWith("..") ? rel : `./${rel}`)}`
}

let cached: string | undefined

/** `valuesim`, `npx valuesim` or `node …/bin/valuesim.js`: what to type to run valuesim again from here. */
export const cliCommand = (): string =>
  (cached ??= commandFor({ script: process.argv[1], cwd: process.cwd(), pathVariable: process.env["PATH"] }))
