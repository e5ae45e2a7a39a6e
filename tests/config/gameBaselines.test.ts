import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import * as path from "node:path"
import {
  baselineFromData,
  type GameOutcomes,
  GAME_METRICS,
  loadBaseline,
  SHIPPED_BASELINES_DIR,
  type UnavailableBaselines
} from "../../src/config/BaselineFile.js"
import { SpecFileError } from "../../src/config/SpecFileError.js"

/**
 * Human figures for the economic games (kind game-outcomes): the shipped files load and hold only the figures
 * confirmed in their sources, the game figures that could not be confirmed are listed as unavailable, and
 * malformed figures are rejected with "field: message" problems.
 */

const load = (name: string) =>
  Effect.runPromise(loadBaseline(path.join(SHIPPED_BASELINES_DIR, name)).pipe(Effect.provide(NodeContext.layer))).then((lb) => lb.baseline)

const problemsOf = (data: unknown): ReadonlyArray<string> => {
  const r = baselineFromData(data, "test.yaml")
  if (Either.isRight(r)) return []
  expect(r.left).toBeInstanceOf(SpecFileError)
  return r.left.problems
}

const valid = () => ({
  kind: "game-outcomes",
  id: "t",
  title: "t",
  instrument: "ultimatum game",
  population: "test",
  source: "test",
  obtained: "published",
  confidence: "low",
  figures: [
    { game: "ultimatum", metric: "offer-share", value: 0.4, studies: 3, where: "abstract" },
    { game: "public-goods", metric: "contribution-share", value: 0.5, round: 1, where: "table 2" }
  ] as Array<Record<string, unknown>>
})

describe("shipped game-outcome baselines", () => {
  it("Oosterbeek et al. 2004: mean ultimatum offer 40% of the pie, 16% of offers rejected (abstract)", async () => {
    const b = (await load("oosterbeek-2004.ultimatum.yaml")) as GameOutcomes
    expect(b.kind).toBe("game-outcomes")
    expect(b.obtained).toBe("published")
    expect(b.source).toContain("Experimental Economics, 7(2), 171-188")
    expect(b.figures.map((f) => [f.game, f.metric, f.value, f.studies])).toEqual([
      ["ultimatum", "offer-share", 0.4, 37],
      ["ultimatum", "rejection-rate", 0.16, 37]
    ])
    for (const f of b.figures) expect(f.where).toMatch(/^abstract/)
  })

  it("Flage 2024: dictator-game give share about 27.5% of the stakes (abstract)", async () => {
    const b = (await load("flage-2024.dictator.yaml")) as GameOutcomes
    expect(b.figures.map((f) => [f.game, f.metric, f.value, f.studies])).toEqual([["dictator", "give-share", 0.275, 39]])
    expect(b.figures[0]!.where).toMatch(/^abstract/)
    expect(b.confidence).toBe("medium")
  })

  it("every game file states its provenance and caveats", async () => {
    for (const name of ["oosterbeek-2004.ultimatum.yaml", "flage-2024.dictator.yaml"]) {
      const b = (await load(name)) as GameOutcomes
      expect(b.notes?.length ?? 0, name).toBeGreaterThan(100)
      expect(b.id, name).toBe(name.replace(/\.yaml$/, ""))
      for (const f of b.figures) expect(GAME_METRICS[f.game], name).toContain(f.metric)
    }
  })

  it("lists the game figures that could not be confirmed, keeping the earlier entries", async () => {
    const u = (await load("unavailable.yaml")) as UnavailableBaselines
    const measures = u.entries.map((e) => e.measure)
    expect(measures).toEqual(expect.arrayContaining(["paired-charity-game", "donation-causes", "prosociality", "everyday-behaviours", "big-five"]))
    expect([...new Set(measures.filter((m) => m.startsWith("game:")))].sort()).toEqual([
      "game:dictator",
      "game:paired-charity",
      "game:prisoners-dilemma",
      "game:public-goods",
      "game:trust"
    ])
    const engel = u.entries.find((e) => e.measure === "game:dictator")!
    expect(engel.source).toContain("Engel")
  })
})

describe("malformed game-outcome baselines", () => {
  it("accepts the valid template", () => {
    expect(problemsOf(valid())).toEqual([])
  })

  it("rejects a metric that does not belong to its game", () => {
    const b = valid()
    b.figures[0]!.metric = "give-share"
    expect(problemsOf(b)).toEqual(['figures[0].metric: "give-share" is not a metric of the ultimatum game (expected offer-share, rejection-rate)'])
  })

  it("rejects a share above 1 or below 0", () => {
    const b = valid()
    b.figures[0]!.value = 40
    b.figures[1]!.value = -0.1
    expect(problemsOf(b)).toEqual([
      "figures[0].value: a share or rate must lie between 0 and 1, got 40",
      "figures[1].value: a share or rate must lie between 0 and 1, got -0.1"
    ])
  })

  it("rejects an unknown game, a round below 1, a missing source location and a repeated figure", () => {
    const g = valid()
    g.figures[0]!.game = "chicken"
    expect(problemsOf(g)).toEqual([`figures[0].game: unknown game "chicken" (expected one of dictator, ultimatum, trust, public-goods, prisoners-dilemma, paired-charity)`])
    const r = valid()
    r.figures[1]!.round = 0
    expect(problemsOf(r)).toContain("figures[1].round: expected a number greater than or equal to 1, got 0")
    const w = valid()
    delete w.figures[0]!.where
    expect(problemsOf(w)).toEqual([expect.stringMatching(/^figures\[0\]\.where: /)])
    const d = valid()
    d.figures.push({ ...d.figures[0]! })
    expect(problemsOf(d)).toEqual(["figures[2]: ultimatum offer-share all rounds appears twice"])
  })

  it("rejects a file without figures", () => {
    expect(problemsOf({ ...valid(), figures: [] })).toEqual(["figures: a game-outcomes file needs at least one figure"])
  })
})
