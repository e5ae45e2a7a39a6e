/**
 * Games and society steps under the shared scoring methods (issue 20): a no-logprob reasoning model (the
 * `openai-reasoning` emulator of tests/helpers/serverKinds.ts, which states probabilities when asked) plays a
 * dictator + public goods study and a networked prisoner's dilemma under `--scoring stated` and `auto`; a model
 * that opens its replies with `**` (tests/helpers/openerModel.ts) gets its game moves flagged for low option mass
 * under forced logprob, handed over to stated below the floor, and answered by constrained scoring.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, ROOT, runCli, tempDir } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"
import { startEmulator, type Emulator } from "../helpers/serverKinds.js"
import { withRunDb } from "../helpers/store.js"

const dir = tempDir("game-methods")

/** Public goods cut to 3 rounds, and a study of the dictator game then it (H-NP population). */
const gameStudy = (): string => {
  const pg = path.join(dir, "public-goods-3.yaml")
  fs.writeFileSync(pg, fs.readFileSync(path.join(ROOT, "scenarios", "games", "public-goods.yaml"), "utf8").replace("rounds: 10", "rounds: 3"))
  const study = path.join(dir, "games-study.yaml")
  fs.writeFileSync(study, [
    "kind: study", "id: game-methods", `population: ${path.join(ROOT, "populations", "h-np.yaml")}`, "agents: 24", "seed: 7", "steps:",
    `  - game: ${path.join(ROOT, "scenarios", "games", "dictator.yaml")}`, `  - game: ${pg}`, "backend: { kind: synthetic }"
  ].join("\n"))
  return study
}

/** The networked prisoner's dilemma cut to 3 rounds on a ring of degree 4. */
const society = (): string => {
  const f = path.join(dir, "pd-3.yaml")
  fs.writeFileSync(f, fs.readFileSync(path.join(ROOT, "scenarios", "society", "networked-pd.yaml"), "utf8")
    .replace("rounds: 20", "rounds: 3").replace("{ kind: small-world, k: 8, p: 0.1 }", "{ kind: small-world, k: 4, p: 0.1 }"))
  return f
}

interface Moves {
  readonly moves: number
  readonly missing: number
  readonly methods: Record<string, number>
  /** Distinct requests the moves drew from. */
  readonly keys: number
  /** What the plan counts: one request per distinct first conversation of a member, one per later decision. */
  readonly firstKeys: number
  readonly later: number
  readonly values: ReadonlyArray<number | null>
}

const movesOf = (runDir: string): Moves =>
  withRunDb(runDir, (db) => {
    const rows = db.prepare(`SELECT step, match_id, member, seq, value, scoring, request_key FROM moves ORDER BY step, match_id, seq`).all() as Array<{
      step: number; match_id: number; member: number; seq: number; value: number | null; scoring: string; request_key: string | null
    }>
    const seen = new Set<string>()
    const firstKeys = new Set<string>()
    let later = 0
    const methods: Record<string, number> = {}
    for (const r of rows) {
      methods[r.scoring] = (methods[r.scoring] ?? 0) + 1
      const member = `${r.step}:${r.match_id}:${r.member}`
      if (seen.has(member)) later++
      else firstKeys.add(r.request_key!)
      seen.add(member)
    }
    return {
      moves: rows.length,
      missing: rows.filter((r) => r.value === null).length,
      methods,
      keys: new Set(rows.map((r) => r.request_key)).size,
      firstKeys: firstKeys.size,
      later,
      values: rows.map((r) => r.value)
    }
  })

