import type { Questionnaire } from "../domain/questionnaire.js"
import type { HedonismPlacement, HigherOrder, Value10 } from "../domain/values.js"
import { HIGHER_ORDER, HIGHER_ORDER_NAMES, isValue10 } from "../domain/values.js"
import { answerAgreement, higherOrderAgreement, valueVectorCorrelations } from "../stats/agreement.js"
import { mean } from "../stats/descriptive.js"
import { readAnswerPages, readConditions, readItems } from "../store/reads.js"
import { scoringCode } from "../store/encoding.js"
import type { RunDb } from "../store/RunStore.js"

const SAMPLE = scoringCode("sample")

/** The `measure` of the in-memory questionnaire `valuesim persona-evals run` builds. */
export const PERSONA_MEASURE = "persona-evals"

/** One answer to one statement, reduced to what the agreement analysis needs. */
export interface AgreementAnswer {
  readonly behaviour: string
  /** `value:<code>` or `none`. */
  readonly condition: string
  /** The value the condition primes (null for `none`). */
  readonly value: Value10 | null
  /** 1 matches the behaviour, 0 does not, ½ a tie of probabilities; null a missing answer. */
  readonly agreement: number | null
  /** P(the matching option) when the answer has a distribution (logprob scoring). */
  readonly pMatching: number | null
}

type Table = Record<string, Record<string, number | null>>

export interface PersonaAgreementReport {
  readonly behaviours: ReadonlyArray<{ readonly behaviour: string; readonly statements: number; readonly peak: string | null }>
  readonly conditions: ReadonlyArray<string>
  /** Percent of answers agreeing with the behaviour, per behaviour × condition. */
  readonly agreement: Table
  /** Answers counted per behaviour × condition. */
  readonly answered: Record<string, Record<string, number>>
  /** Mean P(matching option) per behaviour × condition, where answers carry distributions. */
  readonly pMatching: Table
  readonly higherOrder: {
    readonly labels: ReadonlyArray<HigherOrder>
    readonly names: ReadonlyArray<string>
    readonly hedonism: HedonismPlacement
    /** Percent per behaviour × higher-order value: the mean of its basic values' percentages (figure 3). */
    readonly agreement: Table
  }
  /** Figure 4a: Pearson correlations of the higher-order value vectors (agreement across behaviours). */
  readonly valueVectors: { readonly labels: ReadonlyArray<HigherOrder>; readonly behaviours: number; readonly matrix: ReadonlyArray<ReadonlyArray<number | null>> }
  /** Figure 4b: agreement with the politically conservative behaviours, per higher-order value and condition. */
  readonly conservative: {
    readonly behaviours: ReadonlyArray<string>
    readonly missing: ReadonlyArray<string>
    readonly byHigherOrder: Record<HigherOrder, number | null>
    readonly byCondition: Record<string, number | null>
  }
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null)

export interface AgreementOptions {
  readonly hedonism: HedonismPlacement
  /** The behaviours that make up "conservative politics" for figure 4b. */
  readonly conservative: ReadonlyArray<string>
}

/**
 * Paper 000 §4 from the answers: agreement % per behaviour × condition, per behaviour × higher-order value,
 * the correlation matrix of the higher-order value vectors and agreement with the conservative behaviours.
 * `behaviours` gives the order and the statement counts; `conditions` the column order.
 */
