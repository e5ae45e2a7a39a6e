/**
 * Demographic persona bias (Value Portrait, seed 004 section 5 and appendix H, tables 9-12). No I/O.
 *
 * Model: for each persona condition, its centered value scores minus those of the condition without a persona.
 * Human: each group's mean value score minus the mean of all respondents (a value-differences baseline file).
 * Both sides are shown per demographic variable; for a variable with exactly two groups the contrast of the two
 * (e.g. male − female, the paper's table 9 last row) is added. The gap is model − human, summarised per group by
 * the mean absolute gap and the Pearson correlation over the 10 values.
 */
import { pearson } from "../stats/correlation.js"
import { mean } from "../stats/descriptive.js"
import { num } from "./alignment.js"

export const BIAS_VALUES = ["UN", "BE", "CO", "TR", "SE", "PO", "AC", "HE", "ST", "SD"] as const

export interface BiasRow {
  readonly group: string
  /** Persona − no persona, per value code (null: no persona condition for the group, or no score). */
  readonly model: Readonly<Record<string, number | null>>
  /** Group − all respondents, per value code (null: the baseline has no such group). */
  readonly human: Readonly<Record<string, number | null>>
  /** Mean |model − human| over the values with both numbers. */
  readonly mean_abs_gap: number | null
  /** Pearson r of model and human differences over the values with both numbers. */
  readonly r: number | null
}

export interface BiasTable {
  readonly variable: string
  readonly rows: ReadonlyArray<BiasRow>
}

export interface HumanGroup {
  readonly variable: string
  readonly group: string
  readonly differences: Readonly<Record<string, number>>
}

/**
 * `personas`: persona key (`<variable>/<group>`) → centered value scores; `reference`: the scores without a
 * persona. Variables appear in the order of the human baseline, then any the baseline lacks.
 */
export const personaBias = (
  personas: ReadonlyMap<string, Readonly<Record<string, number>>>,
  reference: Readonly<Record<string, number>>,
  human: ReadonlyArray<HumanGroup>
): ReadonlyArray<BiasTable> => {
  const modelDiff = new Map<string, Record<string, number | null>>()
  for (const [key, scores] of personas) {
    const d: Record<string, number | null> = {}
    for (const v of BIAS_VALUES) d[v] = num((scores[v] ?? NaN) - (reference[v] ?? NaN))
    modelDiff.set(key, d)
  }
  const variables: Array<string> = []
  const groupsOf = new Map<string, Array<string>>()
  const addGroup = (variable: string, group: string) => {
    if (!groupsOf.has(variable)) {
      variables.push(variable)
      groupsOf.set(variable, [])
    }
    const gs = groupsOf.get(variable)!
    if (!gs.includes(group)) gs.push(group)
  }
  for (const h of human) addGroup(h.variable, h.group)
  for (const key of personas.keys()) {
    const slash = key.indexOf("/")
    addGroup(slash < 0 ? "persona" : key.slice(0, slash), slash < 0 ? key : key.slice(slash + 1))
  }
  const humanOf = (variable: string, group: string) => {
    const h = human.find((x) => x.variable === variable && x.group === group)
    const d: Record<string, number | null> = {}
    for (const v of BIAS_VALUES) d[v] = h ? num(h.differences[v]) : null
    return d
  }
  const row = (group: string, model: Record<string, number | null>, hum: Record<string, number | null>): BiasRow => {
    const pairs = BIAS_VALUES.flatMap((v) => (model[v] != null && hum[v] != null ? [[model[v]!, hum[v]!] as const] : []))
    return {
      group,
      model,
      human: hum,
      mean_abs_gap: pairs.length === 0 ? null : num(mean(pairs.map(([m, h]) => Math.abs(m - h)))),
      r: pairs.length < 3 ? null : num(pearson(pairs.map((p) => p[0]), pairs.map((p) => p[1])))
    }
  }
  return variables
    .map((variable) => {
      const groups = groupsOf.get(variable)!
      const keyOf = (g: string) => (variable === "persona" ? g : `${variable}/${g}`)
      const rows = groups
        .filter((g) => modelDiff.has(keyOf(g)))
        .map((g) => row(g, modelDiff.get(keyOf(g))!, humanOf(variable, g)))
      if (groups.length === 2 && rows.length === 2) {
        const [a, b] = rows as [BiasRow, BiasRow]
        const diff = (x: Readonly<Record<string, number | null>>, y: Readonly<Record<string, number | null>>) =>
          Object.fromEntries(BIAS_VALUES.map((v) => [v, x[v] != null && y[v] != null ? x[v]! - y[v]! : null])) as Record<string, number | null>
        rows.push(row(`${a.group}-${b.group}`, diff(a.model, b.model), diff(a.human, b.human)))
      }
      return { variable, rows }
    })
    .filter((t) => t.rows.length > 0)
}
