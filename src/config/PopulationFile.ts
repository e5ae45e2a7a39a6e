import { Effect, Schema } from "effect"
import { parseValueIn, valuesOf, type ValueSystem } from "../domain/values.js"
import type { DominantShares, Strategy } from "../sampling/population.js"
import { drawVariants, strategyWeights, uniformWeights, type VariantSlot } from "../sampling/population.js"
import { decodeData, loadFile, readDataFile, resolveFrom } from "./loadFile.js"
import { SpecFileError } from "./SpecFileError.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1))
const Share = Schema.Number.pipe(Schema.between(0, 1))

export const PopulationFileSchema = Schema.Struct({
  kind: Schema.Literal("population"),
  id: NonEmpty,
  title: Schema.optional(Schema.String),
  agents: Schema.optional(Schema.Int.pipe(Schema.positive())),
  strategy: Schema.Literal("uniform", "h-norm", "h-even", "h-np", "custom", "variants"),
  /** The values its conditions prime: `basic` (default, SD…UN) or `refined` (the 19 values SDT…UNT). */
  values: Schema.optional(Schema.Literal("basic", "refined")),
  /** Dominant-value shares for the human-informed strategies: a shares file and the dataset in it. */
  shares: Schema.optional(Schema.Struct({ file: NonEmpty, dataset: NonEmpty })),
  /** Weights per condition for `custom` (e.g. `value:BE: 0.3`, `none: 0.7`). */
  custom: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Number.pipe(Schema.nonNegative()) })),
  allocation: Schema.optional(Schema.Literal("exact", "multinomial")),
  /** `true`: the custom weights are relative (any positive sum); otherwise they must sum to 1. */
  normalize: Schema.optional(Schema.Boolean),
  prompts: NonEmpty
}).annotations({ identifier: "Population" })

/** How far from 1 a list of shares or weights may sum (published shares are rounded to a tenth of a per cent). */
export const SUM_TOLERANCE = 0.005

const sumOf = (xs: ReadonlyArray<number>) => xs.reduce((s, x) => s + x, 0)

export const SharesFileSchema = Schema.Struct({
  kind: Schema.Literal("dominant-value-shares"),
  id: NonEmpty,
  description: NonEmpty,
  tie_rule: NonEmpty,
  /** `true`: the shares of a dataset are relative and are rescaled to sum to 1; otherwise they must sum to 1. */
  normalize: Schema.optional(Schema.Boolean),
  datasets: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({
      n: Schema.Int.pipe(Schema.positive()),
      instrument: NonEmpty,
      population: NonEmpty,
      source: NonEmpty,
      obtained: Schema.Literal("published", "computed-from-public-data"),
      confidence: Schema.Literal("high", "medium", "low"),
      notes: Schema.optional(Schema.String),
      shares: Schema.Struct({
        SD: Share, ST: Share, HE: Share, AC: Share, PO: Share, SE: Share, CO: Share, TR: Share, BE: Share, UN: Share
      }),
      no_dominant: Share
    })
  })
}).annotations({ identifier: "DominantValueShares" })

export const PromptsFileSchema = Schema.Struct({
  kind: Schema.Literal("condition-prompts"),
  id: NonEmpty,
  citation: NonEmpty,
  /** System message for unprimed agents; empty or absent means no system message. */
  none: Schema.optional(Schema.String),
  /** One system message per value code (`value:<code>` conditions). */
  values: Schema.optional(Schema.Record({ key: Schema.String, value: NonEmpty })),
  /** Fixed system messages by id (`variant:<id>` conditions of the `variants` strategy), e.g. written personas. */
  variants: Schema.optional(Schema.Record({ key: Schema.String, value: NonEmpty })),
  /**
   * System messages drawn from the run seed (`variant:<n>` conditions of the `variants` strategy): `count`
   * fillings of `template`, each `{slot}` replaced by a draw from its list, or an integer in [min, max].
   */
  generate: Schema.optional(
    Schema.Struct({
      count: Schema.Int.pipe(Schema.positive()),
      template: NonEmpty,
      slots: Schema.Record({
        key: Schema.String,
        value: Schema.Union(
          Schema.Array(NonEmpty).pipe(Schema.minItems(1)),
          Schema.Struct({ min: Schema.Int, max: Schema.Int })
        )
      })
    })
  ),
  /** System messages of persona conditions (`persona:<key>`), e.g. demographic personas. */
  personas: Schema.optional(Schema.Record({ key: Schema.String, value: NonEmpty }))
}).annotations({ identifier: "ConditionPrompts" })

