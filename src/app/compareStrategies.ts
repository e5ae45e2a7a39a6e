import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { DEFAULT_PERMUTATIONS, type BootstrapSettings } from "../analysis/alignment.js"
import { loadReportBaselines } from "../analysis/analyzeRun.js"
import type { BaselineRef } from "../analysis/Report.js"
import { readStepScores } from "../analysis/scores.js"
import type { HumanStructure, StrategyRow } from "../analysis/strategies.js"
import { compareStrategies } from "../analysis/strategies.js"
import type { LoadedBaseline, ValueCorrelations } from "../config/BaselineFile.js"
import { loadDominantShares } from "../config/PopulationFile.js"
import type { RunSpec } from "../config/RunSpec.js"
import { agentRangeOf, backendIdentity, backendNames, backendsOf, specOfBackend, SYNTHETIC_LABEL, type BackendIdentity } from "../config/RunSpec.js"
import { SpecFileError, UsageError } from "../config/SpecFileError.js"
import type { RunOverrides } from "../config/StudyFile.js"
import { loadRunSpec, projectRoot } from "../config/StudyFile.js"
import { VALUES_10 } from "../domain/values.js"
import { DEFAULT_MDS_METHOD, type MdsMethod } from "../stats/mds.js"
import { readConditions } from "../store/reads.js"
import { getManifest, openDatabase, type RunDb } from "../store/RunStore.js"
import { withinAgents } from "../store/storeScope.js"
import type { RunSummary } from "./runStudy.js"
import { startRun } from "./runStudy.js"
import { mdsMethodText, stars, STARS_LEGEND } from "../report/format.js"

export const STRATEGY_POOL = path.join(projectRoot, "populations", "strategy-pool.yaml")
export const DEFAULT_STRATEGY_QUESTIONNAIRE = path.join(projectRoot, "scenarios", "vsq40.yaml")
export const DEFAULT_SHARES = { file: path.join(projectRoot, "human-baselines", "dominant-value-shares.yaml"), dataset: "ess_sweden_1441" }

export interface StrategyComparison {
  readonly run: BackendIdentity & {
    readonly runId: string
    readonly runDir: string
    readonly questionnaire: string
    /** Respondents with every value scored, per condition. */
    readonly pools: Readonly<Record<string, number>>
  }
  readonly shares: { readonly file: string; readonly dataset: string }
  readonly settings: {
    readonly bootstrapIterations: number
    readonly bootstrapSampleSize: number
    readonly bootstrapSizeRule: "own" | "paper"
    readonly ciLevel: number
    readonly seed: number
    /** Label permutations behind each cell's chance level. */
    readonly permutations: number
  }
  /** How the value maps behind S_V were made: the paper's ratio SMACOF (default) or classical MDS. */
  readonly mdsMethod: MdsMethod
  readonly baselines: ReadonlyArray<BaselineRef>
  readonly strategies: ReadonlyArray<StrategyRow>
  readonly notes: ReadonlyArray<string>
  /** A pool run of several backends: each model's comparison on its own pools (the fields above are the first's). */
  readonly models?: ReadonlyArray<{ readonly name: string; readonly comparison: StrategyComparison }>
}

export interface CompareStrategiesOptions {
  /** Analyse this finished pool run instead of starting one. */
  readonly run: string | undefined
  readonly spec: string
  readonly population: string
  readonly agentsPerCondition: number
  readonly overrides: RunOverrides
  readonly shares: { readonly file: string; readonly dataset: string }
  readonly baselines: ReadonlyArray<string> | null
  readonly bootstrap: BootstrapSettings
  /** Default: the paper's ratio SMACOF. */
  readonly mdsMethod?: MdsMethod
  /** Label permutations behind each cell's chance level. Default: DEFAULT_PERMUTATIONS. */
  readonly permutations?: number
  readonly runsDir: string
  readonly output: { readonly json: boolean; readonly progressEveryMs: number }
}

