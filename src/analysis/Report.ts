/**
 * The analysis of one run against human baselines: the object `valuesim report --format json` prints, and
 * what the text and HTML renderers draw. Plain data (numbers, strings, arrays), JSON-serialisable; NaN is
 * never stored (a statistic that cannot be computed is `null`).
 */
import type { MdsMethod } from "../stats/mds.js"
import type { BackendIdentity } from "../config/RunSpec.js"
import type { HumanCeiling } from "./ceiling.js"
import type { GameAnalysis } from "./games.js"
import type { SocietyAnalysis } from "../society/report.js"
import type { ExperimentAnalysis, PanelAnalysis } from "../experiments/analysis.js"
import type { PairedRuns } from "../experiments/pairing.js"

/** Where a human figure came from, copied from its baseline file. */
export interface BaselineRef {
  readonly file: string
  readonly id: string
  readonly title: string
  readonly instrument: string
  readonly population: string
  readonly n: number | null
  readonly source: string
  readonly obtained: "published" | "computed-from-public-data"
  readonly confidence: "high" | "medium" | "low"
}

/** Paper 000 appendix G: bootstrap iterations of the statistic, their mean, a percentile CI and a t-test vs 0. */
export interface BootstrapSummary {
  readonly iterations: number
  /** Respondents per resample actually drawn. */
  readonly sampleSize: number
  /** "own": the sample's own size when below the paper's 500; "paper": 500 whatever the sample's size. */
  readonly sizeRule: "own" | "paper"
  readonly mean: number | null
  readonly sd: number | null
  readonly ci: { readonly level: number; readonly lower: number | null; readonly upper: number | null }
  readonly t: number | null
  readonly df: number
  /** Two-sided p of the one-sample t-test of the iterations against 0. */
  readonly p: number | null
  /** Benjamini–Hochberg adjusted p across all tests of the report. */
  readonly pAdjusted: number | null
}

export interface HierarchyComparison {
  readonly baseline: BaselineRef
  /** The labels both hierarchies have, in the run's order. */
  readonly labels: ReadonlyArray<string>
  /** true: both are centered means; false: both are raw means (each on its own instrument's scale). */
  readonly centered: boolean
  /** The human means for `labels`. */
  readonly human: ReadonlyArray<number>
  /** The run's means for `labels`. */
  readonly model: ReadonlyArray<number>
  /** Spearman ρ between the two rankings. */
  readonly spearman: number | null
  /** Set when the population's shares come from the same data as this baseline: the comparison is circular. */
  readonly circularity: string | null
}

/** The chance level of an S_V: its distribution when the run's value labels are permuted. */
export interface ChanceLevel {
  readonly permutations: number
  /** Mean S_V of the permuted structures. */
  readonly mean: number | null
  /** Their 95th percentile. */
  readonly q95: number | null
  /** (1 + #{permuted S_V ≥ observed}) / (1 + permutations). */
  readonly p: number | null
  /** Benjamini–Hochberg adjusted over the report's (or table's) chance-level tests; significance stars follow it. */
  readonly pAdjusted: number | null
}

export interface StructureComparison {
  readonly baseline: BaselineRef
  /** true when both matrices are of centered scores. */
  readonly centered: boolean
  /** The human correlation matrix, rows and columns in `ValueStructure.labels` order. */
  readonly humanMatrix: ReadonlyArray<ReadonlyArray<number>>
  /** How the maps were made: the paper's ratio SMACOF (default) or classical MDS. */
  readonly mdsMethod: MdsMethod
  /** S_V and the disparity on the whole run (every respondent once). */
  readonly sv: number | null
  readonly disparity: number | null
  /** The chance level of `sv` (run's value labels permuted); null when S_V is undefined. */
  readonly null: ChanceLevel | null
  /** The human ceiling: S_V of this baseline with the other human samples of its instrument family, and where `sv` sits between chance and it. */
  readonly ceiling: HumanCeiling
  /** Paper 000 appendix G: bootstrap mean, CI and its one-sample t-test against 0 (the paper's test). */
  readonly bootstrap: BootstrapSummary
  /** Both 2-D maps after Procrustes, rows in `ValueStructure.labels` order: the human one centred and scaled, the run's aligned to it. */
  readonly aligned: { readonly human: ReadonlyArray<ReadonlyArray<number>>; readonly model: ReadonlyArray<ReadonlyArray<number>> } | null
  /** Set when the population's shares come from the same data as this baseline. */
  readonly circularity: string | null
}