/** A dataset whose shares and no_dominant do not sum to 1 (unless the file says `normalize: true`). */
export const sharesSumProblem = (
  sf: Pick<typeof SharesFileSchema.Type, "normalize">,
  name: string,
  ds: { readonly shares: Readonly<Record<string, number>>; readonly no_dominant: number }
): string | null => {
  const total = sumOf(Object.values(ds.shares)) + ds.no_dominant
  if (sf.normalize === true) return total > 0 ? null : `datasets.${name}: the shares and no_dominant sum to zero`
  return Math.abs(total - 1) > SUM_TOLERANCE
    ? `datasets.${name}: the shares and no_dominant sum to ${Number(total.toFixed(4))}, not 1 (add normalize: true to the file if they are relative)`
    : null
}

export interface Condition {
  /** `value:<code>`, `variant:<id>`, `persona:<key>` or `none`. */
  readonly id: string
  /** The value the condition primes, when it primes one: a code of the population's value system. */
  readonly value: string | null
  readonly system: string | null
}

export interface ResolvedPopulation {
  readonly id: string
  readonly strategy: Strategy | "custom" | "variants"
  /** The value system of `value:<code>` conditions (`basic` for the ten values). */
  readonly values: ValueSystem
  readonly allocation: "exact" | "multinomial"
  readonly agents: number | null
  readonly conditions: ReadonlyArray<Condition>
  readonly weights: ReadonlyArray<number>
  readonly sharesSource: { readonly file: string; readonly dataset: string; readonly source: string; readonly obtained: string } | null
  readonly prompts: { readonly id: string; readonly citation: string }
}

const personaKey = (id: string): string | undefined => (id.startsWith("persona:") ? id.slice("persona:".length) : undefined)

const conditionValue = (system: ValueSystem, id: string): string | null | undefined => {
  if (id === "none") return null
  if (!id.startsWith("value:")) return undefined
  return parseValueIn(system, id.slice("value:".length))
}

/**
 * One dataset of a dominant-value shares file. `referrer` and `field` name where the dataset was asked for, so
 * an unknown dataset is reported there.
 */
export const loadDominantShares = (sharesFile: string, dataset: string, referrer: string, field: string) =>
  Effect.gen(function* () {
    const sf = yield* loadFile(SharesFileSchema, sharesFile)
    const ds = sf.datasets[dataset]
    if (ds === undefined) {
      return yield* new SpecFileError({
        file: referrer,
        problems: [`${field}: "${dataset}" is not in ${sharesFile} (it has ${Object.keys(sf.datasets).join(", ")})`]
      })
    }
    const wrongSum = sharesSumProblem(sf, dataset, ds)
    if (wrongSum !== null) return yield* new SpecFileError({ file: sharesFile, problems: [wrongSum] })
    if (sf.normalize !== true) return ds
    // Relative shares: rescaled so that they and no_dominant sum to 1.
    const total = sumOf(Object.values(ds.shares)) + ds.no_dominant
    return {
      ...ds,
      shares: Object.fromEntries(Object.entries(ds.shares).map(([k, v]) => [k, v / total])) as typeof ds.shares,
      no_dominant: ds.no_dominant / total
    }
  })

/**
 * Reads a population file and its condition prompts. `seed` (the run seed) draws the generated prompt variants
 * of a `generate` block; files without one do not depend on it.
 */