export const personaAgreement = (
  answers: ReadonlyArray<AgreementAnswer>,
  behaviours: PersonaAgreementReport["behaviours"],
  conditions: ReadonlyArray<string>,
  o: AgreementOptions
): PersonaAgreementReport => {
  const sums = new Map<string, { n: number; agree: number; p: number; np: number }>()
  const valueOf = new Map<string, Value10 | null>()
  for (const a of answers) {
    valueOf.set(a.condition, a.value)
    if (a.agreement === null) continue
    const key = `${a.behaviour}\u0000${a.condition}`
    const s = sums.get(key) ?? { n: 0, agree: 0, p: 0, np: 0 }
    s.n++
    s.agree += a.agreement
    if (a.pMatching !== null) {
      s.p += a.pMatching
      s.np++
    }
    sums.set(key, s)
  }
  const agreement: Table = {}
  const answered: Record<string, Record<string, number>> = {}
  const pMatching: Table = {}
  const hoTable: Table = {}
  const vectors = Object.fromEntries(HIGHER_ORDER.map((h) => [h, [] as Array<number>])) as Record<HigherOrder, Array<number>>
  for (const { behaviour } of behaviours) {
    agreement[behaviour] = {}
    answered[behaviour] = {}
    pMatching[behaviour] = {}
    const byValue: Partial<Record<Value10, number>> = {}
    for (const c of conditions) {
      const s = sums.get(`${behaviour}\u0000${c}`)
      const pct = s && s.n > 0 ? (100 * s.agree) / s.n : NaN
      agreement[behaviour]![c] = finite(pct)
      answered[behaviour]![c] = s?.n ?? 0
      pMatching[behaviour]![c] = s && s.np > 0 ? s.p / s.np : null
      const v = valueOf.get(c) ?? null
      if (v !== null && !Number.isNaN(pct)) byValue[v] = pct
    }
    const ho = higherOrderAgreement(byValue, o.hedonism)
    hoTable[behaviour] = Object.fromEntries(HIGHER_ORDER.map((h) => [h, finite(ho[h])]))
    for (const h of HIGHER_ORDER) vectors[h].push(ho[h])
  }
  const usable = behaviours.filter((_, b) => HIGHER_ORDER.every((h) => !Number.isNaN(vectors[h][b]!))).length
  const matrix = valueVectorCorrelations(vectors).map((row) => row.map(finite))
  const present = new Set(behaviours.map((b) => b.behaviour))
  const cons = o.conservative.filter((b) => present.has(b))
  const meanOf = (xs: ReadonlyArray<number | null | undefined>) => finite(mean(xs.filter((x): x is number => x !== null && x !== undefined)))
  return {
    behaviours,
    conditions,
    agreement,
    answered,
    pMatching,
    higherOrder: { labels: HIGHER_ORDER, names: HIGHER_ORDER.map((h) => HIGHER_ORDER_NAMES[h]), hedonism: o.hedonism, agreement: hoTable },
    valueVectors: { labels: HIGHER_ORDER, behaviours: usable, matrix },
    conservative: {
      behaviours: cons,
      missing: o.conservative.filter((b) => !present.has(b)),
      byHigherOrder: Object.fromEntries(HIGHER_ORDER.map((h) => [h, meanOf(cons.map((b) => hoTable[b]![h]))])) as Record<HigherOrder, number | null>,
      byCondition: Object.fromEntries(conditions.map((c) => [c, meanOf(cons.map((b) => agreement[b]![c]))]))
    }
  }
}

/**
 * Pools persona sets into the behaviours of `groups` (group → its sets): each answer counts towards every group
 * that lists its set; sets in no group are left out. A group's statements are the sum of its sets' that were
 * run; `missing` lists, per group, its sets that were not run (a group with none run is dropped).
 */
export const groupBehaviours = (
  answers: ReadonlyArray<AgreementAnswer>,
  behaviours: PersonaAgreementReport["behaviours"],
  groups: ReadonlyMap<string, ReadonlyArray<string>>
): { answers: Array<AgreementAnswer>; behaviours: Array<PersonaAgreementReport["behaviours"][number]>; missing: Array<string> } => {
  const run = new Map(behaviours.map((b) => [b.behaviour, b]))
  const groupsOf = new Map<string, Array<string>>()
  const out: Array<PersonaAgreementReport["behaviours"][number]> = []
  const missing: Array<string> = []
  for (const [g, sets] of groups) {
    const present = sets.filter((s) => run.has(s))
    const absent = sets.filter((s) => !run.has(s))
    if (absent.length > 0) missing.push(`${g}: ${absent.join(", ")}`)
    if (present.length === 0) continue
    const peaks = new Set(present.map((s) => run.get(s)!.peak))
    out.push({ behaviour: g, statements: present.reduce((n, s) => n + run.get(s)!.statements, 0), peak: peaks.size === 1 ? [...peaks][0]! : null })
    for (const s of present) groupsOf.set(s, [...(groupsOf.get(s) ?? []), g])
  }
  return { answers: answers.flatMap((a) => (groupsOf.get(a.behaviour) ?? []).map((g) => ({ ...a, behaviour: g }))), behaviours: out, missing }
}

/** The persona-evals step of a run's spec, or -1. */
export const personaStepOf = (steps: ReadonlyArray<{ readonly kind: string; readonly questionnaire?: Questionnaire }>): number =>
  steps.findIndex((s) => s.kind === "questionnaire" && s.questionnaire?.measure === PERSONA_MEASURE)

/**
 * Reads a persona-evals step's answers from a run database. The scale is No = 0, Yes = 1 (lowest first), so the
 * distribution's entry for the matching answer is index 1 for a statement keyed Yes and 0 for one keyed No
 * (reverse-keyed items are the ones whose matching answer is No).
 */
