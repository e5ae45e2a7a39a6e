import type { Completion } from "../domain/answers.js"
import type { PresentedChoice } from "../domain/questionnaire.js"

/**
 * The option a top-logprob token stands for: its text with surrounding whitespace, markdown emphasis (`**`,
 * `_`, backticks), quotes and brackets removed before and punctuation (`.`, `)`, `:`, `,`) after, equal to a
 * choice's `token` ignoring case. So `4`, ` 4`, `4.`, `4)`, `(4`, `**4`, `"4"` are all option 4; `**`, `Answer`
 * or a newline alone are no option. Returns the index into `choices`, or -1.
 */
export const optionOfToken = (token: string, indexOf: ReadonlyMap<string, number>): number => {
  const direct = indexOf.get(token.trim().toLowerCase())
  if (direct !== undefined) return direct
  const bare = token.toLowerCase().replace(/^[\s*_`"'“”‘’([{]+/u, "").replace(/[\s*_`"'“”‘’)\]}.,:;!?]+$/u, "")
  return bare.length === 0 ? -1 : (indexOf.get(bare) ?? -1)
}

/** The top-logprob entries that stand for an option (`optionOfToken`), with the option's index. */
const matchOptionTokens = (
  top: ReadonlyArray<{ readonly token: string; readonly logprob: number }>,
  choices: ReadonlyArray<PresentedChoice>
): ReadonlyArray<{ readonly index: number; readonly logprob: number }> => {
  const indexOf = new Map<string, number>()
  choices.forEach((c, i) => indexOf.set(c.token.toLowerCase(), i))
  const matched: Array<{ readonly index: number; readonly logprob: number }> = []
  for (const t of top) {
    const index = optionOfToken(t.token, indexOf)
    if (index >= 0 && Number.isFinite(t.logprob)) matched.push({ index, logprob: t.logprob })
  }
  return matched
}

/**
 * The option mass of a first token's top logprobs: the probability the tokens standing for an option
 * (`optionOfToken`, every variant counted) carried before renormalising, Σ exp(logprob), at most 1. Mass on
 * openers (`**`, `Answer`, a space or newline) and words is what renormalising throws away; a low mass means the
 * renormalised distribution speaks for the few replies that put the number first, not for the model's answers.
 * 0 when no option appears (or the response has no logprobs).
 *
 * @example
 * // ln 0.5, ln 0.2 on options, ln 0.3 on "**": mass 0.7
 * optionMass([{ token: "4", logprob: Math.log(0.5) }, { token: " 2.", logprob: Math.log(0.2) }, { token: "**", logprob: Math.log(0.3) }], choices) // → 0.7
 */
export const optionMass = (
  top: ReadonlyArray<{ readonly token: string; readonly logprob: number }> | null,
  choices: ReadonlyArray<PresentedChoice>
): number => {
  if (top === null) return 0
  let mass = 0
  for (const m of matchOptionTokens(top, choices)) mass += Math.exp(m.logprob)
  return Math.min(1, mass)
}

/**
 * Probability of each presented choice, from the first generated token's top logprobs.
 *
 * A token belongs to a choice when it stands for it (`optionOfToken`): its text equals the choice's `token`
 * ("1"…"6", or a label such as "Yes") ignoring case, whitespace, emphasis and trailing punctuation, so
 * tokenizer variants such as `"1"`, `" 1"`, `"1."`, or `"Yes"`, `" yes"`, all count. Variants are summed in probability space
 * (p = Σ exp(logprob)), then the probabilities are normalised over the choices, so mass on tokens that are
 * no choice at all ("I", "The", …) is discarded. Choices missing from the top list get probability 0.
 *
 * The result is in the order of `choices` (presentation order), not canonical scale order.
 * Returns `null` when no choice appears in `top` with a finite logprob.
 *
 * @example
 * // ln 0.5 ≈ -0.693, ln 0.2 ≈ -1.609, ln 0.1 ≈ -2.303
 * renormaliseLogprobs(
 *   [
 *     { token: "2", logprob: Math.log(0.5) },
 *     { token: " 2", logprob: Math.log(0.1) },
 *     { token: "1", logprob: Math.log(0.2) },
 *     { token: "I", logprob: Math.log(0.1) }
 *   ],
 *   choices // tokens "1", "2", "3"
 * )
 * // choice 1: 0.2, choice 2: 0.5 + 0.1 = 0.6, choice 3: 0 → total 0.8
 * // → [0.25, 0.75, 0]
 */
export const renormaliseLogprobs = (
  top: ReadonlyArray<{ readonly token: string; readonly logprob: number }>,
  choices: ReadonlyArray<PresentedChoice>
): ReadonlyArray<number> | null => {
  const matched = matchOptionTokens(top, choices)
  if (matched.length === 0) return null
  // Subtract the largest logprob before exponentiating so tiny probabilities do not underflow to 0.
  const max = Math.max(...matched.map((m) => m.logprob))
  const mass = choices.map(() => 0)
  for (const m of matched) mass[m.index] = (mass[m.index] ?? 0) + Math.exp(m.logprob - max)
  const total = mass.reduce((a, b) => a + b, 0)
  return mass.map((p) => p / total)
}

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}]/u.test(ch)

