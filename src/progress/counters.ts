/**
 * Live counters of a run, mutated in place by the engine (cheap, synchronous) and read by whoever reports
 * progress. Plain data: no Effect, no I/O.
 */
export interface RunCounters {
  unitsTotal: number
  unitsAtStart: number
  requests: number
  cacheHits: number
  /** Distinct requests answered by the response cache across runs (each also counts in cacheHits). */
  fromCache: number
  retries: number
  promptTokens: number
  completionTokens: number
  failures: Record<string, number>
}

export const makeCounters = (unitsTotal: number, unitsAtStart: number): RunCounters => ({
  unitsTotal,
  unitsAtStart,
  requests: 0,
  cacheHits: 0,
  fromCache: 0,
  retries: 0,
  promptTokens: 0,
  completionTokens: 0,
  failures: {}
})

export interface ProgressView {
  readonly unitsDone: number
  readonly unitsFailed: number
  readonly answers: number
  readonly elapsedMs: number
}

/** One plain progress line (non-TTY output): where the run is, its rate and its ETA. */
export const progressLine = (c: RunCounters, v: ProgressView): string => {
  const done = c.unitsAtStart + v.unitsDone + v.unitsFailed
  const pct = c.unitsTotal === 0 ? 100 : (100 * done) / c.unitsTotal
  const secs = v.elapsedMs / 1000
  const rate = secs > 0 ? v.answers / secs : 0
  const unitRate = secs > 0 ? (v.unitsDone + v.unitsFailed) / secs : 0
  const eta = unitRate > 0 ? (c.unitsTotal - done) / unitRate : NaN
  const fails = Object.entries(c.failures).map(([k, n]) => `${k}=${n}`).join(" ")
  return (
    `[valuesim] ${done}/${c.unitsTotal} agent-steps (${pct.toFixed(1)}%) · ${v.answers} answers · ${rate.toFixed(0)} answers/s` +
    (c.requests > 0 || c.cacheHits > 0 ? ` · ${c.requests} requests, ${c.cacheHits} shared/cached, ${c.retries} retries` : "") +
    (v.unitsFailed > 0 ? ` · ${v.unitsFailed} agent-steps failed` : "") +
    (fails ? ` · failures ${fails}` : "") +
    (Number.isFinite(eta) ? ` · ETA ${formatDuration(eta)}` : "")
  )
}

export const formatDuration = (seconds: number): string => {
  if (seconds < 60) return `${seconds.toFixed(0)}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`
}
