import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { fromTies } from "../../src/sampling/network.js"
import {
  attributeAssortativity,
  averageClustering,
  degreeHistogram,
  largestCluster,
  positionSummary,
  stateAssortment,
  timeToConsensus
} from "../../src/stats/network.js"

/** Computed with NetworkX 2.8.8, NumPy and SciPy by tests/fixtures/society/make_network_reference.py (see its header). */
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/society/network-reference.json"), "utf8")) as {
  n: number
  edges: Array<[number, number]>
  labels: Array<number>
  states: Array<number>
  positions: Array<number>
  degreeHistogram: Array<number>
  averageClustering: number
  attributeAssortativity: number
  numericAssortativity: number
  largestCooperatingCluster: number
  positionMean: number
  positionVariance: number
  bimodality: number
}
const g = fromTies(ref.n, ref.edges.flat())

describe("network statistics against NetworkX", () => {
  it("degree histogram, average clustering", () => {
    expect(degreeHistogram(g)).toEqual(ref.degreeHistogram)
    expect(averageClustering(g)).toBeCloseTo(ref.averageClustering, 12)
  })
  it("value assortativity (attribute_assortativity_coefficient) and state assortment (numeric_assortativity_coefficient)", () => {
    expect(attributeAssortativity(g, ref.labels, 3)).toBeCloseTo(ref.attributeAssortativity, 12)
    expect(stateAssortment(g, ref.states)).toBeCloseTo(ref.numericAssortativity, 12)
  })
  it("largest cooperating cluster (largest connected component of the cooperators' subgraph)", () => {
    expect(largestCluster(g, ref.states, 1)).toBe(ref.largestCooperatingCluster)
    expect(largestCluster(g, ref.states.map(() => 0), 1)).toBe(0)
  })
  it("positions: mean, variance (numpy.var), bimodality coefficient (scipy skew/kurtosis, bias=False)", () => {
    const s = positionSummary(ref.positions, 1, 5)
    expect(s.mean).toBeCloseTo(ref.positionMean, 12)
    expect(s.variance).toBeCloseTo(ref.positionVariance, 12)
    expect(s.bimodality).toBeCloseTo(ref.bimodality, 10)
    expect(s.polarisation).toBeCloseTo(ref.positionVariance / 4, 12)
    // An even split between the ends is fully polarised; consensus is not.
    expect(positionSummary([1, 1, 5, 5], 1, 5).polarisation).toBe(1)
    expect(positionSummary([3, 3, 3, 3], 1, 5).polarisation).toBe(0)
  })
  it("time to consensus: the first round from which the modal share stays above the threshold", () => {
    expect(timeToConsensus([0.5, 0.95, 0.8, 0.91, 0.97], 0.9)).toBe(4)
    expect(timeToConsensus([0.5, 0.6], 0.9)).toBeNull()
  })
})
