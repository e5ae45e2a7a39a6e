import { readConditions, readGameMoves, readMatchStates, readMoveMeans, readUnmatchedCount, type GameMoveRow } from "../store/reads.js"
import type { RunDb } from "../store/RunStore.js"
import type { GameKind, GameScenario } from "../domain/games.js"
import { higherOrderOf, HIGHER_ORDER_NAMES, type HigherOrder, type Value10 } from "../domain/values.js"
import { GAME_DEFAULTS } from "../games/index.js"
import { num } from "./alignment.js"

/** One outcome figure of a game, for the whole run and per condition. */
export interface GameMetric {
  readonly metric: string
  readonly round: number | null
  readonly value: number | null
  /** Decisions (or matches) the figure averages over. */
  readonly n: number
  readonly byCondition: ReadonlyArray<{ readonly condition: string; readonly value: number | null; readonly n: number }>
}

export interface GameComparison {
  readonly metric: string
  readonly round: number | null
  readonly run: number | null
  readonly human: number
  readonly baseline: { readonly file: string; readonly id: string; readonly title: string; readonly source: string; readonly where: string }
}

export interface GameAnalysis {
  readonly step: number
  readonly scenario: string
  readonly game: GameKind
  readonly matches: { readonly complete: number; readonly void: number; readonly failed: number; readonly pending: number }
  readonly unmatchedAgents: number
  readonly metrics: ReadonlyArray<GameMetric>
  /** Per cause: how many contributors chose it (paired charity game). */
  readonly causes: ReadonlyArray<{ readonly cause: string; readonly count: number }> | null
  readonly comparisons: ReadonlyArray<GameComparison>
  /** Game metrics for which no human figure was given. */
  readonly withoutBaseline: ReadonlyArray<string>
  /**
   * Deliberation: the higher-order value groups polarisation compares, with their agents (those with a first-round
   * position) and whether the group is large enough to count (at least {@link MIN_POLARISATION_GROUP}).
   */
  readonly polarisationGroups?: ReadonlyArray<{ readonly group: string; readonly agents: number; readonly counted: boolean }>
}

/**
 * Agents a higher-order value group needs to count in polarisation: the mean of a handful of agents jumps from
 * round to round by itself (one agent of five changing its mind moves it by a fifth of its change), and the range
 * of group means would follow the smallest group's noise.
 */
export const MIN_POLARISATION_GROUP = 10

/** A human figure for a game, as read from a `game-outcomes` baseline. */
export interface HumanGameFigure {
  readonly game: string
  readonly metric: string
  readonly value: number
  readonly round: number | null
  readonly where: string
  readonly baseline: { readonly file: string; readonly id: string; readonly title: string; readonly source: string }
}

type MoveRow = GameMoveRow

const numberParam = (game: GameScenario, key: string): number => {
  const v = game.params[key] ?? (GAME_DEFAULTS[game.game] as Record<string, unknown>)[key]
  return typeof v === "number" ? v : NaN
}

/** Mean of `f` over rows (skipping nulls), overall and by the deciding agent's condition. */
const metric = (
  name: string,
  round: number | null,
  rows: ReadonlyArray<MoveRow>,
  f: (r: MoveRow) => number | null,
  conditions: ReadonlyArray<string>
): GameMetric => {
  const by = new Map<string, { s: number; n: number }>()
  let s = 0
  let n = 0
  for (const r of rows) {
    const x = f(r)
    if (x === null || !Number.isFinite(x)) continue
    s += x
    n++
    const b = by.get(r.condition) ?? { s: 0, n: 0 }
    b.s += x
    b.n++
    by.set(r.condition, b)
  }
  return {
    metric: name,
    round,
    value: n > 0 ? num(s / n) : null,
    n,
    byCondition: conditions.flatMap((c) => {
      const b = by.get(c)
      return b ? [{ condition: c, value: num(b.s / b.n), n: b.n }] : []
    })
  }
}

/**
 * Polarisation between value groups in one round: the range (highest minus lowest) of the mean position of the
 * four higher-order value groups (agents grouped by the value they were prompted with; hedonism counted with
 * Openness to Change, unprimed agents left out), over the groups of at least {@link MIN_POLARISATION_GROUP}
 * agents. 0 when those groups agree on average; null with fewer than two of them. `byCondition` holds every
 * group's mean and size under its higher-order name, the small ones included.
 */