describe("a no-logprob reasoning model plays games and a society under stated and auto scoring", () => {
  let server: Emulator
  beforeAll(async () => {
    server = await startEmulator({ kind: "openai-reasoning" })
  })
  afterAll(async () => {
    await server.close()
  })
  const model = () => ["--backend", "openai", "--base-url", server.url, "--model", "fake-model", "--json", "--no-cache"]
  const reasoning = ["--no-temperature", "--max-completion-tokens", "400"]

  let statedGames: { readonly sent: number; readonly values: ReadonlyArray<number | null> } | null = null

  it("stated: every move stated and shared, no move missing, requests as the plan counts them", async () => {
    const study = gameStudy()
    const plan = await runCli(["plan", study, ...model(), "--scoring", "stated", ...reasoning])
    expect(plan.code, plan.stderr).toBe(0)
    const planned = Number(lastJson(plan.stdout)["requests"])
    const before = server.requests
    const r = await runCli(["run", study, ...model(), "--scoring", "stated", ...reasoning, "--runs-dir", dir, "--no-tui"])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    const sent = server.requests - before
    expect(s).toMatchObject({ status: "complete", failed: 0, missing: 0, httpRequests: sent })
    const m = movesOf(String(s["runDir"]))
    // 12 dictator proposers (their partners make no move) and 24 members × 3 rounds of public goods.
    expect(m.moves).toBe(12 + 24 * 3)
    expect(m.missing).toBe(0)
    expect(m.methods).toEqual({ stated: m.moves })
    expect(s["methods"]).toEqual({ stated: m.moves })
    // One request per distinct conversation (and the start-up probe): a member's first decision is shared by its
    // condition, later ones carry its own history. The plan counts exactly that, except that two later
    // conversations can come out identical (the same condition and history), and then share one request.
    expect(sent).toBe(1 + m.keys)
    expect(planned).toBe(1 + m.firstKeys + m.later)
    expect(sent).toBeLessThanOrEqual(planned)
    expect(m.firstKeys).toBeLessThan(12 + 24)
    statedGames = { sent, values: m.values }
  })

  it("auto: the probe (on the first game decision) chooses stated and the run plays the same moves", async () => {
    const study = gameStudy()
    const before = server.requests
    const r = await runCli(["run", study, ...model(), "--scoring", "auto", "--runs-dir", dir, "--no-tui"])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/probe method: stated/)
    const s = lastJson(r.stdout)
    expect(s).toMatchObject({ status: "complete", failed: 0, missing: 0, httpRequests: server.requests - before })
    const m = movesOf(String(s["runDir"]))
    expect(m.methods).toEqual({ stated: m.moves })
    // The same seed and the same stated distributions: the same moves, for the probe's few requests more.
    expect(m.values).toEqual(statedGames!.values)
    const probe = withRunDb(String(s["runDir"]), (db) => JSON.parse(String(db.prepare(`SELECT value FROM manifest WHERE key = 'probe'`).pluck().get())) as Array<{ requests: number }>)
    expect(server.requests - before).toBe(statedGames!.sent + probe[0]!.requests)
  })

  it("a society under stated (and auto): one stated request per condition × observation, each agent's method exported", async () => {
    const pd = society()
    const plan = await runCli(["plan", pd, "--agents", "40", ...model(), "--scoring", "stated", ...reasoning])
    expect(plan.code, plan.stderr).toBe(0)
    const bound = Number(lastJson(plan.stdout)["requests"])
    for (const scoring of ["stated", "auto"]) {
      const before = server.requests
      const r = await runCli(["run", pd, "--agents", "40", ...model(), "--scoring", scoring, ...(scoring === "stated" ? reasoning : []), "--runs-dir", dir, "--no-tui"])
      expect(r.code, `${scoring}: ${r.stderr}`).toBe(0)
      const s = lastJson(r.stdout)
      expect(s).toMatchObject({ status: "complete", failed: 0, agentRounds: 120, methods: { stated: 120 }, lowMass: 0 })
      const runDir = String(s["runDir"])
      const states = withRunDb(runDir, (db) =>
        (db.prepare(`SELECT asked FROM society_rounds WHERE round >= 1`).pluck().all() as Array<string>).flatMap((a) => JSON.parse(a) as Array<{ method: string; agents: number; key: string }>))
      expect(states.every((st) => st.method === "stated" && st.key !== null)).toBe(true)
      expect(states.reduce((a, st) => a + st.agents, 0)).toBe(120)
      if (scoring === "stated") {
        // Each state asked once, and the start-up probe: within the plan's bound.
        expect(server.requests - before).toBe(1 + states.length)
        expect(server.requests - before).toBeLessThanOrEqual(bound)
      }
      const out = path.join(dir, `society-export-${scoring}`)
      const e = await runCli(["export", runDir, "--format", "csv", "--out", out])
      expect(e.code, e.stderr).toBe(0)
      const [header, ...rows] = fs.readFileSync(path.join(out, "society.csv"), "utf8").trim().split("\n")
      const at = header!.split(",").indexOf("method")
      const byRound = (round: string) => rows.filter((row) => row.split(",")[2] === round).map((row) => row.split(",")[at])
      expect(byRound("1")).toEqual(new Array(40).fill("stated"))
      expect(byRound("3")).toEqual(new Array(40).fill("stated"))
    }
  })

  it("diffusion under stated: adopters decide no more, and the export names a method exactly for each round's deciders", async () => {
    const f = path.join(dir, "diffusion-4.yaml")
    fs.writeFileSync(f, fs.readFileSync(path.join(ROOT, "scenarios", "society", "diffusion-repair-cafe.yaml"), "utf8").replace("rounds: 15", "rounds: 4").replace("seed_share: 0.02", "seed_share: 0.1"))
    const r = await runCli(["run", f, "--agents", "40", ...model(), "--scoring", "stated", ...reasoning, "--runs-dir", dir, "--no-tui"])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s).toMatchObject({ status: "complete", failed: 0 })
    const runDir = String(s["runDir"])
    const decisions = withRunDb(runDir, (db) =>
      (db.prepare(`SELECT round, stats FROM society_rounds WHERE round >= 1 ORDER BY round`).all() as Array<{ round: number; stats: string }>).map((x) => (JSON.parse(x.stats) as { decisions: number }).decisions))
    // Seeds and adopters sit later rounds out: fewer decisions than agents after round 1.
    expect(decisions.at(-1)!).toBeLessThan(40)
    expect(s["methods"]).toEqual({ stated: decisions.reduce((a, x) => a + x, 0) })
    const out = path.join(dir, "diffusion-export")
    expect((await runCli(["export", runDir, "--format", "csv", "--out", out])).code).toBe(0)
    const [header, ...rows] = fs.readFileSync(path.join(out, "society.csv"), "utf8").trim().split("\n")
    const at = header!.split(",").indexOf("method")
    decisions.forEach((n, i) => {
      const methods = rows.filter((row) => row.split(",")[2] === String(i + 1)).map((row) => row.split(",")[at])
      expect(methods.filter((m) => m === "stated")).toHaveLength(n)
      expect(methods.filter((m) => m === "")).toHaveLength(40 - n)
    })
  })
})

