import type { ChatMessage } from "../domain/answers.js"
import { DEFAULT_BATCH_PROMPTS } from "../config/defaults.js"
import type { PresentedChoice, PromptTemplates, QuestionnaireItem } from "../domain/questionnaire.js"

export const fill = (template: string, vars: Readonly<Record<string, string>>): string =>
  template.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m)

export const optionsBlock = (t: PromptTemplates, choices: ReadonlyArray<PresentedChoice>): string =>
  choices.map((c) => fill(t.option, { number: c.token, label: c.label })).join("\n")

const scaleVars = (t: PromptTemplates, choices: ReadonlyArray<PresentedChoice>) => ({
  options: optionsBlock(t, choices),
  min: choices[0]?.token ?? "1",
  max: choices[choices.length - 1]?.token ?? String(choices.length)
})

/** The user turn asking one item. `withInstructions` puts the instrument instructions first (first/only turn). */
export const itemTurn = (
  t: PromptTemplates,
  item: QuestionnaireItem,
  choices: ReadonlyArray<PresentedChoice>,
  withInstructions: boolean
): ChatMessage => {
  const body = fill(t.item, { item: item.text, ...scaleVars(t, choices) })
  return { role: "user", content: withInstructions && t.instructions.length > 0 ? `${t.instructions}\n\n${body}` : body }
}

export const reaskTurn = (t: PromptTemplates, choices: ReadonlyArray<PresentedChoice>): ChatMessage => ({
  role: "user",
  content: fill(t.reask, scaleVars(t, choices))
})

/**
 * Moves a leading system message (the condition's value prompt) into the first user turn, before its text and
 * separated by a blank line: paper 000's placement (`valuePrompt: "prefix"`). Anything else is left as it is.
 */
export const placeValuePrompt = (messages: ReadonlyArray<ChatMessage>, placement: "system" | "prefix" | undefined): ReadonlyArray<ChatMessage> => {
  if (placement !== "prefix" || messages[0]?.role !== "system") return messages
  const [system, ...rest] = messages
  const first = rest.findIndex((m) => m.role === "user")
  if (first < 0) return messages
  return rest.map((m, i) => (i === first ? { ...m, content: `${system!.content}\n\n${m.content}` } : m))
}

/** What is shared goes first (the value prompt as system message) so server-side prefix caches hit. */
export const openingMessages = (system: string | null): Array<ChatMessage> =>
  system === null ? [] : [{ role: "system", content: system }]

/** The one user turn of `batch` administration: the instructions, the options once, every item as `Q<n>: text`. */
export const batchTurn = (t: PromptTemplates, items: ReadonlyArray<QuestionnaireItem>, choices: ReadonlyArray<PresentedChoice>): ChatMessage => {
  const body = fill(t.batch ?? DEFAULT_BATCH_PROMPTS.batch, {
    items: items.map((it, i) => `Q${i + 1}: ${it.text}`).join("\n"),
    count: String(items.length),
    ...scaleVars(t, choices)
  })
  return { role: "user", content: t.instructions.length > 0 ? `${t.instructions}\n\n${body}` : body }
}

/** The `batch` re-ask for the items (0-based indices) whose answers could not be read. */
export const batchReaskTurn = (t: PromptTemplates, missing: ReadonlyArray<number>, choices: ReadonlyArray<PresentedChoice>): ChatMessage => ({
  role: "user",
  content: fill(t.batchReask ?? DEFAULT_BATCH_PROMPTS.batchReask, { missing: missing.map((i) => `Q${i + 1}`).join(", "), ...scaleVars(t, choices) })
})
