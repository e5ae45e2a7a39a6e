/**
 * The batch path: a run's requests go out as OpenAI Batch input files (which OpenAI's Batch API and
 * `vllm run-batch` both take) and come back as output files, instead of being sent one by one.
 *
 * `prepare` plans the run (every unit pending) and finds the requests it needs by running the engine against the
 * run store with an asker that sends nothing (`makeStoredAsker`): every request the store cannot answer is
 * collected, nothing is written. `ingest` stores the answers of output lines as the online client would have
 * stored the responses, then runs the engine the same way, with the real writer: answers are drawn from the
 * stored responses with the agents' seeded streams, exactly as online. Requests that only exist once earlier
 * answers are known (a `session`'s later items, a game's later decisions, re-asks, a degraded response's
 * fallback) are found by the next `prepare` of the run folder: each prepare writes one wave.
 */
import { Clock, Console, Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { RunSpec } from "../config/RunSpec.js"
import { SpecFileError, UsageError } from "../config/SpecFileError.js"
import { commandLine, escapeControl, resumeCommand } from "../domain/printable.js"
import type { Completion } from "../domain/answers.js"
import { makeStoredAsker, type Unanswered } from "../engine/storedAsker.js"
import { chatCompletionBody, toCompletion } from "../llm/LlmClientOpenAi.js"
import type { Constraint } from "../scoring/constrained.js"
import {
  batchRequestLookup,
  nextBatchWave,
  recordShards,
  storeBatchResults,
  storedAnswerLookup,
  type BatchRequestRecord,
  type ShardRecord
} from "../store/batch.js"
import { readRunTotals } from "../store/reads.js"
import { makeResultWriter, type ResultWriter } from "../store/ResultWriter.js"
import { logEvent, putManifest, type RequestRow, type RunDb } from "../store/RunStore.js"
import { cliCommand } from "./invocation.js"
import { refuseUnsafeOutput, runInputs } from "../store/outputGuard.js"
import { createPlannedRun, runModelSteps, specOf, withDatabase } from "./runStudy.js"

/** OpenAI's Batch API limits on one input file. */
export const BATCH_MAX_REQUESTS = 50_000
export const BATCH_MAX_BYTES = 200 * 1024 * 1024

export const RUN_FILE = "run.sqlite"

/** True when `p` is a run folder (holds a run store). */
export const isRunDir = (p: string): boolean => fs.existsSync(path.join(p, RUN_FILE))

/**
 * Cuts lines (each without its newline) into consecutive shards of at most `maxRequests` lines and at most
 * `maxBytes` bytes (newlines included). Returns the index ranges; a single line larger than `maxBytes` is an error.
 */
export const shardRanges = (
  lineBytes: ReadonlyArray<number>,
  maxRequests: number,
  maxBytes: number
): Array<{ readonly from: number; readonly to: number; readonly bytes: number }> | { readonly tooLarge: number } => {
  const out: Array<{ from: number; to: number; bytes: number }> = []
  let from = 0
  let bytes = 0
  for (let i = 0; i < lineBytes.length; i++) {
    const b = lineBytes[i]! + 1
    if (b > maxBytes) return { tooLarge: i }
    if (i > from && (i - from >= maxRequests || bytes + b > maxBytes)) {
      out.push({ from, to: i, bytes })
      from = i
      bytes = 0
    }
    bytes += b
  }
  if (lineBytes.length > from) out.push({ from, to: lineBytes.length, bytes })
  return out
}

/** A writer that keeps nothing: `prepare` runs the engine only to learn which requests it needs. */
const discardingWriter: ResultWriter = {
  write: () => Effect.void,
  flushed: Effect.void,
  stats: { answers: 0, failed: 0, missing: 0, degraded: 0, unitsDone: 0, unitsFailed: 0, batches: 0 }
}


/** Batches need a model behind an OpenAI-compatible API. */
const checkBatchable = (spec: RunSpec) =>
  Effect.gen(function* () {
    if (spec.backends !== undefined && spec.backends.length > 1) {
      return yield* new UsageError({ detail: `a batch holds one model's requests, and this study lists ${spec.backends.length} backends; prepare one study per model, or run online` })
    }
    if (spec.backend.kind !== "openai") {
      return yield* new UsageError({ detail: `the ${spec.backend.kind} backend sends no requests, so there is nothing to batch; use --backend openai --model NAME` })
    }
  })

/** The requests the run still needs (nothing is written), in a stable order that keeps shared prefixes together. */
const collectUnanswered = (spec: RunSpec, db: RunDb) =>
  Effect.gen(function* () {
    const needed = new Map<string, Unanswered>()
    const asker = makeStoredAsker(spec.backend, db, (u) => void needed.set(u.key, u))
    yield* runModelSteps(spec, db, discardingWriter, asker)
    return [...needed.values()].sort((a, b) => (a.body < b.body ? -1 : a.body > b.body ? 1 : 0))
  })

export interface PrepareOptions {
  readonly out: string
  readonly runsDir: string
  readonly maxRequests: number
  readonly maxBytes: number
  readonly json: boolean
  /** Write again requests already in an earlier file that has not been answered. */
  readonly rewritePending: boolean
}

export interface PrepareResult {
  readonly runDir: string
  readonly files: ReadonlyArray<string>
  readonly requests: number
  /** Needed requests left out because an earlier batch file holds them and its answers have not come back. */
  readonly outstanding: number
}

/** Writes `text` to `file` through a temporary name, so a file is either whole or absent. */
const writeWhole = (file: string, text: string) => {
  const tmp = `${file}.partial`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, file)
}

