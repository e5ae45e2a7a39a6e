/**
 * Statistics of a network and of the states its nodes are in, computed in columns (typed arrays over nodes, one
 * pass over the ties) so they stay cheap for a million agents: degree distribution, average clustering, value
 * assortativity (of a categorical label), assortment of a numeric state across ties, the largest connected
 * cluster of nodes in one state; and for a scale of positions the mean, variance, bimodality coefficient and a
 * polarisation index. The network is given as compressed sparse rows (offsets, targets), each tie in both rows.
 * Pure: no I/O. Reference values in tests/stats/network.test.ts were computed with NetworkX and NumPy.
 */

/** A network as compressed sparse rows: node i's neighbours are targets[offsets[i] … offsets[i+1]). */
export interface Csr {
  readonly n: number
  readonly offsets: ArrayLike<number>
  readonly targets: ArrayLike<number>
}

/** Count of nodes by degree: entry d is the number of nodes with d ties (NetworkX degree_histogram). */
export const degreeHistogram = (g: Csr): Array<number> => {
  const hist: Array<number> = []
  for (let i = 0; i < g.n; i++) {
    const d = g.offsets[i + 1]! - g.offsets[i]!
    while (hist.length <= d) hist.push(0)
    hist[d]!++
  }
  return hist
}

/** Mean degree 2E / n. */
export const meanDegree = (g: Csr): number => (g.n === 0 ? 0 : g.targets.length / g.n)

/**
 * Average local clustering coefficient (NetworkX average_clustering): for each node with degree d ≥ 2 the share
 * of its d(d−1)/2 neighbour pairs that are tied; nodes with fewer than two ties count as 0; averaged over all
 * nodes. Counts triangles by marking a node's neighbours, O(Σ over ties of the neighbour's degree).
 */
export const averageClustering = (g: Csr): number => {
  if (g.n === 0) return 0
  const mark = new Int32Array(g.n).fill(-1)
  let total = 0
  for (let u = 0; u < g.n; u++) {
    const a = g.offsets[u]!
    const b = g.offsets[u + 1]!
    const d = b - a
    if (d < 2) continue
    for (let e = a; e < b; e++) mark[g.targets[e]!] = u
    let links = 0
    for (let e = a; e < b; e++) {
      const v = g.targets[e]!
      for (let f = g.offsets[v]!; f < g.offsets[v + 1]!; f++) if (mark[g.targets[f]!] === u) links++
    }
    // Each tie among neighbours was seen from both ends.
    total += links / (d * (d - 1))
  }
  return total / g.n
}

/**
 * Attribute assortativity of a categorical label (NetworkX attribute_assortativity_coefficient, Newman 2003):
 * r = (Σ_i e_ii − Σ_i a_i b_i) / (1 − Σ_i a_i b_i), e the symmetric mixing matrix of tie ends normalised to sum
 * 1. 1: ties only within a label; 0: mixing as by chance. NaN when every tie end carries one label.
 */
export const attributeAssortativity = (g: Csr, label: ArrayLike<number>, nLabels: number): number => {
  const e = new Float64Array(nLabels * nLabels)
  let total = 0
  for (let u = 0; u < g.n; u++) {
    const lu = label[u]!
    for (let k = g.offsets[u]!; k < g.offsets[u + 1]!; k++) {
      e[lu * nLabels + label[g.targets[k]!]!]!++
      total++
    }
  }
  if (total === 0) return NaN
  let trace = 0
  let ab = 0
  for (let i = 0; i < nLabels; i++) {
    trace += e[i * nLabels + i]! / total
    let a = 0
    let b = 0
    for (let j = 0; j < nLabels; j++) {
      a += e[i * nLabels + j]! / total
      b += e[j * nLabels + i]! / total
    }
    ab += a * b
  }
  return (trace - ab) / (1 - ab)
}

/**
 * Assortment of a numeric state across ties (NetworkX numeric_assortativity_coefficient): the Pearson
 * correlation of x_u and x_v over every tie taken in both directions. For 0/1 actions: how much more a
 * cooperator's neighbours cooperate than a defector's. Nodes with `skip[u]` ≠ 0 (no state) are left out. NaN
 * when the states over tie ends do not vary.
 */
