/**
 * The spec-file limits hold for every kind of file (issue 21, item 7): devices, FIFOs and pipes are refused
 * before they are opened (`/dev/zero` never ends, a FIFO without a writer blocks the open for ever, a pipe has no
 * size to check), and data nested 200,000 levels deep is one line, exit 2, not a stack overflow.
 */
import { NodeContext } from "@effect/platform-node"
import { Effect, Either } from "effect"
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { MAX_SPEC_DEPTH, readDataFile } from "../../src/config/loadFile.js"
import type { SpecFileError } from "../../src/config/SpecFileError.js"
import { BIN, ROOT, runCli, tempDir } from "../helpers/cli.js"

const read = (file: string) => Effect.runPromise(readDataFile(file).pipe(Effect.either, Effect.provide(NodeContext.layer)))
const problemsOf = (r: Either.Either<unknown, unknown>): ReadonlyArray<string> => (Either.isLeft(r) ? (r.left as SpecFileError).problems : [])

const DEEP = 200_000

describe("spec and data files of every kind", () => {
  it("refuses a device at once instead of reading it for ever", async () => {
    expect(problemsOf(await read("/dev/zero"))).toEqual(["(file): a device, not a regular file; save it to a file and give that"])
  }, 10_000)

  it("refuses a FIFO without opening it (no writer: the open would block)", async () => {
    const fifo = path.join(tempDir("fifo"), "study.yaml")
    execFileSync("mkfifo", [fifo])
    expect(problemsOf(await read(fifo))).toEqual(["(file): a named pipe (FIFO) or pipe, not a regular file; save it to a file and give that"])
  }, 10_000)

  it("refuses a pipe (10 MB through /dev/stdin) with one line and exit 2", () => {
    const r = spawnSync("bash", ["-c", `head -c 10000000 /dev/zero | tr '\\0' a | "${process.execPath}" "${BIN}" validate /dev/stdin`], { cwd: ROOT, encoding: "utf8", timeout: 30_000 })
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split("\n").at(-1)).toBe("  /dev/stdin: (file): a named pipe (FIFO) or pipe, not a regular file; save it to a file and give that")
  }, 40_000)

  it("refuses JSON and YAML nested 200,000 deep with one line, not a stack overflow", async () => {
    const dir = tempDir("deep")
    const json = path.join(dir, "deep.json")
    fs.writeFileSync(json, `{"kind": "study", "id": ${"[".repeat(DEEP)}${"]".repeat(DEEP)}}`)
    const yaml = path.join(dir, "deep.yaml")
    fs.writeFileSync(yaml, `kind: study\nid: ${"[".repeat(DEEP)}${"]".repeat(DEEP)}\n`)
    const line = `(file): lists or mappings nest deeper than the ${MAX_SPEC_DEPTH} levels a spec or data file may have`
    expect(problemsOf(await read(json))).toEqual([line])
    expect(problemsOf(await read(yaml))).toEqual([line])
    // Through the CLI: exit 2 and no internal error (the value used to overflow the stack while it was described).
    const r = await runCli(["run", json])
    expect(r.code).toBe(2)
    expect(r.stderr).not.toMatch(/internal error|RangeError/)
    expect(r.stderr).toContain(line)
  }, 30_000)

  it("keeps reading every shipped file (none nests near the limit)", async () => {
    for (const f of ["scenarios/vsq40.yaml", "scenarios/default-study.yaml", "populations/h-np.yaml"]) {
      expect(Either.isRight(await read(path.join(ROOT, f))), f).toBe(true)
    }
  })

  it("validate checks the human figures of experiments and societies, and names a broken field", async () => {
    const files = ["experiments", "networked-cooperation"].flatMap((d) =>
      fs.readdirSync(path.join(ROOT, "human-baselines", d)).filter((f) => f.endsWith(".yaml")).map((f) => path.join(ROOT, "human-baselines", d, f))
    )
    expect(files.length).toBeGreaterThanOrEqual(4)
    const ok = await runCli(["validate", ...files])
    expect(ok.code, ok.stderr).toBe(0)
    const broken = path.join(tempDir("validate-figures"), "figures.yaml")
    fs.writeFileSync(broken, fs.readFileSync(path.join(ROOT, "human-baselines", "networked-cooperation", "figures.yaml"), "utf8").replace("high: 0.60", "high: 6"))
    const bad = await runCli(["validate", broken])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`${broken}: figures[0].first_rounds.high`)
  })
})