const polarisation = (round: number, rows: ReadonlyArray<MoveRow>, valueOf: ReadonlyMap<string, string | null>): GameMetric => {
  const groups = new Map<string, { s: number; n: number }>()
  let n = 0
  for (const r of rows) {
    const v = valueOf.get(r.condition)
    const ho = v ? higherOrderOf(v as Value10) : undefined
    if (r.value === null || ho === undefined) continue
    const g = groups.get(ho) ?? { s: 0, n: 0 }
    g.s += r.value
    g.n++
    groups.set(ho, g)
    n++
  }
  const means = [...groups.entries()].map(([ho, g]) => ({ condition: HIGHER_ORDER_NAMES[ho as HigherOrder], value: g.s / g.n, n: g.n }))
  const values = means.filter((m) => m.n >= MIN_POLARISATION_GROUP).map((m) => m.value)
  return {
    metric: "polarisation",
    round,
    value: values.length >= 2 ? num(Math.max(...values) - Math.min(...values)) : null,
    n,
    byCondition: means.map((m) => ({ ...m, value: num(m.value) }))
  }
}

/**
 * Outcomes of one game step from the logged moves of its finished matches (void rounds keep the moves that
 * were made; a missing move counts in no mean): the metrics of DESIGN.md for each game, per round for repeated
 * games, per condition of the deciding agent, and side by side with every human figure of the same game and
 * metric (and round, when the figure names one).
 */
