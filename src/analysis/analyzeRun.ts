import { analyseSocieties } from "../society/report.js"
import { resumeCommand } from "../domain/printable.js"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Baseline, LoadedBaseline, ValueBehaviourCorrelations, ValueCorrelations, ValueHierarchy } from "../config/BaselineFile.js"
import { loadBaseline, loadBaselineDir, SHIPPED_BASELINES_DIR } from "../config/BaselineFile.js"
import type { RunSpec } from "../config/RunSpec.js"
import { agentRangeOf, backendIdentity, backendNames, backendsOf, specOfBackend, SYNTHETIC_LABEL } from "../config/RunSpec.js"
import { withinAgents } from "../store/storeScope.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { VALUES_10, VALUES_19 } from "../domain/values.js"
import { stream } from "../sampling/rng.js"
import { constantLabels, noVarianceNote } from "../domain/noVariance.js"
import { correlationMatrix, crossCorrelation } from "../stats/correlation.js"
import { benjaminiHochberg } from "../stats/inference.js"
import { DEFAULT_MDS_METHOD, mapFromCorrelation, type MdsMethod } from "../stats/mds.js"
import { readConditions, readRunTotals } from "../store/reads.js"
import { isParquetExport, loadParquetExport } from "../store/exportFolder.js"
import { getManifest, openDatabase, type RunDb } from "../store/RunStore.js"
import { scoringReport } from "./scoringReport.js"
import { massThresholdOf } from "../scoring/methods.js"
import { faultOf, storeErrorOf } from "../store/storeFault.js"
import type { BootstrapSettings } from "./alignment.js"
import { behaviourAgainst, columnMeans, DEFAULT_PERMUTATIONS, hierarchySpearman, num, numMatrix, PAPER_BOOTSTRAP, rowsByCondition, structureAgainst } from "./alignment.js"
import type {
  BaselineRef,
  BehaviourComparison,
  BehaviourMeasure,
  BootstrapSummary,
  ConditionBreakdown,
  MissingBaseline,
  Report,
  StructureComparison,
  ValueStructure
} from "./Report.js"
import type { StepScores } from "./scores.js"
import type { HumanGameFigure } from "./games.js"
import { analyseGame, gameBehaviourColumns } from "./games.js"
import { analyseExperiments, analysePanels } from "../experiments/analysis.js"
import { readStepScores } from "./scores.js"
import { humanCeiling, type HumanSample } from "./ceiling.js"

/**
 * The behaviour-measure keys a game step measures (as in human-baselines/unavailable.yaml): `game:<game>` for its
 * outcomes, and for the paired charity game also `paired-charity-game`, the value × choice table of paper 000.
 */
const gameMeasures = (game: string): ReadonlyArray<string> => (game === "paired-charity" ? [`game:${game}`, "paired-charity-game"] : [`game:${game}`])

export interface AnalysisOptions {
  /** Baseline files or folders; null = the shipped `human-baselines/`. */
  readonly baselines: ReadonlyArray<string> | null
  readonly bootstrap: BootstrapSettings
  /** How the value maps behind S_V are made (default: the paper's ratio SMACOF). */
  readonly mdsMethod: MdsMethod
  /** Label permutations behind each S_V's chance level. */
  readonly permutations: number
  /** Option mass below which shared questions are flagged; default the run's own threshold (0.9). */
  readonly massThreshold?: number
}

export const DEFAULT_ANALYSIS: AnalysisOptions = { baselines: null, bootstrap: PAPER_BOOTSTRAP, mdsMethod: DEFAULT_MDS_METHOD, permutations: DEFAULT_PERMUTATIONS }

/** What `valuesim baseline derive` appends to the mapping's id (`my-sample-hierarchy`): src/app/deriveBaseline.ts. */
const DERIVED_SUFFIX = /-(correlations-centered|correlations-raw|hierarchy|dominant-value-shares|values-x-[a-z0-9-]+)$/

/** The sample a baseline id names: the prefix of a shipped id (`<dataset>.<kind>`), or a derived id without its suffix. */
const sampleOf = (baselineId: string): string => {
  const id = baselineId.toLowerCase()
  return id.includes(".") ? id.split(".")[0]! : id.replace(DERIVED_SUFFIX, "")
}

