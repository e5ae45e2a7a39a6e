// `npm run chaos`: the fault suite at full size (issue 15, item 8). 1,000 agents under sample and under logprob
// scoring, 20 % of requests faulted (seeded), then resume with faults off; prints a JSON summary and exits 1
// unless no answer was lost, duplicated or left unexplained.
// Options: --agents N (default 1000), --rate R (0.2), --seed S (1), --concurrency C (64), --timeout SECONDS (1),
// --max-attempts N (3: some requests then fail for good, and resume must complete their agents).
import { parseArgs } from "node:util"
import { runChaos } from "./chaos.js"

const { values } = parseArgs({
  options: {
    agents: { type: "string" },
    rate: { type: "string" },
    seed: { type: "string" },
    concurrency: { type: "string" },
    timeout: { type: "string" },
    "max-attempts": { type: "string" }
  },
  strict: true
})

const num = (name: string, text: string | undefined, fallback: number, ok: (n: number) => boolean): number => {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!ok(n)) {
    process.stderr.write(`chaos: --${name} ${text} is out of range\n`)
    process.exit(2)
  }
  return n
}

const started = Date.now()
const summary = await runChaos({
  agents: num("agents", values.agents, 1000, (n) => Number.isInteger(n) && n >= 1),
  rate: num("rate", values.rate, 0.2, (n) => n >= 0 && n <= 1),
  seed: num("seed", values.seed, 1, Number.isInteger),
  runSeed: 1,
  scorings: ["sample", "logprob"],
  concurrency: num("concurrency", values.concurrency, 64, (n) => Number.isInteger(n) && n >= 1),
  timeoutS: num("timeout", values.timeout, 1, (n) => n > 0),
  maxAttempts: num("max-attempts", values["max-attempts"], 3, (n) => Number.isInteger(n) && n >= 1)
})
process.stdout.write(JSON.stringify({ ...summary, elapsedSeconds: Math.round((Date.now() - started) / 100) / 10 }, null, 2) + "\n")
const bad = summary.lost + summary.duplicated + summary.unexplained > 0 || summary.runs.some((r) => r.resumeStatus !== "complete")
process.exit(bad ? 1 : 0)
