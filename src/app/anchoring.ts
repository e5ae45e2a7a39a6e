/**
 * `valuesim anchoring run` and `valuesim anchoring report`: the experiments of paper 002 (Rozen et al., 2025,
 * "Do LLMs have consistent values?", seed 002_8599096937f5cc8f) — five prompt types, session or independent
 * administration, two temperatures — and their results in the paper's shape.
 */
import { DEFAULT_MDS_METHOD, type MdsMethod } from "../stats/mds.js"
import type Sqlite from "better-sqlite3"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  anchoringCurve,
  compareHierarchy,
  compareStructure,
  runMds,
  valueRanking,
  type AnchoringCurve,
  type HierarchyComparison,
  type RankedValue,
  type StructureComparison
} from "../analysis/anchoring.js"
import { loadReportBaselines } from "../analysis/analyzeRun.js"
import { readStepScores } from "../analysis/scores.js"
import type { ValueCorrelations, ValueHierarchy } from "../config/BaselineFile.js"
import { loadQuestionnaire } from "../config/QuestionnaireFile.js"
import type { RunSpec } from "../config/RunSpec.js"
import { SYNTHETIC_LABEL } from "../config/RunSpec.js"
import { BackendUnusableError, SpecFileError, UsageError } from "../config/SpecFileError.js"
import { loadRunSpec, projectRoot, type RunOverrides } from "../config/StudyFile.js"
import { valueSystemOf, type Administration } from "../domain/questionnaire.js"
import { positionOn, valuesOf } from "../domain/values.js"
import { LlmClient } from "../llm/LlmClient.js"
import { getManifest, openDatabase } from "../store/RunStore.js"
import { llmLayer, startRun, type OutputOptions } from "./runStudy.js"

/** The five prompt types of paper 002 §3.1, each a study file in scenarios/value-anchoring/. */
export const PROMPT_TYPES = ["basic", "value-anchor", "demographic", "persona", "names"] as const
export type PromptType = (typeof PROMPT_TYPES)[number]

export const ANCHORING_DIR = path.join(projectRoot, "scenarios", "value-anchoring")
export const anchoringStudy = (t: PromptType) => path.join(ANCHORING_DIR, `${t}.yaml`)

export interface AnchoringRunOptions {
  readonly promptType: PromptType
  /** Overrides the questionnaire's administration (VSQ-57 says session). */
  readonly administration: Administration | undefined
  /** Another refined-value questionnaire in valuesim's format, e.g. a licensed PVQ-RR. */
  readonly questionnaire: string | undefined
  readonly agents: number | undefined
  /**
   * `persona` prompt type only: have the model under test write this many personas first (paper 002 §3.1), used
   * instead of the project's written ones. Needs an LLM backend.
   */
  readonly generatePersonas?: number | undefined
  readonly overrides: RunOverrides
  readonly runsDir: string
  readonly output: OutputOptions
}

/** The request that asks the model for one persona: the project's own wording of paper 002's instruction. */
export const PERSONA_REQUEST =
  "Invent a person and describe them in two or three sentences, written as \"You are …\": who they are, what they do, and what they care about. Reply with the description only."
/** How a generated persona becomes a system message. */
export const personaSystem = (persona: string) => `Answer as this person. ${persona.trim()}`

/**
 * Asks the model `n` times for a persona (temperature 0.7 as the paper; request i carries seed + i so that
 * servers honouring seeds still give n different personas) and returns the replies, in order.
 */
const generatePersonas = (spec: RunSpec, n: number, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const llm = yield* LlmClient
    return yield* Effect.forEach(
      Array.from({ length: n }, (_, i) => i),
      (i) =>
        llm
          .complete({
            messages: [{ role: "user", content: PERSONA_REQUEST }],
            logprobs: false,
            topLogprobs: 0,
            maxTokens: 200,
            temperature: 0.7,
            seed: spec.seed + i
          })
          .pipe(
            Effect.map((c) => c.text.trim()),
            Effect.filterOrFail(
              (t) => t.length > 0,
              () => new BackendUnusableError({ baseUrl: spec.backend.baseUrl ?? "", detail: `persona ${i + 1} came back empty` })
            )
          ),
      { concurrency: Math.max(1, spec.backend.concurrency) }
    )
  }).pipe(
    Effect.mapError((e) =>
      e instanceof BackendUnusableError ? e : new BackendUnusableError({ baseUrl: spec.backend.baseUrl ?? "", detail: `generating personas failed (${e.message})` })
    ),
    Effect.provide(llmLayer(spec, env))
  )

