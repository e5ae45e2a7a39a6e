/** Number and prose formatting shared by the text and HTML reports, so that both print a figure alike. */
import { dissimilarityOf, isSmacof, type MdsMethod } from "../stats/mds.js"

const DASH = "–"

export const isNumber = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x)

/** Fixed decimals; null, undefined and non-finite values become a dash, and "-0.000" becomes "0.000". */
export const num = (x: number | null | undefined, digits = 3): string => {
  if (!isNumber(x)) return DASH
  const s = x.toFixed(digits)
  return Number(s) === 0 ? (0).toFixed(digits) : s
}

export const int = (x: number | null | undefined): string => (isNumber(x) ? String(Math.round(x)) : DASH)

/** Every p below .001 reads "<.001"; others three decimals. */
export const pValue = (p: number | null | undefined): string => {
  if (!isNumber(p)) return DASH
  return p < 0.001 ? "<.001" : p.toFixed(3)
}

export const ciText = (ci: { readonly lower: number | null; readonly upper: number | null }): string =>
  isNumber(ci.lower) || isNumber(ci.upper) ? `[${num(ci.lower)}, ${num(ci.upper)}]` : DASH

/** Whether a field from a data file says something ("-" and "–" stand for nothing). */
export const hasText = (text: string | null | undefined): text is string => text !== null && text !== undefined && !/^[\s\-–—]*$/.test(text)

/** A piece of text from a data file without its closing full stop, for use inside a sentence of the report. */
export const clause = (text: string): string => text.trim().replace(/\.+$/, "")

/** A piece of text from a data file ended by exactly one full stop (or its own ?, ! or closing punctuation). */
export const sentence = (text: string): string => {
  const t = text.trim()
  return /[.?!…]["'”’)]*$/.test(t) ? t : `${t}.`
}

/**
 * Doubled full stops ("..", ". .", ".)." after a sentence that already ended) in a report's reading text, each
 * with a little context; a relative path ("../x", "./x") and an ellipsis ("...") are not doubled stops.
 */
export const doubledStops = (text: string): ReadonlyArray<string> =>
  [...text.matchAll(/\.([\s)\]"'”\u2019]*)\./g)].flatMap((m) => {
    const at = m.index
    const end = at + m[0].length
    const before = text[at - 1] ?? ""
    const after = text[end] ?? ""
    if (m[1] === "" && (before === "." || after === "." || after === "/")) return []
    return [text.slice(Math.max(0, at - 40), end + 10)]
  })

/**
 * Significance stars: ** p < .01, * p < .05. valuesim stars a similarity score by its chance-level (permutation)
 * p, BH-adjusted over the table it sits in; the paper's t-test against 0 appears only in a column of its own.
 */
export const stars = (p: number | null | undefined): string => (!isNumber(p) ? "" : p < 0.01 ? "**" : p < 0.05 ? "*" : "")

/** What the stars of a table mean, for its legend. */
export const STARS_LEGEND = "** p < .01, * p < .05 against the chance level (label-permutation p, BH-adjusted over the table's cells)"

/** How the value maps were made, in words: whose choice each part is (paper 000 names only "metric MDS"). */
export const mdsMethodText = (m: MdsMethod): string =>
  `${isSmacof(m) ? "ratio SMACOF maps (the paper's metric MDS; classical start: valuesim's choice)" : "classical MDS maps"} on ${dissimilarityOf(m) === "1-r" ? "1 − r" : "√(2(1 − r)) (valuesim's choice)"}`
