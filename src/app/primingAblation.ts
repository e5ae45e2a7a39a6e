import type { MdsMethod } from "../stats/mds.js"
import { Effect } from "effect"
import { refuseUnsafeOutput } from "../store/outputGuard.js"
import * as fs from "node:fs"
import * as path from "node:path"
import { num } from "../analysis/alignment.js"
import { analyzeRun, DEFAULT_ANALYSIS } from "../analysis/analyzeRun.js"
import type { BaselineRef, BootstrapSummary, ChanceLevel } from "../analysis/Report.js"
import { stars, STARS_LEGEND } from "../report/format.js"
import { forEachRespondent } from "../analysis/scores.js"
import type { Condition } from "../config/PopulationFile.js"
import type { QuestionnaireStep, RunSpec } from "../config/RunSpec.js"
import { SYNTHETIC_LABEL } from "../config/RunSpec.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { loadRunSpec, oneBackendOnly, projectRoot } from "../config/StudyFile.js"
import type { Questionnaire } from "../domain/questionnaire.js"
import { stream } from "../sampling/rng.js"
import { mean } from "../stats/descriptive.js"
import { benjaminiHochberg } from "../stats/inference.js"
import { openDatabase } from "../store/RunStore.js"
import type { ExperimentHeader, ExperimentOptions, VariantRun } from "./variantRuns.js"
import { ensureVariantRun, experimentDir, experimentHeader } from "./variantRuns.js"

/** The default study: the value questionnaire and a behaviour measure with a shipped value × behaviour baseline. */
export const DEFAULT_ABLATION_STUDY = path.join(projectRoot, "scenarios", "studies", "big-five.yaml")

export const ABLATION_SETTINGS = ["priming-only", "priming-and-test", "test-only"] as const
export type AblationSetting = (typeof ABLATION_SETTINGS)[number]
const TITLES: Record<AblationSetting, string> = { "priming-only": "Priming Only", "priming-and-test": "Priming & Test", "test-only": "Test Only" }

export interface AblationOptions extends ExperimentOptions {
  readonly agents: number | undefined
}

export interface AnswerSheet {
  readonly condition: string
  /** The Priming Only agent whose value-questionnaire answers the sheet shows. */
  readonly agentId: number
  readonly text: string
}

export interface AblationCell {
  readonly kind: "S_V" | "S_B"
  readonly baseline: BaselineRef
  /** S_B: the behaviour measure compared. */
  readonly measure: string | null
  /** On the whole population (every respondent once). */
  readonly whole: number | null
  /** The chance level of `whole` (the run's value labels permuted); `pAdjusted` is BH over the table and the stars follow it. */
  readonly null: ChanceLevel | null
  readonly bootstrap: BootstrapSummary
  /**
   * True for S_V under Test Only and Priming & Test: the agents were re-asked the very items whose answers their
   * system message shows, so the cell checks copying, not value structure.
   */
  readonly copyingCheck: boolean
}

export interface AblationRow {
  readonly setting: AblationSetting
  readonly title: string
  readonly runDir: string
  readonly cells: ReadonlyArray<AblationCell>
  /** Mean of the bootstrap-mean S_B over the behaviour baselines (the "average correlation" of paper 000 Table 3). */
  readonly meanSb: number | null
}

export interface AblationResult extends ExperimentHeader {
  readonly agents: number
  /** How the value maps behind S_V were made (the paper's ratio SMACOF by default). */
  readonly mdsMethod: MdsMethod
  readonly sheets: ReadonlyArray<AnswerSheet>
  readonly settings: { readonly bootstrapIterations: number; readonly bootstrapSampleSize: number; readonly bootstrapSizeRule: "own" | "paper"; readonly ciLevel: number }
  readonly rows: ReadonlyArray<AblationRow>
  readonly notes: ReadonlyArray<string>
}

/**
 * The "filled-out questionnaire" shown as the persona in Test Only and Priming & Test, in the project's own
 * wording: every item of the value questionnaire and the answer the agent gave, as its label and number.
 */