/** The run plan of one prompt type: its study file, with the questionnaire and administration swapped if asked. */
export const anchoringSpec = (o: Omit<AnchoringRunOptions, "runsDir" | "output">, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const spec = yield* loadRunSpec(anchoringStudy(o.promptType), { ...o.overrides, agents: o.agents }, env)
    let q = spec.steps[0]!.kind === "questionnaire" ? spec.steps[0]!.questionnaire : null
    if (q === null) return yield* new UsageError({ detail: `${anchoringStudy(o.promptType)}: the first step must be a questionnaire` })
    if (o.questionnaire !== undefined) {
      q = yield* loadQuestionnaire(o.questionnaire)
      if (q.construct !== "values" || valueSystemOf(q) !== "refined") {
        return yield* new SpecFileError({
          file: o.questionnaire,
          problems: ["values: the anchoring experiment needs a refined-value questionnaire (construct: values, values: refined)"]
        })
      }
    }
    let population = spec.population
    if (o.generatePersonas !== undefined) {
      if (o.promptType !== "persona") return yield* new UsageError({ detail: "--generate-personas: only the persona prompt type uses personas" })
      if (spec.backend.kind === "synthetic") return yield* new UsageError({ detail: "--generate-personas: the synthetic backend writes no text; use an LLM backend" })
      if (!(o.generatePersonas >= 1)) return yield* new UsageError({ detail: "--generate-personas: must be a positive integer" })
      const personas = yield* generatePersonas(spec, o.generatePersonas, env)
      population = {
        ...population,
        conditions: personas.map((p, i) => ({ id: `variant:g${i + 1}`, value: null, system: personaSystem(p) })),
        weights: personas.map(() => 1 / personas.length),
        prompts: {
          id: "anchoring-personas-generated",
          citation: `${personas.length} personas written by ${spec.backend.model} at temperature 0.7 before the run (paper 002 §3.1's generated-persona prompt; request wording valuesim's own)`
        }
      }
    }
    const administration = o.administration ?? q.administration
    const questionnaire = { ...q, administration }
    const temp = String(spec.backend.temperature).replace(".", "")
    const out: RunSpec = {
      ...spec,
      population,
      study: { id: `${spec.study.id}-${administration}-t${temp}`, title: `${spec.study.title} (${administration}, temperature ${spec.backend.temperature})` },
      steps: [{ kind: "questionnaire", questionnaire }],
      files: o.questionnaire !== undefined ? { ...spec.files, [o.questionnaire]: "" } : spec.files
    }
    return out
  })

/** Runs one prompt type of the experiment. */
export const runAnchoring = (o: AnchoringRunOptions, env: Readonly<Record<string, string | undefined>>) =>
  Effect.flatMap(anchoringSpec(o, env), (spec) => startRun(spec, o.runsDir, env, o.output))

export interface AnchoringReport {
  readonly run: {
    readonly runId: string
    readonly study: string
    readonly population: string
    readonly prompts: { readonly id: string; readonly citation: string }
    readonly backend: string
    readonly model: string
    readonly temperature: number
    readonly scoring: string
    readonly administration: string
    readonly questionnaire: string
    readonly valueSystem: string
    readonly agents: number
    readonly seed: number
  }
  readonly respondents: number
  readonly ranking: Array<RankedValue>
  readonly hierarchyComparisons: Array<{ readonly baseline: BaselineRef } & HierarchyComparison>
  readonly mds: Array<Array<number>> | null
  /** How the maps were made: ratio SMACOF from the classical start (Borg et al. 2018, the MDS paper 002 cites). */
  readonly mdsMethod: MdsMethod
  readonly structureComparisons: Array<{ readonly baseline: BaselineRef } & StructureComparison>
  readonly anchoring: AnchoringCurve | null
  readonly notes: Array<string>
}

