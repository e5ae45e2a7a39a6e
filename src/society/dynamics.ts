/**
 * The rules of a society step as pure, typed round machines: what each agent can observe before a round (a
 * summary, never a transcript), how that observation is coded so that identical observations are one shared
 * request, what an action pays, and the theory model's decision for the synthetic backend. Everything is
 * columnar: a round is a Uint8Array of actions over the agents, observations an Int32Array of codes.
 *
 * Dynamics:
 * - prisoners-dilemma (networked): each round every agent chooses cooperate (1) or defect (0) toward all its
 *   neighbours at once and is paid the PD matrix summed over its ties. It then observes its own action, the
 *   share of its neighbours who cooperated in four bands (none, fewer than half, at least half but not all,
 *   all; a fifth, "no neighbours", where the network has isolated agents) and the range its payoff per tie
 *   fell in (implied by the action and the band, so it adds no state).
 * - public-goods (networked, local): each agent chooses how much of its endowment to put into the pot of its
 *   own neighbourhood (itself and its neighbours; five levels 0, ¼, ½, ¾ or all of the endowment); the pot is
 *   multiplied and shared equally within that neighbourhood: payoff = endowment − own + multiplier × (own +
 *   neighbours' contributions) / (degree + 1). It then observes its own last level and its neighbours' mean
 *   level rounded to a level (as opinions do).
 * - common-pool (local): each agent takes 0, ¼, ½, ¾ or all of a quota (the `endowment`) from the resource its
 *   neighbourhood shares; every unit taken pays 1 − X/quota, X the neighbourhood's mean take: payoff = own ×
 *   (1 − mean take of itself and its neighbours / quota). Taking half is best for a neighbourhood that all
 *   takes alike; taking more pays the taker more. Observed like public goods (own level, neighbours' mean level).
 * - opinion: each agent states a position on the scale; it then observes its own last position and its
 *   neighbours' mean position rounded to a scale point.
 * - diffusion: a share of agents adopts at round 0 (the seeds); each round every agent not yet adopted decides
 *   whether to adopt after observing how many of its neighbours have adopted (none, one, two, three or four,
 *   five or more); adoption is kept (not asked again).
 *
 * Memory m: the observation covers the last m rounds (each round's code, combined), so the distinct
 * observations per condition grow as P^m with P codes per round. Pure: no I/O, no Effect.
 */
import type { Network } from "../sampling/network.js"
import type { Rng } from "../sampling/rng.js"

export const DYNAMICS = ["prisoners-dilemma", "public-goods", "common-pool", "opinion", "diffusion"] as const
export type Dynamic = (typeof DYNAMICS)[number]

export interface PdPayoffs {
  readonly temptation: number
  readonly reward: number
  readonly punishment: number
  readonly sucker: number
}

/** A society scenario's resolved parameters (defaults filled in). */
export interface DynamicParams {
  readonly payoffs: PdPayoffs
  /** Public goods: what each agent has each round, and the multiplier of a neighbourhood's pot. */
  readonly endowment: number
  readonly multiplier: number
  /** Opinion: the scale's labels, lowest first (positions 1…k). */
  readonly scale: ReadonlyArray<string>
  /** Diffusion: share of agents adopting at round 0. */
  readonly seedShare: number
  /** Opinion: consensus is reached when this share of agents holds the most common position. */
  readonly consensusShare: number
  /** Theory-model parameters (synthetic backend only), see `THEORY_DEFAULTS`. */
  readonly theory: TheoryParams
}

