import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import * as path from "node:path"
import { compareStructure, renderComparison } from "../app/compareStructure.js"
import { DEFAULT_SHARES, DEFAULT_STRATEGY_QUESTIONNAIRE, renderStrategies, runStrategyComparison, STRATEGY_POOL } from "../app/compareStrategies.js"
import { exportRun } from "../app/exportRun.js"
import { reportRun, writeAtomically } from "../app/reportRun.js"
import { cliCommand } from "../app/invocation.js"
import { filesUnder, refuseUnsafeOutput, runInputs } from "../store/outputGuard.js"
import { exportEnsemble, isEnsembleDir, parseSeeds, renderEnsemble, reportEnsemble, runEnsemble, studySeeds } from "../ensemble/ensemble.js"
import { resumeRun, runCacheDir, startRun } from "../app/runStudy.js"
import { validateFile } from "../app/validateFiles.js"
import { VALUESIM_VERSION } from "../app/version.js"
import { DEFAULT_PERMUTATIONS } from "../analysis/alignment.js"
import { UsageError } from "../config/SpecFileError.js"
import { loadRunSpec } from "../config/StudyFile.js"
import { DEFAULT_MDS_METHOD, MDS_METHODS } from "../stats/mds.js"
import { anchoringCommand } from "./anchoringCommand.js"
import { baselineCommand } from "./baselineCommand.js"
import { batchCommand } from "./batchCommand.js"
import { cacheCommand } from "./cacheCommand.js"
import { branchCommand } from "./branchCommand.js"
import { personaEvalsCommand } from "./personaEvalsCommand.js"
import { checkBudget, maxCost, maxCostOf, planCommand } from "./planCommand.js"
import { probeCommand } from "./probeCommand.js"
import { robustnessCommands } from "./robustnessCommand.js"
import { backendOptions, bootstrapSizeOptions, limitOptions, rateLimitOverridesOf, cacheOptions, cacheOutput, env, finish, json, noTui, opt, outputOf, overridesOf, progressEveryMs, repeatable, runDirArg, RunIncompleteError, timeoutOf } from "./runOptions.js"
import { valuePortraitCommand } from "./valuePortraitCommand.js"

/** `--mds smacof|classical|smacof-1-r|classical-1-r`: how value maps are made for S_V (default: ratio SMACOF on √(2(1 − r))). */
const mds = Options.choice("mds", MDS_METHODS).pipe(
  Options.withDefault(DEFAULT_MDS_METHOD),
  Options.withDescription(
    "how the value maps behind S_V are made: smacof (ratio SMACOF, the paper's metric MDS; default) or classical (Torgerson), on the dissimilarity √(2(1 − r)) (valuesim's choice; the paper names none), or with -1-r on 1 − r"
  )
)
/** `--permutations N`: label permutations behind each S_V's chance level. */
const permutations = Options.integer("permutations").pipe(
  Options.withDefault(DEFAULT_PERMUTATIONS),
  Options.withDescription("permutations of the value labels behind each S_V's chance level (default 1000; 0: none)")
)
const checkPermutations = (n: number) =>
  n < 0 ? Effect.fail(new UsageError({ detail: "--permutations: must be 0 or a positive integer" })) : Effect.void