/** The centered 10-value correlation baselines among `loaded`, each matrix reordered to VALUES_10. */
export const centeredValueStructures = (loaded: ReadonlyArray<LoadedBaseline>): Array<HumanStructure> =>
  loaded.flatMap((lb) => {
    const b = lb.baseline
    if (b.kind !== "value-correlations" || !b.centered) return []
    const vc = b as ValueCorrelations
    if (vc.labels.length !== VALUES_10.length || !VALUES_10.every((v) => vc.labels.includes(v))) return []
    const order = VALUES_10.map((v) => vc.labels.indexOf(v))
    const ref: BaselineRef = {
      file: lb.file,
      id: vc.id,
      title: vc.title,
      instrument: vc.instrument,
      population: vc.population,
      n: vc.n ?? null,
      source: vc.source,
      obtained: vc.obtained,
      confidence: vc.confidence
    }
    return [{ ref, matrix: order.map((i) => order.map((j) => vc.matrix[i]![j]!)) }]
  })

/** The strategy comparison on one backend's pools (the run's agents as `db` shows them). */
const compareOnRun = (
  db: RunDb,
  spec: RunSpec,
  manifest: Record<string, unknown>,
  runDir: string,
  o: CompareStrategiesOptions,
  shares: Effect.Effect.Success<ReturnType<typeof loadDominantShares>>,
  humans: ReadonlyArray<HumanStructure>
): StrategyComparison => {
  const conditions = readConditions(db).map((c) => c.condition)
  const step = spec.steps.findIndex(
    (s) => s.kind === "questionnaire" && s.questionnaire.construct === "values" && VALUES_10.every((v) => s.questionnaire.items.some((i) => i.subscale === v))
  )
  const valueStep = spec.steps[step]
  if (valueStep === undefined || valueStep.kind !== "questionnaire") throw new Error("the run has no questionnaire covering all ten basic values")
  const scores = readStepScores(db, valueStep.questionnaire, step)
  const columnOf = VALUES_10.map((v) => scores.subscales.indexOf(v))
  const byCondition = new Map<string, Array<number>>()
  const keep: Array<number> = []
  for (let r = 0; r < scores.rows; r++) {
    if (!columnOf.every((c) => Number.isFinite(scores.centered[c]![r]!))) continue
    const id = conditions[scores.conditionIdx[r]!] ?? String(scores.conditionIdx[r])
    const list = byCondition.get(id) ?? []
    list.push(keep.length)
    byCondition.set(id, list)
    keep.push(r)
  }
  const columns = columnOf.map((c) => Float64Array.from(keep, (r) => scores.centered[c]![r]!))
  const mdsMethod = o.mdsMethod ?? DEFAULT_MDS_METHOD
  const rows = compareStrategies({ columns, byCondition }, humans, { shares: shares.shares, noDominant: shares.no_dominant }, spec.seed, o.bootstrap, mdsMethod, o.permutations ?? DEFAULT_PERMUTATIONS)
  const synthetic = spec.backend.kind === "synthetic"
  const notes: Array<string> = []
  if (synthetic) notes.push(`${SYNTHETIC_LABEL}: the table shows what the theory model alone gives, a reference point for LLM runs.`)
  notes.push(
    "Populations are weighted resamples of the condition pools (paper 000 §5.2): each bootstrap resample draws a respondent's condition from the strategy's weights, then a respondent of that pool."
  )
  notes.push("Model-Specific weights each value by the S_V of its own pool with the baseline (paper 000 appendix E), so they differ per baseline.")
  return {
    run: {
      runId: String(manifest["run_id"] ?? path.basename(runDir)),
      runDir,
      ...backendIdentity(spec.backend),
      questionnaire: valueStep.questionnaire.id,
      pools: Object.fromEntries(
        [...byCondition.entries()].sort((x, y) => conditions.indexOf(x[0]) - conditions.indexOf(y[0])).map(([k, v]) => [k, v.length])
      )
    },
    shares: o.shares,
    settings: {
      bootstrapIterations: o.bootstrap.iterations,
      bootstrapSampleSize: o.bootstrap.sampleSize,
      bootstrapSizeRule: o.bootstrap.sizeRule ?? "own",
      ciLevel: o.bootstrap.level,
      seed: spec.seed,
      permutations: o.permutations ?? DEFAULT_PERMUTATIONS
    },
    mdsMethod,
    baselines: humans.map((h) => h.ref),
    strategies: rows,
    notes
  }
}