export const analyseGame = (
  db: RunDb,
  step: number,
  game: GameScenario,
  humans: ReadonlyArray<HumanGameFigure>
): GameAnalysis => {
  const states = readMatchStates(db, step)
  const matches = { complete: 0, void: 0, failed: 0, pending: 0 }
  for (const m of states) {
    if (m.state === "failed") matches.failed++
    else if (m.state !== "done") matches.pending++
    else if ((JSON.parse(m.outcome ?? "{}") as { status?: string }).status === "void") matches.void++
    else matches.complete++
  }
  const unmatched = readUnmatchedCount(db, step)
  const allConditions = readConditions(db)
  const conditions = allConditions.map((c) => c.condition)
  const rows: ReadonlyArray<MoveRow> = readGameMoves(db, step)
  const of = (decision: string, round?: number) => rows.filter((r) => r.decision === decision && (round === undefined || r.round === round))
  const endowment = numberParam(game, "endowment")
  const share = (r: MoveRow) => (r.value === null ? null : r.value / endowment)
  const yes = (r: MoveRow) => (r.value === null ? null : r.value)
  const metrics: Array<GameMetric> = []
  let causes: GameAnalysis["causes"] = null
  switch (game.game) {
    case "dictator":
      metrics.push(metric("give-share", null, of("give"), share, conditions))
      break
    case "ultimatum":
      metrics.push(metric("offer-share", null, of("offer"), share, conditions))
      metrics.push(metric("rejection-rate", null, of("accept"), (r) => (r.value === null ? null : 1 - r.value), conditions))
      break
    case "trust": {
      const multiplier = numberParam(game, "multiplier")
      const sent = new Map(of("send").map((r) => [r.match_id, r.value]))
      metrics.push(metric("sent-share", null, of("send"), share, conditions))
      metrics.push(
        metric("returned-share", null, of("return"), (r) => {
          const x = sent.get(r.match_id)
          return r.value === null || x === null || x === undefined || x === 0 ? null : r.value / (multiplier * x)
        }, conditions)
      )
      break
    }
    case "public-goods": {
      metrics.push(metric("contribution-share", null, of("contribute"), share, conditions))
      const rounds = numberParam(game, "rounds")
      for (let r = 1; r <= rounds; r++) metrics.push(metric("contribution-share", r, of("contribute", r), share, conditions))
      break
    }
    case "prisoners-dilemma": {
      metrics.push(metric("cooperation-rate", null, of("cooperate"), yes, conditions))
      const rounds = numberParam(game, "rounds")
      if (rounds > 1) for (let r = 1; r <= rounds; r++) metrics.push(metric("cooperation-rate", r, of("cooperate", r), yes, conditions))
      break
    }
    case "paired-charity": {
      metrics.push(metric("contribute-rate", null, of("decision"), yes, conditions))
      metrics.push(metric("mean-intention", null, of("intention"), yes, conditions))
      const counts = new Map<string, number>()
      for (const r of of("cause")) if (r.label !== null) counts.set(r.label, (counts.get(r.label) ?? 0) + 1)
      causes = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([cause, count]) => ({ cause, count }))
      break
    }
    case "deliberation": {
      const rounds = numberParam(game, "rounds")
      const labels = (game.params["options"] ?? (GAME_DEFAULTS.deliberation as Record<string, unknown>)["options"]) as ReadonlyArray<string>
      const valueOf = new Map(allConditions.map((c) => [c.condition, c.valueCode] as const))
      for (let r = 1; r <= rounds; r++) {
        const rows = of("position", r)
        const mean = metric("mean-position", r, rows, yes, conditions)
        metrics.push(mean)
        metrics.push(
          metric("sd-position", r, rows, (x) => (x.value === null || mean.value === null ? null : (x.value - mean.value) ** 2), conditions)
        )
        const sd = metrics[metrics.length - 1]!
        metrics[metrics.length - 1] = { ...sd, value: sd.value === null ? null : Math.sqrt(sd.value), byCondition: [] }
        labels.forEach((label, k) => metrics.push({ ...metric(`share:${label}`, r, rows, (x) => (x.value === null ? null : x.value === k + 1 ? 1 : 0), conditions), byCondition: [] }))
        metrics.push(polarisation(r, rows, valueOf))
      }
      const first = new Map(of("position", 1).map((x) => [x.agent_id, x.value]))
      metrics.push(
        metric("changed-rate", null, of("position", rounds), (x) => {
          const f = first.get(x.agent_id)
          return x.value === null || f === null || f === undefined ? null : x.value !== f ? 1 : 0
        }, conditions)
      )
      break
    }
  }
  const comparisons: Array<GameComparison> = []
  for (const h of humans) {
    if (h.game !== game.game) continue
    const m = metrics.find((x) => x.metric === h.metric && x.round === h.round)
    if (m === undefined) continue
    comparisons.push({ metric: h.metric, round: h.round, run: m.value, human: h.value, baseline: { ...h.baseline, where: h.where } })
  }
  const withoutBaseline = [...new Set(metrics.filter((m) => m.round === null && !comparisons.some((c) => c.metric === m.metric)).map((m) => m.metric))]
  const firstPolarisation = metrics.find((m) => m.metric === "polarisation" && m.round === 1)
  const polarisationGroups =
    firstPolarisation === undefined
      ? undefined
      : firstPolarisation.byCondition.map((b) => ({ group: b.condition, agents: b.n, counted: b.n >= MIN_POLARISATION_GROUP }))
  return {
    step, scenario: game.id, game: game.game, matches, unmatchedAgents: unmatched, metrics, causes, comparisons, withoutBaseline,
    ...(polarisationGroups === undefined ? {} : { polarisationGroups })
  }
}

/**
 * Per-agent game behaviour as score columns for value × behaviour correlations: for each decision of the game,
 * the agent's mean decision value over the rounds it made (null when it made none). Keys are
 * `<scenario id>:<decision>`.
 */
export const gameBehaviourColumns = (db: RunDb, step: number, game: GameScenario): Map<string, Map<number, number>> => {
  const rows = readMoveMeans(db, step)
  const out = new Map<string, Map<number, number>>()
  for (const r of rows) {
    if (r.decision === "cause") continue // unordered: no mean
    const key = `${game.id}:${r.decision}`
    const col = out.get(key) ?? new Map<number, number>()
    col.set(r.agent_id, r.mean)
    out.set(key, col)
  }
  return out
}

/** The sentence naming the groups behind polarisation and their sizes (text and HTML reports). */
export const polarisationGroupsText = (groups: NonNullable<GameAnalysis["polarisationGroups"]>): string => {
  const small = groups.filter((g) => !g.counted)
  return (
    `polarisation compares the higher-order value groups (agents): ${groups.map((g) => `${g.group} ${g.agents}`).join(", ")}` +
    (small.length === 0 ? "" : `; ${small.map((g) => g.group).join(", ")} ${small.length === 1 ? "has" : "have"} fewer than ${MIN_POLARISATION_GROUP} agents and ${small.length === 1 ? "is" : "are"} left out (a few agents' mean jumps between rounds by itself)`)
  )
}
