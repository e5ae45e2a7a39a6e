import { describe, expect, it } from "@effect/vitest"
import { categorical, stream } from "../../src/sampling/rng.js"
import {
  checkSyntheticParams,
  gradedResponse,
  itemDistribution,
  latentProfile,
  propensity,
  SYNTHETIC_DEFAULTS,
  valueItemDistribution,
  valueStanding
} from "../../src/sampling/synthetic.js"
import { scoreRespondent } from "../../src/stats/mrat.js"

const sum = (xs: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i]!
  return s
}
const expectedValue = (p: Float64Array): number => {
  let e = 0
  for (let i = 0; i < p.length; i++) e += i * p[i]!
  return e
}
const argmax = (xs: ArrayLike<number>): number => {
  let best = 0
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i
  return best
}
const argmin = (xs: ArrayLike<number>): number => {
  let best = 0
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[best]!) best = i
  return best
}

describe("gradedResponse", () => {
  it("sums to 1 and is non-negative for every k", () => {
    const out = new Float64Array(11)
    for (const k of [2, 3, 5, 6, 7, 11]) {
      for (const theta of [-6, -1.3, 0, 0.7, 4, 40]) {
        gradedResponse(theta, k, out)
        expect(sum(out.subarray(0, k))).toBeCloseTo(1, 12)
        for (let i = 0; i < k; i++) expect(out[i]).toBeGreaterThanOrEqual(0)
      }
    }
  })

  it("matches hand-computed values at θ = 0", () => {
    // Thresholds −2, −1, 0, 1, 2 with a = 1.7: P(Y ≥ j) = σ(3.4), σ(1.7), σ(0), σ(−1.7), σ(−3.4).
    const s = (x: number): number => 1 / (1 + Math.exp(-x))
    const out = gradedResponse(0, 6, new Float64Array(6))
    const expected = [1 - s(3.4), s(3.4) - s(1.7), s(1.7) - 0.5, 0.5 - s(-1.7), s(-1.7) - s(-3.4), s(-3.4)]
    expected.forEach((e, i) => expect(out[i]).toBeCloseTo(e, 14))
    expect(out[0]).toBeCloseTo(out[5]!, 14)
    expect(gradedResponse(0, 2, new Float64Array(2))).toEqual(Float64Array.of(0.5, 0.5))
  })

  it("is monotone in θ (each upper tail P(Y ≥ j) grows)", () => {
    const lo = new Float64Array(7)
    const hi = new Float64Array(7)
    for (let theta = -3; theta < 3; theta += 0.25) {
      gradedResponse(theta, 7, lo)
      gradedResponse(theta + 0.25, 7, hi)
      let tailLo = 0
      let tailHi = 0
      for (let j = 6; j >= 1; j--) {
        tailLo += lo[j]!
        tailHi += hi[j]!
        expect(tailHi).toBeGreaterThan(tailLo)
      }
      expect(expectedValue(hi)).toBeGreaterThan(expectedValue(lo))
    }
  })

  it("rejects a bad k or a short buffer", () => {
    expect(() => gradedResponse(0, 1, new Float64Array(2))).toThrow(RangeError)
    expect(() => gradedResponse(0, 6, new Float64Array(5))).toThrow(RangeError)
  })
})

describe("latentProfile", () => {
  it("is reproducible from its stream and has 11 entries", () => {
    const a = latentProfile(3, stream(1, "agent", 0, "profile"))
    const b = latentProfile(3, stream(1, "agent", 0, "profile"))
    expect(a.length).toBe(11)
    expect(a).toEqual(b)
    expect(latentProfile(3, stream(1, "agent", 1, "profile"))).not.toEqual(a)
  })

  it("is the exact sinusoid without noise, and the default profile for an unprimed agent", () => {
    const quiet = { ...SYNTHETIC_DEFAULTS, noiseSd: 0, styleSd: 0 }
    const p = latentProfile(8, stream(1, "x"), quiet)
    expect(p[8]).toBeCloseTo(1.5, 12)
    expect(p[3]).toBeCloseTo(-1.5, 12)
    expect(p[9]).toBeCloseTo(1.5 * Math.cos(Math.PI / 5), 12)
    expect(p[10]).toBeCloseTo(0, 15)
    // `+ 0` folds the −0 of 0·(negative deviate) into 0.
    expect(Array.from(latentProfile(null, stream(1, "x"), quiet), (x) => x + 0)).toEqual(new Array<number>(11).fill(0))
  })

  it("rejects a bad dominant value", () => {
    expect(() => latentProfile(10, stream(1, "x"))).toThrow(RangeError)
    expect(() => latentProfile(2.5, stream(1, "x"))).toThrow(RangeError)
  })
})

