import { describe, expect, it } from "vitest"
import { formatDuration, makeCounters, progressLine } from "../../src/progress/counters.js"

// The non-TTY face of a run (pipes, CI, --json, --no-tui): one plain line every few seconds.
describe("progressLine (non-TTY output)", () => {
  it("renders a synthetic run's progress, rate and ETA", () => {
    const c = makeCounters(1000, 0)
    expect(progressLine(c, { unitsDone: 250, unitsFailed: 0, answers: 10_000, elapsedMs: 4000 })).toBe(
      "[valuesim] 250/1000 agent-steps (25.0%) · 10000 answers · 2500 answers/s · ETA 12s"
    )
  })

  it("adds requests, retries, failed agent-steps and failures by reason on a model backend", () => {
    const c = makeCounters(400, 100)
    c.requests = 1200
    c.cacheHits = 300
    c.retries = 7
    c.failures = { RateLimited: 2, Timeout: 1 }
    expect(progressLine(c, { unitsDone: 140, unitsFailed: 3, answers: 5720, elapsedMs: 130_000 })).toBe(
      "[valuesim] 243/400 agent-steps (60.8%) · 5720 answers · 44 answers/s · 1200 requests, 300 shared/cached, 7 retries" +
        " · 3 agent-steps failed · failures RateLimited=2 Timeout=1 · ETA 2m23s"
    )
  })

  it("has no ETA before anything finished", () => {
    expect(progressLine(makeCounters(10, 0), { unitsDone: 0, unitsFailed: 0, answers: 0, elapsedMs: 0 })).toBe(
      "[valuesim] 0/10 agent-steps (0.0%) · 0 answers · 0 answers/s"
    )
  })

  it("formats durations", () => {
    expect(formatDuration(42)).toBe("42s")
    expect(formatDuration(143)).toBe("2m23s")
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe("3h05m")
  })
})
