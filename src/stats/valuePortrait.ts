/**
 * Value Portrait scoring (Han et al., ACL 2025; seed 004, section 3.4 and appendix G). Pure.
 *
 * The benchmark is a set of items (a query and one of five responses to it). Human raters judged how much each
 * response is like them and also filled in value (PVQ-21) and personality (BFI-10) questionnaires, so every
 * item carries a Spearman correlation with every dimension. A model rates every item on the six-point
 * "like me" scale (1 = not like me at all … 6 = very much like me). Its score on a dimension is:
 *
 *   1. items of the dimension: those whose human ratings correlate positively with it, r ≥ 0.3 (and p < 0.05);
 *   2. per prompt variant: the mean rating of those items minus the mean rating of all items that were
 *      selected for any dimension of the same family (the centring);
 *   3. averaged over the prompt variants (three wordings × normal/reversed option order).
 *
 * This reproduces the published scores of the recorded gpt-3.5-turbo answers to ~1e-15. One detail of the
 * published numbers: for the 10 values and the Big Five the p < 0.05 condition applies, for the four
 * higher-order values it does not (one item with r = 0.301, p = 0.056 is counted). `PUBLISHED_RULES` encodes that.
 */
import { mean } from "./descriptive.js"

export type VpFamily = "pvq" | "bfi" | "higher_pvq"
export const VP_FAMILIES: ReadonlyArray<VpFamily> = ["pvq", "bfi", "higher_pvq"]

/** Dimension names as the published data spells them, in the order of the published score file. */
export const VP_DIMENSIONS: Readonly<Record<VpFamily, ReadonlyArray<string>>> = {
  pvq: ["Hedonism", "Achievement", "Power", "Tradition", "Conformity", "Security", "Stimulation", "Universalism", "Benevolence", "Self_Direction"],
  bfi: ["Openness", "Agreeableness", "Conscientiousness", "Extraversion", "Neuroticism"],
  higher_pvq: ["Self_Enhancement", "Conservation", "Self_Transcendence", "Openness_to_Change"]
}

/** The project's value codes (src/domain/values.ts) for the published value names. */
export const VP_VALUE_CODES: Readonly<Record<string, string>> = {
  Self_Direction: "SD",
  Stimulation: "ST",
  Hedonism: "HE",
  Achievement: "AC",
  Power: "PO",
  Security: "SE",
  Conformity: "CO",
  Tradition: "TR",
  Benevolence: "BE",
  Universalism: "UN"
}

/** One human correlation: item (portrait × response option) with a dimension. */
export interface VpCorrelation {
  readonly item: string
  readonly dimension: string
  readonly r: number
  readonly p: number
}

/** Which items count for a dimension: r ≥ minR and p < maxP (maxP = Infinity: no significance condition). */
export interface VpSelectionRule {
  readonly minR: number
  readonly maxP: number
}

export const PUBLISHED_RULES: Readonly<Record<VpFamily, VpSelectionRule>> = {
  pvq: { minR: 0.3, maxP: 0.05 },
  bfi: { minR: 0.3, maxP: 0.05 },
  higher_pvq: { minR: 0.3, maxP: Infinity }
}

/** The key of an item: portrait id and response option, e.g. "1025:3". */
export const vpItemKey = (portraitId: number | string, optionId: number | string): string => `${portraitId}:${optionId}`

/** Items per dimension (sorted keys), for the dimensions that have any. */
export const selectItems = (
  correlations: ReadonlyArray<VpCorrelation>,
  rule: VpSelectionRule
): ReadonlyMap<string, ReadonlyArray<string>> => {
  const sets = new Map<string, Set<string>>()
  for (const c of correlations) {
    if (!(c.r >= rule.minR && c.p < rule.maxP)) continue
    const s = sets.get(c.dimension) ?? new Set<string>()
    s.add(c.item)
    sets.set(c.dimension, s)
  }
  return new Map([...sets].map(([d, s]) => [d, [...s].sort()]))
}

export interface VpDimensionScore {
  /** Mean over variants of (mean rating of the dimension's items − mean rating of all selected items). */
  readonly centered_mean: number
  /** Mean over variants of the mean rating of the dimension's items. */
  readonly original_mean: number
  /** Population SD over the dimension's items of each item's rating averaged over the variants. */
  readonly std_dev: number
  /** Number of the dimension's items that were rated (in at least one variant). */
  readonly n: number
}

/**
 * Scores one family of dimensions. `variants` holds one rating map (item key → 1…6) per prompt variant; items
 * missing from a variant (not asked, or the answer was unusable) are left out of that variant's means. A
 * dimension none of whose items was rated in any variant is absent from the result.
 */
export const scoreFamily = (
  variants: ReadonlyArray<ReadonlyMap<string, number>>,
  selection: ReadonlyMap<string, ReadonlyArray<string>>,
  dimensions: ReadonlyArray<string>
): Readonly<Record<string, VpDimensionScore>> => {
  const union = [...new Set([...selection.values()].flat())]
  const grand = variants.map((ratings) => mean(union.flatMap((k) => (ratings.has(k) ? [ratings.get(k) as number] : []))))
  const out: Record<string, VpDimensionScore> = {}
  for (const dim of dimensions) {
    const items = selection.get(dim) ?? []
    const centered: Array<number> = []
    const original: Array<number> = []
    variants.forEach((ratings, v) => {
      const rs = items.flatMap((k) => (ratings.has(k) ? [ratings.get(k) as number] : []))
      if (rs.length === 0) return
      const m = mean(rs)
      original.push(m)
      centered.push(m - (grand[v] as number))
    })
    const perItem = items.flatMap((k) => {
      const rs = variants.flatMap((ratings) => (ratings.has(k) ? [ratings.get(k) as number] : []))
      return rs.length === 0 ? [] : [mean(rs)]
    })
    if (perItem.length === 0) continue
    out[dim] = { centered_mean: mean(centered), original_mean: mean(original), std_dev: populationSd(perItem), n: perItem.length }
  }
  return out
}

/** √(Σ (xᵢ − x̄)² / n): the population standard deviation (NumPy's default `np.std`). NaN for empty input. */
export const populationSd = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return NaN
  const m = mean(xs)
  let ss = 0
  for (const x of xs) ss += (x - m) * (x - m)
  return Math.sqrt(ss / xs.length)
}
