/**
 * The response cache across runs: which requests may be answered from it, where it lives, and the handle a run
 * asks through. The SQL is in src/store/ResponseCache.ts.
 *
 * Policy. A response is reused only where reusing it cannot turn independent samples into copies:
 * - a request without a nonce: the engine sends those only when the answer is a distribution (logprob scoring;
 *   every agent draws its own answer from it with its own seeded stream), so one response serves them all;
 * - any request at temperature 0, whose answer is deterministic.
 * Under sample scoring at a temperature above 0 nothing is read from or written to the cache: each agent's
 * reply is a sample of its own, and the run's own store (not this cache) is what makes `resume` free.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { BackendSettings } from "../config/RunSpec.js"
import type { Completion } from "../domain/answers.js"
import { openResponseCache, type ResponseCacheDb } from "../store/ResponseCache.js"

/** May the answer to a request with this nonce be taken from (and put in) the cache? */
export const cacheable = (backend: Pick<BackendSettings, "temperature">, nonce: string | null): boolean =>
  nonce === null || backend.temperature === 0

/**
 * The cache folder: `--cache-dir`, else $VALUESIM_CACHE_DIR, else `$XDG_CACHE_HOME/valuesim`, else
 * `~/.cache/valuesim`.
 */
export const defaultCacheDir = (env: Readonly<Record<string, string | undefined>>): string => {
  const own = env["VALUESIM_CACHE_DIR"]
  if (own !== undefined && own !== "") return path.resolve(own)
  const xdg = env["XDG_CACHE_HOME"]
  return path.join(xdg !== undefined && xdg !== "" ? path.resolve(xdg) : path.join(os.homedir(), ".cache"), "valuesim")
}

/**
 * Who answers, as the cache tells endpoints apart: the base URL (without trailing slashes) for an endpoint; for
 * a local model its file's absolute path, size and modification time (a replaced file is another model).
 */
export const endpointIdentity = (backend: Pick<BackendSettings, "kind" | "model">, endpoint: string | null): string => {
  if (backend.kind === "local") {
    const file = path.resolve(backend.model)
    try {
      const st = fs.statSync(file)
      return `local:${file}:${st.size}:${Math.round(st.mtimeMs)}`
    } catch {
      return `local:${file}`
    }
  }
  return (endpoint ?? "").replace(/\/+$/, "")
}

/** The cache key of a request body (model, parameters, messages, nonce) sent to `identity`. */
export const responseKey = (identity: string, body: string): string => createHash("sha256").update(`${identity}\n${body}`).digest("hex")

/** A run's view of the cache: one endpoint and model. A failing cache turns itself off with one warning. */
export interface ResponseCache {
  readonly identity: string
  /** The cached answer to a request body (marked as used at `nowMs`), or undefined. Synchronous, like SQLite. */
  readonly get: (body: string, nowMs: number) => Completion | undefined
  readonly put: (body: string, completion: Completion, nowMs: number) => void
}

interface Opened extends ResponseCache {
  readonly close: () => void
}

/**
 * Opens the cache in `dir` for requests to `identity`, closed with the scope. When it cannot be opened (a
 * read-only home, a corrupt file) the run goes on without it after one warning on stderr.
 */
export const openCache = (dir: string, identity: string, model: string) =>
  Effect.acquireRelease(
    Effect.sync((): Opened | null => {
      let db: ResponseCacheDb | null
      try {
        db = openResponseCache(dir)
      } catch (e) {
        process.stderr.write(`[valuesim] warning: the response cache in ${dir} cannot be opened (${(e as Error).message}); running without it\n`)
        return null
      }
      const guarded = <A>(what: () => A, fallback: A): A => {
        if (db === null) return fallback
        try {
          return what()
        } catch (e) {
          process.stderr.write(`[valuesim] warning: the response cache ${db.file} failed (${(e as Error).message}); going on without it\n`)
          try {
            db.close()
          } catch {
            // Already unusable.
          }
          db = null
          return fallback
        }
      }
      return {
        identity,
        get: (body, now) =>
          guarded(() => {
            const key = responseKey(identity, body)
            const row = db!.lookup(key)
            if (row === undefined) return undefined
            db!.touch(key, now)
            const completion: Completion = {
              text: row.text ?? "",
              topLogprobs: row.topLogprobs === null ? null : (JSON.parse(row.topLogprobs) as Completion["topLogprobs"]),
              promptTokens: row.promptTokens,
              completionTokens: row.completionTokens,
              finishReason: null
            }
            return completion
          }, undefined),
        put: (body, c, now) =>
          guarded(() => {
            db!.put(
              responseKey(identity, body),
              identity,
              model,
              {
                text: c.text,
                topLogprobs: c.topLogprobs === null ? null : JSON.stringify(c.topLogprobs),
                promptTokens: c.promptTokens,
                completionTokens: c.completionTokens
              },
              now
            )
          }, undefined),
        close: () => db?.close()
      }
    }),
    (cache) => Effect.sync(() => cache?.close())
  ).pipe(Effect.map((opened): ResponseCache | null => opened))
