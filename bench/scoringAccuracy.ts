/**
 * `npm run bench` (part "scoringAccuracy"): how close each scoring method comes to a model's true answer
 * distribution, and what it costs in requests, against the loopback server's opener model
 * (tests/helpers/openerModel.ts: a known distribution per question, replies that open with `**`, `Answer` or a
 * space 80 % of the time; its behaviour is a stated assumption). Each method runs the 40-item questionnaire through
 * the real CLI; per method:
 *
 * - meanDiff: mean of (answer − the question's true mean), target |·| ≤ 0.05;
 * - varianceRatio: the answers' pooled spread around each question's true mean over the model's variance,
 *   target within 5 % of 1;
 * - httpRequests (every request the run sent, the probe's included), plannedRequests (what `valuesim plan`
 *   printed) and requestsOverPlan, target ≤ 1.1;
 * - methods and lowMass as the run summary gives them.
 *
 * `logprob-no-floor` keeps the renormalised first-token distributions (`--mass-floor 0`): the bias the option
 * mass exists to catch. `auto-no-logprobs` is the same model behind a server without logprobs.
 * VALUESIM_BENCH_SCORING_AGENTS sets the agents per run (default 300).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { startFakeServer } from "../tests/helpers/fakeOpenAiServer.js"
import { openerAccuracy } from "../tests/helpers/openerModel.js"
import { withRunDb } from "../tests/helpers/store.js"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")

const cli = (args: ReadonlyArray<string>) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "bin/valuesim.js"), ...args], { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>) : reject(new Error(`valuesim ${args[0]}: exit ${code}`))
    )
  })

const r4 = (x: number) => Math.round(x * 1e4) / 1e4

export const scoringAccuracy = async (agents = Number(process.env["VALUESIM_BENCH_SCORING_AGENTS"] ?? 300)) => {
  const opener = await startFakeServer({ opener: { openerShare: 0.8 } })
  const noLogprobs = await startFakeServer({ opener: { openerShare: 0.8, logprobs: false } })
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-bench-scoring-"))
  const cases: ReadonlyArray<{ readonly name: string; readonly url: string; readonly flags: ReadonlyArray<string> }> = [
    { name: "auto", url: opener.url, flags: ["--scoring", "auto"] },
    { name: "logprob", url: opener.url, flags: ["--scoring", "logprob"] },
    { name: "logprob-no-floor", url: opener.url, flags: ["--scoring", "logprob", "--mass-floor", "0"] },
    { name: "stated", url: opener.url, flags: ["--scoring", "stated"] },
    { name: "sample", url: opener.url, flags: ["--scoring", "sample"] },
    { name: "auto-no-logprobs", url: noLogprobs.url, flags: ["--scoring", "auto"] }
  ]
  try {
    const out: Record<string, unknown> = { agents, items: 40, openerShare: 0.8 }
    for (const c of cases) {
      const common = ["scenarios/vsq40.yaml", "--agents", String(agents), "--seed", "1", "--backend", "openai", "--base-url", c.url, "--model", "fake-model", "--json", "--no-cache", ...c.flags]
      const plan = await cli(["plan", ...common])
      const s = await cli(["run", ...common, "--no-tui", "--runs-dir", runs])
      const acc = withRunDb(String(s["runDir"]), openerAccuracy)
      const planned = Number(plan["requests"])
      const sent = Number(s["httpRequests"])
      out[c.name] = {
        meanDiff: r4(acc.meanDiff),
        varianceRatio: r4(acc.varianceRatio),
        missing: acc.missing,
        httpRequests: sent,
        plannedRequests: planned,
        requestsOverPlan: r4(sent / planned),
        methods: s["methods"],
        lowMass: s["lowMass"],
        met: Math.abs(acc.meanDiff) <= 0.05 && Math.abs(acc.varianceRatio - 1) <= 0.05 && sent <= 1.1 * planned
      }
    }
    return out
  } finally {
    fs.rmSync(runs, { recursive: true, force: true })
    await opener.close()
    await noLogprobs.close()
  }
}
