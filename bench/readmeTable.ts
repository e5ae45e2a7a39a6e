/**
 * README's request-path benchmark table, generated from `npm run bench` output (never typed by hand): the rows
 * between the two marker comments are replaced, the rest of README.md is left as it is.
 */
import * as fs from "node:fs"

interface Range {
  readonly median: number
  readonly min: number
  readonly max: number
}

export interface BenchOutput {
  node: string
  cpus: number
  [part: string]: unknown
}

const START = "<!-- bench:request-path:start -->"
const END = "<!-- bench:request-path:end -->"

const fmt = (x: number) => x.toLocaleString("en-US")
const pairs = (n: unknown) => (n === 1 ? "1 pair" : `${String(n)} pairs`)
const range = (r: Range) => `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})`
const verdict = (met: unknown) => (met === true ? "met" : "**missed**")
const get = (o: unknown, ...keys: ReadonlyArray<string>): any => keys.reduce((v: any, k) => (v === undefined || v === null ? undefined : v[k]), o)

/** The table for whatever parts the output has; parts it lacks are left out. */
export const renderTable = (out: BenchOutput): string => {
  const rows: Array<string> = []
  const e = out["engineVsBareOpenai"]
  if (e !== undefined) {
    rows.push(
      `| \`engineVsBareOpenai\`: sample scoring, C=${get(e, "concurrency")}, instant server, ${fmt(get(e, "requests"))} requests | ` +
        `${range(get(e, "valuesimRequestsPerSecond"))} req/s, ${get(e, "valuesimCpuMsPerRequest", "median")} ms CPU/request | ` +
        `bare \`openai\` loop: ${range(get(e, "bareOpenaiRequestsPerSecond"))} req/s, ${get(e, "bareOpenaiCpuMsPerRequest", "median")} ms CPU/request | ` +
        `**${get(e, "ratio")}** (${pairs(get(e, "pairs"))}: ${Math.min(...get(e, "pairRatios"))}–${Math.max(...get(e, "pairRatios"))}) | ≥ 0.9, ${verdict(get(e, "met"))} |`
    )
  }
  const f = out["fractionOfCL"]
  if (f !== undefined) {
    rows.push(
      `| \`fractionOfCL\`: sample scoring, C=${get(f, "concurrency")}, ${get(f, "latencyMs")} ms latency, ${fmt(get(f, "requests"))} requests | ` +
        `${range(get(f, "valuesimRequestsPerSecond"))} req/s, ${get(f, "valuesimCpuMsPerRequest")} ms CPU/request (a core of its own would allow ${get(f, "cpuBoundFraction")} of C/L) | C/L = ${fmt(get(f, "ceilingPerSecond"))}; bare \`openai\` ${range(get(f, "bareOpenaiRequestsPerSecond"))} (${get(f, "bareOpenaiFraction")}) | ` +
        `**${get(f, "fraction")}** (${pairs(get(f, "pairs"))}: ${Math.min(...get(f, "pairFractions"))}–${Math.max(...get(f, "pairFractions"))}) | ≥ 0.85, ${verdict(get(f, "met"))} |`
    )
  }
  const l = out["logprobVsSynthetic"]
  if (l !== undefined) {
    rows.push(
      `| \`logprobVsSynthetic\`: default study, ${fmt(get(l, "agents"))} agents, logprob scoring (${fmt(get(l, "requests"))} requests) | ` +
        `${range(get(l, "logprobAnswersPerSecond"))} answers/s | synthetic backend: ${range(get(l, "syntheticAnswersPerSecond"))} answers/s | ` +
        `**${get(l, "ratio")}** (${pairs(get(l, "pairs"))}: ${Math.min(...get(l, "pairRatios"))}–${Math.max(...get(l, "pairRatios"))}) | ≥ 0.7, ${verdict(get(l, "met"))} |`
    )
  }
  const b = out["bytesPerAnswer"]
  if (b !== undefined) {
    rows.push(
      `| \`bytesPerAnswer\`: run.sqlite (+ WAL) of the ${fmt(get(b, "agents"))}-agent runs | logprob: ${get(b, "logprob")} B | synthetic: ${get(b, "synthetic")} B | — | ≤ 30, ${verdict(get(b, "met"))} |`
    )
  }
  const s = out["schedulerOverhead"]
  if (s !== undefined) {
    rows.push(
      `| \`schedulerOverhead\`: CPU the scheduler adds per request (stand-in I/O, C=${get(s, "concurrency")}) | ` +
        `unshared: ${range(get(s, "unsharedMicrosecondsPerRequest"))} µs | shared (keyed): ${range(get(s, "sharedMicrosecondsPerRequest"))} µs | — | ≤ 150 µs, ${verdict(get(s, "met"))} |`
    )
  }
  const m = out["millionAgents"]
  if (m !== undefined) {
    rows.push(
      `| \`millionAgents\`: default study, ${fmt(get(m, "agents"))} agents, logprob scoring | ${get(m, "processWallSeconds")} s wall, peak RSS ${get(m, "peakRssMb")} MB | ` +
        `${get(m, "bytesPerAnswer")} B/answer | — | < 300 s and < 500 MB, ${verdict(get(m, "met"))} |`
    )
  }
  return [
    `Node ${out.node}, ${out.cpus} cores; medians over interleaved pairs (range in brackets).`,
    "",
    "| measure | valuesim | reference | ratio | goal |",
    "| --- | --- | --- | --- | --- |",
    ...rows
  ].join("\n")
}

/** Replaces the table between the markers in `file`; throws if the markers are missing. */
export const writeReadmeTable = (file: string, out: BenchOutput) => {
  const text = fs.readFileSync(file, "utf8")
  const a = text.indexOf(START)
  const b = text.indexOf(END)
  if (a < 0 || b < a) throw new Error(`${file}: no ${START} … ${END} markers for the benchmark table`)
  fs.writeFileSync(file, `${text.slice(0, a + START.length)}\n${renderTable(out)}\n${text.slice(b)}`)
}
