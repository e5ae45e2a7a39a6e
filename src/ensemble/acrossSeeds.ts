/**
 * An ensemble's headline statistics across seeds: every run of the ensemble is the same study with another seed,
 * analysed alone; each headline figure (S_V and S_B per baseline, hierarchy ρ, game outcomes, per-condition
 * means) is then summarised over the seeds — mean, SD between seeds, min, max — beside the mean of the runs' own
 * bootstrap CIs. No I/O: reports in, numbers out.
 */
import type { Report } from "../analysis/Report.js"
import { acrossSeeds, type SeedSpread } from "../stats/chance.js"

/** One headline statistic over the seeds (report JSON `acrossSeeds[key]`). */
export interface SeedStatistic extends SeedSpread {
  /** The within-run CI: each run's bootstrap CI bounds, averaged over the seeds (null when the statistic has none). */
  readonly withinRunCi: { readonly lower: number | null; readonly upper: number | null } | null
}

type Entry = { value: number | null; ci: { lower: number | null; upper: number | null } | null }

/** The headline figures of one report, by a key that is the same in every seed's report. */
export const headlineFigures = (r: Report): Map<string, Entry> => {
  const out = new Map<string, Entry>()
  const v = r.valueStructure
  for (const c of v?.structureComparisons ?? []) out.set(`S_V ${c.baseline.id}`, { value: c.sv, ci: c.bootstrap.ci })
  for (const h of v?.hierarchyComparisons ?? []) out.set(`hierarchy ρ ${h.baseline.id}`, { value: h.spearman, ci: null })
  for (const c of r.behaviour.comparisons) out.set(`S_B ${c.baseline.id} ${c.measure}`, { value: c.sb, ci: c.bootstrap.ci })
  for (const g of r.games)
    for (const m of g.metrics) if (m.round === null) out.set(`${g.scenario}: ${m.metric}`, { value: m.value, ci: null })
  for (const c of v?.conditions ?? [])
    c.means.forEach((x, i) => out.set(`mean ${c.condition} ${v!.labels[i]}`, { value: x, ci: null }))
  return out
}

const meanOf = (xs: ReadonlyArray<number | null>): number | null => {
  const ok = xs.filter((x): x is number => x !== null && Number.isFinite(x))
  return ok.length === 0 ? null : ok.reduce((a, b) => a + b, 0) / ok.length
}

/** Every headline statistic of the seeds' reports (keys in first-seen order), summarised across the seeds. */
export const acrossSeedsOf = (reports: ReadonlyArray<Report>): Record<string, SeedStatistic> => {
  const figures = reports.map(headlineFigures)
  const keys = [...new Set(figures.flatMap((f) => [...f.keys()]))]
  const out: Record<string, SeedStatistic> = {}
  for (const k of keys) {
    const entries = figures.map((f) => f.get(k))
    const cis = entries.flatMap((e) => (e?.ci ? [e.ci] : []))
    out[k] = {
      ...acrossSeeds(entries.map((e) => e?.value ?? null)),
      withinRunCi: cis.length === 0 ? null : { lower: meanOf(cis.map((c) => c.lower)), upper: meanOf(cis.map((c) => c.upper)) }
    }
  }
  return out
}