export const renderAnswerSheet = (q: Questionnaire, answers: ReadonlyArray<number | null>): string => {
  const max = Math.max(...q.scale.map((o) => o.value))
  const lines = q.items.flatMap((item, i) => {
    const v = answers[i]
    const option = q.scale.find((o) => o.value === v)
    return option === undefined ? [] : [`- "${item.text}" Your answer: ${option.label} (${option.value} of ${max}).`]
  })
  return [
    "Some time ago you filled in a questionnaire about yourself. These are the statements it contained and the answers you gave:",
    "",
    ...lines,
    "",
    "These answers describe you. Answer everything that follows as the person who gave them."
  ].join("\n")
}

const isValueStep = (s: RunSpec["steps"][number]): s is QuestionnaireStep => s.kind === "questionnaire" && s.questionnaire.construct === "values"

/**
 * One answer sheet per value-prompted condition, from one agent of that condition in the Priming Only run,
 * chosen with a seeded stream among the agents who answered every item (or, if none did, among those who answered some) (per-condition, not per-agent: the
 * engine gives every agent of a condition the same system message, which keeps LLM requests shared).
 */
const answerSheets = (runDir: string, spec: RunSpec, stepIdx: number, q: Questionnaire) =>
  Effect.gen(function* () {
    const db = yield* openDatabase(path.join(runDir, "run.sqlite"), { mustExist: true })
    return yield* Effect.try({
      try: () => {
        type Respondent = { agentId: number; answers: Array<number | null> }
        const complete = new Map<number, Array<Respondent>>()
        const partial = new Map<number, Array<Respondent>>()
        forEachRespondent(db, stepIdx, q.items.length, (agentId, condition, values) => {
          const into = values.every((v) => v !== null) ? complete : partial
          into.set(condition, [...(into.get(condition) ?? []), { agentId, answers: [...values] }])
        })
        return spec.population.conditions.flatMap((c, idx): Array<AnswerSheet> => {
          if (c.value === null) return []
          // A condition without agents needs no sheet; one whose agents all missed an item shows what they answered.
          const agents = complete.get(idx) ?? partial.get(idx) ?? []
          if (agents.length === 0) return []
          const pick = agents[Math.min(agents.length - 1, Math.floor(stream(spec.seed, "priming-ablation", "sheet", c.id)() * agents.length))]!
          return [{ condition: c.id, agentId: pick.agentId, text: renderAnswerSheet(q, pick.answers) }]
        })
      },
      catch: (e) => new SpecFileError({ file: runDir, problems: [`cannot build the answer sheets (${(e as Error).message})`] })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
  })

/**
 * `valuesim priming-ablation` (paper 000 §6.2, Table 3): the study under Priming Only (the value prompts),
 * then Test Only (a filled-out value questionnaire from the Priming Only run as the system message, no value
 * prompt) and Priming & Test (both), same seed and agents; S_V and S_B of each against the human baselines.
 */
export const runPrimingAblation = (o: AblationOptions, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const study = yield* loadRunSpec(o.study, { ...o.overrides, agents: o.agents }, env)
    yield* oneBackendOnly(study, o.study, "priming-ablation")
    const stepIdx = study.steps.findIndex(isValueStep)
    const valueStep = study.steps[stepIdx]
    if (valueStep === undefined || valueStep.kind !== "questionnaire") {
      return yield* new SpecFileError({ file: o.study, problems: ["steps: no value questionnaire; the priming ablation shows its answers as the persona"] })
    }
    if (!study.population.conditions.some((c) => c.value !== null)) {
      return yield* new SpecFileError({ file: o.study, problems: ["population: no value-prompted condition to ablate"] })
    }
    const dir = o.out ?? (yield* experimentDir(o.runsDir, "priming-ablation", study.study.id, study.seed))
    // Checked before any run starts: the result file never lands on a run store or in a staging folder.
    yield* refuseUnsafeOutput("--out", [path.join(dir, "priming-ablation.json")], [])
    const named = (setting: AblationSetting, conditions: ReadonlyArray<Condition>): RunSpec => ({
      ...study,
      study: { id: `${study.study.id}-${setting}`, title: `${study.study.title} — ${TITLES[setting]}` },
      population: { ...study.population, conditions }
    })
    const runs: Array<VariantRun> = []
    const first = yield* ensureVariantRun(dir, "priming-only", named("priming-only", study.population.conditions), env, o.output)
    if (first.summary !== null && first.summary.status !== "complete") return { dir, incomplete: first, result: null }
    runs.push(first)
    const sheets = yield* answerSheets(first.runDir, study, stepIdx, valueStep.questionnaire)
    const sheetOf = new Map(sheets.map((s) => [s.condition, s.text]))
    const withSheets = (keepPrompt: boolean) =>
      study.population.conditions.map((c): Condition => {
        const sheet = sheetOf.get(c.id)
        if (sheet === undefined) return c // unprimed agents stay unprimed in every setting
        return { ...c, system: keepPrompt && c.system !== null ? `${c.system}\n\n${sheet}` : sheet }
      })
    for (const [setting, keep] of [["priming-and-test", true], ["test-only", false]] as const) {
      const r = yield* ensureVariantRun(dir, setting, named(setting, withSheets(keep)), env, o.output)
      if (r.summary !== null && r.summary.status !== "complete") return { dir, incomplete: r, result: null }
      runs.push(r)
    }

    const reports = yield* Effect.forEach(runs, (r) => analyzeRun(r.runDir, { ...DEFAULT_ANALYSIS, baselines: o.baselines, bootstrap: o.bootstrap }))
    const order: ReadonlyArray<AblationSetting> = ["priming-only", "priming-and-test", "test-only"]
    const settingOf = (i: number): AblationSetting => (i === 0 ? "priming-only" : i === 1 ? "priming-and-test" : "test-only")
    let rows: Array<AblationRow> = reports.map((rep, i) => {
      const setting = settingOf(i)
      const sv = (rep.valueStructure?.structureComparisons ?? []).map(
        (c): AblationCell => ({ kind: "S_V", baseline: c.baseline, measure: null, whole: c.sv, null: c.null, bootstrap: c.bootstrap, copyingCheck: setting !== "priming-only" })
      )
      const sb = rep.behaviour.comparisons.map(
        (c): AblationCell => ({ kind: "S_B", baseline: c.baseline, measure: c.measure, whole: c.sb, null: c.null, bootstrap: c.bootstrap, copyingCheck: false })
      )
      const sbMeans = sb.flatMap((c) => (c.bootstrap.mean === null ? [] : [c.bootstrap.mean]))
      return { setting, title: TITLES[setting], runDir: runs[i]!.runDir, cells: [...sv, ...sb], meanSb: sbMeans.length > 0 ? num(mean(sbMeans)) : null }
    })
    rows = order.map((s) => rows.find((r) => r.setting === s)!)
    // Benjamini–Hochberg over every test of the table: the chance-level p (the stars) and the paper's t-test p.
    const cells = rows.flatMap((r) => r.cells)
    const adjusted = benjaminiHochberg(cells.map((c) => c.bootstrap.p ?? NaN))
    const chances = benjaminiHochberg(cells.map((c) => c.null?.p ?? NaN))
    let k = 0
    rows = rows.map((r) => ({
      ...r,
      cells: r.cells.map((c) => {
        const i = k++
        return { ...c, bootstrap: { ...c.bootstrap, pAdjusted: num(adjusted[i]) }, null: c.null && { ...c.null, pAdjusted: num(chances[i]) } }
      })
    }))

    const synthetic = study.backend.kind === "synthetic"
    const notes: Array<string> = []
    if (synthetic) {
      notes.push(
        `${SYNTHETIC_LABEL}: it reads only each condition's value, not the system message, so the three settings give the same answers there; the table's differences can only come from an LLM backend.`
      )
    }
    notes.push(
      "Copying check (†): under Test Only and Priming & Test the agents answer the same value questionnaire whose filled-out answers their system message shows, so those S_V cells measure how faithfully the sheet is copied, not a value structure of the model's own; only S_B (a different questionnaire) is informative there."
    )
    notes.push(
      "Test Only and Priming & Test show, per value condition, the value-questionnaire answers of one agent of that condition from the Priming Only run (chosen by the seed); every agent of the condition sees the same sheet. Unprimed agents stay unprimed in all three settings."
    )
    if (rows.every((r) => r.cells.every((c) => c.kind === "S_V"))) {
      notes.push("No behaviour measure of this study has a value × behaviour baseline, so there is no S_B column (see valuesim report for what is unavailable).")
    }
    const result: AblationResult = {
      ...experimentHeader(study, valueStep.questionnaire.id, dir),
      agents: study.agents,
      mdsMethod: reports[0]?.settings.mdsMethod ?? DEFAULT_ANALYSIS.mdsMethod,
      sheets,
      settings: {
        bootstrapIterations: o.bootstrap.iterations,
        bootstrapSampleSize: o.bootstrap.sampleSize,
        bootstrapSizeRule: o.bootstrap.sizeRule ?? "own",
        ciLevel: o.bootstrap.level
      },
      rows,
      notes
    }
    yield* Effect.try({
      try: () => fs.writeFileSync(path.join(dir, "priming-ablation.json"), JSON.stringify(result, null, 1)),
      catch: (e) => new SpecFileError({ file: dir, problems: [`cannot write priming-ablation.json (${(e as Error).message})`] })
    })
    return { dir, incomplete: null, result }
  })

const f3 = (x: number | null) => (x === null ? "–" : x.toFixed(3))

/** Paper 000 Table 3's shape: settings as rows; S_V and S_B per baseline as columns (bootstrap mean, BH stars). */
export const renderAblation = (r: AblationResult): string => {
  const columns = r.rows[0]!.cells.map((c) => `${c.kind} ${c.baseline.id.replace(/\.correlations-(centered|raw)$/, (_, k: string) => (k === "raw" ? " (raw)" : ""))}`)
  const header = ["setting", ...columns, "mean S_B", "paper's t-test"]
  const keyOf = (c: AblationCell) => `${c.kind} ${c.baseline.id} ${c.measure ?? ""}`
  const keys = r.rows[0]!.cells.map(keyOf)
  const rows = r.rows.map((row) => [
    row.title,
    ...keys.map((k) => {
      const c = row.cells.find((x) => keyOf(x) === k)
      return c === undefined
        ? "–"
        : `${f3(c.bootstrap.mean)} [${f3(c.bootstrap.ci.lower)}, ${f3(c.bootstrap.ci.upper)}]${stars(c.null?.pAdjusted)}${c.copyingCheck ? " †" : ""}`
    }),
    f3(row.meanSb),
    keys.map((k) => stars(row.cells.find((x) => keyOf(x) === k)?.bootstrap.pAdjusted) || "n.s.").join(" ")
  ])
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((x) => x[j]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((x, j) => x.padEnd(widths[j]!)).join("  ").trimEnd()
  return [
    `Priming ablation (paper 000 §6.2, Table 3) — study ${r.study}, ${r.agents} agents (${r.backend}, ${r.model}), seed ${r.seed}`,
    ...(r.label ? [`*** ${r.label} ***`] : []),
    `cells: bootstrap mean [${Math.round(r.settings.ciLevel * 100)}% percentile CI] over ${r.settings.bootstrapIterations} resamples of ${r.settings.bootstrapSampleSize} (${r.settings.bootstrapSizeRule === "paper" ? "the paper's fixed size" : "or the sample's own size when smaller"}); ${STARS_LEGEND}; † copying check: the items re-asked are those whose answers the system message shows`,
    "paper's t-test: paper 000's one-sample t-test of the resamples against 0 (BH over the table), one mark per column in order, for comparison only: unrelated structures are far above 0",
    ...r.rows.flatMap((row) =>
      row.cells.flatMap((c) => (c.null === null ? [] : [`chance ${row.title} ${c.kind} ${c.baseline.id}${c.measure ? ` (${c.measure})` : ""}: mean ${f3(c.null.mean)}, 95th pct ${f3(c.null.q95)}, p ${f3(c.null.p)}`]))
    ),
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    ...r.rows.map((row) => `${row.title}: ${row.runDir}`),
    ...r.notes.map((n) => `note: ${n}`)
  ].join("\n")
}