/**
 * The synthetic backend's decision models, documented per dynamic; hand-set, not fitted to any human data.
 * v is the agent's standing on the scenario's theory peak (its latent value profile projected on the sinusoid
 * around that value plus its response style, as for game decisions): for cooperation the peak sits between
 * benevolence and universalism, so self-transcendence raises v and self-enhancement (opposite) lowers it.
 * - prisoners-dilemma: logit P(cooperate) = intercept + value_weight·v + first_round (round 1), and from round 2
 *   intercept + value_weight·v + conditional·(2s − 1) + persistence·(±1 as it cooperated/defected), s the share
 *   of its neighbours who cooperated last round (0.5 without neighbours): conditional cooperation.
 * - public-goods: the contribution level (1…5) is drawn like an opinion around μ = 1 + 4·logistic(z), z =
 *   intercept + value_weight·v + first_round in round 1, and from round 2 intercept + value_weight·v +
 *   conditional·(2m − 1) + persistence·(2o − 1), m and o its neighbours' mean and its own last level as shares
 *   of the endowment: conditional contribution.
 * - common-pool: the same model for restraint: the level taken is 6 − the level a public-goods agent would give
 *   (restraint rising with the neighbours' restraint and with self-transcendence).
 * - opinion: round 1 positions are drawn around μ₀ = mid + half·tanh(value_weight·v) (mid and half of the
 *   scale); later around μ = x + influence·(n̄ − x) + value_pull·(μ₀ − x), x its last position, n̄ its
 *   neighbours' mean; P(j) ∝ exp(−(j − μ)²/(2·sd²)).
 * - diffusion: logit P(adopt) = intercept + value_weight·v + social·ln(1 + adopted neighbours).
 */
export interface TheoryParams {
  readonly intercept: number
  readonly valueWeight: number
  readonly conditional: number
  readonly persistence: number
  readonly firstRound: number
  readonly influence: number
  readonly valuePull: number
  readonly sd: number
  readonly social: number
}

export const THEORY_DEFAULTS: { readonly [D in Dynamic]: TheoryParams } = {
  "prisoners-dilemma": { intercept: -0.5, valueWeight: 1, conditional: 2, persistence: 0.5, firstRound: 0.5, influence: 0, valuePull: 0, sd: 0, social: 0 },
  "public-goods": { intercept: -0.5, valueWeight: 1, conditional: 2, persistence: 0.5, firstRound: 0.5, influence: 0, valuePull: 0, sd: 0.8, social: 0 },
  "common-pool": { intercept: -0.5, valueWeight: 1, conditional: 2, persistence: 0.5, firstRound: 0.5, influence: 0, valuePull: 0, sd: 0.8, social: 0 },
  opinion: { intercept: 0, valueWeight: 0.8, conditional: 0, persistence: 0, firstRound: 0, influence: 0.3, valuePull: 0.1, sd: 0.6, social: 0 },
  diffusion: { intercept: -4, valueWeight: 1, conditional: 0, persistence: 0, firstRound: 0, influence: 0, valuePull: 0, sd: 0, social: 1.5 }
}

/** One answer option: `value` is the action code stored (PD 0/1, opinion 1…k, diffusion 0/1). */
export interface ActionOption {
  readonly value: number
  readonly label: string
}

export const PD_OPTIONS: ReadonlyArray<ActionOption> = [
  { value: 0, label: "defect" },
  { value: 1, label: "cooperate" }
]
export const DIFFUSION_OPTIONS: ReadonlyArray<ActionOption> = [
  { value: 0, label: "do not adopt it" },
  { value: 1, label: "adopt it" }
]

/** The options of a dynamic, in the order they are offered. */
export const optionsOf = (dynamic: Dynamic, p: DynamicParams): ReadonlyArray<ActionOption> =>
  dynamic === "prisoners-dilemma"
    ? PD_OPTIONS
    : dynamic === "diffusion"
      ? DIFFUSION_OPTIONS
      : dynamic === "public-goods"
        ? PG_LEVELS.map((q, i) => ({ value: i + 1, label: `put ${num(q * p.endowment)} of ${num(p.endowment)} into the pot` }))
        : dynamic === "common-pool"
          ? PG_LEVELS.map((q, i) => ({ value: i + 1, label: `take ${num(q * p.endowment)} of ${num(p.endowment)}` }))
        : p.scale.map((label, i) => ({ value: i + 1, label }))

/** Public goods: the contribution levels as shares of the endowment. */
export const PG_LEVELS = [0, 0.25, 0.5, 0.75, 1] as const

/** Dynamics whose actions are levels 1…k (opinion positions, contribution levels), observed like opinions. */
export const levelled = (dynamic: Dynamic): boolean => dynamic === "opinion" || dynamic === "public-goods" || dynamic === "common-pool"

/** The number of levels k of a levelled dynamic. */
export const levelsOf = (dynamic: Dynamic, p: DynamicParams): number => (dynamic === "opinion" ? p.scale.length : PG_LEVELS.length)

