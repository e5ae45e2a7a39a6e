/**
 * The robustness checks the seed-001 referee asked for, on value structure: the same pool of agents answered
 * under the base value prompts, under paraphrased prompts and with the options in the opposite order, and the
 * study's population composed from the pools by weighted resampling (as `compare-strategies` does); a
 * distribution-only control composes a different population (e.g. Uniform) from the *base* pools, so prompts
 * and sampling stay fixed and only the condition shares change.
 *
 * Every variant is scored on the same bootstrap resamples (common random numbers: the same agents, since the
 * pool runs share seed and allocation), so each variant's S_V minus the base's S_V is a paired bootstrap
 * difference; its two-sided bootstrap p is Benjamini–Hochberg adjusted over the whole table. No I/O.
 */
import { VALUES_10 } from "../domain/values.js"
import type { ConditionWeight } from "../sampling/population.js"
import { stream } from "../sampling/rng.js"
import { correlationMatrix } from "../stats/correlation.js"
import { mean } from "../stats/descriptive.js"
import { benjaminiHochberg, bootstrapDifferenceP, percentileCi } from "../stats/inference.js"
import type { BootstrapSettings } from "./alignment.js"
import { hierarchySpearman, num, summarizeBootstrap, svOf } from "./alignment.js"
import type { BaselineRef, BootstrapSummary } from "./Report.js"
import type { HumanStructure } from "./strategies.js"
import { composedResample, pickRows } from "./strategies.js"

export interface RobustnessVariantInput {
  readonly name: string
  readonly description: string
  /** Centered value scores, VALUES_10 order; row r is the same agent in every variant. */
  readonly columns: ReadonlyArray<Float64Array>
  readonly weights: ReadonlyArray<ConditionWeight>
}

export interface RobustnessCell {
  readonly baseline: BaselineRef
  /** S_V on the bootstrap resamples (paper 000 appendix G): mean, CI, t-test against 0 (BH over the table's S_V tests). */
  readonly bootstrap: BootstrapSummary
  /** This variant's S_V minus the base's, on the same resamples; null for the base row. */
  readonly difference: {
    readonly mean: number | null
    readonly ci: { readonly level: number; readonly lower: number | null; readonly upper: number | null }
    /** Two-sided paired bootstrap p of a zero difference. */
    readonly p: number | null
    /** Benjamini–Hochberg adjusted across every difference in the table. */
    readonly pAdjusted: number | null
  } | null
}

export interface RobustnessRow {
  readonly variant: string
  readonly description: string
  readonly weights: ReadonlyArray<ConditionWeight>
  /** Population value hierarchy: weighted mean of the per-condition mean centered scores, VALUES_10 order. */
  readonly hierarchy: ReadonlyArray<number | null>
  /** Spearman ρ of this hierarchy with the base variant's. */
  readonly hierarchySpearmanVsBase: number | null
  readonly cells: ReadonlyArray<RobustnessCell>
}

/** The composed population's value hierarchy: Σ_c w_c · mean of condition c's pool, per value. */
export const composedHierarchy = (
  columns: ReadonlyArray<Float64Array>,
  byCondition: ReadonlyMap<string, ReadonlyArray<number>>,
  weights: ReadonlyArray<ConditionWeight>
): Array<number | null> =>
  columns.map((c) => {
    let s = 0
    let w = 0
    for (const cw of weights) {
      const rows = byCondition.get(cw.condition) ?? []
      if (cw.weight <= 0 || rows.length === 0) continue
      s += cw.weight * mean(Float64Array.from(rows, (r) => c[r]!))
      w += cw.weight
    }
    return w > 0 ? num(s / w) : null
  })

/**
 * Scores every variant (the first is the base) against every human structure. `byCondition` gives the rows of
 * each condition's pool (the same in every variant).
 */
export const robustnessTable = (
  variants: ReadonlyArray<RobustnessVariantInput>,
  byCondition: ReadonlyMap<string, ReadonlyArray<number>>,
  humans: ReadonlyArray<HumanStructure>,
  seed: number,
  settings: BootstrapSettings
): Array<RobustnessRow> => {
  if (variants.length === 0) return []
  const key = (ws: ReadonlyArray<ConditionWeight>) => JSON.stringify(ws.map((w) => [w.condition, w.weight]))
  // iterations[v][h] = S_V per resample.
  const iterations = variants.map(() => humans.map(() => new Float64Array(settings.iterations)))
  humans.forEach((h, hi) => {
    // One resample plan per distinct weighting, from the same stream start: variants with the base's weights
    // are scored on exactly the base's agents (paired); a differently weighted control gets its own draws.
    const plans = new Map<string, Array<Int32Array>>()
    variants.forEach((v, vi) => {
      const k = key(v.weights)
      let plan = plans.get(k)
      if (plan === undefined) {
        const rng = stream(seed, "robustness", h.ref.id)
        plan = Array.from({ length: settings.iterations }, () => composedResample(byCondition, v.weights, settings.sampleSize, rng))
        plans.set(k, plan)
      }
      plan.forEach((rows, it) => (iterations[vi]![hi]![it] = svOf(h.matrix, correlationMatrix(pickRows(v.columns, rows)))))
    })
  })
  const hierarchies = variants.map((v) => composedHierarchy(v.columns, byCondition, v.weights))
  const base = hierarchies[0]!
  const rows: Array<RobustnessRow> = variants.map((v, vi) => {
    const shared = VALUES_10.flatMap((_, i) => (base[i] !== null && hierarchies[vi]![i] !== null ? [i] : []))
    return {
      variant: v.name,
      description: v.description,
      weights: v.weights,
      hierarchy: hierarchies[vi]!,
      hierarchySpearmanVsBase: hierarchySpearman(shared.map((i) => base[i]!), shared.map((i) => hierarchies[vi]![i]!)),
      cells: humans.map((h, hi) => {
        const values = iterations[vi]![hi]!
        if (vi === 0) return { baseline: h.ref, bootstrap: summarizeBootstrap(values, settings), difference: null }
        const d = values.map((x, it) => x - iterations[0]![hi]![it]!)
        const ok = d.filter((x) => Number.isFinite(x))
        const ci = ok.length > 0 ? percentileCi(ok, settings.level) : { lower: NaN, upper: NaN }
        return {
          baseline: h.ref,
          bootstrap: summarizeBootstrap(values, settings),
          difference: {
            mean: num(mean(ok)),
            ci: { level: settings.level, lower: num(ci.lower), upper: num(ci.upper) },
            p: num(bootstrapDifferenceP(d)),
            pAdjusted: null
          }
        }
      })
    }
  })
  // Benjamini–Hochberg: once over the S_V-vs-0 tests, once over the differences from the base.
  const cells = rows.flatMap((r) => r.cells)
  const svAdjusted = benjaminiHochberg(cells.map((c) => c.bootstrap.p ?? NaN))
  const diffs = cells.filter((c) => c.difference !== null)
  const diffAdjusted = benjaminiHochberg(diffs.map((c) => c.difference!.p ?? NaN))
  let k = 0
  let j = 0
  return rows.map((r) => ({
    ...r,
    cells: r.cells.map((c) => ({
      ...c,
      bootstrap: { ...c.bootstrap, pAdjusted: num(svAdjusted[k++]) },
      difference: c.difference === null ? null : { ...c.difference, pAdjusted: num(diffAdjusted[j++]) }
    }))
  }))
}
