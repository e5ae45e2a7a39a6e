/**
 * Feeds the live statistics from what the writer commits: value questionnaire answers become centered value
 * scores for the live accumulator; game moves become a headline metric per round. Cheap (a few hundred
 * operations per agent), so the dashboard never slows a run. Pure apart from its own state: no I/O.
 */
import { armLabel } from "../experiments/arms.js"
import type { RunSpec } from "../config/RunSpec.js"
import { VALUES_10, VALUES_19 } from "../domain/values.js"
import { GAME_DEFAULTS } from "../games/index.js"
import type { WriteOp } from "../store/RunStore.js"
import type { LiveStats } from "../ui/state.js"
import { makeLiveStats } from "./liveStats.js"

/** A human baseline for the live panel: the structure (same labels as the run's value step) and its hierarchy. */
export interface LiveHuman {
  readonly title: string
  readonly labels: ReadonlyArray<string>
  readonly matrix: ReadonlyArray<ReadonlyArray<number>>
  readonly hierarchy: ReadonlyArray<number> | null
  readonly hierarchyTitle: string | null
}

/** A human game figure for the live panel. */
export interface LiveGameFigure {
  readonly game: string
  readonly metric: string
  readonly value: number
}

const HEADLINE: Readonly<Record<string, { readonly decision: string; readonly metric: string; readonly share: boolean }>> = {
  dictator: { decision: "give", metric: "give-share", share: true },
  ultimatum: { decision: "offer", metric: "offer-share", share: true },
  trust: { decision: "send", metric: "sent-share", share: true },
  "public-goods": { decision: "contribute", metric: "contribution-share", share: true },
  "prisoners-dilemma": { decision: "cooperate", metric: "cooperation-rate", share: false },
  "paired-charity": { decision: "decision", metric: "contribute-rate", share: false },
  deliberation: { decision: "position", metric: "mean-position", share: false }
}

const CODES: ReadonlyArray<string> = [...VALUES_10, ...VALUES_19]

export const makeLiveFeed = (
  spec: RunSpec,
  conditionOf: (agentId: number) => number,
  human: LiveHuman | null,
  gameFigures: ReadonlyArray<LiveGameFigure>
) => {
  const valueStep = spec.steps.findIndex(
    (s) => s.kind === "questionnaire" && s.questionnaire.construct === "values" && s.questionnaire.items.every((i) => CODES.includes(i.subscale))
  )
  const vs = spec.steps[valueStep]
  const q = vs !== undefined && vs.kind === "questionnaire" ? vs.questionnaire : null
  const labels = q ? [...new Set(q.items.map((i) => i.subscale))].sort((a, b) => CODES.indexOf(a) - CODES.indexOf(b)) : []
  const keys = q ? q.items.map((i) => ({ subscale: labels.indexOf(i.subscale), reverse: i.reverse })) : []
  const min = q ? Math.min(...q.scale.map((o) => o.value)) : 0
  const max = q ? Math.max(...q.scale.map((o) => o.value)) : 1
  const humanFor = human !== null && labels.length === human.labels.length && labels.every((l) => human.labels.includes(l)) ? human : null
  const order = humanFor ? labels.map((l) => humanFor.labels.indexOf(l)) : []
  const live = q
    ? makeLiveStats({
        labels,
        conditions: spec.population.conditions.map((c) => c.id),
        human: humanFor
          ? {
              title: humanFor.title,
              matrix: order.map((i) => order.map((j) => humanFor.matrix[i]![j]!)),
              hierarchy: humanFor.hierarchy ? order.map((i) => humanFor.hierarchy![i]!) : null,
              hierarchyTitle: humanFor.hierarchyTitle
            }
          : null,
        seed: spec.seed
      })
    : null
  const answers: Array<number | null> = new Array<number | null>(keys.length).fill(null)

  // Games: per step, sums of the headline decision by round.
  const games = spec.steps.flatMap((s, step) => {
    if (s.kind !== "game") return []
    const h = HEADLINE[s.game.game]
    if (h === undefined) return []
    const endowment = Number(s.game.params["endowment"] ?? (GAME_DEFAULTS[s.game.game] as Record<string, unknown>)["endowment"] ?? 1)
    const figure = gameFigures.find((f) => f.game === s.game.game && f.metric === h.metric)
    return [{ step, id: armLabel(s), ...h, scale: h.share ? endowment : 1, sums: [] as Array<number>, counts: [] as Array<number>, human: figure?.value ?? null }]
  })

  // Scoring buffers reused for every agent (the same arithmetic as scoreRespondent in src/stats/mrat.ts, without
  // allocating per agent: this runs for every respondent of the run).
  const sums = new Float64Array(labels.length)
  const counts = new Float64Array(labels.length)
  const centered = new Float64Array(labels.length)
  const addAgent = (agentId: number, values: ArrayLike<number | null>) => {
    if (live === null) return
    sums.fill(0)
    counts.fill(0)
    let total = 0
    let answered = 0
    for (let i = 0; i < keys.length; i++) {
      const x = values[i]
      if (x === null || x === undefined || Number.isNaN(x)) continue
      const k = keys[i]!
      const scored = k.reverse ? min + max - x : x
      sums[k.subscale] = sums[k.subscale]! + scored
      counts[k.subscale] = counts[k.subscale]! + 1
      total += scored
      answered++
    }
    const mrat = answered > 0 ? total / answered : NaN
    for (let s = 0; s < labels.length; s++) centered[s] = counts[s]! > 0 ? sums[s]! / counts[s]! - mrat : NaN
    live.add(conditionOf(agentId), centered)
  }

  const observe = (op: WriteOp): void => {
    if (op._tag === "AnswerPage" && op.step === valueStep) {
      for (let a = 0; a < op.agentIds.length; a++) {
        for (let i = 0; i < op.items; i++) answers[i] = op.values[a * op.items + i]!
        addAgent(op.agentIds[a]!, answers)
      }
    } else if (op._tag === "Match" && !op.failed) {
      const g = games.find((x) => x.step === op.step)
      if (g === undefined) return
      for (const m of op.moves) {
        if (m.decision !== g.decision || m.value === null) continue
        g.sums[m.round - 1] = (g.sums[m.round - 1] ?? 0) + m.value / g.scale
        g.counts[m.round - 1] = (g.counts[m.round - 1] ?? 0) + 1
      }
    }
  }

  const stats = (): LiveStats | null => {
    const base = live?.snapshot() ?? null
    const gameRows = games.map((g) => ({
      id: g.id,
      metric: g.metric,
      byRound: Array.from({ length: g.sums.length }, (_, r) => (g.counts[r] ? g.sums[r]! / g.counts[r]! : null)),
      human: g.human
    }))
    if (base === null && gameRows.length === 0) return null
    if (base === null) {
      return { respondents: 0, labels: [], hierarchy: [], humanHierarchy: null, map: null, sv: null, conditionMeans: [], games: gameRows }
    }
    return { ...base, games: gameRows }
  }

  /**
   * Adds one respondent already answered before this process (a resumed run): its answers to the value step's
   * items in item order, null for a missing one.
   */
  const addAnswered = (agentId: number, values: ArrayLike<number | null>): void => addAgent(agentId, values)

  return { observe, stats, addAnswered, valueStep, valueItems: keys.length }
}