describe("a shared question no method answers: each agent asks on its own", () => {
  // The plain fake model returns no logprobs for these prompts and answers a stated request with a bare option
  // (no JSON), so logprob, then stated (re-asked once) fail, and each agent's own reply is parsed.
  let server: FakeServer
  beforeAll(async () => {
    server = await startFakeServer({ noLogprobsFor: "How many of your" })
  })
  afterAll(async () => {
    await server.close()
  })

  it("a game: every move is the agent's own (sample), counted degraded, none missing", async () => {
    const study = path.join(dir, "dictator-study.yaml")
    fs.writeFileSync(study, [
      "kind: study", "id: dictator-fallback", `population: ${path.join(ROOT, "populations", "h-np.yaml")}`, "agents: 20", "seed: 4", "steps:",
      `  - game: ${path.join(ROOT, "scenarios", "games", "dictator.yaml")}`, "backend: { kind: openai, max_attempts: 1, reasks: 1 }"
    ].join("\n"))
    const r = await runCli(["run", study, "--base-url", server.url, "--model", "fake-model", "--scoring", "logprob", "--json", "--no-cache", "--no-tui", "--runs-dir", dir])
    expect(r.code, r.stderr).toBe(0)
    expect(lastJson(r.stdout)).toMatchObject({ status: "complete", missing: 0, methods: { sample: 10 }, degraded: 10, lowMass: 0 })
  })

  it("a society: round 1 by logprob, later rounds (no logprobs there) by each agent's own request, as the export says", async () => {
    const later = await startFakeServer({ noLogprobsFor: "Last round you" })
    try {
      const study = path.join(dir, "society-study.yaml")
      fs.writeFileSync(study, [
        "kind: study", "id: society-fallback", `population: ${path.join(ROOT, "populations", "h-np.yaml")}`, "agents: 40", "seed: 4", "steps:",
        `  - society: ${society()}`, "backend: { kind: openai, max_attempts: 1, reasks: 1 }"
      ].join("\n"))
      const r = await runCli(["run", study, "--base-url", later.url, "--model", "fake-model", "--scoring", "logprob", "--json", "--no-cache", "--no-tui", "--runs-dir", dir])
      expect(r.code, r.stderr).toBe(0)
      const s = lastJson(r.stdout)
      expect(s).toMatchObject({ status: "complete", agentRounds: 120, methods: { logprob: 40, sample: 80 }, degraded: 80 })
      const out = path.join(dir, "society-fallback-export")
      expect((await runCli(["export", String(s["runDir"]), "--format", "csv", "--out", out])).code).toBe(0)
      const [header, ...rows] = fs.readFileSync(path.join(out, "society.csv"), "utf8").trim().split("\n")
      const at = header!.split(",").indexOf("method")
      const methodsOf = (round: string) => new Set(rows.filter((row) => row.split(",")[2] === round).map((row) => row.split(",")[at]))
      expect(methodsOf("1")).toEqual(new Set(["logprob"]))
      expect(methodsOf("2")).toEqual(new Set(["sample"]))
    } finally {
      await later.close()
    }
  })
})

