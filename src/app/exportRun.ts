import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { RunSpec } from "../config/RunSpec.js"
import { backendIdentity, stepId } from "../config/RunSpec.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { forEachRespondent, scoringKey } from "../analysis/scores.js"
import { scoreRespondent } from "../stats/mrat.js"
import { openDatabase } from "../store/RunStore.js"
import { versions } from "./version.js"

export type ExportFormat = "csv" | "jsonl"

/** Export columns, in order. One row per agent × item; the agent's condition travels with every row. */
export const ANSWER_COLUMNS = [
  "step", "questionnaire", "agent_id", "condition", "primed_value", "item_idx", "item_id", "subscale", "reverse",
  "value", "scoring", "raw", "dist", "request_key", "prompt_tokens", "completion_tokens", "latency_ms", "attempts", "error",
  "backend", "model"
] as const

/** Score columns: one row per agent × step × subscale. */
export const SCORE_COLUMNS = [
  "step", "questionnaire", "agent_id", "condition", "primed_value", "subscale", "score", "centered", "mrat", "answered",
  "backend", "model"
] as const

/** Game moves: one row per move, joinable to agents by agent_id (and to each other by step and match_id). */
export const MOVE_COLUMNS = [
  "step", "game", "match_id", "round", "seq", "agent_id", "condition", "primed_value", "member", "role", "decision",
  "value", "label", "scoring", "raw", "dist", "request_key", "attempts", "error", "backend", "model"
] as const

/** Game results: one row per agent × game step (its match, status, total payoff and game-specific details). */
export const GAME_RESULT_COLUMNS = [
  "step", "game", "agent_id", "condition", "primed_value", "match_id", "member", "status", "payoff", "details",
  "backend", "model"
] as const

/** The `scoring` every answer of the synthetic backend is exported with: it was drawn from the theory model, not an LLM. */
export const SYNTHETIC_SCORING = "synthetic"

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