/** Characters models wrap answers in (markdown emphasis, code, quotes); removed before matching. */
const DECORATION = /[*_`"'“”‘’]/g

/**
 * The index into `choices` named by a generated answer, or `null` when the text names no choice, an
 * out-of-range number, or more than one different choice.
 *
 * Rules, applied to the text with markdown emphasis, backticks and quotes removed:
 * 1. Empty (or whitespace-only) text → `null`.
 * 2. Text that is exactly a choice token, ignoring case and surrounding punctuation ("4", "4.", "(4)") → that choice.
 * 3. Option labels are found case-insensitively as whole phrases, longest label first; the text a longer
 *    label matched is masked, so "Not like me" is never also read as "Like me".
 * 4. Every integer left in the (masked) text must be a choice token; any other number ("7", "0", "-1",
 *    "4.5") → `null`.
 * 5. The choices named by rules 3 and 4 together must be exactly one ("Answer: 4", "**4**",
 *    "4 - Like me", "Very much like me" are fine; "4 or 5", "4 - Not like me" when option 4 is another
 *    label, "Like me, not like me" → `null`).
 *
 * @example
 * // choices: 1 "Not like me" … 4 "Like me" …
 * parseAnswer("**4** - Like me", choices) // → 3
 * parseAnswer("Not like me", choices)     // → 0
 * parseAnswer("4 or 5", choices)          // → null
 */
export const parseAnswer = (text: string, choices: ReadonlyArray<PresentedChoice>): number | null => {
  let s = text.replace(DECORATION, " ").trim().toLowerCase()
  if (s.length === 0 || choices.length === 0) return null

  const bare = s.replace(/^[\s([{]+|[\s)\]}.,;:!?]+$/g, "")
  const exact = choices.findIndex((c) => c.token.toLowerCase() === bare)
  if (exact >= 0) return exact

  const named = new Set<number>()

  const byLength = choices
    .map((c, index) => ({ index, label: c.label.trim().toLowerCase() }))
    .filter((l) => l.label.length > 0)
    .sort((a, b) => b.label.length - a.label.length)
  for (const { index, label } of byLength) {
    let from = 0
    for (;;) {
      const at = s.indexOf(label, from)
      if (at < 0) break
      const end = at + label.length
      if (!isWordChar(s[at - 1]) && !isWordChar(s[end])) {
        named.add(index)
        // Mask with a separator so the remaining text cannot join across the gap.
        s = s.slice(0, at) + "\u0000".repeat(label.length) + s.slice(end)
      }
      from = end
    }
  }

  const tokenIndex = new Map(choices.map((c, i) => [c.token.toLowerCase(), i] as const))
  // A leading minus counts only when it is not a dash between words or numbers ("4 - Like me", "4-5").
  for (const m of s.matchAll(/(?<![\p{L}\p{N}]\s*)-?\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?/gu)) {
    const index = tokenIndex.get(m[0])
    if (index === undefined) return null
    named.add(index)
  }

  if (named.size !== 1) return null
  const [only] = named
  return only ?? null
}

/**
 * The answers of a `batch` reply (every item asked in one message) as indices into `choices`, one per item
 * (`null` where the item's answer cannot be read).
 *
 * Each line of the form `Q<n>: <answer>` (also `Q<n>.`, `Q<n> -`, `Q<n>)`, with or without markdown decoration,
 * the `Q` in any case) answers item n (1-based); `<answer>` is read with `parseAnswer`. An item answered on
 * two lines with different choices, a number outside 1…count and lines of any other form are ignored for
 * that item or line.
 *
 * @example
 * // choices tokens "1"…"6"
 * parseBatchAnswer("Q1: 4\nQ2: 6 - Very much like me\nQ3: 4 or 5", 3, choices) // → [3, 5, null]
 */
export const parseBatchAnswer = (text: string, count: number, choices: ReadonlyArray<PresentedChoice>): Array<number | null> => {
  const found: Array<number | null | undefined> = Array.from({ length: count }, () => undefined)
  for (const line of text.replace(DECORATION, " ").split(/\r?\n/)) {
    const m = /^\s*q\s*(\d+)\s*[:.)\-–]\s*(.*)$/i.exec(line)
    if (m === null) continue
    const n = Number(m[1])
    if (!(n >= 1 && n <= count)) continue
    const idx = parseAnswer(m[2]!, choices)
    const prev = found[n - 1]
    // The first reading stands unless a later line names a different choice: then the item is unreadable.
    found[n - 1] = prev === undefined ? idx : prev === idx ? prev : null
  }
  return found.map((f) => f ?? null)
}

/**
 * Under logprob scoring a response is usable when its first token's top logprobs put mass on at least one
 * option; otherwise says what is wrong (the request is then retried like a 5xx, and never shared).
 */
export const logprobValidator = (choices: ReadonlyArray<PresentedChoice>) => (c: Completion): string | null =>
  c.topLogprobs === null
    ? "the response has no logprobs"
    : renormaliseLogprobs(c.topLogprobs, choices) === null
      ? "none of the options is among the top logprobs"
      : null
