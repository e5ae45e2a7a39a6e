/**
 * What the report says about each society step: the network's description, the headline statistic (and the
 * others) per round, overall and per value condition, time to consensus for opinions, and the human figures
 * for the same dynamic (human-baselines/networked-cooperation/figures.yaml) beside them; and the text lines
 * of the report's society section.
 */
import * as fs from "node:fs"
import { Schema } from "effect"
import * as path from "node:path"
import { parse } from "yaml"
import type { RunSpec } from "../config/RunSpec.js"
import { projectRoot } from "../config/StudyFile.js"
import { timeToConsensus } from "../stats/network.js"
import type { RunDb } from "../store/RunStore.js"
import { readSocietyActions, readSocietyNetwork, readSocietyNetworkInfo, readSocietyStats } from "../store/society.js"
import { DYNAMICS, type Dynamic } from "./dynamics.js"
import { HEADLINE, type RoundStats } from "./roundStats.js"

export const SOCIETY_FIGURES_FILE = path.join(projectRoot, "human-baselines", "networked-cooperation", "figures.yaml")

const Share = Schema.Number.pipe(Schema.between(0, 1))

/** `human-baselines/networked-cooperation/figures.yaml`: stated ranges of the headline statistic, first and last rounds. */
export const SocietyFiguresSchema = Schema.Struct({
  kind: Schema.Literal("society-human-figures"),
  id: Schema.String,
  title: Schema.String,
  figures: Schema.Array(
    Schema.Struct({
      id: Schema.String,
      dynamics: Schema.Array(Schema.Literal(...DYNAMICS)),
      first_rounds: Schema.Struct({ low: Share, high: Share }),
      last_rounds: Schema.Struct({ low: Share, high: Share }),
      statement: Schema.String,
      source: Schema.String,
      sample: Schema.String,
      design: Schema.String,
      obtained: Schema.Literal("published", "computed-from-published-figures", "computed-from-public-data"),
      confidence: Schema.Literal("high", "medium", "low"),
      notes: Schema.optional(Schema.String)
    })
  )
})

/** `human-baselines/networked-cooperation/unavailable.yaml`: figures looked for and not verified, each with why. */
export const UnavailableSocietySchema = Schema.Struct({
  kind: Schema.Literal("unavailable-society-figures"),
  entries: Schema.Array(
    Schema.Struct({ study: Schema.String, source: Schema.String, sample: Schema.String, design: Schema.String, finding: Schema.String, reason: Schema.String })
  )
})

export interface SocietyHumanFigure {
  readonly id: string
  /** The dynamics the figure speaks to (its statistic is their headline: cooperation rate, contribution share). */
  readonly dynamics: ReadonlyArray<Dynamic>
  readonly firstRounds: { readonly low: number; readonly high: number }
  readonly lastRounds: { readonly low: number; readonly high: number }
  readonly source: string
  readonly design: string
}

/** The shipped human figures for society steps ([] when the file is absent or unreadable). */
export const societyHumanFigures = (file = SOCIETY_FIGURES_FILE): Array<SocietyHumanFigure> => {
  try {
    const data = parse(fs.readFileSync(file, "utf8")) as { figures?: Array<Record<string, unknown>> }
    return (data.figures ?? []).map((f) => ({
      id: String(f["id"]),
      dynamics: (f["dynamics"] ?? []) as Array<Dynamic>,
      firstRounds: f["first_rounds"] as { low: number; high: number },
      lastRounds: f["last_rounds"] as { low: number; high: number },
      source: String(f["source"]).trim(),
      design: String(f["design"] ?? "")
    }))
  } catch {
    return []
  }
}

export interface SocietyAnalysis {
  readonly step: number
  readonly society: string
  readonly title: string
  readonly dynamic: Dynamic
  readonly rounds: ReadonlyArray<{ readonly round: number } & RoundStats>
  readonly network: Record<string, unknown>
  readonly memory: number
  /** The statistic drawn over rounds (cooperation, mean position, adoption). */
  readonly headline: string
  /** Opinions: the first round from which the most common position holds `consensusShare` of agents; null if never. */
  readonly timeToConsensus?: number | null
  readonly human: ReadonlyArray<SocietyHumanFigure>
  /** A drawn sample of the network: up to 40 agents reached from agent 0, their ties, their last-round state. */
  readonly sample: { readonly nodes: ReadonlyArray<{ readonly id: number; readonly state: number }>; readonly ties: ReadonlyArray<readonly [number, number]> }
}

