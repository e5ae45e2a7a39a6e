/**
 * Where a run probes: before anything is written, each model backend's endpoint is named, checked for reachability
 * and asked the run's first question (or `--scoring auto`'s probe), so a server that cannot serve the run stops it
 * with one message.
 */
import { Clock, Console, Effect } from "effect"
import type { BackendSettings, RunSpec } from "../config/RunSpec.js"
import { DEFAULT_BASE_URL, hostOf } from "../config/StudyFile.js"
import { escapeControl } from "../domain/printable.js"
import { BackendUnusableError, UsageError } from "../config/SpecFileError.js"
import { presentedChoices } from "../domain/questionnaire.js"
import { batchTurn, itemTurn, openingMessages } from "../engine/prompts.js"
import { LlmClient } from "../llm/LlmClient.js"
import { checkReachable } from "../app/reachable.js"
import { firstGameMessages } from "../engine/GameRunner.js"
import { describeRequest, validated, type Preloaded } from "../engine/RequestCache.js"
import { societyChoices, societyMessages } from "../society/prompts.js"
import { logprobValidator } from "../llm/scoring.js"
import { cacheable } from "../llm/responseCache.js"
import { makeScheduler } from "../engine/Scheduler.js"
import { thinkingHint } from "../llm/reasoning.js"
import { statedTurn } from "../scoring/stated.js"
import { constrainedShape, shapeOf } from "../scoring/methods.js"
import { probeCacheBody, probeEndpoint, probeQuestion, readCachedProbe, type Probed } from "../probe/probe.js"
import { llmLayer, schedulerOptions, openRunCache } from "./backend.js"
import type { OutputOptions } from "../app/runStudy.js"

/**
 * Before anything is written, asks the endpoint the run's first real question (retrying transient failures
 * as usual). A server that cannot be reached, refuses the key, answers something that is not a chat
 * completion, or under logprob scoring answers without logprobs over the options, stops the run here with one
 * message. The answer is kept and used by the run, so the probe costs no extra request under logprob scoring.
 * When the response cache already holds a usable answer to that question, nothing is sent (the run may then
 * be answered from the cache alone, with the endpoint down).
 */
export const probeBackend = (spec: RunSpec, env: Readonly<Record<string, string | undefined>>, cacheDir: string | null, out: OutputOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const first = spec.steps[0]!
      const cond = spec.population.conditions[0]!
      const messages =
        first.kind === "society"
          ? societyMessages(first.society, cond.system, 1, 0)
          : first.kind === "questionnaire"
          ? [
              ...openingMessages(cond.system),
              first.questionnaire.administration === "batch"
                ? batchTurn(first.questionnaire.prompts, first.questionnaire.items, presentedChoices(first.questionnaire))
                : itemTurn(first.questionnaire.prompts, first.questionnaire.items[0]!, presentedChoices(first.questionnaire), true)
            ]
          : firstGameMessages(spec, 0, cond.system)
      const nonce = spec.backend.scoring === "sample" ? "probe" : null
      // Under auto, when the probe chose stated or constrained, the first question is asked as the run asks it
      // (the stated wording, the constrained shape), so the answer is the run's own (and a cached one is found).
      const own = spec.backend.scoringAuto === true && first.kind === "questionnaire" && first.questionnaire.administration === "independent" &&
        (spec.backend.scoring === "stated" || spec.backend.scoring === "constrained")
      const choices = first.kind === "questionnaire" ? presentedChoices(first.questionnaire) : []
      const { body, key, request } = !own
        ? describeRequest(spec.backend, messages, nonce)
        : spec.backend.scoring === "stated"
          ? describeRequest(spec.backend, [...messages.slice(0, -1), statedTurn(messages[messages.length - 1]!, choices)], null, shapeOf(spec.backend, "stated"))
          : describeRequest(spec.backend, messages, null, constrainedShape(spec.backend, choices))
      // Under logprob scoring the first question must come back with logprobs over its options, as every
      // shared request must (a degraded response is retried like a 5xx).
      const validate = first.kind === "questionnaire" && first.questionnaire.administration !== "batch" && spec.backend.scoring === "logprob"
        ? thinkingHint(logprobValidator(choices))
        : first.kind === "society" && spec.backend.scoring === "logprob"
          ? logprobValidator(societyChoices(first.society))
          : undefined
      const cache = cacheDir !== null && cacheable(spec.backend, nonce) ? yield* openRunCache(spec, cacheDir, spec.backend.baseUrl, env) : null
      const hit = cache === null ? undefined : cache.get(body, yield* Clock.currentTimeMillis)
      if (hit !== undefined && (validate === undefined || validate(hit) === null)) {
        const preloaded: Preloaded = { key, body, completion: hit, attempts: 0, latencyMs: 0, fromCache: true }
        return preloaded
      }
      if (spec.backend.kind === "openai") yield* reachableAny(replicaUrls(spec.backend), env, out)
      const scheduler = yield* makeScheduler(schedulerOptions(spec))
      const llm = yield* LlmClient
      const sent = yield* scheduler.run(null, (attempt) => validated(llm.complete(request, attempt), validate)).pipe(
        Effect.mapError((e) => {
          const detail = e.reason === "Degraded"
            ? `the first request came back without usable logprobs after ${spec.backend.maxAttempts} attempts (${e.detail}); a server without logprobs needs --scoring stated (or auto, which probes the server and chooses)`
            : `the first request failed (${e.message})`
          return spec.backend.kind === "local"
            ? new UsageError({ detail: `--model ${spec.backend.model}: ${detail}; nothing was written` })
            : new BackendUnusableError({ baseUrl: spec.backend.baseUrl ?? "", detail })
        })
      )
      if (cache !== null) cache.put(body, sent.value, yield* Clock.currentTimeMillis)
      const preloaded: Preloaded = { key, body, completion: sent.value, attempts: sent.attempts, latencyMs: sent.latencyMs }
      return preloaded
    }).pipe(Effect.provide(llmLayer(spec, env)))
  )

