/** `valuesim cache stats|prune`: what the response cache across runs holds, and clearing it. */
import { Command, Options } from "@effect/cli"
import { Clock, Console, Effect, type Option } from "effect"
import { UsageError } from "../config/SpecFileError.js"
import { escapeControl } from "../domain/printable.js"
import { defaultCacheDir } from "../llm/responseCache.js"
import { CacheFileError, cacheStats, pruneCache, type CacheStats } from "../store/ResponseCache.js"
import { cacheOptions, env, json, opt } from "./runOptions.js"

/** Runs a cache operation; a damaged or unwritable cache file fails with its CacheFileError (exit 3 or 4). */
const onCache = <A>(f: () => A): Effect.Effect<A, CacheFileError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      if (e instanceof CacheFileError) return Effect.fail(e)
      throw e
    }
  })

const dirOf = (o: Option.Option<string>) => opt(o) ?? defaultCacheDir(env)

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`
const day = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString().slice(0, 10))

const renderStats = (s: CacheStats): string => {
  const lines = [`response cache ${escapeControl(s.file)}`]
  if (s.entries === 0) return [...lines, "  empty"].join("\n")
  lines.push(`  ${s.entries.toLocaleString("en-US")} responses, ${mb(s.bytes)}; reused ${s.hits.toLocaleString("en-US")} times; last used ${day(s.oldestUseMs)} … ${day(s.newestUseMs)}`)
  for (const g of s.groups) lines.push(`  ${String(g.entries).padStart(9)}  ${escapeControl(g.model)} at ${escapeControl(g.endpoint)} (reused ${g.hits})`)
  return lines.join("\n")
}

const stats = Command.make("stats", { cacheDir: cacheOptions.cacheDir, json }, (a) =>
  Effect.gen(function* () {
    const s = yield* onCache(() => cacheStats(dirOf(a.cacheDir)))
    yield* Console.log(a.json ? JSON.stringify(s) : renderStats(s))
  })
).pipe(Command.withDescription("how many responses the cache holds, its size, and for which endpoints and models"))

const prune = Command.make(
  "prune",
  {
    cacheDir: cacheOptions.cacheDir,
    olderThan: Options.float("older-than").pipe(Options.optional, Options.withDescription("remove the responses not used for this many days (required unless --all)")),
    all: Options.boolean("all").pipe(Options.withDescription("remove every response (required unless --older-than)")),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const days = opt(a.olderThan)
      if ((days === undefined) === !a.all) return yield* new UsageError({ detail: "cache prune: give either --older-than DAYS or --all" })
      if (days !== undefined && !(days >= 0)) return yield* new UsageError({ detail: `--older-than: must be a non-negative number of days, got ${days}` })
      const now = yield* Clock.currentTimeMillis
      const dir = dirOf(a.cacheDir)
      const r = yield* onCache(() => pruneCache(dir, days === undefined ? null : now - days * 86_400_000))
      yield* Console.log(a.json ? JSON.stringify({ dir, ...r }) : `removed ${r.removed.toLocaleString("en-US")} responses from ${escapeControl(dir)}; ${mb(r.bytes)} left`)
    })
).pipe(Command.withDescription("remove responses from the cache: those not used for --older-than DAYS, or --all"))

export const cacheCommand = Command.make("cache").pipe(
  Command.withDescription("the response cache across runs (on for logprob scoring and temperature 0; see --no-cache, --cache-dir)"),
  Command.withSubcommands([stats, prune])
)
