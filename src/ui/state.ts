/**
 * The dashboard's state (STYLE.md §1.11): the engine publishes events, a pure reducer folds them into a
 * snapshot, the UI renders snapshots. Nothing here does I/O or reads a clock: times arrive inside events.
 */
import type { BackendIdentity } from "../config/RunSpec.js"

export type Panel = "run" | "stats" | "help"

export interface StepProgress {
  readonly id: string
  readonly kind: "questionnaire" | "game" | "society"
  readonly unitsTotal: number
  readonly unitsDone: number
  readonly unitsFailed: number
}

export interface ConditionProgress {
  readonly condition: string
  readonly agents: number
  /** Agent-steps of this condition finished (done or failed). */
  readonly unitsDone: number
}

/** Live statistics of the population so far (from the live accumulator; null until enough respondents). */
export interface LiveStats {
  /** Respondents with every value scored so far. */
  readonly respondents: number
  readonly labels: ReadonlyArray<string>
  /** Mean centered score per label (the run's hierarchy), and the human hierarchy over the same labels. */
  readonly hierarchy: ReadonlyArray<number | null>
  readonly humanHierarchy: { readonly title: string; readonly means: ReadonlyArray<number> } | null
  /** The run's 2-D MDS map aligned onto the human one (Procrustes), and the human map; rows in label order. */
  readonly map: { readonly run: ReadonlyArray<readonly [number, number]>; readonly human: ReadonlyArray<readonly [number, number]> } | null
  /** S_V against the human structure, with a bootstrap percentile CI over a reservoir sample of respondents. */
  readonly sv: { readonly title: string; readonly value: number; readonly lower: number | null; readonly upper: number | null } | null
  /** Labels whose scores do not vary over the respondents so far (then there is no S_V: src/domain/noVariance.ts). */
  readonly constantValues?: ReadonlyArray<string>
  /** Mean centered score per label for each condition. */
  readonly conditionMeans: ReadonlyArray<{ readonly condition: string; readonly n: number; readonly means: ReadonlyArray<number | null> }>
  /** Games: a headline metric per round so far, beside the human figure when there is one. */
  readonly games: ReadonlyArray<{
    readonly id: string
    readonly metric: string
    readonly byRound: ReadonlyArray<number | null>
    readonly human: number | null
  }>
}

/** The engine's cumulative counters, as sampled by a Progress event and shown in the snapshot's totals. */
export interface RunCounts {
  readonly answers: number
  readonly requests: number
  readonly cached: number
  readonly inFlight: number
  readonly retries: number
  readonly failuresByReason: Readonly<Record<string, number>>
  readonly promptTokens: number
  readonly completionTokens: number
  /** Answers drawn from a shared distribution whose option mass is below the run's threshold (absent: none seen). */
  readonly lowMass?: number
}

export interface Snapshot {
  readonly run: BackendIdentity & {
    readonly runId: string
    readonly study: string
    readonly agents: number
    readonly runDir: string
    /** How to start valuesim again where the user is (`valuesim`, `npx valuesim`, …), for the hints shown. */
    readonly command: string
  }
  readonly status: "running" | "paused" | "stopping" | "complete" | "incomplete" | "interrupted"
  readonly startedAtMs: number
  readonly nowMs: number
  readonly steps: ReadonlyArray<StepProgress>
  readonly conditions: ReadonlyArray<ConditionProgress>
  readonly totals: RunCounts & {
    readonly unitsTotal: number
    readonly unitsDone: number
    readonly unitsFailed: number
  }
  /** Rates over a sliding window of recent progress events (per second). */
  readonly rates: { readonly answersPerSec: number; readonly tokensPerSec: number }
  /** Seconds to go at the current rate; null when unknown. */
  readonly etaSeconds: number | null
  /** Estimated cost so far in US dollars; 0 for the synthetic backend and local models, null when no price is known. */
  readonly costUsd: number | null
  readonly stats: LiveStats | null
  /** A society step's live lines (headline statistic by round and condition, human figure, lattice map); null without one. */
  readonly society?: ReadonlyArray<string> | null
  /** Experiments: each one's arms side by side, arm means and the live effect with its interval; null without one. */
  readonly experiments?: ReadonlyArray<string> | null
  readonly ui: { readonly panel: Panel; readonly width: number; readonly height: number }
  /** A line for the user (e.g. how to resume after `q`). */
  readonly message: string | null
  /** The prices from Started, kept for the cost estimate (reducer bookkeeping; the UI need not read it). */
  readonly prices?: Prices | null
  /** Recent Progress samples behind `rates` and `etaSeconds`, oldest first (reducer bookkeeping). */
  readonly window?: ReadonlyArray<RateSample>
}

/** One Progress sample in the rate window: cumulative answers, tokens (prompt + completion) and finished units. */
export interface RateSample {
  readonly atMs: number
  readonly answers: number
  readonly tokens: number
  readonly units: number
}

/** Prices per million tokens, for the cost estimate. */
export interface Prices {
  readonly inputPerMillion: number
  readonly outputPerMillion: number
}

export type RunEvent =
  | {
      readonly _tag: "Started"
      readonly atMs: number
      readonly run: Snapshot["run"]
      readonly steps: ReadonlyArray<StepProgress>
      readonly conditions: ReadonlyArray<ConditionProgress>
      /** null: no price known (cost shown as unknown); zero for synthetic and local backends. */
      readonly prices: Prices | null
    }
  | ({
      /** A sample of the engine's counters; cumulative values, not increments. */
      readonly _tag: "Progress"
      readonly atMs: number
      readonly steps: ReadonlyArray<StepProgress>
      readonly conditions: ReadonlyArray<ConditionProgress>
    } & RunCounts)
  | { readonly _tag: "Stats"; readonly stats: LiveStats }
  | { readonly _tag: "Society"; readonly lines: ReadonlyArray<string> }
  | { readonly _tag: "Experiments"; readonly lines: ReadonlyArray<string> }
  | { readonly _tag: "Paused"; readonly paused: boolean; readonly atMs: number }
  | { readonly _tag: "Stopping"; readonly atMs: number; readonly message: string }
  | { readonly _tag: "Finished"; readonly atMs: number; readonly status: "complete" | "incomplete" | "interrupted"; readonly message: string }
  | { readonly _tag: "Panel"; readonly panel: Panel | "next" | "help-toggle" }
  | { readonly _tag: "Resize"; readonly width: number; readonly height: number }
