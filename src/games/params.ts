/**
 * Checking a game's parameters as they come from a scenario file (plain YAML data): each game declares its
 * fields with a default and a check, and gets back either the resolved values or readable "field: message"
 * problems. Pure.
 */

export type GameParams = Readonly<Record<string, unknown>>

/** Checks one supplied value; returns a problem message (without the field name) or null. */
export type Check = (value: unknown) => string | null

export type FieldSpec<D> = { readonly [K in keyof D]: Check }

const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (Array.isArray(value)) return "a list"
  if (value === null) return "null"
  if (typeof value === "object") return "an object"
  return String(value)
}

export const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) => {
    if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return null
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`
    return `must be a whole number ${range}, got ${show(v)}`
  }

export const finite: Check = (v) =>
  typeof v === "number" && Number.isFinite(v) ? null : `must be a number, got ${show(v)}`

export const positive: Check = (v) =>
  typeof v === "number" && Number.isFinite(v) && v > 0 ? null : `must be a number > 0, got ${show(v)}`

export const flag: Check = (v) => (typeof v === "boolean" ? null : `must be true or false, got ${show(v)}`)

/** A list of distinct non-empty strings, of exactly `length` entries or (when undefined) at least `min`. */
export const labels =
  (options: { readonly length?: number; readonly min?: number }): Check =>
  (v) => {
    if (!Array.isArray(v)) return `must be a list of labels, got ${show(v)}`
    if (options.length !== undefined && v.length !== options.length) {
      return `must have exactly ${options.length} labels, got ${v.length}`
    }
    if (options.min !== undefined && v.length < options.min) {
      return `must have at least ${options.min} label${options.min === 1 ? "" : "s"}`
    }
    const bad = v.findIndex((x) => typeof x !== "string" || x.trim() === "")
    if (bad >= 0) return `label ${bad + 1} must be non-empty text, got ${show(v[bad])}`
    const dup = v.findIndex((x, i) => v.indexOf(x) !== i)
    if (dup >= 0) return `label ${show(v[dup])} appears more than once`
    return null
  }

/** An object of numbers whose keys all come from `keys`; missing keys take the defaults (`nested` below). */
export const numberRecord =
  (keys: ReadonlyArray<string>): Check =>
  (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return `must be an object, got ${show(v)}`
    const problems = Object.entries(v).flatMap(([k, x]) => {
      if (!keys.includes(k)) return [`unknown key "${k}" (expected ${keys.join(", ")})`]
      return typeof x === "number" && Number.isFinite(x) ? [] : [`${k} must be a number, got ${show(x)}`]
    })
    return problems.length === 0 ? null : problems.join("; ")
  }

/**
 * Resolves `params` against `defaults`: unknown keys and failed field checks become "field: message" problems;
 * `extra` then sees the merged values (only when every field passed) and adds cross-field problems. Object
 * defaults (e.g. PD `payoffs`) are merged key by key with the supplied object.
 */
export const resolve = <D extends Record<string, unknown>>(
  params: GameParams,
  defaults: D,
  spec: FieldSpec<D>,
  extra: (values: D) => ReadonlyArray<string>
): { readonly values: D; readonly problems: ReadonlyArray<string> } => {
  const known = Object.keys(defaults)
  const problems: Array<string> = []
  const values: Record<string, unknown> = { ...defaults }
  for (const [key, value] of Object.entries(params)) {
    if (!known.includes(key)) {
      problems.push(`${key}: unknown parameter (expected one of ${known.join(", ")})`)
      continue
    }
    const problem = (spec[key as keyof D] as Check)(value)
    if (problem !== null) {
      problems.push(`${key}: ${problem}`)
      continue
    }
    const d = defaults[key]
    values[key] =
      typeof d === "object" && d !== null && !Array.isArray(d) ? { ...d, ...(value as object) } : value
  }
  if (problems.length === 0) problems.push(...extra(values as D))
  return { values: values as D, problems }
}

/** The resolved values, or a RangeError listing every problem. */
export const resolveOrThrow = <D extends Record<string, unknown>>(
  kind: string,
  resolved: { readonly values: D; readonly problems: ReadonlyArray<string> }
): D => {
  if (resolved.problems.length > 0) {
    throw new RangeError(`invalid ${kind} parameters: ${resolved.problems.join("; ")}`)
  }
  return resolved.values
}

/** Most amounts a decision may offer: every amount is listed in the prompt. */
export const MAX_AMOUNTS = 1001

/**
 * Problems with an amount grid 0, step, …, endowment: step must divide the endowment, and the grid must stay
 * short enough to list in a prompt (at most `MAX_AMOUNTS` amounts).
 */
export const stepProblems = (endowment: number, step: number): ReadonlyArray<string> => {
  if (endowment % step !== 0) return [`step: must divide endowment (${endowment}) exactly, got ${step}`]
  const n = endowment / step + 1
  return n <= MAX_AMOUNTS ? [] : [`step: gives ${n} amounts from 0 to ${endowment}; at most ${MAX_AMOUNTS} allowed`]
}
