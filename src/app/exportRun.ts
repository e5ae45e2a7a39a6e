/**
 * `valuesim export`: every table of a run (answers, scores, moves, game results, and the society's edges and rounds
 * through src/society/export.ts) in CSV, JSONL or Parquet. One file (over 500 lines) on purpose: the column lists,
 * the provenance columns (backend, model, arm) and the three writers must stay in step, and a reader checks that
 * in one place; the society tables already live in their own room.
 */
import { Clock, Effect } from "effect"
import { refuseUnsafeOutput, runInputs } from "../store/outputGuard.js"
import * as fs from "node:fs"
import * as path from "node:path"
import type { RunSpec } from "../config/RunSpec.js"
import { backendIdentity, backendNames, backendOfAgent, backendsOf, stepId, type BackendIdentity } from "../config/RunSpec.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { scoringKey } from "../analysis/scores.js"
import { respondentScorer } from "../stats/mrat.js"
import { SCORING_MODES } from "../store/encoding.js"
import { EXPORT_RUN_FILE, exportRunFile } from "../store/exportFolder.js"
import type { ColumnBatch, ColumnData, ColumnSpec } from "../store/parquet.js"
import {
  iterateGameResults,
  iterateMoves,
  readAnswerPages,
  readExpectedAnswerRows,
  readConditions,
  readItems,
  readValuePages,
  readStepArms,
  requestInfoReader
} from "../store/reads.js"
import { getManifest, openDatabase, type RunDb } from "../store/RunStore.js"
import { faultOf, noSpaceOf, storeErrorOf, writeThroughPartial } from "../store/storeFault.js"
import { versions } from "./version.js"
import { batchRecords, EDGE_COLUMNS, edgeBatches, edgeParquet, hasSociety, SOCIETY_COLUMNS, societyBatches, societyParquet } from "../society/export.js"

export type ExportFormat = "csv" | "jsonl" | "parquet"
type TextFormat = Exclude<ExportFormat, "parquet">

/** Export columns, in order. One row per agent × item; the agent's condition travels with every row. */
export const ANSWER_COLUMNS = [
  "step", "questionnaire", "agent_id", "condition", "primed_value", "item_idx", "item_id", "subscale", "reverse",
  "value", "scoring", "raw", "dist", "method", "mass", "request_key", "prompt_tokens", "completion_tokens", "latency_ms", "finish_reason", "thinking",
  "attempts", "error",
  "backend", "model", "arm"
] as const

/** Score columns: one row per agent × step × subscale. */
export const SCORE_COLUMNS = [
  "step", "questionnaire", "agent_id", "condition", "primed_value", "subscale", "score", "centered", "mrat", "answered",
  "backend", "model", "arm"
] as const

/** Game moves: one row per move, joinable to agents by agent_id (and to each other by step and match_id). */
export const MOVE_COLUMNS = [
  "step", "game", "match_id", "round", "seq", "agent_id", "condition", "primed_value", "member", "role", "decision",
  "value", "label", "scoring", "raw", "dist", "method", "mass", "request_key", "attempts", "error", "backend", "model", "arm"
] as const

/** Game results: one row per agent × game step (its match, status, total payoff and game-specific details). */
export const GAME_RESULT_COLUMNS = [
  "step", "game", "agent_id", "condition", "primed_value", "match_id", "member", "status", "payoff", "details", "backend", "model", "arm"
] as const

/**
 * Who answered, on every exported row: the backend and model of the row's agent (a run of several backends
 * stores each backend's agents in its own id range), and whether it is the synthetic backend. `model` is the
 * name results use (unique per backend: `backendNames`).
 */
interface Who {
  readonly backends: ReadonlyArray<BackendIdentity>
  /** The distinct backend kinds (the Parquet enum of `backend`) and each backend's index among them. */
  readonly kinds: ReadonlyArray<string>
  readonly kindOf: ReadonlyArray<number>
  readonly backendOf: (agentId: number) => number
  /** The arm names of the run (the Parquet enum of `arm`), and the index among them of each step's arm (−1: none). */
  readonly arms: ReadonlyArray<string>
  readonly armOf: (step: number) => number
}

const whoOf = (spec: RunSpec | undefined, stepArms: ReadonlyMap<number, { readonly arm: string }>): Who => {
  const arms = [...new Set([...stepArms.values()].map((a) => a.arm))]
  const armOf = (step: number) => {
    const a = stepArms.get(step)
    return a === undefined ? -1 : arms.indexOf(a.arm)
  }
  if (spec === undefined) return { backends: [{ backend: "unknown", model: "unknown", synthetic: false, label: null }], kinds: ["unknown"], kindOf: [0], backendOf: () => 0, arms, armOf }
  const names = backendNames(spec)
  const backends = backendsOf(spec).map((b, i) => ({ ...backendIdentity(b), model: names[i]! }))
  const kinds = [...new Set(backends.map((b) => b.backend))]
  return { backends, kinds, kindOf: backends.map((b) => kinds.indexOf(b.backend)), backendOf: backends.length === 1 ? () => 0 : (a) => backendOfAgent(spec, a), arms, armOf }
}

/** The row's provenance fields, and the arm of its step (null outside experiments). */
const whoFields = (who: Who, agentId: number, step: number) => {
  const b = who.backends[who.backendOf(agentId)]!
  return { backend: b.backend, model: b.model, arm: who.arms[who.armOf(step)] ?? null }
}

