import type { RequestRow, RunDb } from "./RunStore.js"
import { iterateSocietyRounds } from "./society.js"
import { decodeDist, formatDist, NO_VALUE, SCORING_MODES, scoringCode, sharedDistCode, type ScoringCode } from "./encoding.js"

/**
 * Typed reads of a run store. Every query of the run schema outside the writer lives here (or in plan.ts, and the
 * society's and branch's own tables in society.ts and branch.ts): one file over 500 lines on purpose, so the
 * schema's reads have one owner that a schema change is checked against.
 */

export interface ConditionRow {
  readonly idx: number
  readonly condition: string
  readonly valueCode: string | null
  readonly systemPrompt: string | null
}

/** The run's conditions in index order. */
export const readConditions = (db: RunDb): Array<ConditionRow> =>
  db
    .prepare(`SELECT condition_idx AS idx, condition, value_code AS valueCode, system_prompt AS systemPrompt FROM conditions ORDER BY condition_idx`)
    .all() as Array<ConditionRow>

/** Conditions with at least one agent, in index order, with their number of agents. */
export const readConditionSizes = (db: RunDb): Array<{ readonly idx: number; readonly condition: string; readonly agents: number }> =>
  db
    .prepare(
      `SELECT c.condition_idx AS idx, c.condition AS condition, count(ag.agent_id) AS agents
       FROM conditions c JOIN agents ag ON ag.condition_idx = c.condition_idx GROUP BY c.condition_idx ORDER BY c.condition_idx`
    )
    .all() as Array<{ idx: number; condition: string; agents: number }>

/**
 * The condition index of every agent, by agent id (ids run 0…N−1; in a connection scoped to one backend of a
 * several-backend run, `storeScope.ts`, its ids start higher and the entries below them are 0).
 */
export const readAgentConditions = (db: RunDb): Int32Array => {
  const n = ((db.prepare(`SELECT max(agent_id) FROM agents`).pluck().get() as number | null) ?? -1) + 1
  const out = new Int32Array(n)
  const stmt = db.prepare(`SELECT agent_id, condition_idx FROM agents`).raw()
  for (const [id, c] of stmt.iterate() as IterableIterator<[number, number]>) if (id < n) out[id] = c
  return out
}

export const readAgentCount = (db: RunDb): number => db.prepare(`SELECT count(*) FROM agents`).pluck().get() as number

export interface StepTotals {
  readonly step: number
  readonly unitsPending: number
  readonly unitsDone: number
  readonly unitsFailed: number
  readonly answers: number
  readonly failed: number
  readonly missing: number
  /** Answers given by a fallback sampled request because the shared logprob response stayed degraded. */
  readonly degraded: number
}

/** The writer's counters per step (kept in the transactions that write the rows they count: no scan). */
export const readStepTotals = (db: RunDb): Array<StepTotals> =>
  db
    .prepare(
      `SELECT step, units_pending AS unitsPending, units_done AS unitsDone, units_failed AS unitsFailed, answers, failed, missing, degraded
       FROM step_totals ORDER BY step`
    )
    .all() as Array<StepTotals>

/**
 * Units per step and block of `blockSize` consecutive agent ids (a run of several backends stores each backend's
 * agents as one block): how many, done and failed.
 */
export const readUnitStatesByBlock = (
  db: RunDb,
  blockSize: number
): Array<{ readonly step: number; readonly block: number; readonly total: number; readonly done: number; readonly failed: number }> =>
  db
    .prepare(
      `SELECT step, agent_id / CAST(? AS INTEGER) AS block, count(*) AS total, sum(state = 'done') AS done, sum(state = 'failed') AS failed
       FROM units GROUP BY step, block ORDER BY step, block`
    )
    .all(Math.max(1, Math.floor(blockSize))) as Array<{ step: number; block: number; total: number; done: number; failed: number }>

/** Finished agent-steps per condition index (a resumed dashboard starts from them). */
export const readDoneByCondition = (db: RunDb): Array<{ readonly c: number; readonly n: number }> =>
  db
    .prepare(`SELECT a.condition_idx AS c, count(*) AS n FROM units u JOIN agents a ON a.agent_id = u.agent_id WHERE u.state = 'done' GROUP BY a.condition_idx`)
    .all() as Array<{ c: number; n: number }>

/**
 * The most common error of the answers stored last (up to 200 agent-steps), or null: what a run whose answers
 * are mostly missing says it stopped for.
 */
export const commonAnswerError = (db: RunDb): string | null => {
  const counts = new Map<string, number>()
  for (const row of db.prepare(`SELECT errors FROM answers WHERE errors IS NOT NULL LIMIT 200`).pluck().all() as Array<string>) {
    for (const e of JSON.parse(row) as Array<string | null>) if (e !== null) counts.set(e, (counts.get(e) ?? 0) + 1)
  }
  let best: string | null = null
  for (const [e, n] of counts) if (best === null || n > counts.get(best)!) best = e
  return best
}

