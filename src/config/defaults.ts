import type { PromptTemplates } from "../domain/questionnaire.js"

/**
 * Wording used when a questionnaire file gives no `prompts:` of its own (e.g. a user's licensed instrument).
 * Written by the valuesim project. Placeholders in braces are filled in by `engine/prompts.ts`.
 */
export const DEFAULT_QUESTIONNAIRE_PROMPTS: PromptTemplates = {
  instructions:
    "You will read a short statement. Decide how well it describes you, using the answer options given.",
  item: "Statement: {item}\n\nOptions:\n{options}\n\nReply with the number of one option ({min}-{max}) and nothing else.",
  option: "{number}. {label}",
  reask: "That reply could not be matched to an option. Reply with a single number from {min} to {max}, nothing else.\n{options}"
}

/** Wording of `administration: batch` (every item in one message), written by the valuesim project. */
export const DEFAULT_BATCH_PROMPTS: Required<Pick<PromptTemplates, "batch" | "batchReask">> = {
  batch:
    "Below are {count} statements, Q1 to Q{count}. For each, decide how well it describes you, using these options:\n{options}\n\n{items}\n\nReply with exactly one line per statement, in order, each of the form \"Q<number>: <option number>\" (option numbers {min}-{max}), and nothing else.",
  batchReask:
    "These answers could not be read: {missing}. Reply with one line for each of them, of the form \"Q<number>: <option number>\" ({min}-{max}), and nothing else.\n{options}"
}
