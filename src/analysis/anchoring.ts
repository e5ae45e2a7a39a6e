/**
 * The analyses of paper 002 (Rozen et al., 2025, "Do LLMs have consistent values?", seed 002_8599096937f5cc8f)
 * on a run's centered value scores: the value ranking against a human hierarchy (§3.2.1, tables 2–4), the
 * MDS + Procrustes sum of squared differences against a human correlation structure (§3.2.2, table 1) and the
 * anchoring curve (§4.1, figure 4). No I/O: score columns in, plain numbers out; the metrics live in src/stats.
 */
import { rank, correlationMatrix, spearman } from "../stats/correlation.js"
import { correlationPValue } from "../stats/inference.js"
import { mapFromCorrelation, type MdsMethod } from "../stats/mds.js"
import { valuesSimilarity } from "../stats/procrustes.js"
import { fitSinusoid, type SinusoidFit } from "../stats/sinusoid.js"
import { circularDistance } from "../domain/values.js"
import { columnMeans, num } from "./alignment.js"

export interface RankedValue {
  readonly value: string
  /** Mean centered score over the respondents. */
  readonly mean: number | null
  /** 1 = most important (ties share the average rank). */
  readonly rank: number | null
}

/** Mean centered score per value and its rank (1 = highest), over the given columns (one per value). */
export const valueRanking = (labels: ReadonlyArray<string>, centered: ReadonlyArray<Float64Array>): Array<RankedValue> => {
  const means = columnMeans(centered)
  const finite = means.every((m) => m !== null)
  const ranks = finite ? rank(means.map((m) => -(m as number))) : null
  return labels.map((value, i) => ({ value, mean: means[i] ?? null, rank: ranks ? ranks[i]! : null }))
}

export interface HierarchyComparison {
  readonly values: number
  /** Spearman ρ between the run's mean centered scores and the human means, over the shared values. */
  readonly spearman: number | null
  /** Two-sided p of ρ (t approximation with n − 2 df, as SciPy's spearmanr). */
  readonly p: number | null
  /** The human means and ranks (1 = most important) over the shared values, in the run's value order. */
  readonly human: Array<RankedValue>
}

/** Spearman ρ of the run's value ranking with a human hierarchy (`human[label]`), over the labels both have. */
export const compareHierarchy = (ranking: ReadonlyArray<RankedValue>, human: Readonly<Record<string, number>>): HierarchyComparison => {
  const shared = ranking.filter((r) => r.mean !== null && human[r.value] !== undefined)
  const humanMeans = shared.map((r) => human[r.value]!)
  const humanRanks = rank(humanMeans.map((m) => -m))
  const humanRanking = shared.map((r, i) => ({ value: r.value, mean: humanMeans[i]!, rank: humanRanks[i]! }))
  if (shared.length < 3) return { values: shared.length, spearman: null, p: null, human: humanRanking }
  const rho = spearman(shared.map((r) => r.mean!), humanMeans)
  return { values: shared.length, spearman: num(rho), p: num(correlationPValue(rho, shared.length)), human: humanRanking }
}

export interface StructureComparison {
  /**
   * Paper 002's "sum of squared differences" between the human and the run's 2-D MDS maps after Procrustes
   * alignment. Both maps are centred and scaled to unit size first (SciPy's `procrustes`), so this is the
   * Procrustes disparity; the paper does not say how it scaled its maps, so its figures need not be on the
   * same scale.
   */
  readonly ssd: number
  /** S_V = 1 − ssd (paper 000's similarity on the same maps). */
  readonly sv: number
  readonly aligned: { readonly human: Array<Array<number>>; readonly model: Array<Array<number>> }
  /** How the maps were made: ratio SMACOF (Borg et al. 2018, which paper 002 cites for its MDS) or classical. */
  readonly mdsMethod: MdsMethod
}

/** MDS + Procrustes of the run's value correlations (of `centered`) against a human matrix in the same order. */
export const compareStructure = (
  centered: ReadonlyArray<Float64Array>,
  human: ReadonlyArray<ArrayLike<number>>
): StructureComparison | null => {
  const model = correlationMatrix(centered)
  if (!model.every((row) => Array.from(row).every(Number.isFinite))) return null
  const s = valuesSimilarity(human, model)
  return { ssd: s.disparity, sv: s.sv, aligned: { human: s.human, model: s.model }, mdsMethod: s.mdsMethod }
}

/** The run's own 2-D MDS map of its centered value correlations, or null when a correlation is undefined. */
export const runMds = (centered: ReadonlyArray<Float64Array>): Array<Array<number>> | null => {
  const model = correlationMatrix(centered)
  if (!model.every((row) => Array.from(row).every(Number.isFinite))) return null
  return mapFromCorrelation(model).coordinates
}

