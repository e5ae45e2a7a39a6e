/**
 * The effects of a run's experiments (issue 24): for every outcome of every experiment (a questionnaire
 * subscale's mean, a game decision's mean over rounds), each treatment arm against the control arm — paired
 * agent by agent when `within`, between agents when `between` (permutations within value conditions, as the
 * assignment was stratified) — with a bootstrap CI and a permutation p, Benjamini–Hochberg adjusted across all
 * the run's outcomes; the effect per value condition with its CI, and Cochran's Q test of the arm × condition
 * interaction. The statistics are src/stats/effects.ts; this module reads the store.
 */
import { readStepScores } from "../analysis/scores.js"
import type { RunSpec } from "../config/RunSpec.js"
import { stream } from "../sampling/rng.js"
import { mean } from "../stats/descriptive.js"
import { betweenEffect, cochranQ, pairedEffect, type EffectEstimate } from "../stats/effects.js"
import { benjaminiHochberg } from "../stats/inference.js"
import { readAgentConditions, readConditions, readMoveMeans, readRoundMeans } from "../store/reads.js"
import type { RunDb } from "../store/RunStore.js"
import { isSingleArm, type Experiment, type PanelContext } from "./arms.js"
import { humanEffectFor, loadHumanEffects, loadUnavailableEffects, unavailableFor, type HumanEffect, type UnavailableHumanEffect } from "./human.js"

/** Resamples behind every effect interval, and relabellings behind every permutation p. */
export const EFFECT_ITERATIONS = 2000
export const EFFECT_PERMUTATIONS = 2000

export interface Interval {
  readonly level: number
  readonly lower: number | null
  readonly upper: number | null
}

export interface ConditionEffect {
  readonly condition: string
  /** Pairs (within) or agents in both arms together (between). */
  readonly n: number
  readonly effect: number | null
  readonly ci: Interval
  readonly se: number | null
}

export interface OutcomeEffect {
  /** The subscale (questionnaire) or decision (game) measured. */
  readonly outcome: string
  readonly kind: "subscale" | "decision"
  readonly control: string
  readonly treatment: string
  /** Paired when the experiment is `within`. */
  readonly paired: boolean
  readonly means: { readonly control: number | null; readonly treatment: number | null }
  /** treatment − control on the outcome's own scale. */
  readonly effect: number | null
  readonly ci: Interval
  /** Two-sided permutation p (sign flips when paired, label shuffles within conditions when between). */
  readonly p: number | null
  /** Benjamini–Hochberg across every outcome of the run's experiments. */
  readonly pAdjusted: number | null
  readonly se: number | null
  readonly n: number
  readonly byCondition: ReadonlyArray<ConditionEffect>
  /** Does the effect differ between value conditions? Cochran's Q over the per-condition effects. */
  readonly interaction: { readonly test: "cochran-q"; readonly q: number | null; readonly df: number; readonly p: number | null }
  /** The human effect of the same experiment, outcome and contrast (human-baselines/experiments/), when shipped. */
  readonly human?: HumanEffect
  /** The human effect this contrast would be compared with, listed as unavailable (could not be verified), and why. */
  readonly humanUnavailable?: UnavailableHumanEffect
}

/** A game experiment's mean decision per round, arm by arm (null where an arm has no such decision that round). */
export interface RoundMeans {
  readonly decision: string
  readonly round: number
  readonly means: Readonly<Record<string, number | null>>
  /** Decisions made, per arm. */
  readonly n: Readonly<Record<string, number>>
}

export interface ExperimentAnalysis {
  readonly id: string
  readonly studyStep: number
  readonly assignment: "within" | "between"
  readonly control: string
  /** Each arm: its run step, the agents it was assigned and how many have an outcome recorded, per condition too. */
  readonly arms: ReadonlyArray<{ readonly name: string; readonly step: number; readonly agents: number; readonly byCondition: Readonly<Record<string, number>> }>
  readonly outcomes: ReadonlyArray<OutcomeEffect>
  /** A game of more than one round: each decision's mean per round and arm (contributions, punishment points). */
  readonly byRound?: ReadonlyArray<RoundMeans>
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null)

/** Each agent's value of every outcome of one run step (agent id → value), and the outcomes in order. */
export const outcomesOf = (db: RunDb, spec: RunSpec, step: number): { kind: "subscale" | "decision"; values: Map<string, Map<number, number>> } => {
  const s = spec.steps[step]!
  const values = new Map<string, Map<number, number>>()
  if (s.kind === "questionnaire") {
    const scores = readStepScores(db, s.questionnaire, step)
    scores.subscales.forEach((sub, j) => {
      const m = new Map<number, number>()
      for (let r = 0; r < scores.rows; r++) if (Number.isFinite(scores.raw[j]![r]!)) m.set(scores.agentIds[r]!, scores.raw[j]![r]!)
      values.set(sub, m)
    })
    return { kind: "subscale", values }
  }
  for (const row of readMoveMeans(db, step)) {
    let m = values.get(row.decision)
    if (m === undefined) values.set(row.decision, (m = new Map()))
    m.set(row.agent_id, row.mean)
  }
  return { kind: "decision", values }
}