const csvField = (v: unknown): string => {
  if (v === null || v === undefined) return ""
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
const jsonField = (v: unknown): string => (v === null || v === undefined ? "null" : JSON.stringify(v))

/** A progress line on stderr every 2 s while an export runs (nothing for a short one). */
const progressLine = (what: string, total: number) => {
  const t0 = performance.now()
  let last = t0
  return (done: number) => {
    const now = performance.now()
    if (now - last < 2000) return
    last = now
    const rate = Math.round(done / ((now - t0) / 1000))
    const pct = total > 0 ? ` (${((100 * done) / total).toFixed(1)}%)` : ""
    process.stderr.write(`[valuesim] export ${what}: ${done}/${total} rows${pct} · ${rate} rows/s\n`)
  }
}

/** Appends text to a file through a 4 MB byte buffer (each string encoded into it as it comes: no large strings). */
const textFile = (file: string) => {
  const fd = fs.openSync(file, "w")
  const buffer = Buffer.allocUnsafe(1 << 22)
  let at = 0
  const flush = () => {
    let done = 0
    while (done < at) done += fs.writeSync(fd, buffer, done, at - done)
    at = 0
  }
  return {
    write: (s: string) => {
      if (at + 3 * s.length > buffer.length) {
        flush()
        if (3 * s.length > buffer.length) {
          fs.writeSync(fd, s)
          return
        }
      }
      at += buffer.write(s, at)
    },
    close: () => {
      try {
        flush()
      } finally {
        fs.closeSync(fd)
      }
    }
  }
}

/** Streams rows into `<outDir>/<name>.<format>` through a temporary file renamed at the end. */
const writeTable = <C extends string>(
  outDir: string,
  name: string,
  format: TextFormat,
  columns: ReadonlyArray<C>,
  fill: (emit: (record: Record<C, unknown>) => void) => void
) => {
  const target = path.join(outDir, `${name}.${format}`)
  return writeThroughPartial(target, (tmp) => {
    const out = textFile(tmp)
    let rows = 0
    try {
      if (format === "csv") out.write(columns.join(",") + "\n")
      fill((record) => {
        if (format === "csv") out.write(columns.map((c) => csvField(record[c])).join(",") + "\n")
        else {
          const o: Record<string, unknown> = {}
          for (const c of columns) o[c] = record[c] ?? null
          out.write(JSON.stringify(o) + "\n")
        }
        rows++
      })
    } finally {
      out.close()
    }
    return { file: target, rows }
  })
}

const finite = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e9) / 1e9 : null)

/** What answer rows share, resolved once per run: steps, conditions and items, with their index per row. */
const answerDimensions = (db: RunDb, stepNames: ReadonlyArray<string>) => {
  const conditions = readConditions(db)
  const items = readItems(db)
  const itemBase = new Map<number, number>()
  items.forEach((it, g) => {
    if (!itemBase.has(it.step)) itemBase.set(it.step, g - it.itemIdx)
  })
  const primed = [...new Set(conditions.flatMap((c) => (c.valueCode === null ? [] : [c.valueCode])))]
  const stepName = (step: number) => stepNames[step] ?? String(step)
  const steps = [...new Set(items.map((it) => it.step))]
  return {
    conditions,
    items,
    steps,
    stepName,
    /** Global item index of (step, item_idx). */
    itemOf: (step: number, itemIdx: number) => itemBase.get(step)! + itemIdx,
    primed,
    primedOf: Int32Array.from(conditions, (c) => (c.valueCode === null ? -1 : primed.indexOf(c.valueCode)))
  }
}

/** Probabilities are stored as whole millionths: their decimal text, made once per distinct value. */
const distText = () => {
  const memo = new Array<string | undefined>(1_000_001)
  return (d: Float64Array, at: number, k: number): string => {
    let s = ""
    for (let j = 0; j < k; j++) {
      const micro = Math.round(d[at + j]! * 1e6)
      const t = micro >= 0 && micro <= 1e6 ? (memo[micro] ??= String(micro / 1e6)) : String(micro / 1e6)
      s += j === 0 ? t : "," + t
    }
    return s
  }
}

/** The files an export writes into its folder (each through `<name>.partial`). */
const EXPORT_FILES = [
  EXPORT_RUN_FILE,
  "manifest.json",
  ...["answers", "scores", "moves", "game_results"].flatMap((t) => ["csv", "jsonl", "parquet"].map((f) => `${t}.${f}`))
]

/** Removes the export files in `outDir` written at or after `sinceMs` (by a failed export). */
const removeWrittenSince = (outDir: string, sinceMs: number) => {
  for (const name of EXPORT_FILES) {
    const file = path.join(outDir, name)
    try {
      if (fs.statSync(file).mtimeMs >= sinceMs - 1) fs.rmSync(file, { force: true })
    } catch {
      // Not there.
    }
  }
}

/**
 * Writes answers.csv or answers.jsonl straight from the stored pages: the text every row of an agent or an item
 * shares is made once, and a distribution's text is put together from memoised numbers.
 */
const writeAnswersText = (db: RunDb, outDir: string, format: TextFormat, dims: ReturnType<typeof answerDimensions>, total: number, who: Who) => {
  const target = path.join(outDir, `answers.${format}`)
  return writeThroughPartial(target, (tmp) => writeAnswerRows(db, tmp, format, dims, total, who, target))
}

