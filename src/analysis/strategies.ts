/**
 * The population-strategy comparison of paper 000 Table 1: from pools of agents run under each value prompt
 * (and unprimed), compose populations by the Uniform, H-Norm, H-Even, H-NP and Model-Specific strategies and
 * score each population's value structure against human ones. As in the paper (temperature 0.7, each prompt
 * repeated, populations formed by weighting the prompts' responses), a population is a weighted resample of the
 * pools: every bootstrap resample draws each respondent's condition from the strategy's weights and then a
 * respondent of that condition's pool, uniformly with replacement. No I/O.
 */
import type { Value10 } from "../domain/values.js"
import { VALUES_10 } from "../domain/values.js"
import type { ConditionWeight, DominantShares } from "../sampling/population.js"
import { modelSpecificWeights, STRATEGIES, strategyWeights, valueCondition } from "../sampling/population.js"
import type { Rng } from "../sampling/rng.js"
import { categorical, stream } from "../sampling/rng.js"
import { correlationMatrix } from "../stats/correlation.js"
import { benjaminiHochberg } from "../stats/inference.js"
import { DEFAULT_MDS_METHOD, mapFromCorrelation, type MdsMethod } from "../stats/mds.js"
import type { BootstrapSettings, ChanceLevel } from "./alignment.js"
import { humanCeiling, type HumanCeiling, type HumanSample } from "./ceiling.js"
import { chanceLevel, DEFAULT_PERMUTATIONS, num, resampleSize, summarizeBootstrap, svOf, svToMap } from "./alignment.js"
import type { BaselineRef, BootstrapSummary } from "./Report.js"

export const COMPARED_STRATEGIES = [...STRATEGIES, "model-specific"] as const
export type ComparedStrategy = (typeof COMPARED_STRATEGIES)[number]

export interface HumanStructure {
  readonly ref: BaselineRef
  /** In the pool's value order. */
  readonly matrix: ReadonlyArray<ReadonlyArray<number>>
}

export interface Pools {
  /** Centered value scores, one column per value in VALUES_10 order, rows = respondents. */
  readonly columns: ReadonlyArray<Float64Array>
  /** Row indices per condition id (`value:SD`, …, `none`). */
  readonly byCondition: ReadonlyMap<string, ReadonlyArray<number>>
}

export interface StrategyCell {
  readonly baseline: BaselineRef
  readonly weights: ReadonlyArray<ConditionWeight>
  /** Model-Specific only: the S_V of each value's own pool with this baseline, from which the weights come. */
  readonly valueSimilarity: Readonly<Record<string, number | null>> | null
  readonly bootstrap: BootstrapSummary
  /**
   * S_V of the composed population's structure: C⁽ⱽ⁾ over every resampled row of the bootstrap together
   * (iterations × sample size draws from the strategy's mixture), against the baseline.
   */
  readonly sv: number | null
  /** Its chance level (the population's value labels permuted); `pAdjusted` is BH over the table's cells, and the stars follow it. */
  readonly null: ChanceLevel | null
  /** The human ceiling: S_V of the baseline with the other given human structures of its instrument family, and `sv`'s position between chance and it. */
  readonly ceiling: HumanCeiling
}

export interface StrategyRow {
  readonly strategy: ComparedStrategy
  readonly cells: ReadonlyArray<StrategyCell>
}

/**
 * One resample of a composed population: `size` rows, each drawn by picking a condition from the weights and
 * then a respondent of that condition's pool uniformly with replacement (two `rng()`-based draws per row, in
 * that order). Shared by the strategy comparison and the robustness checks, so both resample alike.
 */
export const composedResample = (
  byCondition: ReadonlyMap<string, ReadonlyArray<number>>,
  weights: ReadonlyArray<ConditionWeight>,
  size: number,
  rng: Rng
): Int32Array => {
  const probs = weights.map((w) => w.weight)
  const rows = weights.map((w) => byCondition.get(w.condition) ?? [])
  const out = new Int32Array(size)
  for (let i = 0; i < size; i++) {
    const pool = rows[categorical(probs, rng)]!
    const j = Math.min(pool.length - 1, Math.floor(rng() * pool.length))
    out[i] = pool[j]!
  }
  return out
}

/** The columns restricted to the given rows, in that order. */
export const pickRows = (columns: ReadonlyArray<Float64Array>, rows: Int32Array): Array<Float64Array> =>
  columns.map((c) => Float64Array.from(rows, (r) => c[r]!))

