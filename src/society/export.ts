/**
 * The society tables of an export, as column batches (typed arrays, a round's agents at a time): `edges` (each
 * tie of each society step's network once per spell, source < target, with the first and last round it was in
 * place: a static network's ties hold from round 0 to the end, to_round null; a rewired network's ties end and
 * begin as its tie updates are replayed from the seed) and `society` (one row per agent per round: its
 * action, its degree, what its neighbours did that round and, for the prisoner's dilemma, its payoff summed over
 * its ties; how the action came about: its scoring `method` and the option `mass` of the shared question it was
 * drawn from). Both feed the Parquet writer directly and the CSV/JSONL writer through `batchRecords`.
 */
import type { RunSpec } from "../config/RunSpec.js"
import { stepId } from "../config/RunSpec.js"
import type { ColumnBatch, ColumnSpec } from "../store/parquet.js"
import { readAgentConditions, readConditions } from "../store/reads.js"
import type { RunDb } from "../store/RunStore.js"
import { lastSocietyRound, readSocietyActions, readSocietyAsked, readSocietyNetwork, type AskedState } from "../store/society.js"
import { rewireStep } from "../sampling/network.js"
import { stream } from "../sampling/rng.js"
import { codesPerRound, cooperationState, cpPayoffs, historyStart, levelled, levelsOf, observationCodes, optionsOf, pdPayoffs, pgPayoffs, rememberedRounds, roundCodes } from "./dynamics.js"
import type { SocietyScenario } from "./scenario.js"

export const EDGE_COLUMNS = ["step", "society", "source", "target", "from_round", "to_round"] as const
export const SOCIETY_COLUMNS = ["step", "society", "round", "agent_id", "condition", "action", "label", "degree", "neighbours_acting", "payoff", "method", "mass"] as const

/** The society steps of a run (index and scenario). */
const societySteps = (spec: RunSpec | undefined) =>
  (spec?.steps ?? []).flatMap((s, i) => (s.kind === "society" ? [{ step: i, s: s.society, name: stepId(s) }] : []))

export const hasSociety = (spec: RunSpec | undefined): boolean => societySteps(spec).length > 0

export const edgeParquet = (spec: RunSpec | undefined): Array<ColumnSpec> => [
  { name: "step", type: "INTEGER" },
  { name: "society", type: "ENUM", members: societySteps(spec).map((x) => x.name) },
  { name: "source", type: "INTEGER" },
  { name: "target", type: "INTEGER" },
  { name: "from_round", type: "INTEGER" },
  { name: "to_round", type: "INTEGER" }
]

export const societyParquet = (db: RunDb, spec: RunSpec | undefined): Array<ColumnSpec> => [
  { name: "step", type: "INTEGER" },
  { name: "society", type: "ENUM", members: societySteps(spec).map((x) => x.name) },
  { name: "round", type: "INTEGER" },
  { name: "agent_id", type: "INTEGER" },
  { name: "condition", type: "ENUM", members: readConditions(db).map((c) => c.condition) },
  { name: "action", type: "INTEGER" },
  { name: "label", type: "VARCHAR" },
  { name: "degree", type: "INTEGER" },
  { name: "neighbours_acting", type: "DOUBLE" },
  { name: "payoff", type: "DOUBLE" },
  { name: "method", type: "VARCHAR" },
  { name: "mass", type: "DOUBLE" }
]

const CHUNK = 65_536

/**
 * Every tie of every society step once per spell (the rounds it was in place), in batches. A rewired network's
 * updates are replayed round by round as the run played them (after round r's actions, for round r + 1): a tie
 * cut then ends at round r, a tie made then begins at r + 1; ties still in place at the end have to_round null.
 */