/** Up to `max` agents by breadth-first search from agent 0, the ties among them, and their states in `actions`. */
const networkSample = (db: RunDb, step: number, last: number, max = 40): SocietyAnalysis["sample"] => {
  const g = readSocietyNetwork(db, step)
  const actions = last >= 0 ? readSocietyActions(db, step, last) : null
  if (g.n === 0) return { nodes: [], ties: [] }
  const seen = new Map<number, number>([[0, 0]])
  const queue = [0]
  while (queue.length > 0 && seen.size < max) {
    const u = queue.shift()!
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]! && seen.size < max; e++) {
      const v = g.targets[e]!
      if (!seen.has(v)) {
        seen.set(v, seen.size)
        queue.push(v)
      }
    }
  }
  const ids = [...seen.keys()]
  const ties: Array<readonly [number, number]> = []
  for (const u of ids) for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
    const v = g.targets[e]!
    if (v > u && seen.has(v)) ties.push([seen.get(u)!, seen.get(v)!])
  }
  return { nodes: ids.map((id) => ({ id, state: actions?.[id] ?? 0 })), ties }
}

export const analyseSocieties = (db: RunDb, spec: RunSpec): Array<SocietyAnalysis> =>
  spec.steps.flatMap((st, step) => {
    if (st.kind !== "society") return []
    const s = st.society
    const rounds = readSocietyStats(db, step)
      .filter((r) => r.round >= 1)
      .map((r) => ({ round: r.round, ...(r.stats as unknown as RoundStats) }))
    return [
      {
        step,
        society: s.id,
        title: s.title,
        dynamic: s.dynamic,
        rounds,
        network: readSocietyNetworkInfo(db, step) ?? {},
        memory: s.memory,
        headline: HEADLINE[s.dynamic],
        ...(s.dynamic === "opinion"
          ? { timeToConsensus: timeToConsensus(rounds.map((r) => Number(r.overall["modalShare"] ?? 0)), s.params.consensusShare) }
          : {}),
        human: societyHumanFigures().filter((f) => f.dynamics.includes(s.dynamic)),
        sample: networkSample(db, step, rounds[rounds.length - 1]?.round ?? -1)
      }
    ]
  })

const pct = (x: unknown) => (typeof x === "number" ? x.toFixed(3) : "–")

/** A sparkline of values in [lo, hi]. */
export const spark = (xs: ReadonlyArray<number>, lo = 0, hi = 1): string => {
  const bars = "▁▂▃▄▅▆▇█"
  return xs.map((x) => (Number.isFinite(x) ? bars[Math.max(0, Math.min(7, Math.round(((x - lo) / (hi - lo || 1)) * 7)))] : " ")).join("")
}

/** The report's society section as text lines. */
export const societyLines = (a: SocietyAnalysis): Array<string> => {
  const n = a.network
  const lines = [
    `Society ${a.society} — ${a.title}`,
    `  network: ${String(n["kind"])}, ${String(n["agents"])} agents, ${String(n["ties"])} ties, mean degree ${String(n["meanDegree"])} (min ${String(n["minDegree"])}, max ${String(n["maxDegree"])}), clustering ${String(n["clustering"])}, value assortativity ${String(n["valueAssortativity"])}${Number(n["homophily"] ?? 0) > 0 ? ` (homophily ${String(n["homophily"])})` : ""}`,
    `  ${a.dynamic}, ${a.rounds.length} rounds, memory ${a.memory}`
  ]
  const h = a.rounds.map((r) => Number(r.overall[a.headline]))
  const [lo, hi] = a.dynamic === "opinion" ? [1, Math.max(2, ...h.filter(Number.isFinite))] : [0, 1]
  lines.push(`  ${a.headline} by round: ${spark(h, lo, hi)}  first ${pct(h[0])}, last ${pct(h[h.length - 1])}`)
  const last = a.rounds[a.rounds.length - 1]
  if (last !== undefined) {
    const extra = Object.entries(last.overall).filter(([k]) => k !== a.headline)
    lines.push(`  last round: ${extra.map(([k, v]) => `${k} ${typeof v === "number" ? Math.round(v * 1000) / 1000 : "–"}`).join(", ")}`)
    const conds = Object.entries(last.byCondition).sort((x, y) => Number(y[1][a.headline] ?? 0) - Number(x[1][a.headline] ?? 0))
    lines.push(`  by condition (${a.headline}, first → last round):`)
    const first = a.rounds[0]!
    for (const [c, v] of conds) lines.push(`    ${c.padEnd(14)} ${pct(first.byCondition[c]?.[a.headline])} → ${pct(v[a.headline])}  (${String(v["agents"])} agents)`)
  }
  if (a.timeToConsensus !== undefined) lines.push(`  time to consensus: ${a.timeToConsensus === null ? "not reached" : `round ${a.timeToConsensus}`}`)
  for (const f of a.human) {
    lines.push(`  humans (${f.design}): ${a.headline} ${f.firstRounds.low}–${f.firstRounds.high} in the first rounds, ${f.lastRounds.low === f.lastRounds.high ? f.lastRounds.low : `${f.lastRounds.low}–${f.lastRounds.high}`} in the last; ${f.source.split(")")[0]})`)
  }
  return lines
}
