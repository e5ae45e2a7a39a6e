/**
 * What a run sends requests through: the LLM layer of a backend (a local model, one OpenAI-compatible endpoint or
 * its replicas), the scheduler's settings, and the run's view of the response cache across runs.
 */
import { Clock, Context, Effect, Layer } from "effect"
import type { RunSpec } from "../config/RunSpec.js"
import { DEFAULT_BASE_URL } from "../config/StudyFile.js"
import { UsageError } from "../config/SpecFileError.js"
import { LlmClient } from "../llm/LlmClient.js"
import { endpointIdentity, learnServing, openCache } from "../llm/responseCache.js"
import type { Pacer } from "../llm/rateLimits.js"
import * as LlmClientLocal from "../llm/LlmClientLocal.js"
import * as LlmClientOpenAi from "../llm/LlmClientOpenAi.js"
import * as Replicas from "../llm/replicas.js"

/**
 * The LLM client of a run spec's backend: a local model (which may fail to load), or an OpenAI-compatible
 * endpoint: one, or its replicas composed into one client (src/llm/replicas.ts) unless `endpoint` (resume
 * --base-url) names another server.
 */
export const llmLayer = (
  spec: RunSpec,
  env: Readonly<Record<string, string | undefined>>,
  endpoint: string | null = spec.backend.baseUrl,
  replicaOptions: Replicas.ReplicaOptions = {},
  pacer?: Pacer
): Layer.Layer<LlmClient, UsageError> => {
  const b = spec.backend
  if (b.kind === "local") return LlmClientLocal.layer({ modelPath: b.model, seed: spec.seed, ...localThreads(env) })
  // `pacer`: the one server's rate-limit headers pace the run (replicas are separate servers: none is shared).
  const openAi = (baseURL: string, connections: number, paced?: Pacer) =>
    LlmClientOpenAi.layer({
      baseURL,
      // Local servers (Ollama, vLLM, llama.cpp) accept any key; OpenAI itself answers 401 without one.
      apiKey: LlmClientOpenAi.apiKeyOf(env),
      model: b.model,
      connections,
      ...(paced === undefined ? {} : { pacer: paced })
    })
  if (b.replicas === undefined || endpoint !== b.baseUrl) return openAi(endpoint ?? DEFAULT_BASE_URL, b.concurrency, pacer)
  return Layer.unwrapScoped(
    Effect.map(
      Effect.forEach(b.replicas, (r) => Effect.map(Layer.build(openAi(r.baseUrl, r.concurrency)), (ctx) => ({ name: r.baseUrl, concurrency: r.concurrency, rpm: r.rpm, client: Context.get(ctx, LlmClient) }))),
      (endpoints) => Replicas.layer(b.model, endpoints, replicaOptions)
    )
  )
}

/** VALUESIM_LOCAL_THREADS: CPU threads of the local backend (default: node-llama-cpp's, every core). */
export const localThreads = (env: Readonly<Record<string, string | undefined>>): { readonly threads?: number } => {
  const n = Number(env["VALUESIM_LOCAL_THREADS"] ?? "")
  return Number.isInteger(n) && n > 0 ? { threads: n } : {}
}

export const schedulerOptions = (spec: RunSpec) => ({
  concurrency: spec.backend.concurrency,
  rpm: spec.backend.rpm,
  timeoutMs: spec.backend.timeoutMs,
  maxAttempts: spec.backend.maxAttempts,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
  tpm: spec.backend.tpm ?? null
})

/** The run's view of the response cache for requests to `endpoint`, keyed by what the endpoint says it serves. */
export const openRunCache = (spec: RunSpec, dir: string, endpoint: string | null, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const serving = yield* learnServing(spec.backend, endpoint, env)
    return yield* openCache(dir, endpointIdentity(spec.backend, endpoint), spec.backend.model, serving, yield* Clock.currentTimeMillis)
  })