const run = Command.make(
  "run",
  {
    spec: Args.text({ name: "scenario-or-study.yaml" }).pipe(Args.withDescription("a study file, or a questionnaire or game file to run on --population")),
    population: Options.text("population").pipe(
      Options.optional,
      Options.withDescription("population file. Default: the study's population, else populations/h-np.yaml")
    ),
    agents: Options.integer("agents").pipe(Options.optional, Options.withDescription("number of agents. Default: the study's agents, else the population's, else 1,000")),
    ...backendOptions,
    seeds: Options.text("seeds").pipe(
      Options.optional,
      Options.withDescription("an ensemble: the whole run once per seed (e.g. 1,2,3) into one ensemble folder; report and export on that folder summarise across seeds. Default: one run (--seed)")
    ),
    out: Options.text("out").pipe(Options.optional, Options.withDescription("with --seeds: the ensemble folder; give an existing one to continue it. Default: a new one under --runs-dir")),
    maxCost,
    noTui,
    json
  },
  (a) =>
    Effect.gen(function* () {
      const agents = opt(a.agents)
      if (agents !== undefined && agents < 1) return yield* new UsageError({ detail: "--agents: must be a positive integer" })
      const overrides = yield* overridesOf(a)
      const maxCostUsd = yield* maxCostOf(a.maxCost)
      // --seeds, or a study file's `seeds` (unless --seed asks for one run): an ensemble
      const seedList = opt(a.seeds)
      const fileSeeds = seedList === undefined && overrides.seed === undefined ? yield* studySeeds(a.spec) : null
      if (seedList === undefined && fileSeeds === null && opt(a.out) !== undefined)
        return yield* new UsageError({ detail: "--out: only with --seeds (a single run goes under --runs-dir)" })
      if (seedList !== undefined || fileSeeds !== null) {
        const seeds = seedList !== undefined ? yield* parseSeeds(seedList) : fileSeeds!
        const output = { ...outputOf(a), ...(maxCostUsd === undefined ? {} : { maxCostUsd }) }
        const e = yield* runEnsemble(a.spec, { ...overrides, population: opt(a.population), agents }, seeds, a.runsDir, opt(a.out), env, output)
        if (e.incomplete !== null) {
          yield* Console.error(`[valuesim] to continue the ensemble, run the same command again with --out ${e.dir}`)
          return yield* new RunIncompleteError({ summary: e.incomplete })
        }
        const result = { ensembleDir: e.dir, seeds, runs: e.runs.map((r) => ({ seed: r.seed, runDir: r.runDir })) }
        if (a.json) return yield* Console.log(JSON.stringify(result))
        return yield* Console.log(`ensemble of ${seeds.length} seeds in ${e.dir}\nnext: ${cliCommand()} report ${e.dir}`)
      }
      const spec = yield* loadRunSpec(a.spec, { ...overrides, population: opt(a.population), agents }, env)
      const output = { ...outputOf(a), ...(maxCostUsd === undefined ? {} : { maxCostUsd }) }
      yield* checkBudget(spec, maxCostUsd, a.json, runCacheDir(output, env))
      const summary = yield* startRun(spec, a.runsDir, env, output)
      yield* finish(summary, a.json)
    })
).pipe(Command.withDescription("run a questionnaire or study on a population"))

const resume = Command.make(
  "resume",
  {
    runDir: Args.directory({ name: "run-dir" }),
    baseUrl: Options.text("base-url").pipe(Options.optional, Options.withDescription("send the remaining requests here. Default: the run's stored base URL")),
    timeout: backendOptions.timeout,
    rpm: limitOptions.rpm,
    tpm: limitOptions.tpm,
    ...cacheOptions,
    maxCost,
    noTui,
    json
  },
  (a) =>
  Effect.gen(function* () {
    const maxCostUsd = yield* maxCostOf(a.maxCost)
    const output = { ...outputOf(a), ...(maxCostUsd === undefined ? {} : { maxCostUsd }) }
    const limits = yield* rateLimitOverridesOf(a)
    const summary = yield* resumeRun(runDirArg(a.runDir), env, output, { baseUrl: opt(a.baseUrl), timeoutMs: yield* timeoutOf(a.timeout), ...limits })
    yield* finish(summary, a.json)
  })
).pipe(Command.withDescription("continue an interrupted run; finished work is never redone"))

const validate = Command.make("validate", { files: Args.text({ name: "file" }).pipe(Args.atLeast(1)), json }, (a) =>
  Effect.gen(function* () {
    const results = yield* Effect.forEach(a.files, (f) => validateFile(f, env))
    const problems = results.flatMap((r) => r.problems)
    if (a.json) yield* Console.log(JSON.stringify({ ok: problems.length === 0, files: results }))
    else for (const r of results) if (r.problems.length === 0) yield* Console.log(`ok   ${r.file} (${r.kind})`)
    if (problems.length > 0) {
      const files = results.filter((r) => r.problems.length > 0).length
      return yield* new UsageError({ detail: `${problems.length} problem(s) in ${files} file(s):\n${problems.map((p) => `  ${p}`).join("\n")}` })
    }
  })
).pipe(Command.withDescription("check population, scenario and baseline files"))

const exportCmd = Command.make(
  "export",
  {
    runDir: Args.directory({ name: "run-dir" }),
    format: Options.choice("format", ["csv", "jsonl", "parquet"]).pipe(Options.withDefault("csv" as const), Options.withDescription("file format. Default: csv")),
    out: Options.text("out").pipe(Options.optional, Options.withDescription("folder for the files. Default: <run-dir>/export")),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const runDir = runDirArg(a.runDir)
      const out = opt(a.out) ?? path.join(runDir, "export")
      if (isEnsembleDir(runDir)) {
        const e = yield* exportEnsemble(runDir, a.format, out)
        if (a.json) return yield* Console.log(JSON.stringify(e))
        return yield* Console.log(`wrote ${e.answerRows} rows to ${e.answers} and ${e.scoreRows} rows to ${e.scores} (all ${e.seeds.length} seeds, column seed); each seed's files in ${out}/seed-<s>/`)
      }
      const r = yield* exportRun(runDir, a.format, out)
      if (a.json) return yield* Console.log(JSON.stringify(r))
      if (r.label) yield* Console.log(`*** ${r.label} ***`)
      // Every table written (answers, scores, games, society, experiments…), so a society run does not read as empty.
      const files = [
        { file: r.file, rows: r.rows },
        { file: r.scores, rows: r.scoreRows },
        ...(r.moves !== undefined ? [{ file: r.moves, rows: r.moveRows ?? 0 }] : []),
        ...(r.gameResults !== undefined ? [{ file: r.gameResults, rows: r.gameResultRows ?? 0 }] : []),
        ...(r.society ?? []).map((f) => ({ file: f.file, rows: f.rows }))
      ]
      yield* Console.log(`wrote ${files.map((f) => `${f.rows} rows to ${f.file}`).join(", ")}; provenance in ${r.manifest}`)
    })
).pipe(Command.withDescription("write answers (one row per agent × item), scores (per agent × subscale) and, for games and societies, moves, game results, edges and rounds as csv, jsonl or parquet"))

