import type { LiveStats, Panel, Snapshot } from "../../src/ui/state.js"

const LABELS = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"] as const

/** Points on the value circle, in label order (angle 36° apart), slightly perturbed for the run. */
const circle = (radius: number, jitter: number): Array<readonly [number, number]> =>
  LABELS.map((_, i) => {
    const a = (2 * Math.PI * i) / LABELS.length
    return [radius * Math.cos(a) + jitter * Math.sin(3 * i), radius * Math.sin(a) + jitter * Math.cos(5 * i)] as const
  })

export const liveStats: LiveStats = {
  respondents: 143,
  labels: LABELS,
  hierarchy: [0.62, -0.35, 0.12, -0.08, -1.21, 0.44, 0.05, -0.72, 0.91, 0.78],
  humanHierarchy: { title: "ESS Sweden", means: [0.55, -0.41, 0.2, -0.15, -1.05, 0.31, -0.02, -0.6, 0.86, 0.7] },
  map: { run: circle(1, 0.12), human: circle(1, 0) },
  sv: { title: "ESS Sweden", value: 0.8712, lower: 0.8481, upper: 0.8934 },
  conditionMeans: [
    { condition: "baseline", n: 40, means: [0.6, -0.3, 0.1, -0.1, -1.2, 0.4, 0.0, -0.7, 0.9, 0.8] },
    { condition: "individualist", n: 36, means: [0.9, 0.2, 0.4, 0.3, -0.8, 0.1, -0.4, -1.1, 0.5, 0.4] },
    { condition: "collectivist", n: 35, means: [0.2, -0.7, -0.2, -0.3, -1.3, 0.8, 0.5, -0.2, 1.1, 0.9] },
    { condition: "traditional", n: 32, means: [0.1, -0.8, -0.4, -0.2, -1.0, 0.9, 0.7, 0.3, 1.0, 0.5] }
  ],
  games: [
    { id: "public-goods", metric: "contribution rate", byRound: [0.62, 0.58, 0.51, 0.47, 0.4, 0.36, null, 0.31], human: 0.47 },
    { id: "ultimatum", metric: "mean offer share", byRound: [0.41, 0.43, 0.44], human: null }
  ]
}

export const makeSnapshot = (overrides: Partial<Snapshot> = {}): Snapshot => ({
  run: {
    runId: "r-20250301-7f3a",
    study: "default-study",
    backend: "synthetic",
    model: "circumplex-v1",
    synthetic: true,
    label: "synthetic: theory model, not an LLM",
    agents: 200,
    runDir: "runs/r-20250301-7f3a",
    command: "valuesim"
  },
  status: "running",
  startedAtMs: 1_000_000,
  nowMs: 1_245_000,
  steps: [
    { id: "pvq-rr", kind: "questionnaire", unitsTotal: 200, unitsDone: 160, unitsFailed: 0 },
    { id: "public-goods", kind: "game", unitsTotal: 200, unitsDone: 84, unitsFailed: 0 }
  ],
  conditions: [
    { condition: "baseline", agents: 50, unitsDone: 70 },
    { condition: "individualist", agents: 50, unitsDone: 61 },
    { condition: "collectivist", agents: 50, unitsDone: 58 },
    { condition: "traditional", agents: 50, unitsDone: 55 }
  ],
  totals: {
    unitsTotal: 400,
    unitsDone: 244,
    unitsFailed: 0,
    answers: 9_840,
    requests: 0,
    cached: 0,
    inFlight: 0,
    retries: 0,
    failuresByReason: {},
    promptTokens: 0,
    completionTokens: 0
  },
  rates: { answersPerSec: 40.2, tokensPerSec: 0 },
  etaSeconds: 155,
  costUsd: 0,
  stats: liveStats,
  ui: { panel: "run", width: 100, height: 40 },
  message: null,
  ...overrides
})

/** A synthetic run mid-way, with statistics. */
export const syntheticSnapshot = (panel: Panel = "run", width = 100, height = 40): Snapshot =>
  makeSnapshot({ ui: { panel, width, height } })

/** A live OpenAI run with retries, failures and a cost; no statistics yet. */
export const openAiSnapshot = (panel: Panel = "run", width = 100, height = 40): Snapshot =>
  makeSnapshot({
    run: {
      runId: "r-20250302-c001",
      study: "values-by-culture",
      backend: "openai",
      model: "gpt-4o-mini",
      synthetic: false,
      label: null,
      agents: 1_200,
      runDir: "runs/r-20250302-c001",
      command: "valuesim"
    },
    startedAtMs: 0,
    nowMs: 1_834_000,
    steps: [
      { id: "pvq-rr", kind: "questionnaire", unitsTotal: 1_200, unitsDone: 731, unitsFailed: 6 },
      { id: "ultimatum", kind: "game", unitsTotal: 1_200, unitsDone: 12, unitsFailed: 0 }
    ],
    conditions: ["se", "us", "jp", "br", "ng", "in", "de", "cn"].map((c, i) => ({
      condition: `country-${c}`,
      agents: 150,
      unitsDone: 90 + 3 * i
    })),
    totals: {
      unitsTotal: 2_400,
      unitsDone: 743,
      unitsFailed: 6,
      answers: 41_820,
      requests: 44_310,
      cached: 1_204,
      inFlight: 32,
      retries: 17,
      failuresByReason: { timeout: 2, rate_limit: 3, unparseable: 1 },
      promptTokens: 12_400_000,
      completionTokens: 830_000
    },
    rates: { answersPerSec: 23.4, tokensPerSec: 7_250 },
    etaSeconds: 3_723,
    costUsd: 2.3817,
    stats: null,
    ui: { panel, width, height },
    message: null
  })
