/**
 * The pure reducer of the dashboard (STYLE.md §2.11): folds the engine's RunEvents into a Snapshot. No I/O and no
 * clock: every time comes from an event's `atMs`. Never mutates its inputs; an event that changes nothing returns
 * the snapshot it was given.
 */
import type { Panel, Prices, RateSample, RunEvent, Snapshot, StepProgress } from "./state.js"

/** How far back the rate window reaches, in milliseconds. */
export const RATE_WINDOW_MS = 10_000

/**
 * Samples closer together than this are merged (the newest replaces the last), so a chatty engine cannot grow the
 * window past about RATE_WINDOW_MS / MIN_SAMPLE_GAP_MS + 2 samples.
 */
export const MIN_SAMPLE_GAP_MS = 100

const FINISHED: ReadonlyArray<Snapshot["status"]> = ["complete", "incomplete", "interrupted"]

const isFinished = (s: Snapshot): boolean => FINISHED.includes(s.status)

/** The snapshot before any event: nothing known, the run panel, the terminal's size. */
export const initialSnapshot = (width: number, height: number): Snapshot => ({
  run: { runId: "", study: "", backend: "", model: "", synthetic: false, label: null, agents: 0, runDir: "", command: "valuesim" },
  status: "running",
  startedAtMs: 0,
  nowMs: 0,
  steps: [],
  conditions: [],
  totals: {
    unitsTotal: 0,
    unitsDone: 0,
    unitsFailed: 0,
    answers: 0,
    requests: 0,
    cached: 0,
    inFlight: 0,
    retries: 0,
    failuresByReason: {},
    promptTokens: 0,
    completionTokens: 0
  },
  rates: { answersPerSec: 0, tokensPerSec: 0 },
  etaSeconds: null,
  costUsd: null,
  stats: null,
  ui: { panel: "run", width, height },
  message: null,
  prices: null,
  window: []
})

const sumUnits = (steps: ReadonlyArray<StepProgress>) => {
  let unitsTotal = 0
  let unitsDone = 0
  let unitsFailed = 0
  for (const st of steps) {
    unitsTotal += st.unitsTotal
    unitsDone += st.unitsDone
    unitsFailed += st.unitsFailed
  }
  return { unitsTotal, unitsDone, unitsFailed }
}

const costOf = (prices: Prices | null | undefined, promptTokens: number, completionTokens: number): number | null =>
  prices ? (promptTokens * prices.inputPerMillion + completionTokens * prices.outputPerMillion) / 1e6 : null

/**
 * Appends a sample and drops the old ones. The window keeps every sample newer than `atMs − RATE_WINDOW_MS` plus
 * the newest one at or before that cutoff as an anchor, so that with events at least every 10 s the rates always
 * span about 10 s (and with sparse events they still span two samples). A sample that goes back in time (a new
 * engine clock) restarts the window.
 */
const slide = (window: ReadonlyArray<RateSample>, sample: RateSample): ReadonlyArray<RateSample> => {
  const last = window[window.length - 1]
  if (last !== undefined && sample.atMs < last.atMs) return [sample]
  const beforeLast = window[window.length - 2]
  const merged =
    last !== undefined && beforeLast !== undefined && sample.atMs - beforeLast.atMs < MIN_SAMPLE_GAP_MS
      ? [...window.slice(0, -1), sample]
      : [...window, sample]
  const cutoff = sample.atMs - RATE_WINDOW_MS
  let anchor = 0
  for (let i = 0; i < merged.length; i++) if ((merged[i] as RateSample).atMs <= cutoff) anchor = i
  return anchor === 0 ? merged : merged.slice(anchor)
}

/** Per-second rates between the oldest and newest samples of the window; 0 when it spans no time. */
const ratesOf = (window: ReadonlyArray<RateSample>) => {
  const first = window[0]
  const last = window[window.length - 1]
  if (first === undefined || last === undefined || last.atMs <= first.atMs) return { answers: 0, tokens: 0, units: 0 }
  const secs = (last.atMs - first.atMs) / 1000
  const rate = (a: number, b: number) => Math.max(0, (b - a) / secs)
  return {
    answers: rate(first.answers, last.answers),
    tokens: rate(first.tokens, last.tokens),
    units: rate(first.units, last.units)
  }
}

const nextPanel = (panel: Panel): Panel => (panel === "run" ? "stats" : "run")