/** `manifest.json` beside the exported files: where the rows come from. */
export interface ExportManifest {
  readonly runId: string
  readonly runDir: string
  readonly study: string | null
  readonly seed: number | null
  readonly agents: number | null
  readonly backend: string
  readonly model: string
  readonly synthetic: boolean
  /** "synthetic: theory model, not an LLM" on the synthetic backend, else null. */
  readonly label: string | null
  readonly status: string | null
  readonly createdAt: string | null
  /** Versions the run was made with (from its manifest), and those of the valuesim that exported it. */
  readonly versions: { readonly run: unknown; readonly export: Readonly<Record<string, string>> }
  readonly exportedAt: string
  readonly format: ExportFormat
  readonly files: ReadonlyArray<{ readonly file: string; readonly rows: number; readonly columns: ReadonlyArray<string> }>
  readonly notes: ReadonlyArray<string>
}

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
        const runManifest = Object.fromEntries(
          (db.prepare(`SELECT key, value FROM manifest`).all() as Array<{ key: string; value: string }>).map((r) => [r.key, JSON.parse(r.value) as unknown])
        )
        const spec = runManifest["spec"] as RunSpec | undefined
        const stepNames = spec?.steps.map(stepId) ?? []
        // Provenance on every row: who answered. Synthetic answers are scored "synthetic", whatever the run recorded.
        const who = spec ? backendIdentity(spec.backend) : { backend: "unknown", model: "unknown", synthetic: false, label: null }
        const provenance = { backend: who.backend, model: who.model }
        const scoringOf = (scoring: unknown) => (who.synthetic && scoring !== null && scoring !== undefined ? SYNTHETIC_SCORING : scoring)
        fs.mkdirSync(outDir, { recursive: true })
        const answers = writeTable(outDir, "answers", format, ANSWER_COLUMNS, (emit) => {
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
            emit({
              ...r,
              questionnaire: stepNames[r.step] ?? String(r.step),
              reverse: r.reverse === 1,
              scoring: scoringOf(r.scoring) as string,
              dist: r.dist === null || format === "csv" ? r.dist : r.dist.split(",").map(Number),
              ...provenance
            })
          }
        })
        const conditions = db.prepare(`SELECT condition_idx, condition, value_code FROM conditions`).all() as Array<{
          condition_idx: number
          condition: string
          value_code: string | null
        }>
        const conditionOf = new Map(conditions.map((c) => [c.condition_idx, c]))
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
                  answered,
                  ...provenance
                })
              })
            })
          })
        })
        const hasGames = spec?.steps.some((st) => st.kind === "game") ?? false
        const moves = hasGames
          ? writeTable(outDir, "moves", format, MOVE_COLUMNS, (emit) => {
              const stmt = db.prepare(
                `SELECT mv.step, mv.match_id, mv.round, mv.seq, mv.agent_id, c.condition, c.value_code AS primed_value, mv.member, mv.role,
                        mv.decision, mv.value, mv.label, mv.scoring, coalesce(mv.raw, r.text) AS raw, mv.dist, mv.request_key, mv.attempts, mv.error
                 FROM moves mv JOIN agents ag ON ag.agent_id = mv.agent_id JOIN conditions c ON c.condition_idx = ag.condition_idx
                 LEFT JOIN requests r ON r.key = mv.request_key
                 ORDER BY mv.step, mv.match_id, mv.seq`
              )
              for (const r of stmt.iterate() as IterableIterator<Record<string, unknown> & { step: number; dist: string | null }>) {
                emit({
                  ...r,
                  game: stepNames[r.step] ?? String(r.step),
                  scoring: scoringOf(r["scoring"]),
                  dist: r.dist === null || format === "csv" ? r.dist : r.dist.split(",").map(Number),
                  ...provenance
                } as never)
              }
            })
          : null
        const results = hasGames
          ? writeTable(outDir, "game_results", format, GAME_RESULT_COLUMNS, (emit) => {
              const stmt = db.prepare(
                `SELECT g.step, g.agent_id, c.condition, c.value_code AS primed_value, g.match_id, g.member, g.status, g.payoff, g.details
                 FROM game_results g JOIN agents ag ON ag.agent_id = g.agent_id JOIN conditions c ON c.condition_idx = ag.condition_idx
                 ORDER BY g.step, g.agent_id`
              )
              for (const r of stmt.iterate() as IterableIterator<Record<string, unknown> & { step: number; details: string | null }>) {
                emit({
                  ...r,
                  game: stepNames[r.step] ?? String(r.step),
                  details: r.details === null || format === "csv" ? r.details : (JSON.parse(r.details) as unknown),
                  ...provenance
                } as never)
              }
            })
          : null
        const tables = [
          { t: answers, columns: ANSWER_COLUMNS },
          { t: scores, columns: SCORE_COLUMNS },
          ...(moves ? [{ t: moves, columns: MOVE_COLUMNS }] : []),
          ...(results ? [{ t: results, columns: GAME_RESULT_COLUMNS }] : [])
        ]
        const exportManifest: ExportManifest = {
          runId: String(runManifest["run_id"] ?? path.basename(path.resolve(runDir))),
          runDir,
          study: spec?.study.id ?? null,
          seed: spec?.seed ?? null,
          agents: spec?.agents ?? null,
          ...who,
          status: typeof runManifest["status"] === "string" ? runManifest["status"] : null,
          createdAt: typeof runManifest["created_at"] === "string" ? runManifest["created_at"] : null,
          versions: { run: runManifest["versions"] ?? null, export: versions() },
          exportedAt: new Date().toISOString(),
          format,
          files: tables.map(({ t, columns }) => ({ file: path.basename(t.file), rows: t.rows, columns })),
          notes: who.synthetic
            ? [
                `${who.label}: every answer was drawn from valuesim's theory model (Schwartz's circle plus noise), not from a language model; its scoring column says "${SYNTHETIC_SCORING}" and dist is the theory model's answer distribution.`
              ]
            : []
        }
        const manifestFile = path.join(outDir, "manifest.json")
        fs.writeFileSync(`${manifestFile}.partial`, JSON.stringify(exportManifest, null, 2) + "\n")
        fs.renameSync(`${manifestFile}.partial`, manifestFile)
        return {
          manifest: manifestFile,
          backend: who.backend,
          model: who.model,
          ...(who.label ? { label: who.label } : {}),
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