/**
 * Runs (or reuses) one pool run with equal numbers of agents under each value prompt and unprimed, then scores
 * the Uniform, H-Norm, H-Even, H-NP and Model-Specific populations composed from it against every shipped (or
 * given) centered 10-value human structure: paper 000 Table 1. Returns the run summary when a run was started.
 */
export const runStrategyComparison = (o: CompareStrategiesOptions, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    // Check everything the analysis needs before spending a run on it.
    const shares = yield* loadDominantShares(o.shares.file, o.shares.dataset, o.shares.file, "--dataset")
    const loaded = yield* loadReportBaselines(o.baselines)
    const humans = centeredValueStructures(loaded)
    if (humans.length === 0) {
      return yield* new UsageError({ detail: "--baseline: no centered 10-value correlation baseline among the given files" })
    }

    let runDir: string
    let summary: RunSummary | null = null
    if (o.run !== undefined) runDir = o.run
    else {
      const spec = yield* loadRunSpec(o.spec, { ...o.overrides, population: o.population, agents: o.agentsPerCondition * 11 }, env)
      summary = yield* startRun(spec, o.runsDir, env, o.output)
      runDir = summary.runDir
      if (summary.status !== "complete") return { summary, comparison: null }
    }
    const dbFile = path.join(runDir, "run.sqlite")
    if (!fs.existsSync(dbFile)) return yield* new SpecFileError({ file: runDir, problems: ["--run: no run.sqlite here; is this a run folder?"] })
    const db = yield* openDatabase(dbFile, { mustExist: true })
    const comparison = yield* Effect.try({
      try: (): StrategyComparison => {
        const manifest = getManifest(db)
        const spec = manifest["spec"] as RunSpec
        const compare = (bSpec: RunSpec) => compareOnRun(db, bSpec, manifest, runDir, o, shares, humans)
        if (spec.backends === undefined) return compare(spec)
        // Several backends: each one's pools alone (a connection scoped to its agents), then side by side.
        const names = backendNames(spec)
        const models = backendsOf(spec).map((_, b) => ({ name: names[b]!, comparison: withinAgents(db, agentRangeOf(spec, b), () => compare(specOfBackend(spec, b))) }))
        return { ...models[0]!.comparison, models }
      },
      catch: (e) => new SpecFileError({ file: runDir, problems: [`cannot compare strategies on this run (${(e as Error).message})`] })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
    return { summary, comparison }
  })

const NAMES: Record<string, string> = { uniform: "Uniform", "h-norm": "H-Norm", "h-even": "H-Even", "h-np": "H-NP", "model-specific": "Model-Specific" }

/**
 * Paper 000 Table 1 itself for a pool run of several models: per human baseline, models as rows and population
 * strategies as columns, each cell the bootstrap mean of S_V; then each model's full table.
 */
const renderModelsByStrategies = (c: StrategyComparison, models: NonNullable<StrategyComparison["models"]>): string => {
  const f = (x: number | null) => (x === null ? "–" : x.toFixed(3))
  const out = [
    `S_V by model and population strategy (paper 000 Table 1) — ${c.run.questionnaire}, run ${c.run.runId}, ${models.length} models`,
    `cells: bootstrap mean of S_V over ${c.settings.bootstrapIterations} resamples of ${c.settings.bootstrapSampleSize}; ${STARS_LEGEND}, within each model's table; chance levels, CIs and the paper's t-test in each model's table below`
  ]
  const strategies = c.strategies.map((r) => r.strategy)
  for (const [j, b] of c.baselines.entries()) {
    const header = ["model", ...strategies.map((s) => NAMES[s] ?? s)]
    const rows = models.map((m) => [
      `${m.name}${m.comparison.run.synthetic ? " [synthetic]" : ""}`,
      ...strategies.map((s) => {
        const cell = m.comparison.strategies.find((r) => r.strategy === s)?.cells.find((x) => x.baseline.id === b.id) ?? m.comparison.strategies.find((r) => r.strategy === s)?.cells[j]
        return cell === undefined ? "–" : `${f(cell.bootstrap.mean)}${stars(cell.null?.pAdjusted)}`
      })
    ])
    const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)))
    const line = (cells: ReadonlyArray<string>) => cells.map((x, k) => (k === 0 ? x.padEnd(widths[k]!) : x.padStart(widths[k]!))).join("  ").trimEnd()
    out.push("", `${b.id}: ${b.title}`, line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line))
  }
  for (const m of models) out.push("", `═══ ${m.name} ═══`, renderStrategies(m.comparison))
  return out.join("\n")
}