interface BaselineRef {
  readonly file: string
  readonly id: string
  readonly title: string
  readonly n: number | null
  readonly source: string
}

const refOf = (file: string, b: ValueHierarchy | ValueCorrelations): BaselineRef => ({ file, id: b.id, title: b.title, n: b.n ?? null, source: b.source })

const analyse = (db: Sqlite.Database, baselines: Effect.Effect.Success<ReturnType<typeof loadReportBaselines>>): AnchoringReport => {
  const manifest = getManifest(db)
  const spec = manifest["spec"] as RunSpec | undefined
  const runId = String(manifest["run_id"] ?? "")
  if (spec === undefined) throw new Error("the run has no plan (manifest.spec is missing)")
  const stepIdx = spec.steps.findIndex((s) => s.kind === "questionnaire" && s.questionnaire.construct === "values")
  if (stepIdx < 0) throw new Error("the run has no value questionnaire")
  const step = spec.steps[stepIdx]!
  if (step.kind !== "questionnaire") throw new Error("the run has no value questionnaire")
  const q = step.questionnaire
  const system = valueSystemOf(q)
  const scores = readStepScores(db, q, stepIdx)
  const notes: Array<string> = []
  if (spec.backend.kind === "synthetic") {
    notes.push(`${SYNTHETIC_LABEL}: these figures show what Schwartz's theory alone predicts, not how any language model answers; unanchored agents (basic, demographic, persona, names) have no preferred value in the theory model.`)
  }
  // Listwise: respondents with every value scored, as the paper's per-session analysis.
  const keep: Array<number> = []
  for (let r = 0; r < scores.rows; r++) if (scores.centered.every((c) => Number.isFinite(c[r]!))) keep.push(r)
  const centered = scores.centered.map((c) => Float64Array.from(keep, (r) => c[r]!))
  if (keep.length < scores.rows) notes.push(`${scores.rows - keep.length} respondents with a value left unscored are left out.`)
  const labels = scores.subscales
  const ranking = valueRanking(labels, centered)

  const hierarchyComparisons = baselines.flatMap((lb) => {
    if (lb.baseline.kind !== "value-hierarchy") return []
    const b = lb.baseline as ValueHierarchy
    if (!b.centered || !labels.every((l) => b.means[l] !== undefined)) return []
    return [{ baseline: refOf(lb.file, b), ...compareHierarchy(ranking, b.means) }]
  })
  if (hierarchyComparisons.length === 0) notes.push(`No centered human hierarchy over these ${labels.length} values was given.`)

  const structureComparisons = baselines.flatMap((lb) => {
    if (lb.baseline.kind !== "value-correlations") return []
    const b = lb.baseline as ValueCorrelations
    if (!b.centered || b.labels.length !== labels.length || !labels.every((l) => b.labels.includes(l))) return []
    const order = labels.map((l) => b.labels.indexOf(l))
    const c = compareStructure(centered, order.map((i) => order.map((j) => b.matrix[i]![j]!)))
    return c === null ? [] : [{ baseline: refOf(lb.file, b), ...c }]
  })
  if (structureComparisons.length === 0) {
    notes.push(
      system === "refined"
        ? "No human 19 × 19 value correlation matrix was given, so no MDS + Procrustes comparison: valuesim ships none (paper 002 used Schwartz & Cieciuch 2022, whose matrix is not in human-baselines/). Pass one with --baseline (a value-correlations file with centered: true)."
        : "No centered human value correlation matrix over these values was given."
    )
  }

  const conditions = db.prepare(`SELECT condition, value_code FROM conditions ORDER BY condition_idx`).all() as Array<{ condition: string; value_code: string | null }>
  const popSystem = spec.population.values ?? "basic"
  const circle = valuesOf(system)
  // A respondent is anchored on a value of the questionnaire's own circle; anchors of the other system are left out.
  const anchorOfCondition = conditions.map((c) => {
    if (c.value_code === null) return -1
    const pos = positionOn(system, popSystem, c.value_code)
    return pos !== null && Number.isInteger(pos) ? pos : -1
  })
  const anchorOf = Int32Array.from(keep, (r) => anchorOfCondition[scores.conditionIdx[r]!] ?? -1)
  const anchoring = labels.length === circle.length && labels.every((l, i) => l === circle[i]) ? anchoringCurve(circle, centered, anchorOf) : null
  if (anchoring === null) notes.push("No respondent was anchored on a value of the questionnaire's circle (or the questionnaire does not cover every value), so there is no anchoring curve.")

  const questionnaireStep = spec.steps[stepIdx]
  return {
    run: {
      runId,
      study: spec.study.id,
      population: spec.population.id,
      prompts: spec.population.prompts,
      backend: spec.backend.kind,
      model: spec.backend.model,
      temperature: spec.backend.temperature,
      scoring: spec.backend.scoring,
      administration: questionnaireStep?.kind === "questionnaire" ? questionnaireStep.questionnaire.administration : "",
      questionnaire: q.id,
      valueSystem: system,
      agents: spec.agents,
      seed: spec.seed
    },
    respondents: keep.length,
    ranking,
    hierarchyComparisons,
    mds: keep.length > 2 ? runMds(centered) : null,
    mdsMethod: DEFAULT_MDS_METHOD,
    structureComparisons,
    anchoring,
    notes
  }
}

