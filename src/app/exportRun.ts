import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { RunSpec } from "../config/RunSpec.js"
import { stepId } from "../config/RunSpec.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { forEachRespondent, scoringKey } from "../analysis/scores.js"
import { scoreRespondent } from "../stats/mrat.js"
import { iterateGameResults, iterateMoves, readAnswerRecords, readConditions, readItems } from "../store/reads.js"
import { getManifest, openDatabase } from "../store/RunStore.js"

export type ExportFormat = "csv" | "jsonl"

/** Export columns, in order. One row per agent × item; the agent's condition travels with every row. */
export const ANSWER_COLUMNS = [
  "step", "questionnaire", "agent_id", "condition", "primed_value", "item_idx", "item_id", "subscale", "reverse",
  "value", "scoring", "raw", "dist", "request_key", "prompt_tokens", "completion_tokens", "latency_ms", "attempts", "error"
] as const

/** Score columns: one row per agent × step × subscale. */
export const SCORE_COLUMNS = [
  "step", "questionnaire", "agent_id", "condition", "primed_value", "subscale", "score", "centered", "mrat", "answered"
] as const

/** Game moves: one row per move, joinable to agents by agent_id (and to each other by step and match_id). */
export const MOVE_COLUMNS = [
  "step", "game", "match_id", "round", "seq", "agent_id", "condition", "primed_value", "member", "role", "decision",
  "value", "label", "scoring", "raw", "dist", "request_key", "attempts", "error"
] as const

/** Game results: one row per agent × game step (its match, status, total payoff and game-specific details). */
export const GAME_RESULT_COLUMNS = [
  "step", "game", "agent_id", "condition", "primed_value", "match_id", "member", "status", "payoff", "details"
] as const

const csvField = (v: unknown): string => {
  if (v === null || v === undefined) return ""
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** Streams rows into `<outDir>/<name>.<format>` through a temporary file renamed at the end. */
const writeTable = <C extends string>(
  outDir: string,
  name: string,
  format: ExportFormat,
  columns: ReadonlyArray<C>,
  fill: (emit: (record: Record<C, unknown>) => void) => void
) => {
  const target = path.join(outDir, `${name}.${format}`)
  const tmp = `${target}.partial`
  const fd = fs.openSync(tmp, "w")
  let buffer: Array<string> = []
  let rows = 0
  const flush = () => {
    if (buffer.length > 0) fs.writeSync(fd, buffer.join(""))
    buffer = []
  }
  try {
    if (format === "csv") buffer.push(columns.join(",") + "\n")
    fill((record) => {
      if (format === "csv") buffer.push(columns.map((c) => csvField(record[c])).join(",") + "\n")
      else {
        const o: Record<string, unknown> = {}
        for (const c of columns) o[c] = record[c] ?? null
        buffer.push(JSON.stringify(o) + "\n")
      }
      rows++
      if (buffer.length >= 10_000) flush()
    })
    flush()
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, target)
  return { file: target, rows }
}

const finite = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e9) / 1e9 : null)

/**
 * Writes `answers.<format>` (one row per agent × item) and `scores.<format>` (one row per agent × subscale:
 * the mean of the subscale's answered items after reverse keying, and for MRAT-scored questionnaires that
 * mean minus the agent's mean over all items) into `outDir`. Rows stream from the run store, so memory stays
 * flat for any run size; each file is written under a temporary name and renamed when complete.
 */
export const exportRun = (runDir: string, format: ExportFormat, outDir: string) =>
  Effect.gen(function* () {
    const dbFile = path.join(runDir, "run.sqlite")
    if (!fs.existsSync(dbFile)) return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    const db = yield* openDatabase(dbFile, { mustExist: true })
    return yield* Effect.try({
      try: () => {
        const spec = getManifest(db)["spec"] as RunSpec | undefined
        const stepNames = spec?.steps.map(stepId) ?? []
        fs.mkdirSync(outDir, { recursive: true })
        const answers = writeTable(outDir, "answers", format, ANSWER_COLUMNS, (emit) => {
          const conditions = readConditions(db)
          const items = new Map(readItems(db).map((it) => [`${it.step}:${it.itemIdx}`, it]))
          for (const r of readAnswerRecords(db)) {
            const c = conditions[r.conditionIdx]
            const item = items.get(`${r.step}:${r.itemIdx}`)
            emit({
              step: r.step,
              questionnaire: stepNames[r.step] ?? String(r.step),
              agent_id: r.agentId,
              condition: c?.condition ?? null,
              primed_value: c?.valueCode ?? null,
              item_idx: r.itemIdx,
              item_id: item?.itemId ?? null,
              subscale: item?.subscale ?? null,
              reverse: item?.reverse ?? null,
              value: r.value,
              scoring: r.scoring,
              raw: r.raw,
              dist: r.dist === null || format === "csv" ? r.dist : r.dist.split(",").map(Number),
              request_key: r.requestKey,
              prompt_tokens: r.promptTokens,
              completion_tokens: r.completionTokens,
              latency_ms: r.latencyMs,
              attempts: r.attempts,
              error: r.error
            })
          }
        })
        const conditionOf = new Map(readConditions(db).map((c) => [c.idx, { condition: c.condition, value_code: c.valueCode }]))
        const scores = writeTable(outDir, "scores", format, SCORE_COLUMNS, (emit) => {
          spec?.steps.forEach((s, step) => {
            if (s.kind !== "questionnaire") return
            const q = s.questionnaire
            const key = scoringKey(q)
            forEachRespondent(db, step, q.items.length, (agentId, conditionIdx, values) => {
              const sc = scoreRespondent(values, key.keys, key.subscales.length, key.min, key.max)
              const c = conditionOf.get(conditionIdx)
              key.subscales.forEach((sub, j) => {
                const answered = key.keys.filter((k, i) => k.subscale === j && values[i] !== null).length
                emit({
                  step,
                  questionnaire: q.id,
                  agent_id: agentId,
                  condition: c?.condition ?? null,
                  primed_value: c?.value_code ?? null,
                  subscale: sub,
                  score: finite(sc.raw[j]!),
                  centered: q.scoring === "mrat" ? finite(sc.centered[j]!) : null,
                  mrat: q.scoring === "mrat" ? finite(sc.mrat) : null,
                  answered
                })
              })
            })
          })
        })
        const hasGames = spec?.steps.some((st) => st.kind === "game") ?? false
        const moves = hasGames
          ? writeTable(outDir, "moves", format, MOVE_COLUMNS, (emit) => {
              for (const r of iterateMoves(db)) {
                emit({ ...r, game: stepNames[r.step] ?? String(r.step), dist: r.dist === null || format === "csv" ? r.dist : r.dist.split(",").map(Number) } as never)
              }
            })
          : null
        const results = hasGames
          ? writeTable(outDir, "game_results", format, GAME_RESULT_COLUMNS, (emit) => {
              for (const r of iterateGameResults(db)) {
                emit({
                  ...r,
                  game: stepNames[r.step] ?? String(r.step),
                  details: r.details === null || format === "csv" ? r.details : (JSON.parse(r.details) as unknown)
                } as never)
              }
            })
          : null
        return {
          file: answers.file,
          rows: answers.rows,
          scores: scores.file,
          scoreRows: scores.rows,
          ...(moves ? { moves: moves.file, moveRows: moves.rows } : {}),
          ...(results ? { gameResults: results.file, gameResultRows: results.rows } : {})
        }
      },
      catch: (e) => new SpecFileError({ file: outDir, problems: [`--out: export failed (${(e as Error).message})`] })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
  })
