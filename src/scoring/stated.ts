/**
 * Stated-probability scoring: the model is asked for the probability it would give each option, as one JSON
 * object, instead of an answer. Works on any chat model (no logprobs needed); the reply is validated here and
 * re-asked when it cannot be used. Pure: no Effect, no I/O.
 */
import type { ChatMessage } from "../domain/answers.js"
import type { PresentedChoice } from "../domain/questionnaire.js"

/** How far the stated probabilities may sum from 1 and still be used (they are then rescaled to sum to 1). */
export const STATED_TOLERANCE = 0.02

/** Room for the JSON object of a 6- to 11-option scale with some prose around it. */
export const STATED_MAX_TOKENS = 200

const keysExample = (choices: ReadonlyArray<PresentedChoice>): string =>
  `{${choices.map((c, i) => `"${c.token}": p${i + 1}`).join(", ")}}`

/**
 * The turn that asks for stated probabilities: the item exactly as asked under the other methods (`itemTurn`),
 * then the request for a JSON object with one probability per option.
 */
export const statedTurn = (item: ChatMessage, choices: ReadonlyArray<PresentedChoice>): ChatMessage => ({
  role: "user",
  content:
    `${item.content}\n\nDo not pick a single option. Instead, give the probability that you would choose each option, ` +
    `as one JSON object whose keys are the option numbers and whose values are probabilities between 0 and 1 adding up to 1: ` +
    `${keysExample(choices)}. Reply with the JSON object only.`
})

/** The re-ask after a stated reply that could not be used, naming what was wrong with it. */
export const statedReaskTurn = (problem: string, choices: ReadonlyArray<PresentedChoice>): ChatMessage => ({
  role: "user",
  content:
    `That reply could not be used: ${problem}. Reply with one JSON object only, with a probability for each of the options ` +
    `${choices.map((c) => c.token).join(", ")}, each between 0 and 1 and adding up to 1: ${keysExample(choices)}.`
})

/** The first balanced `{…}` in `text` (outside strings), or null. Code fences and prose around it are ignored. */
const firstObject = (text: string): string | null => {
  const start = text.indexOf("{")
  if (start < 0) return null
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const ch = text[i]
    if (inString) {
      if (ch === "\\") i++
      else if (ch === '"') inString = false
    } else if (ch === '"') inString = true
    else if (ch === "{") depth++
    else if (ch === "}" && --depth === 0) return text.slice(start, i + 1)
  }
  return null
}

/**
 * The distribution a stated reply gives over `choices` (presentation order), or what is wrong with it.
 *
 * The reply must contain one JSON object whose keys name options — by their token ("4") or label ("Like me"),
 * ignoring case — and whose values are finite, non-negative numbers (or numeric strings) summing to 1 within
 * `STATED_TOLERANCE`. Options left out get 0. A key naming no option, a repeated option, a negative or
 * non-numeric value, or a sum outside the tolerance is a problem (the caller re-asks, naming it).
 *
 * @example
 * readStated('```json\n{"1": 0.1, "2": 0.6, "3": 0.3}\n```', three) // → { dist: [0.1, 0.6, 0.3] }
 * readStated('{"1": 0.5, "2": 0.6}', three)                         // → { problem: "the probabilities add up to 1.1, not 1" }
 */
export const readStated = (
  text: string,
  choices: ReadonlyArray<PresentedChoice>
): { readonly dist: ReadonlyArray<number> } | { readonly problem: string } => {
  const raw = firstObject(text)
  if (raw === null) return { problem: "it holds no JSON object" }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return { problem: "its JSON object is not valid JSON" }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { problem: "it holds no JSON object" }
  const indexOf = new Map<string, number>()
  choices.forEach((c, i) => {
    indexOf.set(c.token.trim().toLowerCase(), i)
    if (c.label.trim().length > 0 && !indexOf.has(c.label.trim().toLowerCase())) indexOf.set(c.label.trim().toLowerCase(), i)
  })
  const dist = choices.map(() => 0)
  const seen = new Set<number>()
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const index = indexOf.get(key.trim().toLowerCase())
    if (index === undefined) return { problem: `key ${JSON.stringify(key)} names no option` }
    if (seen.has(index)) return { problem: `option ${choices[index]!.token} is given twice` }
    seen.add(index)
    const p = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN
    if (!Number.isFinite(p)) return { problem: `the value for option ${choices[index]!.token} is not a number` }
    if (p < 0) return { problem: `the probability of option ${choices[index]!.token} is negative` }
    dist[index] = p
  }
  const total = dist.reduce((a, b) => a + b, 0)
  if (!(Math.abs(total - 1) <= STATED_TOLERANCE)) return { problem: `the probabilities add up to ${Math.round(total * 1000) / 1000}, not 1` }
  return { dist: dist.map((p) => p / total) }
}