/** Analyses a run as paper 002 does; `baselines` null = the shipped human-baselines/ folder. */
export const anchoringReport = (runDir: string, baselines: ReadonlyArray<string> | null) =>
  Effect.gen(function* () {
    const dbFile = path.join(runDir, "run.sqlite")
    if (!fs.existsSync(dbFile)) return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    const loaded = yield* loadReportBaselines(baselines)
    const db = yield* openDatabase(dbFile, { mustExist: true })
    return yield* Effect.try({
      try: () => analyse(db, loaded),
      catch: (e) => new SpecFileError({ file: dbFile, problems: [`cannot analyse the run (${(e as Error).message})`] })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
  })

const f2 = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(2))

/** The report as text: the ranking beside each human hierarchy (tables 2–4), SSD (table 1), the curve (figure 4). */
export const renderAnchoring = (r: AnchoringReport): string => {
  const lines: Array<string> = []
  lines.push(`valuesim anchoring report — ${r.run.study} (run ${r.run.runId})`)
  lines.push(
    `prompts ${r.run.prompts.id} (population ${r.run.population}); ${r.run.questionnaire} (${r.run.valueSystem}, ${r.run.administration}); backend ${r.run.backend} ${r.run.model}, temperature ${r.run.temperature}, scoring ${r.run.scoring}; ${r.respondents} respondents, seed ${r.run.seed}`
  )
  if (r.run.backend === "synthetic") lines.push(`*** ${SYNTHETIC_LABEL} ***`)
  lines.push("", "Value ranking (mean centered score; rank 1 = most important):")
  const human = r.hierarchyComparisons[0]
  // Tables 2–4 of the paper: values in the human order, the human mean beside the run's mean and rank.
  const rows = human ? human.human.map((h) => ({ h, v: r.ranking.find((x) => x.value === h.value)! })).sort((a, b) => a.h.rank! - b.h.rank!) : r.ranking.map((v) => ({ h: null, v }))
  lines.push(human ? `  human rank  value  human mean   mean   rank` : `  value   mean   rank`)
  for (const { h, v } of rows) {
    lines.push(
      h
        ? `  ${String(h.rank).padStart(10)}  ${v.value.padEnd(5)}  ${f2(h.mean).padStart(10)} ${f2(v.mean).padStart(6)} ${String(v.rank ?? "–").padStart(6)}`
        : `  ${v.value.padEnd(5)} ${f2(v.mean).padStart(6)} ${String(v.rank ?? "–").padStart(6)}`
    )
  }
  for (const h of r.hierarchyComparisons) {
    lines.push(`Spearman ρ with ${h.baseline.title}: ${f2(h.spearman)} (p = ${h.p === null ? "–" : h.p.toPrecision(2)}, ${h.values} values)`)
  }
  if (human === undefined) lines.push("  (no human hierarchy over these values)")
  lines.push("", "Value structure (ratio SMACOF MDS + Procrustes, sum of squared differences of the aligned maps):")
  if (r.structureComparisons.length === 0) lines.push("  no human correlation matrix over these values")
  for (const s of r.structureComparisons) lines.push(`  ${s.baseline.title}: SSD ${s.ssd.toFixed(3)} (S_V ${s.sv.toFixed(3)})`)
  lines.push("", "Anchoring curve (mean centered score by offset from the anchored value, averaged over anchors):")
  if (r.anchoring === null) lines.push("  no anchored respondents")
  else {
    const a = r.anchoring
    lines.push(`  ${a.anchors} anchors, ${a.agents} respondents`)
    lines.push(`  offset ${a.byOffset.map((o) => String(o.offset).padStart(5)).join(" ")}`)
    lines.push(`  mean   ${a.byOffset.map((o) => f2(o.mean).padStart(5)).join(" ")}`)
    lines.push(`  by distance: ${a.byDistance.map((d) => `${d.distance}: ${f2(d.mean)}`).join(", ")}`)
    lines.push(`  sinusoid: mean ${f2(a.sinusoid.mean)}, amplitude ${f2(a.sinusoid.amplitude)}, peak at offset ${f2(a.sinusoid.phase)}, r² ${f2(a.sinusoid.r2)}`)
  }
  if (r.notes.length > 0) lines.push("", ...r.notes.map((n) => `note: ${n}`))
  return lines.join("\n")
}

/** One row of the experiment table: a run's prompt type, settings and headline figures. */
export interface AnchoringTableRow {
  readonly runDir: string
  readonly study: string
  readonly population: string
  readonly temperature: number
  readonly administration: string
  readonly respondents: number
  /** Spearman ρ and p with the first human hierarchy (figure 2a). */
  readonly spearman: number | null
  readonly p: number | null
  /** SSD with the first human correlation structure given (table 1); null without one. */
  readonly ssd: number | null
  /** The anchoring curve's sinusoid (figure 4); null for unanchored prompt types. */
  readonly amplitude: number | null
  readonly r2: number | null
}

export const anchoringTableRow = (runDir: string, r: AnchoringReport): AnchoringTableRow => ({
  runDir,
  study: r.run.study,
  population: r.run.population,
  temperature: r.run.temperature,
  administration: r.run.administration,
  respondents: r.respondents,
  spearman: r.hierarchyComparisons[0]?.spearman ?? null,
  p: r.hierarchyComparisons[0]?.p ?? null,
  ssd: r.structureComparisons[0]?.ssd ?? null,
  amplitude: r.anchoring?.sinusoid.amplitude ?? null,
  r2: r.anchoring?.sinusoid.r2 ?? null
})

/** Several runs side by side: prompt type × temperature × administration, as paper 002's table 1 and figure 2a. */
export const renderAnchoringTable = (rows: ReadonlyArray<AnchoringTableRow>): string => {
  const head = ["prompt type (population)", "temp", "administration", "n", "ρ hierarchy", "p", "SSD", "curve amp.", "r²"]
  const body = rows.map((r) => [
    r.population.replace(/^anchoring-/, ""),
    String(r.temperature),
    r.administration,
    String(r.respondents),
    f2(r.spearman),
    r.p === null ? "–" : r.p.toPrecision(2),
    r.ssd === null ? "–" : r.ssd.toFixed(3),
    f2(r.amplitude),
    f2(r.r2)
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n")
}

/** Reports several runs and their table (one `anchoringReport` each). */
export const anchoringReports = (runDirs: ReadonlyArray<string>, baselines: ReadonlyArray<string> | null) =>
  Effect.map(
    Effect.forEach(runDirs, (d) => Effect.map(anchoringReport(d, baselines), (report) => ({ runDir: d, report }))),
    (rs) => ({ reports: rs.map((r) => r.report), table: rs.map((r) => anchoringTableRow(r.runDir, r.report)) })
  )
