import { Effect } from "effect"
import type { RunSpec } from "../config/RunSpec.js"
import { presentedChoices, valueSystemOf, type Questionnaire } from "../domain/questionnaire.js"
import { positionOn, valuesOf, VALUES_10, type Value10 } from "../domain/values.js"
import { categorical, stream } from "../sampling/rng.js"
import {
  circleItemDistribution,
  circleProfile,
  circleValueItemDistribution,
  gradedResponse,
  itemDistribution,
  latentProfile,
  PROFILE_LENGTH,
  STYLE_INDEX,
  SYNTHETIC_DEFAULTS,
  valueItemDistribution
} from "../sampling/synthetic.js"
import { scoringCode } from "../store/encoding.js"
import type { PendingAgent } from "../store/reads.js"
import type { AnswerPage } from "../store/RunStore.js"
import { answerPage, PageColumns, type Respondent } from "./Respondent.js"
import { armShift } from "../experiments/arms.js"

/** Per-agent stream that draws the agent's answers from distributions; independent of processing order. */
export const drawStream = (spec: RunSpec, step: number, agentId: number) => stream(spec.seed, "draw", step, agentId)

/**
 * The synthetic respondent answers a page of agents synchronously: no requests, no Effect and no object per
 * answer. The agent's latent profile comes from its own stream (shared by every step of the run), its draws
 * from a per-step stream.
 */
export const syntheticUnits = (spec: RunSpec, step: number, q: Questionnaire, agents: ReadonlyArray<PendingAgent>): AnswerPage => {
  const k = q.scale.length
  const nItems = q.items.length
  const page = new PageColumns(agents.length, nItems, k, scoringCode("synthetic"))
  const values = page.values
  const dists = new Float64Array(agents.length * nItems * k)
  page.dists = dists
  // Value items are answered on the agent's standing on that value; other items on the sinusoid around the
  // value their content is centred on (`theory.peak`); items with neither only on the response style.
  const qSystem = valueSystemOf(q)
  const popSystem = spec.population.values ?? "basic"
  const circle = valuesOf(qSystem)
  // The ten basic values on both sides keep the original model; any other pairing (the 19 refined values, or a
  // population of one system answering a questionnaire of the other) uses the general circle of the questionnaire.
  const native = qSystem === "basic" && popSystem === "basic"
  const n = circle.length
  const valueOf = q.items.map((it) => (q.construct === "values" ? circle.indexOf(it.subscale) : -1))
  const peaks = q.items.map((it) => (it.theory ? circle.indexOf(it.theory.peak) : -1))
  const reverse = q.items.map((it) => it.reverse)
  const scaleValues = q.scale.map((o) => o.value)
  const choices = presentedChoices(q)
  const tokenOfValue = new Map(choices.map((c) => [c.value, c.token]))
  const raws: Array<string> | null = spec.backend.scoring === "sample" ? [] : null
  page.raws = raws
  const profile = new Float64Array(native ? PROFILE_LENGTH : n + 1)
  // An arm of an experiment plants its effect on the latent standing behind every answer of the step (it acts
  // like the response-style shift: raw answers move, before reverse keying).
  const shift = armShift(spec.steps[step]!)
  agents.forEach((agent, a) => {
    const cond = spec.population.conditions[agent.conditionIdx]
    const profileRng = stream(spec.seed, "profile", agent.agentId)
    if (native) latentProfile(cond?.value ? VALUES_10.indexOf(cond.value as Value10) : null, profileRng, SYNTHETIC_DEFAULTS, profile)
    else circleProfile(n, cond?.value ? positionOn(qSystem, popSystem, cond.value) : null, profileRng, SYNTHETIC_DEFAULTS, profile)
    if (shift !== 0) profile[native ? STYLE_INDEX : n] = profile[native ? STYLE_INDEX : n]! + shift
    const draw = drawStream(spec, step, agent.agentId)
    for (let i = 0; i < nItems; i++) {
      const m = a * nItems + i
      const buf = dists.subarray(m * k, m * k + k)
      const v = valueOf[i]!
      const peak = peaks[i]!
      if (native) {
        if (v >= 0) valueItemDistribution(profile, v, reverse[i]!, k, buf)
        else if (peak >= 0) itemDistribution(profile, peak, reverse[i]!, k, buf)
        else gradedResponse(profile[STYLE_INDEX]!, k, buf)
      } else if (v >= 0) circleValueItemDistribution(profile, n, v, reverse[i]!, k, buf)
      else if (peak >= 0) circleItemDistribution(profile, n, peak, reverse[i]!, k, buf)
      else gradedResponse(profile[n]!, k, buf)
      const value = scaleValues[categorical(buf, draw)]!
      values[m] = value
      raws?.push(tokenOfValue.get(value)!)
    }
  })
  return answerPage(step, agents, page)
}


/** The synthetic backend as a respondent: pages of 128 agents, computed synchronously, one at a time. */
export const syntheticRespondent = (spec: RunSpec): Respondent => ({
  paging: () => ({ pageSize: 128, pagesInFlight: 1 }),
  answer: (step, q, agents) => Effect.sync(() => syntheticUnits(spec, step, q, agents))
})
