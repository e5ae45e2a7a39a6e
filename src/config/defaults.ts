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
