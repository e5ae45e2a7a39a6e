import { Effect } from "effect"
import { refuseUnsafeOutput } from "../store/outputGuard.js"
import { DEFAULT_MDS_METHOD, type MdsMethod } from "../stats/mds.js"
import * as fs from "node:fs"
import * as path from "node:path"
import { loadReportBaselines } from "../analysis/analyzeRun.js"
import type { BaselineRef } from "../analysis/Report.js"
import type { RobustnessRow, RobustnessVariantInput } from "../analysis/robustness.js"
import { robustnessTable } from "../analysis/robustness.js"
import { readStepScores } from "../analysis/scores.js"
import { loadFile } from "../config/loadFile.js"
import type { Condition } from "../config/PopulationFile.js"
import { loadDominantShares, loadPopulation, PromptsFileSchema } from "../config/PopulationFile.js"
import type { QuestionnaireStep, RunSpec } from "../config/RunSpec.js"
import { SYNTHETIC_LABEL } from "../config/RunSpec.js"
import { SpecFileError, UsageError } from "../config/SpecFileError.js"
import { loadRunSpec, oneBackendOnly, projectRoot } from "../config/StudyFile.js"
import { parseValue10, VALUES_10 } from "../domain/values.js"
import type { ConditionWeight } from "../sampling/population.js"
import { strategyWeights } from "../sampling/population.js"
import { readConditions } from "../store/reads.js"
import { getManifest, openDatabase } from "../store/RunStore.js"
import { centeredValueStructures, DEFAULT_SHARES, STRATEGY_POOL } from "./compareStrategies.js"
import type { ExperimentHeader, ExperimentOptions, VariantRun } from "./variantRuns.js"
import { ensureVariantRun, experimentDir, experimentHeader } from "./variantRuns.js"

export const DEFAULT_ROBUSTNESS_STUDY = path.join(projectRoot, "scenarios", "default-study.yaml")
export const DEFAULT_PARAPHRASES = [1, 2, 3].map((k) => path.join(projectRoot, "populations", "prompts", `value-prompting-paraphrase-${k}.yaml`))

export interface RobustnessOptions extends ExperimentOptions {
  readonly agentsPerCondition: number
  readonly paraphrases: ReadonlyArray<string>
}

export interface RobustnessResult extends ExperimentHeader {
  readonly agentsPerCondition: number
  /** Agents with every value scored in every variant run (the rows all variants are scored on), per condition. */
  readonly pools: Readonly<Record<string, number>>
  readonly population: { readonly id: string; readonly strategy: string }
  readonly control: { readonly strategy: string; readonly weights: ReadonlyArray<ConditionWeight> }
  readonly runs: ReadonlyArray<{ readonly variant: string; readonly runDir: string; readonly reused: boolean; readonly prompts: string; readonly optionOrder: string }>
  readonly settings: { readonly bootstrapIterations: number; readonly bootstrapSampleSize: number; readonly ciLevel: number }
  /** How the value maps behind S_V were made: the paper's ratio SMACOF. */
  readonly mdsMethod: MdsMethod
  readonly baselines: ReadonlyArray<BaselineRef>
  readonly rows: ReadonlyArray<RobustnessRow>
  readonly notes: ReadonlyArray<string>
}

const isFullValueStep = (s: RunSpec["steps"][number]): s is QuestionnaireStep =>
  s.kind === "questionnaire" && s.questionnaire.construct === "values" && VALUES_10.every((v) => s.questionnaire.items.some((i) => i.subscale === v))

/** A paraphrase file's prompts applied to the pool's conditions (every value the pool uses must be there). */
const paraphrased = (file: string, conditions: ReadonlyArray<Condition>) =>
  Effect.gen(function* () {
    const p = yield* loadFile(PromptsFileSchema, file)
    const byValue = new Map<string, string>()
    const problems: Array<string> = []
    for (const [k, text] of Object.entries(p.values ?? {})) {
      const v = parseValue10(k)
      if (v === undefined) problems.push(`values.${k}: unknown value code "${k}" (expected one of ${VALUES_10.join(", ")})`)
      else byValue.set(v, text)
    }
    for (const c of conditions) if (c.value !== null && !byValue.has(c.value)) problems.push(`values.${c.value}: no paraphrase for value ${c.value}`)
    if (problems.length > 0) return yield* new SpecFileError({ file, problems })
    const none = p.none && p.none.length > 0 ? p.none : null
    return {
      id: p.id,
      citation: p.citation,
      conditions: conditions.map((c): Condition => ({ ...c, system: c.value === null ? none : byValue.get(c.value)! }))
    }
  })

