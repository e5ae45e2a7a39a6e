/**
 * Ensembles across seeds (`valuesim run STUDY --seeds 1,2,3`): the whole run replicated once per seed into one
 * ensemble folder, `<dir>/seed-<s>/<run-id>/` with `<dir>/ensemble.json` naming them. Each replicate is an
 * ordinary run (its own store, so `resume` and `report` work on it as on any run); running the same command with
 * `--out <dir>` reuses finished replicates and resumes interrupted ones (src/app/variantRuns.ts). `report <dir>`
 * summarises every headline statistic across the seeds (src/ensemble/acrossSeeds.ts); `export <dir>` writes each
 * replicate's files and the answers and scores of all of them together with a leading `seed` column (csv, jsonl or
 * Parquet); `report <dir> --format html` is one page: the statistics across seeds, then each seed's report.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { AnalysisOptions } from "../analysis/analyzeRun.js"
import { analyzeRun } from "../analysis/analyzeRun.js"
import type { Report } from "../analysis/Report.js"
import { exportRun, type ExportFormat } from "../app/exportRun.js"
import type { OutputOptions, RunSummary } from "../app/runStudy.js"
import { ensureVariantRun, experimentDir } from "../app/variantRuns.js"
import { SpecFileError, UsageError } from "../config/SpecFileError.js"
import type { RunOverrides } from "../config/StudyFile.js"
import { loadRunSpec } from "../config/StudyFile.js"
import { readDataFile } from "../config/loadFile.js"
import { num as f } from "../report/format.js"
import type { PageTable } from "../report/html.js"
import { acrossSeedsOf, type SeedStatistic } from "./acrossSeeds.js"

export const ENSEMBLE_FILE = "ensemble.json"

/** `<dir>/ensemble.json`. */
export interface EnsembleFile {
  readonly kind: "valuesim-ensemble"
  readonly study: string
  readonly seeds: ReadonlyArray<number>
  /** Each replicate's run folder, relative to the ensemble folder. */
  readonly runs: ReadonlyArray<{ readonly seed: number; readonly runDir: string }>
}

/** `--seeds 1,2,3`: distinct non-negative integers, at least two. */
export const parseSeeds = (text: string) =>
  Effect.gen(function* () {
    const parts = text.split(",").map((s) => s.trim())
    const seeds = parts.map(Number)
    if (parts.some((p) => !/^\d+$/.test(p)) || seeds.some((s) => !Number.isSafeInteger(s)))
      return yield* new UsageError({ detail: `--seeds: expected a comma-separated list of non-negative integers, got "${text}"` })
    if (new Set(seeds).size !== seeds.length) return yield* new UsageError({ detail: `--seeds: a seed is listed twice in "${text}"` })
    if (seeds.length < 2) return yield* new UsageError({ detail: "--seeds: give at least two seeds (one seed is an ordinary run: --seed)" })
    return seeds
  })

/** The `seeds` a study file lists (an ensemble), or none; a questionnaire or game file lists none. */
export const studySeeds = (specFile: string) =>
  Effect.map(Effect.orElseSucceed(readDataFile(specFile), () => null), (data): ReadonlyArray<number> | null => {
    const d = data as { kind?: unknown; seeds?: unknown } | null
    return d !== null && d.kind === "study" && Array.isArray(d.seeds) ? (d.seeds as Array<number>) : null
  })

export const isEnsembleDir = (dir: string): boolean => fs.existsSync(path.join(dir, ENSEMBLE_FILE))

const readEnsemble = (dir: string) =>
  Effect.try({
    try: () => JSON.parse(fs.readFileSync(path.join(dir, ENSEMBLE_FILE), "utf8")) as EnsembleFile,
    catch: (e) => new SpecFileError({ file: path.join(dir, ENSEMBLE_FILE), problems: [`cannot read the ensemble file (${(e as Error).message})`] })
  })

/**
 * Runs (or continues, in `out`) the study once per seed. Stops at the first replicate that does not finish and
 * returns its summary, so the caller can say how to continue; otherwise every replicate's summary.
 */