const writeAnswerRows = (db: RunDb, tmp: string, format: TextFormat, dims: ReturnType<typeof answerDimensions>, total: number, who: Who, target: string) => {
  const out = textFile(tmp)
  const csv = format === "csv"
  const field = csv ? csvField : jsonField
  const info = requestInfoReader(db)
  const dist = distText()
  const progress = progressLine("answers", total)
  let rows = 0
  try {
    if (csv) out.write(ANSWER_COLUMNS.join(",") + "\n")
    const conditionText = dims.conditions.map((c) => [field(c.condition), field(c.valueCode)] as const)
    const itemText = dims.items.map((it) =>
      csv
        ? `${it.itemIdx},${csvField(it.itemId)},${csvField(it.subscale)},${it.reverse},`
        : `,"item_idx":${it.itemIdx},"item_id":${jsonField(it.itemId)},"subscale":${jsonField(it.subscale)},"reverse":${it.reverse}`
    )
    const scoringText = SCORING_MODES.map((m) => field(m))
    const whoTexts = who.backends.map((b) => (csv ? `,${csvField(b.backend)},${csvField(b.model)}` : `,"backend":${jsonField(b.backend)},"model":${jsonField(b.model)}`))
    for (const step of dims.steps) {
      const q = field(dims.stepName(step))
      const arm = who.arms[who.armOf(step)] ?? null
      const armText = csv ? `,${csvField(arm)}\n` : `,"arm":${jsonField(arm)}}\n`
      for (const p of readAnswerPages(db, step)) {
        for (let a = 0; a < p.rows; a++) {
          const [cond, primed] = conditionText[p.conditionIdx[a]!] ?? [field(null), field(null)]
          const b = who.backendOf(p.agentIds[a]!)
          const whoText = whoTexts[b]! + armText
          const agent = csv
            ? `${step},${q},${p.agentIds[a]},${cond},${primed},`
            : `{"step":${step},"questionnaire":${q},"agent_id":${p.agentIds[a]},"condition":${cond},"primed_value":${primed}`
          for (let i = 0; i < p.items; i++) {
            const n = a * p.items + i
            const v = p.values[n]!
            const id = p.requestIds[n]!
            const req = id === 0 ? undefined : info(id)
            const raw = p.raws?.[n] ?? req?.text ?? null
            const hasDist = p.k > 0 && !Number.isNaN(p.dists[n * p.k]!)
            const d = hasDist ? dist(p.dists, n * p.k, p.k) : null
            const scoring = scoringText[p.scoring[n]!] ?? scoringText[1]!
            const mass = req?.mass === null || req?.mass === undefined ? null : Math.round(req.mass * 1e6) / 1e6
            const error = p.errors?.[n] ?? null
            const item = itemText[dims.itemOf(step, i)]!
            if (csv) {
              out.write(
                `${agent}${item}${Number.isNaN(v) ? "" : v},${scoring},${raw === null ? "" : csvField(raw)},${d === null ? "" : p.k > 1 ? `"${d}"` : d},` +
                  `${scoring},${mass === null ? "" : mass},` +
                  (req === undefined
                    ? ",,,,,,"
                    : `${csvField(req.key)},${req.promptTokens},${req.completionTokens},${req.latencyMs},${req.finishReason === null ? "" : csvField(req.finishReason)},` +
                      `${req.thinking === null ? "" : req.thinking === 1},`) +
                  `${p.attempts[n]},${error === null ? "" : csvField(error)}${whoText}`
              )
            } else {
              out.write(
                `${agent}${item},"value":${Number.isNaN(v) ? "null" : v},"scoring":${scoring},"raw":${jsonField(raw)},"dist":${d === null ? "null" : `[${d}]`},` +
                  `"method":${scoring},"mass":${mass === null ? "null" : mass},` +
                  (req === undefined
                    ? `"request_key":null,"prompt_tokens":null,"completion_tokens":null,"latency_ms":null,"finish_reason":null,"thinking":null,`
                    : `"request_key":${jsonField(req.key)},"prompt_tokens":${req.promptTokens},"completion_tokens":${req.completionTokens},"latency_ms":${req.latencyMs},` +
                      `"finish_reason":${jsonField(req.finishReason)},"thinking":${req.thinking === null ? "null" : req.thinking === 1},`) +
                  `"attempts":${p.attempts[n]},"error":${jsonField(error)}${whoText}`
              )
            }
          }
          rows += p.items
        }
        progress(rows)
      }
    }
  } finally {
    out.close()
  }
  return { file: target, rows }
}

/** The answers' Parquet columns. */
const answerColumns = (dims: ReturnType<typeof answerDimensions>, stepNames: ReadonlyArray<string>, who: Who) => [
    { name: "step", type: "INTEGER" },
    { name: "questionnaire", type: "ENUM", members: dims.steps.length === 0 ? [] : Array.from({ length: Math.max(...dims.steps) + 1 }, (_, s) => stepNames[s] ?? String(s)) },
    { name: "agent_id", type: "INTEGER" },
    { name: "condition", type: "ENUM", members: dims.conditions.map((c) => c.condition) },
    { name: "primed_value", type: "ENUM", members: dims.primed },
    { name: "item_idx", type: "INTEGER" },
    { name: "item_id", type: "ENUM", members: dims.items.map((it) => it.itemId) },
    { name: "subscale", type: "ENUM", members: dims.items.map((it) => it.subscale) },
    { name: "reverse", type: "BOOLEAN" },
    { name: "value", type: "INTEGER" },
    { name: "scoring", type: "ENUM", members: [...SCORING_MODES] },
    { name: "raw", type: "VARCHAR" },
    { name: "dist", type: "DOUBLE[]" },
    { name: "method", type: "ENUM", members: [...SCORING_MODES] },
    { name: "mass", type: "DOUBLE" },
    { name: "request_key", type: "VARCHAR" },
    { name: "prompt_tokens", type: "INTEGER" },
    { name: "completion_tokens", type: "INTEGER" },
    { name: "latency_ms", type: "DOUBLE" },
    { name: "finish_reason", type: "VARCHAR" },
    { name: "thinking", type: "BOOLEAN" },
    { name: "attempts", type: "INTEGER" },
    { name: "error", type: "VARCHAR" },
    ...whoColumns(who)
] satisfies Array<ColumnSpec & { name: (typeof ANSWER_COLUMNS)[number] }>

