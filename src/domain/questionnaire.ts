import type { ValueSystem } from "./values.js"

/** One response option in canonical order (lowest scale value first). */
export interface ScaleOption {
  readonly value: number
  readonly label: string
}

/** `independent`: one conversation per item; `session`: one conversation, item by item; `batch`: every item in one message. */
export type Administration = "independent" | "session" | "batch"
export type OptionOrder = "normal" | "reversed"

export interface QuestionnaireItem {
  readonly id: string
  readonly text: string
  /** Subscale the item is scored on (a value code for value questionnaires, or any key such as "prosocial"). */
  readonly subscale: string
  /** Reverse-keyed: scored as (min + max − answer). */
  readonly reverse: boolean
  /** For the synthetic respondent: the value this item's content is centred on (a code of the questionnaire's value system). */
  readonly theory?: { readonly peak: string }
}

/** Prompt wording for administering the questionnaire; data, not code. `{…}` placeholders are filled in. */
export interface PromptTemplates {
  /** Shown once before the items (session) or before each item (independent). Placeholders: none. */
  readonly instructions: string
  /** One item. Placeholders: {item} {options} {min} {max} */
  readonly item: string
  /** One option line. Placeholders: {number} {label} */
  readonly option: string
  /** Re-ask after an unparseable answer. Placeholders: {min} {max} {options} */
  readonly reask: string
  /**
   * `batch` administration: every item in one message. Placeholders: {items} (one `Q<n>: <item>` line each)
   * {count} {options} {min} {max}. Absent: the project's default wording.
   */
  readonly batch?: string
  /** `batch` re-ask for the items whose answers could not be read. Placeholders: {missing} {min} {max} {options} */
  readonly batchReask?: string
}

export type ScoringMethod = "mrat" | "mean"

export interface Questionnaire {
  readonly kind: "questionnaire"
  readonly id: string
  readonly title: string
  /** Who wrote the items and under what terms (the project's own, or a user's licensed copy). */
  readonly source: string
  /** `values`: every subscale is a value of `valueSystem`; `other`: free subscales (behaviour, traits). */
  readonly construct: "values" | "other"
  /** The value system of the subscales and `theory.peak` codes; absent means `basic` (the ten values). */
  readonly valueSystem?: ValueSystem
  /** The behaviour measure the questionnaire operationalises (e.g. big-five), matched with baselines' `measure`. */
  readonly measure?: string
  readonly scale: ReadonlyArray<ScaleOption>
  readonly items: ReadonlyArray<QuestionnaireItem>
  readonly administration: Administration
  readonly optionOrder: OptionOrder
  /**
   * What a respondent answers with: `number` (default) the option's number 1…k, `label` the option's label itself
   * (one word each, e.g. Yes / No), so that logprob scoring reads the probabilities of the words.
   */
  readonly answerWith?: "number" | "label"
  /** `mrat`: subscale means centred on the respondent's mean over all items; `mean`: raw subscale means. */
  readonly scoring: ScoringMethod
  readonly prompts: PromptTemplates
}

/** A choice as presented to a respondent: the token it answers with and the canonical scale value it maps to. */
export interface PresentedChoice {
  readonly token: string
  readonly label: string
  readonly value: number
}

/**
 * The choices in presentation order. Options are numbered 1…k as shown; with `reversed` order the number 1
 * is the highest scale value, so the shown number and the scored value differ and the mapping is kept here.
 * With `answerWith: "label"` a choice's token is its label.
 */
export const presentedChoices = (q: Pick<Questionnaire, "scale" | "optionOrder" | "answerWith">): ReadonlyArray<PresentedChoice> => {
  const ordered = q.optionOrder === "reversed" ? [...q.scale].reverse() : q.scale
  return ordered.map((o, i) => ({ token: q.answerWith === "label" ? o.label : String(i + 1), label: o.label, value: o.value }))
}

/** The questionnaire's value system (`basic` when the file does not say). */
export const valueSystemOf = (q: Pick<Questionnaire, "valueSystem">): ValueSystem => q.valueSystem ?? "basic"