/**
 * Whether a baseline comes from the same data as the population's dominant-value shares: the shares' dataset key
 * (`ess_sweden_1441`) names the same sample as the baseline id's prefix (`ess-sweden-1441.hierarchy`), or, for a
 * baseline `valuesim baseline derive` wrote, its id without the output's suffix (`my-sample-hierarchy`). Comparing
 * a population built from those shares with that baseline is partly circular: the shares alone carry the human
 * hierarchy into the run, whatever the model does.
 */
export const circularityOf = (sharesDataset: string | null, baselineId: string, what: "hierarchy" | "structure"): string | null => {
  if (sharesDataset === null) return null
  const key = sharesDataset.toLowerCase().replace(/_/g, "-")
  if (sampleOf(baselineId) !== key) return null
  return what === "hierarchy"
    ? `circular: the population's dominant-value shares come from the same data (${sharesDataset}), so part of this agreement is put in by the population, not produced by the model`
    : `partly circular: the population's dominant-value shares come from the same data (${sharesDataset}); the mix of prompted values, not only the model, shapes this structure`
}

/** A path as the report's notes print it: relative to the working folder (not the clone's absolute path). */
const shownPath = (file: string): string => (path.isAbsolute(file) ? path.relative(process.cwd(), file) || "." : file)

type WithMeta = Exclude<Baseline, { kind: "unavailable-baselines" } | { kind: "dominant-value-shares" }>

const refOf = (file: string, b: WithMeta): BaselineRef => ({
  file,
  id: b.id,
  title: b.title,
  instrument: b.instrument,
  population: b.population,
  n: b.n ?? null,
  source: b.source,
  obtained: b.obtained,
  confidence: b.confidence
})

const VALUE_CODES: ReadonlySet<string> = new Set<string>([...VALUES_10, ...VALUES_19])
const isValueStep = (s: StepScores) => s.questionnaire.construct === "values" && s.subscales.every((x) => VALUE_CODES.has(x))

/** Loads the baselines a report compares with: the given files (folders are read whole) or the shipped folder. */
export const loadReportBaselines = (files: ReadonlyArray<string> | null) =>
  files === null
    ? loadBaselineDir(SHIPPED_BASELINES_DIR)
    : Effect.map(
        Effect.forEach(files, (f) =>
          fs.existsSync(f) && fs.statSync(f).isDirectory() ? loadBaselineDir(f) : Effect.map(loadBaseline(f), (b) => [b])
        ),
        (xs) => xs.flat()
      )


const conditionBreakdown = (
  scores: StepScores,
  columns: ReadonlyArray<Float64Array>,
  conditions: ReadonlyArray<{ condition: string; value_code: string | null }>
): Array<ConditionBreakdown> =>
  [...rowsByCondition(scores.conditionIdx).entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([idx, rows]) => ({
      condition: conditions[idx]?.condition ?? String(idx),
      primedValue: conditions[idx]?.value_code ?? null,
      agents: rows.length,
      means: columnMeans(columns, rows)
    }))

const reliabilityOf = (scores: StepScores) => scores.reliability.map((r) => ({ subscale: r.subscale, items: r.items, alpha: num(r.alpha) }))

/** Rows (agents) with every column finite: the respondents of a listwise analysis. */
const completeRows = (columns: ReadonlyArray<Float64Array>, rows: number): Int32Array => {
  const keep: Array<number> = []
  for (let r = 0; r < rows; r++) if (columns.every((c) => Number.isFinite(c[r]!))) keep.push(r)
  return Int32Array.from(keep)
}

const subset = (columns: ReadonlyArray<Float64Array>, rows: Int32Array) =>
  columns.map((c) => {
    const out = new Float64Array(rows.length)
    rows.forEach((r, i) => (out[i] = c[r]!))
    return out
  })