/** The answers for Parquet, one stored page at a time, as typed columns. */
function* answerBatches(db: RunDb, dims: ReturnType<typeof answerDimensions>, total: number, who: Who): Generator<ColumnBatch> {
  const info = requestInfoReader(db)
  const progress = progressLine("answers", total)
  const reverse = Int32Array.from(dims.items, (it) => (it.reverse ? 1 : 0))
  let rows = 0
  for (const step of dims.steps) {
    const base = dims.itemOf(step, 0)
    for (const p of readAnswerPages(db, step)) {
      const n = p.rows * p.items
      const agent = new Int32Array(n)
      const cond = new Int32Array(n)
      const primed = new Int32Array(n)
      const itemIdx = new Int32Array(n)
      const item = new Int32Array(n)
      const rev = new Int32Array(n)
      const kind = new Int32Array(n)
      const model = new Int32Array(n)
      const scoring = Int32Array.from(p.scoring)
      for (let a = 0; a < p.rows; a++) {
        const c = p.conditionIdx[a]!
        const b = who.backendOf(p.agentIds[a]!)
        kind.fill(who.kindOf[b]!, a * p.items, (a + 1) * p.items)
        model.fill(b, a * p.items, (a + 1) * p.items)
        const pc = dims.primedOf[c] ?? -1
        const from = a * p.items
        agent.fill(p.agentIds[a]!, from, from + p.items)
        cond.fill(c, from, from + p.items)
        primed.fill(pc, from, from + p.items)
        for (let i = 0; i < p.items; i++) {
          itemIdx[from + i] = i
          item[from + i] = base + i
          rev[from + i] = reverse[base + i]!
        }
      }
      // Request fields and texts only when the page has any (a synthetic or logprob page mostly has none).
      const hasRequests = p.requestIds.some((id) => id !== 0)
      let raw: Array<string | null> | null = p.raws === null ? null : [...p.raws]
      let key: Array<string | null> | null = null
      let prompt: Float64Array | null = null
      let completion: Float64Array | null = null
      let latency: Float64Array | null = null
      let mass: Float64Array | null = null
      let finish: Array<string | null> | null = null
      let thinking: Float64Array | null = null
      if (hasRequests) {
        finish = new Array<string | null>(n).fill(null)
        thinking = new Float64Array(n).fill(NaN)
        mass = new Float64Array(n).fill(NaN)
        raw ??= new Array<string | null>(n).fill(null)
        key = new Array<string | null>(n).fill(null)
        prompt = new Float64Array(n).fill(NaN)
        completion = new Float64Array(n).fill(NaN)
        latency = new Float64Array(n).fill(NaN)
        for (let r = 0; r < n; r++) {
          const id = p.requestIds[r]!
          const req = id === 0 ? undefined : info(id)
          if (req === undefined) continue
          raw[r] ??= req.text
          key[r] = req.key
          prompt[r] = req.promptTokens
          completion[r] = req.completionTokens
          latency[r] = req.latencyMs
          if (req.mass !== null) mass[r] = req.mass
          finish[r] = req.finishReason
          if (req.thinking !== null) thinking[r] = req.thinking
        }
      }
      yield {
        rows: n,
        columns: [
          new Int32Array(n).fill(step), new Int32Array(n).fill(step), agent, cond, primed, itemIdx, item, item, rev, p.values,
          scoring, raw, { width: p.k, data: p.dists }, scoring, mass, key, prompt, completion, latency, finish, thinking, Int32Array.from(p.attempts),
          p.errors === null ? null : [...p.errors],
          kind,
          model,
          new Int32Array(n).fill(who.armOf(step))
        ]
      }
      rows += n
      progress(rows)
    }
  }
}

/** Records to Parquet column batches (scores, moves, game results: one row per agent or move, not per answer). */
function* recordBatches<C extends string>(columns: ReadonlyArray<ColumnSpec & { name: C }>, records: Iterable<Record<C, unknown>>): Generator<ColumnBatch> {
  const enumIndex = columns.map((c) => (c.type === "ENUM" ? new Map(c.members.map((m, i) => [m, i] as const)) : null))
  const toColumns = (batch: ReadonlyArray<Record<C, unknown>>): Array<ColumnData> =>
    columns.map((c, j): ColumnData => {
      const get = (r: Record<C, unknown>) => r[c.name] ?? null
      switch (c.type) {
        case "ENUM":
          return Int32Array.from(batch, (r) => {
            const v = get(r)
            return v === null ? -1 : (enumIndex[j]!.get(String(v)) ?? -1)
          })
        case "VARCHAR":
          return batch.map((r) => {
            const v = get(r)
            return v === null ? null : typeof v === "string" ? v : JSON.stringify(v)
          })
        case "DOUBLE[]":
          return {
            lists: batch.map((r) => {
              const v = get(r)
              return v === null ? null : typeof v === "string" ? v.split(",").map(Number) : (v as Array<number>)
            })
          }
        default:
          return Float64Array.from(batch, (r) => {
            const v = get(r)
            return v === null ? NaN : typeof v === "boolean" ? (v ? 1 : 0) : Number(v)
          })
      }
    })
  let batch: Array<Record<C, unknown>> = []
  for (const r of records) {
    batch.push(r)
    if (batch.length >= 8192) {
      yield { rows: batch.length, columns: toColumns(batch) }
      batch = []
    }
  }
  if (batch.length > 0) yield { rows: batch.length, columns: toColumns(batch) }
}

