/**
 * The dashboard's society panel, built in the run's thread from the rounds as they are written: the headline
 * statistic over rounds (all agents and each value condition, as sparklines), the human figure beside it, and
 * for a lattice a small character map of a window of agents' current states. Plain lines; cheap (a round's
 * statistics are already computed, the map reads a window of at most 12 × 48 agents).
 */
import type { RunSpec } from "../config/RunSpec.js"
import type { SocietyRoundOp } from "../store/RunStore.js"
import { HEADLINE, type RoundStats } from "./roundStats.js"
import { societyHumanFigures, spark } from "./report.js"
import { latticeSize } from "./scenario.js"

const MAP_ROWS = 12
const MAP_COLS = 48

export const makeSocietyPanel = (spec: RunSpec) => {
  const steps = spec.steps.flatMap((s, i) => (s.kind === "society" ? [{ step: i, s: s.society }] : []))
  const figures = societyHumanFigures()
  const series = new Map<number, Array<RoundStats>>()
  const maps = new Map<number, Array<string>>()
  const observe = (op: SocietyRoundOp) => {
    if (op.failed) return
    const entry = steps.find((x) => x.step === op.step)
    if (entry === undefined) return
    const list = series.get(op.step) ?? []
    list[op.round - 1] = JSON.parse(op.stats) as RoundStats
    series.set(op.step, list)
    if (entry.s.network.kind === "lattice") {
      const size = latticeSize(entry.s.network, op.actions.length)
      if (typeof size !== "string") {
        const glyph = entry.s.dynamic === "opinion" || entry.s.dynamic === "public-goods" || entry.s.dynamic === "common-pool" ? (a: number) => String(a) : (a: number) => (a === 1 ? "█" : "·")
        const rows: Array<string> = []
        for (let r = 0; r < Math.min(MAP_ROWS, size.height); r++) {
          let line = ""
          for (let c = 0; c < Math.min(MAP_COLS, size.width); c++) line += glyph(op.actions[r * size.width + c]!)
          rows.push(line)
        }
        maps.set(op.step, rows)
      }
    }
  }
  const lines = (): Array<string> | null => {
    if (steps.length === 0) return null
    const out: Array<string> = []
    for (const { step, s } of steps) {
      const rounds = (series.get(step) ?? []).filter((r) => r !== undefined)
      const h = HEADLINE[s.dynamic]
      const [lo, hi] = s.dynamic === "opinion" ? [1, s.params.scale.length] : [0, 1]
      const last = rounds[rounds.length - 1]
      out.push(`society ${s.id}: ${s.dynamic} on a ${s.network.kind} network, round ${rounds.length} of ${s.rounds} — ${h} by round`)
      const all = rounds.map((r) => Number(r.overall[h]))
      out.push(`  ${"all agents".padEnd(14)} ${spark(all, lo, hi).padEnd(s.rounds)} ${last === undefined ? "" : Number(last.overall[h]).toFixed(3)}`)
      for (const c of Object.keys(last?.byCondition ?? {})) {
        const xs = rounds.map((r) => Number(r.byCondition[c]?.[h]))
        out.push(`  ${c.padEnd(14)} ${spark(xs, lo, hi).padEnd(s.rounds)} ${Number(xs[xs.length - 1]).toFixed(3)}`)
      }
      for (const f of figures.filter((x) => x.dynamics.includes(s.dynamic))) {
        out.push(`  ${"humans".padEnd(14)} ${f.firstRounds.low}–${f.firstRounds.high} first rounds → ${f.lastRounds.low} last rounds (${f.source.split(")")[0]}))`)
      }
      const map = maps.get(step)
      if (map !== undefined) out.push(`  lattice window (${s.dynamic === "opinion" ? "positions" : s.dynamic === "public-goods" ? "contribution levels 1–5" : s.dynamic === "common-pool" ? "levels taken 1–5" : "█ cooperate/adopt, · not"}):`, ...map.map((l) => `    ${l}`))
    }
    return out
  }
  return { observe, lines }
}
