/**
 * The binary column formats of the `answers` table and `requests.dist` (schema version 3). Pure: no I/O.
 */

/**
 * Scoring methods by their stored code: drawn from a request's logprobs, parsed from a sampled reply, drawn from
 * the theory model by the synthetic respondent (which writes code 2 itself; the export only reads it), drawn
 * from stated probabilities (3), drawn from logprobs of a constrained answer (4). Codes 3 and 4 were added
 * after stores of this version were first written; older stores simply hold none of them.
 */
export const SCORING_MODES = ["logprob", "sample", "synthetic", "stated", "constrained"] as const
export type ScoringCode = 0 | 1 | 2 | 3 | 4
export const scoringCode = (mode: string): ScoringCode => {
  const code = SCORING_MODES.indexOf(mode as (typeof SCORING_MODES)[number])
  return code < 0 ? 1 : (code as ScoringCode)
}

/** Whether answers of this code are drawn from a shared request's distribution, stored once on the request. */
export const sharedDistCode = (code: number): boolean => code === 0 || code === 3 || code === 4

/** Stored scale values are int16; this one means "no value". */
export const NO_VALUE = -32768
/** Probabilities are stored as round(p·10⁶) in three bytes; this first triple means "no distribution". */
const NO_DIST = 0xffffff

/** Distribution as exported: probabilities rounded to 6 decimals, comma-separated, lowest option first. */
export const formatDist = (d: ArrayLike<number>, from = 0, k = d.length): string => {
  let s = ""
  for (let j = 0; j < k; j++) s += (j === 0 ? "" : ",") + Math.round(d[from + j]! * 1e6) / 1e6
  return s
}

const putDist = (out: Buffer, at: number, d: ArrayLike<number>, from: number, k: number) => {
  for (let j = 0; j < k; j++) out.writeUIntLE(Math.min(1e6, Math.max(0, Math.round(d[from + j]! * 1e6))), at + 3 * j, 3)
}

/** One distribution (k probabilities from `from`) in the stored form. */
export const encodeDist = (d: ArrayLike<number>, from: number, k: number): Buffer => {
  const out = Buffer.allocUnsafe(3 * k)
  putDist(out, 0, d, from, k)
  return out
}

/** Decodes distribution `index` of a stored dist column into `out[at …+k]`; false (and NaN written) when there is none. */
export const decodeDist = (blob: Uint8Array, index: number, k: number, out: Float64Array, at: number): boolean => {
  const base = index * 3 * k
  const first = blob[base]! | (blob[base + 1]! << 8) | (blob[base + 2]! << 16)
  if (first === NO_DIST) {
    for (let j = 0; j < k; j++) out[at + j] = NaN
    return false
  }
  for (let j = 0; j < k; j++) {
    const p = base + 3 * j
    out[at + j] = (blob[p]! | (blob[p + 1]! << 8) | (blob[p + 2]! << 16)) / 1e6
  }
  return true
}

export interface EncodedRow {
  readonly vals: Buffer
  readonly scoring: Buffer
  readonly dists: Buffer | null
  readonly requestIds: Buffer | null
  readonly attempts: Buffer | null
  readonly raws: string | null
  readonly errors: string | null
  readonly failed: number
  readonly missing: number
}

interface PageColumns {
  readonly items: number
  readonly k: number
  readonly values: Float64Array
  readonly scoring: Uint8Array
  readonly dists: Float64Array | null
  readonly attempts: Uint8Array | null
  readonly raws: ReadonlyArray<string | null> | null
  readonly errors: ReadonlyArray<string | null> | null
}

/**
 * Agent `a`'s row of a page. Distributions of answers drawn from a request are stored on the request, not here
 * (`requestIds[n] ≠ 0` under logprob scoring).
 */
export const encodeAnswerRow = (p: PageColumns, a: number, requestIds: Uint32Array | null): EncodedRow => {
  const { items, k } = p
  const from = a * items
  const vals = Buffer.allocUnsafe(2 * items)
  const scoring = Buffer.allocUnsafe(items)
  let missing = 0
  let failed = 0
  let inlineDists = false
  let anyRequest = false
  let anyAttempt = false
  let anyRaw = false
  let anyError = false
  for (let i = 0; i < items; i++) {
    const n = from + i
    const v = p.values[n]!
    if (Number.isNaN(v)) missing++
    vals.writeInt16LE(Number.isNaN(v) ? NO_VALUE : v, 2 * i)
    scoring[i] = p.scoring[n]!
    const hasRequest = requestIds !== null && requestIds[n] !== 0
    if (hasRequest) anyRequest = true
    if (p.dists !== null && !Number.isNaN(p.dists[n * k]!) && !(hasRequest && sharedDistCode(p.scoring[n]!))) inlineDists = true
    if (p.attempts !== null && p.attempts[n] !== 0) anyAttempt = true
    if (p.raws !== null && p.raws[n] !== null && p.raws[n] !== undefined) anyRaw = true
    if (p.errors !== null && p.errors[n] !== null && p.errors[n] !== undefined) {
      anyError = true
      failed++
    }
  }
  let dists: Buffer | null = null
  if (inlineDists) {
    dists = Buffer.allocUnsafe(3 * k * items)
    for (let i = 0; i < items; i++) {
      const n = from + i
      const hasRequest = requestIds !== null && requestIds[n] !== 0
      const at = 3 * k * i
      if (Number.isNaN(p.dists![n * k]!) || (hasRequest && sharedDistCode(p.scoring[n]!))) {
        dists.fill(0, at, at + 3 * k)
        dists.writeUIntLE(NO_DIST, at, 3)
      } else putDist(dists, at, p.dists!, n * k, k)
    }
  }
  let ids: Buffer | null = null
  if (anyRequest) {
    ids = Buffer.allocUnsafe(4 * items)
    for (let i = 0; i < items; i++) ids.writeUInt32LE(requestIds![from + i]!, 4 * i)
  }
  let attempts: Buffer | null = null
  if (anyAttempt) {
    attempts = Buffer.allocUnsafe(items)
    for (let i = 0; i < items; i++) attempts[i] = Math.min(255, p.attempts![from + i]!)
  }
  const slice = (xs: ReadonlyArray<string | null>) => {
    const out: Array<string | null> = []
    for (let i = 0; i < items; i++) out.push(xs[from + i] ?? null)
    return JSON.stringify(out)
  }
  return {
    vals,
    scoring,
    dists,
    requestIds: ids,
    attempts,
    raws: anyRaw ? slice(p.raws!) : null,
    errors: anyError ? slice(p.errors!) : null,
    failed,
    missing
  }
}

/** Answers, failed and missing answers of a stored row (for the counters when a failed unit is redone). */
export const answerCounts = (vals: Uint8Array, errors: string | null) => {
  const view = Buffer.from(vals.buffer, vals.byteOffset, vals.byteLength)
  const answers = vals.byteLength / 2
  let missing = 0
  for (let i = 0; i < answers; i++) if (view.readInt16LE(2 * i) === NO_VALUE) missing++
  const failed = errors === null ? 0 : (JSON.parse(errors) as Array<string | null>).filter((e) => e !== null).length
  return { answers, failed, missing }
}
