import * as os from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "tests/**/*.test.tsx"],
    // Timeouts only catch a hang: no test waits for a fixed time or expects work to finish within one (a run
    // that must be stopped mid-way is held there by a server that stops answering), so a loaded machine is slow,
    // not red.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Test files share their worker's modules instead of each loading effect, the sources and the test helpers
    // anew (isolate: true): measured on the 68 in-process test files, 72 s of CPU became 24 s. No test mocks a
    // module, stubs a global or changes process.env beyond tests/helpers/cacheSetup.ts, which runs for every file.
    isolate: false,
    // Most of the time goes to CLI child processes the worker waits for; vitest's default of one worker per core
    // less one would leave one of two cores idle.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    // The CLI's bundle is built once before the tests instead of by every first CLI process at the same time.
    globalSetup: ["tests/helpers/globalSetup.ts"],
    // The response cache across runs goes to a temporary folder per test file (never the user's).
    setupFiles: ["tests/helpers/cacheSetup.ts"]
  }
})