/** Paper 000 Table 1's shape: strategies as rows, human baselines as columns, S_V (bootstrap mean) with its CI. */
export const renderStrategies = (c: StrategyComparison): string => {
  if (c.models !== undefined) return renderModelsByStrategies(c, c.models)
  const f = (x: number | null) => (x === null ? "–" : x.toFixed(3))
  const ids = c.baselines.map((b) => b.id.replace(/\.correlations-centered$/, ""))
  const header = ["strategy", ...ids, "paper's t-test"]
  const rows = c.strategies.map((r) => [
    NAMES[r.strategy] ?? r.strategy,
    ...r.cells.map((cell) => `${f(cell.bootstrap.mean)} [${f(cell.bootstrap.ci.lower)}, ${f(cell.bootstrap.ci.upper)}]${stars(cell.null?.pAdjusted)} (chance ${f(cell.null?.q95 ?? null)})`),
    r.cells.map((cell) => stars(cell.bootstrap.pAdjusted) || "n.s.").join(" ")
  ])
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((x, j) => x.padEnd(widths[j]!)).join("  ").trimEnd()
  const out = [
    `S_V by population strategy — ${c.run.questionnaire}, run ${c.run.runId} (${c.run.backend}, ${c.run.model})`,
    ...(c.run.label ? [`*** ${c.run.label} ***`] : []),
    `pools: ${Object.entries(c.run.pools).map(([k, v]) => `${k} ${v}`).join(", ")}; shares: ${c.shares.dataset}`,
    `cells: bootstrap mean of S_V (${mdsMethodText(c.mdsMethod)}) over ${c.settings.bootstrapIterations} resamples of ${c.settings.bootstrapSampleSize} [${Math.round(c.settings.ciLevel * 100)} % percentile CI]; ${STARS_LEGEND}: the population's structure (every resampled row together, S_V in JSON \`sv\`) with its value labels permuted; chance = the 95th percentile of those S_V`,
    "paper's t-test: paper 000 appendix G's one-sample t-test of the resamples against 0 (BH-adjusted), one mark per baseline in column order, for comparison only — unrelated structures are far above 0, so it stars almost anything",
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    ...c.baselines.map((b, j) => {
      const ceiling = c.strategies[0]?.cells[j]?.ceiling.sv ?? null
      return `${b.id}: ${b.title} (${b.instrument}; n = ${b.n ?? "–"}; ${b.obtained}; confidence ${b.confidence}; human ceiling ${ceiling === null ? "– (no other human sample of its instrument family)" : f(ceiling)})`
    }),
    "human ceiling: mean S_V of the baseline with the other given human structures of its instrument family (how well human samples agree); JSON ceiling.position = (S_V − chance mean) / (ceiling − chance mean), valuesim's reading",
    ...c.notes.map((n) => `note: ${n}`)
  ]
  return out.join("\n")
}
