import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { threadCpuUserSeconds } from "../../src/app/threadCpu.js"

describe.skipIf(!fs.existsSync("/proc/thread-self/stat"))("threadCpuUserSeconds (Linux)", () => {
  it("counts this thread's user-mode CPU: it grows while the thread computes", () => {
    const before = threadCpuUserSeconds()
    expect(before).not.toBeNull()
    let x = 0
    let after = before!
    // Compute until at least 50 ms of CPU (five ticks) are on the counter; the cap only guards a broken counter.
    for (let round = 0; round < 2000 && after - before! < 0.05; round++) {
      for (let i = 0; i < 1e6; i++) x += Math.sqrt(i)
      after = threadCpuUserSeconds()!
    }
    expect(x).toBeGreaterThan(0)
    expect(after - before!).toBeGreaterThanOrEqual(0.05)
  })
})