describe("propensity and item distributions", () => {
  it("puts a noiseless agent's propensity at A·cos(2π(d−peak)/10) + style", () => {
    const p = latentProfile(2, stream(1, "x"), { ...SYNTHETIC_DEFAULTS, noiseSd: 0, styleSd: 0 })
    p[10] = 0.3
    for (let peak = 0; peak < 10; peak++) {
      expect(propensity(p, peak)).toBeCloseTo(1.5 * Math.cos((2 * Math.PI * (2 - peak)) / 10) + 0.3, 12)
    }
    expect(propensity(p, 2.5)).toBeCloseTo(1.5 * Math.cos(Math.PI / 10) + 0.3, 12)
    expect(valueStanding(p, 2)).toBeCloseTo(1.8, 12)
  })

  it("applies reverse keying to content but not to response style", () => {
    const p = latentProfile(5, stream(2, "rev"))
    const style = p[10]!
    const content = propensity(p, 5) - style
    const fwd = itemDistribution(p, 5, false, 6, new Float64Array(6))
    const rev = itemDistribution(p, 5, true, 6, new Float64Array(6))
    expect(fwd).toEqual(gradedResponse(style + content, 6, new Float64Array(6)))
    expect(rev).toEqual(gradedResponse(style - content, 6, new Float64Array(6)))
    const valueRev = valueItemDistribution(p, 5, true, 6, new Float64Array(6))
    expect(valueRev).toEqual(gradedResponse(style - p[5]!, 6, new Float64Array(6)))
  })

  it("mirrors the distribution under reverse keying when there is no response style", () => {
    const p = latentProfile(7, stream(3, "mirror"))
    p[10] = 0
    const fwd = itemDistribution(p, 1, false, 7, new Float64Array(7))
    const rev = itemDistribution(p, 1, true, 7, new Float64Array(7))
    for (let i = 0; i < 7; i++) expect(rev[i]).toBeCloseTo(fwd[6 - i]!, 12)
  })

  it("over 2,000 agents per prompted value: highest mean propensity at d, lowest centred score opposite d", () => {
    // A PVQ-like instrument: 4 items per value on a 6-point scale, the fourth of each reverse-keyed.
    const keys = Array.from({ length: 40 }, (_, i) => ({ subscale: Math.floor(i / 4), reverse: i % 4 === 3 }))
    const buf = new Float64Array(6)
    const answers = new Array<number>(40)
    for (let d = 0; d < 10; d++) {
      const meanPropensity = new Float64Array(10)
      const meanCentered = new Float64Array(10)
      const agents = 2000
      const profiles = stream(99, "value", d, "profiles")
      const rng = stream(99, "value", d, "answers")
      const profile = new Float64Array(11)
      for (let agent = 0; agent < agents; agent++) {
        latentProfile(d, profiles, SYNTHETIC_DEFAULTS, profile)
        for (let peak = 0; peak < 10; peak++) meanPropensity[peak]! += propensity(profile, peak) / agents
        for (let i = 0; i < 40; i++) {
          const key = keys[i]!
          answers[i] = 1 + categorical(valueItemDistribution(profile, key.subscale, key.reverse, 6, buf), rng)
        }
        const { centered } = scoreRespondent(answers, keys, 10, 1, 6)
        for (let v = 0; v < 10; v++) meanCentered[v]! += centered[v]! / agents
      }
      expect(argmax(meanPropensity)).toBe(d)
      expect(argmin(meanPropensity)).toBe((d + 5) % 10)
      expect(argmax(meanCentered)).toBe(d)
      expect(argmin(meanCentered)).toBe((d + 5) % 10)
    }
  })

  it("gives unprimed agents no preferred value on average", () => {
    const mean = new Float64Array(10)
    for (let agent = 0; agent < 2000; agent++) {
      const profile = latentProfile(null, stream(5, "none", agent))
      for (let peak = 0; peak < 10; peak++) mean[peak]! += propensity(profile, peak) / 2000
    }
    for (const m of mean) expect(Math.abs(m)).toBeLessThan(0.06)
  })
})

describe("checkSyntheticParams", () => {
  it("accepts the defaults and names a bad parameter", () => {
    expect(checkSyntheticParams(SYNTHETIC_DEFAULTS)).toBe(SYNTHETIC_DEFAULTS)
    expect(() => checkSyntheticParams({ ...SYNTHETIC_DEFAULTS, discrimination: 0 })).toThrow(/discrimination/)
    expect(() => checkSyntheticParams({ ...SYNTHETIC_DEFAULTS, noiseSd: -1 })).toThrow(/noiseSd/)
    expect(() => checkSyntheticParams({ ...SYNTHETIC_DEFAULTS, unprimedProfile: [0] })).toThrow(/unprimedProfile/)
  })
})
