import { describe, expect, it } from "vitest"
import { fromTies } from "../../src/sampling/network.js"
import {
  codesPerRound,
  observationCodes,
  opinionCode,
  payoffRange,
  pdCode,
  pdPayoffs,
  pgPayoffs,
  cpPayoffs,
  requestBound,
  roundCodes,
  splitObservation,
  statesInRound,
  theoryRound,
  THEORY_DEFAULTS,
  type DynamicParams
} from "../../src/society/dynamics.js"

const P: DynamicParams = {
  payoffs: { temptation: 5, reward: 3, punishment: 1, sucker: 0 },
  scale: ["a", "b", "c", "d", "e"],
  seedShare: 0.1,
  endowment: 20,
  multiplier: 1.6,
  consensusShare: 0.9,
  theory: THEORY_DEFAULTS["prisoners-dilemma"]
}
// A star 0–1, 0–2, 0–3 plus 4 alone.
const g = fromTies(5, [0, 1, 0, 2, 0, 3])

describe("society round machines", () => {
  it("PD payoffs are the matrix summed over ties", () => {
    const out = new Float64Array(5)
    pdPayoffs(g, Uint8Array.of(1, 1, 0, 1, 1), P.payoffs, out)
    // Agent 0 cooperates with two cooperators (R R) and one defector (S); agent 2 defects against a cooperator (T).
    expect(Array.from(out)).toEqual([6, 3, 5, 3, 0])
  })
  it("local public goods: endowment − own + multiplier × the neighbourhood's pot / (degree + 1)", () => {
    const out = new Float64Array(5)
    // Levels 1…5 are 0, 5, 10, 15, 20 of 20.
    pgPayoffs(g, Uint8Array.of(5, 1, 3, 1, 2), P, out)
    // Agent 0 (20) with neighbours 0, 10, 0: pot 30 over 4; agent 4 alone puts 5 in and gets 1.6 × 5 back.
    expect(out[0]).toBeCloseTo(0 + (1.6 * 30) / 4, 12)
    expect(out[2]).toBeCloseTo(10 + (1.6 * 30) / 2, 12)
    expect(out[4]).toBeCloseTo(15 + 1.6 * 5, 12)
  })
  it("common pool: each unit taken is worth 1 − the neighbourhood's mean take / quota", () => {
    const out = new Float64Array(5)
    cpPayoffs(g, Uint8Array.of(5, 1, 3, 1, 2), P, out)
    // Agent 0 takes 20 with neighbours taking 0, 10, 0: mean 30 / 4 = 7.5 of 20, each unit worth 0.625.
    expect(out[0]).toBeCloseTo(20 * (1 - 7.5 / 20), 12)
    expect(out[1]).toBe(0)
    expect(out[4]).toBeCloseTo(5 * (1 - 5 / 20), 12)
  })
  it("PD observation codes: own action × neighbour band, isolates apart; the payoff range follows from the code", () => {
    const codes = new Int32Array(5)
    roundCodes("prisoners-dilemma", 5, g, Uint8Array.of(1, 1, 0, 1, 0), codes)
    expect(Array.from(codes).map(pdCode)).toEqual([
      { action: 1, band: 2 }, // 2 of 3 cooperated: at least half but not all
      { action: 1, band: 3 }, // its only neighbour cooperated: all
      { action: 0, band: 3 },
      { action: 1, band: 3 },
      { action: 0, band: 4 } // no neighbours
    ])
    expect(payoffRange(P.payoffs, 1, 2)).toBe("between 1.5 and 3 points per neighbour")
    expect(payoffRange(P.payoffs, 0, 0)).toBe("1 points per neighbour")
  })
  it("memory combines rounds into one code and splits back; deciding masks agents", () => {
    const a = Int32Array.of(3, 7, 9)
    const b = Int32Array.of(1, 0, 8)
    const out = new Int32Array(3)
    observationCodes([a, b], 10, Uint8Array.of(1, 0, 1), out)
    expect(Array.from(out)).toEqual([13, -1, 89])
    expect(splitObservation(89, 10, 2)).toEqual([9, 8])
  })
  it("opinion codes: own position and the neighbours' rounded mean (k + 1: none)", () => {
    const codes = new Int32Array(5)
    roundCodes("opinion", 5, g, Uint8Array.of(5, 1, 2, 4, 3), codes)
    expect(opinionCode(codes[0]!, 5)).toEqual({ own: 5, neighbours: 2 })
    expect(opinionCode(codes[4]!, 5)).toEqual({ own: 3, neighbours: null })
  })
  it("the request bound: conditions × observations per round, capped by each condition's agents", () => {
    expect(codesPerRound("prisoners-dilemma", P, false)).toBe(8)
    expect(statesInRound("prisoners-dilemma", P, 1, 1, false)).toBe(1)
    expect(statesInRound("prisoners-dilemma", P, 2, 5, false)).toBe(64)
    // 11 conditions of many agents, 20 rounds, memory 1: 11 + 19 × 88.
    expect(requestBound("prisoners-dilemma", P, 1, 20, new Array(11).fill(1000), false)).toBe(11 + 19 * 88)
    // A condition of 3 agents never asks more than 3 a round.
    expect(requestBound("prisoners-dilemma", P, 1, 3, [3], false)).toBe(1 + 3 + 3)
    // Diffusion: round 1 already sees the seeds.
    expect(statesInRound("diffusion", P, 1, 1, false)).toBe(5)
  })
  it("the theory model cooperates more with more cooperating neighbours and with a higher value standing", () => {
    const n = 20000
    const ties: Array<number> = []
    for (let u = 0; u < n; u++) ties.push(u, (u + 1) % n)
    const ring = fromTies(n, ties)
    const rate = (prevC: number, v: number) => {
      const prev = new Uint8Array(n).fill(prevC)
      const out = new Uint8Array(n)
      let i = 0
      const xs = Array.from({ length: n }, () => ((i = (i * 9301 + 49297) % 233280), i / 233280))
      theoryRound("prisoners-dilemma", P, ring, new Float32Array(n).fill(v), prev, (u) => xs[u]!, out)
      return out.reduce((a, b) => a + b, 0) / n
    }
    expect(rate(1, 0)).toBeGreaterThan(rate(0, 0) + 0.5)
    expect(rate(1, 1)).toBeGreaterThan(rate(1, -1) + 0.2)
  })
})
