/**
 * The fault suite, short (issue 15, item 8; `npm run chaos` is the full size): a run with 20 % of its requests
 * faulted (seeded: 429 with Retry-After, 5xx, resets, hangs past the timeout, malformed bodies, empty choices,
 * nonsense, missing logprobs), under sample and logprob scoring, then `resume` with faults off. No answer may be
 * lost or duplicated, every missing answer must say why, and every answer must equal a fault-free run's unless
 * the export records why it differs (re-asked after nonsense, or a degraded logprob response answered by the
 * agent's own request).
 */
import { describe, expect, it } from "vitest"
import { runChaos } from "../helpers/chaos.js"

describe("chaos", () => {
  it("loses, duplicates and leaves unexplained no answer under 20 % mixed faults, and resume completes the runs", async () => {
    const s = await runChaos({ agents: 10, rate: 0.2, seed: 5, runSeed: 2, scorings: ["sample", "logprob"], concurrency: 32, timeoutS: 0.5, maxAttempts: 2 })
    const detail = JSON.stringify(s)
    expect(s.lost, detail).toBe(0)
    expect(s.duplicated, detail).toBe(0)
    expect(s.unexplained, detail).toBe(0)
    for (const r of s.runs) {
      expect(r.resumeStatus, detail).toBe("complete")
      expect(r.equal + r.reasked + r.degraded, detail).toBe(r.answersPlanned)
      // Faults of every kind were injected, and they made work for the retries.
      expect(Object.keys(r.faults).length, detail).toBeGreaterThanOrEqual(r.scoring === "sample" ? 6 : 4)
      expect(r.retries, detail).toBeGreaterThan(0)
    }
    // The seeded faults left some answers for resume to recover; all of them were.
    expect(s.missingAfterChaos, detail).toBeGreaterThan(0)
    expect(s.recovered, detail).toBe(s.missingAfterChaos)
  }, 240_000)
})
