/**
 * `valuesim plan`: what a run would send and cost, before anything is sent; and the estimate and `--max-cost`
 * check `run` makes before it starts on a paid endpoint.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { estimateBackends, estimateRun, isPaid, renderBackendsEstimate, renderEstimate, usd, withCachedLookup, type RunEstimate } from "../app/planRun.js"
import { runCacheDir } from "../app/runStudy.js"
import { cliCommand } from "../app/invocation.js"
import { ignoredPriceWarnings, loadPriceSetting, pricesFor } from "../config/PricesFile.js"
import { backendsOf, type RunSpec } from "../config/RunSpec.js"
import { UsageError } from "../config/SpecFileError.js"
import { loadRunSpec } from "../config/StudyFile.js"
import { autoProbe, reachableAny, replicaUrls } from "../run/probe.js"
import { probeTable } from "../probe/probe.js"
import { backendOptions, cacheOutput, env, json, opt, overridesOf } from "./runOptions.js"

export const latency = Options.float("latency").pipe(
  Options.withDescription("seconds one request takes, for the time estimate (measure yours with a short run). Default: 1"),
  Options.withDefault(1)
)

export const maxCost = Options.float("max-cost").pipe(
  Options.withDescription(
    "US dollars the run may spend: a run whose estimate is higher is refused before anything is sent, and a run whose spending reaches it stops (resumable). Needs a price (VALUESIM_PRICES). Default: no limit"
  ),
  Options.optional
)

/** --max-cost as a number, checked; undefined when not given. */
export const maxCostOf = (o: Option.Option<number>) =>
  Effect.gen(function* () {
    const m = opt(o)
    if (m !== undefined && !(m >= 0)) return yield* new UsageError({ detail: "--max-cost: must be a non-negative number of US dollars" })
    return m
  })

/**
 * Before `run` starts: on a paid endpoint (or with --max-cost) prints the estimate, and refuses (exit 2, nothing
 * sent or written) a run whose estimate exceeds --max-cost or whose cost cannot be estimated under one.
 */
export const checkBudget = (spec: RunSpec, maxUsd: number | undefined, asJson: boolean, cacheDir: string | null) =>
  Effect.gen(function* () {
    const models = backendsOf(spec).filter((b) => b.kind !== "synthetic")
    if (models.length === 0) return
    const setting = yield* loadPriceSetting(env)
    for (const w of ignoredPriceWarnings(models, setting)) yield* Console.error(w)
    if (!models.some((b) => isPaid({ backend: b.kind, prices: pricesFor(b, setting) })) && maxUsd === undefined) return
    const several = spec.backends === undefined ? null : estimateBackends(spec, setting, 1, cacheDir)
    const e = several ?? withCachedLookup(spec, cacheDir, (cached, view) => estimateRun(spec, setting, 1, cached, view))
    const text = several === null ? renderEstimate(e as RunEstimate) : renderBackendsEstimate(several)
    yield* asJson ? Console.error(text) : Console.log(text)
    if (maxUsd === undefined) return
    if (e.costUsd === null) {
      const unpriced = several === null ? (e as RunEstimate).model : several.backends.filter((b) => b.backend !== "synthetic" && b.costUsd === null).map((b) => b.model).join(", ")
      return yield* new UsageError({
        detail: `--max-cost: no price is known for ${unpriced}, so the cost cannot be checked; set VALUESIM_PRICES ("<input $/Mtok>,<output $/Mtok>" or a price table file). Nothing was sent.`
      })
    }
    if (e.costUsd > maxUsd) {
      return yield* new UsageError({
        detail: `--max-cost: the run is estimated at ${usd(e.costUsd)}, more than ${usd(maxUsd)}; nothing was sent. Fewer agents, logprob scoring or a cheaper model lower it (${cliCommand()} plan shows the breakdown).`
      })
    }
  })

const { runsDir: _runsDir, ...planBackendOptions } = backendOptions

export const planCommand = Command.make(
  "plan",
  {
    spec: Args.text({ name: "scenario-or-study.yaml" }).pipe(Args.withDescription("the study (or questionnaire) the run would use")),
    population: Options.text("population").pipe(Options.optional, Options.withDescription("population file. Default: the study's population, else populations/h-np.yaml")),
    agents: Options.integer("agents").pipe(Options.optional, Options.withDescription("number of agents. Default: the study's agents, else the population's, else 1,000")),
    ...planBackendOptions,
    latency,
    probe: Options.boolean("probe").pipe(
      Options.withDescription(
        "ask the endpoint's capability probe now (a few requests; its findings and answers are kept in the response cache, so the run does not send them again) and plan with the method auto will use. Default: the findings an earlier run left in the cache, if any"
      )
    ),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const agents = opt(a.agents)
      if (agents !== undefined && agents < 1) return yield* new UsageError({ detail: "--agents: must be a positive integer" })
      if (!(a.latency > 0)) return yield* new UsageError({ detail: "--latency: must be a positive number of seconds" })
      const overrides = yield* overridesOf({ ...a, runsDir: "" })
      const spec = yield* loadRunSpec(a.spec, { ...overrides, population: opt(a.population), agents }, env)
      const setting = yield* loadPriceSetting(env)
      for (const w of ignoredPriceWarnings(backendsOf(spec), setting)) yield* Console.error(w)
      const cacheDir = runCacheDir(cacheOutput(a), env)
      if (a.probe && spec.backends !== undefined) return yield* new UsageError({ detail: `--probe: the study lists ${spec.backends.length} backends; plan each with its own --model to probe it` })
      if (a.probe && spec.backend.kind !== "openai") return yield* new UsageError({ detail: `--probe: only an openai endpoint is probed; the ${spec.backend.kind} backend has none` })
      if (spec.backends !== undefined) {
        const e = estimateBackends(spec, setting, a.latency, cacheDir)
        return yield* Console.log(a.json ? JSON.stringify(e) : renderBackendsEstimate(e))
      }
      // --probe: the findings are asked now (and cached); without the cache they are handed to the estimate directly.
      const probed = a.probe && spec.backend.kind === "openai"
        ? (yield* autoProbe(spec, env, cacheDir, reachableAny(replicaUrls(spec.backend), env, { json: a.json, progressEveryMs: 0 })))?.result ?? null
        : null
      if (probed !== null && !a.json) for (const line of probeTable(probed)) yield* Console.log(`probe ${line.trimStart()}`)
      const e: RunEstimate = withCachedLookup(spec, cacheDir, (cached, view) => estimateRun(spec, setting, a.latency, cached, view), probed)
      yield* Console.log(a.json ? JSON.stringify(e) : renderEstimate(e))
    })
).pipe(
  Command.withDescription(
    "what a run would send and cost before anything is sent: requests after sharing, input and output tokens from the actual prompts, cost from VALUESIM_PRICES, time at the run's limits"
  )
)
