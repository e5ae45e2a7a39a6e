import { describe, expect, it } from "@effect/vitest"
import { GAME_KINDS } from "../../src/domain/games.js"
import {
  DICTATOR_DEFAULTS,
  GAME_DEFAULTS,
  gameParamProblems,
  makeGame,
  PAIRED_CHARITY_DEFAULTS,
  PRISONERS_DILEMMA_DEFAULTS,
  PUBLIC_GOODS_DEFAULTS,
  TRUST_DEFAULTS,
  ULTIMATUM_DEFAULTS
} from "../../src/games/index.js"

describe("gameParamProblems", () => {
  it("accepts every game's defaults, given or omitted", () => {
    for (const kind of GAME_KINDS) {
      expect(gameParamProblems(kind, {})).toEqual([])
      expect(gameParamProblems(kind, GAME_DEFAULTS[kind])).toEqual([])
    }
  })

  it("documents the defaults", () => {
    expect(PAIRED_CHARITY_DEFAULTS.endowment).toBe(15)
    expect(PAIRED_CHARITY_DEFAULTS.causes).toHaveLength(9)
    expect(PAIRED_CHARITY_DEFAULTS.intention_labels).toHaveLength(7)
    expect(DICTATOR_DEFAULTS).toEqual({ endowment: 10, step: 1 })
    expect(ULTIMATUM_DEFAULTS).toEqual({ endowment: 10, step: 1, fairness_slope: 6 })
    expect(TRUST_DEFAULTS).toEqual({ endowment: 10, multiplier: 3, step: 1 })
    expect(PUBLIC_GOODS_DEFAULTS).toEqual({
      group_size: 4,
      rounds: 10,
      endowment: 20,
      multiplier: 1.6,
      conditional_slope: 2,
      step: 1,
      punishment: false,
      punishment_cost: 1,
      punishment_impact: 3,
      max_punishment: 10,
      punishment_base: -4,
      punishment_slope: 6,
      deterrence: 3
    })
    expect(PRISONERS_DILEMMA_DEFAULTS).toEqual({
      rounds: 1,
      payoffs: { temptation: 5, reward: 3, punishment: 1, sucker: 0 },
      reciprocity: 1
    })
  })

  it("reports an unknown parameter by name", () => {
    expect(gameParamProblems("dictator", { endowmnet: 10 })).toEqual([
      "endowmnet: unknown parameter (expected one of endowment, step)"
    ])
  })

  it("reports wrong types and ranges", () => {
    expect(gameParamProblems("dictator", { endowment: "10" })).toEqual([
      'endowment: must be a whole number ≥ 1, got "10"'
    ])
    expect(gameParamProblems("ultimatum", { endowment: 0 })[0]).toMatch(/^endowment: /)
    expect(gameParamProblems("ultimatum", { endowment: 2.5 })[0]).toMatch(/^endowment: /)
    expect(gameParamProblems("ultimatum", { fairness_slope: "steep" })[0]).toMatch(/^fairness_slope: must be a number/)
    expect(gameParamProblems("trust", { multiplier: 2.5 })[0]).toMatch(/^multiplier: must be a whole number/)
    expect(gameParamProblems("dictator", { endowment: 10, step: 3 })).toEqual([
      "step: must divide endowment (10) exactly, got 3"
    ])
    expect(gameParamProblems("public-goods", { rounds: 0 })[0]).toMatch(/^rounds: /)
    expect(gameParamProblems("public-goods", { group_size: 1 })[0]).toMatch(/^group_size: /)
    expect(gameParamProblems("prisoners-dilemma", { payoffs: [5, 3, 1, 0] })[0]).toMatch(/^payoffs: must be an object/)
    expect(gameParamProblems("prisoners-dilemma", { payoffs: { temptation: 5, bonus: 1 } })[0]).toMatch(
      /^payoffs: unknown key "bonus"/
    )
  })

  it("reports a paired charity list of the wrong shape", () => {
    expect(gameParamProblems("paired-charity", { intention_labels: ["keep", "give"] })).toEqual([
      "intention_labels: must have exactly 7 labels, got 2"
    ])
    expect(gameParamProblems("paired-charity", { causes: [] })).toEqual(["causes: must have at least 1 label"])
    expect(gameParamProblems("paired-charity", { causes: ["Health", "Health"] })[0]).toMatch(/more than once/)
    expect(gameParamProblems("paired-charity", { causes: ["Health", 3] })[0]).toMatch(/^causes: label 2/)
  })

  it("rejects a public goods multiplier that is not a social dilemma", () => {
    expect(gameParamProblems("public-goods", { multiplier: 1 })[0]).toMatch(
      /^multiplier: must be between 1 and group_size \(4\)/
    )
    expect(gameParamProblems("public-goods", { multiplier: 4 })[0]).toMatch(/^multiplier: /)
    expect(gameParamProblems("public-goods", { multiplier: 0.8 })[0]).toMatch(/^multiplier: /)
    expect(gameParamProblems("public-goods", { group_size: 2, multiplier: 1.6 })).toEqual([])
    expect(gameParamProblems("public-goods", { group_size: 2, multiplier: 2 })).toHaveLength(1)
  })

  it("rejects a prisoner's dilemma payoff matrix out of order", () => {
    expect(gameParamProblems("prisoners-dilemma", { payoffs: { reward: 6 } })).toEqual([
      "payoffs: must satisfy temptation > reward > punishment > sucker, got 5, 6, 1, 0"
    ])
    expect(gameParamProblems("prisoners-dilemma", { payoffs: { punishment: -1 } })).toHaveLength(1)
    // T > R > P > S holds, but alternating exploitation (T + S = 10) beats mutual cooperation (2R = 6).
    expect(gameParamProblems("prisoners-dilemma", { payoffs: { temptation: 10 } })).toEqual([
      "payoffs: 2 × reward (6) must exceed temptation + sucker (10) for a dilemma"
    ])
    expect(gameParamProblems("prisoners-dilemma", { payoffs: { temptation: 4, sucker: 1, punishment: 2 } })).toEqual([])
  })

  it("makeGame throws on invalid parameters and builds on valid ones", () => {
    expect(() => makeGame("public-goods", { multiplier: 5 })).toThrow(/invalid public-goods parameters: multiplier/)
    expect(() => makeGame("dictator", { colour: "red" })).toThrow(RangeError)
    expect(makeGame("public-goods", { group_size: 3, multiplier: 2 }).groupSize).toBe(3)
    expect(makeGame("dictator", {}).groupSize).toBe(2)
    expect(makeGame("trust", {}).kind).toBe("trust")
  })
})
