/**
 * `valuesim plan` and the estimate `run` prints before it spends money: the requests and tokens of the run
 * (src/engine/requestPlan.ts), their cost from the user's price setting, and the time they take at the run's
 * rate limits. Also the spending guard of `--max-cost`.
 */
import { Data } from "effect"
import type { BackendSettings, RunSpec } from "../config/RunSpec.js"
import { backendNames, backendsOf, specOfBackend } from "../config/RunSpec.js"
import { pricesFor, type PriceSetting } from "../config/PricesFile.js"
import type { CachedLookup, RequestPlan } from "../engine/requestPlan.js"
import { foreseeScoring, type ScoringForesight } from "../probe/foresee.js"
import { probeCacheBody, probeQuestion, readCachedProbe, type ProbeResult } from "../probe/probe.js"
import { constrainedShape, shapeOf } from "../scoring/methods.js"
import { statedTurn } from "../scoring/stated.js"
import { describeRequest } from "../engine/RequestCache.js"
import { cacheable, endpointIdentity, responseKey } from "../llm/responseCache.js"
import { CacheFileError, withCacheReader } from "../store/ResponseCache.js"
import { formatDuration } from "../progress/counters.js"
import type { Prices } from "../ui/state.js"
import { cliCommand } from "./invocation.js"
import { commandLine } from "../domain/printable.js"

/** The run's spending reached --max-cost: it stopped like an interruption, finished answers saved (exit 130). */
export class MaxCostReachedError extends Data.TaggedError("MaxCostReached")<{
  readonly spentUsd: number
  readonly maxUsd: number
  readonly runDir: string
}> {
  override get message(): string {
    return `stopped: spending reached --max-cost ${usd(this.maxUsd)} (${usd(this.spentUsd)} from the tokens the server reported); finished answers are saved. Continue with: ${commandLine(cliCommand(), "resume", this.runDir, "--max-cost")} <USD>`
  }
}

/** The request plan (counts and tokens, without the chain length) with what it costs and how long it takes. */
export interface RunEstimate extends Omit<RequestPlan, "longestChain"> {
  readonly study: string
  readonly backend: string
  readonly model: string
  readonly baseUrl: string | null
  readonly scoring: string
  /** The method the run will use, when known (auto: from the probe's findings, cached or asked by `plan --probe`). */
  readonly scoringChosen?: string
  /** Under auto on an endpoint: the requests each method it may choose would send (the probe's not included). */
  readonly requestsByMethod?: Readonly<Record<string, number>>
  /** The probe's findings the estimate rests on (from the response cache, or just asked). */
  readonly probe?: ScoringForesight["probe"]
  /** Forced logprob scoring with a first-token option mass below the floor: the hand-over to stated, counted in `requests`. */
  readonly handOver?: ScoringForesight["handOver"]
  /** Forced logprob scoring on an endpoint the probe found without logprobs. */
  readonly noLogprobs?: boolean
  /** $ per million tokens used for costUsd; null when no price is known for this model and endpoint. */
  readonly prices: Prices | null
  readonly costUsd: number | null
  /** Wall time at the run's limits (concurrency, rpm) with `latencySeconds` per request; null on the synthetic backend. */
  readonly etaSeconds: number | null
  readonly latencySeconds: number
  readonly concurrency: number
  /** Request starts per minute the backend allows: its own rpm, or the replicas' together when each has one. */
  readonly rpm: number | null
  /** Servers of a replicated backend (absent: one). */
  readonly replicas?: number
}

/** The request starts per minute a backend allows (its replicas', summed, when every one has a limit). */
const rpmOf = (b: RunSpec["backend"]): number | null => {
  const replicas = b.replicas?.every((r) => r.rpm !== null) ? b.replicas.reduce((n, r) => n + r.rpm!, 0) : null
  return b.rpm === null ? replicas : replicas === null ? b.rpm : Math.min(b.rpm, replicas)
}

/** What `tokens` cost at `prices` (null without prices). */
export const costOf = (prices: Prices | null, inputTokens: number, outputTokens: number): number | null =>
  prices === null ? null : (inputTokens * prices.inputPerMillion + outputTokens * prices.outputPerMillion) / 1e6