/** Writes the batch input files of the requests a run still needs and records them in its store. */
const writeShards = (spec: RunSpec, db: RunDb, runId: string, needed: ReadonlyArray<Unanswered>, o: PrepareOptions) =>
  Effect.gen(function* () {
    const lines = needed.map((u) =>
      JSON.stringify({ custom_id: u.key, method: "POST", url: "/v1/chat/completions", body: chatCompletionBody(spec.backend.model, u.request) })
    )
    const ranges = shardRanges(lines.map((l) => Buffer.byteLength(l)), o.maxRequests, o.maxBytes)
    if ("tooLarge" in ranges) {
      return yield* new UsageError({ detail: `--max-file-bytes: request ${needed[ranges.tooLarge]!.key} alone takes more than ${o.maxBytes} bytes` })
    }
    const wave = nextBatchWave(db)
    const shardFile = (i: number) => path.resolve(o.out, `${runId}-w${wave}-${String(i + 1).padStart(3, "0")}.jsonl`)
    yield* refuseUnsafeOutput("--out", ranges.map((_, i) => shardFile(i)), runInputs(path.dirname(db.name)))
    const shards: Array<ShardRecord> = []
    yield* Effect.try({
      try: () => {
        fs.mkdirSync(o.out, { recursive: true })
        ranges.forEach((r, i) => {
          const file = shardFile(i)
          writeWhole(file, lines.slice(r.from, r.to).join("\n") + "\n")
          const requests: Array<BatchRequestRecord> = []
          for (let j = r.from; j < r.to; j++) {
            const u = needed[j]!
            requests.push({ customId: u.key, body: u.body, line: lines[j]! })
          }
          shards.push({ file, wave, bytes: r.bytes, requests })
        })
        recordShards(db, shards)
      },
      catch: (e) => new SpecFileError({ file: o.out, problems: [`--out: cannot write the batch files (${e instanceof Error ? e.message : String(e)})`] })
    })
    return shards.map((s) => s.file)
  })

/**
 * `valuesim batch prepare`: for a study, plans a new run (every unit pending) and writes its requests; for a run
 * folder, writes the requests its unfinished units still need (the next wave, or lines that failed).
 */