/** The first round an observation can look back to: round 0 holds diffusion's seeds; the others start in round 1. */
export const historyStart = (dynamic: Dynamic): number => (dynamic === "diffusion" ? 0 : 1)

/** How many rounds back the observation of round r covers. */
export const rememberedRounds = (dynamic: Dynamic, memory: number, round: number): number => Math.max(0, Math.min(memory, round - historyStart(dynamic)))

/** Distinct codes one remembered round can give (P), given whether the network has agents without ties. */
export const codesPerRound = (dynamic: Dynamic, p: DynamicParams, isolates: boolean): number =>
  dynamic === "prisoners-dilemma" ? 2 * (isolates ? 5 : 4) : levelled(dynamic) ? levelsOf(dynamic, p) * (levelsOf(dynamic, p) + 1) : DIFFUSION_BANDS.length

/** Distinct observations per condition in round r: P^(remembered rounds). */
export const statesInRound = (dynamic: Dynamic, p: DynamicParams, memory: number, round: number, isolates: boolean): number =>
  Math.pow(codesPerRound(dynamic, p, isolates), rememberedRounds(dynamic, memory, round))

/**
 * The bound on shared requests of a society step: Σ over rounds and conditions of min(agents of the
 * condition, distinct observations in the round). Diffusion counts only agents not yet adopted, so this bounds
 * it too.
 */
export const requestBound = (dynamic: Dynamic, p: DynamicParams, memory: number, rounds: number, conditionCounts: ReadonlyArray<number>, isolates: boolean): number => {
  let total = 0
  for (let r = 1; r <= rounds; r++) {
    const s = statesInRound(dynamic, p, memory, r, isolates)
    for (const c of conditionCounts) total += Math.min(c, s)
  }
  return total
}

// ---------------------------------------------------------------------------------------------------------------
// Observations

/** PD neighbour bands: the share of neighbours who cooperated. */
export const PD_BANDS = ["none", "fewer than half", "at least half but not all", "all", "no neighbours"] as const
/** Diffusion bands: how many neighbours have adopted. */
export const DIFFUSION_BANDS = ["none", "one", "two", "three or four", "five or more"] as const

const pdBand = (coop: number, degree: number): number => (degree === 0 ? 4 : coop === 0 ? 0 : coop === degree ? 3 : 2 * coop < degree ? 1 : 2)
const diffusionBand = (adopted: number): number => (adopted >= 5 ? 4 : adopted >= 3 ? 3 : adopted)

/**
 * The code of what one past round shows each agent, into `out`: PD action·5 + band; opinion (own − 1)·(k + 1) +
 * neighbours' rounded mean − 1 (k when it has no neighbours); diffusion the band of adopted neighbours.
 * (Codes stay below `codesPerRound`: PD's isolate codes 8 and 9 come last, so a network without isolates has 8.)
 */
export const roundCodes = (dynamic: Dynamic, k: number, g: Network, actions: Uint8Array, out: Int32Array): void => {
  const { offsets, targets } = g
  for (let u = 0; u < g.n; u++) {
    const a = offsets[u]!
    const b = offsets[u + 1]!
    let s = 0
    for (let e = a; e < b; e++) s += actions[targets[e]!]!
    const d = b - a
    if (dynamic === "prisoners-dilemma") {
      const band = pdBand(s, d)
      out[u] = band === 4 ? 8 + actions[u]! : actions[u]! * 4 + band
    } else if (levelled(dynamic)) {
      const nbr = d === 0 ? k : Math.min(k, Math.max(1, Math.round(s / d))) - 1
      out[u] = (actions[u]! - 1) * (k + 1) + nbr
    } else out[u] = diffusionBand(s)
  }
}

/** Decodes a PD round code: own action, band index (4: no neighbours). */
export const pdCode = (code: number): { readonly action: number; readonly band: number } =>
  code >= 8 ? { action: code - 8, band: 4 } : { action: code >> 2, band: code & 3 }

/** Decodes an opinion round code: own position 1…k, neighbours' position 1…k or null without neighbours. */
export const opinionCode = (code: number, k: number): { readonly own: number; readonly neighbours: number | null } => {
  const nbr = code % (k + 1)
  return { own: Math.floor(code / (k + 1)) + 1, neighbours: nbr === k ? null : nbr + 1 }
}