const analyseValues = (
  scores: StepScores,
  baselines: ReadonlyArray<LoadedBaseline>,
  conditions: ReadonlyArray<{ condition: string; value_code: string | null }>,
  seed: number,
  settings: BootstrapSettings,
  used: Set<LoadedBaseline>,
  options: { readonly mdsMethod: MdsMethod; readonly permutations: number; readonly sharesDataset: string | null }
): ValueStructure => {
  const labels = scores.subscales
  const complete = completeRows(scores.centered, scores.rows)
  const centered = subset(scores.centered, complete)
  const raw = subset(scores.raw, complete)
  const hierarchy = { centered: columnMeans(centered), raw: columnMeans(raw) }
  const cCentered = correlationMatrix(centered)
  const cRaw = correlationMatrix(raw)
  let mds: ValueStructure["mds"] = null
  if (complete.length > 1 && cCentered.every((row) => row.every(Number.isFinite))) {
    const m = mapFromCorrelation(cCentered, options.mdsMethod)
    mds = { method: options.mdsMethod, coordinates: m.coordinates, eigenvalues: m.eigenvalues.slice() }
  }

  const hierarchyComparisons = baselines.flatMap((lb) => {
    if (lb.baseline.kind !== "value-hierarchy") return []
    const b = lb.baseline as ValueHierarchy
    // Only a hierarchy over the run's own values (a 19-value hierarchy shares a few codes with the 10 values,
    // but ranking those few against each other would mean nothing).
    if (!labels.every((l) => b.means[l] !== undefined)) return []
    const means = b.centered ? hierarchy.centered : hierarchy.raw
    const shared = labels.flatMap((_, i) => (means[i] !== null ? [i] : []))
    if (shared.length < 3) return []
    used.add(lb)
    const human = shared.map((i) => b.means[labels[i]!]!)
    const model = shared.map((i) => means[i]!)
    return [
      {
        baseline: refOf(lb.file, b),
        centered: b.centered,
        labels: shared.map((i) => labels[i]!),
        human,
        model,
        spearman: hierarchySpearman(human, model),
        circularity: circularityOf(options.sharesDataset, b.id, "hierarchy")
      }
    ]
  })

  // every human value structure given, for the human ceiling of each comparison
  const humanSamples: Array<HumanSample> = baselines.flatMap((lb) => {
    if (lb.baseline.kind !== "value-correlations") return []
    const b = lb.baseline as ValueCorrelations
    return [{ id: b.id, instrument: b.instrument, centered: b.centered, labels: b.labels, matrix: b.matrix }]
  })
  const structureComparisons = baselines.flatMap((lb): Array<StructureComparison> => {
    if (lb.baseline.kind !== "value-correlations") return []
    const b = lb.baseline as ValueCorrelations
    if (b.labels.length !== labels.length || !labels.every((l) => b.labels.includes(l))) return []
    used.add(lb)
    const order = labels.map((l) => b.labels.indexOf(l))
    const humanMatrix = order.map((i) => order.map((j) => b.matrix[i]![j]!))
    // The same resamples for every baseline (common random numbers), replayable from the run seed.
    // The chance level: the run's value labels permuted, from a stream of its own per baseline.
    const result = structureAgainst(b.centered ? centered : raw, humanMatrix, stream(seed, "report", "bootstrap", "values"), settings, {
      mdsMethod: options.mdsMethod,
      permutations: options.permutations,
      nullRng: stream(seed, "report", "permutation-null", b.id)
    })
    return [
      {
        baseline: refOf(lb.file, b),
        centered: b.centered,
        humanMatrix,
        mdsMethod: result.mdsMethod,
        sv: num(result.sv ?? NaN),
        disparity: num(result.disparity ?? NaN),
        null: result.null,
        ceiling: humanCeiling(humanSamples.find((h) => h.id === b.id)!, humanSamples, labels, options.mdsMethod, num(result.sv ?? NaN), result.null?.mean ?? null),
        bootstrap: result.bootstrap,
        aligned: result.aligned,
        circularity: circularityOf(options.sharesDataset, b.id, "structure")
      }
    ]
  })

  const noVariance = complete.length > 1 ? noVarianceNote(labels, constantLabels(labels, cCentered)) : null
  return {
    step: scores.step,
    questionnaire: scores.questionnaire.id,
    labels,
    respondents: complete.length,
    ...(noVariance === null ? {} : { noVariance }),
    hierarchy,
    hierarchyComparisons,
    correlations: { centered: numMatrix(cCentered), raw: numMatrix(cRaw) },
    mds,
    structureComparisons,
    conditions: conditionBreakdown(scores, scores.centered, conditions),
    reliability: reliabilityOf(scores)
  }
}