export const prepareBatch = (target: { readonly runDir: string } | { readonly spec: RunSpec }, o: PrepareOptions) =>
  // Scoped: a new run's lock, taken when it is planned, is held until its files are written.
  Effect.scoped(Effect.gen(function* () {
    if (!(o.maxRequests >= 1 && o.maxRequests <= BATCH_MAX_REQUESTS)) {
      return yield* new UsageError({ detail: `--max-file-requests: must be between 1 and ${BATCH_MAX_REQUESTS} (OpenAI's limit), got ${o.maxRequests}` })
    }
    if (!(o.maxBytes >= 1024 && o.maxBytes <= BATCH_MAX_BYTES)) {
      return yield* new UsageError({ detail: `--max-file-bytes: must be between 1024 and ${BATCH_MAX_BYTES} (OpenAI's limit of 200 MB), got ${o.maxBytes}` })
    }
    let runDir: string
    let created = false
    if ("spec" in target) {
      yield* checkBatchable(target.spec)
      const now = yield* Clock.currentTimeMillis
      const dir = yield* createPlannedRun(target.spec, o.runsDir, now, { status: "batch" })
      runDir = dir.runDir
      created = true
    } else {
      runDir = target.runDir
      if (!isRunDir(runDir)) return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    }
    const dbFile = path.join(runDir, RUN_FILE)
    const result = yield* withDatabase(dbFile, true, (db) =>
      Effect.gen(function* () {
        const { runId, spec } = yield* specOf(db, dbFile)
        yield* checkBatchable(spec)
        const all = yield* collectUnanswered(spec, db)
        // Requests already in a batch file whose answer has not come back are not written again (submitting both
        // files would pay twice), unless asked to (the earlier files were lost or never sent).
        const lookup = batchRequestLookup(db)
        const needed = o.rewritePending ? all : all.filter((u) => lookup(u.key)?.state !== "pending")
        const files = needed.length === 0 ? [] : yield* writeShards(spec, db, runId, needed, o)
        const now = yield* Clock.currentTimeMillis
        logEvent(db, new Date(now).toISOString(), "batch-prepare", { files, requests: needed.length, outstanding: all.length - needed.length })
        return { runDir, files, requests: needed.length, outstanding: all.length - needed.length }
      })
    ).pipe(
      // A new run folder whose files could not be written is removed again: nothing half-written.
      Effect.tapError(() => Effect.sync(() => (created ? fs.rmSync(runDir, { recursive: true, force: true }) : undefined)))
    )
    const say = o.json ? Console.error : Console.log
    if (result.outstanding > 0) {
      yield* say(
        `[valuesim] ${result.outstanding} requests the run needs are in earlier batch files whose answers have not been ingested; ` +
          `not written again (ingest those files, or --rewrite-pending if they were never sent)`
      )
    }
    if (result.requests === 0) {
      if (result.outstanding === 0) yield* say(`[valuesim] ${escapeControl(runDir)}: every request the run needs is answered; nothing to prepare`)
    } else {
      yield* say(`[valuesim] ${result.requests} requests in ${result.files.length} batch file(s):`)
      for (const f of result.files) yield* say(`  ${escapeControl(f)}`)
      yield* say(`[valuesim] run folder (every unit pending): ${escapeControl(runDir)}`)
      yield* say(`next: ${commandLine(cliCommand(), "batch", "submit", runDir)}   (or answer the files elsewhere, e.g. vllm run-batch, then: ${commandLine(cliCommand(), "batch", "ingest", runDir)} OUTPUT.jsonl…)`)
    }
    if (o.json) yield* Console.log(JSON.stringify(result))
    return result
  }))

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/** What one output line says. */
type Line =
  | { readonly kind: "answer"; readonly customId: string; readonly completion: Completion; readonly model: string | null; readonly degraded: boolean }
  | { readonly kind: "failed"; readonly customId: string; readonly error: string }

/** What an output line's request asked for, from its stored engine body: logprobs, and a constraint on the answer. */
interface AskedShape {
  readonly logprobs: boolean
  readonly constraint?: Constraint
}

const askedShape = (body: string | undefined): AskedShape => {
  if (body === undefined) return { logprobs: false }
  const b = JSON.parse(body) as { logprobs?: unknown; constraint?: Constraint }
  return { logprobs: b.logprobs === true, ...(b.constraint === undefined ? {} : { constraint: b.constraint }) }
}

/**
 * Reads one output line (`{"id","custom_id","response":{"status_code","request_id","body"},"error"}`); a string
 * says what is wrong. `shapeOf` gives what the line's request asked (a constrained answer's logprobs are read at
 * the answer's position, as online).
 */
const readLine = (text: string, shapeOf: (customId: string) => AskedShape): Line | string => {
  let o: unknown
  try {
    o = JSON.parse(text)
  } catch {
    return "not a JSON object (a batch output line is one JSON object)"
  }
  if (!isRecord(o)) return "not a JSON object (a batch output line is one JSON object)"
  const customId = o["custom_id"]
  if (typeof customId !== "string") return "custom_id: missing (is this a batch output file?)"
  const response = o["response"]
  const error = o["error"]
  const errorText = (e: unknown): string | null =>
    isRecord(e) ? [e["code"], e["message"]].filter((x) => typeof x === "string" && x !== "").join(": ") || JSON.stringify(e) : null
  if (error !== null && error !== undefined) return { kind: "failed", customId, error: errorText(error) ?? String(error) }
  if (response === undefined && "body" in o && "url" in o) {
    return "a batch input line (custom_id, method, url, body): this is a file the batch is given, not one it returns; ingest the output file the batch wrote"
  }
  if (!isRecord(response)) return { kind: "failed", customId, error: "no response" }
  const status = response["status_code"]
  const body = response["body"]
  if (status !== 200) {
    const detail = isRecord(body) ? errorText(body["error"]) : null
    return { kind: "failed", customId, error: `HTTP ${String(status)}${detail === null ? "" : ` ${detail}`}` }
  }
  const asked = shapeOf(customId)
  const completion = toCompletion(body, asked.constraint)
  if (typeof completion === "string") return `response.body: ${completion}`
  // A completion without usable logprobs under logprob scoring is stored like any answer: the engine finds it
  // degraded when it draws (as online after the retries) and falls back for that request alone, whose agents'
  // own requests go into the next wave; every other line of the file counts.
  const model = isRecord(body) && typeof body["model"] === "string" ? body["model"] : null
  return { kind: "answer", customId, completion, model, degraded: asked.logprobs && completion.topLogprobs === null }
}