/**
 * Each agent's observation before round r, combined over the remembered rounds (newest first) into one code:
 * Σ_j code_j·P^j. `past[j]` holds the codes of round r−1−j. Agents who do not decide (adopters) get −1.
 */
export const observationCodes = (past: ReadonlyArray<Int32Array>, perRound: number, deciding: Uint8Array | null, out: Int32Array): void => {
  const n = out.length
  for (let u = 0; u < n; u++) {
    if (deciding !== null && !deciding[u]) {
      out[u] = -1
      continue
    }
    let code = 0
    let mult = 1
    for (const codes of past) {
      code += codes[u]! * mult
      mult *= perRound
    }
    out[u] = code
  }
}

/** Splits a combined observation code back into its per-round codes, newest first. */
export const splitObservation = (code: number, perRound: number, remembered: number): Array<number> => {
  const out: Array<number> = []
  for (let j = 0; j < remembered; j++) {
    out.push(code % perRound)
    code = Math.floor(code / perRound)
  }
  return out
}

/** Each agent's common-pool payoff for a round (actions are levels 1…5 of the quota taken), into `out`. */
export const cpPayoffs = (g: Network, actions: Uint8Array, p: Pick<DynamicParams, "endowment">, out: Float64Array): void => {
  for (let u = 0; u < g.n; u++) {
    const own = PG_LEVELS[actions[u]! - 1]! * p.endowment
    let taken = own
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) taken += PG_LEVELS[actions[g.targets[e]!]! - 1]! * p.endowment
    out[u] = own * (1 - taken / (g.offsets[u + 1]! - g.offsets[u]! + 1) / p.endowment)
  }
}

const num = (x: number) => String(Math.round(x * 100) / 100)

// ---------------------------------------------------------------------------------------------------------------
// Payoffs and feedback wording

const pay = (p: PdPayoffs, own: number, other: number): number =>
  own === 1 ? (other === 1 ? p.reward : p.sucker) : other === 1 ? p.temptation : p.punishment

/** Each agent's PD payoff for a round, summed over its ties, into `out`. */
export const pdPayoffs = (g: Network, actions: Uint8Array, p: PdPayoffs, out: Float64Array): void => {
  for (let u = 0; u < g.n; u++) {
    let s = 0
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) s += pay(p, actions[u]!, actions[g.targets[e]!]!)
    out[u] = s
  }
}


/** Each agent's local public goods payoff for a round (actions are levels 1…5), into `out`. */
export const pgPayoffs = (g: Network, actions: Uint8Array, p: Pick<DynamicParams, "endowment" | "multiplier">, out: Float64Array): void => {
  for (let u = 0; u < g.n; u++) {
    const own = PG_LEVELS[actions[u]! - 1]! * p.endowment
    let pot = own
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) pot += PG_LEVELS[actions[g.targets[e]!]! - 1]! * p.endowment
    out[u] = p.endowment - own + (p.multiplier * pot) / (g.offsets[u + 1]! - g.offsets[u]! + 1)
  }
}

/** The range a PD payoff per tie fell in, from the agent's action and its neighbours' band (exact, not rounded). */
export const payoffRange = (p: PdPayoffs, action: number, band: number): string => {
  const hi = action === 1 ? p.reward : p.temptation
  const lo = action === 1 ? p.sucker : p.punishment
  const mid = (hi + lo) / 2
  if (band === 4) return "nothing (you had no neighbours)"
  if (band === 0) return `${num(lo)} points per neighbour`
  if (band === 3) return `${num(hi)} points per neighbour`
  if (band === 1) return `between ${num(lo)} and ${num(mid)} points per neighbour`
  return `between ${num(mid)} and ${num(hi)} points per neighbour`
}

// ---------------------------------------------------------------------------------------------------------------
// The theory model (synthetic backend)

const logistic = (x: number) => 1 / (1 + Math.exp(-x))

/**
 * The theory model's actions for one round, into `out`: one uniform from `draws(u)` per agent, in agent order.
 * `standing[u]` is v (see `TheoryParams`); `prev` the last round's actions (null in round 1, for diffusion the
 * seeds of round 0 in round 1).
 */
