import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { lastJson, ROOT, runCli, startCli, tempDir, waitCli } from "../helpers/cli.js"
import { startFakeServer, type FakeServer } from "../helpers/fakeOpenAiServer.js"

/** A society study end to end through the CLI: synthetic and loopback model, plan bound, resume after kill -9, export, bad input. */
let server: FakeServer
let dir: string
beforeAll(async () => {
  server = await startFakeServer()
  dir = tempDir("society")
})
afterAll(async () => {
  await server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const PD = path.join(ROOT, "scenarios", "society", "networked-pd.yaml")

/** A copy of the networked PD with some lines replaced (paths inside stay valid: it lives beside the original's folder copy). */
const variant = (name: string, edit: (yaml: string) => string) => {
  const f = path.join(dir, name)
  fs.writeFileSync(f, edit(fs.readFileSync(PD, "utf8")))
  return f
}

const rounds = (runDir: string): Array<{ round: number; actions: Buffer; stats: string }> => {
  const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
  try {
    return db.prepare(`SELECT round, actions, stats FROM society_rounds ORDER BY round`).all() as Array<{ round: number; actions: Buffer; stats: string }>
  } finally {
    db.close()
  }
}

const model = () => ["--backend", "openai", "--base-url", server.url, "--model", "m"]

describe("society: networked prisoner's dilemma", () => {
  it("runs on the synthetic backend: every round stored, agentRounds in the summary, same seed same run", async () => {
    const run = async () => {
      const r = await runCli(["run", PD, "--agents", "600", "--seed", "3", "--runs-dir", dir, "--no-tui", "--json"])
      expect(r.code, r.stderr).toBe(0)
      return lastJson(r.stdout)
    }
    const a = await run()
    expect(a["status"]).toBe("complete")
    expect(a["agentRounds"]).toBe(600 * 20)
    const ra = rounds(String(a["runDir"]))
    expect(ra.map((r) => r.round)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(ra[0]!.actions.length).toBe(600)
    const st = JSON.parse(ra[19]!.stats) as { overall: { cooperation: number; assortment: number }; byCondition: Record<string, { cooperation: number }> }
    expect(st.overall.cooperation).toBeGreaterThan(0)
    expect(st.overall.cooperation).toBeLessThan(1)
    // The theory model: in round 1 self-transcendence-primed agents (BE, UN) cooperate more than self-enhancement-primed ones (AC, PO).
    const first = JSON.parse(ra[0]!.stats) as { byCondition: Record<string, { cooperation: number; agents: number }> }
    const rate = (codes: ReadonlyArray<string>) => {
      const cs = codes.map((c) => first.byCondition[`value:${c}`]).filter((x) => x !== undefined)
      return cs.reduce((a, x) => a + x.cooperation * x.agents, 0) / cs.reduce((a, x) => a + x.agents, 0)
    }
    expect(rate(["BE", "UN"])).toBeGreaterThan(rate(["AC", "PO"]) + 0.2)
    const b = await run()
    expect(rounds(String(b["runDir"])).map((r) => r.actions.toString("hex"))).toEqual(ra.map((r) => r.actions.toString("hex")))
  })

  it("on a model with logprob scoring, shares requests by observation: sent ≤ the plan's bound, far fewer than agent-rounds", async () => {
    const plan = await runCli(["plan", PD, "--agents", "2000", ...model()])
    expect(plan.code, plan.stderr).toBe(0)
    const bound = Number(/networked-pd\s+([\d,]+) requests at most/.exec(plan.stdout)![1]!.replace(/,/g, ""))
    expect(bound).toBeGreaterThan(0)
    const before = server.requests
    const r = await runCli(["run", PD, "--agents", "2000", "--runs-dir", dir, ...model(), "--no-tui", "--json", "--no-cache"])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["agentRounds"]).toBe(2000 * 20)
    expect(s["requests"]).toBe(server.requests - before)
    expect(s["requests"] as number).toBeLessThanOrEqual(bound)
    expect(s["requests"] as number).toBeLessThan((2000 * 20) / 20)
    // Each round stores the observations asked, with their request and distribution.
    const asked = JSON.parse(String((new Sqlite(path.join(String(s["runDir"]), "run.sqlite"), { readonly: true }).prepare(`SELECT asked FROM society_rounds WHERE round = 2`).pluck().get()))) as Array<{ dist: Array<number> }>
    expect(asked.length).toBeGreaterThan(0)
    for (const a of asked) expect(a.dist.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 4)
    // Sample scoring is priced at one request per agent per round.
    const sample = await runCli(["plan", PD, "--agents", "3000", ...model(), "--scoring", "sample"])
    expect(sample.stdout).toMatch(/networked-pd\s+60,000 requests at most/)
  })

  it("kill -9 mid-run, then resume: the same rounds as an uninterrupted run", async () => {
    server.setLatency(25)
    try {
      const args = ["run", PD, "--agents", "500", "--seed", "5", "--concurrency", "2", "--runs-dir", dir, ...model(), "--no-tui", "--json"]
      const child = startCli(args)
      const done = waitCli(child)
      const runDir = await new Promise<string>((resolve, reject) => {
        const t0 = Date.now()
        const poll = setInterval(() => {
          const runs = fs.readdirSync(dir).filter((d) => d.includes("networked-pd-s5") && !d.startsWith("."))
          for (const d of runs) {
            try {
              if (rounds(path.join(dir, d)).length >= 3) {
                clearInterval(poll)
                child.kill("SIGKILL")
                resolve(path.join(dir, d))
              }
            } catch {
              // Not written yet.
            }
          }
          if (Date.now() - t0 > 120_000) reject(new Error("no round stored in 120 s"))
        }, 50)
      })
      expect((await done).signal).toBe("SIGKILL")
      expect(rounds(runDir).length).toBeLessThan(20)
      server.setLatency(0)
      const resumed = await runCli(["resume", runDir, "--json"])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(lastJson(resumed.stdout)["status"]).toBe("complete")
      const fresh = await runCli([...args.slice(0, 9).map((a) => (a === dir ? tempDir("society-fresh") : a)), ...args.slice(9)])
      expect(fresh.code, fresh.stderr).toBe(0)
      const a = rounds(runDir)
      const b = rounds(String(lastJson(fresh.stdout)["runDir"]))
      expect(a.length).toBe(20)
      expect(a.map((r) => r.actions.toString("hex"))).toEqual(b.map((r) => r.actions.toString("hex")))
      expect(a.map((r) => r.stats)).toEqual(b.map((r) => r.stats))
    } finally {
      server.setLatency(0)
    }
  })

  it("exports edges and one row per agent per round", async () => {
    const r = await runCli(["run", PD, "--agents", "300", "--runs-dir", dir, "--no-tui", "--json"])
    const runDir = String(lastJson(r.stdout)["runDir"])
    const out = path.join(dir, "export")
    const e = await runCli(["export", runDir, "--format", "csv", "--out", out])
    expect(e.code, e.stderr).toBe(0)
    const edges = fs.readFileSync(path.join(out, "edges.csv"), "utf8").trim().split("\n")
    expect(edges[0]).toBe("step,society,source,target,from_round,to_round")
    expect(edges.length - 1).toBe(300 * 4)
    // A static network: every tie from the first round (a PD starts at round 1) to the end.
    expect(edges.slice(1).every((l) => l.endsWith(",1,"))).toBe(true)
    const rows = fs.readFileSync(path.join(out, "society.csv"), "utf8").trim().split("\n")
    expect(rows[0]).toBe("step,society,round,agent_id,condition,action,label,degree,neighbours_acting,payoff,method,mass")
    expect(rows.length - 1).toBe(300 * 20)
    // A row's payoff is the PD matrix summed over its ties: cooperating neighbours pay R (or T), the others S (or P).
    const [, , , , , action, , degree, acting, payoff] = rows[1]!.split(",")
    const c = Number(acting)
    const d = Number(degree) - c
    expect(Number(payoff)).toBe(action === "1" ? 3 * c + 0 * d : 5 * c + 1 * d)
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as { files: Array<{ file: string; rows: number }> }
    expect(manifest.files.find((f) => f.file === "society.csv")?.rows).toBe(300 * 20)
    // The HTML report draws the curves and a network sample.
    const html = path.join(dir, "society.html")
    const rep = await runCli(["report", runDir, "--format", "html", "--out", html])
    expect(rep.code, rep.stderr).toBe(0)
    const page = fs.readFileSync(html, "utf8")
    expect(page).toContain('<section id="society">')
    expect(page).toContain('aria-label="cooperation by round"')
    expect(page).toContain('aria-label="network sample"')
    expect(page).toContain("Wang, J., Suri, S., &amp; Watts")
  })
})

describe("society: opinions, diffusion and sample scoring", () => {
  const SOC = path.join(ROOT, "scenarios", "society")
  it("opinion dynamics report mean, polarisation and time to consensus; diffusion's adoption never falls", async () => {
    const op = await runCli(["run", path.join(SOC, "opinion-four-day-week.yaml"), "--agents", "400", "--runs-dir", dir, "--no-tui", "--json"])
    expect(op.code, op.stderr).toBe(0)
    const rep = JSON.parse((await runCli(["report", String(lastJson(op.stdout)["runDir"]), "--format", "json"])).stdout) as {
      societies: Array<{ headline: string; timeToConsensus: number | null; rounds: Array<{ overall: Record<string, number> }> }>
    }
    const o = rep.societies[0]!
    expect(o.headline).toBe("mean")
    expect("timeToConsensus" in o).toBe(true)
    expect(o.rounds).toHaveLength(10)
    for (const r of o.rounds) {
      expect(r.overall["mean"]).toBeGreaterThanOrEqual(1)
      expect(r.overall["mean"]).toBeLessThanOrEqual(5)
      expect(r.overall["polarisation"]).toBeGreaterThanOrEqual(0)
    }
    const df = await runCli(["run", path.join(SOC, "diffusion-repair-cafe.yaml"), "--agents", "1000", "--runs-dir", dir, "--no-tui", "--json"])
    expect(df.code, df.stderr).toBe(0)
    const adoption = rounds(String(lastJson(df.stdout)["runDir"])).filter((r) => r.round >= 1).map((r) => (JSON.parse(r.stats) as { overall: { adoption: number } }).overall.adoption)
    expect(adoption).toHaveLength(15)
    for (let i = 1; i < adoption.length; i++) expect(adoption[i]!).toBeGreaterThanOrEqual(adoption[i - 1]!)
    // Adopters are not asked again: decisions fall below agents × rounds.
    expect(lastJson(df.stdout)["agentRounds"] as number).toBeLessThan(1000 * 15)
  })

  it("local public goods: contribution shares per round, self-transcendence above self-enhancement", async () => {
    const r = await runCli(["run", path.join(SOC, "networked-public-goods.yaml"), "--agents", "1000", "--runs-dir", dir, "--no-tui", "--json"])
    expect(r.code, r.stderr).toBe(0)
    expect(lastJson(r.stdout)["agentRounds"]).toBe(1000 * 10)
    const first = JSON.parse(rounds(String(lastJson(r.stdout)["runDir"]))[0]!.stats) as { overall: { contribution: number }; byCondition: Record<string, { contribution: number }> }
    expect(first.overall.contribution).toBeGreaterThan(0)
    expect(first.overall.contribution).toBeLessThan(1)
    expect(first.byCondition["value:BE"]!.contribution).toBeGreaterThan(first.byCondition["value:HE"]!.contribution)
    // The common pool: restraint is the cooperative side, so self-enhancement takes more.
    const cp = await runCli(["run", path.join(SOC, "common-pool.yaml"), "--agents", "1000", "--runs-dir", dir, "--no-tui", "--json"])
    expect(cp.code, cp.stderr).toBe(0)
    const cpFirst = JSON.parse(rounds(String(lastJson(cp.stdout)["runDir"]))[0]!.stats) as { byCondition: Record<string, { extraction: number }> }
    expect(cpFirst.byCondition["value:HE"]!.extraction).toBeGreaterThan(cpFirst.byCondition["value:BE"]!.extraction)
  })

  it("a dynamic network (rewire) is replayed on resume: rounds after an interruption match an uninterrupted run", async () => {
    const dynamic = variant("dynamic.yaml", (y) => y.replace("{ kind: small-world, k: 8, p: 0.1 }", "{ kind: small-world, k: 8, p: 0.1, rewire: 0.3 }"))
    const r = await runCli(["run", dynamic, "--agents", "600", "--runs-dir", dir, "--no-tui", "--json"])
    expect(r.code, r.stderr).toBe(0)
    const full = String(lastJson(r.stdout)["runDir"])
    // The same run stopped after round 8: its later rounds removed as if never written.
    const cut = path.join(dir, "dynamic-cut")
    fs.cpSync(full, cut, { recursive: true })
    const db = new Sqlite(path.join(cut, "run.sqlite"))
    db.prepare(`DELETE FROM society_rounds WHERE round > 8`).run()
    db.prepare(`UPDATE step_totals SET units_pending = 12, units_done = 8, answers = ${8 * 600}`).run()
    db.close()
    const resumed = await runCli(["resume", cut, "--json"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(rounds(cut).map((x) => x.actions.toString("hex"))).toEqual(rounds(full).map((x) => x.actions.toString("hex")))
    expect(rounds(cut).map((x) => x.stats)).toEqual(rounds(full).map((x) => x.stats))
    // The exported ties are the ones each round was played on: their spells (from_round … to_round) give every
    // agent's degree in every round of society.csv, and some ties end and begin (the starting network alone would not).
    const out = path.join(dir, "dynamic-export")
    const e = await runCli(["export", full, "--format", "csv", "--out", out])
    expect(e.code, e.stderr).toBe(0)
    const edges = fs.readFileSync(path.join(out, "edges.csv"), "utf8").trim().split("\n")
    expect(edges[0]).toBe("step,society,source,target,from_round,to_round")
    const spells = edges.slice(1).map((l) => l.split(",")).map(([, , u, v, a, b]) => ({ u: Number(u), v: Number(v), from: Number(a), to: b === "" ? Infinity : Number(b) }))
    expect(spells.some((t) => t.to !== Infinity)).toBe(true)
    expect(spells.some((t) => t.from > 0)).toBe(true)
    const rows = fs.readFileSync(path.join(out, "society.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","))
    for (const round of [1, 2, 10, 20]) {
      const degree = new Array<number>(600).fill(0)
      for (const t of spells) if (t.from <= round && round <= t.to) (degree[t.u]!++, degree[t.v]!++)
      const exported = rows.filter((x) => Number(x[2]) === round).map((x) => [Number(x[3]), Number(x[7])] as const)
      expect(exported).toHaveLength(600)
      for (const [agent, d] of exported) expect(d, `agent ${agent} round ${round}`).toBe(degree[agent])
    }
  })

  it("a branch after a society step reuses its network and rounds", async () => {
    const study = path.join(dir, "branch-study.yaml")
    fs.writeFileSync(
      study,
      ["kind: study", "id: society-branch", `population: ${path.join(ROOT, "populations", "h-np.yaml")}`, "agents: 200", "steps:",
        `  - society: ${PD}`, `  - questionnaire: ${path.join(ROOT, "scenarios", "vsq40.yaml")}`, "backend: { kind: synthetic }"].join("\n")
    )
    const parent = await runCli(["run", study, "--runs-dir", dir, "--no-tui", "--json"])
    expect(parent.code, parent.stderr).toBe(0)
    const child = await runCli(["branch", String(lastJson(parent.stdout)["runDir"]), "--from-step", "1", "--seed", "9", "--runs-dir", dir, "--no-tui", "--json"])
    expect(child.code, child.stderr).toBe(0)
    const a = rounds(String(lastJson(parent.stdout)["runDir"]))
    const b = rounds(String(lastJson(child.stdout)["runDir"]))
    expect(b.map((r) => r.actions.toString("hex"))).toEqual(a.map((r) => r.actions.toString("hex")))
    expect(lastJson(child.stdout)["agentRounds"]).toBe(200 * 20)
  })

  it("sample scoring: one request per agent per round", async () => {
    const short = variant("short.yaml", (y) => y.replace("rounds: 20", "rounds: 3"))
    const before = server.requests
    const r = await runCli(["run", short, "--agents", "60", "--runs-dir", dir, ...model(), "--scoring", "sample", "--no-tui", "--json", "--no-cache"])
    expect(r.code, r.stderr).toBe(0)
    const s = lastJson(r.stdout)
    expect(s["agentRounds"]).toBe(180)
    // The start-up probe is one more (its nonce is its own); re-asks would add more, the loopback server answers readably.
    expect(s["requests"]).toBe(181)
    expect(server.requests - before).toBe(181)
  })
})

describe("society: bad networks are one exit-2 line naming the file and field", () => {
  it("an odd k, homophily on a scale-free network, a lattice that does not fit", async () => {
    const odd = variant("odd.yaml", (y) => y.replace("k: 8, p: 0.1", "k: 7, p: 0.1"))
    const r = await runCli(["run", odd, "--agents", "100", "--runs-dir", dir, "--no-tui"])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toContain("odd.yaml")
    expect(r.stderr).toContain("network.k")
    const homo = variant("homo.yaml", (y) => y.replace("{ kind: small-world, k: 8, p: 0.1 }", "{ kind: scale-free, m: 2, homophily: 0.5 }"))
    const h = await runCli(["run", homo, "--agents", "100", "--runs-dir", dir, "--no-tui"])
    expect(h.code).toBe(2)
    expect(h.stderr).toContain("network.homophily")
    const lat = variant("lat.yaml", (y) => y.replace("{ kind: small-world, k: 8, p: 0.1 }", "{ kind: lattice, width: 7 }"))
    const l = await runCli(["run", lat, "--agents", "100", "--runs-dir", dir, "--no-tui"])
    expect(l.code).toBe(2)
    expect(l.stderr).toContain("network.width")
  })

  it("an edge list with an unknown agent, a self-loop or a duplicate names the edge file and line; nothing is written", async () => {
    const runs = tempDir("society-bad")
    const cases: Array<[string, string]> = [
      ["source,target\n0,1\n1,250\n", "line 3: unknown agent id"],
      ["source,target\n0,1\n2,2\n", "line 3: self-loop"],
      ["source,target\n0,1\n1,2\n1,0\n", "line 4: duplicate tie 1–0 (first on line 2)"]
    ]
    for (const [i, [csv, message]] of cases.entries()) {
      const edges = path.join(dir, `edges-${i}.csv`)
      fs.writeFileSync(edges, csv)
      const f = variant(`edges-${i}.yaml`, (y) => y.replace("{ kind: small-world, k: 8, p: 0.1 }", `{ kind: edges, file: edges-${i}.csv }`))
      const r = await runCli(["run", f, "--agents", "100", "--runs-dir", runs, "--no-tui"])
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(r.stderr).toContain(`edges-${i}.csv: ${message}`)
    }
    expect(fs.readdirSync(runs)).toEqual([])
    // A good edge list runs, isolated agents and all.
    fs.writeFileSync(path.join(dir, "edges-ok.csv"), "source,target\n0,1\n1,2\n2,0\n")
    const ok = variant("edges-ok.yaml", (y) => y.replace("{ kind: small-world, k: 8, p: 0.1 }", "{ kind: edges, file: edges-ok.csv }"))
    const r = await runCli(["run", ok, "--agents", "20", "--runs-dir", runs, "--no-tui", "--json"])
    expect(r.code, r.stderr).toBe(0)
    expect(lastJson(r.stdout)["agentRounds"]).toBe(20 * 20)
  })
})
