/**
 * OpenAI's Batch API for a prepared run: `submit` uploads the run's batch files (Files API) and creates one batch
 * per file; `status` polls them, downloads the output and error files of finished ones into the run folder and
 * ingests them.
 *
 * Never uploading or paying twice: each remote call is recorded in the run store as begun before it is made and
 * as done once it returns. A re-run skips what is recorded as done; where a call is recorded as begun but not
 * done (the process stopped while it was under way, so it may or may not have happened) it first looks for its
 * effect (a file of the same name and size; a batch of that input file) and adopts it, and only repeats the
 * call when there is none.
 */
import { Clock, Console, Data, Duration, Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import OpenAI, { toFile } from "openai"
import { SpecFileError, UsageError } from "../config/SpecFileError.js"
import { DEFAULT_BASE_URL, endpointWarning, hostOf } from "../config/StudyFile.js"
import { commandLine, escapeControl } from "../domain/printable.js"
import { apiKeyOf, classify } from "../llm/LlmClientOpenAi.js"
import { failPendingOf, readBatchFiles, unansweredByFile, updateBatchFile, type BatchFileRow } from "../store/batch.js"
import { readRunTotals } from "../store/reads.js"
import { logEvent, type RunDb } from "../store/RunStore.js"
import { ingestFiles, isRunDir, printIngest, RUN_FILE, type IngestResult } from "./batch.js"
import { specOf } from "./runStudy.js"
import { withDatabase } from "./runStudy.js"
import { cliCommand } from "./invocation.js"

/** A Files or Batches API call failed (exit code 1; what is recorded stays, so the command can be run again). */
export class BatchApiError extends Data.TaggedError("BatchApiError")<{ readonly call: string; readonly detail: string }> {
  override get message(): string {
    return `${this.call} failed: ${this.detail}; what was done is recorded in the run, run the command again to continue`
  }
}

/** The batch's states after which it changes no more. */
const FINAL = new Set(["completed", "failed", "expired", "cancelled"])

const clientFor = (baseUrl: string, env: Readonly<Record<string, string | undefined>>) =>
  new OpenAI({ baseURL: baseUrl, apiKey: apiKeyOf(env), maxRetries: 2 })

const call = <A>(name: string, secret: string | undefined, f: () => Promise<A>) =>
  Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
    Effect.tryPromise({
      try: f,
      catch: (e) => new BatchApiError({ call: name, detail: classify(e, { nowMs, ...(secret === undefined ? {} : { secret }) }).message })
    })
  )

interface Opened {
  readonly db: RunDb
  readonly runId: string
  readonly client: OpenAI
  readonly baseUrl: string
  readonly secret: string | undefined
}

/** Opens a prepared run folder with a client for its endpoint. */
const withPreparedRun = <A, E>(runDir: string, env: Readonly<Record<string, string | undefined>>, use: (o: Opened) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    if (!isRunDir(runDir)) return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    const dbFile = path.join(runDir, RUN_FILE)
    return yield* withDatabase(dbFile, true, (db) =>
      Effect.gen(function* () {
        const { runId, spec } = yield* specOf(db, dbFile)
        if (readBatchFiles(db).length === 0) {
          return yield* new UsageError({ detail: `${escapeControl(runDir)}: no batch files were prepared for this run; run ${commandLine(cliCommand(), "batch", "prepare", runDir)} --out DIR first` })
        }
        const baseUrl = spec.backend.baseUrl ?? DEFAULT_BASE_URL
        // As `resume` does: the URL comes from the run folder, and the key from the environment goes there.
        const warning = endpointWarning(spec.backend.baseUrl, `the run's stored settings (${escapeControl(runDir)})`, env)
        if (warning !== null) yield* Console.error(warning)
        return yield* use({ db, runId, client: clientFor(baseUrl, env), baseUrl, secret: env["OPENAI_API_KEY"] })
      })
    )
  })

const logNow = (db: RunDb, kind: string, detail: unknown) =>
  Effect.flatMap(Clock.currentTimeMillis, (ms) => Effect.sync(() => logEvent(db, new Date(ms).toISOString(), kind, detail)))

/** Uploads one shard file unless it is known (or found) to be uploaded; returns its file id. */
const upload = (o: Opened, row: BatchFileRow) =>
  Effect.gen(function* () {
    if (row.fileId !== null) return row.fileId
    const name = path.basename(row.file)
    if (row.uploadState === "uploading") {
      // The last upload of this file may have reached the server without its id being recorded.
      const found = yield* call("listing files", o.secret, async () => {
        for await (const f of o.client.files.list({ purpose: "batch" })) if (f.filename === name && f.bytes === row.bytes) return f.id
        return null
      })
      if (found !== null) {
        updateBatchFile(o.db, row.file, { uploadState: "uploaded", fileId: found })
        return found
      }
    }
    const content = yield* Effect.try({
      try: () => fs.readFileSync(row.file),
      catch: (e) => new SpecFileError({ file: row.file, problems: [`cannot read the batch file (${e instanceof Error ? e.message : String(e)}); prepare the run again`] })
    })
    updateBatchFile(o.db, row.file, { uploadState: "uploading" })
    const uploaded = yield* call(`uploading ${name}`, o.secret, async () => o.client.files.create({ file: await toFile(content, name), purpose: "batch" }))
    updateBatchFile(o.db, row.file, { uploadState: "uploaded", fileId: uploaded.id })
    return uploaded.id
  })