/** The rows of scores, moves and game results, whatever the format they are written in. */
function* scoreRows(db: RunDb, spec: RunSpec | undefined, who: Who): Generator<Record<(typeof SCORE_COLUMNS)[number], unknown>> {
  const conditionOf = new Map(readConditions(db).map((c) => [c.idx, { condition: c.condition, value_code: c.valueCode }]))
  for (const [step, s] of (spec?.steps ?? []).entries()) {
    if (s.kind !== "questionnaire") continue
    const q = s.questionnaire
    const key = scoringKey(q)
    const nSub = key.subscales.length
    const score = respondentScorer(key.keys, nSub, key.min, key.max)
    const raw = key.subscales.map(() => new Float64Array(1))
    const centered = key.subscales.map(() => new Float64Array(1))
    const nItems = q.items.length
    const answers = new Float64Array(nItems)
    for (const page of readValuePages(db, step)) {
      for (let a = 0; a < page.rows; a++) {
        for (let i = 0; i < nItems; i++) answers[i] = i < page.items ? page.values[a * page.items + i]! : NaN
        const mrat = score(answers, 0, raw, centered, 0)
        const c = conditionOf.get(page.conditionIdx[a]!)
        for (let j = 0; j < nSub; j++) {
          let answered = 0
          for (let i = 0; i < nItems; i++) if (key.keys[i]!.subscale === j && !Number.isNaN(answers[i]!)) answered++
          yield {
            step,
            questionnaire: q.id,
            agent_id: page.agentIds[a]!,
            condition: c?.condition ?? null,
            primed_value: c?.value_code ?? null,
            subscale: key.subscales[j]!,
            score: finite(raw[j]![0]!),
            centered: q.scoring === "mrat" ? finite(centered[j]![0]!) : null,
            mrat: q.scoring === "mrat" ? finite(mrat) : null,
            answered,
            ...whoFields(who, page.agentIds[a]!, step)
          }
        }
      }
    }
  }
}

/** The scores for Parquet as typed columns, one page of agents at a time (the same figures as `scoreRows`). */
function* scoreBatches(db: RunDb, spec: RunSpec | undefined, columns: ReadonlyArray<ColumnSpec>, who: Who): Generator<ColumnBatch> {
  const enumOf = (name: string) => {
    const c = columns.find((x) => x.name === name)
    return new Map((c?.type === "ENUM" ? c.members : []).map((m, i) => [m, i] as const))
  }
  const [qIdx, subIdx] = [enumOf("questionnaire"), enumOf("subscale")]
  const conditions = readConditions(db)
  const primedIdx = enumOf("primed_value")
  const primedOf = Int32Array.from(conditions, (c) => (c.valueCode === null ? -1 : (primedIdx.get(c.valueCode) ?? -1)))
  const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e9) / 1e9 : NaN)
  for (const [step, s] of (spec?.steps ?? []).entries()) {
    if (s.kind !== "questionnaire") continue
    const q = s.questionnaire
    const key = scoringKey(q)
    const nSub = key.subscales.length
    const mratScored = q.scoring === "mrat"
    const score = respondentScorer(key.keys, nSub, key.min, key.max)
    const subOf = Int32Array.from(key.subscales, (x) => subIdx.get(x) ?? -1)
    const nItems = q.items.length
    const answers = new Float64Array(nItems)
    for (const page of readValuePages(db, step)) {
      const n = page.rows * nSub
      const raw = key.subscales.map(() => new Float64Array(page.rows))
      const centered = key.subscales.map(() => new Float64Array(page.rows))
      const agent = new Int32Array(n)
      const cond = new Int32Array(n)
      const primed = new Int32Array(n)
      const sub = new Int32Array(n)
      const sc = new Float64Array(n)
      const cen = new Float64Array(n)
      const mr = new Float64Array(n)
      const answered = new Int32Array(n)
      const kind = new Int32Array(n)
      const model = new Int32Array(n)
      for (let a = 0; a < page.rows; a++) {
        const b = who.backendOf(page.agentIds[a]!)
        kind.fill(who.kindOf[b]!, a * nSub, (a + 1) * nSub)
        model.fill(b, a * nSub, (a + 1) * nSub)
        for (let i = 0; i < nItems; i++) answers[i] = i < page.items ? page.values[a * page.items + i]! : NaN
        const mrat = score(answers, 0, raw, centered, a)
        const c = page.conditionIdx[a]!
        for (let j = 0; j < nSub; j++) {
          const r = a * nSub + j
          agent[r] = page.agentIds[a]!
          cond[r] = c
          primed[r] = primedOf[c] ?? -1
          sub[r] = subOf[j]!
          sc[r] = round(raw[j]![a]!)
          cen[r] = mratScored ? round(centered[j]![a]!) : NaN
          mr[r] = mratScored ? round(mrat) : NaN
        }
        for (let i = 0; i < nItems; i++) if (!Number.isNaN(answers[i]!)) answered[a * nSub + key.keys[i]!.subscale]!++
      }
      yield {
        rows: n,
        columns: [new Int32Array(n).fill(step), new Int32Array(n).fill(qIdx.get(q.id) ?? -1), agent, cond, primed, sub, sc, cen, mr, answered, kind, model, new Int32Array(n).fill(who.armOf(step))]
      }
    }
  }
}

