import { Effect, Schema } from "effect"
import { parseValue10, VALUES_10, type Value10 } from "../domain/values.js"
import type { DominantShares, Strategy } from "../sampling/population.js"
import { strategyWeights } from "../sampling/population.js"
import { decodeData, loadFile, readDataFile, resolveFrom } from "./loadFile.js"
import { SpecFileError } from "./SpecFileError.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1))
const Share = Schema.Number.pipe(Schema.between(0, 1))

export const PopulationFileSchema = Schema.Struct({
  kind: Schema.Literal("population"),
  id: NonEmpty,
  title: Schema.optional(Schema.String),
  agents: Schema.optional(Schema.Int.pipe(Schema.positive())),
  strategy: Schema.Literal("uniform", "h-norm", "h-even", "h-np", "custom"),
  /** Dominant-value shares for the human-informed strategies: a shares file and the dataset in it. */
  shares: Schema.optional(Schema.Struct({ file: NonEmpty, dataset: NonEmpty })),
  /** Weights per condition for `custom` (e.g. `value:BE: 0.3`, `none: 0.7`). */
  custom: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Number.pipe(Schema.nonNegative()) })),
  allocation: Schema.optional(Schema.Literal("exact", "multinomial")),
  prompts: NonEmpty
}).annotations({ identifier: "Population" })

export const SharesFileSchema = Schema.Struct({
  kind: Schema.Literal("dominant-value-shares"),
  id: NonEmpty,
  description: NonEmpty,
  tie_rule: NonEmpty,
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
  values: Schema.Record({ key: Schema.String, value: NonEmpty }),
  /** System messages of persona conditions (`persona:<key>`), e.g. demographic personas. */
  personas: Schema.optional(Schema.Record({ key: Schema.String, value: NonEmpty }))
}).annotations({ identifier: "ConditionPrompts" })

export interface Condition {
  /** `value:<code>`, `persona:<key>` or `none`. */
  readonly id: string
  /** The value the condition primes, when it primes one. */
  readonly value: Value10 | null
  readonly system: string | null
}

export interface ResolvedPopulation {
  readonly id: string
  readonly strategy: Strategy | "custom"
  readonly allocation: "exact" | "multinomial"
  readonly agents: number | null
  readonly conditions: ReadonlyArray<Condition>
  readonly weights: ReadonlyArray<number>
  readonly sharesSource: { readonly file: string; readonly dataset: string; readonly source: string; readonly obtained: string } | null
  readonly prompts: { readonly id: string; readonly citation: string }
}

const personaKey = (id: string): string | undefined => (id.startsWith("persona:") ? id.slice("persona:".length) : undefined)

const conditionValue = (id: string): Value10 | null | undefined => {
  if (id === "none") return null
  if (!id.startsWith("value:")) return undefined
  return parseValue10(id.slice("value:".length))
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
    return ds
  })

export const loadPopulation = (file: string) =>
  Effect.gen(function* () {
    const data = yield* readDataFile(file)
    const pop = yield* decodeData(PopulationFileSchema, data, file)
    const promptsFile = resolveFrom(file, pop.prompts)
    const prompts = yield* loadFile(PromptsFileSchema, promptsFile)
    const promptProblems: Array<string> = []
    const promptByValue = new Map<Value10, string>()
    for (const [k, text] of Object.entries(prompts.values)) {
      const v = parseValue10(k)
      if (v === undefined) promptProblems.push(`values.${k}: unknown value code "${k}" (expected one of ${VALUES_10.join(", ")})`)
      else promptByValue.set(v, text)
    }
    if (promptProblems.length > 0) return yield* new SpecFileError({ file: promptsFile, problems: promptProblems })

    let pairs: ReadonlyArray<{ condition: string; weight: number }>
    let sharesSource: ResolvedPopulation["sharesSource"] = null
    if (pop.strategy === "custom") {
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
        const v = conditionValue(condition)
        if (v === undefined) problems.push(`custom.${condition}: unknown condition (expected value:<code> with a code in ${VALUES_10.join(", ")}, persona:<key>, or none)`)
        return { condition: v ? `value:${v}` : condition, weight }
      })
      if (pairs.every((p) => p.weight === 0)) problems.push("custom: the weights sum to zero")
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
      const value = conditionValue(p.condition) ?? null
      const system = value === null ? (prompts.none && prompts.none.length > 0 ? prompts.none : null) : promptByValue.get(value)
      if (system === undefined) missing.push(`values.${value}: no prompt for value ${value}, which the population uses`)
      conditions.push({ id: p.condition, value, system: system ?? null })
    }
    if (missing.length > 0) return yield* new SpecFileError({ file: promptsFile, problems: missing })
    const resolved: ResolvedPopulation = {
      id: pop.id,
      strategy: pop.strategy,
      allocation: pop.allocation ?? "exact",
      agents: pop.agents ?? null,
      conditions,
      weights: pairs.map((p) => p.weight),
      sharesSource,
      prompts: { id: prompts.id, citation: prompts.citation }
    }
    return resolved
  })