export interface AnchorProfile {
  readonly condition: string
  readonly anchor: string
  readonly agents: number
  /** Mean centered score per value, in circle order. */
  readonly means: Array<number | null>
}

export interface AnchoringCurve {
  /** The number of values on the circle (19 for the refined values). */
  readonly circle: number
  /** Anchor conditions with at least one respondent. */
  readonly anchors: number
  readonly agents: number
  /**
   * Mean centered score at each offset k = 0…n−1 from the anchor going round the circle (k = 0 the anchored
   * value itself): paper 002 figure 4, scores "after shifting to the anchored value", averaged over anchors
   * (each anchor weighs equally).
   */
  readonly byOffset: Array<{ readonly offset: number; readonly mean: number | null }>
  /** The same folded onto circular distance d = 0…⌊n/2⌋ (both neighbours at distance d averaged). */
  readonly byDistance: Array<{ readonly distance: number; readonly mean: number | null }>
  /** y = mean + amplitude·cos(2π(offset − phase)/n) fitted to `byOffset`; phase in (−n/2, n/2], ≈ 0 when the curve peaks at the anchor. */
  readonly sinusoid: { readonly mean: number | null; readonly amplitude: number | null; readonly phase: number | null; readonly r2: number | null }
  readonly byAnchor: Array<AnchorProfile>
}

/** The fit with its phase reported in (−n/2, n/2], so a curve peaking just before the anchor reads as a small negative offset. */
const fitOf = (f: SinusoidFit, n: number) => ({
  mean: num(f.mean),
  amplitude: num(f.amplitude),
  phase: num(f.phase > n / 2 ? f.phase - n : f.phase),
  r2: num(f.r2)
})

/**
 * The anchoring curve of paper 002 §4.1 (figure 4). `circle` lists the values in circle order and `centered`
 * holds one column per circle value (rows = respondents); `anchorOf[r]` is the circle index of respondent r's
 * anchored value, or −1 when r was not anchored (basic, demographic, names or persona prompts), who are left
 * out. Each anchor's profile is the mean over its respondents; the curve averages the anchors' profiles after
 * rotating each so that its anchor sits at offset 0.
 *
 * @returns null when no respondent was anchored.
 */
export const anchoringCurve = (
  circle: ReadonlyArray<string>,
  centered: ReadonlyArray<Float64Array>,
  anchorOf: ArrayLike<number>,
  conditionOf: (anchor: number) => string = (a) => `value:${circle[a]}`
): AnchoringCurve | null => {
  const n = circle.length
  const rowsOf = new Map<number, Array<number>>()
  for (let r = 0; r < anchorOf.length; r++) {
    const a = anchorOf[r]!
    if (a < 0) continue
    const g = rowsOf.get(a)
    if (g) g.push(r)
    else rowsOf.set(a, [r])
  }
  if (rowsOf.size === 0) return null
  const byAnchor: Array<AnchorProfile> = [...rowsOf.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([a, rows]) => ({ condition: conditionOf(a), anchor: circle[a]!, agents: rows.length, means: columnMeans(centered, rows) }))
  const sums = new Float64Array(n)
  const counts = new Int32Array(n)
  for (const p of byAnchor) {
    const a = circle.indexOf(p.anchor)
    for (let j = 0; j < n; j++) {
      const m = p.means[j]
      if (m === null || m === undefined) continue
      const k = (j - a + n) % n
      sums[k] = sums[k]! + m
      counts[k] = counts[k]! + 1
    }
  }
  const byOffset = Array.from({ length: n }, (_, k) => ({ offset: k, mean: counts[k]! > 0 ? sums[k]! / counts[k]! : null }))
  const half = Math.floor(n / 2)
  const byDistance = Array.from({ length: half + 1 }, (_, d) => {
    const at = byOffset.filter((o) => circularDistance(n, o.offset, 0) === d && o.mean !== null)
    return { distance: d, mean: at.length > 0 ? at.reduce((s, o) => s + o.mean!, 0) / at.length : null }
  })
  const xs = byOffset.map((o) => o.offset)
  const ys = byOffset.map((o) => o.mean ?? NaN)
  return {
    circle: n,
    anchors: byAnchor.length,
    agents: byAnchor.reduce((s, p) => s + p.agents, 0),
    byOffset,
    byDistance,
    sinusoid: fitOf(fitSinusoid(xs, ys, n), n),
    byAnchor
  }
}