/** One composed population's S_V on a bootstrap resample (against the human map, made once by `method`), and the rows drawn. */
const resampleSv = (pools: Pools, weights: ReadonlyArray<ConditionWeight>, humanMap: ReadonlyArray<ReadonlyArray<number>>, size: number, rng: Rng, method: MdsMethod) => {
  const rows = composedResample(pools.byCondition, weights, size, rng)
  return { sv: svToMap(humanMap, correlationMatrix(pickRows(pools.columns, rows)), method), rows }
}

/** S_V of the agents prompted with each value alone (paper 000 appendix E). */
export const perValueSimilarity = (pools: Pools, human: ReadonlyArray<ReadonlyArray<number>>, method: MdsMethod = DEFAULT_MDS_METHOD): Record<Value10, number> => {
  const out = {} as Record<Value10, number>
  for (const v of VALUES_10) {
    const rows = pools.byCondition.get(valueCondition(v)) ?? []
    const cols = pools.columns.map((c) => Float64Array.from(rows, (r) => c[r]!))
    out[v] = rows.length > 2 ? svOf(human, correlationMatrix(cols), method) : NaN
  }
  return out
}

/**
 * Scores every strategy against every human structure. Conditions a strategy weights but the pools lack are an
 * error (the caller ran the pools); the bootstrap streams are derived from `seed`, so the table is replayable.
 */
export const compareStrategies = (
  pools: Pools,
  humans: ReadonlyArray<HumanStructure>,
  shares: DominantShares,
  seed: number,
  settings: BootstrapSettings,
  method: MdsMethod = DEFAULT_MDS_METHOD,
  permutations: number = DEFAULT_PERMUTATIONS
): Array<StrategyRow> => {
  const size = resampleSize(pools.columns[0]?.length ?? 0, settings)
  const samples: Array<HumanSample> = humans.map((h) => ({ id: h.ref.id, instrument: h.ref.instrument, centered: true, labels: VALUES_10, matrix: h.matrix }))
  const humanMaps = humans.map((h) => mapFromCorrelation(h.matrix, method).coordinates)
  const rows: Array<StrategyRow> = COMPARED_STRATEGIES.map((strategy) => ({
    strategy,
    cells: humans.map((h, hi) => {
      let similarity: Record<Value10, number> | null = null
      let weights: Array<ConditionWeight>
      if (strategy === "model-specific") {
        similarity = perValueSimilarity(pools, h.matrix, method)
        weights = modelSpecificWeights(similarity)
      } else weights = strategyWeights(strategy, shares)
      const empty = weights.filter((w) => w.weight > 0 && (pools.byCondition.get(w.condition)?.length ?? 0) === 0)
      if (empty.length > 0) throw new Error(`strategy ${strategy} needs agents in ${empty.map((w) => w.condition).join(", ")}, which the run has none of`)
      const rng = stream(seed, "strategies", strategy, h.ref.id)
      const values = new Float64Array(settings.iterations)
      const drawn = new Int32Array(settings.iterations * size)
      for (let it = 0; it < settings.iterations; it++) {
        const r = resampleSv(pools, weights, humanMaps[hi]!, size, rng, method)
        values[it] = r.sv
        drawn.set(r.rows, it * size)
      }
      const population = correlationMatrix(pickRows(pools.columns, drawn))
      const sv = num(svToMap(humanMaps[hi]!, population, method))
      const chance =
        sv !== null && permutations > 0
          ? chanceLevel(h.matrix, population, sv, method, permutations, stream(seed, "strategies", "permutation-null", strategy, h.ref.id))
          : null
      return {
        baseline: h.ref,
        weights,
        valueSimilarity: similarity ? Object.fromEntries(VALUES_10.map((v) => [v, num(similarity![v])])) : null,
        bootstrap: summarizeBootstrap(values, settings, size),
        sv,
        null: chance,
        ceiling: humanCeiling(samples[hi]!, samples, VALUES_10, method, sv, chance?.mean ?? null)
      }
    })
  }))
  // Benjamini–Hochberg across the whole table: the chance-level p (what the stars show) and the paper's t-test p.
  const flat = rows.flatMap((r) => r.cells)
  const adjusted = benjaminiHochberg(flat.map((c) => c.bootstrap.p ?? NaN))
  const chances = benjaminiHochberg(flat.map((c) => c.null?.p ?? NaN))
  let k = 0
  return rows.map((r) => ({
    ...r,
    cells: r.cells.map((c) => {
      const i = k++
      return { ...c, bootstrap: { ...c.bootstrap, pAdjusted: num(adjusted[i]) }, null: c.null && { ...c.null, pAdjusted: num(chances[i]) } }
    })
  }))
}