/** The whole run's counters. */
export const readRunTotals = (db: RunDb) => {
  const t = { pending: 0, done: 0, failed: 0, answers: 0, failedAnswers: 0, missing: 0, degraded: 0 }
  for (const s of readStepTotals(db)) {
    t.pending += s.unitsPending
    t.done += s.unitsDone
    t.failed += s.unitsFailed
    t.answers += s.answers
    t.failedAnswers += s.failed
    t.missing += s.missing
    t.degraded += s.degraded
  }
  return t
}

export interface PendingAgent {
  readonly agentId: number
  readonly conditionIdx: number
  /** The agent's unit failed before (it is redone). */
  readonly failedBefore: boolean
}

/** Up to `limit` agents after `after` whose unit for `step` is not done, in id order. */
export const readPendingAgents = (db: RunDb, step: number, after: number, limit: number): Array<PendingAgent> =>
  (
    db
      .prepare(
        `SELECT u.agent_id, a.condition_idx, u.state = 'failed' FROM units u JOIN agents a ON a.agent_id = u.agent_id
         WHERE u.step = ? AND u.state != 'done' AND u.agent_id > ? ORDER BY u.agent_id LIMIT ?`
      )
      .raw()
      .all(step, after, limit) as Array<[number, number, number]>
  ).map(([agentId, conditionIdx, failed]) => ({ agentId, conditionIdx, failedBefore: failed === 1 }))

/** A stored request as the engine reuses it: everything of its row but the key and body. */
export type StoredRequest = Omit<RequestRow, "key" | "body" | "thinking"> & { readonly thinking?: number | null }

/** A lookup of stored requests by content key. */
export const requestLookup = (db: RunDb): ((key: string) => StoredRequest | undefined) => {
  const finish = finishColumns(db)
  const stmt = db.prepare(
    `SELECT text, top_logprobs AS topLogprobs, prompt_tokens AS promptTokens, completion_tokens AS completionTokens,
            latency_ms AS latencyMs, attempts, ${finish} FROM requests WHERE key = ?`
  )
  return (key) => stmt.get(key) as StoredRequest | undefined
}

/** Stored requests: how many, the most attempts one took, and the attempts of all together. */
export const readRequestAttempts = (db: RunDb): { readonly max: number; readonly count: number; readonly total: number } =>
  db.prepare(`SELECT coalesce(max(attempts), 0) AS max, count(*) AS count, coalesce(sum(attempts), 0) AS total FROM requests`).get() as {
    max: number
    count: number
    total: number
  }

// ---------------------------------------------------------------------------------------------------------
// Answers

/** Number of items of a questionnaire step (0 for a game step). */
export const readItemCount = (db: RunDb, step: number): number =>
  db.prepare(`SELECT count(*) FROM items WHERE step = ?`).pluck().get(step) as number

/**
 * Answer rows a complete run holds (each questionnaire step's units × its items; a step of a `between` arm has
 * units for its own agents only): a progress total, read from the counters without a scan.
 */
export const readExpectedAnswerRows = (db: RunDb): number =>
  db
    .prepare(
      `SELECT coalesce(sum((t.units_pending + t.units_done + t.units_failed) * (SELECT count(*) FROM items i WHERE i.step = t.step)), 0) FROM step_totals t`
    )
    .pluck()
    .get() as number