function* moveRows(db: RunDb, stepNames: ReadonlyArray<string>, format: ExportFormat, who: Who): Generator<Record<(typeof MOVE_COLUMNS)[number], unknown>> {
  for (const r of iterateMoves(db)) {
    yield ({
      ...r,
      game: stepNames[r.step] ?? String(r.step),
      scoring: r.scoring,
      dist: r.dist === null || format === "csv" ? r.dist : r.dist.split(",").map(Number),
      // The method the move was scored by (as in the answers table) and its shared request's option mass.
      method: r.scoring,
      mass: r.mass === null ? null : Math.round(r.mass * 1e6) / 1e6,
      ...whoFields(who, r.agent_id, r.step)
    } as never)
  }
}

function* gameResultRows(db: RunDb, stepNames: ReadonlyArray<string>, format: ExportFormat, who: Who): Generator<Record<(typeof GAME_RESULT_COLUMNS)[number], unknown>> {
  for (const r of iterateGameResults(db)) {
    yield ({
      ...r,
      game: stepNames[r.step] ?? String(r.step),
      // Parquet keeps the details as JSON text (their keys differ between games).
      details: r.details === null || format !== "jsonl" ? r.details : (JSON.parse(r.details) as unknown),
      ...whoFields(who, r.agent_id, r.step)
    } as never)
  }
}

const conditionMembers = (db: RunDb) => {
  const cs = readConditions(db)
  return { conditions: cs.map((c) => c.condition), primed: [...new Set(cs.flatMap((c) => (c.valueCode === null ? [] : [c.valueCode])))] }
}

/** Writes the Parquet files (answers, scores, and for games moves and game_results) through DuckDB. */
const exportParquet = async (db: RunDb, spec: RunSpec | undefined, stepNames: ReadonlyArray<string>, outDir: string, total: number, who: Who) => {
  // DuckDB (a large native library) loads only for a Parquet export, not with every command.
  const { openParquetWriter } = await import("../store/parquet.js")
  const pq = await openParquetWriter(outDir)
  try {
    const dims = answerDimensions(db, stepNames)
    const answers = await pq.write("answers", answerColumns(dims, stepNames, who), answerBatches(db, dims, total, who))
    const { conditions, primed } = conditionMembers(db)
    const names = [...new Set(stepNames)]
    const scoreSpec = SCORE_PARQUET(names, conditions, primed, spec, who)
    const scores = await pq.write("scores", scoreSpec, scoreBatches(db, spec, scoreSpec, who))
    const society = hasSociety(spec)
      ? [
          { ...(await pq.write("edges", edgeParquet(spec), edgeBatches(db, spec))), columns: EDGE_COLUMNS },
          { ...(await pq.write("society", societyParquet(db, spec), societyBatches(db, spec))), columns: SOCIETY_COLUMNS }
        ]
      : []
    const hasGames = spec?.steps.some((st) => st.kind === "game") ?? false
    if (!hasGames) return { file: answers.file, rows: answers.rows, scores: scores.file, scoreRows: scores.rows, society }
    const moveSpec = MOVE_PARQUET(names, conditions, primed, who)
    const moves = await pq.write("moves", moveSpec, recordBatches(moveSpec, moveRows(db, stepNames, "parquet", who)))
    const resultSpec = GAME_RESULT_PARQUET(names, conditions, primed, who)
    const results = await pq.write("game_results", resultSpec, recordBatches(resultSpec, gameResultRows(db, stepNames, "parquet", who)))
    return {
      file: answers.file,
      rows: answers.rows,
      scores: scores.file,
      scoreRows: scores.rows,
      moves: moves.file,
      moveRows: moves.rows,
      gameResults: results.file,
      gameResultRows: results.rows,
      society
    }
  } finally {
    pq.close()
  }
}

type Col<C extends string> = ColumnSpec & { name: C }

/** The provenance columns of every Parquet table: enums of the run's backend kinds and its models (one each for most runs). */
const whoColumns = (who: Who): Array<Col<"backend" | "model" | "arm">> => [
  { name: "backend", type: "ENUM", members: who.kinds },
  { name: "model", type: "ENUM", members: who.backends.map((b) => b.model) },
  { name: "arm", type: "ENUM", members: who.arms }
]

const SCORE_PARQUET = (steps: ReadonlyArray<string>, conditions: ReadonlyArray<string>, primed: ReadonlyArray<string>, spec: RunSpec | undefined, who: Who): Array<Col<(typeof SCORE_COLUMNS)[number]>> => [
  { name: "step", type: "INTEGER" },
  { name: "questionnaire", type: "ENUM", members: steps },
  { name: "agent_id", type: "INTEGER" },
  { name: "condition", type: "ENUM", members: conditions },
  { name: "primed_value", type: "ENUM", members: primed },
  {
    name: "subscale",
    type: "ENUM",
    members: [...new Set(spec?.steps.flatMap((s) => (s.kind === "questionnaire" ? scoringKey(s.questionnaire).subscales : [])) ?? [])]
  },
  { name: "score", type: "DOUBLE" },
  { name: "centered", type: "DOUBLE" },
  { name: "mrat", type: "DOUBLE" },
  { name: "answered", type: "INTEGER" },
  ...whoColumns(who)
]

