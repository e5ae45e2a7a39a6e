/**
 * The bundle bin/valuesim.js starts from: src/bin.ts and everything it imports, with the dependencies that are
 * native (better-sqlite3) or only loaded on demand (ink and React for the dashboard, Vega for HTML reports) left
 * external, split so that the dashboard and the HTML report stay lazy. Built when missing or older than any file
 * under src/, this script or the installed packages; several processes may build at once (the output is
 * deterministic and every file lands by rename).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
// Two levels below the root, like src/config/: the sources find the project root and package.json as "../..".
const outDir = path.join(root, "build", "bundle")
const entry = path.join(outDir, "valuesim.mjs")

const newestSource = (dir) => {
  let newest = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs)
  }
  return newest
}

/** Builds the bundle into a private folder, then moves its files into build/bundle/, the entry last. */
export const buildBundle = async () => {
  const esbuild = await import("esbuild")
  const tmp = fs.mkdtempSync(path.join(root, "build", "tmp-"))
  try {
    await esbuild.build({
      // The dashboard draws from a worker thread: its own entry, loaded by src/ui/tuiHost.ts beside its chunk.
      entryPoints: { valuesim: path.join(root, "src", "bin.ts"), "tui-worker": path.join(root, "src", "ui", "tuiWorker.ts") },
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      outdir: tmp,
      outExtension: { ".js": ".mjs" },
      jsx: "automatic",
      logLevel: "error",
      external: ["better-sqlite3", "@duckdb/node-api", "@duckdb/node-bindings", "node-llama-cpp", "ink", "react", "react/jsx-runtime", "vega", "vega-lite", "tsx"],
      // Bundled CommonJS dependencies call require.
      banner: { js: "import { createRequire as __valuesimRequire } from 'node:module'; const require = __valuesimRequire(import.meta.url);" }
    })
    fs.mkdirSync(outDir, { recursive: true })
    const files = fs.readdirSync(tmp).sort((a, b) => (a.startsWith("valuesim.") ? 1 : 0) - (b.startsWith("valuesim.") ? 1 : 0))
    for (const f of files) fs.renameSync(path.join(tmp, f), path.join(outDir, f))
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** What the bundle is made of besides src/: this script, and the installed dependencies it bakes in. */
const INPUTS = ["scripts/bundle.mjs", "package.json", "package-lock.json", "node_modules/.package-lock.json"]

/** The bundle's file URL, built first when missing or stale; null when it cannot be built (then run the sources). */
export const freshBundle = async () => {
  try {
    const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : -1
    const inputs = INPUTS.map((f) => path.join(root, f)).filter((f) => fs.existsSync(f)).map((f) => fs.statSync(f).mtimeMs)
    if (built < Math.max(newestSource(path.join(root, "src")), ...inputs)) {
      fs.mkdirSync(path.join(root, "build"), { recursive: true })
      await buildBundle()
    }
    return pathToFileURL(entry).href
  } catch {
    return null
  }
}
