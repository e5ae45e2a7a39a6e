/**
 * Schwartz's basic human values: the 10 basic values in circle order, the 19 refined values, and the four
 * higher-order values. Pure data; no I/O.
 *
 * Circle order follows Schwartz (1992) and Schwartz et al. (2012): adjacent values are compatible, opposite
 * values conflict. The index of a value in `VALUES_10` is its position on the circle.
 */

export const VALUES_10 = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"] as const
export type Value10 = (typeof VALUES_10)[number]

export const VALUE_NAMES_10: Readonly<Record<Value10, string>> = {
  SD: "Self-Direction",
  ST: "Stimulation",
  HE: "Hedonism",
  AC: "Achievement",
  PO: "Power",
  SE: "Security",
  CO: "Conformity",
  TR: "Tradition",
  BE: "Benevolence",
  UN: "Universalism"
}

/** The 19 refined values of Schwartz et al. (2012), in circle order. */
export const VALUES_19 = [
  "SDT", "SDA", "ST", "HE", "AC", "POD", "POR", "FAC", "SEP", "SES",
  "TR", "COR", "COI", "HUM", "BED", "BEC", "UNC", "UNN", "UNT"
] as const
export type Value19 = (typeof VALUES_19)[number]

export const VALUE_NAMES_19: Readonly<Record<Value19, string>> = {
  SDT: "Self-Direction–Thought",
  SDA: "Self-Direction–Action",
  ST: "Stimulation",
  HE: "Hedonism",
  AC: "Achievement",
  POD: "Power–Dominance",
  POR: "Power–Resources",
  FAC: "Face",
  SEP: "Security–Personal",
  SES: "Security–Societal",
  TR: "Tradition",
  COR: "Conformity–Rules",
  COI: "Conformity–Interpersonal",
  HUM: "Humility",
  BED: "Benevolence–Dependability",
  BEC: "Benevolence–Caring",
  UNC: "Universalism–Concern",
  UNN: "Universalism–Nature",
  UNT: "Universalism–Tolerance"
}

/**
 * The basic value each refined value refines. Face (between Power and Security) and Humility (between
 * Conformity and Benevolence) lie on borders of the circle and are aggregated into no basic value here.
 */
export const REFINED_TO_BASIC: Readonly<Record<Value19, Value10 | null>> = {
  SDT: "SD", SDA: "SD", ST: "ST", HE: "HE", AC: "AC", POD: "PO", POR: "PO", FAC: null,
  SEP: "SE", SES: "SE", TR: "TR", COR: "CO", COI: "CO", HUM: null, BED: "BE", BEC: "BE",
  UNC: "UN", UNN: "UN", UNT: "UN"
}

export const HIGHER_ORDER = ["OPEN", "SELF_ENH", "CONS", "SELF_TRANS"] as const
export type HigherOrder = (typeof HIGHER_ORDER)[number]

export const HIGHER_ORDER_NAMES: Readonly<Record<HigherOrder, string>> = {
  OPEN: "Openness to Change",
  SELF_ENH: "Self-Enhancement",
  CONS: "Conservation",
  SELF_TRANS: "Self-Transcendence"
}

/**
 * Hedonism shares elements of Openness to Change and Self-Enhancement. Callers choose where it goes; the
 * default follows Schwartz (1992), who grouped it with Openness to Change.
 */
export type HedonismPlacement = "OPEN" | "SELF_ENH" | "exclude"

export const higherOrderOf = (value: Value10, hedonism: HedonismPlacement = "OPEN"): HigherOrder | undefined => {
  switch (value) {
    case "SD":
    case "ST":
      return "OPEN"
    case "HE":
      return hedonism === "exclude" ? undefined : hedonism
    case "AC":
    case "PO":
      return "SELF_ENH"
    case "SE":
    case "CO":
    case "TR":
      return "CONS"
    case "BE":
    case "UN":
      return "SELF_TRANS"
  }
}

export const isValue10 = (s: string): s is Value10 => (VALUES_10 as ReadonlyArray<string>).includes(s)
export const isValue19 = (s: string): s is Value19 => (VALUES_19 as ReadonlyArray<string>).includes(s)

/** Accepts a code ("BE") or a full name in any case ("benevolence", "Self-Direction"). */
export const parseValue10 = (s: string): Value10 | undefined => {
  const t = s.trim()
  if (isValue10(t.toUpperCase())) return t.toUpperCase() as Value10
  const norm = t.toLowerCase().replace(/[\s_]+/g, "-")
  for (const v of VALUES_10) if (VALUE_NAMES_10[v].toLowerCase() === norm) return v
  return undefined
}

/** Circular distance (0…5) between two positions of the 10-value circle. */
export const circularDistance10 = (a: Value10, b: Value10): number => {
  const d = Math.abs(VALUES_10.indexOf(a) - VALUES_10.indexOf(b))
  return Math.min(d, VALUES_10.length - d)
}

/** Which set of values a questionnaire measures or a population primes: the 10 basic or the 19 refined values. */
export const VALUE_SYSTEMS = ["basic", "refined"] as const
export type ValueSystem = (typeof VALUE_SYSTEMS)[number]

/** The value codes of a system in circle order (a value's index is its position on that system's circle). */
export const valuesOf = (system: ValueSystem): ReadonlyArray<string> => (system === "refined" ? VALUES_19 : VALUES_10)

const normName = (s: string) => s.trim().toLowerCase().replace(/[\s_–—-]+/g, "-")

/** Accepts a refined code ("SDT") or a full name in any case ("self-direction-thought", "Power–Dominance"). */
export const parseValue19 = (s: string): Value19 | undefined => {
  const t = s.trim().toUpperCase()
  if (isValue19(t)) return t
  const norm = normName(s)
  for (const v of VALUES_19) if (normName(VALUE_NAMES_19[v]) === norm) return v
  return undefined
}

/** A value code or name of `system`, as its code. `ST`, `HE`, `AC` and `TR` are codes of both systems. */
export const parseValueIn = (system: ValueSystem, s: string): string | undefined =>
  system === "refined" ? parseValue19(s) : parseValue10(s)

/** The display name of a code of `system`. */
export const valueName = (system: ValueSystem, code: string): string =>
  system === "refined" ? (VALUE_NAMES_19[code as Value19] ?? code) : (VALUE_NAMES_10[code as Value10] ?? code)

/**
 * Circular distance between two positions of a system's circle: 0…5 on the 10-value circle, 0…9 on the
 * 19-value circle. Positions may be fractional.
 */
export const circularDistance = (n: number, a: number, b: number): number => {
  const d = Math.abs(a - b) % n
  return Math.min(d, n - d)
}

/**
 * Where a value of one system sits on the circle of another, as a (possibly fractional) position: a refined
 * value on the basic circle is its basic value (Face halfway between Power and Security, Humility halfway
 * between Tradition and Benevolence); a basic value on the refined circle is the mean position of the refined
 * values that refine it (Self-Direction 0.5, between Thought and Action).
 */
export const positionOn = (target: ValueSystem, source: ValueSystem, code: string): number | null => {
  if (source === target) {
    const i = valuesOf(target).indexOf(code)
    return i >= 0 ? i : null
  }
  if (target === "basic") {
    if (code === "FAC") return 4.5
    if (code === "HUM") return 7.5
    const b = REFINED_TO_BASIC[code as Value19]
    return b === undefined || b === null ? null : VALUES_10.indexOf(b)
  }
  const idx = VALUES_19.flatMap((r, i) => (REFINED_TO_BASIC[r] === code ? [i] : []))
  if (idx.length === 0) return null
  return idx.reduce((a, b) => a + b, 0) / idx.length
}
