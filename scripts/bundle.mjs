/**
 * The bundle bin/valuesim.js starts from: src/bin.ts and everything it imports in one CommonJS file, with the
 * dependencies that are native (better-sqlite3, DuckDB) or only loaded on demand (ink and React for the dashboard,
 * Vega for HTML reports) left external. Built when missing or older than any file under src/, this script or the
 * installed packages; several processes may build at once (the output is deterministic and every file lands by
 * rename).
 *
 * Why one CommonJS file and not ES modules: a CLI process spends most of its start-up compiling the 5 MB
 * bundle, and Node 20 can keep V8's compiled code between processes only for a script compiled through
 * node:vm (module.enableCompileCache arrives in Node 22.1). `runBundle` compiles the file as one vm.Script
 * with the code cache beside it, which roughly halves the CPU a process spends before doing its work; the
 * first process after a build (or on another Node version) writes the cache as it exits.
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as vm from "node:vm"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
// Two levels below the root, like src/config/: the sources find the project root and package.json as "../..".
const outDir = path.join(root, "build", "bundle")
const entry = path.join(outDir, "valuesim.cjs")

const newestSource = (dir) => {
  let newest = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs)
  }
  return newest
}

/**
 * Node 20 forgets a vm.Script's import() hook when the script's code comes from the code cache, so the bundle
 * imports the packages it leaves out through src/importPackage.ts, swapped here for a call to a function that
 * runBundle passes in.
 */
const importPackageFromLoader = {
  name: "import-package-from-loader",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]importPackage\.ts$/ }, () => ({
      contents: "export const importPackage = (specifier) => __valuesimImport(specifier)",
      loader: "js"
    }))
  }
}

/**
 * `import { Effect, Schema } from "effect"` in the sources becomes `import * as Effect from "effect/Effect"` (and
 * so on) in the bundle. Through the barrel, esbuild keeps every module of effect, @effect/platform and @effect/cli
 * and every process ran them all at start-up (their namespace objects hold everything); module by module it keeps
 * only what is used: 1.4 MB less, and about a fifth less CPU per process. The sources keep the barrel imports the
 * Effect documentation uses. A name that is not a module of its own (effect's `pipe`) stays on the barrel.
 */
const BARRELS = /import\s+(type\s+)?\{([^}]*)\}\s+from\s+"(effect|@effect\/platform|@effect\/cli|@effect\/platform-node)"/g
const requireFromRoot = createRequire(path.join(root, "package.json"))
const isModule = (specifier) => {
  try {
    requireFromRoot.resolve(specifier)
    return true
  } catch {
    return false
  }
}
const moduleImports = (source) =>
  source.replace(BARRELS, (whole, typeOnly, names, pkg) => {
    if (typeOnly !== undefined) return whole
    const deep = []
    const kept = []
    for (const name of names.split(",").map((n) => n.trim()).filter((n) => n !== "")) {
      const [imported, local] = name.split(/\s+as\s+/)
      if (!name.startsWith("type ") && isModule(`${pkg}/${imported}`)) deep.push(`import * as ${local ?? imported} from "${pkg}/${imported}";`)
      else kept.push(name)
    }
    return [...deep, ...(kept.length === 0 ? [] : [`import { ${kept.join(", ")} } from "${pkg}";`])].join(" ")
  })
const effectModules = {
  name: "effect-modules",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.tsx?$/ }, async (args) => ({
      contents: moduleImports(await fs.promises.readFile(args.path, "utf8")),
      loader: args.path.endsWith(".tsx") ? "tsx" : "ts"
    }))
  }
}

const EXTERNAL = ["better-sqlite3", "@duckdb/node-api", "@duckdb/node-bindings", "node-llama-cpp", "ink", "react", "react/jsx-runtime", "vega", "vega-lite", "tsx"]

