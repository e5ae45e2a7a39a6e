/**
 * Population composition strategies of paper 000 §5.2 (seeds/000_1c83bdc581a620a9.txt): how many agents of a
 * simulated population are value-prompted with each of the ten basic values, and how many are left unprimed.
 * Pure data transformation; the counts themselves come from `allocation.ts`.
 */
import type { Value10 } from "../domain/values.js"
import { VALUES_10 } from "../domain/values.js"
import { stream } from "./rng.js"

/** The composition strategies with a closed form (paper 000 §5.2); `model-specific` and `custom` live elsewhere. */
export const STRATEGIES = ["uniform", "h-norm", "h-even", "h-np"] as const

/**
 * - `uniform`: 10 % for each of the ten value prompts.
 * - `h-norm`: human dominant-value shares, the no-dominant class discarded and the ten shares renormalised.
 * - `h-even`: human dominant-value shares, the no-dominant share spread evenly over the ten values.
 * - `h-np`: human dominant-value shares, the no-dominant share simulated by unprimed agents (`none`).
 */
export type Strategy = (typeof STRATEGIES)[number]

/**
 * The share of a human sample whose single dominant value is each of the ten basic values, and the share with
 * no single dominant value (Witte et al., 2020 report up to 53 %). Proportions; they should sum to 1 but small
 * rounding differences are normalised away.
 */
export interface DominantShares {
  readonly shares: Readonly<Record<Value10, number>>
  readonly noDominant: number
}

/** One condition of a population and its weight in the composition (weights of a strategy sum to 1). */
export interface ConditionWeight {
  readonly condition: string
  readonly weight: number
}

/** The condition id of an unprimed agent. */
export const NONE_CONDITION = "none"

/**
 * The condition id of an agent value-prompted with `value`: `"value:<code>"`.
 *
 * @example
 * valueCondition("BE") // "value:BE"
 */
export const valueCondition = (value: Value10): string => `value:${value}`

const checkShares = (strategy: Strategy, shares: DominantShares | undefined): DominantShares => {
  if (shares === undefined) {
    throw new Error(
      `strategy "${strategy}" needs human dominant-value shares (ten value shares and a no-dominant share)`
    )
  }
  const problems: Array<string> = []
  const check = (name: string, x: unknown): void => {
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0) {
      problems.push(`${name} is ${String(x)}; expected a finite number ≥ 0`)
    }
  }
  for (const v of VALUES_10) check(`shares.${v}`, (shares.shares as Partial<Record<string, unknown>>)[v])
  for (const key of Object.keys(shares.shares)) {
    if (!(VALUES_10 as ReadonlyArray<string>).includes(key)) {
      problems.push(`shares.${key} is not a basic value code (${VALUES_10.join(", ")})`)
    }
  }
  check("noDominant", shares.noDominant)
  if (problems.length === 0) {
    let valueTotal = 0
    for (const v of VALUES_10) valueTotal += shares.shares[v]
    if (!(valueTotal > 0)) problems.push("the ten value shares sum to zero")
  }
  if (problems.length > 0) {
    throw new Error(`strategy "${strategy}": invalid dominant-value shares: ${problems.join("; ")}`)
  }
  return shares
}

/**
 * The condition weights of a composition strategy (paper 000 §5.2), in circle order `value:SD` … `value:UN`,
 * followed by `none` for `h-np` only. With s_v the share whose dominant value is v and s₀ the no-dominant
 * share:
 * - `uniform`: w_v = 1/10 (shares are ignored and may be omitted);
 * - `h-norm`: w_v = s_v / Σ_u s_u;
 * - `h-even`: w_v = (s_v + s₀/10) / (Σ_u s_u + s₀);
 * - `h-np`: w_v = s_v / (Σ_u s_u + s₀) and w_none = s₀ / (Σ_u s_u + s₀).
 *
 * The weights always sum to 1 (up to rounding), even when the shares file's figures do not quite.
 *
 * Reference: paper 000 (value-prompting) §5.2; the no-dominant class after Witte et al. (2020).
 *
 * @throws {Error} when a human-informed strategy gets no shares, or shares with a missing, negative, NaN or
 * unknown entry, or ten value shares summing to zero; or for an unknown strategy.
 * @example
 * strategyWeights("uniform")[0] // { condition: "value:SD", weight: 0.1 }
 * strategyWeights("h-np", { shares: { SD: 0.05, ..., UN: 0.05 }, noDominant: 0.5 }).at(-1)
 * // { condition: "none", weight: 0.5 }
 */
