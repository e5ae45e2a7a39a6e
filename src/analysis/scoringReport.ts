import type { ScoringReport } from "./Report.js"
import { readMassRows, readMethodTotals } from "../store/reads.js"
import type { RunDb } from "../store/RunStore.js"

/**
 * The report's comparison of scoring methods: answers per method, the option mass of the shared questions each
 * answered, and the questions below `threshold` (flagged: their renormalised distribution speaks for the few
 * replies that put the option first). Undefined for a run with no answers.
 */
export const scoringReport = (db: RunDb, threshold: number): ScoringReport | undefined => {
  const totals = readMethodTotals(db, threshold)
  if (Object.keys(totals.methods).length === 0) return undefined
  const rows = readMassRows(db)
  const methods = Object.entries(totals.methods).map(([method, answers]) => {
    const mine = rows.filter((r) => r.method === method)
    return {
      method,
      answers,
      questions: mine.length,
      meanMass: mine.length === 0 ? null : mine.reduce((a, r) => a + r.mass, 0) / mine.length,
      lowMassAnswers: mine.filter((r) => r.mass < threshold && method !== "stated" && method !== "sample").reduce((a, r) => a + r.answers, 0)
    }
  })
  return { threshold, methods, lowMass: totals.lowMass, flagged: rows.filter((r) => r.mass < threshold) }
}
