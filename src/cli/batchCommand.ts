import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { BATCH_MAX_BYTES, BATCH_MAX_REQUESTS, ingestBatch, isRunDir, prepareBatch } from "../app/batch.js"
import { batchStatus, submitBatches } from "../app/batchApi.js"
import { UsageError } from "../config/SpecFileError.js"
import { loadRunSpec } from "../config/StudyFile.js"
import { backendOptions, env, json, opt, overridesOf } from "./runOptions.js"

const prepare = Command.make(
  "prepare",
  {
    target: Args.text({ name: "study-or-run-dir" }).pipe(
      Args.withDescription("a study (or questionnaire) file: plan a new run and write its requests; or a run folder: write the requests it still needs")
    ),
    population: Options.text("population").pipe(Options.optional, Options.withDescription("population file (new runs). Default: the study's population, else populations/h-np.yaml")),
    agents: Options.integer("agents").pipe(Options.optional, Options.withDescription("number of agents (new runs). Default: the study's agents, else the population's, else 1,000")),
    ...backendOptions,
    out: Options.text("out").pipe(Options.withDescription("folder for the batch input files (created if needed); required")),
    maxFileRequests: Options.integer("max-file-requests").pipe(
      Options.withDefault(BATCH_MAX_REQUESTS),
      Options.withDescription(`requests per file at most (smaller files shard the work over several machines). Default and OpenAI's limit: ${BATCH_MAX_REQUESTS}`)
    ),
    maxFileBytes: Options.integer("max-file-bytes").pipe(
      Options.withDefault(BATCH_MAX_BYTES),
      Options.withDescription(`bytes per file at most. Default and OpenAI's limit: ${BATCH_MAX_BYTES} (200 MB)`)
    ),
    rewritePending: Options.boolean("rewrite-pending").pipe(
      Options.withDescription("run folders: write again the requests of earlier batch files that have not been answered (default: leave them out, so nothing is paid twice)")
    ),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const options = { out: a.out, runsDir: a.runsDir, maxRequests: a.maxFileRequests, maxBytes: a.maxFileBytes, json: a.json, rewritePending: a.rewritePending }
      if (isRunDir(a.target)) {
        const given = [opt(a.population), opt(a.agents), opt(a.backend), opt(a.model), opt(a.baseUrl), opt(a.seed), opt(a.scoring), opt(a.temperature)]
        if (given.some((g) => g !== undefined)) {
          return yield* new UsageError({ detail: "batch prepare: a run folder keeps its own plan; run options apply to a new run from a study file only" })
        }
        return yield* prepareBatch({ runDir: a.target }, options)
      }
      const agents = opt(a.agents)
      if (agents !== undefined && agents < 1) return yield* new UsageError({ detail: "--agents: must be a positive integer" })
      const overrides = yield* overridesOf(a)
      const spec = yield* loadRunSpec(a.target, { ...overrides, population: opt(a.population), agents }, env)
      return yield* prepareBatch({ spec }, options)
    })
).pipe(Command.withDescription("write a run's requests as OpenAI Batch input files (JSONL, also read by vllm run-batch)"))

const ingest = Command.make(
  "ingest",
  {
    runDir: Args.directory({ name: "run-dir" }),
    files: Args.text({ name: "output.jsonl" }).pipe(Args.atLeast(1), Args.withDescription("batch output (or error) files, in any order; ingesting one again changes nothing")),
    json
  },
  (a) => ingestBatch(a.runDir, a.files, { json: a.json })
).pipe(Command.withDescription("read batch output files into a run and draw the answers they make possible"))

const submit = Command.make("submit", { runDir: Args.directory({ name: "run-dir" }), json }, (a) => submitBatches(a.runDir, env, a.json)).pipe(
  Command.withDescription("upload a run's prepared batch files to the endpoint's Files API and create their batches (OpenAI's Batch API); running it again uploads and creates nothing twice")
)

const status = Command.make(
  "status",
  {
    runDir: Args.directory({ name: "run-dir" }),
    wait: Options.boolean("wait").pipe(Options.withDescription("poll until every batch has finished (default: check once)")),
    pollSeconds: Options.float("poll-seconds").pipe(Options.withDefault(60), Options.withDescription("seconds between polls with --wait. Default: 60")),
    json
  },
  (a) =>
    Effect.gen(function* () {
      if (!(a.pollSeconds > 0 && a.pollSeconds <= 86_400)) return yield* new UsageError({ detail: `--poll-seconds: must be more than 0 and at most 86400, got ${a.pollSeconds}` })
      return yield* batchStatus(a.runDir, env, { json: a.json, wait: a.wait, pollMs: Math.round(a.pollSeconds * 1000) })
    })
).pipe(Command.withDescription("check a run's batches; download and ingest the output and error files of finished ones"))

export const batchCommand = Command.make("batch").pipe(
  Command.withDescription("send a run's requests as batches (OpenAI's Batch API, vllm run-batch) instead of one by one"),
  Command.withSubcommands([prepare, ingest, submit, status])
)