/** The behaviour columns of one step aligned to the value step's rows (NaN for agents without that step). */
const alignTo = (rowOf: Map<number, number>, rows: number, scores: StepScores, s: number): Float64Array => {
  const out = new Float64Array(rows).fill(NaN)
  const column = scores.questionnaire.scoring === "mrat" ? scores.centered[s]! : scores.raw[s]!
  scores.agentIds.forEach((agent, r) => {
    const target = rowOf.get(agent)
    if (target !== undefined) out[target] = column[r]!
  })
  return out
}

/**
 * Analyses a finished (or partly finished) run against human baselines: the value hierarchy and its Spearman
 * with human hierarchies, C⁽ⱽ⁾ and S_V per matching correlation baseline, value × behaviour correlations and
 * S_B per matching behaviour baseline, each with the bootstrap of paper 000 appendix G; per-condition means,
 * Cronbach's α, and a Benjamini–Hochberg adjustment over every p-value in the report. Deterministic: bootstrap
 * resamples come from the run seed.
 */
export const analyzeRun = (runDir: string, options: AnalysisOptions = DEFAULT_ANALYSIS) =>
  Effect.gen(function* () {
    const dbFile = path.join(runDir, "run.sqlite")
    const fromExport = !fs.existsSync(dbFile) && isParquetExport(runDir)
    if (!fs.existsSync(dbFile) && !fromExport) {
      return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite (nor run.json and answers.parquet) here; is this a run or Parquet export folder?"] })
    }
    const baselines = yield* loadReportBaselines(options.baselines)
    // A Parquet export folder is read into an in-memory run store: the same analysis, wherever the data went.
    const db = fromExport
      ? yield* Effect.tryPromise({
          try: () => loadParquetExport(runDir),
          catch: (e) => new SpecFileError({ file: runDir, problems: [`cannot read the export folder (${(e as Error).message})`] })
        })
      : yield* openDatabase(dbFile, { mustExist: true })
    return yield* Effect.try({
      try: () => analyse(db, runDir, baselines, options),
      catch: (e) =>
        storeErrorOf(runDir, faultOf(e) === "damaged" ? e : null) ??
        new SpecFileError({ file: dbFile, problems: [`cannot analyse the run (${(e as Error).message})`] })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
  })

/**
 * A run of one backend is analysed whole. A run of several is analysed once per backend, each on its own agents
 * (a connection scoped to them, src/store/storeScope.ts) with the same seed, settings and baselines, so the
 * models' figures sit side by side; the report's own fields are the first backend's.
 */
const analyse = (db: RunDb, runDir: string, baselines: ReadonlyArray<LoadedBaseline>, options: AnalysisOptions): Report => {
  const manifest = getManifest(db)
  const spec = manifest["spec"] as RunSpec | undefined
  if (spec === undefined) throw new Error("the run has no plan (manifest.spec is missing)")
  if (spec.backends === undefined) return analyseBackend(db, runDir, baselines, options, manifest, spec)
  const names = backendNames(spec)
  const models = backendsOf(spec).map((_, b) => ({
    name: names[b]!,
    report: withinAgents(db, agentRangeOf(spec, b), () => analyseBackend(db, runDir, baselines, options, manifest, specOfBackend(spec, b)))
  }))
  return { ...models[0]!.report, models }
}

const analyseBackend = (
  db: RunDb,
  runDir: string,
  baselines: ReadonlyArray<LoadedBaseline>,
  options: AnalysisOptions,
  manifest: Record<string, unknown>,
  spec: RunSpec
): Report => {
  const settings = options.bootstrap
  const scoring = spec.backend.kind === "synthetic" ? undefined : scoringReport(db, options.massThreshold ?? massThresholdOf(spec.backend))
  const conditions = readConditions(db).map((c) => ({ condition: c.condition, value_code: c.valueCode }))
  const totals = readRunTotals(db)
  const unitsNotDone = totals.pending + totals.failed
  const synthetic = spec.backend.kind === "synthetic"
  const used = new Set<LoadedBaseline>()
  const notes: Array<string> = []
  if (scoring !== undefined && scoring.flagged.length > 0) {
    notes.push(
      `${scoring.flagged.length} shared questions (condition × item) had an option mass below ${scoring.threshold}: the first token mostly went to something else ` +
        `(an opener such as "**" or "Answer"), so a distribution renormalised from it is biased; ${scoring.lowMass} answers were drawn from such distributions (see "Scoring methods and option mass").`
    )
  }
  if (synthetic) {
    notes.push(`${SYNTHETIC_LABEL}: these figures show what Schwartz's theory alone predicts (a reference point), not how any language model answers.`)
  }
  if (unitsNotDone > 0) notes.push(`The run is not complete: ${unitsNotDone} agent-steps are not done; the figures cover the answers recorded so far (${resumeCommand(shownPath(runDir))}).`)

  const steps = spec.steps.flatMap((s, i) => (s.kind === "questionnaire" ? [readStepScores(db, s.questionnaire, i)] : []))
  const valueSteps = steps.filter(isValueStep)
  const valueStep = valueSteps[0]
  if (valueSteps.length > 1) notes.push(`The run has ${valueSteps.length} value questionnaires; the value structure is that of the first (${valueStep!.questionnaire.id}).`)
  const sharesDataset = spec.population.sharesSource?.dataset ?? null
  const valueStructure = valueStep
    ? analyseValues(valueStep, baselines, conditions, spec.seed, settings, used, { mdsMethod: options.mdsMethod, permutations: options.permutations, sharesDataset })
    : null
  if (valueStructure) {
    const circular = [...valueStructure.hierarchyComparisons, ...valueStructure.structureComparisons].filter((c) => c.circularity !== null)
    if (circular.length > 0)
      notes.push(
        `Circular comparisons: the population's dominant-value shares (${shownPath(spec.population.sharesSource!.file)}, dataset ${sharesDataset}) come from the same data as ${[...new Set(circular.map((c) => c.baseline.id))].join(", ")}; a population built from them agrees with those baselines partly by construction (the synthetic backend, with no hierarchy of its own, shows how much).`
      )
  }
  if (valueStructure?.noVariance !== undefined) notes.push(`S_V: ${valueStructure.noVariance}.`)
  if (valueStructure && valueStructure.respondents < settings.sampleSize) {
    notes.push(
      (settings.sizeRule ?? "own") === "own"
        ? `Only ${valueStructure.respondents} respondents answered every value; each bootstrap resample draws ${valueStructure.respondents} of them with replacement (the sample's own size; the paper draws ${settings.sampleSize} whatever the sample, which makes the CI too narrow — --bootstrap-size-rule paper for that).`
        : `Only ${valueStructure.respondents} respondents answered every value; each bootstrap resample still draws ${settings.sampleSize} of them with replacement (the paper's fixed size, --bootstrap-size-rule paper), so the CIs are narrower than the sample supports.`
    )
  }

  // Games: outcomes beside human figures, and each agent's decisions as behaviour columns.
  const humanGameFigures: Array<HumanGameFigure> = baselines.flatMap((lb) => {
    const b = lb.baseline as { kind: string; id?: string; title?: string; source?: string; figures?: ReadonlyArray<{ game: string; metric: string; value: number; round?: number; where: string }> }
    if (b.kind !== "game-outcomes" || b.figures === undefined) return []
    return b.figures.map((f) => ({
      game: f.game, metric: f.metric, value: f.value, round: f.round ?? null, where: f.where,
      baseline: { file: lb.file, id: b.id ?? "", title: b.title ?? "", source: b.source ?? "" }
    }))
  })
  const games = spec.steps.flatMap((s, i) => (s.kind === "game" ? [analyseGame(db, i, s.game, humanGameFigures)] : []))
  for (const g of games) {
    if (g.comparisons.length > 0) {
      for (const lb of baselines) if (g.comparisons.some((c) => c.baseline.file === lb.file)) used.add(lb)
    }
  }
  const gameColumns = spec.steps.flatMap((s, i) => (s.kind === "game" ? [...gameBehaviourColumns(db, i, s.game).entries()] : []))

  // Behaviour measures: every non-value step.
  const behaviourSteps = steps.filter((s) => !isValueStep(s))
  const measures: Array<BehaviourMeasure> = behaviourSteps.map((s) => {
    const columns = s.questionnaire.scoring === "mrat" ? s.centered : s.raw
    return {
      step: s.step,
      questionnaire: s.questionnaire.id,
      behaviours: s.subscales,
      respondents: completeRows(columns, s.rows).length,
      means: columnMeans(columns),
      conditions: conditionBreakdown(s, columns, conditions),
      reliability: reliabilityOf(s)
    }
  })

  let valueBehaviour: Report["behaviour"]["valueBehaviour"] = null
  const comparisons: Array<BehaviourComparison> = []
  if (valueStep && (behaviourSteps.length > 0 || gameColumns.length > 0)) {
    const rowOf = new Map<number, number>()
    valueStep.agentIds.forEach((a, r) => rowOf.set(a, r))
    const keys: Array<string> = []
    const columns: Array<Float64Array> = []
    const seen = new Set<string>()
    for (const s of behaviourSteps) {
      s.subscales.forEach((sub, j) => {
        const key = seen.has(sub) ? `${s.questionnaire.id}:${sub}` : sub
        seen.add(key)
        keys.push(key)
        columns.push(alignTo(rowOf, valueStep.rows, s, j))
      })
    }
    for (const [key, byAgent] of gameColumns) {
      keys.push(key)
      columns.push(Float64Array.from(valueStep.agentIds, (a) => byAgent.get(a) ?? NaN))
    }
    const matrix = crossCorrelation(valueStep.centered, columns)
    valueBehaviour = { values: valueStep.subscales, behaviours: keys, matrix: numMatrix(matrix) }
    for (const lb of baselines) {
      if (lb.baseline.kind !== "value-behaviour-correlations") continue
      const b = lb.baseline as ValueBehaviourCorrelations
      const vi = b.values.flatMap((v, i) => (valueStep.subscales.includes(v) ? [i] : []))
      const bi = b.behaviours.flatMap((k, j) => (keys.includes(k) ? [j] : []))
      if (vi.length === 0 || bi.length === 0 || vi.length * bi.length < 3) continue
      used.add(lb)
      const human = vi.map((i) => bi.map((j) => b.matrix[i]![j] ?? NaN))
      const vCols = vi.map((i) => valueStep.centered[valueStep.subscales.indexOf(b.values[i]!)]!)
      const bCols = bi.map((j) => columns[keys.indexOf(b.behaviours[j]!)]!)
      const result = behaviourAgainst(vCols, bCols, human, stream(spec.seed, "report", "bootstrap", "behaviour"), settings, {
        permutations: options.permutations,
        nullRng: stream(spec.seed, "report", "permutation-null-sb", b.id, b.measure)
      })
      comparisons.push({
        baseline: refOf(lb.file, b),
        measure: b.measure,
        values: vi.map((i) => b.values[i]!),
        behaviours: bi.map((j) => b.behaviours[j]!),
        humanMatrix: numMatrix(human),
        modelMatrix: numMatrix(result.model),
        cells: result.cells,
        sb: result.sb,
        null: result.null,
        bootstrap: result.bootstrap
      })
    }
  }

  // What the papers compared with but is not available, and whether this run measured it.
  const runMeasures = new Set([
    ...behaviourSteps.flatMap((s) => [s.questionnaire.measure ?? s.questionnaire.id]),
    ...games.flatMap((g) => gameMeasures(g.game))
  ])
  const missingBaselines: Array<MissingBaseline> = baselines.flatMap((lb) =>
    lb.baseline.kind === "unavailable-baselines"
      ? (used.add(lb),
        lb.baseline.entries.map((e) => ({ measure: e.measure, source: e.source, reason: e.reason, usedIn: e.used_in, measuredByRun: runMeasures.has(e.measure) })))
      : []
  )
  for (const m of runMeasures) {
    const covered =
      comparisons.some((c) => c.measure === m) ||
      missingBaselines.some((x) => x.measure === m) ||
      games.some((g) => gameMeasures(g.game).includes(m) && g.comparisons.length > 0)
    if (!covered) {
      missingBaselines.push({ measure: m, source: "-", reason: "no human baseline with this measure's behaviour keys was given", usedIn: "-", measuredByRun: true })
    }
  }

  // Benjamini–Hochberg over every test in the report.
  const tests: Array<{ get: () => BootstrapSummary; set: (b: BootstrapSummary) => void }> = []
  const structures = valueStructure ? [...valueStructure.structureComparisons] : []
  structures.forEach((c, i) => tests.push({ get: () => structures[i]!.bootstrap, set: (b) => (structures[i] = { ...c, bootstrap: b }) }))
  comparisons.forEach((c, i) => tests.push({ get: () => comparisons[i]!.bootstrap, set: (b) => (comparisons[i] = { ...c, bootstrap: b }) }))
  const adjusted = benjaminiHochberg(tests.map((t) => t.get().p ?? NaN))
  tests.forEach((t, i) => t.set({ ...t.get(), pAdjusted: num(adjusted[i]) }))
  // … and, separately, over every chance-level (permutation) test: the significance a reader should go by.
  const chances = benjaminiHochberg([...structures.map((c) => c.null?.p ?? NaN), ...comparisons.map((c) => c.null?.p ?? NaN)])
  structures.forEach((c, i) => (structures[i] = { ...c, null: c.null && { ...c.null, pAdjusted: num(chances[i]) } }))
  comparisons.forEach((c, i) => (comparisons[i] = { ...c, null: c.null && { ...c.null, pAdjusted: num(chances[structures.length + i]) } }))

  const metaOf = (lb: LoadedBaseline) => lb.baseline.kind !== "unavailable-baselines" && lb.baseline.kind !== "dominant-value-shares"
  const refs = (xs: ReadonlyArray<LoadedBaseline>) => xs.filter(metaOf).map((lb) => refOf(lb.file, lb.baseline as WithMeta))
  const low = [...used].filter((lb) => metaOf(lb) && (lb.baseline as WithMeta).confidence === "low")
  for (const lb of low) notes.push(`Baseline "${(lb.baseline as WithMeta).title}" has low confidence (see ${shownPath(lb.file)}).`)

  return {
    reportVersion: 1,
    run: {
      runId: String(manifest["run_id"] ?? path.basename(runDir)),
      runDir,
      study: spec.study.id,
      status: unitsNotDone === 0 ? "complete" : "incomplete",
      ...backendIdentity(spec.backend),
      agents: spec.agents,
      seed: spec.seed,
      population: { id: spec.population.id, strategy: spec.population.strategy }
    },
    settings: {
      bootstrapIterations: settings.iterations,
      bootstrapSampleSize: settings.sampleSize,
      bootstrapSizeRule: settings.sizeRule ?? "own",
      ciLevel: settings.level,
      seed: spec.seed,
      mdsMethod: options.mdsMethod,
      permutations: options.permutations
    },
    valueStructure: valueStructure ? { ...valueStructure, structureComparisons: structures } : null,
    behaviour: { measures, valueBehaviour, comparisons, missingBaselines },
    games,
    ...(spec.steps.some((st) => st.kind === "society") ? { societies: analyseSocieties(db, spec) } : {}),
    ...(spec.experiments === undefined ? {} : { experiments: analyseExperiments(db, spec, settings.level) }),
    ...(spec.panels === undefined ? {} : { panels: analysePanels(db, spec, settings.level) }),
    baselines: { used: refs([...used]), unmatched: refs(baselines.filter((lb) => !used.has(lb))) },
    notes,
    ...(scoring === undefined ? {} : { scoring })
  }
}