/** The arm of each step that is one (table `step_arms`); empty for stores without arms, including older ones. */
export const readStepArms = (db: RunDb): Map<number, { readonly arm: string; readonly experiment: string }> => {
  const has = db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'step_arms'`).pluck().get() as number
  if (has === 0) return new Map()
  const rows = db.prepare(`SELECT step, arm, experiment FROM step_arms ORDER BY step`).all() as Array<{ step: number; arm: string; experiment: string }>
  return new Map(rows.map((r) => [r.step, { arm: r.arm, experiment: r.experiment }]))
}

export interface ItemRow {
  readonly step: number
  readonly itemIdx: number
  readonly itemId: string
  readonly subscale: string
  readonly reverse: boolean
}

export const readItems = (db: RunDb): Array<ItemRow> =>
  (db.prepare(`SELECT step, item_idx AS itemIdx, item_id AS itemId, subscale, reverse FROM items ORDER BY step, item_idx`).all() as Array<
    Omit<ItemRow, "reverse"> & { reverse: number }
  >).map((r) => ({ ...r, reverse: r.reverse === 1 }))

/**
 * One page of a step's stored answers in columns: agent r's answer to item i is entry `r·items + i`.
 * Distributions drawn from a shared request are filled in from the request.
 */
export interface AnswerColumns {
  readonly step: number
  readonly items: number
  /** Options per distribution (0 when the page has no distribution at all). */
  readonly k: number
  readonly rows: number
  readonly agentIds: Int32Array
  readonly conditionIdx: Int32Array
  /** NaN: no value. */
  readonly values: Float64Array
  /** 0 logprob, 1 sample. */
  readonly scoring: Uint8Array
  readonly attempts: Uint8Array
  /** Stored request id (0: none); `readRequestInfo` resolves them. */
  readonly requestIds: Uint32Array
  /** k per answer, NaN when the answer has no distribution. */
  readonly dists: Float64Array
  /** Per answer, null unless some answer of the page has one. */
  readonly raws: ReadonlyArray<string | null> | null
  readonly errors: ReadonlyArray<string | null> | null
}

interface StoredAnswerRow {
  agent_id: number
  condition_idx: number
  vals: Buffer
  scoring: Buffer
  dists: Buffer | null
  request_ids: Buffer | null
  attempts: Buffer | null
  raws: string | null
  errors: string | null
}

export interface RequestInfo {
  readonly key: string
  readonly text: string | null
  readonly promptTokens: number
  readonly completionTokens: number
  readonly latencyMs: number
  readonly dist: Buffer | null
  /** Option mass of its first token's logprobs (null: none measured, or a store from before the column). */
  readonly mass: number | null
  /** The server's finish_reason, and whether thinking was seen (1/0); null: not known (or a store from before the columns). */
  readonly finishReason: string | null
  readonly thinking: number | null
}

/** The finish_reason and thinking columns as read (NULL in stores from before they were added). */
const finishColumns = (db: RunDb): string => {
  const have = requestColumns(db)
  return `${have.includes("finish_reason") ? "finish_reason" : "NULL"} AS finishReason, ${have.includes("thinking") ? "thinking" : "NULL"} AS thinking`
}

/** Stored requests by id, memoised (a logprob run has a few hundred; a sample run one per answer, read once each). */
export const requestInfoReader = (db: RunDb) => {
  const stmt = db.prepare(
    `SELECT key, text, prompt_tokens AS promptTokens, completion_tokens AS completionTokens, latency_ms AS latencyMs, dist,
       ${hasMassColumn(db) ? "mass" : "NULL AS mass"}, ${finishColumns(db)} FROM requests WHERE id = ?`
  )
  const memo = new Map<number, RequestInfo>()
  return (id: number): RequestInfo | undefined => {
    const hit = memo.get(id)
    if (hit !== undefined) return hit
    const r = stmt.get(id) as RequestInfo | undefined
    if (r === undefined) return undefined
    if (memo.size >= 10_000) memo.clear()
    memo.set(id, r)
    return r
  }
}

const SYNTHETIC_CODE = scoringCode("synthetic")
const LOGPROB_CODE = scoringCode("logprob")
const CONSTRAINED_CODE = scoringCode("constrained")

/**
 * Whether every answer of the run is the synthetic backend's: a run of that backend alone. Its stores written
 * before the synthetic respondent recorded its own scoring code hold 0 or 1 there, so readers report the code
 * from the run's plan instead of trusting the stored one.
 */
const syntheticRun = (db: RunDb): boolean => {
  const row = db.prepare(`SELECT value FROM manifest WHERE key = 'spec'`).get() as { value: string } | undefined
  if (row === undefined) return false
  const spec = JSON.parse(row.value) as { readonly backend?: { readonly kind?: string }; readonly backends?: unknown }
  return spec.backends === undefined && spec.backend?.kind === "synthetic"
}

/**
 * Pages of a step's answers in agent order (`pageSize` agents each), as typed columns. Agents without a stored
 * row (not yet answered) are absent. Memory is one page. Readers that need the values only use `readValuePages`.
 */
export function* readAnswerPages(db: RunDb, step: number, pageSize = 4096): Generator<AnswerColumns> {
  const items = readItemCount(db, step)
  if (items === 0) return
  const synthetic = syntheticRun(db)
  const stmt = db.prepare(
    `SELECT an.agent_id, ag.condition_idx, an.vals, an.scoring, an.dists, an.request_ids, an.attempts, an.raws, an.errors
     FROM answers an JOIN agents ag ON ag.agent_id = an.agent_id
     WHERE an.step = ? AND an.agent_id > ? ORDER BY an.agent_id LIMIT ?`
  )
  const info = requestInfoReader(db)
  let after = -1
  while (true) {
    const rows = stmt.all(step, after, pageSize) as Array<StoredAnswerRow>
    if (rows.length === 0) return
    after = rows[rows.length - 1]!.agent_id
    let k = 0
    for (const r of rows) {
      if (r.dists !== null) k = r.dists.byteLength / (3 * items)
      else if (k === 0 && r.request_ids !== null) {
        for (let i = 0; i < items && k === 0; i++) {
          const id = r.request_ids.readUInt32LE(4 * i)
          const d = id === 0 ? null : (info(id)?.dist ?? null)
          if (d !== null) k = d.byteLength / 3
        }
      }
      if (k > 0) break
    }
    const n = rows.length * items
    const page = {
      step,
      items,
      k,
      rows: rows.length,
      agentIds: new Int32Array(rows.length),
      conditionIdx: new Int32Array(rows.length),
      values: new Float64Array(n),
      scoring: new Uint8Array(n),
      attempts: new Uint8Array(n),
      requestIds: new Uint32Array(n),
      dists: new Float64Array(n * k).fill(NaN),
      raws: rows.some((r) => r.raws !== null) ? new Array<string | null>(n).fill(null) : null,
      errors: rows.some((r) => r.errors !== null) ? new Array<string | null>(n).fill(null) : null
    }
    rows.forEach((r, a) => {
      page.agentIds[a] = r.agent_id
      page.conditionIdx[a] = r.condition_idx
      const from = a * items
      for (let i = 0; i < items; i++) {
        const v = r.vals.readInt16LE(2 * i)
        page.values[from + i] = v === NO_VALUE ? NaN : v
        page.scoring[from + i] = synthetic ? SYNTHETIC_CODE : r.scoring[i]!
        if (r.attempts !== null) page.attempts[from + i] = r.attempts[i]!
        const id = r.request_ids === null ? 0 : r.request_ids.readUInt32LE(4 * i)
        page.requestIds[from + i] = id
        if (k === 0) continue
        if (r.dists !== null && decodeDist(r.dists, i, k, page.dists, (from + i) * k)) continue
        if (id !== 0 && sharedDistCode(r.scoring[i]!)) {
          const d = info(id)?.dist
          if (d) decodeDist(d, 0, k, page.dists, (from + i) * k)
        }
      }
      if (r.raws !== null) (JSON.parse(r.raws) as Array<string | null>).forEach((x, i) => (page.raws![from + i] = x))
      if (r.errors !== null) (JSON.parse(r.errors) as Array<string | null>).forEach((x, i) => (page.errors![from + i] = x))
    })
    yield page
    if (rows.length < pageSize) return
  }
}

/** One page of a step's answer values only (no distributions, requests or texts): what scoring needs. */
export interface ValueColumns {
  readonly items: number
  readonly rows: number
  readonly agentIds: Int32Array
  readonly conditionIdx: Int32Array
  /** Agent r's answer to item i at `r·items + i`; NaN: no value. */
  readonly values: Float64Array
}

/**
 * Pages of a step's answer values in agent order: one stored row per agent, decoding only its value column, so
 * the report reads N rows (not N × items answers) and touches no distribution. Memory is one page.
 */
export function* readValuePages(db: RunDb, step: number, pageSize = 8192): Generator<ValueColumns> {
  const items = readItemCount(db, step)
  if (items === 0) return
  const stmt = db
    .prepare(
      `SELECT an.agent_id, ag.condition_idx, an.vals FROM answers an JOIN agents ag ON ag.agent_id = an.agent_id
       WHERE an.step = ? AND an.agent_id > ? ORDER BY an.agent_id LIMIT ?`
    )
    .raw()
  let after = -1
  while (true) {
    const rows = stmt.all(step, after, pageSize) as Array<[number, number, Buffer]>
    if (rows.length === 0) return
    after = rows[rows.length - 1]![0]
    const page = { items, rows: rows.length, agentIds: new Int32Array(rows.length), conditionIdx: new Int32Array(rows.length), values: new Float64Array(rows.length * items) }
    for (let a = 0; a < rows.length; a++) {
      const [id, c, vals] = rows[a]!
      page.agentIds[a] = id
      page.conditionIdx[a] = c
      const v16 = new Int16Array(vals.buffer, vals.byteOffset, vals.byteLength >> 1)
      const aligned = (vals.byteOffset & 1) === 0
      const from = a * items
      for (let i = 0; i < items; i++) {
        const v = aligned ? v16[i]! : vals.readInt16LE(2 * i)
        page.values[from + i] = v === NO_VALUE ? NaN : v
      }
    }
    yield page
    if (rows.length < pageSize) return
  }
}

/**
 * Streams one step's answer values, one agent at a time in agent order: `values[i]` is the answer to item i
 * (null when missing). Agents without stored answers are not visited. The array is reused between calls.
 */
export const forEachRespondent = (
  db: RunDb,
  step: number,
  nItems: number,
  visit: (agentId: number, conditionIdx: number, values: Array<number | null>) => void
): void => {
  const values: Array<number | null> = new Array<number | null>(nItems).fill(null)
  for (const page of readValuePages(db, step)) {
    for (let a = 0; a < page.rows; a++) {
      for (let i = 0; i < nItems; i++) {
        const v = i < page.items ? page.values[a * page.items + i]! : NaN
        values[i] = Number.isNaN(v) ? null : v
      }
      visit(page.agentIds[a]!, page.conditionIdx[a]!, values)
    }
  }
}

/** One stored answer as a record (the export's row; slow path for small readers and tests). */
export interface AnswerRecord {
  readonly step: number
  readonly agentId: number
  readonly conditionIdx: number
  readonly itemIdx: number
  readonly value: number | null
  readonly scoring: string
  /** The text said: the answer's own, or else its request's reply. */
  readonly raw: string | null
  /** The distribution, 6 decimals, comma-separated, lowest option first. */
  readonly dist: string | null
  readonly requestKey: string | null
  readonly promptTokens: number | null
  readonly completionTokens: number | null
  readonly latencyMs: number | null
  readonly attempts: number
  readonly error: string | null
}

/** Every stored answer of every step (or of `onlyStep`), ordered by step, agent and item. */
export function* readAnswerRecords(db: RunDb, onlyStep?: number): Generator<AnswerRecord> {
  const steps = onlyStep === undefined
    ? (db.prepare(`SELECT DISTINCT step FROM items ORDER BY step`).pluck().all() as Array<number>)
    : [onlyStep]
  const info = requestInfoReader(db)
  for (const step of steps) {
    for (const p of readAnswerPages(db, step)) {
      for (let a = 0; a < p.rows; a++) {
        for (let i = 0; i < p.items; i++) {
          const n = a * p.items + i
          const req = p.requestIds[n] === 0 ? undefined : info(p.requestIds[n]!)
          const own = p.raws?.[n] ?? null
          yield {
            step,
            agentId: p.agentIds[a]!,
            conditionIdx: p.conditionIdx[a]!,
            itemIdx: i,
            value: Number.isNaN(p.values[n]!) ? null : p.values[n]!,
            scoring: SCORING_MODES[p.scoring[n] as ScoringCode] ?? "sample",
            raw: own ?? req?.text ?? null,
            dist: p.k === 0 || Number.isNaN(p.dists[n * p.k]!) ? null : formatDist(p.dists, n * p.k, p.k),
            requestKey: req?.key ?? null,
            promptTokens: req?.promptTokens ?? null,
            completionTokens: req?.completionTokens ?? null,
            latencyMs: req?.latencyMs ?? null,
            attempts: p.attempts[n]!,
            error: p.errors?.[n] ?? null
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Games

export interface PendingMatch {
  readonly matchId: number
  readonly members: ReadonlyArray<number>
  readonly failedBefore: boolean
}

export const readPendingMatches = (db: RunDb, step: number): Array<PendingMatch> =>
  (db.prepare(`SELECT match_id, members, state FROM matches WHERE step = ? AND state != 'done' ORDER BY match_id`).all(step) as Array<{
    match_id: number
    members: string
    state: string
  }>).map((r) => ({ matchId: r.match_id, members: JSON.parse(r.members) as Array<number>, failedBefore: r.state === "failed" }))

export const readMatchStates = (db: RunDb, step: number): Array<{ readonly state: string; readonly outcome: string | null }> =>
  db.prepare(`SELECT state, outcome FROM matches WHERE step = ?`).all(step) as Array<{ state: string; outcome: string | null }>

export const readUnmatchedCount = (db: RunDb, step: number): number =>
  db.prepare(`SELECT count(*) FROM game_results WHERE step = ? AND status = 'unmatched'`).pluck().get(step) as number

export interface GameMoveRow {
  readonly match_id: number
  readonly round: number
  readonly agent_id: number
  readonly decision: string
  readonly value: number | null
  readonly label: string | null
  readonly condition: string
}

/** A game step's moves with the deciding agent's condition, in match and move order. */
export const readGameMoves = (db: RunDb, step: number): Array<GameMoveRow> =>
  db
    .prepare(
      `SELECT mv.match_id, mv.round, mv.agent_id, mv.decision, mv.value, mv.label, c.condition
       FROM moves mv JOIN agents a ON a.agent_id = mv.agent_id JOIN conditions c ON c.condition_idx = a.condition_idx
       WHERE mv.step = ? ORDER BY mv.match_id, mv.seq`
    )
    .all(step) as Array<GameMoveRow>

/** A game step's mean decision value per round and decision, with how many moves made it (moves without a value left out). */
export const readRoundMeans = (db: RunDb, step: number): Array<{ readonly round: number; readonly decision: string; readonly mean: number; readonly n: number }> =>
  db
    .prepare(`SELECT round, decision, avg(value) AS mean, count(*) AS n FROM moves WHERE step = ? AND value IS NOT NULL GROUP BY round, decision ORDER BY decision, round`)
    .all(step) as Array<{ round: number; decision: string; mean: number; n: number }>

/** Each agent's mean decision value per decision on a game step (decisions without a value left out). */
export const readMoveMeans = (db: RunDb, step: number): Array<{ readonly agent_id: number; readonly decision: string; readonly mean: number }> =>
  db
    .prepare(`SELECT agent_id, decision, avg(value) AS mean FROM moves WHERE step = ? AND value IS NOT NULL GROUP BY agent_id, decision`)
    .all(step) as Array<{ agent_id: number; decision: string; mean: number }>

export interface MoveExportRow {
  readonly step: number
  readonly match_id: number
  readonly round: number
  readonly seq: number
  readonly agent_id: number
  readonly condition: string
  readonly primed_value: string | null
  readonly member: number
  readonly role: string
  readonly decision: string
  readonly value: number | null
  readonly label: string | null
  readonly scoring: string
  readonly raw: string | null
  readonly dist: string | null
  readonly request_key: string | null
  readonly attempts: number
  readonly error: string | null
  /** The option mass of the move's shared request (null: none measured, or a store without the column). */
  readonly mass: number | null
}

/** Every move of every game step with its agent's condition, ordered by step, match and move. */
export const iterateMoves = (db: RunDb): IterableIterator<MoveExportRow> =>
  db
    .prepare(
      `SELECT mv.step, mv.match_id, mv.round, mv.seq, mv.agent_id, c.condition, c.value_code AS primed_value, mv.member, mv.role,
              mv.decision, mv.value, mv.label, CASE WHEN @synthetic THEN 'synthetic' ELSE mv.scoring END AS scoring, coalesce(mv.raw, r.text) AS raw, mv.dist, mv.request_key, mv.attempts, mv.error,
              ${hasMassColumn(db) ? "r.mass" : "NULL"} AS mass
       FROM moves mv JOIN agents ag ON ag.agent_id = mv.agent_id JOIN conditions c ON c.condition_idx = ag.condition_idx
       LEFT JOIN requests r ON r.key = mv.request_key
       ORDER BY mv.step, mv.match_id, mv.seq`
    )
    .iterate({ synthetic: syntheticRun(db) ? 1 : 0 }) as IterableIterator<MoveExportRow>

export interface GameResultExportRow {
  readonly step: number
  readonly agent_id: number
  readonly condition: string
  readonly primed_value: string | null
  readonly match_id: number | null
  readonly member: number | null
  readonly status: string
  readonly payoff: number | null
  readonly details: string | null
}

export const iterateGameResults = (db: RunDb): IterableIterator<GameResultExportRow> =>
  db
    .prepare(
      `SELECT g.step, g.agent_id, c.condition, c.value_code AS primed_value, g.match_id, g.member, g.status, g.payoff, g.details
       FROM game_results g JOIN agents ag ON ag.agent_id = g.agent_id JOIN conditions c ON c.condition_idx = ag.condition_idx
       ORDER BY g.step, g.agent_id`
    )
    .iterate() as IterableIterator<GameResultExportRow>

/** Game payoffs summed per match (a check that a game's payoffs add up). */
export const readMatchPayoffTotals = (db: RunDb): Array<{ readonly matchId: number; readonly total: number }> =>
  db.prepare(`SELECT match_id AS matchId, sum(payoff) AS total FROM game_results GROUP BY step, match_id`).all() as Array<{ matchId: number; total: number }>

export const readMatches = (db: RunDb): Array<{ readonly step: number; readonly matchId: number; readonly members: ReadonlyArray<number>; readonly state: string }> =>
  (db.prepare(`SELECT step, match_id, members, state FROM matches ORDER BY step, match_id`).all() as Array<{ step: number; match_id: number; members: string; state: string }>).map(
    (r) => ({ step: r.step, matchId: r.match_id, members: JSON.parse(r.members) as Array<number>, state: r.state })
  )

/** A game's moves as stored, in step, match and move order (tests and small readers). */
export const readMoves = (db: RunDb) =>
  db
    .prepare(`SELECT step, match_id AS matchId, seq, round, agent_id AS agentId, member, decision, value, scoring, attempts, error FROM moves ORDER BY step, match_id, seq`)
    .all() as Array<{ step: number; matchId: number; seq: number; round: number; agentId: number; member: number; decision: string; value: number | null; scoring: string; attempts: number; error: string | null }>

/** Sum and count of the answered values per item and condition of one step (agents in no row are absent). */
export const readItemSumsByCondition = (
  db: RunDb,
  step: number
): Array<{ readonly itemIdx: number; readonly conditionIdx: number; readonly sum: number; readonly count: number }> => {
  const acc = new Map<number, { itemIdx: number; conditionIdx: number; sum: number; count: number }>()
  for (const page of readValuePages(db, step)) {
    for (let a = 0; a < page.rows; a++) {
      const c = page.conditionIdx[a]!
      for (let i = 0; i < page.items; i++) {
        const v = page.values[a * page.items + i]!
        if (Number.isNaN(v)) continue
        const key = c * page.items + i
        const e = acc.get(key) ?? { itemIdx: i, conditionIdx: c, sum: 0, count: 0 }
        e.sum += v
        e.count++
        acc.set(key, e)
      }
    }
  }
  return [...acc.values()]
}

/** The detail of the last event of a kind (e.g. the summary logged at `end`), or undefined. */
export const readLastEvent = (db: RunDb, kind: string): unknown =>
  ((d) => (d === undefined ? undefined : (JSON.parse(d) as unknown)))(
    db.prepare(`SELECT detail FROM events WHERE kind = ? ORDER BY id DESC LIMIT 1`).pluck().get(kind) as string | undefined
  )

// ---------------------------------------------------------------------------------------------------------
// Scoring methods and option mass

/** The columns of the store's `requests` table (stores written before `mass`, `finish_reason` and `thinking` lack them). */
export const requestColumns = (db: RunDb): ReadonlyArray<string> =>
  db.prepare(`SELECT name FROM pragma_table_info('requests')`).pluck().all() as Array<string>

/** Whether the store's `requests` table has the `mass` column (stores written before it was added lack it). */
export const hasMassColumn = (db: RunDb): boolean => requestColumns(db).includes("mass")

/** Option mass of every stored request that has one, by request id (empty for stores without the column). */
export const readRequestMasses = (db: RunDb): ReadonlyMap<number, number> =>
  hasMassColumn(db)
    ? new Map((db.prepare(`SELECT id, mass FROM requests WHERE mass IS NOT NULL`).all() as Array<{ id: number; mass: number }>).map((r) => [r.id, r.mass]))
    : new Map()

/**
 * Answers per scoring method (questionnaire answers and game moves), and `lowMass`: answers drawn from a shared
 * distribution whose option mass is below `threshold`. One pass over the stored answer rows.
 */
export const readMethodTotals = (db: RunDb, threshold: number): { readonly methods: Record<string, number>; readonly lowMass: number } => {
  const masses = readRequestMasses(db)
  const synthetic = syntheticRun(db)
  const counts = new Array<number>(SCORING_MODES.length).fill(0)
  let lowMass = 0
  const rows = db.prepare(`SELECT scoring, request_ids FROM answers`).iterate() as Iterable<{ scoring: Buffer; request_ids: Buffer | null }>
  for (const r of rows) {
    for (let i = 0; i < r.scoring.length; i++) {
      const code = synthetic ? SYNTHETIC_CODE : r.scoring[i]!
      counts[code] = (counts[code] ?? 0) + 1
      // Only distributions drawn from logprobs have an option mass of their own (a stated one that took over keeps
      // the mass of the logprob reply it replaced, which it was not drawn from).
      if (r.request_ids === null || (code !== LOGPROB_CODE && code !== CONSTRAINED_CODE)) continue
      const mass = masses.get(r.request_ids.readUInt32LE(4 * i))
      if (mass !== undefined && mass < threshold) lowMass++
    }
  }
  const methods: Record<string, number> = {}
  SCORING_MODES.forEach((m, code) => {
    if (counts[code]! > 0) methods[m] = counts[code]!
  })
  for (const g of db.prepare(`SELECT scoring, count(*) AS n FROM moves GROUP BY scoring`).all() as Array<{ scoring: string; n: number }>) {
    methods[g.scoring] = (methods[g.scoring] ?? 0) + g.n
  }
  // Game moves drawn from a shared logprob (or constrained) distribution of low option mass.
  if (hasMassColumn(db) && !synthetic) {
    lowMass += db.prepare(
      `SELECT count(*) FROM moves mv JOIN requests r ON r.key = mv.request_key WHERE mv.scoring IN ('logprob', 'constrained') AND r.mass < ?`
    ).pluck().get(threshold) as number
  }
  const society = readSocietyMethods(db, threshold, synthetic)
  for (const [m, n] of Object.entries(society.methods)) methods[m] = (methods[m] ?? 0) + n
  return { methods, lowMass: lowMass + society.lowMass }
}

/**
 * Society decisions per scoring method, and those drawn from a shared distribution of option mass below
 * `threshold`. A round without asked states was answered by the theory model (synthetic) or by each agent on its own
 * (sample); states of stores made before methods were recorded are not counted.
 */
const readSocietyMethods = (db: RunDb, threshold: number, synthetic: boolean) => {
  const methods: Record<string, number> = {}
  let lowMass = 0
  const add = (m: string, n: number) => void (methods[m] = (methods[m] ?? 0) + n)
  for (const r of iterateSocietyRounds(db)) {
    if (r.asked === null) {
      if (r.decisions > 0) add(synthetic ? "synthetic" : "sample", r.decisions)
      continue
    }
    for (const e of r.asked) {
      if (e.agents === undefined) continue
      const m = e.method ?? "logprob"
      add(m, e.agents)
      if ((m === "logprob" || m === "constrained") && typeof e.mass === "number" && e.mass < threshold) lowMass += e.agents
    }
  }
  return { methods, lowMass }
}

/** Every society state (round × condition × observation) whose option mass was measured, as mass rows. */
const readSocietyMassRows = (db: RunDb): Array<MassRow> => {
  const rows: Array<MassRow> = []
  for (const r of iterateSocietyRounds(db)) {
    for (const e of r.asked ?? []) {
      if (typeof e.mass !== "number") continue
      rows.push({ step: r.step, itemId: `round ${r.round}, observation ${e.observation}`, condition: e.condition, mass: e.mass, method: e.method ?? "logprob", answers: e.agents ?? 0 })
    }
  }
  return rows
}

/** One shared question (condition × item of a questionnaire step) whose first-token option mass was measured. */
export interface MassRow {
  readonly step: number
  readonly itemId: string
  readonly condition: string
  readonly mass: number
  /** The method its agents' answers were drawn by (`stated` when the mass was below the floor, …). */
  readonly method: string
  readonly answers: number
}

/**
 * Every shared question with a measured option mass, lowest mass first: which condition × item it was, its mass,
 * and how its answers were scored. Empty for stores without the mass column.
 */
export const readMassRows = (db: RunDb): ReadonlyArray<MassRow> => {
  const masses = readRequestMasses(db)
  if (masses.size === 0) return []
  const conditions = new Map((db.prepare(`SELECT condition_idx, condition FROM conditions`).all() as Array<{ condition_idx: number; condition: string }>).map((c) => [c.condition_idx, c.condition]))
  const items = new Map((db.prepare(`SELECT step, item_idx, item_id FROM items`).all() as Array<{ step: number; item_idx: number; item_id: string }>).map((i) => [`${i.step}:${i.item_idx}`, i.item_id]))
  const found = new Map<string, { step: number; itemId: string; condition: string; mass: number; method: string; answers: number }>()
  const rows = db.prepare(
    `SELECT an.step, an.scoring, an.request_ids, ag.condition_idx FROM answers an JOIN agents ag ON ag.agent_id = an.agent_id WHERE an.request_ids IS NOT NULL`
  ).iterate() as Iterable<{ step: number; scoring: Buffer; request_ids: Buffer; condition_idx: number }>
  for (const r of rows) {
    for (let i = 0; i < r.scoring.length; i++) {
      const mass = masses.get(r.request_ids.readUInt32LE(4 * i))
      if (mass === undefined) continue
      const id = `${r.step}:${r.condition_idx}:${i}`
      const known = found.get(id)
      if (known !== undefined) known.answers++
      else {
        found.set(id, {
          step: r.step,
          itemId: items.get(`${r.step}:${i}`) ?? String(i),
          condition: conditions.get(r.condition_idx) ?? String(r.condition_idx),
          mass,
          method: SCORING_MODES[r.scoring[i] as ScoringCode] ?? "sample",
          answers: 1
        })
      }
    }
  }
  // Game decisions: a shared request is one decision of one round asked in one condition.
  const moves = db.prepare(
    `SELECT mv.step, mv.decision, mv.round, mv.scoring AS method, c.condition, r.mass, count(*) AS answers
     FROM moves mv JOIN requests r ON r.key = mv.request_key JOIN agents ag ON ag.agent_id = mv.agent_id
     JOIN conditions c ON c.condition_idx = ag.condition_idx
     WHERE r.mass IS NOT NULL GROUP BY mv.step, mv.request_key, mv.scoring, c.condition`
  ).all() as Array<{ step: number; decision: string; round: number; method: string; condition: string; mass: number; answers: number }>
  const gameRows = moves.map((m) => ({ step: m.step, itemId: `${m.decision}, round ${m.round}`, condition: m.condition, mass: m.mass, method: m.method, answers: m.answers }))
  return [...found.values(), ...gameRows, ...readSocietyMassRows(db)].sort((a, b) => a.mass - b.mass || a.step - b.step || a.itemId.localeCompare(b.itemId))
}