const MOVE_PARQUET = (steps: ReadonlyArray<string>, conditions: ReadonlyArray<string>, primed: ReadonlyArray<string>, who: Who): Array<Col<(typeof MOVE_COLUMNS)[number]>> => [
  { name: "step", type: "INTEGER" },
  { name: "game", type: "ENUM", members: steps },
  { name: "match_id", type: "INTEGER" },
  { name: "round", type: "INTEGER" },
  { name: "seq", type: "INTEGER" },
  { name: "agent_id", type: "INTEGER" },
  { name: "condition", type: "ENUM", members: conditions },
  { name: "primed_value", type: "ENUM", members: primed },
  { name: "member", type: "INTEGER" },
  { name: "role", type: "VARCHAR" },
  { name: "decision", type: "VARCHAR" },
  { name: "value", type: "INTEGER" },
  { name: "label", type: "VARCHAR" },
  { name: "scoring", type: "VARCHAR" },
  { name: "raw", type: "VARCHAR" },
  { name: "dist", type: "DOUBLE[]" },
  { name: "method", type: "VARCHAR" },
  { name: "mass", type: "DOUBLE" },
  { name: "request_key", type: "VARCHAR" },
  { name: "attempts", type: "INTEGER" },
  { name: "error", type: "VARCHAR" },
  ...whoColumns(who)
]

const GAME_RESULT_PARQUET = (steps: ReadonlyArray<string>, conditions: ReadonlyArray<string>, primed: ReadonlyArray<string>, who: Who): Array<Col<(typeof GAME_RESULT_COLUMNS)[number]>> => [
  { name: "step", type: "INTEGER" },
  { name: "game", type: "ENUM", members: steps },
  { name: "agent_id", type: "INTEGER" },
  { name: "condition", type: "ENUM", members: conditions },
  { name: "primed_value", type: "ENUM", members: primed },
  { name: "match_id", type: "INTEGER" },
  { name: "member", type: "INTEGER" },
  { name: "status", type: "VARCHAR" },
  { name: "payoff", type: "DOUBLE" },
  { name: "details", type: "VARCHAR" },
  ...whoColumns(who)
]

/** What an export wrote: the answers and scores files, and for runs with games the moves and game results. */
interface ExportedFiles {
  readonly file: string
  readonly rows: number
  readonly scores: string
  readonly scoreRows: number
  readonly moves?: string
  readonly moveRows?: number
  readonly gameResults?: string
  readonly gameResultRows?: number
  /** Runs with a society step: `edges` and `society` (one row per agent per round). */
  readonly society?: ReadonlyArray<{ readonly file: string; readonly rows: number; readonly columns: ReadonlyArray<string> }>
}