export const stateAssortment = (g: Csr, x: ArrayLike<number>, skip?: ArrayLike<number>): number => {
  let n = 0
  let sx = 0
  let sxx = 0
  let sxy = 0
  for (let u = 0; u < g.n; u++) {
    if (skip !== undefined && skip[u]) continue
    const xu = x[u]!
    for (let k = g.offsets[u]!; k < g.offsets[u + 1]!; k++) {
      const v = g.targets[k]!
      if (skip !== undefined && skip[v]) continue
      const xv = x[v]!
      n++
      sx += xu
      sxx += xu * xu
      sxy += xu * xv
    }
  }
  if (n === 0) return NaN
  // Both directions of every tie are counted, so the two margins are the same distribution.
  const mean = sx / n
  const variance = sxx / n - mean * mean
  if (!(variance > 1e-15)) return NaN
  return (sxy / n - mean * mean) / variance
}

/**
 * Size of the largest connected cluster of nodes whose state is `value` (ties between two such nodes only),
 * by union–find with path halving. 0 when no node has the value.
 */
export const largestCluster = (g: Csr, state: ArrayLike<number>, value: number): number => {
  const parent = new Int32Array(g.n)
  for (let i = 0; i < g.n; i++) parent[i] = i
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!
      i = parent[i]!
    }
    return i
  }
  for (let u = 0; u < g.n; u++) {
    if (state[u] !== value) continue
    for (let k = g.offsets[u]!; k < g.offsets[u + 1]!; k++) {
      const v = g.targets[k]!
      if (v <= u || state[v] !== value) continue
      const a = find(u)
      const b = find(v)
      if (a !== b) parent[a] = b
    }
  }
  const size = new Int32Array(g.n)
  let best = 0
  for (let u = 0; u < g.n; u++) {
    if (state[u] !== value) continue
    const r = find(u)
    size[r]!++
    if (size[r]! > best) best = size[r]!
  }
  return best
}

/** Moments of a set of positions on a scale. */
export interface PositionSummary {
  readonly n: number
  readonly mean: number
  /** Population variance (divisor n, numpy.var). */
  readonly variance: number
  /**
   * Sarle's bimodality coefficient b = (g² + 1) / (κ + 3(n−1)²/((n−2)(n−3))), with g the sample skewness and κ
   * the sample excess kurtosis (both bias-corrected, scipy.stats skew/kurtosis with bias=False); b > 5/9 hints at
   * two modes. NaN for n < 4 or no variance.
   */
  readonly bimodality: number
  /**
   * Polarisation index: variance divided by its largest possible value on the scale, ((max − min)/2)² (half the
   * agents at each end): 0 for consensus, 1 for an even split between the extremes.
   */
  readonly polarisation: number
}

/**
 * Mean, variance, bimodality and polarisation of positions x (entries where `include` is given and 0 are left
 * out), on a scale from `min` to `max`.
 */
export const positionSummary = (x: ArrayLike<number>, min: number, max: number, include?: ArrayLike<number>): PositionSummary => {
  let n = 0
  let s = 0
  for (let i = 0; i < x.length; i++) {
    if (include !== undefined && !include[i]) continue
    n++
    s += x[i]!
  }
  if (n === 0) return { n: 0, mean: NaN, variance: NaN, bimodality: NaN, polarisation: NaN }
  const mean = s / n
  let m2 = 0
  let m3 = 0
  let m4 = 0
  for (let i = 0; i < x.length; i++) {
    if (include !== undefined && !include[i]) continue
    const d = x[i]! - mean
    const d2 = d * d
    m2 += d2
    m3 += d2 * d
    m4 += d2 * d2
  }
  m2 /= n
  m3 /= n
  m4 /= n
  const half = (max - min) / 2
  const polarisation = half > 0 ? m2 / (half * half) : NaN
  if (n < 4 || !(m2 > 1e-15)) return { n, mean, variance: m2, bimodality: NaN, polarisation }
  const g1 = m3 / Math.pow(m2, 1.5)
  const skew = (Math.sqrt(n * (n - 1)) / (n - 2)) * g1
  const g2 = m4 / (m2 * m2) - 3
  const kurt = ((n - 1) / ((n - 2) * (n - 3))) * ((n + 1) * g2 + 6)
  const bimodality = (skew * skew + 1) / (kurt + (3 * (n - 1) * (n - 1)) / ((n - 2) * (n - 3)))
  return { n, mean, variance: m2, bimodality, polarisation }
}

/**
 * The first round (1-based index into `modalShares`) from which on the share of agents at the most common
 * position stays at least `threshold`; null when it never does.
 */
export const timeToConsensus = (modalShares: ReadonlyArray<number>, threshold: number): number | null => {
  let from: number | null = null
  for (let r = 0; r < modalShares.length; r++) {
    if (modalShares[r]! >= threshold) from ??= r + 1
    else from = null
  }
  return from
}
