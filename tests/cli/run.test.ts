import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, runCli, tempDir } from "../helpers/cli.js"

const SPEC = "scenarios/default-study.yaml"
const POP = "populations/h-np.yaml"

describe("valuesim run (synthetic backend)", () => {
  it("prints the summary JSON last and two runs with the same seed export identical rows", async () => {
    const runs = tempDir("golden")
    const args = ["run", SPEC, "--population", POP, "--agents", "500", "--seed", "7", "--backend", "synthetic", "--no-tui", "--json", "--runs-dir", runs]
    const a = await runCli(args)
    const b = await runCli(args)
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const sa = lastJson(a.stdout)
    const sb = lastJson(b.stdout)
    for (const key of ["runId", "runDir", "agents", "answers", "failed"]) expect(sa).toHaveProperty(key)
    expect(sa["agents"]).toBe(500)
    expect(sa["answers"]).toBe(500 * 40)
    expect(sa["failed"]).toBe(0)
    expect(sa["runDir"]).not.toBe(sb["runDir"])

    const exports = await Promise.all(
      [sa, sb].map(async (s, i) => {
        const out = path.join(runs, `export-${i}`)
        const r = await runCli(["export", String(s["runDir"]), "--format", "csv", "--out", out])
        expect(r.code, r.stderr).toBe(0)
        return fs.readFileSync(path.join(out, "answers.csv"), "utf8")
      })
    )
    expect(exports[0]!.split("\n").length).toBe(500 * 40 + 2)
    expect(exports[0]).toBe(exports[1])

    // A different seed gives a different population and different answers.
    const c = await runCli([...args.slice(0, 7), "8", ...args.slice(8)])
    expect(c.code, c.stderr).toBe(0)
    const outC = path.join(runs, "export-c")
    await runCli(["export", String(lastJson(c.stdout)["runDir"]), "--out", outC])
    expect(fs.readFileSync(path.join(outC, "answers.csv"), "utf8")).not.toBe(exports[0])
  })

  it("exports jsonl with the agent's condition on every row", async () => {
    const runs = tempDir("jsonl")
    const r = await runCli(["run", SPEC, "--agents", "50", "--seed", "3", "--json", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const out = path.join(runs, "x")
    const e = await runCli(["export", String(lastJson(r.stdout)["runDir"]), "--format", "jsonl", "--out", out])
    expect(e.code, e.stderr).toBe(0)
    const rows = fs.readFileSync(path.join(out, "answers.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(rows).toHaveLength(50 * 40)
    const conditions = new Set(rows.map((row) => row["condition"]))
    expect(conditions.has("none")).toBe(true)
    for (const row of rows) {
      expect(typeof row["condition"]).toBe("string")
      expect(row["value"]).toBeGreaterThanOrEqual(1)
      expect(row["value"]).toBeLessThanOrEqual(6)
      expect((row["dist"] as Array<number>).length).toBe(6)
      // provenance travels with every row: synthetic answers are scored "synthetic", never "logprob"
      expect(row["backend"]).toBe("synthetic")
      expect(row["model"]).toBe("synthetic-theory-v1")
      expect(row["scoring"]).toBe("synthetic")
    }
    const scoreRows = fs.readFileSync(path.join(out, "scores.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(scoreRows.every((row) => row["backend"] === "synthetic" && row["model"] === "synthetic-theory-v1")).toBe(true)
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as Record<string, any>
    expect(manifest["runId"]).toBe(lastJson(r.stdout)["runId"])
    expect(manifest["seed"]).toBe(3)
    expect(manifest["backend"]).toBe("synthetic")
    expect(manifest["synthetic"]).toBe(true)
    expect(manifest["label"]).toBe("synthetic: theory model, not an LLM")
    expect(manifest["versions"]["run"]["valuesim"]).toBeTruthy()
    expect(manifest["files"].map((f: { file: string }) => f.file)).toEqual(["answers.jsonl", "scores.jsonl"])
    expect(JSON.stringify(manifest["notes"])).toContain("not from a language model")
    expect(e.stdout).toContain("synthetic: theory model, not an LLM")
    expect(fs.readdirSync(out).filter((f) => f.endsWith(".partial"))).toEqual([])

    // Scores: one row per agent × value; MRAT-centred scores of an agent sum to 0 (4 items per value), and
    // value-prompted agents score their primed value above their own mean.
    const scores = fs.readFileSync(path.join(out, "scores.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number | string | null>)
    expect(scores).toHaveLength(50 * 10)
    const byAgent = new Map<number, Array<Record<string, number | string | null>>>()
    for (const row of scores) byAgent.set(row["agent_id"] as number, [...(byAgent.get(row["agent_id"] as number) ?? []), row])
    let primedAbove = 0
    let primed = 0
    for (const rows of byAgent.values()) {
      expect(rows.reduce((sum, r) => sum + (r["centered"] as number), 0)).toBeCloseTo(0, 6)
      for (const r of rows) {
        const mean = rows.filter((x) => x["subscale"] === r["subscale"])
        expect(mean).toHaveLength(1)
        expect(r["answered"]).toBe(4)
        expect((r["score"] as number) - (r["mrat"] as number)).toBeCloseTo(r["centered"] as number, 6)
      }
      const p = rows[0]!["primed_value"]
      if (p !== null) {
        primed++
        if ((rows.find((r) => r["subscale"] === p)!["centered"] as number) > 0) primedAbove++
      }
    }
    expect(primed).toBeGreaterThan(20)
    expect(primedAbove / primed).toBeGreaterThan(0.8)
  })
})