describe("game moves on a model that opens its replies with ** (option mass)", () => {
  let opener: FakeServer
  beforeAll(async () => {
    opener = await startFakeServer({ opener: { openerShare: 0.8 } })
  })
  afterAll(async () => {
    await opener.close()
  })
  const args = (...more: Array<string>) => [
    "run", path.join(ROOT, "scenarios", "games", "dictator.yaml"), "--agents", "40", "--seed", "2", "--backend", "openai", "--base-url", opener.url,
    "--model", "fake-model", "--json", "--no-cache", "--no-tui", "--runs-dir", dir, ...more
  ]

  it("forced logprob with no floor: every move is flagged low mass in the summary, the report and the export", async () => {
    const r = await runCli(args("--scoring", "logprob", "--mass-floor", "0"))
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s).toMatchObject({ status: "complete", missing: 0, methods: { logprob: 20 }, lowMass: 20 })
    const runDir = String(s["runDir"])
    const report = await runCli(["report", runDir, "--format", "json"])
    expect(report.code, report.stderr).toBe(0)
    const scoring = (JSON.parse(report.stdout) as { scoring: { lowMass: number; flagged: Array<{ itemId: string; mass: number; method: string; answers: number }> } }).scoring
    expect(scoring.lowMass).toBe(20)
    expect(scoring.flagged.length).toBeGreaterThan(0)
    for (const f of scoring.flagged) expect(f).toMatchObject({ itemId: "give, round 1", method: "logprob", mass: expect.closeTo(0.2, 6) })
    expect(scoring.flagged.reduce((a, f) => a + f.answers, 0)).toBe(20)
    const out = path.join(dir, "opener-export")
    expect((await runCli(["export", runDir, "--format", "jsonl", "--out", out])).code).toBe(0)
    const moves = fs.readFileSync(path.join(out, "moves.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { method: string; mass: number })
    expect(moves).toHaveLength(20)
    for (const m of moves) expect(m).toMatchObject({ method: "logprob", mass: expect.closeTo(0.2, 6) })
  })

  it("forced logprob with the default floor hands every move over to stated; constrained scoring keeps the mass high", async () => {
    const handed = lastJson((await runCli(args("--scoring", "logprob"))).stdout)
    expect(handed).toMatchObject({ status: "complete", missing: 0, methods: { stated: 20 }, lowMass: 0 })
    const constrained = lastJson((await runCli(args("--scoring", "constrained"))).stdout)
    expect(constrained).toMatchObject({ status: "complete", missing: 0, methods: { constrained: 20 }, lowMass: 0 })
  })

  it("a society's decisions under forced logprob with no floor are flagged too, and below the floor handed over to stated", async () => {
    const run = (...more: Array<string>) =>
      runCli(["run", society(), "--agents", "40", "--backend", "openai", "--base-url", opener.url, "--model", "fake-model", "--json", "--no-cache", "--no-tui", "--runs-dir", dir, "--scoring", "logprob", ...more])
    const flagged = lastJson((await run("--mass-floor", "0")).stdout)
    expect(flagged).toMatchObject({ status: "complete", methods: { logprob: 120 }, lowMass: 120 })
    const report = JSON.parse((await runCli(["report", String(flagged["runDir"]), "--format", "json"])).stdout) as { scoring: { flagged: Array<{ itemId: string; answers: number }> } }
    expect(report.scoring.flagged.reduce((a, f) => a + f.answers, 0)).toBe(120)
    expect(report.scoring.flagged[0]!.itemId).toMatch(/^round \d, observation \d+$/)
    expect(lastJson((await run()).stdout)).toMatchObject({ status: "complete", methods: { stated: 120 }, lowMass: 0 })
  })
})
