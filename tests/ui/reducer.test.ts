import { describe, expect, it } from "vitest"
import { initialSnapshot, reduce } from "../../src/ui/reducer.js"
import type { LiveStats, Prices, RunEvent, Snapshot, StepProgress } from "../../src/ui/state.js"

const run: Snapshot["run"] = {
  runId: "r1",
  study: "study",
  backend: "openai",
  model: "gpt-x",
  synthetic: false,
  label: null,
  agents: 10,
  runDir: "/tmp/r1",
  command: "valuesim"
}

const steps = (doneA: number, doneB: number, failed = 0): ReadonlyArray<StepProgress> => [
  { id: "pvq", kind: "questionnaire", unitsTotal: 100, unitsDone: doneA, unitsFailed: failed },
  { id: "dictator", kind: "game", unitsTotal: 50, unitsDone: doneB, unitsFailed: 0 }
]

const started = (atMs: number, prices: Prices | null = { inputPerMillion: 2, outputPerMillion: 8 }): RunEvent => ({
  _tag: "Started",
  atMs,
  run,
  steps: steps(0, 0),
  conditions: [{ condition: "base", agents: 10, unitsDone: 0 }],
  prices
})

const progress = (
  atMs: number,
  o: { answers?: number; units?: number; failed?: number; prompt?: number; completion?: number } = {}
): RunEvent => ({
  _tag: "Progress",
  atMs,
  steps: steps(o.units ?? 0, 0, o.failed ?? 0),
  conditions: [{ condition: "base", agents: 10, unitsDone: o.units ?? 0 }],
  answers: o.answers ?? 0,
  requests: 7,
  cached: 3,
  inFlight: 2,
  retries: 1,
  failuresByReason: { Timeout: 1 },
  promptTokens: o.prompt ?? 0,
  completionTokens: o.completion ?? 0
})

const fold = (events: ReadonlyArray<RunEvent>, s: Snapshot = initialSnapshot(80, 24)): Snapshot =>
  events.reduce(reduce, s)

const stats: LiveStats = {
  respondents: 3,
  labels: ["SD", "ST"],
  hierarchy: [0.1, -0.1],
  humanHierarchy: null,
  map: null,
  sv: null,
  conditionMeans: [],
  games: []
}

describe("initialSnapshot", () => {
  it("starts empty on the run panel at the terminal's size", () => {
    const s = initialSnapshot(100, 30)
    expect(s.ui).toEqual({ panel: "run", width: 100, height: 30 })
    expect(s.totals.unitsTotal).toBe(0)
    expect(s.etaSeconds).toBeNull()
    expect(s.costUsd).toBeNull()
    expect(s.stats).toBeNull()
    expect(s.window).toEqual([])
  })
})