const interval = (e: EffectEstimate, level: number): Interval => ({ level, lower: num(e.ci.lower), upper: num(e.ci.upper) })

/** One contrast (treatment against control) of one outcome, before the BH adjustment. */
const contrast = (
  seed: number,
  e: Experiment,
  outcome: string,
  kind: "subscale" | "decision",
  control: { name: string; values: Map<number, number> },
  treatment: { name: string; values: Map<number, number> },
  conditionOf: Int32Array,
  conditionNames: ReadonlyArray<string>,
  level: number
): Omit<OutcomeEffect, "pAdjusted"> => {
  const paired = e.assignment === "within"
  const rng = stream(seed, "experiment", e.studyStep, outcome, treatment.name)
  const opts = { iterations: EFFECT_ITERATIONS, permutations: EFFECT_PERMUTATIONS, level, rng }
  const estimate = (agentsOk: (agent: number) => boolean): EffectEstimate => {
    if (paired) {
      const c: Array<number> = []
      const t: Array<number> = []
      for (const [agent, v] of control.values) {
        const w = treatment.values.get(agent)
        if (w === undefined || !agentsOk(agent)) continue
        c.push(v)
        t.push(w)
      }
      return pairedEffect(c, t, opts)
    }
    const side = (m: Map<number, number>) => {
      const xs: Array<number> = []
      const strata: Array<number> = []
      for (const [agent, v] of m) {
        if (!agentsOk(agent)) continue
        xs.push(v)
        strata.push(conditionOf[agent] ?? 0)
      }
      return { xs, strata }
    }
    const c = side(control.values)
    const t = side(treatment.values)
    return betweenEffect(c.xs, t.xs, opts, { control: c.strata, treatment: t.strata })
  }
  const all = estimate(() => true)
  const byCondition = conditionNames.map((condition, ci): ConditionEffect => {
    const e = estimate((agent) => conditionOf[agent] === ci)
    return { condition, n: e.n, effect: num(e.effect), ci: interval(e, level), se: num(e.se) }
  }).filter((c) => c.n > 0)
  const het = cochranQ(byCondition.map((c) => c.effect ?? NaN), byCondition.map((c) => c.se ?? NaN))
  return {
    outcome,
    kind,
    control: control.name,
    treatment: treatment.name,
    paired,
    means: { control: num(mean([...control.values.values()])), treatment: num(mean([...treatment.values.values()])) },
    effect: num(all.effect),
    ci: interval(all, level),
    p: num(all.p),
    se: num(all.se),
    n: all.n,
    byCondition,
    interaction: { test: "cochran-q", q: num(het.q), df: het.df, p: num(het.p) }
  }
}

/** A repeated game experiment's decisions per round and arm; null for questionnaires and one-round games. */
const roundsByArm = (db: RunDb, spec: RunSpec, e: Experiment): Array<RoundMeans> | null => {
  const first = spec.steps[e.arms[0]!.step]!
  if (first.kind !== "game") return null
  const cells = new Map<string, { decision: string; round: number; means: Record<string, number | null>; n: Record<string, number> }>()
  let rounds = 0
  for (const a of e.arms) {
    for (const r of readRoundMeans(db, a.step)) {
      rounds = Math.max(rounds, r.round)
      const key = `${r.decision}|${r.round}`
      let cell = cells.get(key)
      if (cell === undefined) {
        cell = { decision: r.decision, round: r.round, means: Object.fromEntries(e.arms.map((x) => [x.name, null])), n: Object.fromEntries(e.arms.map((x) => [x.name, 0])) }
        cells.set(key, cell)
      }
      cell.means[a.name] = r.mean
      cell.n[a.name] = r.n
    }
  }
  if (rounds < 2) return null
  return [...cells.values()].sort((x, y) => (x.decision === y.decision ? x.round - y.round : x.decision < y.decision ? -1 : 1))
}

