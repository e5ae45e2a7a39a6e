import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BIN, lastJson, ROOT, runCli, startCli, tempDir, waitCli } from "../helpers/cli.js"
import { MODEL, startFakeServer, type FakeServer, type Fault } from "../helpers/fakeOpenAiServer.js"
import { hasTmux, NOT_CI, screen, tmux, waitFor } from "../helpers/tmux.js"

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// `stalling` answers a few hundred requests and then none, so the run is still going whatever the machine's
// speed when the test presses its keys; `server` answers everything (the resume goes there with --base-url).
let stalling: FakeServer
let server: FakeServer
beforeAll(async () => {
  stalling = await startFakeServer()
  stalling.plan([...Array.from({ length: 300 }, (): Fault => ({ kind: "ok" })), ...Array.from({ length: 20_000 }, (): Fault => ({ kind: "hang" }))])
  server = await startFakeServer()
})
afterAll(async () => {
  await stalling.close()
  await server.close()
})

describe.skipIf(!hasTmux)("the live dashboard in a terminal (tmux)", () => {
  it("shows the run and statistics panels mid-run, stops on q, and resume completes the run", async () => {
    const runs = tempDir("dashboard")
    const session = `valuesim-test-${process.pid}`
    const marker = path.join(runs, "exit-code")
    const command =
      `cd ${ROOT} && ${NOT_CI} ${process.execPath} ${BIN} run scenarios/vsq40.yaml --agents 20 --seed 2 --scoring sample --concurrency 4 ` +
      `--backend openai --base-url ${stalling.url} --model fake-model --runs-dir ${runs}; echo $? > ${marker}; sleep 60`
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "45", command)
    try {
      const running = await waitFor(session, (t) => t.includes("fake-model") && /\d+(\.\d+)?\s?%/.test(t), "the run panel")
      expect(running).not.toContain("synthetic: theory model")
      expect(running).toContain("ETA")

      // A key pressed while the first frame is still being set up can be missed on a loaded machine: press tab
      // again (run → stats; help → run) until the statistics panel shows, rather than trusting one key press.
      const isStats = (t: string) => /S_V|statistics appear/.test(t)
      let stats = ""
      for (let attempt = 0; attempt < 8 && !isStats(stats); attempt++) {
        tmux("send-keys", "-t", session, "Tab")
        // Each try waits twice as long as the one before, so a slow machine is given the time it needs.
        stats = await waitFor(session, isStats, "the statistics panel", 3_000 * 2 ** attempt).catch(() => screen(session))
      }
      expect(stats).toMatch(/S_V|statistics appear/)
      // ? opens help, and ? again goes back to the run panel (keys are read on the run's thread, drawn by the worker).
      tmux("send-keys", "-t", session, "?")
      await waitFor(session, (t) => t.includes("pause / resume sending"), "the help panel")
      tmux("send-keys", "-t", session, "?")
      await waitFor(session, (t) => !t.includes("pause / resume sending") && t.includes("ETA"), "the run panel again")

      // Resize: the panel is laid out again for 50 columns (drawn for 120, its ~63-character total row would wrap).
      tmux("resize-window", "-t", session, "-x", "50", "-y", "40")
      const narrow = await waitFor(session, (t) => t.split("\n").some((l) => /^total\s.*\d+\/20\s+\d+(\.\d+)?%/.test(l) && l.length <= 50), "the dashboard at 50 columns")
      expect(narrow).toContain("ETA")

      tmux("send-keys", "-t", session, "q")
      await waitFor(session, () => fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() !== "", "the run to exit")
      expect(fs.readFileSync(marker, "utf8").trim()).toBe("130")
      const after = screen(session)
      expect(after).toContain("valuesim resume")
    } finally {
      tmux("kill-session", "-t", session)
    }
    const runDir = fs.readdirSync(runs).filter((d) => d !== "exit-code").map((d) => path.join(runs, d))[0]!
    const resumed = await runCli(["resume", runDir, "--base-url", server.url, "--json"])
    expect(resumed.code, resumed.stderr).toBe(0)
    const s = lastJson(resumed.stdout)
    expect(s["status"]).toBe("complete")
    expect(s["answers"]).toBe(20 * 40)
  })

  it("q pressed twice and Ctrl-C while it stops: exit 130, status interrupted, the resume hint printed", async () => {
    const held = await startFakeServer()
    held.plan([...Array.from({ length: 150 }, (): Fault => ({ kind: "ok" })), ...Array.from({ length: 20_000 }, (): Fault => ({ kind: "hang" }))])
    const runs = tempDir("dashboard-twice")
    const session = `valuesim-test-twice-${process.pid}`
    const marker = path.join(runs, "exit-code")
    tmux(
      "new-session", "-d", "-s", session, "-x", "120", "-y", "45",
      `cd ${ROOT} && ${NOT_CI} ${process.execPath} ${BIN} run scenarios/vsq40.yaml --agents 20 --seed 2 --scoring sample --concurrency 4 ` +
        `--backend openai --base-url ${held.url} --model fake-model --runs-dir ${runs}; echo $? > ${marker}; sleep 60`
    )
    try {
      await waitFor(session, (t) => t.includes("fake-model") && t.includes("ETA"), "the run panel")
      // All three keys in one go: the second q and the Ctrl-C arrive while the first q is being handled.
      tmux("send-keys", "-t", session, "q", "q", "C-c")
      await waitFor(session, () => fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() !== "", "the run to exit")
      expect(fs.readFileSync(marker, "utf8").trim()).toBe("130")
      expect(screen(session)).toContain("valuesim resume")
    } finally {
      tmux("kill-session", "-t", session)
      await held.close()
    }
    const runDir = fs.readdirSync(runs).filter((d) => d !== "exit-code").map((d) => path.join(runs, d))[0]!
    const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
    try {
      expect(JSON.parse((db.prepare(`SELECT value FROM manifest WHERE key = 'status'`).get() as { value: string }).value)).toBe("interrupted")
    } finally {
      db.close()
    }
  })
  it("on resume, counts from the first frame on continue from the answers already stored", async () => {
    // A run stopped after 200 of its 800 requests were answered, then resumed in a terminal against a slow server: every frame
    // of the resumed dashboard, the first included, counts the stored agent-steps and answers.
    const partial = await startFakeServer()
    partial.plan([...Array.from({ length: 200 }, (): Fault => ({ kind: "ok" })), ...Array.from({ length: 5_000 }, (): Fault => ({ kind: "hang" }))])
    const slow = await startFakeServer({ latencyMs: 300 })
    const runs = tempDir("dashboard-resume")
    const session = `valuesim-test-resume-${process.pid}`
    try {
      const child = startCli(
        ["run", "scenarios/vsq40.yaml", "--agents", "20", "--seed", "5", "--scoring", "sample", "--concurrency", "4"]
          .concat(["--backend", "openai", "--base-url", partial.url, "--model", MODEL, "--runs-dir", runs, "--json"])
      )
      const first = waitCli(child)
      while (partial.requests < 204) await sleep(100) // the 200 answered, and the next ones hang
      await sleep(1_000)
      child.kill("SIGINT")
      const stopped = await first
      expect(stopped.code, stopped.stderr).toBe(130)
      const before = lastJson(stopped.stdout)
      const storedAnswers = Number(before["answers"])
      // an agent-step's answers are saved together, once all its 40 items are answered
      const storedUnits = storedAnswers / 40
      expect(storedUnits).toBeGreaterThan(0)
      expect(Number.isInteger(storedUnits)).toBe(true)
      const runDir = String(before["runDir"])

      const marker = path.join(runs, "exit-code")
      tmux(
        "new-session", "-d", "-s", session, "-x", "120", "-y", "45",
        `cd ${ROOT} && ${NOT_CI} ${process.execPath} ${BIN} resume ${runDir} --base-url ${slow.url}; echo $? > ${marker}; sleep 60`
      )
      const count = (s: string) => Number(s.replace(/,/g, ""))
      const frames: Array<string> = []
      await waitFor(session, (t) => /^total\s/m.test(t), "the resumed dashboard")
      for (let k = 0; k < 30; k++) {
        frames.push(screen(session))
        await sleep(100)
      }
      for (const frame of frames) {
        const total = /^total\s.*?([\d,]+)\/([\d,]+)\s/m.exec(frame)
        expect(total, frame).not.toBeNull()
        expect(count(total![2]!), frame).toBe(20)
        expect(count(total![1]!), frame).toBeGreaterThanOrEqual(storedUnits)
        const answers = /^calls .*· ([\d,]+) answers$/m.exec(frame)
        expect(answers, frame).not.toBeNull()
        expect(count(answers![1]!), frame).toBeGreaterThanOrEqual(storedAnswers)
        expect(frame).toContain("20 agents")
        // the per-condition bars add up to the total
        const perCondition = [...frame.matchAll(/(?:^|│ )(?:value:\w+|none)\s+\S+\s+([\d,]+)\/([\d,]+)/gm)]
        expect(perCondition.length, frame).toBeGreaterThan(0)
        expect(perCondition.reduce((n, m) => n + count(m[2]!), 0), frame).toBe(20)
        expect(perCondition.reduce((n, m) => n + count(m[1]!), 0), frame).toBe(count(total![1]!))
      }
      tmux("send-keys", "-t", session, "q")
      await waitFor(session, () => fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() !== "", "the resumed run to stop")
      expect(fs.readFileSync(marker, "utf8").trim()).toBe("130")
      slow.setLatency(0)
      const resumed = await runCli(["resume", runDir, "--base-url", slow.url, "--json"])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(lastJson(resumed.stdout)["answers"]).toBe(20 * 40)
    } finally {
      try {
        tmux("kill-session", "-t", session)
      } catch {
        // the session was never opened
      }
      await partial.close()
      await slow.close()
    }
  }, 120_000)

  /** Runs a synthetic study to its end in a 120×45 tmux window; the exit code and the last screen. */
  const runToEnd = async (name: string, env: string, agents: number, spec = "scenarios/default-study.yaml") => {
    const runs = tempDir(`dashboard-${name}`)
    const session = `valuesim-test-${name}-${process.pid}`
    const marker = path.join(runs, "exit-code")
    tmux(
      "new-session", "-d", "-s", session, "-x", "120", "-y", "45",
      `cd ${ROOT} && ${env} ${process.execPath} ${BIN} run ${spec} --agents ${agents} --runs-dir ${runs}; echo $? > ${marker}; sleep 60`
    )
    try {
      await waitFor(session, () => fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() !== "", "the run to finish")
      return { code: fs.readFileSync(marker, "utf8").trim(), last: screen(session) }
    } finally {
      tmux("kill-session", "-t", session)
    }
  }

  it("draws the synthetic banner on the synthetic backend", async () => {
    const { code, last } = await runToEnd("synthetic", NOT_CI, 2000)
    expect(code).toBe("0")
    expect(last).toContain("synthetic: theory model, not an LLM")
    expect(last).toContain("done:")
    // The last frame carries the final counts even when the run was over before the first progress tick, and
    // nothing of earlier frames is left on screen.
    expect(last).toMatch(/^total\s.*2,000\/2,000\s+100\.0%/m)
    expect(last.match(/^total\s/gm)).toHaveLength(1)
    // The finished run stays on screen with its statistics panel, then says what it found and what to run next.
    expect(last).toMatch(/^S_V \d\.\d\d \[/m)
    expect(last).toMatch(/^result: S_V = \d\.\d{3}/m)
    expect(last).toMatch(/^next: .*valuesim report /m)
  }, 90_000)

  it("shows an experiment's arms side by side with the live effect and its interval (issue 24)", async () => {
    const { code, last } = await runToEnd("experiment", NOT_CI, 60, "examples/09-policy-experiment/study.yaml")
    expect(code).toBe("0")
    expect(last).toContain("experiment congestion-charge (within agents, paired)")
    expect(last).toMatch(/^\s+support\s+loss \d\.\d\d \(n 60\)\s+gain \d\.\d\d \(n 60\)\s+│ gain − loss [+-]\d\.\d\d \[[+-]\d\.\d\d, [+-]\d\.\d\d\] \(60 pairs\)/m)
  }, 90_000)

  it("prints plain progress lines in CI even with a terminal (ink would draw only the last frame)", async () => {
    const { code, last } = await runToEnd("ci", "env CI=true", 500)
    expect(code).toBe("0")
    expect(last).toMatch(/^\[valuesim\] done: 20000 answers/m)
    expect(last).not.toContain("tab panels")
  })
})
