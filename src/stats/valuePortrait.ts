/**
 * Value Portrait scoring (Han et al., ACL 2025; seed 004, section 3.4 and appendix G). Pure.
 *
 * The benchmark is a set of items (a query and one of five responses to it). Human raters judged how much each
 * response is like them and also filled in value (PVQ-21) and personality (BFI-10) questionnaires, so every
 * item carries a Spearman correlation with every dimension. A model rates every item on the six-point
 * "like me" scale (1 = not like me at all … 6 = very much like me). Its score on a dimension is:
 *
 *   1. items of the dimension: those whose human ratings correlate positively with it, r ≥ 0.3 (and p < 0.05);
 *   2. each item's rating is averaged over the prompt variants (three wordings × normal/reversed option order)
 *      that rated it: an answer that could not be read leaves that variant out of the item's average;
 *   3. the mean of those averages over the dimension's items, minus the mean over all items selected for any
 *      dimension of the same family (the centring).
 *
 * This reproduces the published scores of the three recorded dev models (gpt-3.5-turbo without unreadable
 * answers; claude-3-5-haiku-20241022 with 23 and gemini-flash-1.5-8b with 22) to ~1e-14. Details of the
 * published pipeline (read, not copied) that these numbers depend on:
 *   - it averages first and scores once (step 2 before 3); scoring each variant and averaging the scores
 *     differs by up to 0.064 on the models with unreadable answers;
 *   - for the 10 values and the Big Five only significant correlations (p < 0.05) count, for the four
 *     higher-order values any r above the bound does (one item with r = 0.301, p = 0.056 is counted);
 *     `PUBLISHED_RULES` encodes that. (The published scorer writes the p bound as three hard-coded exclusions
 *     of item × dimension pairs with r just above 0.3 and p just above 0.05; the rule gives the same set.)
 *   - the published averager takes an item's metadata (its correlations with each family) from the item's
 *     first record in the result files sorted by path (`_v1_results.json` before `_v1_reversed_results.json`),
 *     and the scorer counts the item for a family only when that record carries the family's correlations.
 *     Some clients write an unreadable answer as an error record without correlations; such an item is then
 *     left out of that family's scores even when other variants rated it. `VpItemRule` "published" (the
 *     default) reproduces this with `withoutItems`; "dataset" takes every item's correlations from the data
 *     folder (valuesim's earlier rule; it counts those items). The selection itself comes from the data folder
 *     under both rules: where the records carry correlations they are the item's own.
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

/**
 * Where an item's metadata come from: "published" — the item's first record in the result files sorted by path
 * (an item whose first record lacks a family's correlations is left out of that family, as in the published
 * pipeline); "dataset" — the data folder's correlation files for every item.
 */
export type VpItemRule = "published" | "dataset"
export const VP_ITEM_RULES: ReadonlyArray<VpItemRule> = ["published", "dataset"]

/** The selection without the given items (dimensions left with no item are dropped). */
export const withoutItems = (
  selection: ReadonlyMap<string, ReadonlyArray<string>>,
  excluded: ReadonlySet<string>
): ReadonlyMap<string, ReadonlyArray<string>> => {
  if (excluded.size === 0) return selection
  const out = new Map<string, ReadonlyArray<string>>()
  for (const [d, items] of selection) {
    const kept = items.filter((k) => !excluded.has(k))
    if (kept.length > 0) out.set(d, kept)
  }
  return out
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
  /** Mean rating of the dimension's items minus the mean rating of all items selected for any dimension of the family. */
  readonly centered_mean: number
  /** Mean rating of the dimension's items. */
  readonly original_mean: number
  /** Population SD of the dimension's item ratings. */
  readonly std_dev: number
  /** Number of the dimension's items that were rated (in at least one variant). */
  readonly n: number
}

/**
 * Each item's rating averaged over the prompt variants that rated it. An item a variant did not rate (not asked,
 * or its answer could not be read) is averaged over the others; an item no variant rated is absent.
 */
export const averageOverVariants = (variants: ReadonlyArray<ReadonlyMap<string, number>>): ReadonlyMap<string, number> => {
  const sums = new Map<string, { sum: number; n: number }>()
  for (const ratings of variants)
    for (const [k, v] of ratings) {
      const acc = sums.get(k) ?? { sum: 0, n: 0 }
      acc.sum += v
      acc.n += 1
      sums.set(k, acc)
    }
  return new Map([...sums].map(([k, { sum, n }]) => [k, sum / n]))
}

/**
 * Scores one family of dimensions. `variants` holds one rating map (item key → 1…6) per prompt variant. As in
 * the published pipeline, the ratings are first averaged per item over the variants that rated it
 * (`averageOverVariants`), and those averages are scored once: a dimension's score is the mean of its items'
 * averages, centred on the mean average of every item selected for any dimension of the family (each item
 * counted once). Scoring each variant and averaging the scores gives the same numbers only when every variant
 * rated every item. A dimension none of whose items was rated is absent from the result.
 */
export const scoreFamily = (
  variants: ReadonlyArray<ReadonlyMap<string, number>>,
  selection: ReadonlyMap<string, ReadonlyArray<string>>,
  dimensions: ReadonlyArray<string>
): Readonly<Record<string, VpDimensionScore>> => {
  const avg = averageOverVariants(variants)
  const rated = (items: ReadonlyArray<string>) => items.flatMap((k) => (avg.has(k) ? [avg.get(k) as number] : []))
  const union = [...new Set([...selection.values()].flat())]
  const grand = mean(rated(union))
  const out: Record<string, VpDimensionScore> = {}
  for (const dim of dimensions) {
    const rs = rated(selection.get(dim) ?? [])
    if (rs.length === 0) continue
    const m = mean(rs)
    out[dim] = { centered_mean: m - grand, original_mean: m, std_dev: populationSd(rs), n: rs.length }
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