/** Creates the batch of one uploaded file unless it is known (or found) to exist; returns its id. */
const createBatch = (o: Opened, row: BatchFileRow, fileId: string) =>
  Effect.gen(function* () {
    if (row.batchId !== null) return row.batchId
    if (row.batchState === "creating") {
      const found = yield* call("listing batches", o.secret, async () => {
        for await (const b of o.client.batches.list({ limit: 100 })) if (b.input_file_id === fileId) return b
        return null
      })
      if (found !== null) {
        updateBatchFile(o.db, row.file, { batchState: "created", batchId: found.id, status: found.status })
        return found.id
      }
    }
    updateBatchFile(o.db, row.file, { batchState: "creating" })
    const b = yield* call(`creating the batch of ${path.basename(row.file)}`, o.secret, () =>
      o.client.batches.create({
        input_file_id: fileId,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        metadata: { valuesim_run: o.runId, valuesim_file: path.basename(row.file) }
      })
    )
    updateBatchFile(o.db, row.file, { batchState: "created", batchId: b.id, status: b.status })
    return b.id
  })

export interface SubmitResult {
  readonly runDir: string
  readonly batches: ReadonlyArray<{ readonly file: string; readonly fileId: string; readonly batchId: string }>
}

/** `valuesim batch submit`: uploads every prepared file not uploaded yet and creates its batch. */
export const submitBatches = (runDir: string, env: Readonly<Record<string, string | undefined>>, json: boolean) =>
  withPreparedRun(runDir, env, (o) =>
    Effect.gen(function* () {
      const say = json ? Console.error : Console.log
      yield* say(`[valuesim] submitting batches to ${escapeControl(hostOf(o.baseUrl))}${env["OPENAI_API_KEY"] ? " with OPENAI_API_KEY" : ""}`)
      const batches: Array<{ file: string; fileId: string; batchId: string }> = []
      const unanswered = unansweredByFile(o.db)
      for (const row of readBatchFiles(o.db)) {
        if (row.batchId === null && (unanswered.get(row.file) ?? 0) === 0) {
          // Answered elsewhere and ingested: sending it would pay for answers the run has.
          yield* say(`  ${escapeControl(path.basename(row.file))}: every request answered already (batch ingest); not submitted`)
          continue
        }
        const known = row.batchId !== null
        const fileId = yield* upload(o, row)
        const batchId = yield* createBatch(o, row, fileId)
        batches.push({ file: row.file, fileId, batchId })
        yield* say(`  ${escapeControl(path.basename(row.file))}: ${row.requests} requests → batch ${escapeControl(batchId)}${known ? " (submitted before)" : ""}`)
      }
      yield* logNow(o.db, "batch-submit", { batches })
      yield* say(`next: ${commandLine(cliCommand(), "batch", "status", runDir)} [--wait]`)
      const result: SubmitResult = { runDir, batches }
      if (json) yield* Console.log(JSON.stringify(result))
      return result
    })
  )

export interface StatusOptions {
  readonly json: boolean
  /** Poll until every batch has finished. */
  readonly wait: boolean
  readonly pollMs: number
}

export interface StatusResult {
  readonly runDir: string
  readonly batches: ReadonlyArray<{ readonly file: string; readonly batchId: string | null; readonly status: string | null; readonly ingested: boolean }>
  /** Submitted batches not finished (or not ingested) yet. */
  readonly open: number
  /** Prepared files not submitted (`batch submit` sends them). */
  readonly unsubmitted: number
  /** The ingest of what this call downloaded; null when nothing new finished. */
  readonly ingest: IngestResult | null
}

/**
 * A file name made from an id a server chose (a batch id): the id itself when it is plain (letters, digits, `_`,
 * `-`), else its plain characters and a hash of the whole id, so no id can name a path (`../x`, `/etc/x`) or
 * collide with another.
 */
export const serverFileName = (id: string, suffix: string): string =>
  (/^[A-Za-z0-9_-]{1,100}$/.test(id) ? id : `${id.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 60)}-${createHash("sha256").update(id).digest("hex").slice(0, 12)}`) + suffix