export const runEnsemble = (
  specFile: string,
  overrides: RunOverrides,
  seeds: ReadonlyArray<number>,
  runsDir: string,
  out: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  output: OutputOptions
) =>
  Effect.gen(function* () {
    if (overrides.seed !== undefined) return yield* new UsageError({ detail: "--seed and --seeds: give one of them" })
    if (new Set(seeds).size !== seeds.length) return yield* new SpecFileError({ file: specFile, problems: [`seeds: a seed is listed twice (${seeds.join(", ")})`] })
    // Every replicate's plan is checked before the first one runs.
    const specs = yield* Effect.forEach(seeds, (seed) => loadRunSpec(specFile, { ...overrides, seed }, env))
    const dir = out ?? (yield* experimentDir(runsDir, "ensemble", specs[0]!.study.id, seeds[0]!))
    fs.mkdirSync(dir, { recursive: true })
    const runs: Array<{ seed: number; runDir: string; summary: RunSummary | null }> = []
    for (const [i, seed] of seeds.entries()) {
      const r = yield* ensureVariantRun(dir, `seed-${seed}`, specs[i]!, env, output)
      runs.push({ seed, runDir: r.runDir, summary: r.summary })
      if (r.summary !== null && r.summary.status !== "complete") return { dir, incomplete: r.summary, runs }
    }
    const file: EnsembleFile = {
      kind: "valuesim-ensemble",
      study: specs[0]!.study.id,
      seeds,
      runs: runs.map((r) => ({ seed: r.seed, runDir: path.relative(dir, r.runDir) }))
    }
    yield* Effect.try({
      try: () => {
        fs.writeFileSync(path.join(dir, `${ENSEMBLE_FILE}.partial`), JSON.stringify(file, null, 1) + "\n")
        fs.renameSync(path.join(dir, `${ENSEMBLE_FILE}.partial`), path.join(dir, ENSEMBLE_FILE))
      },
      catch: (e) => new SpecFileError({ file: dir, problems: [`cannot write ${ENSEMBLE_FILE} (${(e as Error).message})`] })
    })
    return { dir, incomplete: null, runs }
  })

/** `report <ensemble-dir> --format json`. */
export interface EnsembleReport {
  readonly reportVersion: 1
  readonly ensemble: { readonly dir: string; readonly study: string; readonly seeds: ReadonlyArray<number>; readonly runs: ReadonlyArray<{ readonly seed: number; readonly runDir: string }> }
  /** Every headline statistic: mean, SD between seeds, min, max, n, beside the runs' own CIs averaged. */
  readonly acrossSeeds: Readonly<Record<string, SeedStatistic>>
  /** Each replicate's own report. */
  readonly reports: ReadonlyArray<{ readonly seed: number; readonly report: Report }>
}

export const reportEnsemble = (dir: string, options: AnalysisOptions) =>
  Effect.gen(function* () {
    const e = yield* readEnsemble(dir)
    const reports = yield* Effect.forEach(e.runs, (r) => Effect.map(analyzeRun(path.join(dir, r.runDir), options), (report) => ({ seed: r.seed, report })))
    return {
      reportVersion: 1,
      ensemble: { dir, study: e.study, seeds: e.seeds, runs: e.runs },
      acrossSeeds: acrossSeedsOf(reports.map((r) => r.report)),
      reports
    } satisfies EnsembleReport
  })

/** The across-seeds table (text and HTML): one row per headline statistic. */
export const acrossSeedsTable = (r: EnsembleReport): PageTable => {
  const level = Math.round((r.reports[0]?.report.settings.ciLevel ?? 0.95) * 100)
  return {
    caption: `Headline statistics across ${r.ensemble.seeds.length} seeds`,
    header: ["statistic", "mean", "sd (seeds)", "min–max", "n", `within-run ${level}% CI`],
    rows: Object.entries(r.acrossSeeds).map(([k, s]) => [
      k,
      f(s.mean),
      f(s.sd),
      `${f(s.min)}–${f(s.max)}`,
      String(s.n),
      s.withinRunCi === null ? "–" : `[${f(s.withinRunCi.lower)}, ${f(s.withinRunCi.upper)}]`
    ]),
    numeric: [false, true, true, true, true, true],
    notes: [
      "Each statistic: its mean over the seeds' runs, the SD between seeds (how stable it is), its range, and each run's own bootstrap CI averaged over the seeds."
    ]
  }
}