/**
 * True when a completion's `model` can be the run's model: the same name, or a dated snapshot of it (OpenAI
 * answers `gpt-4o-mini` as `gpt-4o-mini-2024-07-18`). A line without a model name cannot be told apart and passes.
 */
export const sameModel = (asked: string, answered: string | null): boolean =>
  answered === null || answered === asked || answered.startsWith(`${asked}-`)

export interface IngestOptions {
  readonly json: boolean
}

export interface IngestResult {
  readonly runDir: string
  readonly status: "complete" | "waiting" | "incomplete"
  /** Output lines read, and of those: answers new to the run, answers it already had, failed lines. */
  readonly lines: number
  readonly newAnswers: number
  readonly knownAnswers: number
  readonly failedLines: number
  /**
   * Answered lines without logprobs under logprob scoring: stored, and each degraded on its own (its agents ask
   * their own requests in the next wave), the rest of the file unaffected.
   */
  readonly degradedLines: number
  readonly answers: number
  readonly unitsDone: number
  readonly unitsNotDone: number
  /** Requests the unfinished units need that no ingested line answered (a next wave or lines still out). */
  readonly awaiting: number
  /** Requests whose batch line failed (asked again by the next `batch prepare`, or sent online by `resume`). */
  readonly failedRequests: number
}

/**
 * `valuesim batch ingest`: reads batch output files (any order, any number, again and again), stores their
 * answers, then draws the answers of every unit whose requests are all answered. Bad input (a line that is not
 * JSON, an unknown custom_id) stops with the file and line before anything is stored; a completion without
 * logprobs under logprob scoring is stored and degraded on its own.
 */
export const ingestBatch = (runDir: string, files: ReadonlyArray<string>, o: IngestOptions) =>
  Effect.gen(function* () {
    const result = yield* ingestFiles(runDir, files)
    yield* printIngest(result, files.length, o.json)
    return result
  })

