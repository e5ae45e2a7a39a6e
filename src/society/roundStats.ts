/**
 * A round's emergent statistics, overall and per value condition, from the columns of the round (actions over
 * agents) and the network: one pass per statistic, no object per agent. The metrics themselves are defined in
 * src/stats/network.ts. Pure.
 */
import type { Network } from "../sampling/network.js"
import { largestCluster, positionSummary, stateAssortment } from "../stats/network.js"
import { cpPayoffs, pdPayoffs, pgPayoffs, PG_LEVELS, type Dynamic, type DynamicParams } from "./dynamics.js"

/** Common pool: 1 for agents who took half their quota or less. */
const cooperationLevels = (actions: Uint8Array): Uint8Array => actions.map((a) => (a <= 3 ? 1 : 0))

const r6 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null)

/** The statistics stored with each round (JSON): `overall` and `byCondition` (by condition id). */
export interface RoundStats {
  readonly decisions: number
  /** Distinct observations asked this round (model backends; null on the synthetic backend). */
  readonly distinctObservations: number | null
  readonly overall: Readonly<Record<string, number | null>>
  readonly byCondition: Readonly<Record<string, Readonly<Record<string, number | null>>>>
}

/** The headline statistic of each dynamic: what the dashboard and the report draw over rounds. */
export const HEADLINE: { readonly [D in Dynamic]: string } = { "prisoners-dilemma": "cooperation", "public-goods": "contribution", "common-pool": "extraction", opinion: "mean", diffusion: "adoption" }

export const roundStats = (
  dynamic: Dynamic,
  p: DynamicParams,
  g: Network,
  actions: Uint8Array,
  conditions: ArrayLike<number>,
  conditionIds: ReadonlyArray<string>,
  decisions: number,
  distinctObservations: number | null
): RoundStats => {
  const nC = conditionIds.length
  const count = new Float64Array(nC)
  const sum = new Float64Array(nC)
  for (let u = 0; u < g.n; u++) {
    const c = conditions[u]!
    count[c]!++
    sum[c]! += actions[u]!
  }
  const byCondition: Record<string, Record<string, number | null>> = {}
  let total = 0
  for (let c = 0; c < nC; c++) total += sum[c]!
  const n = g.n
  if (dynamic === "prisoners-dilemma") {
    const pay = new Float64Array(n)
    pdPayoffs(g, actions, p.payoffs, pay)
    const paySum = new Float64Array(nC)
    let payTotal = 0
    for (let u = 0; u < n; u++) {
      paySum[conditions[u]!]! += pay[u]!
      payTotal += pay[u]!
    }
    for (let c = 0; c < nC; c++) {
      if (count[c] === 0) continue
      byCondition[conditionIds[c]!] = { cooperation: r6(sum[c]! / count[c]!), meanPayoff: r6(paySum[c]! / count[c]!), agents: count[c]! }
    }
    const cluster = largestCluster(g, actions, 1)
    return {
      decisions,
      distinctObservations,
      overall: {
        cooperation: r6(total / n),
        meanPayoff: r6(payTotal / n),
        meanPayoffPerTie: r6(g.targets.length === 0 ? NaN : payTotal / g.targets.length),
        assortment: r6(stateAssortment(g, actions)),
        largestCooperatingCluster: cluster,
        largestCooperatingClusterShare: r6(cluster / n)
      },
      byCondition
    }
  }
  if (dynamic === "public-goods" || dynamic === "common-pool") {
    const key = HEADLINE[dynamic]
    const pay = new Float64Array(n)
    if (dynamic === "public-goods") pgPayoffs(g, actions, p, pay)
    else cpPayoffs(g, actions, p, pay)
    const share = new Float64Array(nC)
    const paySum = new Float64Array(nC)
    let shareTotal = 0
    let payTotal = 0
    const levels = new Float64Array(n)
    for (let u = 0; u < n; u++) {
      const q = PG_LEVELS[actions[u]! - 1]!
      levels[u] = q
      share[conditions[u]!]! += q
      paySum[conditions[u]!]! += pay[u]!
      shareTotal += q
      payTotal += pay[u]!
    }
    for (let c = 0; c < nC; c++) {
      if (count[c] === 0) continue
      byCondition[conditionIds[c]!] = { [key]: r6(share[c]! / count[c]!), meanPayoff: r6(paySum[c]! / count[c]!), agents: count[c]! }
    }
    return {
      decisions,
      distinctObservations,
      overall: {
        [key]: r6(shareTotal / n),
        meanPayoff: r6(payTotal / n),
        assortment: r6(stateAssortment(g, levels)),
        // Public goods: the largest cluster of agents who gave everything; common pool: of agents who took half or less.
        largestCooperatingCluster: dynamic === "public-goods" ? largestCluster(g, actions, PG_LEVELS.length) : largestCluster(g, cooperationLevels(actions), 1)
      },
      byCondition
    }
  }
  if (dynamic === "diffusion") {
    for (let c = 0; c < nC; c++) if (count[c]! > 0) byCondition[conditionIds[c]!] = { adoption: r6(sum[c]! / count[c]!), agents: count[c]! }
    return {
      decisions,
      distinctObservations,
      overall: { adoption: r6(total / n), assortment: r6(stateAssortment(g, actions)), largestAdopterCluster: largestCluster(g, actions, 1) },
      byCondition
    }
  }
  const k = p.scale.length
  const s = positionSummary(actions, 1, k)
  const at = new Float64Array(k + 1)
  for (let u = 0; u < n; u++) at[actions[u]!]!++
  let modal = 0
  for (let j = 1; j <= k; j++) modal = Math.max(modal, at[j]!)
  for (let c = 0; c < nC; c++) if (count[c]! > 0) byCondition[conditionIds[c]!] = { mean: r6(sum[c]! / count[c]!), agents: count[c]! }
  return {
    decisions,
    distinctObservations,
    overall: {
      mean: r6(s.mean),
      variance: r6(s.variance),
      bimodality: r6(s.bimodality),
      polarisation: r6(s.polarisation),
      modalShare: r6(modal / n),
      assortment: r6(stateAssortment(g, actions))
    },
    byCondition
  }
}