/** Builds the bundle into a private folder, then moves its files into build/bundle/, the entry last. */
export const buildBundle = async () => {
  const esbuild = await import("esbuild")
  const tmp = fs.mkdtempSync(path.join(root, "build", "tmp-"))
  const common = { bundle: true, platform: "node", target: "node20", outdir: tmp, jsx: "automatic", logLevel: "error", external: EXTERNAL }
  try {
    const [main] = await Promise.all([
      esbuild.build({
        ...common,
        metafile: true,
        entryPoints: { valuesim: path.join(root, "src", "bin.ts") },
        format: "cjs",
        outExtension: { ".js": ".cjs" },
        // The sources' import.meta.url becomes the bundle's own file URL, passed in by runBundle.
        define: { "import.meta.url": "__valuesimImportMetaUrl" },
        plugins: [importPackageFromLoader, effectModules]
      }),
      // The dashboard draws from a worker thread: its own entry, loaded by src/ui/tuiHost.ts from beside the
      // bundle (an ES module: the worker starts once per run, when the dashboard shows).
      esbuild.build({
        ...common,
        entryPoints: { "tui-worker": path.join(root, "src", "ui", "tuiWorker.ts") },
        format: "esm",
        outExtension: { ".js": ".mjs" },
        plugins: [effectModules],
        // Bundled CommonJS dependencies call require.
        banner: { js: "import { createRequire as __valuesimRequire } from 'node:module'; const require = __valuesimRequire(import.meta.url);" }
      })
    ])
    refuseUnloadable(main.metafile)
    fs.mkdirSync(outDir, { recursive: true })
    const files = fs.readdirSync(tmp).sort((a, b) => (a.startsWith("valuesim.") ? 1 : 0) - (b.startsWith("valuesim.") ? 1 : 0))
    for (const f of files) fs.renameSync(path.join(tmp, f), path.join(outDir, f))
    // What an earlier build left (ES module chunks, the code caches of an older bundle) goes afterwards.
    for (const f of fs.readdirSync(outDir)) if (!files.includes(f)) fs.rmSync(path.join(outDir, f), { force: true })
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** Packages the CommonJS bundle cannot require: ES modules with top-level await (Vega) or for the worker only. */
const IMPORT_ONLY = new Set(["vega", "vega-lite", "ink", "react", "react/jsx-runtime"])

/**
 * A bundle that would fail only later, in some command, is refused when built: an import() of a package left
 * out (it fails once the code cache is in use; go through src/importPackage.ts), or a static import of a
 * package that can only be imported.
 */
const refuseUnloadable = (metafile) => {
  for (const output of Object.values(metafile.outputs))
    for (const i of output.imports) {
      if (!i.external || i.path.startsWith("node:")) continue
      if (i.kind === "dynamic-import") throw new Error(`bundle: import("${i.path}") in the sources: use importPackage (src/importPackage.ts)`)
      if (IMPORT_ONLY.has(i.path)) throw new Error(`bundle: "${i.path}" is imported statically: load it with importPackage (src/importPackage.ts)`)
    }
}

/** What the bundle is made of besides src/: this script, and the installed dependencies it bakes in. */
const INPUTS = ["scripts/bundle.mjs", "package.json", "package-lock.json", "node_modules/.package-lock.json"]

/** The bundle's path, built first when missing or stale; null when it cannot be built (then run the sources). */
export const freshBundle = async () => {
  try {
    const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : -1
    const inputs = INPUTS.map((f) => path.join(root, f)).filter((f) => fs.existsSync(f)).map((f) => fs.statSync(f).mtimeMs)
    if (built < Math.max(newestSource(path.join(root, "src")), ...inputs)) {
      fs.mkdirSync(path.join(root, "build"), { recursive: true })
      await buildBundle()
    }
    return entry
  } catch {
    return null
  }
}

/**
 * The code cache's file for this bundle file and this Node: V8 checks its own version and flags, but of the
 * source only the length, so the name carries the bundle's modification time and size (a rebuild never meets an
 * older build's cache).
 */
const cacheFileOf = (file) => {
  const s = fs.statSync(file)
  return `${file}.${Math.round(s.mtimeMs)}-${s.size}-${process.arch}-v8-${process.versions.v8}.cache`
}

/**
 * Runs the bundle the way Node runs a CommonJS file, compiled with V8's code cache from an earlier process. With
 * no usable cache, writes one as the process exits, so that it holds every function this process compiled
 * (by rename: processes exiting together each land a whole file).
 */
export const runBundle = (file) => {
  const source = fs.readFileSync(file, "utf8")
  const cacheFile = cacheFileOf(file)
  let cachedData
  try {
    cachedData = fs.readFileSync(cacheFile)
  } catch {
    cachedData = undefined
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __valuesimImportMetaUrl, __valuesimImport) {${source}\n})`, {
    filename: file,
    cachedData
  })
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once("exit", () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`
      try {
        fs.writeFileSync(tmp, script.createCachedData())
        fs.renameSync(tmp, cacheFile)
      } catch {
        // A cache that cannot be written (read-only or full disk) only costs the next process its compile.
        fs.rmSync(tmp, { force: true })
      }
    })
  }
  const module = { exports: {} }
  // The packages the bundle leaves out resolve from the project root, as from the bundle itself.
  const importPackage = (specifier) => import(specifier)
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file), pathToFileURL(file).href, importPackage)
}