export function* edgeBatches(db: RunDb, spec: RunSpec | undefined): Generator<ColumnBatch> {
  for (const [j, { step, s }] of societySteps(spec).entries()) {
    let src = new Int32Array(CHUNK)
    let dst = new Int32Array(CHUNK)
    let from = new Int32Array(CHUNK)
    let to = new Float64Array(CHUNK)
    let m = 0
    const flush = function* (): Generator<ColumnBatch> {
      if (m === 0) return
      yield { rows: m, columns: [new Int32Array(m).fill(step), new Int32Array(m).fill(j), src.subarray(0, m), dst.subarray(0, m), from.subarray(0, m), to.subarray(0, m)] }
      src = new Int32Array(CHUNK)
      dst = new Int32Array(CHUNK)
      from = new Int32Array(CHUNK)
      to = new Float64Array(CHUNK)
      m = 0
    }
    const push = function* (u: number, v: number, first: number, lastRound: number): Generator<ColumnBatch> {
      src[m] = u
      dst[m] = v
      from[m] = first
      to[m] = lastRound
      if (++m === CHUNK) yield* flush()
    }
    let g = readSocietyNetwork(db, step)
    const n = g.n
    // Open spells: tie key u·n + v (u < v) → the round it began.
    const open = new Map<number, number>()
    const keysOf = (net: typeof g): Array<number> => {
      const keys: Array<number> = []
      for (let u = 0; u < net.n; u++) for (let e = net.offsets[u]!; e < net.offsets[u + 1]!; e++) if (net.targets[e]! > u) keys.push(u * n + net.targets[e]!)
      return keys
    }
    // Ties of the starting network begin with the first stored round (0 where the dynamic has one, else 1).
    const last = lastSocietyRound(db, step)
    const first = readSocietyActions(db, step, 0) === null ? 1 : 0
    for (const k of keysOf(g)) open.set(k, first)
    const rewire = s.network.rewire ?? 0
    if (rewire > 0) {
      for (let round = 1; round < last; round++) {
        const actions = readSocietyActions(db, step, round)
        if (actions === null) continue
        g = rewireStep(g, cooperationState(s.dynamic, actions), rewire, stream(spec!.seed, "rewire", step, round))
        const now = new Set(keysOf(g))
        for (const [k, began] of open) {
          if (now.has(k)) continue
          open.delete(k)
          yield* push(Math.floor(k / n), k % n, began, round)
        }
        for (const k of now) if (!open.has(k)) open.set(k, round + 1)
      }
    }
    for (const [k, began] of open) yield* push(Math.floor(k / n), k % n, began, NaN)
    yield* flush()
  }
}

/**
 * How each agent's action of a round came about: its scoring method and the option mass of the shared question it
 * drew from (NaN: none). A model round's asked states are found again from the observation each agent had, which
 * the remembered rounds' codes give exactly as the run computed them (`past`: newest first). Agents that did not
 * decide (diffusion's adopters, round 0) get none.
 */
const roundMethods = (
  s: SocietyScenario,
  round: number,
  asked: ReadonlyArray<AskedState> | null,
  past: ReadonlyArray<Int32Array>,
  prev: Uint8Array | null,
  conditions: Int32Array,
  conditionIds: ReadonlyArray<string>,
  synthetic: boolean,
  n: number
) => {
  const method: Array<string | null> = new Array<string | null>(n).fill(null)
  const mass = new Float64Array(n).fill(NaN)
  if (round < 1) return { method, mass }
  const deciding = s.dynamic === "diffusion" && prev !== null ? Uint8Array.from(prev, (a) => (a === 1 ? 0 : 1)) : null
  const obs = new Int32Array(n)
  observationCodes(past.slice(0, rememberedRounds(s.dynamic, s.memory, round)), codesPerRound(s.dynamic, s.params, true), deciding, obs)
  const byState = new Map((asked ?? []).map((a) => [`${a.condition}:${a.observation}`, a]))
  for (let u = 0; u < n; u++) {
    if (obs[u]! < 0) continue
    if (asked === null) {
      method[u] = synthetic ? "synthetic" : "sample"
      continue
    }
    const a = byState.get(`${conditionIds[conditions[u]!]}:${obs[u]}`)
    method[u] = a === undefined ? null : (a.method ?? "logprob")
    if (typeof a?.mass === "number") mass[u] = a.mass
  }
  return { method, mass }
}