export const strategyWeights = (strategy: Strategy, shares?: DominantShares): Array<ConditionWeight> => {
  switch (strategy) {
    case "uniform":
      return VALUES_10.map((v) => ({ condition: valueCondition(v), weight: 1 / VALUES_10.length }))
    case "h-norm": {
      const s = checkShares(strategy, shares)
      let total = 0
      for (const v of VALUES_10) total += s.shares[v]
      return VALUES_10.map((v) => ({ condition: valueCondition(v), weight: s.shares[v] / total }))
    }
    case "h-even": {
      const s = checkShares(strategy, shares)
      let total = s.noDominant
      for (const v of VALUES_10) total += s.shares[v]
      const spread = s.noDominant / VALUES_10.length
      return VALUES_10.map((v) => ({ condition: valueCondition(v), weight: (s.shares[v] + spread) / total }))
    }
    case "h-np": {
      const s = checkShares(strategy, shares)
      let total = s.noDominant
      for (const v of VALUES_10) total += s.shares[v]
      const weights = VALUES_10.map((v) => ({ condition: valueCondition(v), weight: s.shares[v] / total }))
      weights.push({ condition: NONE_CONDITION, weight: s.noDominant / total })
      return weights
    }
    default: {
      const unknown: never = strategy
      throw new Error(`unknown composition strategy "${String(unknown)}" (expected one of ${STRATEGIES.join(", ")})`)
    }
  }
}

/**
 * The Model-Specific composition of paper 000 appendix E: each value's weight is proportional to how well the
 * value structure of the agents prompted with that value agrees with the human structure (their S_V against
 * the human correlation matrix). Similarities that are not finite or are negative count as 0.
 *
 * Reference: paper 000 (seed 000_1c83bdc581a620a9) §5.2 "Model-Specific" and appendix E.
 *
 * @throws {Error} when no value has a positive similarity (no weights can be formed).
 * @example
 * modelSpecificWeights({ SD: 0.9, ST: 0.6, ... }) // [{ condition: "value:SD", weight: 0.9 / total }, …]
 */
export const modelSpecificWeights = (similarity: Readonly<Partial<Record<Value10, number>>>): Array<ConditionWeight> => {
  const clean = VALUES_10.map((v) => {
    const s = similarity[v]
    return s !== undefined && Number.isFinite(s) && s > 0 ? s : 0
  })
  const total = clean.reduce((a, b) => a + b, 0)
  if (!(total > 0)) throw new Error("model-specific weights: no value has a positive similarity with the human structure")
  return VALUES_10.map((v, i) => ({ condition: valueCondition(v), weight: clean[i]! / total }))
}

/** Equal weights over the given conditions (the 19 refined value anchors, or a list of prompt variants). */
export const uniformWeights = (conditions: ReadonlyArray<string>): Array<ConditionWeight> =>
  conditions.map((condition) => ({ condition, weight: 1 / conditions.length }))

/** One slot of a generated prompt: a list to draw from, or an integer range [min, max]. */
export type VariantSlot = ReadonlyArray<string> | { readonly min: number; readonly max: number }

/**
 * `count` fillings of `template`: each `{slot}` is replaced by a uniform draw from its list or an integer drawn
 * uniformly from its range, every variant from its own stream `(seed, "variant", id, n)`, so the same seed gives
 * the same variants. Used for the demographic and names prompts of paper 002 §3.1, whose attributes are drawn at
 * random per prompt.
 *
 * @example
 * drawVariants("Answer as a {age}-year-old.", { age: { min: 18, max: 75 } }, 2, 1, "demo") // ["Answer as a 43-year-old.", …]
 */
export const drawVariants = (
  template: string,
  slots: Readonly<Record<string, VariantSlot>>,
  count: number,
  seed: number,
  id: string
): Array<string> => {
  const names = Object.keys(slots).sort()
  const out: Array<string> = []
  for (let n = 0; n < count; n++) {
    const rng = stream(seed, "variant", id, n)
    const filled: Record<string, string> = {}
    for (const name of names) {
      const slot = slots[name]!
      if (Array.isArray(slot)) {
        const list = slot as ReadonlyArray<string>
        filled[name] = list[Math.min(list.length - 1, Math.floor(rng() * list.length))]!
      } else {
        const r = slot as { readonly min: number; readonly max: number }
        filled[name] = String(r.min + Math.min(r.max - r.min, Math.floor(rng() * (r.max - r.min + 1))))
      }
    }
    out.push(template.replace(/\{(\w+)\}/g, (whole, name: string) => filled[name] ?? whole))
  }
  return out
}
