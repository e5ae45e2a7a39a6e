/**
 * A society scenario as resolved from its file and stored in the run's manifest (wording is data, as for
 * games), and the pure checks of its network against the number of agents, and of a user's edge list.
 */
import type { NetworkKind } from "../sampling/network.js"
import type { Dynamic, DynamicParams } from "./dynamics.js"

export interface NetworkSpec {
  readonly kind: NetworkKind
  /** ring, small-world: ties per agent (even). */
  readonly k?: number
  /** small-world: rewiring probability; random: tie probability (or mean_degree). */
  readonly p?: number
  /** random: expected ties per agent, p = mean_degree / (agents − 1). */
  readonly meanDegree?: number
  /** scale-free: ties each new agent brings. */
  readonly m?: number
  /** lattice: columns and rows (width × height = agents); one may be left out, both when agents is a square. */
  readonly width?: number
  readonly height?: number
  readonly neighbourhood?: "von-neumann" | "moore"
  /** edges: the CSV edge list (absolute path) and its sha256 when the run was planned. */
  readonly file?: string
  readonly sha256?: string
  /**
   * Dynamic network (prisoners-dilemma, public-goods): after each round this share of agents cuts a tie to a
   * defector (PD: defected; public goods: put nothing in) and ties to a neighbour's neighbour (`rewireStep`).
   */
  readonly rewire?: number
  /** Value homophily 0…1 (ring, small-world, lattice): share of agents placed in blocks by condition. */
  readonly homophily: number
}

export interface SocietyPrompts {
  /** First user message: the situation. Placeholders: payoffs (PD), {rounds}. */
  readonly rules: string
  /** Before round 1 (nothing observed yet). Placeholders: {round} {rounds}. */
  readonly first: string
  /** One line per remembered round; placeholders per dynamic (see scenarios/society/README.md) and {when}. */
  readonly summary: string
  /** The question. Placeholders: {round} {rounds} {options} {min} {max}. */
  readonly decision: string
  /** One option line: {number} {label}. */
  readonly option: string
  /** Re-ask after an unreadable reply: {options} {min} {max}. */
  readonly reask: string
}

export interface SocietyScenario {
  readonly kind: "society"
  readonly id: string
  readonly title: string
  readonly source: string
  readonly dynamic: Dynamic
  readonly rounds: number
  /** Past rounds the summary covers (1: the last round only). */
  readonly memory: number
  readonly network: NetworkSpec
  readonly params: DynamicParams
  /** The value the decision is centred on for the theory model (circle position 0…9, fractional between two). */
  readonly theoryPeak: number
  readonly prompts: SocietyPrompts
}

/** Most agents a complete network may join (n(n−1)/2 ties). */
export const MAX_COMPLETE = 5000

/** Lattice width × height for `agents`, or a problem. */
export const latticeSize = (n: NetworkSpec, agents: number): { readonly width: number; readonly height: number } | string => {
  let w = n.width
  let h = n.height
  if (w === undefined && h === undefined) {
    const s = Math.round(Math.sqrt(agents))
    if (s * s !== agents) return `network.width: ${agents} agents are not a square; give width (and height) with width × height = agents`
    w = h = s
  } else if (w === undefined) w = agents / h!
  else if (h === undefined) h = agents / w
  if (w === undefined || h === undefined || !Number.isInteger(w) || !Number.isInteger(h) || w * h !== agents) return `network.width: width × height must equal the ${agents} agents, got ${n.width ?? "?"} × ${n.height ?? "?"}`
  if (w < 3 || h < 3) return `network.width: width and height must be at least 3, got ${w} × ${h}`
  return { width: w, height: h }
}

/** What is wrong with a network for `agents` agents ("network.field: message"); [] when it can be built. */
export const networkProblems = (n: NetworkSpec, agents: number): Array<string> => {
  const problems: Array<string> = []
  if (n.kind === "ring" || n.kind === "small-world") {
    const k = n.k ?? 0
    if (!(k >= 2 && k % 2 === 0 && k < agents)) problems.push(`network.k: must be even, at least 2 and less than the ${agents} agents, got ${n.k ?? "nothing"}`)
  }
  if (n.kind === "scale-free" && !((n.m ?? 0) >= 1 && (n.m ?? 0) < agents)) problems.push(`network.m: must be at least 1 and less than the ${agents} agents, got ${n.m ?? "nothing"}`)
  if (n.kind === "random" && n.meanDegree !== undefined && n.meanDegree > agents - 1) problems.push(`network.mean_degree: at most agents − 1 (${agents - 1}), got ${n.meanDegree}`)
  if (n.kind === "lattice") {
    const size = latticeSize(n, agents)
    if (typeof size === "string") problems.push(size)
  }
  if (n.kind === "complete" && agents > MAX_COMPLETE) problems.push(`network.kind: a complete network joins at most ${MAX_COMPLETE} agents (n(n−1)/2 ties); this run has ${agents}`)
  return problems
}

/** Ties (u, v) of an edge list, or its first problem as "line N: message" and how many more there were. */
export type EdgeListResult = { readonly ok: true; readonly ties: Uint32Array } | { readonly ok: false; readonly problem: string }

/**
 * Parses a CSV edge list: a header `source,target` (any two names), then one tie per line as two agent ids
 * 0…agents−1. Unknown ids, self-loops and duplicate ties (in either direction) are problems naming their line;
 * blank lines are skipped.
 */
export const parseEdgeList = (text: string, agents: number): EdgeListResult => {
  const lines = text.split(/\r?\n/)
  const problems: Array<string> = []
  const seen = new Map<number, number>()
  const ties: Array<number> = []
  const header = (lines[0] ?? "").replace(/^\uFEFF/, "").split(",")
  if (header.length !== 2 || header.some((h) => h.trim() === "" || /^\d+$/.test(h.trim()))) {
    return { ok: false, problem: `line 1: expected a header of two column names (e.g. source,target), got ${JSON.stringify(lines[0] ?? "")}` }
  }
  for (let i = 1; i < lines.length && problems.length < 1000; i++) {
    const line = lines[i]!.trim()
    if (line === "") continue
    const parts = line.split(",").map((x) => x.trim())
    const where = `line ${i + 1}`
    if (parts.length !== 2) {
      problems.push(`${where}: expected two agent ids separated by a comma, got ${JSON.stringify(line)}`)
      continue
    }
    const ids = parts.map((x) => (/^\d+$/.test(x) ? Number(x) : NaN))
    const bad = ids.findIndex((x, j) => !(Number.isInteger(x) && x < agents) || parts[j] === "")
    if (bad >= 0) {
      problems.push(`${where}: unknown agent id ${JSON.stringify(parts[bad])} (agent ids are 0 to ${agents - 1})`)
      continue
    }
    const [u, v] = ids as [number, number]
    if (u === v) {
      problems.push(`${where}: self-loop (agent ${u} tied to itself)`)
      continue
    }
    const key = Math.min(u, v) * agents + Math.max(u, v)
    const first = seen.get(key)
    if (first !== undefined) {
      problems.push(`${where}: duplicate tie ${u}–${v} (first on line ${first})`)
      continue
    }
    seen.set(key, i + 1)
    ties.push(u, v)
  }
  if (problems.length > 0) return { ok: false, problem: problems.length === 1 ? problems[0]! : `${problems[0]!} (and ${problems.length - 1}${problems.length >= 1000 ? "+" : ""} more)` }
  return { ok: true, ties: Uint32Array.from(ties) }
}
