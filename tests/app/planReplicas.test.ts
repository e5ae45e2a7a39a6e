import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { estimateBackends, renderBackendsEstimate } from "../../src/app/planRun.js"
import { loadRunSpec } from "../../src/config/StudyFile.js"
import { ROOT, tempDir } from "../helpers/cli.js"

describe("plan of a replicated backend", () => {
  it("counts the replicas' limits together: concurrency summed, rpm summed when each has one", async () => {
    const dir = tempDir("plan-replicas")
    const file = path.join(dir, "study.yaml")
    fs.writeFileSync(
      file,
      `kind: study
id: replicas
population: ${path.join(ROOT, "populations", "h-np.yaml")}
agents: 100
steps:
  - questionnaire: ${path.join(ROOT, "scenarios", "vsq40.yaml")}
backends:
  - kind: openai
    model: m
    scoring: sample
    replicas:
      - { base_url: "http://127.0.0.1:1/v1", concurrency: 4, rpm: 60 }
      - { base_url: "http://127.0.0.1:2/v1", concurrency: 8, rpm: 120 }
  - kind: synthetic
`
    )
    const spec = await Effect.runPromise(loadRunSpec(file, {}, {}).pipe(Effect.provide(NodeContext.layer)))
    const e = estimateBackends(spec, { _tag: "None" }, 1)
    const b = e.backends[0]!
    expect(b.concurrency).toBe(12)
    expect(b.rpm).toBe(180)
    expect(b.replicas).toBe(2)
    // 4,000 sampled answers at 180 requests a minute: the rate limit decides.
    expect(b.etaSeconds).toBeCloseTo((b.requests * 60) / 180, 0)
    expect(e.backends[1]!.requests).toBe(0)
    expect(renderBackendsEstimate(e)).toContain("and 1 more replica(s)")
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
