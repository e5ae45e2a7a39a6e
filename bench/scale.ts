/**
 * `npm run bench` (part "scale"): analysis and export at scale, on a synthetic run of the default study made
 * through the real CLI. Times are wall-clock seconds of whole CLI invocations (start-up included) and
 * throughputs in rows per second; `reportToRunRatio` is the report's time over the run's time for the same
 * population, which is what stays comparable across machines.
 *
 * - reportSeconds100k: `report --format json` of a 100k-agent run (bootstrap and chance level included);
 *   reportFromParquetSeconds100k: the same report read from the run's Parquet export;
 * - exportRowsPerSecond: answer rows per second of `export --format csv|jsonl|parquet` of that run;
 * - reportSeconds1M: the same for 1 M agents, only with VALUESIM_BENCH_1M=1 (the run alone takes minutes).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")

const timedCli = (args: ReadonlyArray<string>) =>
  new Promise<{ seconds: number; stdout: string }>((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [path.join(root, "bin/valuesim.js"), ...args], { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
    let stdout = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.on("close", (code) =>
      code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, stdout }) : reject(new Error(`valuesim ${args[0]}: exit ${code}`))
    )
  })

const r2 = (x: number) => Math.round(x * 100) / 100

const population = async (agents: number, exports: boolean) => {
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-bench-scale-"))
  try {
    const run = await timedCli(["run", "scenarios/default-study.yaml", "--agents", String(agents), "--seed", "1", "--json", "--no-tui", "--runs-dir", runs])
    const summary = JSON.parse(run.stdout.trim().split("\n").pop()!) as Record<string, unknown>
    const runDir = String(summary["runDir"])
    const report = await timedCli(["report", runDir, "--format", "json"])
    const out: Record<string, unknown> = {
      agents,
      answers: summary["answers"],
      runSeconds: r2(run.seconds),
      reportSeconds: r2(report.seconds),
      reportToRunRatio: r2(report.seconds / run.seconds)
    }
    if (exports) {
      const rates: Record<string, number> = {}
      for (const format of ["csv", "jsonl", "parquet"]) {
        const dir = path.join(runs, `export-${format}`)
        const e = await timedCli(["export", runDir, "--format", format, "--out", dir, "--json"])
        const rows = Number((JSON.parse(e.stdout.trim().split("\n").pop()!) as Record<string, unknown>)["rows"])
        rates[format] = Math.round(rows / e.seconds)
        if (format !== "parquet") fs.rmSync(dir, { recursive: true, force: true })
      }
      out["exportRowsPerSecond"] = rates
      const fromParquet = await timedCli(["report", path.join(runs, "export-parquet"), "--format", "json"])
      out["reportFromParquetSeconds"] = r2(fromParquet.seconds)
    }
    return out
  } finally {
    fs.rmSync(runs, { recursive: true, force: true })
  }
}

export const scale = async () => {
  const p100k = await population(100_000, true)
  const p1m = process.env["VALUESIM_BENCH_1M"] === "1" ? await population(1_000_000, false) : null
  return {
    reportSeconds100k: p100k["reportSeconds"],
    reportSeconds1M: p1m === null ? "skipped (VALUESIM_BENCH_1M=1 runs it)" : p1m["reportSeconds"],
    reportFromParquetSeconds100k: p100k["reportFromParquetSeconds"],
    exportRowsPerSecond: p100k["exportRowsPerSecond"],
    reportToRunRatio: { "100k": p100k["reportToRunRatio"], ...(p1m === null ? {} : { "1M": p1m["reportToRunRatio"] }) },
    targets: { reportSeconds100k: 2, reportSeconds1M: 20, exportRowsPerSecond: { csv: 500_000, jsonl: 500_000, parquet: 1_000_000 } },
    populations: p1m === null ? [p100k] : [p100k, p1m]
  }
}
