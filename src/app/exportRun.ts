import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { SpecFileError } from "../config/SpecFileError.js"
import { openDatabase } from "../store/RunStore.js"

export type ExportFormat = "csv" | "jsonl"

/** Export columns, in order. One row per agent × item; the agent's condition travels with every row. */
export const ANSWER_COLUMNS = [
  "step", "questionnaire", "agent_id", "condition", "primed_value", "item_idx", "item_id", "subscale", "reverse",
  "value", "scoring", "raw", "dist", "request_key", "prompt_tokens", "completion_tokens", "latency_ms", "attempts", "error"
] as const

const csvField = (v: unknown): string => {
  if (v === null || v === undefined) return ""
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

interface Row {
  step: number
  agent_id: number
  condition: string
  primed_value: string | null
  item_idx: number
  item_id: string
  subscale: string
  reverse: number
  value: number | null
  scoring: string
  raw: string | null
  dist: string | null
  request_key: string | null
  prompt_tokens: number | null
  completion_tokens: number | null
  latency_ms: number | null
  attempts: number
  error: string | null
}

/**
 * Writes `answers.<format>` into `outDir`, streaming rows from the run store (memory stays flat for any run
 * size). Written to a temporary name and renamed at the end, so a failed export leaves nothing half-written.
 */
export const exportRun = (runDir: string, format: ExportFormat, outDir: string) =>
  Effect.gen(function* () {
    const dbFile = path.join(runDir, "run.sqlite")
    if (!fs.existsSync(dbFile)) return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    const db = yield* openDatabase(dbFile, { mustExist: true })
    return yield* Effect.try({
      try: () => {
        const manifest = db.prepare(`SELECT value FROM manifest WHERE key = 'spec'`).get() as { value: string } | undefined
        const stepNames = manifest
          ? (JSON.parse(manifest.value) as { steps: Array<{ questionnaire: { id: string } }> }).steps.map((s) => s.questionnaire.id)
          : []
        fs.mkdirSync(outDir, { recursive: true })
        const target = path.join(outDir, `answers.${format}`)
        const tmp = `${target}.partial`
        const fd = fs.openSync(tmp, "w")
        let buffer: Array<string> = []
        let rows = 0
        const flush = () => {
          if (buffer.length > 0) fs.writeSync(fd, buffer.join(""))
          buffer = []
        }
        try {
          if (format === "csv") buffer.push(ANSWER_COLUMNS.join(",") + "\n")
          const stmt = db.prepare(
            `SELECT an.step, an.agent_id, c.condition, c.value_code AS primed_value, an.item_idx, i.item_id, i.subscale, i.reverse,
                    an.value, an.scoring, coalesce(an.raw, r.text) AS raw, an.dist, an.request_key,
                    r.prompt_tokens, r.completion_tokens, r.latency_ms, an.attempts, an.error
             FROM answers an
             JOIN agents ag ON ag.agent_id = an.agent_id
             JOIN conditions c ON c.condition_idx = ag.condition_idx
             JOIN items i ON i.step = an.step AND i.item_idx = an.item_idx
             LEFT JOIN requests r ON r.key = an.request_key
             ORDER BY an.step, an.agent_id, an.item_idx`
          )
          for (const r of stmt.iterate() as IterableIterator<Row>) {
            const record: Record<(typeof ANSWER_COLUMNS)[number], unknown> = {
              ...r,
              questionnaire: stepNames[r.step] ?? String(r.step),
              reverse: r.reverse === 1
            }
            if (format === "csv") buffer.push(ANSWER_COLUMNS.map((c) => csvField(record[c])).join(",") + "\n")
            else {
              const o: Record<string, unknown> = {}
              for (const c of ANSWER_COLUMNS) o[c] = c === "dist" && r.dist !== null ? r.dist.split(",").map(Number) : record[c] ?? null
              buffer.push(JSON.stringify(o) + "\n")
            }
            rows++
            if (buffer.length >= 10_000) flush()
          }
          flush()
        } finally {
          fs.closeSync(fd)
        }
        fs.renameSync(tmp, target)
        return { file: target, rows }
      },
      catch: (e) => new SpecFileError({ file: outDir, problems: [`--out: export failed (${(e as Error).message})`] })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
  })