export const readAgreementAnswers = (db: RunDb, step: number): Array<AgreementAnswer> => {
  const items = readItems(db).filter((it) => it.step === step)
  const conditions = readConditions(db)
  const out: Array<AgreementAnswer> = []
  for (const page of readAnswerPages(db, step)) {
    for (let a = 0; a < page.rows; a++) {
      const c = conditions[page.conditionIdx[a]!]!
      for (let i = 0; i < page.items; i++) {
        const n = a * page.items + i
        const item = items[i]!
        const matchingValue = item.reverse ? 0 : 1
        let pMatching: number | null = null
        // Drawn from a distribution (a request's logprobs, or the synthetic theory model): its probability is known.
        if (page.scoring[n] !== SAMPLE && page.k > 0 && !Number.isNaN(page.dists[n * page.k]!)) {
          const d0 = page.dists[n * page.k]!
          const d1 = page.dists[n * page.k + 1]!
          const p = matchingValue === 0 ? d0 : d1
          if (d0 + d1 > 0) pMatching = p / (d0 + d1)
        }
        const v = page.values[n]!
        out.push({
          behaviour: item.subscale,
          condition: c.condition,
          value: c.valueCode !== null && isValue10(c.valueCode) ? c.valueCode : null,
          agreement: answerAgreement(pMatching, Number.isNaN(v) ? null : v === matchingValue),
          pMatching
        })
      }
    }
  }
  return out
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + " ".repeat(n - s.length))
const num = (x: number | null | undefined, digits = 0) => (x === null || x === undefined ? "–" : x.toFixed(digits))

/** A plain-text rendering: the higher-order table (figure 3), the 4 × 4 matrix (4a), conservative politics (4b). */
export const renderAgreementTables = (r: PersonaAgreementReport): Array<string> => {
  const lines: Array<string> = []
  // The longest name sets the column: cutting names made distinct behaviours read alike.
  const width = Math.max(10, ...r.behaviours.map((b) => b.behaviour.length))
  const short = { OPEN: "Open", SELF_ENH: "S-Enh", CONS: "Cons", SELF_TRANS: "S-Tr" } as const
  lines.push("Agreement with each behaviour, % by higher-order value (figure 3 shape)")
  lines.push(`  ${pad("behaviour", width)} ${r.higherOrder.labels.map((h) => pad(short[h], 6)).join(" ")}${r.conditions.includes("none") ? " none" : ""}`)
  for (const b of r.behaviours) {
    const row = r.higherOrder.labels.map((h) => pad(num(r.higherOrder.agreement[b.behaviour]?.[h]), 6)).join(" ")
    const none = r.conditions.includes("none") ? ` ${num(r.agreement[b.behaviour]?.["none"])}` : ""
    lines.push(`  ${pad(b.behaviour, width)} ${row}${none}`)
  }
  lines.push("")
  lines.push("Agreement with each behaviour, % by condition")
  const code = (c: string) => (c.startsWith("value:") ? c.slice(6) : c)
  lines.push(`  ${pad("behaviour", width)} ${r.conditions.map((c) => pad(code(c), 4)).join(" ")}`)
  for (const b of r.behaviours) {
    lines.push(`  ${pad(b.behaviour, width)} ${r.conditions.map((c) => pad(num(r.agreement[b.behaviour]?.[c]), 4)).join(" ")}`)
  }
  lines.push("")
  lines.push(`Correlations of the higher-order value vectors over ${r.valueVectors.behaviours} behaviours (figure 4a shape)`)
  lines.push(`  ${pad("", 6)} ${r.valueVectors.labels.map((h) => pad(short[h], 6)).join(" ")}`)
  r.valueVectors.matrix.forEach((row, i) =>
    lines.push(`  ${pad(short[r.valueVectors.labels[i]!], 6)} ${row.map((x) => pad(num(x, 2), 6)).join(" ")}`)
  )
  lines.push("")
  if (r.conservative.behaviours.length === 0) {
    lines.push(`Conservative politics (figure 4b): not measured (none of ${r.conservative.missing.join(", ")} was run)`)
  } else {
    lines.push(`Agreement with conservative politics (${r.conservative.behaviours.join(", ")}), % (figure 4b shape)`)
    lines.push(`  ${r.higherOrder.labels.map((h) => `${HIGHER_ORDER_NAMES[h]} ${num(r.conservative.byHigherOrder[h])}`).join(" · ")}`)
  }
  return lines
}