const report = Command.make(
  "report",
  {
    runDir: Args.directory({ name: "run-dir" }),
    baseline: repeatable(Options.text("baseline")).pipe(
      Options.withDescription("a human baseline file or folder to compare with (repeatable). Default: the shipped human-baselines/")
    ),
    format: Options.choice("format", ["text", "json", "html"]).pipe(Options.withDefault("text" as const), Options.withDescription("text, json, or html (one self-contained page with plots). Default: text")),
    out: Options.text("out").pipe(Options.optional, Options.withDescription("write here instead of stdout. Default: stdout; for html <run-dir>/report.html")),
    iterations: Options.integer("bootstrap-iterations").pipe(Options.withDefault(100), Options.withDescription("bootstrap resamples for the confidence intervals. Default: 100")),
    ...bootstrapSizeOptions,
    mds,
    permutations,
    massThreshold: Options.float("mass-threshold").pipe(
      Options.optional,
      Options.withDescription("flag shared questions whose option mass (first-token probability on the options) is below this. Default: the run's threshold, else 0.9")
    ),
    pairedWith: Options.text("paired-with").pipe(
      Options.optional,
      Options.withDescription("another run of the same agents (e.g. the parent of a branch): every outcome compared agent by agent. Default: none")
    )
  },
  (a) =>
    Effect.gen(function* () {
      if (a.iterations < 2) return yield* new UsageError({ detail: "--bootstrap-iterations: must be at least 2" })
      const massThreshold = opt(a.massThreshold)
      if (massThreshold !== undefined && !(massThreshold >= 0 && massThreshold <= 1)) {
        return yield* new UsageError({ detail: `--mass-threshold: must be between 0 and 1, got ${massThreshold}` })
      }
      if (a.sampleSize < 2) return yield* new UsageError({ detail: "--bootstrap-size: must be at least 2" })
      yield* checkPermutations(a.permutations)
      if (isEnsembleDir(a.runDir)) {
        // HTML always goes to a file (<ensemble-dir>/report.html unless --out), as for a run.
        const target = opt(a.out) ?? (a.format === "html" ? path.join(a.runDir, "report.html") : undefined)
        const e = yield* reportEnsemble(a.runDir, {
          baselines: a.baseline.length > 0 ? a.baseline : null,
          bootstrap: { iterations: a.iterations, sampleSize: a.sampleSize, level: 0.95, sizeRule: a.sizeRule },
          mdsMethod: a.mds,
          permutations: a.permutations
        })
        const rendered =
          a.format === "json"
            ? JSON.stringify(e)
            : a.format === "text"
              ? renderEnsemble(e)
              : yield* Effect.promise(() => import("../ensemble/html.js").then((m) => m.renderEnsembleHtml(e)))
        if (target === undefined) return yield* Console.log(rendered)
        // never over a replicate's run store, the ensemble file or a baseline being read
        yield* refuseUnsafeOutput("--out", [target], [
          path.join(a.runDir, "ensemble.json"),
          ...e.ensemble.runs.flatMap((r) => runInputs(path.join(a.runDir, r.runDir))),
          ...a.baseline.flatMap(filesUnder)
        ])
        yield* writeAtomically(target, rendered + "\n", "--out")
        return yield* Console.log(`wrote ${target}`)
      }
      const r = yield* reportRun(runDirArg(a.runDir), a.format, opt(a.out), {
        baselines: a.baseline.length > 0 ? a.baseline : null,
        bootstrap: { iterations: a.iterations, sampleSize: a.sampleSize, level: 0.95, sizeRule: a.sizeRule },
        mdsMethod: a.mds,
        permutations: a.permutations,
        ...(massThreshold === undefined ? {} : { massThreshold })
      }, opt(a.pairedWith))
      if (r.file === null) yield* Console.log(a.format === "text" ? r.rendered.trimEnd() : r.rendered)
      else yield* Console.log(`wrote ${r.file}`)
    })
).pipe(Command.withDescription("compare a run's value structure and value–behaviour relations with human baselines"))