/** The run with backend b's settings replaced (the method `auto` chose). */
export const withBackend = (spec: RunSpec, b: number, settings: BackendSettings): RunSpec =>
  spec.backends === undefined
    ? { ...spec, backend: settings }
    : { ...spec, backend: b === 0 ? settings : spec.backend, backends: spec.backends.map((x, i) => (i === b ? settings : x)) }

/**
 * The capability probe of an endpoint run under `--scoring auto`, asking the run's first independent question
 * (null when the run has none: then auto keeps logprob and the usual start-up probe runs). With the response
 * cache on, findings an earlier probe of the same endpoint, model (as its `/models` says) and question left there
 * are used and nothing is sent; fresh findings are put there, with the replies the run keeps as its own.
 */
export const autoProbe = <E>(
  spec: RunSpec,
  env: Readonly<Record<string, string | undefined>>,
  cacheDir: string | null,
  /** Run before anything is sent (not when the findings are cached): the run checks the server can be reached. */
  beforeSend: Effect.Effect<void, E> = Effect.void as Effect.Effect<void, E>
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const question = probeQuestion(spec)
      if (question === null) return null
      const cache = cacheDir === null ? null : yield* openRunCache(spec, cacheDir, spec.backend.baseUrl, env)
      const key = probeCacheBody(spec.backend, question.messages)
      const hit = cache?.get(key, yield* Clock.currentTimeMillis)
      const found = hit === undefined ? null : readCachedProbe(hit.text)
      if (found !== null) return { result: found, preloaded: [], settled: true, retries: 0 } satisfies Probed
      yield* beforeSend
      const probed = yield* probeEndpoint({ backend: spec.backend, apiKey: env["OPENAI_API_KEY"] ?? "no-key", ...question })
      if (cache !== null && probed.settled) {
        const now = yield* Clock.currentTimeMillis
        cache.put(key, { text: JSON.stringify(probed.result), topLogprobs: null, promptTokens: 0, completionTokens: 0, finishReason: null }, now)
        for (const p of probed.preloaded) cache.put(p.body, p.completion, now)
      }
      return probed
    })
  )

/** The base URLs a backend's requests go to: its replicas, or its one endpoint. */
export const replicaUrls = (backend: BackendSettings): ReadonlyArray<string> => backend.replicas?.map((r) => r.baseUrl) ?? [backend.baseUrl ?? DEFAULT_BASE_URL]

/**
 * Fails when none of a backend's servers can be reached; a replica that cannot is named and left to the others
 * (the replica client sends it nothing while it is down, and tries it again later).
 */
export const reachableAny = (urls: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>>, out: OutputOptions) =>
  Effect.gen(function* () {
    if (urls.length === 1) return yield* checkReachable(urls[0]!, env)
    const failures = yield* Effect.forEach(urls, (u) => Effect.flip(checkReachable(u, env)).pipe(Effect.option))
    const down = failures.flatMap((f) => (f._tag === "Some" ? [f.value] : []))
    if (down.length === urls.length) return yield* down[0]!
    for (const e of down) yield* (out.json ? Console.error : Console.log)(`[valuesim] warning: replica ${escapeControl(e.baseUrl)} cannot be reached (${e.detail}); its share goes to the others`)
  })

/**
 * Where requests go, printed before the first one is sent (the API key from the environment goes with them). In a
 * run of several backends the line names the backend (`name`), so two models on one server make two lines that
 * say which is which.
 */
export const endpointLine = (backend: BackendSettings, endpoint: string | null, env: Readonly<Record<string, string | undefined>>, name?: string) =>
  backend.kind === "local"
    ? `[valuesim] running ${escapeControl(backend.model)} in this process (node-llama-cpp)`
    : `[valuesim] sending ${name === undefined ? "" : `${escapeControl(name)}'s `}requests to ${escapeControl(hostOf(endpoint ?? DEFAULT_BASE_URL))}${env["OPENAI_API_KEY"] ? " with OPENAI_API_KEY" : ""}`

/** Prints each distinct line once (replicas on one host, `/v1` and `/v1/`, say the same thing). */
export const printOnce = (say: (line: string) => Effect.Effect<void>) => {
  const said = new Set<string>()
  return (line: string) => (said.has(line) ? Effect.void : Effect.zipRight(Effect.sync(() => said.add(line)), say(line)))
}