/** Downloads a batch's output or error file into the run folder (written whole), unless it is there already. */
const download = (o: Opened, runDir: string, fileId: string, name: string) =>
  Effect.gen(function* () {
    const dir = path.join(runDir, "batches")
    const file = path.join(dir, name)
    if (fs.existsSync(file)) return file
    const text = yield* call(`downloading ${fileId}`, o.secret, async () => (await o.client.files.content(fileId)).text())
    yield* Effect.try({
      try: () => {
        fs.mkdirSync(dir, { recursive: true })
        fs.writeFileSync(`${file}.partial`, text)
        fs.renameSync(`${file}.partial`, file)
      },
      catch: (e) => new BatchApiError({ call: `saving ${file}`, detail: e instanceof Error ? e.message : String(e) })
    })
    return file
  })

/** One pass: retrieves every submitted batch not ingested, downloads the files of finished ones; returns them. */
const pollOnce = (o: Opened, runDir: string) =>
  Effect.gen(function* () {
    const files: Array<string> = []
    const finished: Array<string> = []
    for (const row of readBatchFiles(o.db)) {
      if (row.batchId === null || row.ingested) continue
      const batchId = row.batchId
      const b = yield* call(`retrieving batch ${batchId}`, o.secret, () => o.client.batches.retrieve(batchId))
      updateBatchFile(o.db, row.file, { status: b.status, outputFileId: b.output_file_id ?? null, errorFileId: b.error_file_id ?? null })
      if (!FINAL.has(b.status)) continue
      if (b.output_file_id) files.push(yield* download(o, runDir, b.output_file_id, serverFileName(batchId, "-output.jsonl")))
      if (b.error_file_id) files.push(yield* download(o, runDir, b.error_file_id, serverFileName(batchId, "-errors.jsonl")))
      // Once its files are here, whatever they do not answer is failed (the next `batch prepare` writes it again;
      // the ingest that follows marks what they do answer).
      failPendingOf(o.db, row.file, `batch ${batchId} ended ${b.status} without answering it`)
      finished.push(row.file)
    }
    return { files, finished }
  })

/**
 * `valuesim batch status`: polls the run's batches (with `wait`, until all have finished), downloads the output
 * and error files of finished ones into `<run-dir>/batches/` and ingests them.
 */
export const batchStatus = (runDir: string, env: Readonly<Record<string, string | undefined>>, so: StatusOptions) =>
  withPreparedRun(runDir, env, (o) =>
    Effect.gen(function* () {
      const say = so.json ? Console.error : Console.log
      let ingest: IngestResult | null = null
      let downloaded = 0
      while (true) {
        const { files, finished } = yield* pollOnce(o, runDir)
        if (files.length > 0 || finished.length > 0) {
          // Ingested in a store of its own connection (ingest opens the run itself); recorded once it is in.
          ingest = yield* ingestFiles(runDir, files)
          downloaded += files.length
          for (const f of finished) updateBatchFile(o.db, f, { ingested: true })
          yield* logNow(o.db, "batch-status", { downloaded: files, finished: finished.length })
        }
        const open = readBatchFiles(o.db).filter((r) => r.batchId !== null && !r.ingested).length
        if (!so.wait || open === 0) break
        yield* say(`[valuesim] ${open} batch(es) still running; checking again in ${Math.round(so.pollMs / 1000)} s`)
        yield* Effect.sleep(Duration.millis(so.pollMs))
      }
      const rows = readBatchFiles(o.db)
      // A file never submitted here may have been answered elsewhere (vllm run-batch) and ingested by hand: it needs
      // no submission once none of its requests waits for an answer.
      const unanswered = unansweredByFile(o.db)
      const needsSubmit = (r: BatchFileRow) => r.batchId === null && (unanswered.get(r.file) ?? 0) > 0
      for (const r of rows) {
        const state =
          r.batchId !== null
            ? `batch ${escapeControl(r.batchId)} ${r.status ?? "?"}${r.ingested ? ", ingested" : ""}`
            : needsSubmit(r)
              ? "not submitted"
              : "answered (output ingested with batch ingest)"
        yield* say(`  ${escapeControl(path.basename(r.file))}: ${state}`)
      }
      const result: StatusResult = {
        runDir,
        batches: rows.map((r) => ({ file: r.file, batchId: r.batchId, status: r.status, ingested: r.ingested || !needsSubmit(r) })),
        open: rows.filter((r) => r.batchId !== null && !r.ingested).length,
        unsubmitted: rows.filter(needsSubmit).length,
        ingest
      }
      if (ingest !== null) yield* printIngest(ingest, downloaded, so.json, false)
      if (result.open > 0) yield* say(`next: ${commandLine(cliCommand(), "batch", "status", runDir)} again later (or with --wait)`)
      if (result.unsubmitted > 0) yield* say(`[valuesim] ${result.unsubmitted} prepared file(s) not submitted: ${commandLine(cliCommand(), "batch", "submit", runDir)}`)
      const totals = readRunTotals(o.db)
      if (result.open === 0 && result.unsubmitted === 0 && ingest === null && totals.pending === 0 && totals.failed === 0) {
        yield* say(`[valuesim] the run is complete; next: ${commandLine(cliCommand(), "report", runDir)}`)
      }
      if (so.json) yield* Console.log(JSON.stringify(result))
      return result
    })
  )
