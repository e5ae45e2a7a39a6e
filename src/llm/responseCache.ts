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
 *
 * Which model answers. One URL and one model name may be served by another model tomorrow (llama.cpp or vLLM
 * restarted on another file under the same `--alias`/`--served-model-name`). Before a run uses the cache it asks
 * the server's `/models` what it serves under the name (`learnServing`: llama.cpp lists the file's size and
 * parameters, vLLM the model's `root`), and that goes into every key: answers of one model are never served for
 * another, and switching back finds the first one's answers again. Where the server cannot be asked (down, or no
 * `/models`) the answer it gave last time is used, and said. Each entry also keeps the response's own `model`
 * field; once a run sees fresh responses name another model than an entry's, that entry is not served (a
 * warning says so) and the fresh answer replaces it. Degraded entries (rejected by the run's check) and
 * unreadable ones are asked again and replaced as well.
 */
import { Clock, Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { BackendSettings } from "../config/RunSpec.js"
import { DEFAULT_BASE_URL } from "../config/StudyFile.js"
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

/** The cache key of a request body (model, parameters, messages, nonce) sent to `identity`, served by `serving` (null: unknown). */
export const responseKey = (identity: string, body: string, serving: string | null = null): string =>
  createHash("sha256").update(`${identity}\n${serving === null ? "" : `serving:${serving}\n`}${body}`).digest("hex")

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** JSON with object keys sorted, so equal content is equal text. */
const canonical = (u: unknown): string =>
  Array.isArray(u)
    ? `[${u.map(canonical).join(",")}]`
    : isRecord(u)
      ? `{${Object.keys(u).sort().map((k) => `${JSON.stringify(k)}:${canonical(u[k])}`).join(",")}}`
      : JSON.stringify(u) ?? "null"

/**
 * What a `/models` listing says serves `model` (its entry; the whole list when no entry has that id), as a short
 * hash; null when the body is not a listing. Fields that change with every call are left out: `permission`
 * (vLLM makes new ids each time) and a `created` within ten minutes of now (vLLM and llama.cpp report the time of
 * the call; OpenAI and Ollama a fixed date, which is kept: a model pulled again under the same name is another).
 */
export const servingOf = (listing: unknown, model: string, nowMs: number): string | null => {
  if (!isRecord(listing) || !Array.isArray(listing["data"])) return null
  const entries = (listing["data"] as ReadonlyArray<unknown>).filter(isRecord)
  const own = entries.filter((e) => e["id"] === model)
  const stable = (own.length > 0 ? own : entries).map((e) =>
    canonical(
      Object.fromEntries(
        Object.entries(e).filter(([k, v]) => k !== "permission" && !(k === "created" && typeof v === "number" && Math.abs(nowMs / 1000 - v) < 600))
      )
    )
  )
  return createHash("sha256").update(stable.sort().join("\n")).digest("hex").slice(0, 16)
}

/**
 * Asks an OpenAI-compatible endpoint's `/models` what serves `backend.model` (`servingOf`); null for a local model
 * (its file is its identity) or when the endpoint does not answer within 5 s with a listing. Sends the API key,
 * as every request of the run does.
 */
export const learnServing = (
  backend: Pick<BackendSettings, "kind" | "model">,
  endpoint: string | null,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<string | null> =>
  backend.kind !== "openai"
    ? Effect.succeed(null)
    : Effect.gen(function* () {
        const listing = yield* Effect.tryPromise(async (signal) => {
          const res = await fetch(`${(endpoint ?? DEFAULT_BASE_URL).replace(/\/+$/, "")}/models`, {
            headers: { authorization: `Bearer ${env["OPENAI_API_KEY"] ?? "no-key"}` },
            signal: AbortSignal.any([signal, AbortSignal.timeout(5000)])
          })
          return res.ok ? ((await res.json()) as unknown) : null
        }).pipe(Effect.orElseSucceed(() => null))
        return servingOf(listing, backend.model, yield* Clock.currentTimeMillis)
      })

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
 * Opens the cache in `dir` for requests to `identity` served by `serving` (what `learnServing` found; null when
 * the endpoint could not say, and then what it said last time), closed with the scope. When it cannot be opened
 * (a read-only home, a corrupt file) the run goes on without it after one warning on stderr.
 */
export const openCache = (dir: string, identity: string, model: string, serving: string | null = null, nowMs = 0) =>
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
      const served = guarded(() => {
        if (serving !== null) {
          db!.noteServing(identity, model, serving, nowMs)
          return serving
        }
        return db!.lastServing(identity, model)
      }, null)
      // The model fresh responses of this run name (their `model` field), once one came.
      let live: string | null = null
      let warned = false
      return {
        identity,
        get: (body, now) =>
          guarded(() => {
            const key = responseKey(identity, body, served)
            const row = db!.lookup(key)
            if (row === undefined) return undefined
            if (live !== null && row.servedBy !== null && row.servedBy !== live) {
              if (!warned) {
                warned = true
                process.stderr.write(
                  `[valuesim] warning: ${identity} now answers as ${JSON.stringify(live)}; cached answers given by ${JSON.stringify(row.servedBy)} are not used (asked again)\n`
                )
              }
              return undefined
            }
            let topLogprobs: Completion["topLogprobs"]
            try {
              topLogprobs = row.topLogprobs === null ? null : (JSON.parse(row.topLogprobs) as Completion["topLogprobs"])
              if (topLogprobs !== null && !Array.isArray(topLogprobs)) return undefined
            } catch {
              return undefined // damaged: asked again, and replaced
            }
            db!.touch(key, now)
            const completion: Completion = {
              text: row.text ?? "",
              topLogprobs,
              promptTokens: row.promptTokens,
              completionTokens: row.completionTokens,
              finishReason: row.finishReason ?? null,
              ...(row.thinking === null || row.thinking === undefined ? {} : { thinking: row.thinking }),
              servedBy: row.servedBy
            }
            return completion
          }, undefined),
        put: (body, c, now) =>
          guarded(() => {
            if (c.servedBy !== undefined && c.servedBy !== null) live = c.servedBy
            db!.put(
              responseKey(identity, body, served),
              identity,
              model,
              {
                servedBy: c.servedBy ?? null,
                text: c.text,
                topLogprobs: c.topLogprobs === null ? null : JSON.stringify(c.topLogprobs),
                promptTokens: c.promptTokens,
                completionTokens: c.completionTokens,
                finishReason: c.finishReason,
                thinking: c.thinking ?? null
              },
              now
            )
          }, undefined),
        close: () => db?.close()
      }
    }),
    (cache) => Effect.sync(() => cache?.close())
  ).pipe(Effect.map((opened): ResponseCache | null => opened))