/** Reads output files into a run and draws what they make possible (nothing printed). */
export const ingestFiles = (runDir: string, files: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (!isRunDir(runDir)) return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    const dbFile = path.join(runDir, RUN_FILE)
    const result = yield* withDatabase(dbFile, true, (db) =>
      Effect.gen(function* () {
        const { spec } = yield* specOf(db, dbFile)
        yield* checkBatchable(spec)
        const lookup = batchRequestLookup(db)
        const answered: Array<{ customId: string; row: RequestRow }> = []
        const failed: Array<{ customId: string; error: string }> = []
        // Where each answer was read, so two lines answering one request differently are refused, not first-wins.
        const seen = new Map<string, { readonly at: string; readonly text: string; readonly top: string | null }>()
        const stored = storedAnswerLookup(db)
        let lines = 0
        let degradedLines = 0
        for (const file of files) {
          const text = yield* Effect.try({
            try: () => fs.readFileSync(file, "utf8"),
            catch: (e) => new SpecFileError({ file, problems: [`cannot read the batch output file (${e instanceof Error ? e.message : String(e)})`] })
          })
          const rows = text.split("\n")
          for (let n = 0; n < rows.length; n++) {
            const raw = rows[n]!.trim()
            if (raw === "") continue
            const line = readLine(raw, (customId) => askedShape(lookup(customId)?.body))
            if (typeof line === "string") return yield* new SpecFileError({ file, problems: [`line ${n + 1}: ${line}`] })
            const known = lookup(line.customId)
            if (known === undefined) {
              return yield* new SpecFileError({ file, problems: [`line ${n + 1}: custom_id ${JSON.stringify(line.customId)} is not a request of this run's batches (${runDir})`] })
            }
            lines++
            if (line.kind === "failed") failed.push({ customId: line.customId, error: line.error })
            else {
              if (line.degraded) degradedLines++
              const c = line.completion
              if (!sameModel(spec.backend.model, line.model)) {
                return yield* new SpecFileError({
                  file,
                  problems: [`line ${n + 1}: response.body.model: answered by ${JSON.stringify(line.model)}, but this run asks ${JSON.stringify(spec.backend.model)}; ingest the output of this run's own batches`]
                })
              }
              const top = c.topLogprobs === null ? null : JSON.stringify(c.topLogprobs)
              const before = seen.get(line.customId) ?? stored(line.customId)
              if (before !== undefined && (before.text !== c.text || before.top !== top)) {
                return yield* new SpecFileError({
                  file,
                  problems: [`line ${n + 1}: custom_id ${JSON.stringify(line.customId)} is answered differently ${before.at}; keep one answer per request (remove one of the two output files or lines)`]
                })
              }
              seen.set(line.customId, { at: `on line ${n + 1} of ${file}`, text: c.text, top })
              answered.push({
                customId: line.customId,
                row: {
                  key: line.customId,
                  body: known.body,
                  text: c.text,
                  topLogprobs: top,
                  promptTokens: c.promptTokens,
                  completionTokens: c.completionTokens,
                  latencyMs: 0,
                  attempts: 1,
                  finishReason: c.finishReason,
                  thinking: c.thinking ?? null
                }
              })
            }
          }
        }
        const newAnswers = storeBatchResults(db, answered, failed)
        const drawn = yield* drawFromStore(spec, db, dbFile)
        const t = readRunTotals(db)
        const status: IngestResult["status"] = t.pending === 0 && t.failed === 0 ? "complete" : drawn.failedRequests > 0 ? "incomplete" : "waiting"
        putManifest(db, { status: status === "complete" ? "complete" : "batch" })
        const now = yield* Clock.currentTimeMillis
        logEvent(db, new Date(now).toISOString(), "batch-ingest", { files, lines, newAnswers, failedLines: failed.length })
        return {
          runDir,
          status,
          lines,
          newAnswers,
          knownAnswers: answered.length - newAnswers,
          failedLines: failed.length,
          degradedLines,
          answers: t.answers,
          unitsDone: t.done,
          unitsNotDone: t.pending + t.failed,
          awaiting: drawn.awaiting,
          failedRequests: drawn.failedRequests
        } satisfies IngestResult
      })
    )
    return result
  })

/** What an ingest did and what to do next; the result as the last stdout line under --json. */
export const printIngest = (result: IngestResult, files: number, json: boolean, resultLine = json) =>
  Effect.gen(function* () {
    const runDir = result.runDir
    const say = json ? Console.error : Console.log
    yield* say(
      `[valuesim] read ${result.lines} output lines from ${files} file(s): ${result.newAnswers} new answers, ` +
        `${result.knownAnswers} already stored, ${result.failedLines} failed` +
        (result.degradedLines > 0 ? `, ${result.degradedLines} without logprobs (each answered by its agents' own requests in the next wave)` : "")
    )
    if (result.status === "complete") {
      yield* say(`[valuesim] done: ${result.answers} answers → ${escapeControl(runDir)}`)
      yield* say(`next: ${commandLine(cliCommand(), "report", runDir)}`)
    } else {
      yield* say(
        `[valuesim] ${result.unitsNotDone} agent-steps not done yet: ${result.awaiting} requests await an answer` +
          (result.failedRequests > 0 ? ` (${result.failedRequests} of them failed in their batch)` : "")
      )
      yield* say(
        `next: ingest the remaining output files, or write the requests still needed with ${commandLine(cliCommand(), "batch", "prepare", runDir)} --out DIR` +
          `, or send them online with ${resumeCommand(runDir, cliCommand())}`
      )
    }
    if (resultLine) yield* Console.log(JSON.stringify(result))
  })

/**
 * Runs the engine over every unfinished unit with the responses the store holds, writing what it draws; units
 * with a request not answered yet are marked failed (the next ingest, prepare or resume takes them up again).
 */
const drawFromStore = (spec: RunSpec, db: RunDb, dbFile: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const lookup = batchRequestLookup(db)
      const unanswered = new Set<string>()
      let failedRequests = 0
      const asker = makeStoredAsker(
        spec.backend,
        db,
        (u) => void unanswered.add(u.key),
        (key) => {
          const r = lookup(key)
          return r?.state === "failed" ? (r.error ?? "failed") : null
        }
      )
      const writer = yield* makeResultWriter(db, dbFile)
      yield* runModelSteps(spec, db, writer, asker)
      for (const key of unanswered) if (lookup(key)?.state === "failed") failedRequests++
      return { awaiting: unanswered.size, failedRequests }
    })
  )