export interface ConditionBreakdown {
  readonly condition: string
  readonly primedValue: string | null
  readonly agents: number
  /** Mean centered (or raw, for non-MRAT questionnaires) score per label of the step. */
  readonly means: ReadonlyArray<number | null>
}

export interface ScaleReliability {
  readonly subscale: string
  readonly items: number
  readonly alpha: number | null
}

/** The value questionnaire's results: hierarchy, C⁽ⱽ⁾, its MDS map, S_V per baseline. */
export interface ValueStructure {
  readonly step: number
  readonly questionnaire: string
  /** Value codes in the questionnaire's order (circle order for the shipped instruments). */
  readonly labels: ReadonlyArray<string>
  /** Respondents with every value scored. */
  readonly respondents: number
  /** Mean centered score per label (the value hierarchy), and the raw means. */
  readonly hierarchy: { readonly centered: ReadonlyArray<number | null>; readonly raw: ReadonlyArray<number | null> }
  readonly hierarchyComparisons: ReadonlyArray<HierarchyComparison>
  /** C⁽ⱽ⁾ of centered scores (and of raw scores), rows and columns in `labels` order; null cells mean undefined r. */
  readonly correlations: { readonly centered: ReadonlyArray<ReadonlyArray<number | null>>; readonly raw: ReadonlyArray<ReadonlyArray<number | null>> }
  /** The run's own 2-D map of the centered C⁽ⱽ⁾ by `method` (null when C⁽ⱽ⁾ has undefined cells); eigenvalues: of its classical start. */
  readonly mds: { readonly method: MdsMethod; readonly coordinates: ReadonlyArray<ReadonlyArray<number>>; readonly eigenvalues: ReadonlyArray<number> } | null
  readonly structureComparisons: ReadonlyArray<StructureComparison>
  readonly conditions: ReadonlyArray<ConditionBreakdown>
  readonly reliability: ReadonlyArray<ScaleReliability>
  /** Why there is no S_V when some values' centered scores do not vary over the respondents (src/domain/noVariance.ts); absent otherwise. */
  readonly noVariance?: string
}

/** A non-value questionnaire of the run (a behaviour measure). */
export interface BehaviourMeasure {
  readonly step: number
  readonly questionnaire: string
  /** Behaviour keys (the questionnaire's subscales). */
  readonly behaviours: ReadonlyArray<string>
  readonly respondents: number
  readonly means: ReadonlyArray<number | null>
  readonly conditions: ReadonlyArray<ConditionBreakdown>
  readonly reliability: ReadonlyArray<ScaleReliability>
}

export interface BehaviourComparison {
  readonly baseline: BaselineRef
  readonly measure: string
  /** The value and behaviour keys of the compared cells. */
  readonly values: ReadonlyArray<string>
  readonly behaviours: ReadonlyArray<string>
  readonly humanMatrix: ReadonlyArray<ReadonlyArray<number | null>>
  readonly modelMatrix: ReadonlyArray<ReadonlyArray<number | null>>
  /** Cells finite in both matrices. */
  readonly cells: number
  readonly sb: number | null
  /** The chance level of `sb` (the run's value labels permuted), as `null` beside S_V; null when S_B is undefined. */
  readonly null: ChanceLevel | null
  readonly bootstrap: BootstrapSummary
}

export interface MissingBaseline {
  readonly measure: string
  readonly source: string
  readonly reason: string
  readonly usedIn: string
  /** Whether this run measured that behaviour (its questionnaire's subscales include the measure's keys). */
  readonly measuredByRun: boolean
}

