import { Effect, Either, Schema } from "effect"
import type { Questionnaire, QuestionnaireItem } from "../domain/questionnaire.js"
import { parseValueIn, valuesOf } from "../domain/values.js"
import { DEFAULT_QUESTIONNAIRE_PROMPTS } from "./defaults.js"
import { decodeData, readDataFile } from "./loadFile.js"
import { SafeId } from "./ids.js"
import { SpecFileError } from "./SpecFileError.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1))

const ItemSchema = Schema.Struct({
  id: NonEmpty,
  text: NonEmpty,
  subscale: NonEmpty,
  reverse: Schema.optional(Schema.Boolean),
  theory: Schema.optional(Schema.Struct({ peak: NonEmpty }))
})

export const QuestionnaireFileSchema = Schema.Struct({
  kind: Schema.Literal("questionnaire"),
  id: SafeId,
  title: NonEmpty,
  source: NonEmpty,
  /** `values`: subscales are value codes (SD…UN) and MRAT applies; `other`: free subscale keys. */
  construct: Schema.optional(Schema.Literal("values", "other")),
  /** `basic` (default): the 10 values SD…UN; `refined`: the 19 values SDT…UNT. Subscales and theory peaks use its codes. */
  values: Schema.optional(Schema.Literal("basic", "refined")),
  /** The behaviour measure it operationalises, matched with baselines' `measure` (e.g. big-five). */
  measure: Schema.optional(NonEmpty),
  administration: Schema.optional(Schema.Literal("independent", "session", "batch")),
  option_order: Schema.optional(Schema.Literal("normal", "reversed")),
  /** `number` (default): answer with the option's number; `label`: with its label (one word each, e.g. Yes/No). */
  answer_with: Schema.optional(Schema.Literal("number", "label")),
  scoring: Schema.optional(Schema.Literal("mrat", "mean")),
  scale: Schema.Array(Schema.Struct({ value: Schema.Int, label: NonEmpty })).pipe(Schema.minItems(2)),
  prompts: Schema.optional(
    Schema.Struct({
      instructions: Schema.optional(Schema.String),
      item: Schema.optional(NonEmpty),
      option: Schema.optional(NonEmpty),
      reask: Schema.optional(NonEmpty),
      batch: Schema.optional(NonEmpty),
      batch_reask: Schema.optional(NonEmpty)
    })
  ),
  items: Schema.Array(ItemSchema).pipe(Schema.minItems(1))
}).annotations({ identifier: "Questionnaire" })

export type QuestionnaireFile = typeof QuestionnaireFileSchema.Type

/**
 * The placeholders each prompt template is filled with (src/engine/prompts.ts), and those it cannot do without:
 * an item prompt without {item} would send every item as the same text. `instructions` is sent as written.
 */
const TEMPLATE_FIELDS: ReadonlyArray<{ readonly field: keyof NonNullable<QuestionnaireFile["prompts"]>; readonly known: ReadonlyArray<string>; readonly required: ReadonlyArray<string> }> = [
  { field: "instructions", known: [], required: [] },
  { field: "item", known: ["item", "options", "min", "max"], required: ["item"] },
  { field: "option", known: ["number", "label"], required: ["number"] },
  { field: "reask", known: ["options", "min", "max"], required: [] },
  { field: "batch", known: ["items", "count", "options", "min", "max"], required: ["items"] },
  { field: "batch_reask", known: ["missing", "options", "min", "max"], required: ["missing"] }
]

/** Unknown and missing placeholders of a questionnaire's own prompt templates, as `prompts.<field>: …` lines. */
export const placeholderProblems = (f: Pick<QuestionnaireFile, "prompts" | "answer_with">): Array<string> => {
  const problems: Array<string> = []
  for (const { field, known, required } of TEMPLATE_FIELDS) {
    const template = f.prompts?.[field]
    if (template === undefined) continue
    const used = new Set([...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))
    for (const k of used) {
      if (known.includes(k)) continue
      problems.push(
        known.length === 0
          ? `prompts.${field}: unknown placeholder {${k}} (the ${field} text is sent as written; it has no placeholders)`
          : `prompts.${field}: unknown placeholder {${k}} (available: ${known.map((x) => `{${x}}`).join(", ")})`
      )
    }
    // With answer_with: label an option's label is also what the agent answers with.
    const satisfied = (k: string) => used.has(k) || (field === "option" && f.answer_with === "label" && used.has("label"))
    for (const k of required) if (!satisfied(k)) problems.push(`prompts.${field}: missing placeholder {${k}}`)
  }
  return problems
}

