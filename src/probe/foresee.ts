/**
 * What `plan` (and `--max-cost`) foresees of a run's scoring on an endpoint: under `auto`, the requests of each
 * method it may choose and, when the probe's findings are known (from the response cache, or `plan --probe`), the
 * method it will choose; under forced logprob scoring, the hand-over to stated that a low first-token option
 * mass will cause (each shared question asked twice). The counts are `planRequests`' for the backend as the run
 * would adapt it (src/probe/probe.ts `adaptToProbe`).
 */
import type { BackendSettings, RunSpec } from "../config/RunSpec.js"
import type { ScoringMode } from "../domain/answers.js"
import { planRequests, type CachedLookup, type RequestPlan } from "../engine/requestPlan.js"
import { massFloorOf } from "../scoring/methods.js"
import { adaptToProbe, probeQuestion, type ProbeResult } from "./probe.js"

export const AUTO_METHODS: ReadonlyArray<ScoringMode> = ["logprob", "constrained", "stated", "sample"]

export interface ScoringForesight {
  /** The plan the estimate counts: the chosen method's, the hand-over's added, or (auto, probe unknown) logprob's and the probe's. */
  readonly plan: RequestPlan
  /** Under auto: the requests of each method (without the probe's). */
  readonly byMethod?: Readonly<Record<string, number>>
  /** The method the run will use, when known (auto with the probe's findings; forced methods are their own). */
  readonly chosen?: ScoringMode
  /** The probe's findings the foresight rests on. */
  readonly probe?: { readonly method: ScoringMode; readonly reason: string; readonly optionMass: number | null; readonly fromCache: boolean }
  /** Forced logprob scoring below the mass floor: the shared questions asked again as stated. */
  readonly handOver?: { readonly optionMass: number; readonly floor: number; readonly logprob: number; readonly stated: number }
  /** Forced logprob scoring on an endpoint the probe found without logprobs: the run stops at its first request. */
  readonly noLogprobs?: boolean
}

const withBackend = (spec: RunSpec, backend: BackendSettings): RunSpec => ({ ...spec, backend })

const addPlans = (a: RequestPlan, b: RequestPlan): RequestPlan => ({
  ...a,
  requests: a.requests + b.requests,
  cached: a.cached + b.cached,
  shared: Math.max(0, a.shared - b.requests - b.cached),
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens
})

/**
 * The foresight for the single-backend run `spec`. `lookupFor`: the response cache's lookup for requests as a
 * backend sends them (undefined: nothing cached); `probe`: the probe's findings for this endpoint, model and
 * question (null: unknown).
 */
export const foreseeScoring = (
  spec: RunSpec,
  lookupFor: (backend: BackendSettings) => CachedLookup | undefined,
  probe: ProbeResult | null
): ScoringForesight => {
  const b = spec.backend
  const question = b.kind === "openai" ? probeQuestion(spec) : null
  if (question === null) return { plan: planRequests(spec, lookupFor(b)) }
  const found = probe === null ? {} : { probe: { method: probe.method, reason: probe.reason, optionMass: probe.optionMass, fromCache: probe.fromCache === true } }
  if (b.scoringAuto === true) {
    const accepted = { temperatureAccepted: probe?.temperatureAccepted ?? true, maxTokensAccepted: probe?.maxTokensAccepted ?? true }
    const planOf = (method: ScoringMode) => {
      const adapted = adaptToProbe(b, { method, ...accepted })
      return planRequests(withBackend(spec, adapted), lookupFor(adapted), true)
    }
    const byMethod = Object.fromEntries(AUTO_METHODS.map((m) => [m, planOf(m).requests]))
    if (probe === null) return { plan: planRequests(spec, lookupFor(b)), byMethod }
    // Findings from the cache cost nothing; findings just asked by `plan --probe` are in the cache now too.
    return { plan: planOf(probe.method), byMethod, chosen: probe.method, ...found }
  }
  if (b.scoring !== "logprob" || probe === null) return { plan: planRequests(spec, lookupFor(b)), chosen: b.scoring, ...found }
  const own = planRequests(spec, lookupFor(b))
  if (!probe.logprobs) return { plan: own, chosen: "logprob", ...found, noLogprobs: true }
  const floor = massFloorOf(b)
  if (probe.optionMass === null || probe.optionMass >= floor) return { plan: own, chosen: "logprob", ...found }
  // Below the floor every shared logprob reply is set aside and the question asked again as stated.
  // (Planned as auto's stated, whose start-up request is the run's own: the hand-over sends no probe of its own.)
  const statedBackend: BackendSettings = { ...b, scoring: "stated", scoringAuto: true }
  const stated = planRequests(withBackend(spec, statedBackend), lookupFor(statedBackend), true)
  return {
    plan: addPlans(own, stated),
    chosen: "logprob",
    ...found,
    handOver: { optionMass: probe.optionMass, floor, logprob: own.requests, stated: stated.requests }
  }
}