/**
 * What the response cache knows for a plan besides `cached`: lookups for requests as another backend (a method
 * auto may choose) sends them, and the probe's findings for the run's endpoint, model and first question.
 */
export interface CacheView {
  readonly lookupFor: (backend: BackendSettings) => CachedLookup | undefined
  readonly probe: ProbeResult | null
}

/** The cache key body of a request the run sends for `messages` (stated and constrained items in their own words and shape). */
const requestBody = (b: BackendSettings, messages: Parameters<CachedLookup>[0], nonce: string | null, choices: Parameters<CachedLookup>[2]): string => {
  if (choices !== undefined && nonce === null && b.scoring === "stated") {
    return describeRequest(b, [...messages.slice(0, -1), statedTurn(messages[messages.length - 1]!, choices)], null, shapeOf(b, "stated")).body
  }
  if (choices !== undefined && nonce === null && b.scoring === "constrained") return describeRequest(b, messages, null, constrainedShape(b, choices)).body
  return describeRequest(b, messages, nonce).body
}

/**
 * Calls `use` with a lookup of the response cache in `dir` for the run's requests (null `dir`: the cache is off,
 * nothing is cached; a damaged cache: nothing is cached, after a warning) and the cache's view (the probe's
 * findings; `probed`: findings just asked, used instead). Nothing is created or changed.
 */
export const withCachedLookup = <A>(
  spec: RunSpec,
  dir: string | null,
  use: (cached: CachedLookup | undefined, view: CacheView) => A,
  probed: ProbeResult | null = null
): A => {
  const none: CacheView = { lookupFor: () => undefined, probe: probed }
  if (dir === null || spec.backend.kind === "synthetic") return use(undefined, none)
  const identity = endpointIdentity(spec.backend, spec.backend.baseUrl)
  try {
    // What the endpoint served when it was last asked (plan sends nothing, so it does not ask again).
    return withCacheReader(dir, (has, lastServing, textOf) => {
      const serving = lastServing(identity, spec.backend.model)
      const lookupFor = (b: BackendSettings): CachedLookup => (messages, nonce, choices) =>
        cacheable(b, nonce) && has(responseKey(identity, requestBody(b, messages, nonce, choices), serving))
      const question = spec.backend.kind === "openai" && probed === null ? probeQuestion(spec) : null
      const text = question === null ? null : textOf(responseKey(identity, probeCacheBody(spec.backend, question.messages), serving))
      const probe = probed ?? (text === null ? null : readCachedProbe(text))
      return use(lookupFor(spec.backend), { lookupFor, probe })
    })
  } catch (e) {
    // As a run goes on without a cache it cannot read, its plan counts nothing as cached (after one warning).
    if (!(e instanceof CacheFileError)) throw e
    process.stderr.write(`[valuesim] warning: ${e.message}; planned as if nothing were cached\n`)
    return use(undefined, none)
  }
}

export const estimateRun = (spec: RunSpec, setting: PriceSetting, latencySeconds: number, cached?: CachedLookup, view?: CacheView): RunEstimate => {
  const foresight = foreseeScoring(spec, (b) => (b === spec.backend ? cached : view?.lookupFor(b)), view?.probe ?? null)
  const p = foresight.plan
  const b = spec.backend
  const prices = pricesFor(b, setting)
  const synthetic = b.kind === "synthetic"
  const rpm = rpmOf(b)
  // The slowest of: the permits (concurrency requests at a time; a local model answers one at a time), the rate
  // limit, and one agent's chain of requests that must go one after another (session items, game decisions).
  const parallel = b.kind === "local" ? 1 : b.concurrency
  const eta = synthetic
    ? null
    : Math.max((p.requests * latencySeconds) / parallel, rpm === null ? 0 : (p.requests * 60) / rpm, p.longestChain * latencySeconds)
  return {
    study: spec.study.id,
    backend: b.kind,
    model: b.model,
    baseUrl: b.baseUrl,
    scoring: b.scoringAuto === true ? "auto" : b.scoring,
    ...(foresight.chosen === undefined || synthetic ? {} : { scoringChosen: foresight.chosen }),
    ...(foresight.byMethod === undefined ? {} : { requestsByMethod: foresight.byMethod }),
    ...(foresight.probe === undefined ? {} : { probe: foresight.probe }),
    ...(foresight.handOver === undefined ? {} : { handOver: foresight.handOver }),
    ...(foresight.noLogprobs === true ? { noLogprobs: true } : {}),
    agents: p.agents,
    answers: p.answers,
    requests: p.requests,
    cached: p.cached,
    shared: p.shared,
    inputTokens: p.inputTokens,
    outputTokens: p.outputTokens,
    prices,
    costUsd: costOf(prices, p.inputTokens, p.outputTokens),
    etaSeconds: eta === null ? null : Math.round(eta * 10) / 10,
    latencySeconds,
    concurrency: parallel,
    rpm,
    ...(b.replicas === undefined ? {} : { replicas: b.replicas.length }),
    steps: p.steps
  }
}