export interface Report {
  readonly reportVersion: 1
  readonly run: BackendIdentity & {
    readonly runId: string
    readonly runDir: string
    readonly study: string
    readonly status: string
    readonly agents: number
    readonly seed: number
    readonly population: { readonly id: string; readonly strategy: string }
  }
  readonly settings: {
    readonly bootstrapIterations: number
    readonly bootstrapSampleSize: number
    /** "own": samples below bootstrapSampleSize are resampled at their own size; "paper": always bootstrapSampleSize. */
    readonly bootstrapSizeRule: "own" | "paper"
    readonly ciLevel: number
    readonly seed: number
    /** How the value maps behind S_V were made. */
    readonly mdsMethod: MdsMethod
    /** Label permutations behind each chance level. */
    readonly permutations: number
  }
  readonly valueStructure: ValueStructure | null
  readonly behaviour: {
    readonly measures: ReadonlyArray<BehaviourMeasure>
    /** Value (centered) × behaviour correlations over all behaviour keys of the run. */
    readonly valueBehaviour: {
      readonly values: ReadonlyArray<string>
      readonly behaviours: ReadonlyArray<string>
      readonly matrix: ReadonlyArray<ReadonlyArray<number | null>>
    } | null
    readonly comparisons: ReadonlyArray<BehaviourComparison>
    readonly missingBaselines: ReadonlyArray<MissingBaseline>
  }
  /** Outcomes of each game step, beside the human figures for the same game and metric. */
  readonly games: ReadonlyArray<GameAnalysis>
  /** Society steps: the network, statistics by round and condition, human figures beside them (absent in older reports). */
  readonly societies?: ReadonlyArray<SocietyAnalysis>
  /** The run's experiments (steps with arms): per outcome the arm effect, its CI, p, BH-adjusted p and effect by condition. Absent without arms. */
  readonly experiments?: ReadonlyArray<ExperimentAnalysis>
  /** Questionnaires asked again after a treatment: the change per outcome, overall, per condition and per agent. Absent without panels. */
  readonly panels?: ReadonlyArray<PanelAnalysis>
  /** `report --paired-with PARENT`: this run and another of the same agents, outcome by outcome, agent by agent. */
  readonly pairedWith?: PairedRuns
  /** Baseline files read, and those that matched nothing in this run. */
  readonly baselines: { readonly used: ReadonlyArray<BaselineRef>; readonly unmatched: ReadonlyArray<BaselineRef> }
  /** Plain-language caveats (synthetic backend, incomplete run, small samples, low-confidence baselines). */
  readonly notes: ReadonlyArray<string>
  /**
   * A run of several backends: each backend's own report (its agents only), in the study's order; the fields
   * above are the first backend's. Absent for a run of one backend.
   */
  readonly models?: ReadonlyArray<ModelReport>
  /** How the answers were scored and how much option mass their shared distributions had. Absent: reports made before. */
  readonly scoring?: ScoringReport
}

/** The scoring methods compared: answers per method, and the shared questions whose option mass was low. */
export interface ScoringReport {
  /** Option mass below which a shared question is flagged (the run's, or `report --mass-threshold`). */
  readonly threshold: number
  /** One row per scoring method the run used. */
  readonly methods: ReadonlyArray<{
    readonly method: string
    readonly answers: number
    /** Shared questions (condition × item) answered by this method with a measured option mass. */
    readonly questions: number
    /** Mean option mass over those questions (null: none measured). */
    readonly meanMass: number | null
    /** Its answers drawn from a distribution with mass below the threshold. */
    readonly lowMassAnswers: number
  }>
  /** Answers drawn from a distribution with option mass below the threshold (the run summary's `lowMass`). */
  readonly lowMass: number
  /** The shared questions (step, item, condition) below the threshold, lowest mass first, and how they were then scored. */
  readonly flagged: ReadonlyArray<{ readonly step: number; readonly itemId: string; readonly condition: string; readonly mass: number; readonly method: string; readonly answers: number }>
}

/** One backend of a several-backend run, analysed alone. */
export interface ModelReport {
  /** The backend's model as results name it (made unique when two backends share a model). */
  readonly name: string
  readonly report: Report
}
