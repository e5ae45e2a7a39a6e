import { describe, expect, it } from "vitest"
import { groupBehaviours, personaAgreement, type AgreementAnswer } from "../../src/analysis/personaEvals.js"
import type { Value10 } from "../../src/domain/values.js"
import { answerAgreement, higherOrderAgreement, valueVectorCorrelations } from "../../src/stats/agreement.js"

describe("answerAgreement", () => {
  it("scores by the likelier option when probabilities exist, else by the parsed answer", () => {
    expect(answerAgreement(0.8, false)).toBe(1) // probabilities win over the drawn answer
    expect(answerAgreement(0.2, true)).toBe(0)
    expect(answerAgreement(0.5, null)).toBe(0.5)
    expect(answerAgreement(null, true)).toBe(1)
    expect(answerAgreement(null, false)).toBe(0)
    expect(answerAgreement(null, null)).toBeNull()
    expect(answerAgreement(NaN, true)).toBe(1)
  })
})

describe("higherOrderAgreement", () => {
  it("averages the measured basic values of each higher-order value; hedonism placement is a parameter", () => {
    const byValue = { SD: 80, ST: 60, HE: 10, AC: 30, PO: 50, SE: 20, CO: 40, TR: 60, BE: 90 }
    const open = higherOrderAgreement(byValue)
    expect(open.OPEN).toBeCloseTo(50, 12) // (80 + 60 + 10) / 3
    expect(open.SELF_ENH).toBeCloseTo(40, 12)
    expect(open.CONS).toBeCloseTo(40, 12)
    expect(open.SELF_TRANS).toBeCloseTo(90, 12) // UN not measured: BE alone
    expect(higherOrderAgreement(byValue, "SELF_ENH").SELF_ENH).toBeCloseTo(30, 12) // (10 + 30 + 50) / 3
    expect(higherOrderAgreement(byValue, "exclude").OPEN).toBeCloseTo(70, 12)
    expect(higherOrderAgreement({ SD: 1 }).CONS).toBeNaN()
  })
})

describe("valueVectorCorrelations", () => {
  it("is the Pearson matrix of the four vectors in HIGHER_ORDER order", () => {
    // Hand-computed: OPEN = (1,2,3), SELF_ENH = (3,2,1) → r = −1; SELF_TRANS = (1,2,4) with OPEN: r = 0.98198.
    const m = valueVectorCorrelations({ OPEN: [1, 2, 3], SELF_ENH: [3, 2, 1], CONS: [3, 2, 1], SELF_TRANS: [1, 2, 4] })
    expect(m[0]![1]).toBeCloseTo(-1, 12)
    expect(m[1]![2]).toBeCloseTo(1, 12)
    expect(m[0]![3]).toBeCloseTo(3 / Math.sqrt(2 * (14 / 3)), 10)
    expect(m[3]![0]).toBe(m[0]![3])
    expect(m.map((r, i) => r[i])).toEqual([1, 1, 1, 1])
  })
})