export const theoryRound = (
  dynamic: Dynamic,
  p: DynamicParams,
  g: Network,
  standing: Float32Array,
  prev: Uint8Array | null,
  uniform: (u: number) => number,
  out: Uint8Array
): void => {
  const t = p.theory
  const k = p.scale.length
  for (let u = 0; u < g.n; u++) {
    const x = uniform(u)
    const a = g.offsets[u]!
    const b = g.offsets[u + 1]!
    const d = b - a
    let s = 0
    if (prev !== null) for (let e = a; e < b; e++) s += prev[g.targets[e]!]!
    const v = standing[u]!
    if (dynamic === "prisoners-dilemma") {
      const logit =
        prev === null
          ? t.intercept + t.valueWeight * v + t.firstRound
          : t.intercept + t.valueWeight * v + t.conditional * (d === 0 ? 0 : (2 * s) / d - 1) + t.persistence * (prev[u] === 1 ? 1 : -1)
      out[u] = x < logistic(logit) ? 1 : 0
    } else if (dynamic === "public-goods" || dynamic === "common-pool") {
      // Common pool: restraint is the cooperative level, so levels are read (and drawn) mirrored.
      const k = PG_LEVELS.length
      const coop = (level: number) => (dynamic === "common-pool" ? k + 1 - level : level)
      const z =
        prev === null
          ? t.intercept + t.valueWeight * v + t.firstRound
          : t.intercept + t.valueWeight * v + t.conditional * (2 * ((d === 0 ? coop(prev[u]!) : coop(s / d)) - 1) / (k - 1) - 1) + t.persistence * ((2 * (coop(prev[u]!) - 1)) / (k - 1) - 1)
      out[u] = coop(drawScale(k, 1 + (k - 1) * logistic(z), t.sd, x))
    } else if (dynamic === "diffusion") {
      if (prev !== null && prev[u] === 1) out[u] = 1
      else out[u] = x < logistic(t.intercept + t.valueWeight * v + t.social * Math.log(1 + s)) ? 1 : 0
    } else {
      const mid = (k + 1) / 2
      const mu0 = mid + ((k - 1) / 2) * Math.tanh(t.valueWeight * v)
      let mu = mu0
      if (prev !== null) {
        const own = prev[u]!
        const nbr = d === 0 ? own : s / d
        mu = own + t.influence * (nbr - own) + t.valuePull * (mu0 - own)
      }
      out[u] = drawScale(k, mu, t.sd, x)
    }
  }
}

/** Position 1…k drawn with P(j) ∝ exp(−(j − μ)²/(2σ²)) by inverse CDF on uniform x (no allocation). */
const drawScale = (k: number, mu: number, sd: number, x: number): number => {
  let total = 0
  for (let j = 1; j <= k; j++) total += Math.exp(-((j - mu) ** 2) / (2 * sd * sd))
  let c = 0
  for (let j = 1; j <= k; j++) {
    c += Math.exp(-((j - mu) ** 2) / (2 * sd * sd)) / total
    if (x < c) return j
  }
  return k
}

/** Diffusion's round-0 seeds: each agent adopts with probability seedShare (one uniform per agent). */
export const diffusionSeeds = (n: number, seedShare: number, rng: Rng): Uint8Array => {
  const out = new Uint8Array(n)
  for (let u = 0; u < n; u++) out[u] = rng() < seedShare ? 1 : 0
  return out
}

/** 0 for an agent who defected this round (PD: defect; public goods: put nothing in), else 1: whom ties are cut to. */
export const cooperationState = (dynamic: Dynamic, actions: Uint8Array): Uint8Array =>
  dynamic === "public-goods" ? actions.map((a) => (a === 1 ? 0 : 1)) : dynamic === "common-pool" ? actions.map((a) => (a === PG_LEVELS.length ? 0 : 1)) : actions

/** Draws an index from a distribution over the options with uniform x (inverse CDF). */
export const drawIndex = (dist: ArrayLike<number>, x: number): number => {
  let total = 0
  for (let j = 0; j < dist.length; j++) total += dist[j]!
  let c = 0
  for (let j = 0; j < dist.length; j++) {
    c += dist[j]! / total
    if (x < c) return j
  }
  return dist.length - 1
}