/** One row per agent per stored round (round 0, diffusion's seeds, included), in batches of a round's agents. */
export function* societyBatches(db: RunDb, spec: RunSpec | undefined): Generator<ColumnBatch> {
  const conditions = readAgentConditions(db)
  const conditionIds = readConditions(db).map((c) => c.condition)
  const synthetic = spec?.backend.kind === "synthetic"
  for (const [j, { step, s }] of societySteps(spec).entries()) {
    let g = readSocietyNetwork(db, step)
    const labels = new Map(optionsOf(s.dynamic, s.params).map((o) => [o.value, o.label]))
    const last = lastSocietyRound(db, step)
    const pay = new Float64Array(g.n)
    const k = levelsOf(s.dynamic, s.params)
    const past: Array<Int32Array> = []
    let prev: Uint8Array | null = null
    for (let round = 0; round <= last; round++) {
      const actions = readSocietyActions(db, step, round)
      if (actions === null) continue
      const how = roundMethods(s, round, readSocietyAsked(db, step, round), past, prev, conditions.subarray(0, g.n), conditionIds, synthetic, g.n)
      if (s.dynamic === "prisoners-dilemma") pdPayoffs(g, actions, s.params.payoffs, pay)
      if (s.dynamic === "public-goods") pgPayoffs(g, actions, s.params, pay)
      if (s.dynamic === "common-pool") cpPayoffs(g, actions, s.params, pay)
      for (let from = 0; from < g.n; from += CHUNK) {
        const m = Math.min(CHUNK, g.n - from)
        const agent = new Int32Array(m)
        const cond = new Int32Array(m)
        const action = new Int32Array(m)
        const label: Array<string | null> = new Array(m)
        const degree = new Int32Array(m)
        const acting = new Float64Array(m)
        const payoff = new Float64Array(m).fill(NaN)
        for (let i = 0; i < m; i++) {
          const u = from + i
          agent[i] = u
          cond[i] = conditions[u]!
          action[i] = actions[u]!
          label[i] = labels.get(actions[u]!) ?? null
          const a = g.offsets[u]!
          const b = g.offsets[u + 1]!
          degree[i] = b - a
          let sum = 0
          for (let e = a; e < b; e++) sum += actions[g.targets[e]!]!
          acting[i] = levelled(s.dynamic) ? (b === a ? NaN : sum / (b - a)) : sum
          if (s.dynamic === "prisoners-dilemma" || s.dynamic === "public-goods" || s.dynamic === "common-pool") payoff[i] = pay[u]!
        }
        yield {
          rows: m,
          columns: [
            new Int32Array(m).fill(step), new Int32Array(m).fill(j), new Int32Array(m).fill(round), agent, cond, action, label, degree, acting, payoff,
            how.method.slice(from, from + m), how.mass.subarray(from, from + m)
          ]
        }
      }
      // The codes this round shows the next rounds (on the ties it was played on), as the run keeps them.
      if (round >= historyStart(s.dynamic)) {
        const codes = new Int32Array(g.n)
        roundCodes(s.dynamic, k, g, actions, codes)
        past.unshift(codes)
        if (past.length > s.memory) past.pop()
      }
      prev = actions
      // A dynamic network: the next round is played on the ties as this round's updates left them.
      if (round >= 1 && (s.network.rewire ?? 0) > 0) g = rewireStep(g, cooperationState(s.dynamic, actions), s.network.rewire!, stream(spec!.seed, "rewire", step, round))
    }
  }
}

/** A batch's rows as records (enum columns as their member names, NaN as null), for CSV and JSONL. */
export function* batchRecords(columns: ReadonlyArray<ColumnSpec>, batch: ColumnBatch): Generator<Record<string, unknown>> {
  for (let r = 0; r < batch.rows; r++) {
    const rec: Record<string, unknown> = {}
    columns.forEach((c, i) => {
      const data = batch.columns[i] as ArrayLike<number | string | null>
      const x = data[r] ?? null
      if (c.type === "ENUM") rec[c.name] = typeof x === "number" && x >= 0 ? (c.members[x] ?? null) : null
      else if (typeof x === "number" && Number.isNaN(x)) rec[c.name] = null
      else rec[c.name] = typeof x === "number" && c.type === "DOUBLE" ? Math.round(x * 1e9) / 1e9 : x
    })
    yield rec
  }
}
