import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Report } from "../../src/analysis/Report.js"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import { withRunDb } from "../helpers/store.js"
import { readMatches, readMatchPayoffTotals, readMoves } from "../../src/store/reads.js"

let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

const GAMES = ["dictator", "ultimatum", "trust", "public-goods", "prisoners-dilemma", "prisoners-dilemma-repeated", "paired-charity"]
const VIGNETTES = ["car-free-centre", "sugar-tax", "report-a-colleague"]
const openaiArgs = () => ["--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--json"]

const pairsOf = (runDir: string) => {
  return withRunDb(runDir, (db) => readMatches(db).map((m) => JSON.stringify(m.members)))
}

describe("games on the synthetic backend", () => {
  it("every example game runs, with an odd population (someone sits out), and the report shows its outcomes", async () => {
    const runs = tempDir("games")
    const results = await Promise.all(GAMES.map((g) => runCli(["run", `scenarios/games/${g}.yaml`, "--agents", "41", "--seed", "3", "--json", "--runs-dir", runs])))
    const reports = await Promise.all(
      results.map((r, i) => {
        expect(r.code, `${GAMES[i]}: ${r.stderr}`).toBe(0)
        expect(lastJson(r.stdout)["status"]).toBe("complete")
        return runCli(["report", String(lastJson(r.stdout)["runDir"]), "--format", "json"])
      })
    )
    const byGame = new Map(
      reports.map((r, i) => {
        expect(r.code, r.stderr).toBe(0)
        return [GAMES[i]!, (JSON.parse(r.stdout) as Report).games[0]!] as const
      })
    )
    for (const [name, g] of byGame) {
      const size = name === "public-goods" ? 4 : 2
      expect(g.unmatchedAgents, name).toBe(41 % size)
      expect(g.matches.complete, name).toBe(Math.floor(41 / size))
      expect(g.metrics.every((m) => m.value === null || (m.value >= 0 && m.value <= 7)), name).toBe(true)
    }
    // Outcomes sit beside the human figures that exist, and the rest say none is available.
    const ultimatum = byGame.get("ultimatum")!
    expect(ultimatum.comparisons.map((c) => [c.metric, c.human])).toEqual(expect.arrayContaining([["offer-share", 0.4], ["rejection-rate", 0.16]]))
    expect(byGame.get("dictator")!.comparisons.map((c) => c.metric)).toEqual(["give-share"])
    expect(byGame.get("trust")!.withoutBaseline).toEqual(["sent-share", "returned-share"])
    const pg = byGame.get("public-goods")!
    expect(pg.metrics.filter((m) => m.metric === "contribution-share" && m.round !== null)).toHaveLength(10)
    expect(byGame.get("paired-charity")!.causes!.reduce((a, c) => a + c.count, 0)).toBeGreaterThan(0)
  })

  it("the policy and dilemma vignettes deliberate: per-round spread, shares and polarisation between value groups", async () => {
    const runs = tempDir("vignettes")
    const results = await Promise.all(
      VIGNETTES.map((v) => runCli(["run", `scenarios/vignettes/${v}.yaml`, "--population", "populations/uniform.yaml", "--agents", "100", "--json", "--runs-dir", runs]))
    )
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const reports = await Promise.all(results.map((r) => runCli(["report", String(lastJson(r.stdout)["runDir"]), "--format", "json"])))
    for (const [i, rep] of reports.entries()) {
      const g = (JSON.parse(rep.stdout) as Report).games[0]!
      expect(g.scenario).toBe(VIGNETTES[i])
      expect(g.matches.complete).toBe(10)
      for (let round = 1; round <= 3; round++) {
        const at = (name: string) => g.metrics.find((m) => m.metric === name && m.round === round)
        expect(at("mean-position")!.n).toBe(100)
        expect(at("sd-position")!.value!).toBeGreaterThan(0)
        const shares = g.metrics.filter((m) => m.metric.startsWith("share:") && m.round === round).map((m) => m.value!)
        expect(shares).toHaveLength(5)
        expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
        // Uniform population: all four higher-order groups are present.
        expect(at("polarisation")!.byCondition).toHaveLength(4)
      }
      expect(g.metrics.find((m) => m.metric === "changed-rate")!.value).not.toBeNull()
    }
  })

  it("matching is seeded: the same seed gives the same pairs, another seed others; export has moves and results", async () => {
    const runs = tempDir("matching")
    const run = (seed: string) => runCli(["run", "scenarios/games/ultimatum.yaml", "--agents", "30", "--seed", seed, "--json", "--runs-dir", runs])
    const [a, b, c] = await Promise.all([run("5"), run("5"), run("6")])
    const dirs = [a, b, c].map((r) => String(lastJson(r.stdout)["runDir"]))
    expect(pairsOf(dirs[0]!)).toEqual(pairsOf(dirs[1]!))
    expect(pairsOf(dirs[0]!)).not.toEqual(pairsOf(dirs[2]!))
    expect(pairsOf(dirs[0]!)).toHaveLength(15)

    const out = path.join(runs, "export")
    const e = await runCli(["export", dirs[0]!, "--format", "csv", "--out", out])
    expect(e.code, e.stderr).toBe(0)
    const moves = fs.readFileSync(path.join(out, "moves.csv"), "utf8").trim().split("\n")
    expect(moves[0]).toBe("step,game,match_id,round,seq,agent_id,condition,primed_value,member,role,decision,value,label,scoring,raw,dist,method,mass,request_key,attempts,error,backend,model,arm")
    expect(moves[1]).toMatch(/,synthetic,synthetic-theory-v1,$/) // no arm outside experiments
    expect(moves).toHaveLength(1 + 30) // an offer and a response per pair
    const results = fs.readFileSync(path.join(out, "game_results.csv"), "utf8").trim().split("\n")
    expect(results).toHaveLength(1 + 30)
    // Payoffs add up to the pie (10) when accepted, 0 when rejected.
    const sums = withRunDb(dirs[0]!, (db) => readMatchPayoffTotals(db))
    expect(sums.every((s) => s.total === 10 || s.total === 0)).toBe(true)
  })
})

