import { describe, expect, it } from "vitest"
import { complete, degreeOf, edgeCount, homophilousPlacement, lattice, random, relabel, rewireStep, scaleFree, smallWorld, type Network } from "../../src/sampling/network.js"
import { stream } from "../../src/sampling/rng.js"
import { attributeAssortativity, averageClustering } from "../../src/stats/network.js"

/** No self-loops, no duplicate ties, every tie listed from both ends. */
const simple = (g: Network) => {
  for (let u = 0; u < g.n; u++) {
    const ns = Array.from(g.targets.subarray(g.offsets[u]!, g.offsets[u + 1]!))
    expect(ns.includes(u)).toBe(false)
    expect(new Set(ns).size).toBe(ns.length)
    for (const v of ns) expect(Array.from(g.targets.subarray(g.offsets[v]!, g.offsets[v + 1]!))).toContain(u)
  }
}

describe("networks", () => {
  it("small world: p = 0 is the ring lattice (clustering 3(k−2)/(4(k−1))); rewiring keeps the tie count and lowers clustering", () => {
    const ring = smallWorld(200, 8, 0, stream(1, "t"))
    simple(ring)
    expect(edgeCount(ring)).toBe(800)
    for (let i = 0; i < 200; i++) expect(degreeOf(ring, i)).toBe(8)
    expect(averageClustering(ring)).toBeCloseTo((3 * 6) / (4 * 7), 12)
    const sw = smallWorld(2000, 8, 0.2, stream(1, "t"))
    simple(sw)
    expect(edgeCount(sw)).toBe(8000)
    expect(averageClustering(sw)).toBeLessThan(0.5)
    expect(averageClustering(sw)).toBeGreaterThan(0.2)
    // Same seed, same network.
    expect(Array.from(smallWorld(2000, 8, 0.2, stream(1, "t")).targets)).toEqual(Array.from(sw.targets))
  })
  it("scale-free: m(n − m − 1) + m ties, a hub far above the mean degree", () => {
    const g = scaleFree(3000, 3, stream(2, "t"))
    simple(g)
    expect(edgeCount(g)).toBe(3 * (3000 - 3 - 1) + 3)
    let max = 0
    for (let i = 0; i < g.n; i++) max = Math.max(max, degreeOf(g, i))
    expect(max).toBeGreaterThan(50)
  })
  it("random: about p·n(n−1)/2 ties", () => {
    const g = random(2000, 0.004, stream(3, "t"))
    simple(g)
    const expected = 0.004 * 1000 * 1999
    expect(Math.abs(edgeCount(g) - expected)).toBeLessThan(4 * Math.sqrt(expected))
  })
  it("lattice: von Neumann 4 and Moore 8 neighbours, periodic", () => {
    const vn = lattice(5, 4, "von-neumann")
    simple(vn)
    for (let i = 0; i < 20; i++) expect(degreeOf(vn, i)).toBe(4)
    expect(Array.from(vn.targets.subarray(vn.offsets[0]!, vn.offsets[1]!))).toEqual([1, 4, 5, 15])
    const moore = lattice(5, 4, "moore")
    simple(moore)
    for (let i = 0; i < 20; i++) expect(degreeOf(moore, i)).toBe(8)
    expect(edgeCount(complete(10))).toBe(45)
  })
  it("homophily: h = 1 on a ring gives strongly assortative ties, h = 0 about none", () => {
    const conds = Array.from({ length: 3000 }, (_, i) => i % 5)
    const ring = smallWorld(3000, 4, 0, stream(4, "t"))
    const assort = (h: number) => attributeAssortativity(relabel(ring, homophilousPlacement(conds, 5, h, stream(4, "p"))), conds, 5)
    expect(assort(1)).toBeGreaterThan(0.95)
    expect(Math.abs(assort(0))).toBeLessThan(0.05)
    // Both ends of a tie must be clustered agents: about h² of the way.
    expect(assort(0.5)).toBeGreaterThan(0.15)
    expect(assort(0.5)).toBeLessThan(0.4)
  })
})

describe("dynamic networks", () => {
  it("a rewiring round cuts ties to defectors for ties to neighbours' neighbours, keeping the tie count and a simple graph", () => {
    const g = smallWorld(3000, 6, 0.1, stream(5, "t"))
    const state = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 0 : 1))
    const tiesToDefectors = (net: Network) => {
      let k = 0
      for (let u = 0; u < net.n; u++) for (let e = net.offsets[u]!; e < net.offsets[u + 1]!; e++) if (state[net.targets[e]!] === 0) k++
      return k
    }
    const h = rewireStep(g, state, 0.5, stream(5, "r"))
    simple(h)
    expect(edgeCount(h)).toBe(edgeCount(g))
    // Some tries find no new partner (a neighbour's neighbour already tied), and a new partner may defect too.
    expect(tiesToDefectors(h)).toBeLessThan(tiesToDefectors(g) * 0.97)
    expect(Array.from(rewireStep(g, state, 0.5, stream(5, "r")).targets)).toEqual(Array.from(h.targets))
    expect(Array.from(rewireStep(g, state, 0, stream(5, "r")).targets)).toEqual(Array.from(g.targets))
  })
})