export const loadPopulation = (file: string, seed = 1) =>
  Effect.gen(function* () {
    const data = yield* readDataFile(file)
    const pop = yield* decodeData(PopulationFileSchema, data, file)
    const system: ValueSystem = pop.values ?? "basic"
    const codes = valuesOf(system).join(", ")
    const promptsFile = resolveFrom(file, pop.prompts)
    const prompts = yield* loadFile(PromptsFileSchema, promptsFile)
    const promptProblems: Array<string> = []
    const promptByValue = new Map<string, string>()
    for (const [k, text] of Object.entries(prompts.values ?? {})) {
      const v = parseValueIn(system, k)
      if (v === undefined) promptProblems.push(`values.${k}: unknown value code "${k}" (expected one of the ${system} values ${codes}; population ${file} has values: ${system})`)
      else promptByValue.set(v, text)
    }
    const variantText = new Map<string, string>(Object.entries(prompts.variants ?? {}))
    if (prompts.generate !== undefined) {
      const g = prompts.generate
      const slots: Record<string, VariantSlot> = {}
      for (const [name, slot] of Object.entries(g.slots)) {
        if (!Array.isArray(slot) && (slot as { min: number; max: number }).min > (slot as { min: number; max: number }).max) {
          promptProblems.push(`generate.slots.${name}: min is greater than max`)
        }
        slots[name] = slot as VariantSlot
      }
      for (const m of g.template.matchAll(/\{(\w+)\}/g)) {
        if (slots[m[1]!] === undefined) promptProblems.push(`generate.template: {${m[1]}} has no slot in generate.slots`)
      }
      if (promptProblems.length === 0) {
        drawVariants(g.template, slots, g.count, seed, prompts.id).forEach((text, i) => variantText.set(String(i + 1), text))
      }
    }
    if (promptProblems.length > 0) return yield* new SpecFileError({ file: promptsFile, problems: promptProblems })

    let pairs: ReadonlyArray<{ condition: string; weight: number }>
    let sharesSource: ResolvedPopulation["sharesSource"] = null
    if (pop.strategy === "variants") {
      if (variantText.size === 0) {
        return yield* new SpecFileError({ file: promptsFile, problems: ["variants: the variants strategy needs `variants:` or `generate:` in the condition-prompts file"] })
      }
      pairs = uniformWeights([...variantText.keys()].map((id) => `variant:${id}`))
    } else if (system === "refined" && pop.strategy !== "uniform" && pop.strategy !== "custom") {
      return yield* new SpecFileError({ file, problems: [`strategy: ${pop.strategy} draws on dominant-value shares of the ten basic values; with values: refined use uniform or custom`] })
    } else if (system === "refined" && pop.strategy === "uniform") {
      pairs = uniformWeights(valuesOf(system).map((v) => `value:${v}`))
    } else if (pop.strategy === "custom") {
      if (pop.custom === undefined || Object.keys(pop.custom).length === 0) {
        return yield* new SpecFileError({ file, problems: ["custom: the custom strategy needs weights per condition, e.g. custom: { value:BE: 0.5, none: 0.5 }"] })
      }
      const problems: Array<string> = []
      pairs = Object.entries(pop.custom).map(([condition, weight]) => {
        const persona = personaKey(condition)
        if (persona !== undefined) {
          if (prompts.personas?.[persona] === undefined)
            problems.push(`custom.${condition}: no persona "${persona}" in ${promptsFile} (it has ${Object.keys(prompts.personas ?? {}).join(", ") || "no personas"})`)
          return { condition, weight }
        }
        const v = conditionValue(system, condition)
        if (v === undefined) problems.push(`custom.${condition}: unknown condition (expected value:<code> with a code in ${codes}, persona:<key>, or none)`)
        return { condition: v ? `value:${v}` : condition, weight }
      })
      const total = sumOf(pairs.map((p) => p.weight))
      if (total === 0) problems.push("custom: the weights sum to zero")
      else if (pop.normalize !== true && Math.abs(total - 1) > SUM_TOLERANCE) {
        problems.push(`custom: the weights sum to ${Number(total.toFixed(4))}, not 1 (add normalize: true to the file if they are relative)`)
      }
      if (problems.length > 0) return yield* new SpecFileError({ file, problems })
    } else {
      let shares: DominantShares | undefined
      if (pop.strategy !== "uniform") {
        if (pop.shares === undefined) {
          return yield* new SpecFileError({ file, problems: [`shares: strategy ${pop.strategy} needs dominant-value shares: shares: { file: …, dataset: … }`] })
        }
        const sharesFile = resolveFrom(file, pop.shares.file)
        const ds = yield* loadDominantShares(sharesFile, pop.shares.dataset, file, "shares.dataset")
        shares = { shares: ds.shares, noDominant: ds.no_dominant }
        sharesSource = { file: sharesFile, dataset: pop.shares.dataset, source: ds.source, obtained: ds.obtained }
      }
      pairs = strategyWeights(pop.strategy, shares)
    }
    const conditions: Array<Condition> = []
    const missing: Array<string> = []
    for (const p of pairs) {
      const persona = personaKey(p.condition)
      if (persona !== undefined) {
        conditions.push({ id: p.condition, value: null, system: prompts.personas?.[persona] ?? null })
        continue
      }
      if (p.condition.startsWith("variant:")) {
        conditions.push({ id: p.condition, value: null, system: variantText.get(p.condition.slice("variant:".length)) ?? null })
        continue
      }
      const value = conditionValue(system, p.condition) ?? null
      const text = value === null ? (prompts.none && prompts.none.length > 0 ? prompts.none : null) : promptByValue.get(value)
      if (text === undefined) missing.push(`values.${value}: no prompt for value ${value}, which the population uses`)
      conditions.push({ id: p.condition, value, system: text ?? null })
    }
    if (missing.length > 0) return yield* new SpecFileError({ file: promptsFile, problems: missing })
    const resolved: ResolvedPopulation = {
      id: pop.id,
      strategy: pop.strategy,
      values: system,
      allocation: pop.allocation ?? "exact",
      agents: pop.agents ?? null,
      conditions,
      weights: pairs.map((p) => p.weight),
      sharesSource,
      prompts: { id: prompts.id, citation: prompts.citation }
    }
    return resolved
  })