/** Every experiment of the run with its effects; [] for a run without arms (and runs made before arms). */
export const analyseExperiments = (db: RunDb, spec: RunSpec, level = 0.95): Array<ExperimentAnalysis> => {
  // A branch's `--arm` leaves experiments of one arm: nothing to contrast (its report pairs it with the parent).
  const experiments = (spec.experiments ?? []).filter((e) => !isSingleArm(e))
  if (experiments.length === 0) return []
  const conditionOf = readAgentConditions(db)
  const conditionNames = readConditions(db).map((c) => c.condition)
  const raw = experiments.map((e) => {
    const perArm = e.arms.map((a) => ({ name: a.name, step: a.step, ...outcomesOf(db, spec, a.step) }))
    const control = perArm.find((a) => a.name === e.control)!
    const outcomes = [...control.values.keys()].flatMap((outcome) =>
      perArm
        .filter((a) => a !== control)
        .map((t) =>
          contrast(spec.seed, e, outcome, control.kind, { name: control.name, values: control.values.get(outcome)! }, { name: t.name, values: t.values.get(outcome) ?? new Map() }, conditionOf, conditionNames, level)
        )
    )
    const arms = perArm.map((a) => {
      const agents = new Set<number>()
      for (const m of a.values.values()) for (const agent of m.keys()) agents.add(agent)
      const byCondition: Record<string, number> = {}
      for (const agent of agents) {
        const c = conditionNames[conditionOf[agent] ?? 0] ?? "?"
        byCondition[c] = (byCondition[c] ?? 0) + 1
      }
      return { name: a.name, step: a.step, agents: agents.size, byCondition }
    })
    return { e, arms, outcomes, byRound: roundsByArm(db, spec, e) }
  })
  const adjusted = benjaminiHochberg(raw.flatMap((r) => r.outcomes.map((o) => o.p ?? NaN)))
  const humans = loadHumanEffects()
  const unavailable = loadUnavailableEffects()
  let k = 0
  return raw.map(({ e, arms, outcomes, byRound }) => ({
    id: e.id,
    studyStep: e.studyStep,
    assignment: e.assignment,
    control: e.control,
    arms,
    outcomes: outcomes.map((o) => {
      const human = humanEffectFor(humans, e.id, o.outcome, o.control, o.treatment)
      const missing = human === undefined ? unavailableFor(unavailable, e.id, o.outcome, o.control, o.treatment) : undefined
      return { ...o, pAdjusted: num(adjusted[k++]!), ...(human === undefined ? {} : { human }), ...(missing === undefined ? {} : { humanUnavailable: missing }) }
    }),
    ...(byRound === null ? {} : { byRound })
  }))
}

/** How the agents' own answers moved between the two askings of a panel. */
export interface PerAgentChange {
  /** Standard deviation of the per-agent changes. */
  readonly sd: number | null
  /** Agents whose outcome went up, down, or stayed the same. */
  readonly up: number
  readonly down: number
  readonly same: number
}

export interface PanelAnalysis {
  readonly id: string
  readonly pre: number
  readonly post: number
  readonly context: PanelContext
  /** Per outcome: the change post − pre (effect, ci, p, pAdjusted, byCondition, interaction) and per agent. */
  readonly outcomes: ReadonlyArray<OutcomeEffect & { readonly perAgent: PerAgentChange }>
}

/**
 * Every pre/post panel of the run: per subscale, the change of each agent between the first and the repeated
 * asking, summarised overall (paired, with CI and p; BH across the panels' outcomes), per value condition, and
 * per agent (how many moved up or down). [] for a run without panels.
 */
export const analysePanels = (db: RunDb, spec: RunSpec, level = 0.95): Array<PanelAnalysis> => {
  const panels = spec.panels ?? []
  if (panels.length === 0) return []
  const conditionOf = readAgentConditions(db)
  const conditionNames = readConditions(db).map((c) => c.condition)
  const raw = panels.map((panel) => {
    const pre = outcomesOf(db, spec, panel.pre)
    const post = outcomesOf(db, spec, panel.post)
    const asExperiment: Experiment = { id: panel.id, studyStep: panel.post, assignment: "within", control: "pre", arms: [] }
    const outcomes = [...pre.values.keys()].map((outcome) => {
      const before = pre.values.get(outcome)!
      const after = post.values.get(outcome) ?? new Map<number, number>()
      const changes: Array<number> = []
      for (const [agent, v] of before) {
        const w = after.get(agent)
        if (w !== undefined) changes.push(w - v)
      }
      const m = mean(changes)
      const sd = changes.length < 2 ? NaN : Math.sqrt(changes.reduce((a, d) => a + (d - m) ** 2, 0) / (changes.length - 1))
      const perAgent: PerAgentChange = {
        sd: num(sd),
        up: changes.filter((d) => d > 0).length,
        down: changes.filter((d) => d < 0).length,
        same: changes.filter((d) => d === 0).length
      }
      return { ...contrast(spec.seed, asExperiment, outcome, pre.kind, { name: "pre", values: before }, { name: "post", values: after }, conditionOf, conditionNames, level), perAgent }
    })
    return { panel, outcomes }
  })
  const adjusted = benjaminiHochberg(raw.flatMap((r) => r.outcomes.map((o) => o.p ?? NaN)))
  let k = 0
  return raw.map(({ panel, outcomes }) => ({ ...panel, outcomes: outcomes.map((o) => ({ ...o, pAdjusted: num(adjusted[k++]!) })) }))
}