/** True when the run may cost money: a model that is not free (unknown prices count as not free). */
export const isPaid = (e: Pick<RunEstimate, "backend" | "prices">) =>
  e.backend !== "synthetic" && (e.prices === null || e.prices.inputPerMillion > 0 || e.prices.outputPerMillion > 0)

const n = (x: number) => x.toLocaleString("en-US")
export const usd = (x: number) => (x < 0.01 && x > 0 ? `$${x.toPrecision(2)}` : `$${x.toFixed(2)}`)

/** The estimate as a few lines of text. */
export const renderEstimate = (e: RunEstimate): string => {
  const lines: Array<string> = []
  const where =
    e.backend === "synthetic"
      ? "the synthetic backend (theory model, not an LLM)"
      : e.backend === "local"
        ? `${e.model} in this process`
        : `${e.model} at ${e.baseUrl ?? "https://api.openai.com/v1"}${e.replicas === undefined ? "" : ` and ${e.replicas - 1} more replica(s)`}`
  lines.push(`plan: ${e.study} on ${where}, ${n(e.agents)} agents, ${e.scoring} scoring`)
  if (e.backend === "synthetic") {
    lines.push(`  ${n(e.answers)} answers, computed here: no requests, no cost`)
    return lines.join("\n")
  }
  lines.push(`  requests      ${n(e.requests)} for ${n(e.answers)} answers (${n(e.shared)} served by identical requests sent once)`)
  for (const s of e.steps) {
    const bound = s.requestBound !== undefined
      ? ` at most (${e.scoring === "sample" ? "one per agent per round" : "distinct observations × conditions over the rounds"}; ${n(s.answers)} agent-rounds)`
      : s.context === "answers"
        ? " at most (earlier answers in context: one per agent and question; agents whose answers are the same share)"
        : ""
    lines.push(`    ${(s.arm === undefined ? s.step : `${s.step} [arm ${s.arm}]`).padEnd(20)} ${n(s.requests)} requests${bound}, ~${n(s.inputTokens)} input tokens`)
  }
  if (e.cached > 0) lines.push(`  cached        ${n(e.cached)} more answered by the response cache (not sent, no tokens, no cost)`)
  lines.push(...scoringLines(e))
  lines.push(`  input tokens  ~${n(e.inputTokens)} (estimated from the prompts: characters / 4)`)
  lines.push(`  output tokens ≤${n(e.outputTokens)} (max_tokens per reply)`)
  lines.push(
    e.costUsd === null
      ? `  cost          unknown: no price for ${e.model} (set VALUESIM_PRICES to "<input $/Mtok>,<output $/Mtok>" or a price table file)`
      : `  cost          ~${usd(e.costUsd)} at $${e.prices!.inputPerMillion}/$${e.prices!.outputPerMillion} per million input/output tokens`
  )
  const limits = `concurrency ${e.concurrency}${e.rpm === null ? "" : `, ${e.rpm} requests/min`}, ${e.latencySeconds} s per request assumed`
  lines.push(`  time          ~${formatDuration(e.etaSeconds ?? 0)} (${limits})`)
  lines.push(`  not counted: re-asks of unreadable answers or invalid stated probabilities, and each agent's own request where a shared question gets no usable distribution (rare; the run summary counts every request sent)`)
  return lines.join("\n")
}