/** Checks what the schema cannot (unique ids, value codes, an increasing scale) and builds the domain object. */
export const toQuestionnaire = (f: QuestionnaireFile, file: string): Either.Either<Questionnaire, SpecFileError> => {
  const problems: Array<string> = []
  const construct = f.construct ?? "values"
  const system = f.values ?? "basic"
  const codes = valuesOf(system).join(", ")
  const ids = new Set<string>()
  f.scale.forEach((o, i) => {
    const prev = f.scale[i - 1]
    if (prev !== undefined && o.value <= prev.value) {
      problems.push(`scale[${i}].value: scale values must increase (lowest first); ${o.value} follows ${prev.value}`)
    }
  })
  if (f.answer_with === "label") {
    const seen = new Map<string, number>()
    f.scale.forEach((o, i) => {
      const key = o.label.trim().toLowerCase()
      if (/\s/.test(o.label.trim())) problems.push(`scale[${i}].label: with answer_with: label every label must be one word; "${o.label}" is not`)
      const first = seen.get(key)
      if (first !== undefined) problems.push(`scale[${i}].label: with answer_with: label labels must differ (ignoring case); "${o.label}" repeats scale[${first}]`)
      else seen.set(key, i)
    })
  }
  problems.push(...placeholderProblems(f))
  const items: Array<QuestionnaireItem> = f.items.map((it, i) => {
    if (ids.has(it.id)) problems.push(`items[${i}].id: duplicate item id "${it.id}"`)
    ids.add(it.id)
    let subscale = it.subscale
    if (construct === "values") {
      const v = parseValueIn(system, it.subscale)
      if (v === undefined) {
        problems.push(`items[${i}].subscale: unknown value code "${it.subscale}" (expected one of the ${system} values ${codes})`)
      } else subscale = v
    }
    let theory: QuestionnaireItem["theory"]
    if (it.theory !== undefined) {
      const peak = parseValueIn(system, it.theory.peak)
      if (peak === undefined) {
        problems.push(`items[${i}].theory.peak: unknown value code "${it.theory.peak}" (expected one of the ${system} values ${codes})`)
      } else theory = { peak }
    } else if (construct === "values") {
      const v = parseValueIn(system, subscale)
      if (v !== undefined) theory = { peak: v }
    }
    return { id: it.id, text: it.text, subscale, reverse: it.reverse ?? false, ...(theory ? { theory } : {}) }
  })
  if (problems.length > 0) return Either.left(new SpecFileError({ file, problems }))
  return Either.right({
    kind: "questionnaire",
    id: f.id,
    title: f.title,
    source: f.source,
    construct,
    ...(system === "refined" ? { valueSystem: system } : {}),
    ...(f.measure !== undefined ? { measure: f.measure } : {}),
    scale: f.scale,
    items,
    administration: f.administration ?? "independent",
    optionOrder: f.option_order ?? "normal",
    ...(f.answer_with === "label" ? { answerWith: "label" as const } : {}),
    scoring: f.scoring ?? (construct === "values" ? "mrat" : "mean"),
    prompts: {
      instructions: f.prompts?.instructions ?? DEFAULT_QUESTIONNAIRE_PROMPTS.instructions,
      item: f.prompts?.item ?? DEFAULT_QUESTIONNAIRE_PROMPTS.item,
      option: f.prompts?.option ?? DEFAULT_QUESTIONNAIRE_PROMPTS.option,
      reask: f.prompts?.reask ?? DEFAULT_QUESTIONNAIRE_PROMPTS.reask,
      ...(f.prompts?.batch !== undefined ? { batch: f.prompts.batch } : {}),
      ...(f.prompts?.batch_reask !== undefined ? { batchReask: f.prompts.batch_reask } : {})
    }
  })
}

export const questionnaireFromData = (data: unknown, file: string) =>
  Either.flatMap(decodeData(QuestionnaireFileSchema, data, file), (f) => toQuestionnaire(f, file))

export const loadQuestionnaire = (file: string) =>
  Effect.flatMap(readDataFile(file), (data) => questionnaireFromData(data, file))