/**
 * Folds one event into the snapshot:
 * - Started: the run, its steps and conditions, the start time and the prices; status running; the rate window
 *   restarts.
 * - Progress: the cumulative counters become the totals (units summed over the steps); the rates are taken over the
 *   window of the last ~10 s of Progress samples; ETA = remaining units / unit rate (null at rate 0, 0 when nothing
 *   remains); cost = (prompt · input + completion · output price) / 1e6, null without prices.
 * - Stats replaces the live statistics; Paused toggles running ⇄ paused (ignored while stopping); Stopping and
 *   Finished set the status and the message, Finished also turns the rates into the whole run's averages (a run
 *   over before its first progress samples would otherwise end at 0/s); Panel sets the panel, or with "next"
 *   cycles run → stats → run (help goes back to run), or with "help-toggle" opens help or goes back from it to
 *   run; Resize sets the size.
 * Once finished the status is final: later events still update data (counters, stats, panel, size) but Paused and
 * Stopping are ignored and no event changes the status.
 */
export const reduce = (s: Snapshot, e: RunEvent): Snapshot => {
  switch (e._tag) {
    case "Started": {
      const units = sumUnits(e.steps)
      return {
        ...s,
        run: e.run,
        status: isFinished(s) ? s.status : "running",
        startedAtMs: e.atMs,
        nowMs: e.atMs,
        steps: e.steps,
        conditions: e.conditions,
        totals: { ...s.totals, ...units },
        rates: { answersPerSec: 0, tokensPerSec: 0 },
        etaSeconds: null,
        costUsd: costOf(e.prices, s.totals.promptTokens, s.totals.completionTokens),
        prices: e.prices,
        window: [],
        message: isFinished(s) ? s.message : null
      }
    }
    case "Progress": {
      const { _tag, atMs, steps, conditions, ...counts } = e
      const units = sumUnits(steps)
      // Paused: nothing is sent, so no rate and no ETA; the rate window starts afresh when sending resumes.
      if (s.status === "paused") {
        return {
          ...s,
          nowMs: e.atMs,
          steps: e.steps,
          conditions: e.conditions,
          totals: { ...units, ...counts },
          rates: { answersPerSec: 0, tokensPerSec: 0 },
          etaSeconds: null,
          costUsd: costOf(s.prices, e.promptTokens, e.completionTokens),
          window: []
        }
      }
      const window = slide(s.window ?? [], {
        atMs: e.atMs,
        answers: e.answers,
        tokens: e.promptTokens + e.completionTokens,
        units: units.unitsDone + units.unitsFailed
      })
      const rates = ratesOf(window)
      const remaining = units.unitsTotal - units.unitsDone - units.unitsFailed
      return {
        ...s,
        nowMs: e.atMs,
        steps: e.steps,
        conditions: e.conditions,
        totals: { ...units, ...counts },
        rates: { answersPerSec: rates.answers, tokensPerSec: rates.tokens },
        etaSeconds: remaining <= 0 ? 0 : rates.units > 0 ? remaining / rates.units : null,
        costUsd: costOf(s.prices, e.promptTokens, e.completionTokens),
        window
      }
    }
    case "Stats":
      return { ...s, stats: e.stats }
    case "Society":
      return { ...s, society: e.lines }
    case "Experiments":
      return { ...s, experiments: e.lines }
    case "Paused":
      if (isFinished(s) || s.status === "stopping") return s
      return {
        ...s,
        status: e.paused ? "paused" : "running",
        nowMs: e.atMs,
        ...(e.paused ? { rates: { answersPerSec: 0, tokensPerSec: 0 }, etaSeconds: null } : {}),
        window: []
      }
    case "Stopping":
      if (isFinished(s)) return s
      return { ...s, status: "stopping", message: e.message, nowMs: e.atMs }
    case "Finished": {
      if (isFinished(s)) return s
      const secs = s.startedAtMs > 0 ? (e.atMs - s.startedAtMs) / 1000 : 0
      const rates =
        secs > 0
          ? { answersPerSec: s.totals.answers / secs, tokensPerSec: (s.totals.promptTokens + s.totals.completionTokens) / secs }
          : s.rates
      return { ...s, status: e.status, message: e.message, nowMs: e.atMs, rates }
    }
    case "Panel":
      return {
        ...s,
        ui: {
          ...s.ui,
          panel: e.panel === "next" ? nextPanel(s.ui.panel) : e.panel === "help-toggle" ? (s.ui.panel === "help" ? "run" : "help") : e.panel
        }
      }
    case "Resize":
      return { ...s, ui: { ...s.ui, width: e.width, height: e.height } }
  }
}
