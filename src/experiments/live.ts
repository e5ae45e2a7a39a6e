/**
 * The dashboard's experiment lines (issue 24, item 3): while a run goes, each experiment's arms side by side — per
 * outcome every arm's mean so far and the current difference of each treatment arm from the control, with a
 * normal-approximation 95% interval (src/stats/effects.ts `normalEffect`: paired by agent when `within`, Welch
 * between agents). The report's bootstrap interval and permutation p come after the run; these are the cheap
 * estimate, recomputed only when new answers of an arm arrived and at most as often as the dashboard's statistics.
 *
 * Fed by the writer's observer in the run's thread: a questionnaire arm's pages are scored per agent (subscale
 * means, reverse keying applied, as the report scores them), a game arm's matches give each agent's mean decision.
 * Only the first model's agents (ids below `agents`) are followed, as the other live statistics.
 */
import { scoringKey } from "../analysis/scores.js"
import type { RunSpec } from "../config/RunSpec.js"
import { normalEffect } from "../stats/effects.js"
import { respondentScorer } from "../stats/mrat.js"
import type { WriteOp } from "../store/RunStore.js"
import { isSingleArm } from "./arms.js"

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–")
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(2)}` : "–")

export const makeExperimentPanel = (spec: RunSpec, agents: number) => {
  const experiments = (spec.experiments ?? []).filter((e) => !isSingleArm(e))
  /** Per arm step: each outcome's value per agent (NaN: none yet), in the order the outcomes were first seen. */
  const values = new Map<number, Map<string, Float64Array>>()
  const scorers = new Map<number, (answers: ArrayLike<number>) => Map<string, number>>()
  for (const e of experiments) {
    for (const a of e.arms) {
      values.set(a.step, new Map())
      const s = spec.steps[a.step]!
      if (s.kind !== "questionnaire") continue
      const key = scoringKey(s.questionnaire)
      const score = respondentScorer(key.keys, key.subscales.length, key.min, key.max)
      const raw = key.subscales.map(() => new Float64Array(1))
      const centered = key.subscales.map(() => new Float64Array(1))
      scorers.set(a.step, (answers) => {
        score(answers, 0, raw, centered, 0)
        return new Map(key.subscales.map((sub, j) => [sub, raw[j]![0]!]))
      })
    }
  }
  const column = (step: number, outcome: string): Float64Array => {
    const m = values.get(step)!
    let c = m.get(outcome)
    if (c === undefined) m.set(outcome, (c = new Float64Array(agents).fill(NaN)))
    return c
  }
  let dirty = true
  let cached: Array<string> | null = null

  const observe = (op: WriteOp): void => {
    if (op._tag === "AnswerPage") {
      const scoreOf = scorers.get(op.step)
      if (scoreOf === undefined) return
      for (let a = 0; a < op.agentIds.length; a++) {
        const id = op.agentIds[a]!
        if (id >= agents || op.failed?.[a] === 1) continue
        for (const [sub, v] of scoreOf(op.values.subarray(a * op.items, (a + 1) * op.items))) column(op.step, sub)[id] = v
      }
      dirty = true
    } else if (op._tag === "Match") {
      if (!values.has(op.step) || op.failed) return
      const sums = new Map<string, { s: number; n: number }>()
      for (const mv of op.moves) {
        if (mv.value === null || mv.agentId >= agents) continue
        const k = `${mv.agentId}|${mv.decision}`
        const t = sums.get(k) ?? { s: 0, n: 0 }
        t.s += mv.value
        t.n++
        sums.set(k, t)
      }
      for (const [k, t] of sums) {
        const at = k.indexOf("|")
        column(op.step, k.slice(at + 1))[Number(k.slice(0, at))] = t.s / t.n
      }
      dirty = true
    }
  }

  const compute = (): Array<string> => {
    const out: Array<string> = []
    for (const e of experiments) {
      const paired = e.assignment === "within"
      const control = e.arms.find((a) => a.name === e.control)!
      const treatments = e.arms.filter((a) => a !== control)
      out.push(`experiment ${e.id} (${paired ? "within agents, paired" : "between agents"}): arm means so far │ treatment − ${e.control}, live 95% CI (normal approx.)`)
      const outcomes = [...values.get(control.step)!.keys()]
      if (outcomes.length === 0) {
        out.push("  waiting for the first answers of the control arm")
        continue
      }
      const width = Math.max(...outcomes.map((o) => o.length))
      for (const outcome of outcomes) {
        const c = values.get(control.step)!.get(outcome)!
        const answered = (x: Float64Array) => x.filter((v) => !Number.isNaN(v))
        const means = e.arms.map((a) => {
          const col = values.get(a.step)!.get(outcome)
          const xs = col === undefined ? new Float64Array(0) : answered(col)
          return `${a.name} ${xs.length === 0 ? "–" : f2(xs.reduce((s, v) => s + v, 0) / xs.length)} (n ${xs.length})`
        })
        const diffs = treatments.map((t) => {
          const col = values.get(t.step)!.get(outcome)
          if (col === undefined) return `${t.name} − ${e.control} –`
          let est
          if (paired) {
            const x: Array<number> = []
            const y: Array<number> = []
            for (let i = 0; i < agents; i++) {
              if (Number.isNaN(c[i]!) || Number.isNaN(col[i]!)) continue
              x.push(c[i]!)
              y.push(col[i]!)
            }
            est = normalEffect(x, y, true)
          } else est = normalEffect(answered(c), answered(col), false)
          const ci = Number.isFinite(est.se) ? ` [${signed(est.lower)}, ${signed(est.upper)}]` : " [CI needs 2+]"
          return `${t.name} − ${e.control} ${signed(est.effect)}${ci}${paired ? ` (${est.n} pairs)` : ""}`
        })
        out.push(`  ${outcome.padEnd(width)}  ${means.join("  ")}  │ ${diffs.join("  ")}`)
      }
    }
    return out
  }

  /** The lines as of the answers observed so far; null for a run without experiments. */
  const lines = (): Array<string> | null => {
    if (experiments.length === 0) return null
    if (dirty || cached === null) {
      cached = compute()
      dirty = false
    }
    return cached
  }
  return { observe, lines }
}
