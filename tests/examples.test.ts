import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parse as parseYaml } from "yaml"
import type { Report } from "../src/analysis/Report.js"
import { BIN, lastJson, ROOT, tempDir, type CliResult } from "./helpers/cli.js"
import { startFakeServer, type FakeServer } from "./helpers/fakeOpenAiServer.js"

/**
 * Every folder of examples/ done as its README says, on the synthetic backend (and the loopback server for the
 * endpoints), in a copy: examples/ copied, populations/, scenarios/ and human-baselines/ linked, so nothing is
 * written into the checkout.
 */
let work: string
let server: FakeServer
beforeAll(async () => {
  work = tempDir("examples")
  fs.cpSync(path.join(ROOT, "examples"), path.join(work, "examples"), { recursive: true })
  fs.rmSync(path.join(work, "examples", "02-own-population", "derived"), { recursive: true, force: true })
  for (const d of ["populations", "scenarios", "human-baselines"]) fs.symlinkSync(path.join(ROOT, d), path.join(work, d))
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
  fs.rmSync(work, { recursive: true, force: true })
})

/** valuesim in the copy's folder, as `npx valuesim …` from a clone would run it there. */
const valuesim = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

const ok = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const r = await valuesim(args, env)
  expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(0)
  return r
}

/** Runs a study or scenario to completion; its summary. */
const run = async (args: ReadonlyArray<string>) => lastJson((await ok(["run", ...args, "--no-tui", "--json"])).stdout)