describe("personaAgreement on a hand-made fixture", () => {
  const ans = (behaviour: string, condition: string, agreement: number | null, pMatching: number | null = null): AgreementAnswer => ({
    behaviour,
    condition,
    value: condition === "none" ? null : (condition.slice(6) as Value10),
    agreement,
    pMatching
  })
  // Two behaviours, four value conditions (one per higher-order value) and none.
  const answers: Array<AgreementAnswer> = [
    // "trad": Conservation agrees, Openness does not.
    ans("trad", "value:SD", 0), ans("trad", "value:SD", 0), ans("trad", "value:SD", 1), ans("trad", "value:SD", 0),
    ans("trad", "value:TR", 1), ans("trad", "value:TR", 1), ans("trad", "value:TR", 1), ans("trad", "value:TR", 0.5),
    ans("trad", "value:PO", 1, 0.9), ans("trad", "value:PO", 0, 0.3),
    ans("trad", "value:BE", 0), ans("trad", "value:BE", null),
    ans("trad", "none", 1),
    // "care": Self-Transcendence agrees.
    ans("care", "value:SD", 1), ans("care", "value:TR", 0), ans("care", "value:PO", 0), ans("care", "value:BE", 1),
    ans("care", "none", 0)
  ]
  const behaviours = [
    { behaviour: "trad", statements: 4, peak: "TR" },
    { behaviour: "care", statements: 1, peak: null },
    { behaviour: "math", statements: 1, peak: null }
  ]
  const conditions = ["value:SD", "value:PO", "value:TR", "value:BE", "none"]
  const r = personaAgreement(answers, behaviours, conditions, { hedonism: "OPEN", conservative: ["trad", "absent"] })

  it("gives agreement % per behaviour × condition, skipping missing answers", () => {
    expect(r.agreement["trad"]).toEqual({ "value:SD": 25, "value:PO": 50, "value:TR": 87.5, "value:BE": 0, none: 100 })
    expect(r.answered["trad"]!["value:BE"]).toBe(1)
    expect(r.pMatching["trad"]!["value:PO"]).toBeCloseTo(0.6, 12)
    expect(r.pMatching["trad"]!["value:SD"]).toBeNull()
    expect(r.agreement["math"]!["value:SD"]).toBeNull() // never answered
  })

  it("aggregates to higher-order values and correlates their vectors over complete behaviours", () => {
    expect(r.higherOrder.agreement["trad"]).toEqual({ OPEN: 25, SELF_ENH: 50, CONS: 87.5, SELF_TRANS: 0 })
    expect(r.higherOrder.agreement["care"]).toEqual({ OPEN: 100, SELF_ENH: 0, CONS: 0, SELF_TRANS: 100 })
    expect(r.valueVectors.behaviours).toBe(2)
    // With two behaviours every defined correlation is ±1: OPEN (25 → 100) rises, CONS (87.5 → 0) falls.
    expect(r.valueVectors.matrix[0]![2]).toBeCloseTo(-1, 12)
    expect(r.valueVectors.matrix[0]![3]).toBeCloseTo(1, 12)
  })

  it("reports conservative politics from the named behaviours that were run", () => {
    expect(r.conservative.behaviours).toEqual(["trad"])
    expect(r.conservative.missing).toEqual(["absent"])
    expect(r.conservative.byHigherOrder).toEqual({ OPEN: 25, SELF_ENH: 50, CONS: 87.5, SELF_TRANS: 0 })
    expect(r.conservative.byCondition["none"]).toBe(100)
  })
})

describe("groupBehaviours", () => {
  it("pools sets into groups, drops ungrouped sets and lists group members that were not run", () => {
    const a = (behaviour: string, agreement: number): AgreementAnswer => ({ behaviour, condition: "value:SD", value: "SD", agreement, pMatching: null })
    const answers = [a("nihilism", 1), a("no-meaning", 0), a("no-meaning", 0), a("math", 1)]
    const sets = [
      { behaviour: "nihilism", statements: 1, peak: null },
      { behaviour: "no-meaning", statements: 2, peak: null },
      { behaviour: "math", statements: 1, peak: "SD" }
    ]
    const g = groupBehaviours(answers, sets, new Map([["moral-nihilist", ["nihilism", "no-meaning", "absent"]], ["ghost", ["absent"]]]))
    expect(g.behaviours).toEqual([{ behaviour: "moral-nihilist", statements: 3, peak: null }])
    expect(g.missing).toEqual(["moral-nihilist: absent", "ghost: absent"])
    expect(g.answers.map((x) => x.behaviour)).toEqual(["moral-nihilist", "moral-nihilist", "moral-nihilist"])
    const r = personaAgreement(g.answers, g.behaviours, ["value:SD"], { hedonism: "OPEN", conservative: [] })
    expect(r.agreement["moral-nihilist"]!["value:SD"]).toBeCloseTo(100 / 3, 12)
  })
})