const compareStructureCmd = Command.make(
  "compare-structure",
  {
    human: Options.text("human").pipe(Options.withDescription("human value correlation matrix: a CSV with a header row of value codes, or a value-correlations baseline file (required)")),
    model: Options.text("model").pipe(Options.withDescription("the model's matrix, in either format (required)")),
    mds,
    permutations,
    seed: Options.integer("seed").pipe(Options.withDefault(1), Options.withDescription("seed of the label permutations (default 1)")),
    json
  },
  (a) =>
    Effect.gen(function* () {
      yield* checkPermutations(a.permutations)
      const r = yield* compareStructure(a.human, a.model, { mdsMethod: a.mds, permutations: a.permutations, seed: a.seed })
      yield* Console.log(a.json ? JSON.stringify(r) : renderComparison(r))
    })
).pipe(Command.withDescription("S_V between two value correlation matrices (ratio SMACOF or classical MDS + Procrustes), with its chance level"))

const compareStrategiesCmd = Command.make(
  "compare-strategies",
  {
    spec: Args.text({ name: "questionnaire-or-study.yaml" }).pipe(Args.optional),
    run: Options.text("run").pipe(Options.optional, Options.withDescription("analyse this finished pool run instead of starting one. Default: start a pool run")),
    perCondition: Options.integer("agents-per-condition").pipe(Options.withDefault(100), Options.withDescription("agents per condition of the pool run. Default: 100")),
    population: Options.text("population").pipe(Options.withDefault(STRATEGY_POOL), Options.withDescription(`the pool population (every condition once). Default: ${STRATEGY_POOL}`)),
    shares: Options.text("shares").pipe(Options.withDefault(DEFAULT_SHARES.file), Options.withDescription(`dominant-value shares file the H-* populations follow. Default: ${DEFAULT_SHARES.file}`)),
    dataset: Options.text("dataset").pipe(Options.withDefault(DEFAULT_SHARES.dataset), Options.withDescription(`dataset of the shares file. Default: ${DEFAULT_SHARES.dataset}`)),
    baseline: repeatable(Options.text("baseline")).pipe(Options.withDescription("a human baseline file or folder (repeatable). Default: the shipped human-baselines/")),
    ...backendOptions,
    iterations: Options.integer("bootstrap-iterations").pipe(Options.withDefault(100), Options.withDescription("bootstrap resamples for the confidence intervals. Default: 100")),
    ...bootstrapSizeOptions,
    mds,
    permutations,
    noTui,
    json
  },
  (a) =>
    Effect.gen(function* () {
      yield* checkPermutations(a.permutations)
      if (a.perCondition < 3) return yield* new UsageError({ detail: "--agents-per-condition: must be at least 3" })
      if (a.iterations < 2) return yield* new UsageError({ detail: "--bootstrap-iterations: must be at least 2" })
      if (a.sampleSize < 2) return yield* new UsageError({ detail: "--bootstrap-size: must be at least 2" })
      const overrides = yield* overridesOf(a)
      const { summary, comparison } = yield* runStrategyComparison(
        {
          run: opt(a.run),
          spec: opt(a.spec) ?? DEFAULT_STRATEGY_QUESTIONNAIRE,
          population: a.population,
          agentsPerCondition: a.perCondition,
          overrides,
          shares: { file: a.shares, dataset: a.dataset },
          baselines: a.baseline.length > 0 ? a.baseline : null,
          bootstrap: { iterations: a.iterations, sampleSize: a.sampleSize, level: 0.95, sizeRule: a.sizeRule },
          mdsMethod: a.mds,
          permutations: a.permutations,
          runsDir: a.runsDir,
          output: { json: a.json, progressEveryMs: progressEveryMs(), ...cacheOutput(a) }
        },
        env
      )
      if (comparison === null) return yield* new RunIncompleteError({ summary: summary! })
      yield* Console.log(a.json ? JSON.stringify(comparison) : renderStrategies(comparison))
    })
).pipe(Command.withDescription("S_V of the Uniform, H-Norm, H-Even, H-NP and Model-Specific populations (paper 000 Table 1) from one pool run"))

export const cli = Command.make("valuesim").pipe(
  Command.withDescription("value-prompted LLM populations, questionnaires and human baselines"),
  Command.withSubcommands([
    run, planCommand, probeCommand, resume, validate, exportCmd, report, compareStructureCmd, compareStrategiesCmd, baselineCommand, batchCommand, personaEvalsCommand,
    ...robustnessCommands, valuePortraitCommand, anchoringCommand, cacheCommand, branchCommand
  ])
)

export const runCli = Command.run(cli, { name: "valuesim", version: VALUESIM_VERSION })