/** `manifest.json` beside the exported files: where the rows come from. */
export interface ExportManifest {
  readonly runId: string
  readonly runDir: string
  readonly study: string | null
  readonly seed: number | null
  readonly agents: number | null
  readonly backend: string
  readonly model: string
  /** True only when every answer is the synthetic backend's (a run mixing it with an LLM is not synthetic as a whole: see `models`). */
  readonly synthetic: boolean
  /** "synthetic: theory model, not an LLM" when `synthetic`, else null. */
  readonly label: string | null
  /** A run of several backends: each one (`backend` and `model` above are the first's); rows name theirs in `backend` and `model`. */
  readonly models?: ReadonlyArray<BackendIdentity>
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
 * Writes `answers` (one row per agent × item), `scores` (one row per agent × subscale: the mean of the
 * subscale's answered items after reverse keying, and for MRAT-scored questionnaires that mean minus the
 * agent's mean over all items) and, for runs with games, `moves` and `game_results` into `outDir`, as csv,
 * jsonl or Parquet (typed columns, the distribution a list of doubles). Rows stream from the run store a page
 * at a time, so memory stays flat for any run size; each file is written under a temporary name and renamed
 * when complete. A progress line goes to stderr every 2 s for a long export.
 */
export const exportRun = (runDir: string, format: ExportFormat, outDir: string) =>
  Effect.gen(function* () {
    const dbFile = path.join(runDir, "run.sqlite")
    if (!fs.existsSync(dbFile)) return yield* new SpecFileError({ file: runDir, problems: ["run-dir: no run.sqlite here; is this a run folder?"] })
    const written = [EXPORT_RUN_FILE, "manifest.json", ...["answers", "scores", "moves", "game_results"].map((t) => `${t}.${format}`)]
    yield* refuseUnsafeOutput("--out", written.map((f) => path.join(outDir, f)), runInputs(runDir))
    const db = yield* openDatabase(dbFile, { mustExist: true })
    // A store found damaged while its rows are read is a store fault (its own exit code), not a problem of --out.
    const started = yield* Clock.currentTimeMillis
    const failed = (e: unknown) => {
      // Whatever this export already finished goes too: a folder never holds a new run.json beside old answers.
      removeWrittenSince(outDir, started)
      return storeErrorOf(runDir, faultOf(e) === "damaged" ? e : null) ??
        noSpaceOf(outDir, e) ??
        new SpecFileError({ file: outDir, problems: [`--out: export failed (${(e as Error).message})`] })
    }
    return yield* Effect.gen(function* () {
      const runManifest = getManifest(db)
      const spec = runManifest["spec"] as RunSpec | undefined
      const stepNames = spec?.steps.map(stepId) ?? []
      // Provenance on every row: who answered.
      const who = whoOf(spec, readStepArms(db))
      const first = who.backends[0]!
      const synthetic = who.backends.find((b) => b.synthetic)
      const allSynthetic = who.backends.every((b) => b.synthetic)
      yield* Effect.try({
        try: () => {
          fs.mkdirSync(outDir, { recursive: true })
          // What the rows do not carry (the plan, conditions, counters, matches): `report` reads the folder with it.
          const runFile = path.join(outDir, EXPORT_RUN_FILE)
          writeThroughPartial(runFile, (tmp) => fs.writeFileSync(tmp, JSON.stringify(exportRunFile(db, path.resolve(runDir))) + "\n"))
        },
        catch: failed
      })
      const total = readExpectedAnswerRows(db)
      const hasGames = spec?.steps.some((st) => st.kind === "game") ?? false
      const written: ExportedFiles = format === "parquet"
        ? yield* Effect.tryPromise({ try: () => exportParquet(db, spec, stepNames, outDir, total, who), catch: failed })
        : yield* Effect.try({
            try: () => {
              const answers = writeAnswersText(db, outDir, format, answerDimensions(db, stepNames), total, who)
              const scores = writeTable(outDir, "scores", format, SCORE_COLUMNS, (emit) => {
                for (const r of scoreRows(db, spec, who)) emit(r)
              })
              const moves = hasGames ? writeTable(outDir, "moves", format, MOVE_COLUMNS, (emit) => {
                    for (const r of moveRows(db, stepNames, format, who)) emit(r)
                  }) : null
              const results = hasGames ? writeTable(outDir, "game_results", format, GAME_RESULT_COLUMNS, (emit) => {
                    for (const r of gameResultRows(db, stepNames, format, who)) emit(r)
                  }) : null
              const society = hasSociety(spec)
                ? [
                    { ...writeTable(outDir, "edges", format, EDGE_COLUMNS, (emit) => {
                        const cols = edgeParquet(spec)
                        for (const b of edgeBatches(db, spec)) for (const r of batchRecords(cols, b)) emit(r)
                      }), columns: EDGE_COLUMNS },
                    { ...writeTable(outDir, "society", format, SOCIETY_COLUMNS, (emit) => {
                        const cols = societyParquet(db, spec)
                        for (const b of societyBatches(db, spec)) for (const r of batchRecords(cols, b)) emit(r)
                      }), columns: SOCIETY_COLUMNS }
                  ]
                : []
              return {
                file: answers.file,
                rows: answers.rows,
                scores: scores.file,
                scoreRows: scores.rows,
                society,
                ...(moves ? { moves: moves.file, moveRows: moves.rows } : {}),
                ...(results ? { gameResults: results.file, gameResultRows: results.rows } : {})
              }
            },
            catch: failed
          })
      return yield* Effect.try({
        try: () => {
          const tables = [
            { file: written.file, rows: written.rows, columns: ANSWER_COLUMNS },
            { file: written.scores, rows: written.scoreRows, columns: SCORE_COLUMNS },
            ...(written.moves !== undefined ? [{ file: written.moves, rows: written.moveRows ?? 0, columns: MOVE_COLUMNS }] : []),
            ...(written.gameResults !== undefined ? [{ file: written.gameResults, rows: written.gameResultRows ?? 0, columns: GAME_RESULT_COLUMNS }] : []),
            ...(written.society ?? [])
          ]
          const exportManifest: ExportManifest = {
            runId: String(runManifest["run_id"] ?? path.basename(path.resolve(runDir))),
            runDir,
            study: spec?.study.id ?? null,
            seed: spec?.seed ?? null,
            agents: spec?.agents ?? null,
            ...first,
            synthetic: allSynthetic,
            label: allSynthetic ? first.label : null,
            ...(who.backends.length > 1 ? { models: who.backends } : {}),
            status: typeof runManifest["status"] === "string" ? runManifest["status"] : null,
            createdAt: typeof runManifest["created_at"] === "string" ? runManifest["created_at"] : null,
            versions: { run: runManifest["versions"] ?? null, export: versions() },
            exportedAt: new Date().toISOString(),
            format,
            files: tables.map((t) => ({ file: path.basename(t.file), rows: t.rows, columns: t.columns })),
            notes: synthetic
              ? [
                  `${synthetic.label}: every answer ${who.backends.length > 1 ? `of model ${synthetic.model} ` : ""}was drawn from valuesim's theory model (Schwartz's circle plus noise), not from a language model; its scoring column says "synthetic" and dist is the theory model's answer distribution.`
                ]
              : []
          }
          const manifestFile = path.join(outDir, "manifest.json")
          writeThroughPartial(manifestFile, (tmp) => fs.writeFileSync(tmp, JSON.stringify(exportManifest, null, 2) + "\n"))
          return {
            manifest: manifestFile,
            backend: first.backend,
            model: first.model,
            ...(allSynthetic && first.label ? { label: first.label } : {}),
            ...(who.backends.length > 1 ? { models: who.backends.map((b) => b.model) } : {}),
            ...written
          }
        },
        catch: failed
      })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
  })