/** The text: one row per headline statistic, the mean across seeds with the between-seed spread beside the within-run CI. */
export const renderEnsemble = (r: EnsembleReport): string => {
  const t = acrossSeedsTable(r)
  const widths = t.header.map((h, j) => Math.max(h.length, ...t.rows.map((x) => x[j]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, j) => (t.numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join("  ").trimEnd()
  const synthetic = r.reports.some((x) => x.report.run.synthetic)
  return [
    `valuesim ensemble report — ${r.ensemble.study}, ${r.ensemble.seeds.length} seeds (${r.ensemble.seeds.join(", ")}), ${r.ensemble.dir}`,
    ...(synthetic ? ["*** synthetic: theory model, not an LLM ***"] : []),
    ...t.notes,
    "",
    line(t.header),
    line(widths.map((w) => "-".repeat(w))),
    ...t.rows.map(line),
    "",
    ...r.ensemble.runs.map((x) => `seed ${x.seed}: ${path.join(r.ensemble.dir, x.runDir)} (valuesim report on it for the full report)`)
  ].join("\n")
}

/**
 * Exports every replicate into `<out>/seed-<s>/`, then the answers and scores of all of them into `<out>/answers.*`
 * and `<out>/scores.*` with a leading `seed` column (csv, jsonl, or Parquet through DuckDB).
 */
export const exportEnsemble = (dir: string, format: ExportFormat, out: string) =>
  Effect.gen(function* () {
    const e = yield* readEnsemble(dir)
    const parts = yield* Effect.forEach(e.runs, (r) =>
      Effect.map(exportRun(path.join(dir, r.runDir), format, path.join(out, `seed-${r.seed}`)), (x) => ({ seed: r.seed, answers: x.file, scores: x.scores }))
    )
    const failed = (name: string) => (err: unknown) => new SpecFileError({ file: out, problems: [`--out: cannot write the combined ${name} (${(err as Error).message})`] })
    // Parquet through DuckDB (loaded on demand); csv and jsonl line by line, the seed put in front.
    const combineParquet = (name: "answers" | "scores", pick: (p: (typeof parts)[number]) => string) =>
      Effect.tryPromise({
        try: async () => {
          const file = path.join(out, `${name}.parquet`)
          const { concatParquet } = await import("../store/parquet.js")
          return { file, rows: await concatParquet(parts.map((p) => ({ seed: p.seed, file: pick(p) })), file) }
        },
        catch: failed(name)
      })
    const combineLines = (name: "answers" | "scores", pick: (p: (typeof parts)[number]) => string) =>
      Effect.try({
        try: () => {
          const file = path.join(out, `${name}.${format}`)
          const fd = fs.openSync(`${file}.partial`, "w")
          let rows = 0
          parts.forEach((p, k) => {
            const lines = fs.readFileSync(pick(p), "utf8").split("\n").filter((l) => l.length > 0)
            if (format === "csv") {
              if (k === 0) fs.writeSync(fd, `seed,${lines[0]}\n`)
              for (const l of lines.slice(1)) fs.writeSync(fd, `${p.seed},${l}\n`), rows++
            } else for (const l of lines) fs.writeSync(fd, `{"seed":${p.seed},${l.slice(1)}\n`), rows++
          })
          fs.closeSync(fd)
          fs.renameSync(`${file}.partial`, file)
          return { file, rows }
        },
        catch: failed(name)
      })
    const combine = format === "parquet" ? combineParquet : combineLines
    const answers = yield* combine("answers", (p) => p.answers)
    const scores = yield* combine("scores", (p) => p.scores)
    return { dir: out, seeds: e.seeds, answers: answers.file, answerRows: answers.rows, scores: scores.file, scoreRows: scores.rows, perSeed: parts }
  })