/** What the plan foresees of the scoring: auto's method and each method's requests, a hand-over under forced logprob. */
const scoringLines = (e: RunEstimate): Array<string> => {
  const lines: Array<string> = []
  const found = e.probe === undefined ? "" : ` (the probe${e.probe.fromCache ? " cached from an earlier run" : ""}: ${e.probe.reason})`
  if (e.requestsByMethod !== undefined) {
    lines.push(`  by method     ${Object.entries(e.requestsByMethod).map(([m, r]) => `${m} ${n(r)}`).join(" · ")}`)
    lines.push(
      e.scoringChosen === undefined
        ? `  auto          the probe at the start of the run chooses; counted above as logprob (constrained and stated send as many) and 1 probe request; if none works, sample. ${cliCommand()} plan --probe asks the probe now`
        : `  auto          will use ${e.scoringChosen}: ${n(e.requests)} requests${found}`
    )
  }
  if (e.handOver !== undefined) {
    lines.push(
      `  hand-over     the first token carries ${e.handOver.optionMass.toFixed(3)} of the probability on the options, below the floor ${e.handOver.floor} ` +
        `(the probe's finding${e.probe?.fromCache === true ? ", cached from an earlier run" : ""}): ` +
        `each shared question is asked again as stated, which roughly doubles the requests (${n(e.handOver.logprob)} logprob + ${n(e.handOver.stated)} stated, counted above); --scoring auto or stated asks once`
    )
  }
  if (e.noLogprobs === true) lines.push(`  no logprobs   the probe found none at this endpoint${found}: logprob scoring stops at its first request; use --scoring auto or stated`)
  return lines
}

/** The plan of a study listing several backends: each backend's estimate (it answers the whole population), and the totals. */
export interface BackendsEstimate {
  readonly study: string
  readonly backends: ReadonlyArray<RunEstimate & { readonly name: string }>
  readonly agents: number
  readonly answers: number
  readonly requests: number
  readonly inputTokens: number
  readonly outputTokens: number
  /** The sum of the backends' costs; null when a paid backend's price is unknown. */
  readonly costUsd: number | null
  /** Backends run at once: the slowest one's time. */
  readonly etaSeconds: number | null
}

/** Each backend's estimate (the run spec as that backend runs it) and their totals. */
export const estimateBackends = (spec: RunSpec, setting: PriceSetting, latencySeconds: number, cacheDir: string | null = null): BackendsEstimate => {
  const names = backendNames(spec)
  const backends = backendsOf(spec).map((_, b) => {
    const one = specOfBackend(spec, b)
    return { name: names[b]!, ...withCachedLookup(one, cacheDir, (cached, view) => estimateRun(one, setting, latencySeconds, cached, view)) }
  })
  const sum = (f: (e: RunEstimate) => number) => backends.reduce((n, e) => n + f(e), 0)
  const etas = backends.flatMap((e) => (e.etaSeconds === null ? [] : [e.etaSeconds]))
  return {
    study: spec.study.id,
    backends,
    agents: sum((e) => e.agents),
    answers: sum((e) => e.answers),
    requests: sum((e) => e.requests),
    inputTokens: sum((e) => e.inputTokens),
    outputTokens: sum((e) => e.outputTokens),
    costUsd: backends.some((e) => e.backend !== "synthetic" && e.costUsd === null) ? null : sum((e) => e.costUsd ?? 0),
    etaSeconds: etas.length === 0 ? null : Math.max(...etas)
  }
}

/** A several-backend plan as text: a line of totals, then each backend's own estimate. */
export const renderBackendsEstimate = (e: BackendsEstimate): string => {
  const lines = [
    `plan: ${e.study} on ${e.backends.length} backends, each answering the whole population: ${n(e.requests)} requests in all, ` +
      `${e.costUsd === null ? "cost unknown (a price is missing)" : `~${usd(e.costUsd)}`}` +
      `${e.etaSeconds === null ? "" : `, ~${formatDuration(e.etaSeconds)} (backends run at once)`}`,
    ...e.backends.map((b) => `  ${b.name.padEnd(Math.max(...e.backends.map((x) => x.name.length)))}  ${n(b.requests)} requests${b.costUsd === null ? "" : `, ~${usd(b.costUsd)}`}`)
  ]
  for (const b of e.backends) lines.push("", `[${b.name}]`, renderEstimate(b))
  return lines.join("\n")
}