/** The `npx valuesim …` commands of an example's README (continued lines joined). */
const readmeCommands = (example: string) =>
  fs
    .readFileSync(path.join(ROOT, "examples", example, "README.md"), "utf8")
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((l) => /(?:^|\s)npx valuesim (.*?)(?:\s{2,}#.*)?$/.exec(l.trim())?.[1])
    .filter((c): c is string => c !== undefined)

describe("examples/", () => {
  it("lists every example folder in its README, and the main README links the examples", () => {
    const folders = fs.readdirSync(path.join(ROOT, "examples")).filter((d) => fs.statSync(path.join(ROOT, "examples", d)).isDirectory())
    const index = fs.readFileSync(path.join(ROOT, "examples", "README.md"), "utf8")
    for (const f of folders) expect(index, f).toContain(`(${f}/README.md)`)
    expect(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).toContain("examples/README.md")
  })

  it("01: your own questionnaire validates, runs and reports", async () => {
    expect(readmeCommands("01-own-questionnaire")[0]).toBe("validate examples/01-own-questionnaire/work-values.yaml")
    await ok(["validate", "examples/01-own-questionnaire/work-values.yaml", "examples/01-own-questionnaire/study.yaml"])
    const s = await run(["examples/01-own-questionnaire/study.yaml"])
    expect(s["answers"]).toBe(300 * 20)
    const report = JSON.parse((await ok(["report", String(s["runDir"]), "--format", "json"])).stdout) as { valueStructure: { structureComparisons: Array<{ sv: number }> } }
    expect(report.valueStructure.structureComparisons.length).toBeGreaterThan(0)
  })

  it("02: your own population from your own sample: derive, run on its shares, report against it", async () => {
    const [derive, runCmd] = readmeCommands("02-own-population")
    expect(derive).toContain("baseline derive")
    await ok(derive!.split(/\s+/))
    expect(fs.existsSync(path.join(work, "examples/02-own-population/derived/my-sample.dominant-value-shares.yaml"))).toBe(true)
    // What it finds, against the sample read here directly (1 = not like me at all … 6 = very much like me): each
    // person's most-held value makes the shares, and the hierarchy is the mean of the centered scores, in that
    // direction (an inverting recode made it the exact negative and the shares each person's least-held value).
    const csv = fs.readFileSync(path.join(ROOT, "examples/02-own-population/sample.csv"), "utf8").trim().split("\n").map((l) => l.split(","))
    const codes = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]
    const persons = csv.slice(1).map((row) => codes.map((_, v) => (Number(row[1 + 2 * v]) + Number(row[2 + 2 * v])) / 2))
    const counts = new Map<string, number>()
    const centered = codes.map(() => 0)
    for (const means of persons) {
      const top = Math.max(...means)
      const at = means.flatMap((m, v) => (m === top ? [v] : []))
      const key = at.length === 1 ? codes[at[0]!]! : "none"
      counts.set(key, (counts.get(key) ?? 0) + 1)
      const mrat = means.reduce((a, b) => a + b, 0) / means.length
      means.forEach((m, v) => (centered[v]! += (m - mrat) / persons.length))
    }
    const derived = (kind: string) => parseYaml(fs.readFileSync(path.join(work, `examples/02-own-population/derived/my-sample.${kind}.yaml`), "utf8"))
    const shares = derived("dominant-value-shares").datasets["my-sample"]
    for (const c of codes) expect(shares.shares[c], c).toBeCloseTo((counts.get(c) ?? 0) / persons.length, 9)
    expect(shares.no_dominant).toBeCloseTo((counts.get("none") ?? 0) / persons.length, 9)
    const hierarchy = derived("hierarchy").means as Record<string, number>
    codes.forEach((c, v) => expect(hierarchy[c], c).toBeCloseTo(centered[v]!, 9))
    const s = await run(runCmd!.split(/\s+/).slice(1))
    expect(s["agents"]).toBe(400)
    const r = await ok(["report", String(s["runDir"]), "--baseline", "examples/02-own-population/derived", "--baseline", "human-baselines"])
    expect(r.stdout).toContain("My sample")
    // The population's shares come from the same sample: comparing with its own hierarchy is flagged (item 14).
    expect(r.stdout.replace(/\s+/g, " ")).toContain("[circular] My sample (invented answers of 80 persons, an example): value hierarchy: circular:")
  })

  it("03: the policy vignette deliberates after the questionnaire", async () => {
    await ok(["validate", "examples/03-policy-vignette/four-day-week.yaml", "examples/03-policy-vignette/study.yaml"])
    const s = await run(["examples/03-policy-vignette/study.yaml"])
    expect(s["status"]).toBe("complete")
    // Each round is one request per agent under sample scoring; under logprob the first round is shared per condition.
    const step = async (scoring: string) => {
      const plan = lastJson((await ok(["plan", "examples/03-policy-vignette/study.yaml", "--backend", "openai", "--model", "m", "--scoring", scoring, "--json"])).stdout)
      return (plan["steps"] as Array<{ step: string; requests: number }>).find((x) => x.step === "four-day-week")?.requests
    }
    expect(await step("sample")).toBe(400 * 3)
    expect(await step("logprob")).toBeLessThan(400 * 3)
    // Polarisation (issue 21 item 17): the groups it compares are shown with their sizes, a group of fewer than 10
    // agents (here Self-Enhancement: 5) is left out of the range, and the by-round plot lists no human series.
    const report = JSON.parse((await ok(["report", String(s["runDir"]), "--format", "json", "--permutations", "0"])).stdout) as {
      games: Array<{ metrics: Array<{ metric: string; round: number | null; value: number | null; byCondition: Array<{ condition: string; value: number; n: number }> }>; polarisationGroups: Array<{ group: string; agents: number; counted: boolean }> }>
    }
    const game = report.games[0]!
    expect(game.polarisationGroups.find((g) => g.group === "Self-Enhancement")).toEqual({ group: "Self-Enhancement", agents: 5, counted: false })
    for (const m of game.metrics.filter((x) => x.metric === "polarisation")) {
      const counted = m.byCondition.filter((b) => b.n >= 10).map((b) => b.value)
      expect(m.value).toBeCloseTo(Math.max(...counted) - Math.min(...counted), 12)
    }
    const text = (await ok(["report", String(s["runDir"]), "--permutations", "0"])).stdout
    expect(text.replace(/\s+/g, " ")).toMatch(/polarisation compares the higher-order value groups \(agents\): .*Self-Enhancement 5; Self-Enhancement has fewer than 10 agents and is left out/)
    const out = path.join(work, "03.html")
    await ok(["report", String(s["runDir"]), "--format", "html", "--out", out, "--permutations", "0"])
    const html = fs.readFileSync(out, "utf8")
    const figure = html.slice(html.lastIndexOf("<figure", html.indexOf("mean-position by round")), html.indexOf("mean-position by round"))
    expect(figure).toContain("<svg")
    expect(figure).not.toContain("human baseline")
  })

  it("04 and 05 say what their comparisons and settings do (issue 21 item 18)", () => {
    // The charity framing is compared with a human figure whose recipient is a stranger: the README says so.
    const readme = fs.readFileSync(path.join(ROOT, "examples/04-custom-game-wording/README.md"), "utf8").replace(/\s+/g, " ")
    expect(readme).toMatch(/Flage 2024\)\. That figure is the reference for the original wording, whose recipient is another participant, a stranger/)
    expect(readme).toMatch(/charity wording is therefore not compared with a human figure of its own/)
    // The Ollama study asks auto, and says what it chooses on a new and on an old Ollama (nothing about a fall-back).
    const ollama = fs.readFileSync(path.join(ROOT, "examples/05-endpoints/ollama.yaml"), "utf8")
    expect(ollama).not.toMatch(/falls back/)
    expect(ollama).toMatch(/^  scoring: auto$/m)
    expect(ollama.replace(/\s*#\s*/g, " ")).toMatch(/an older Ollama ignores the request for logprobs, and auto then asks for stated probabilities/)
  })

  it("04: a game in your own words runs beside the original", async () => {
    const [, ...runs] = await Promise.all([
      ok(["validate", "examples/04-custom-game-wording/dictator-charity.yaml"]),
      ...["examples/04-custom-game-wording/dictator-charity.yaml", "scenarios/games/dictator.yaml"].map((spec) => ok(["run", spec, "--agents", "300", "--no-tui"]))
    ])
    for (const r of runs) expect(r.stdout).toMatch(/result: .*give-share \d\.\d{3}/)
  })

  it("05: the endpoint studies validate, plan without sending anything, and run against a local server", async () => {
    // All at once: validate and plan send nothing (the request count below would show it if they did).
    const before = server.requests
    const [vllmPlan, openaiPlan, s] = await Promise.all([
      ok(["plan", "examples/05-endpoints/vllm.yaml", "--json"]),
      ok(["plan", "examples/05-endpoints/openai.yaml", "--json"], { VALUESIM_PRICES: "0.15,0.6" }),
      run(["examples/05-endpoints/ollama.yaml", "--base-url", server.url, "--agents", "10"]),
      ...["ollama", "vllm", "openai"].map((f) => ok(["validate", `examples/05-endpoints/${f}.yaml`]))
    ])
    // auto (the studies' method): 440 shared questions, and the start-up probe counted as one more request.
    expect(lastJson(vllmPlan!.stdout)["requests"]).toBe(441)
    expect(lastJson(vllmPlan!.stdout)["requestsByMethod"]).toMatchObject({ logprob: 440, stated: 440 })
    expect(Number(lastJson(openaiPlan!.stdout)["costUsd"])).toBeGreaterThan(0)
    expect(s["answers"]).toBe(10 * 40)
    // The loopback server gives logprobs: auto chooses logprob, whose probe request is the run's first question.
    expect(s["scoring"]).toEqual({ asked: "auto", chosen: "logprob" })
    expect(server.requests - before).toBe(s["httpRequests"])
    expect(Number(s["httpRequests"])).toBeLessThanOrEqual(10 * 40)
  })

  it("08: a society on a homophilous small world validates, prints its request bound, runs and exports edges and rounds", async () => {
    const file = "examples/08-society/study.yaml"
    expect(readmeCommands("08-society")[0]).toBe(`validate ${file}`)
    await ok(["validate", file, "examples/08-society/networked-pd-homophily.yaml"])
    const plan = await ok(["plan", file, "--backend", "openai", "--model", "gpt-4o-mini"])
    expect(plan.stdout).toMatch(/networked-pd-homophily\s+[\d,]+ requests at most/)
    const s = await run([file])
    expect(s["status"]).toBe("complete")
    expect(s["agentRounds"]).toBe(2000 * 20)
    const out = path.join(work, "society-export")
    await ok(["export", String(s["runDir"]), "--format", "parquet", "--out", out])
    for (const f of ["edges.parquet", "society.parquet"]) expect(fs.existsSync(path.join(out, f)), f).toBe(true)
    const report = JSON.parse((await ok(["report", String(s["runDir"]), "--format", "json"])).stdout) as { societies: Array<{ network: { valueAssortativity: number }; rounds: Array<unknown> }> }
    // Homophily 0.6 makes like-valued neighbours clearly more common than chance.
    expect(report.societies[0]!.network.valueAssortativity).toBeGreaterThan(0.1)
    expect(report.societies[0]!.rounds).toHaveLength(20)
  })

  it("07: a study of several models validates, plans per backend, and runs with the models compared in the report", async () => {
    const file = "examples/07-two-models/study.yaml"
    expect(readmeCommands("07-two-models")[0]).toBe(`validate ${file}`)
    const [, planned] = await Promise.all([ok(["validate", file]), ok(["plan", file, "--json"])])
    const plan = lastJson(planned.stdout) as { backends: Array<{ name: string; requests: number }> }
    expect(plan.backends.map((b) => b.name)).toEqual(["synthetic-theory-v1", "llama3.1:8b", "qwen2.5:7b"])
    expect(plan.backends[0]!.requests).toBe(0)
    // Here the loopback server stands in for both Ollama instances.
    const local = path.join(work, file)
    fs.writeFileSync(local, fs.readFileSync(local, "utf8").replace(/http:\/\/localhost:1143[45]\/v1/g, server.url))
    const s = await run([file, "--agents", "40"])
    expect(s["status"]).toBe("complete")
    expect(s["models"]).toEqual(["synthetic-theory-v1", "llama3.1:8b", "qwen2.5:7b"])
    const report = await ok(["report", String(s["runDir"])])
    expect(report.stdout).toContain("Models side by side — 3 backends")
    expect(report.stdout).toMatch(/qwen2\.5:7b\s+(respondents )?40/)
  })

  it("09: the framing experiment validates, plans per arm, runs, and its report shows the arm effect", async () => {
    const file = "examples/09-policy-experiment/study.yaml"
    expect(readmeCommands("09-policy-experiment")[0]).toBe(`validate ${file}`)
    const [, planned, s] = await Promise.all([
      ok(["validate", file]),
      ok(["plan", file, "--backend", "openai", "--model", "gpt-4o-mini", "--json"]),
      run([file, "--agents", "120"])
    ])
    const plan = lastJson(planned.stdout) as { steps: Array<{ arm?: string }> }
    expect(plan.steps.map((s) => s.arm ?? null)).toEqual([null, "loss", "gain"])
    expect(s["status"]).toBe("complete")
    const report = JSON.parse((await ok(["report", String(s["runDir"]), "--format", "json"])).stdout) as Report
    const e = report.experiments![0]!
    expect(e.arms.map((a) => a.name)).toEqual(["loss", "gain"])
    const support = e.outcomes.find((o) => o.outcome === "support")!
    expect(support.effect!).toBeGreaterThan(0)
    expect(support.pAdjusted!).toBeLessThan(0.05)
  })

  it("06: the export has every column the pandas and DuckDB scripts read, and the pandas script runs where pandas is installed", async () => {
    const s = await run(["scenarios/default-study.yaml", "--agents", "200"])
    await ok(["export", String(s["runDir"])])
    const exportDir = path.join(work, String(s["runDir"]), "export")
    const header = (f: string) => fs.readFileSync(path.join(exportDir, f), "utf8").split("\n")[0]!.split(",")
    const columns = new Set([...header("answers.csv"), ...header("scores.csv")])
    const py = fs.readFileSync(path.join(ROOT, "examples/06-analyse-export/analyse.py"), "utf8")
    const sql = fs.readFileSync(path.join(ROOT, "examples/06-analyse-export/analyse.sql"), "utf8")
    const used = new Set([...py.matchAll(/\["([a-z_]+)"\]|"([a-z_]+)"(?=[,\]])/g)].map((m) => m[1] ?? m[2]!).filter((c) => !["mean", "index", "n"].includes(c)))
    for (const c of ["agent_id", "value", "condition", "subscale", "centered", "primed_value"]) {
      expect(used.has(c) || sql.includes(c), c).toBe(true)
      expect(columns.has(c), c).toBe(true)
    }
    for (const c of used) expect(columns.has(c), `analyse.py reads ${c}`).toBe(true)

    // Ties (issue 21 item 18): an agent whose highest centered score several values share has no single highest
    // value. Computed here from scores.csv, then by the DuckDB script, then (where installed) by pandas: one figure.
    const rows = fs.readFileSync(path.join(exportDir, "scores.csv"), "utf8").trim().split("\n").map((l) => l.split(","))
    const col = (name: string) => rows[0]!.indexOf(name)
    const agents = new Map<string, { primed: string; top: Array<string>; best: number }>()
    for (const r of rows.slice(1)) {
      const centered = Number(r[col("centered")])
      if (r[col("centered")] === "" || !Number.isFinite(centered)) continue
      const a = agents.get(r[col("agent_id")]!) ?? { primed: r[col("primed_value")]!, top: [], best: -Infinity }
      if (centered > a.best) [a.best, a.top] = [centered, [r[col("subscale")]!]]
      else if (centered === a.best) a.top.push(r[col("subscale")]!)
      agents.set(r[col("agent_id")]!, a)
    }
    const primed = [...agents.values()].filter((a) => a.primed !== "")
    const single = primed.filter((a) => a.top.length === 1)
    const tied = primed.length - single.length
    const rate = single.filter((a) => a.top[0] === a.primed).length / single.length
    expect(tied).toBeGreaterThan(0)
    const { DuckDBInstance } = await import("@duckdb/node-api")
    const duck = await DuckDBInstance.create(":memory:")
    const con = await duck.connect()
    const statements = sql.replaceAll("'scores.csv'", `'${path.join(exportDir, "scores.csv")}'`).replaceAll("'answers.csv'", `'${path.join(exportDir, "answers.csv")}'`).split(/;\s*\n/).filter((x) => /SELECT/.test(x))
    const last = (await con.runAndReadAll(statements[statements.length - 1]!)).getRowObjectsJson()[0] as Record<string, unknown>
    expect(Number(last["hit_rate"])).toBeCloseTo(rate, 12)
    expect(Number(last["single_highest"])).toBe(single.length)
    expect(Number(last["tied"])).toBe(tied)
    // The profile in circle order.
    const profile = (await con.runAndReadAll(statements[1]!)).getRowObjectsJson() as Array<Record<string, unknown>>
    expect(profile.slice(0, 10).map((x) => x["subscale"])).toEqual(["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"])
    con.closeSync()

    // The first Python on PATH with pandas, else the system's (where a version manager's shim has none).
    const python = ["python3", "/usr/bin/python3"].find((py) => {
      try {
        execFileSync(py, ["-c", "import pandas"], { stdio: "ignore" })
        return true
      } catch {
        return false
      }
    })
    if (python === undefined) return
    const out = execFileSync(python, [path.join(ROOT, "examples/06-analyse-export/analyse.py"), exportDir], { encoding: "utf8" })
    expect(out).toContain("200 agents")
    expect(out).toContain(`the prompted one: ${(rate * 100).toFixed(1)}% (of ${single.length} with a single highest value; ${tied} tied`)
    expect(out).toMatch(/^subscale +SD +ST +HE +AC +PO +SE +CO +TR +BE +UN$/m)
  })
})