/** Centered value scores of a pool run's (only) value step, keyed by agent. */
const readPool = (runDir: string) =>
  Effect.gen(function* () {
    const db = yield* openDatabase(path.join(runDir, "run.sqlite"), { mustExist: true })
    return yield* Effect.try({
      try: () => {
        const manifest = getManifest(db)
        const spec = manifest["spec"] as RunSpec
        const conditions = readConditions(db).map((c) => c.condition)
        const step = spec.steps.findIndex(isFullValueStep)
        const scores = readStepScores(db, (spec.steps[step] as QuestionnaireStep).questionnaire, step)
        const columnOf = VALUES_10.map((v) => scores.subscales.indexOf(v))
        const byAgent = new Map<number, { condition: string; values: Array<number> }>()
        for (let r = 0; r < scores.rows; r++) {
          const values = columnOf.map((c) => scores.centered[c]![r]!)
          if (values.every(Number.isFinite)) byAgent.set(scores.agentIds[r]!, { condition: conditions[scores.conditionIdx[r]!]!, values })
        }
        return byAgent
      },
      catch: (e) => new SpecFileError({ file: runDir, problems: [`cannot read the run's value scores (${(e as Error).message})`] })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
  })

/**
 * `valuesim robustness`: pool runs of the study's value questionnaire (the same agents under each value prompt
 * and unprimed) under the base prompts, each paraphrase set and the opposite option order, then the study's
 * population and a distribution-only control composed from them; one table of S_V per variant × baseline.
 */
export const runRobustness = (o: RobustnessOptions, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const loaded = yield* loadReportBaselines(o.baselines)
    const humans = centeredValueStructures(loaded)
    if (humans.length === 0) return yield* new UsageError({ detail: "--baseline: no centered 10-value correlation baseline among the given files" })

    // The study as the user wrote it: its population's weights are the target composition.
    const study = yield* loadRunSpec(o.study, o.overrides, env)
    yield* oneBackendOnly(study, o.study, "robustness")
    const valueStep = study.steps.find(isFullValueStep)
    if (valueStep === undefined) {
      return yield* new SpecFileError({ file: o.study, problems: ["steps: no questionnaire covering all ten basic values; robustness checks need one"] })
    }
    const targetWeights: Array<ConditionWeight> = study.population.conditions.map((c, i) => ({ condition: c.id, weight: study.population.weights[i]! }))
    const total = targetWeights.reduce((s, w) => s + w.weight, 0)
    const target = targetWeights.map((w) => ({ condition: w.condition, weight: w.weight / total }))
    let control: { strategy: string; weights: Array<ConditionWeight> }
    if (study.population.strategy === "uniform") {
      const shares = yield* loadDominantShares(DEFAULT_SHARES.file, DEFAULT_SHARES.dataset, DEFAULT_SHARES.file, "dataset")
      control = { strategy: "h-np", weights: strategyWeights("h-np", { shares: shares.shares, noDominant: shares.no_dominant }) }
    } else control = { strategy: "uniform", weights: strategyWeights("uniform") }

    // The pool: every value condition and unprimed, the study's own prompts where it has them.
    const pool = yield* loadPopulation(STRATEGY_POOL)
    const studyPrompt = new Map(study.population.conditions.map((c) => [c.id, c.system]))
    const poolConditions = pool.conditions.map((c): Condition => (studyPrompt.has(c.id) ? { ...c, system: studyPrompt.get(c.id)! } : c))
    const base: RunSpec = {
      ...study,
      study: { id: `${study.study.id}-robustness`, title: `${study.study.title} — robustness pool` },
      agents: o.agentsPerCondition * poolConditions.length,
      population: { id: pool.id, strategy: pool.strategy, allocation: pool.allocation, conditions: poolConditions, weights: pool.weights, sharesSource: null, prompts: study.population.prompts },
      steps: [valueStep]
    }
    const paraphrases = yield* Effect.forEach(o.paraphrases, (f) => paraphrased(f, poolConditions))
    const flipped = valueStep.questionnaire.optionOrder === "reversed" ? "normal" : "reversed"
    const plans: Array<{ variant: string; description: string; spec: RunSpec; prompts: string; optionOrder: string }> = [
      { variant: "base", description: `base prompts (${study.population.prompts.id}), ${study.population.strategy} population`, spec: base, prompts: study.population.prompts.id, optionOrder: valueStep.questionnaire.optionOrder },
      ...paraphrases.map((p, k) => ({
        variant: `paraphrase-${k + 1}`,
        description: `prompts ${p.id}`,
        spec: { ...base, population: { ...base.population, conditions: p.conditions, prompts: { id: p.id, citation: p.citation } } },
        prompts: p.id,
        optionOrder: valueStep.questionnaire.optionOrder
      })),
      {
        variant: "options-reversed",
        description: `response options in ${flipped} order`,
        spec: { ...base, steps: [{ kind: "questionnaire" as const, questionnaire: { ...valueStep.questionnaire, optionOrder: flipped } }] },
        prompts: study.population.prompts.id,
        optionOrder: flipped
      }
    ]

    const dir = o.out ?? (yield* experimentDir(o.runsDir, "robustness", study.study.id, study.seed))
    // Checked before any run starts: the result file never lands on a run store or in a staging folder.
    yield* refuseUnsafeOutput("--out", [path.join(dir, "robustness.json")], [])
    const runs: Array<VariantRun> = []
    for (const p of plans) {
      const r = yield* ensureVariantRun(dir, p.variant, p.spec, env, o.output)
      if (r.summary !== null && r.summary.status !== "complete") return { dir, incomplete: r, result: null }
      runs.push(r)
    }

    // Rows: the agents with every value scored in every variant (same seed and allocation: same agents).
    const pools = yield* Effect.forEach(runs, (r) => readPool(r.runDir))
    const agents = [...pools[0]!.keys()].filter((a) => pools.every((p) => p.has(a))).sort((x, y) => x - y)
    const byCondition = new Map<string, Array<number>>()
    agents.forEach((a, r) => {
      const c = pools[0]!.get(a)!.condition
      byCondition.set(c, [...(byCondition.get(c) ?? []), r])
    })
    const columnsOf = (pool: (typeof pools)[number]) => VALUES_10.map((_, k) => Float64Array.from(agents, (a) => pool.get(a)!.values[k]!))
    const missing = target.filter((w) => w.weight > 0 && (byCondition.get(w.condition)?.length ?? 0) < 2)
    if (missing.length > 0) {
      return yield* new SpecFileError({ file: dir, problems: [`too few agents with every value scored in ${missing.map((w) => w.condition).join(", ")} to compose the population`] })
    }
    const variants: Array<RobustnessVariantInput> = [
      ...plans.map((p, i) => ({ name: p.variant, description: p.description, columns: columnsOf(pools[i]!), weights: target })),
      {
        name: `distribution-${control.strategy}`,
        description: `control: base prompts and agents, ${control.strategy} shares instead of ${study.population.strategy}`,
        columns: columnsOf(pools[0]!),
        weights: control.weights
      }
    ]
    const rows = robustnessTable(variants, byCondition, humans, study.seed, o.bootstrap)
    const synthetic = study.backend.kind === "synthetic"
    const notes: Array<string> = []
    if (synthetic) {
      notes.push(
        `${SYNTHETIC_LABEL}: it reads only each agent's prompted value, not the prompt's wording or the option order, so paraphrases and option reversal reproduce the base exactly there (difference 0, p = 1); only an LLM backend can show prompt sensitivity.`
      )
    }
    notes.push(
      "Each variant is one pool run (the same number of agents under each value prompt and unprimed, same seed and allocation); the study's population is composed from the pools by weighted resampling, as in compare-strategies."
    )
    notes.push(
      "Differences: each variant's S_V minus the base's on the same bootstrap resamples (the control draws its own, with its weights); p is the two-sided paired bootstrap p, BH-adjusted over all differences in the table."
    )
    const result: RobustnessResult = {
      ...experimentHeader(study, valueStep.questionnaire.id, dir),
      agentsPerCondition: o.agentsPerCondition,
      mdsMethod: DEFAULT_MDS_METHOD,
      pools: Object.fromEntries(poolConditions.map((c) => [c.id, byCondition.get(c.id)?.length ?? 0])),
      population: { id: study.population.id, strategy: study.population.strategy },
      control,
      runs: runs.map((r, i) => ({ variant: r.variant, runDir: r.runDir, reused: r.reused, prompts: plans[i]!.prompts, optionOrder: plans[i]!.optionOrder })),
      settings: { bootstrapIterations: o.bootstrap.iterations, bootstrapSampleSize: o.bootstrap.sampleSize, ciLevel: o.bootstrap.level },
      baselines: humans.map((h) => h.ref),
      rows,
      notes
    }
    yield* Effect.try({
      try: () => fs.writeFileSync(path.join(dir, "robustness.json"), JSON.stringify(result, null, 1)),
      catch: (e) => new SpecFileError({ file: dir, problems: [`cannot write robustness.json (${(e as Error).message})`] })
    })
    return { dir, incomplete: null, result }
  })

const f3 = (x: number | null) => (x === null ? "–" : x.toFixed(3))
const fp = (p: number | null) => (p === null ? "–" : p < 0.001 ? "<.001" : p.toFixed(3))

/** One block per baseline: variants as rows; S_V mean [CI], difference from base, p and BH-adjusted p, hierarchy ρ. */
export const renderRobustness = (r: RobustnessResult): string => {
  const out = [
    `Robustness of S_V — ${r.questionnaire}, study ${r.study}, ${r.population.strategy} population (${r.backend}, ${r.model}), seed ${r.seed}`,
    ...(r.label ? [`*** ${r.label} ***`] : []),
    `pools (agents scored in every variant): ${Object.entries(r.pools).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `S_V: bootstrap mean over ${r.settings.bootstrapIterations} resamples of ${r.settings.bootstrapSampleSize} [${Math.round(r.settings.ciLevel * 100)} % CI]; Δ: minus base; p: paired bootstrap, two-sided; p_BH: Benjamini–Hochberg over all Δ`,
    `runs under ${r.dir}`
  ]
  r.baselines.forEach((b, bi) => {
    const header = ["variant", "S_V [CI]", "Δ vs base [CI]", "p", "p_BH", "ρ hier."]
    const rows = r.rows.map((row) => {
      const c = row.cells[bi]!
      const d = c.difference
      return [
        row.variant,
        `${f3(c.bootstrap.mean)} [${f3(c.bootstrap.ci.lower)}, ${f3(c.bootstrap.ci.upper)}]`,
        d === null ? "–" : `${d.mean !== null && d.mean >= 0 ? "+" : ""}${f3(d.mean)} [${f3(d.ci.lower)}, ${f3(d.ci.upper)}]`,
        d === null ? "–" : fp(d.p),
        d === null ? "–" : fp(d.pAdjusted),
        f3(row.hierarchySpearmanVsBase)
      ]
    })
    const widths = header.map((h, j) => Math.max(h.length, ...rows.map((x) => x[j]!.length)))
    const line = (cells: ReadonlyArray<string>) => cells.map((x, j) => x.padEnd(widths[j]!)).join("  ").trimEnd()
    out.push("", `${b.id} (${b.instrument}; n = ${b.n ?? "–"}; confidence ${b.confidence})`, line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line))
  })
  out.push("", ...r.rows.map((row) => `${row.variant}: ${row.description}`), ...r.notes.map((n) => `note: ${n}`))
  return out.join("\n")
}