describe("games on an OpenAI-compatible endpoint (loopback)", () => {
  it("every example game runs end to end", async () => {
    const runs = tempDir("games-openai")
    const names = [...GAMES, ...VIGNETTES.map((v) => `../vignettes/${v}`)]
    const results = await Promise.all(
      names.map((g) => runCli(["run", `scenarios/games/${g}.yaml`, "--agents", "8", "--seed", "2", "--runs-dir", runs, ...openaiArgs()]))
    )
    results.forEach((r, i) => {
      expect(r.code, `${names[i]}: ${r.stderr}`).toBe(0)
      expect(lastJson(r.stdout)["status"], names[i]).toBe("complete")
    })
  })

  it("the repeated public goods game shows each agent its own group's previous round, in its own conversation", async () => {
    const runs = tempDir("pg-openai")
    const before = server.bodies.length
    const r = await runCli(["run", "scenarios/games/public-goods.yaml", "--agents", "8", "--seed", "4", "--scoring", "sample", "--runs-dir", runs, ...openaiArgs()])
    expect(r.code, r.stderr).toBe(0)
    const runDir = String(lastJson(r.stdout)["runDir"])
    const moves = withRunDb(runDir, (db) => readMoves(db).map((m) => ({ match_id: m.matchId, round: m.round, agent_id: m.agentId, member: m.member, value: m.value! })))
    const bodies = server.bodies.slice(before) as Array<{ messages: Array<{ role: string; content: string }> }>
    const round3 = bodies.filter((b) => b.messages[b.messages.length - 1]!.content.includes("Round 3 of 10"))
    // Sample scoring: every agent asks for itself, so there is one round-3 request per agent (8).
    expect(round3.length).toBeGreaterThanOrEqual(8)
    for (const agent of [...new Set(moves.map((m) => m.agent_id))]) {
      const mine = moves.filter((m) => m.agent_id === agent)
      const group = moves.filter((m) => m.match_id === mine[0]!.match_id && m.round === 2)
      const own = group.find((m) => m.agent_id === agent)!.value
      const others = group.filter((m) => m.agent_id !== agent).map((m) => m.value)
      // The feedback after round 2 lists the agent's own contribution first, then the others of its group.
      const expected = `you ${own}; others ${others.join(", ")}`
      const seen = round3.find(
        (b) =>
          b.messages[b.messages.length - 1]!.content.includes(expected) &&
          // Its earlier answers are in its own conversation.
          b.messages.filter((m) => m.role === "assistant").map((m) => m.content).slice(0, 2).join(",") === mine.slice(0, 2).map((m) => String(m.value)).join(",")
      )
      expect(seen, `agent ${agent}: no round-3 request showing "${expected}"`).toBeDefined()
    }
  })

  it("a deliberating agent sees others' previous answers before it revises", async () => {
    const runs = tempDir("vignette-openai")
    const before = server.bodies.length
    const r = await runCli(["run", "scenarios/vignettes/car-free-centre.yaml", "--agents", "10", "--seed", "3", "--runs-dir", runs, ...openaiArgs()])
    expect(r.code, r.stderr).toBe(0)
    const bodies = server.bodies.slice(before) as Array<{ messages: Array<{ role: string; content: string }> }>
    const round2 = bodies.filter((b) => b.messages[b.messages.length - 1]!.content.includes("Round 2 of 3"))
    expect(round2.length).toBeGreaterThan(0)
    for (const b of round2) {
      const last = b.messages[b.messages.length - 1]!.content
      expect(last).toMatch(/After round 1, some other residents answered: [^;]+; [^;]+; [^(]+\(their average: \d/)
      // The agent's own round-1 answer is in its conversation.
      expect(b.messages.filter((m) => m.role === "assistant")).toHaveLength(1)
    }
  })

  it("a match whose request fails stays pending and resume completes it", async () => {
    const runs = tempDir("games-resume")
    server.plan([{ kind: "ok" }, { kind: "400" }])
    const r = await runCli(["run", "scenarios/games/trust.yaml", "--agents", "10", "--seed", "2", "--concurrency", "1", "--runs-dir", runs, ...openaiArgs()])
    expect(r.code).toBe(1)
    const s = lastJson(r.stdout)
    expect(Number(s["unitsFailed"])).toBeGreaterThan(0)
    const resumed = await runCli(["resume", String(s["runDir"]), "--json"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(lastJson(resumed.stdout)["status"]).toBe("complete")
    const states = withRunDb(String(s["runDir"]), (db) => readMatches(db).map((m) => m.state))
    expect(states).toEqual(["done", "done", "done", "done", "done"])
  })
})

describe("the behaviour measures and the paper study on an OpenAI-compatible endpoint (loopback)", () => {
  it("each behaviour questionnaire and the paper study run end to end", async () => {
    const runs = tempDir("behaviour-openai")
    const measures = ["donation-causes", "prosociality", "big-five", "everyday-behaviours"]
    const [paper, ...results] = await Promise.all([
      runCli(["run", "scenarios/studies/paper.yaml", "--agents", "12", "--runs-dir", runs, ...openaiArgs()]),
      ...measures.map((m) => runCli(["run", `scenarios/behaviour/${m}.yaml`, "--agents", "6", "--runs-dir", runs, ...openaiArgs()]))
    ])
    results.forEach((r, i) => {
      expect(r.code, `${measures[i]}: ${r.stderr}`).toBe(0)
      expect(lastJson(r.stdout)["status"]).toBe("complete")
    })
    expect(paper.code, paper.stderr).toBe(0)
    const s = lastJson(paper.stdout)
    expect(s["status"]).toBe("complete")
    const rep = await runCli(["report", String(s["runDir"]), "--format", "json"])
    expect(rep.code, rep.stderr).toBe(0)
    const report = JSON.parse(rep.stdout) as Report
    expect(report.run.synthetic).toBe(false)
    expect(report.behaviour.measures.map((m) => m.questionnaire)).toHaveLength(4)
    expect(report.games[0]!.game).toBe("paired-charity")
    // the run played the paired charity game: both of its missing human tables say so
    for (const measure of ["game:paired-charity", "paired-charity-game"])
      expect(report.behaviour.missingBaselines.find((m) => m.measure === measure)!.measuredByRun, measure).toBe(true)
  })
})