describe("reduce", () => {
  it("Started sets the run, steps, conditions, times, status and prices", () => {
    const s = fold([{ _tag: "Panel", panel: "stats" }, started(5_000)])
    expect(s.run).toEqual(run)
    expect(s.status).toBe("running")
    expect(s.startedAtMs).toBe(5_000)
    expect(s.nowMs).toBe(5_000)
    expect(s.steps).toEqual(steps(0, 0))
    expect(s.conditions).toEqual([{ condition: "base", agents: 10, unitsDone: 0 }])
    expect(s.totals.unitsTotal).toBe(150)
    expect(s.prices).toEqual({ inputPerMillion: 2, outputPerMillion: 8 })
    expect(s.costUsd).toBe(0)
    expect(s.ui.panel).toBe("stats")
  })

  it("Progress copies the cumulative counters and sums units over the steps", () => {
    const s = fold([started(0), progress(1_000, { answers: 40, units: 8, failed: 2, prompt: 100, completion: 50 })])
    expect(s.nowMs).toBe(1_000)
    expect(s.totals).toEqual({
      unitsTotal: 150,
      unitsDone: 8,
      unitsFailed: 2,
      answers: 40,
      requests: 7,
      cached: 3,
      inFlight: 2,
      retries: 1,
      failuresByReason: { Timeout: 1 },
      promptTokens: 100,
      completionTokens: 50
    })
    expect(s.conditions[0]!.unitsDone).toBe(8)
  })

  it("takes rates and the ETA over a sliding window of about 10 s", () => {
    // Samples every 2 s; answers grow by 20/s until 10 s, then by 50/s; units by 1/s, then 3/s.
    const events: Array<RunEvent> = [started(0), progress(0)]
    for (let t = 2; t <= 10; t += 2) {
      events.push(progress(t * 1000, { answers: 20 * t, units: t, prompt: 100 * t, completion: 10 * t }))
    }
    const at10 = fold(events)
    // Window 0…10 s: (200 − 0) / 10 = 20 answers/s; tokens (1100 − 0) / 10 = 110/s; units 1/s, 140 remaining.
    expect(at10.rates).toEqual({ answersPerSec: 20, tokensPerSec: 110 })
    expect(at10.etaSeconds).toBe(140)
    expect(at10.window!.map((w) => w.atMs)).toEqual([0, 2000, 4000, 6000, 8000, 10000])

    for (let t = 12; t <= 16; t += 2) {
      const answers = 200 + 50 * (t - 10)
      events.push(progress(t * 1000, { answers, units: 10 + 3 * (t - 10), prompt: 1000, completion: 100 }))
    }
    const at16 = fold(events)
    // Window anchored at 6 s (newest sample ≤ 16 − 10): answers 120 → 500 over 10 s = 38/s; tokens 660 → 1100
    // = 44/s; units 6 → 28 = 2.2/s, 122 remaining → 122 / 2.2 s.
    expect(at16.window!.map((w) => w.atMs)).toEqual([6000, 8000, 10000, 12000, 14000, 16000])
    expect(at16.rates.answersPerSec).toBeCloseTo(38, 12)
    expect(at16.rates.tokensPerSec).toBeCloseTo(44, 12)
    expect(at16.etaSeconds).toBeCloseTo(122 / 2.2, 9)
  })

  it("has no ETA at a zero unit rate, and 0 when nothing remains", () => {
    const stalled = fold([started(0), progress(0, { units: 5 }), progress(5_000, { units: 5, answers: 10 })])
    expect(stalled.rates.answersPerSec).toBe(2)
    expect(stalled.etaSeconds).toBeNull()
    const oneSample = fold([started(0), progress(1_000, { units: 5 })])
    expect(oneSample.rates).toEqual({ answersPerSec: 0, tokensPerSec: 0 })
    expect(oneSample.etaSeconds).toBeNull()
    const done: RunEvent = { ...(progress(2_000) as Extract<RunEvent, { _tag: "Progress" }>), steps: steps(100, 50) }
    expect(fold([started(0), done]).etaSeconds).toBe(0)
  })

  it("merges samples closer than 100 ms and restarts the window when time goes back", () => {
    const s = fold([
      started(0),
      progress(0),
      progress(1_000),
      progress(1_050, { answers: 5 }),
      progress(1_090, { answers: 9 })
    ])
    expect(s.window!.map((w) => [w.atMs, w.answers])).toEqual([[0, 0], [1_000, 0], [1_090, 9]])
    const back = reduce(s, progress(500, { answers: 1 }))
    expect(back.window).toEqual([{ atMs: 500, answers: 1, tokens: 0, units: 0 }])
    expect(back.rates).toEqual({ answersPerSec: 0, tokensPerSec: 0 })
  })

  it("estimates the cost from the prices, 0 for synthetic, null without prices", () => {
    const usage = progress(1_000, { prompt: 1_500_000, completion: 250_000 })
    // 1.5 M × $2 + 0.25 M × $8 = $5.
    expect(fold([started(0), usage]).costUsd).toBeCloseTo(5, 12)
    expect(fold([started(0, { inputPerMillion: 0, outputPerMillion: 0 }), usage]).costUsd).toBe(0)
    expect(fold([started(0, null), usage]).costUsd).toBeNull()
  })

  it("Stats replaces the live statistics", () => {
    const s = fold([started(0), { _tag: "Stats", stats }])
    expect(s.stats).toBe(stats)
    const next = { ...stats, respondents: 4 }
    expect(reduce(s, { _tag: "Stats", stats: next }).stats).toBe(next)
  })

  it("Paused toggles between paused and running", () => {
    const paused = fold([started(0), { _tag: "Paused", paused: true, atMs: 3_000 }])
    expect(paused.status).toBe("paused")
    expect(paused.nowMs).toBe(3_000)
    expect(reduce(paused, { _tag: "Paused", paused: false, atMs: 4_000 }).status).toBe("running")
  })

  it("paused: no answers/s and no ETA while paused, and the rate starts afresh when sending resumes", () => {
    const running = fold([started(0), progress(1_000, { answers: 100, units: 2 }), progress(2_000, { answers: 300, units: 4 })])
    expect(running.rates.answersPerSec).toBeGreaterThan(0)
    expect(running.etaSeconds).not.toBeNull()
    const paused = fold([{ _tag: "Paused", paused: true, atMs: 2_500 }, progress(3_000, { answers: 300, units: 4 }), progress(9_000, { answers: 300, units: 4 })], running)
    expect(paused.rates.answersPerSec).toBe(0)
    expect(paused.etaSeconds).toBeNull()
    const resumed = fold([{ _tag: "Paused", paused: false, atMs: 9_500 }, progress(10_000, { answers: 320, units: 5 }), progress(11_000, { answers: 520, units: 7 })], paused)
    // Only samples after the resume count: 200 answers in the last second, not an average over the pause.
    expect(resumed.rates.answersPerSec).toBe(200)
  })

  it("Stopping sets the status and the message, and a later Paused does not undo it", () => {
    const s = fold([started(0), { _tag: "Stopping", atMs: 2_000, message: "stopping: resume with valuesim resume r1" }])
    expect(s.status).toBe("stopping")
    expect(s.message).toBe("stopping: resume with valuesim resume r1")
    expect(reduce(s, { _tag: "Paused", paused: false, atMs: 2_500 }).status).toBe("stopping")
  })

  it("Finished sets the final status and message", () => {
    for (const status of ["complete", "incomplete", "interrupted"] as const) {
      const s = fold([started(0), { _tag: "Finished", atMs: 9_000, status, message: `run ${status}` }])
      expect(s.status).toBe(status)
      expect(s.message).toBe(`run ${status}`)
      expect(s.nowMs).toBe(9_000)
    }
  })

  it("Finished turns the rates into the whole run's averages", () => {
    // Started at 1 s, one progress sample at 1.2 s (no window yet: 0/s), finished at 5 s: 800 answers and
    // 400 tokens over 4 s.
    const s = fold([
      started(1_000),
      progress(1_200, { answers: 800, prompt: 300, completion: 100 }),
      { _tag: "Finished", atMs: 5_000, status: "complete", message: "done" }
    ])
    expect(s.rates.answersPerSec).toBe(200)
    expect(s.rates.tokensPerSec).toBe(100)
  })

  it("keeps the final status through later events, which still update their data", () => {
    const finished = fold([started(0), { _tag: "Finished", atMs: 9_000, status: "complete", message: "done" }])
    const after = fold(
      [
        progress(10_000, { answers: 3 }),
        { _tag: "Paused", paused: true, atMs: 10_500 },
        { _tag: "Stopping", atMs: 11_000, message: "stop" },
        { _tag: "Finished", atMs: 12_000, status: "interrupted", message: "again" },
        started(13_000),
        { _tag: "Stats", stats }
      ],
      finished
    )
    expect(after.status).toBe("complete")
    expect(after.message).toBe("done")
    expect(after.totals.answers).toBe(3)
    expect(after.stats).toBe(stats)
  })

  it("Panel sets a panel, and next cycles run → stats → run, help → run", () => {
    const next: RunEvent = { _tag: "Panel", panel: "next" }
    const s0 = initialSnapshot(80, 24)
    const s1 = reduce(s0, next)
    expect(s1.ui.panel).toBe("stats")
    expect(reduce(s1, next).ui.panel).toBe("run")
    const help = reduce(s1, { _tag: "Panel", panel: "help" })
    expect(help.ui.panel).toBe("help")
    expect(reduce(help, next).ui.panel).toBe("run")
    const finished = reduce(s0, { _tag: "Finished", atMs: 1, status: "complete", message: "done" })
    expect(reduce(finished, next).ui.panel).toBe("stats")
    const toggle: RunEvent = { _tag: "Panel", panel: "help-toggle" }
    expect(reduce(s1, toggle).ui.panel).toBe("help")
    expect(reduce(reduce(s1, toggle), toggle).ui.panel).toBe("run")
  })

  it("Resize sets the size, also after Finished", () => {
    const finished = fold([started(0), { _tag: "Finished", atMs: 1, status: "incomplete", message: "m" }])
    const s = reduce(finished, { _tag: "Resize", width: 120, height: 40 })
    expect(s.ui).toEqual({ panel: "run", width: 120, height: 40 })
    expect(s.status).toBe("incomplete")
  })

  it("does not mutate the snapshot or the event", () => {
    const s = fold([started(0), progress(1_000, { answers: 5 })])
    const frozen = JSON.stringify(s)
    const e = progress(2_000, { answers: 9, units: 3 })
    const frozenEvent = JSON.stringify(e)
    const next = reduce(s, e)
    expect(next).not.toBe(s)
    expect(JSON.stringify(s)).toBe(frozen)
    expect(JSON.stringify(e)).toBe(frozenEvent)
    expect(next.window).toHaveLength(2)
  })
})
