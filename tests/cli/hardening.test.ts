/**
 * The command line under abuse and interruption (issue 15): nothing written outside its folder, template typos
 * and alias bombs refused with exit 2, the endpoint named before the first request, `resume --base-url`,
 * interrupted runs that keep an honest status and still print their --json summary. Runs that must be stopped
 * mid-way are held there by a server that stops answering, never by waiting a fixed time.
 */
import Sqlite from "better-sqlite3"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { lastJson, ROOT, runCli, startCli, tempDir, waitCli } from "../helpers/cli.js"
import { startFakeServer, type Fault, type FakeServer } from "../helpers/fakeOpenAiServer.js"

let server: FakeServer
beforeAll(async () => {
  server = await startFakeServer()
})
afterAll(async () => {
  await server.close()
})

const write = (dir: string, name: string, text: string) => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, text)
  return p
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/)

/** Resolves once `ready()` holds, checking every 20 ms; the test's own timeout is the only clock. */
const waitFor = (ready: () => boolean) =>
  new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (ready()) {
        clearInterval(poll)
        resolve()
      }
    }, 20)
  })

/** A server that answers `answered` requests (the start-up probe included) and then never again. */
const stallingServer = (answered: number) =>
  startFakeServer().then((s) => {
    s.plan([...Array.from({ length: answered }, (): Fault => ({ kind: "ok" })), ...Array.from({ length: 20_000 }, (): Fault => ({ kind: "hang" }))])
    return s
  })

const statusOf = (runDir: string) => {
  const db = new Sqlite(path.join(runDir, "run.sqlite"), { readonly: true })
  try {
    const row = db.prepare(`SELECT value FROM manifest WHERE key = 'status'`).get() as { value: string }
    return JSON.parse(row.value) as string
  } finally {
    db.close()
  }
}

const study = (dir: string, lines: ReadonlyArray<string>) =>
  write(dir, "study.yaml", [
    "kind: study", `population: ${path.join(ROOT, "populations/h-np.yaml")}`, "agents: 5",
    "steps:", `  - questionnaire: ${path.join(ROOT, "scenarios/vsq40.yaml")}`, ...lines
  ].join("\n"))

describe("ids and paths", () => {
  it("a study id with '..' is refused by validate and run, and nothing is written anywhere", async () => {
    const dir = tempDir("traversal")
    const f = study(dir, ["id: ../escape-target/pwned"])
    const runs = path.join(dir, "runs")
    // validate and run at once: neither may write, so each is checked as if alone.
    for (const r of await Promise.all([["validate", f], ["run", f, "--runs-dir", runs]].map((args) => runCli(args)))) {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain(`${f}: id: "../escape-target/pwned" is not a safe id`)
      noStack(r.stderr)
    }
    expect(fs.readdirSync(dir)).toEqual(["study.yaml"])
  })
})

describe("prompt templates", () => {
  it("a {itme} typo is exit 2 from validate and run, naming the file, the field and the placeholder", async () => {
    const dir = tempDir("typo")
    const q = write(dir, "q.yaml", fs.readFileSync(path.join(ROOT, "scenarios/vsq40.yaml"), "utf8").replace("Description: {item}", "Description: {itme}"))
    const runs = path.join(dir, "runs")
    for (const r of await Promise.all([["validate", q], ["run", q, "--agents", "3", "--runs-dir", runs]].map((args) => runCli(args)))) {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain(q)
      expect(r.stderr).toContain("prompts.item: unknown placeholder {itme}")
      expect(r.stderr).toContain("prompts.item: missing placeholder {item}")
    }
    expect(fs.existsSync(runs)).toBe(false)
  })
})

describe("YAML", () => {
  it("an alias bomb is exit 2 with one line and no stack trace", async () => {
    const dir = tempDir("bomb")
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    "bcdefghi".split("").forEach((n, i) => lines.push(`${n}: &${n} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(",")}]`))
    const f = write(dir, "bomb.yaml", lines.join("\n") + "\n")
    const [r, v] = await Promise.all([runCli(["run", f, "--runs-dir", path.join(dir, "runs")]), runCli(["validate", f])])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr.trim().split("\n")).toEqual([`valuesim run: ${f}: not usable YAML: its aliases (*name) expand too far (at most 100 alias expansions)`])
    expect(v.code).toBe(2)
    noStack(v.stderr)
  })
})

describe("run options", () => {
  it("--temperature -1 is refused; --timeout reaches the run's backend settings", async () => {
    const dir = tempDir("opts")
    const runs = path.join(dir, "runs")
    const t = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "3", "--temperature", "-1", "--runs-dir", runs])
    expect(t.code).toBe(2)
    expect(t.stderr).toContain("--temperature: must be between 0 and 2, got -1")
    expect(fs.existsSync(runs)).toBe(false)
    const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "3", "--timeout", "2.5", "--json", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    const db = new Sqlite(path.join(String(lastJson(r.stdout)["runDir"]), "run.sqlite"), { readonly: true })
    const spec = JSON.parse((db.prepare(`SELECT value FROM manifest WHERE key = 'spec'`).get() as { value: string }).value) as { backend: { timeoutMs: number } }
    db.close()
    expect(spec.backend.timeoutMs).toBe(2500)
  })

  it("prints control characters in the run folder escaped", async () => {
    const runs = path.join(tempDir("ctrl"), "runs\u001b[2J")
    const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "3", "--runs-dir", runs])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain("\u001b")
    expect(r.stdout).toContain("runs\\x1b[2J")
  })
})

describe("where requests go", () => {
  it("names the endpoint host before the first request, and warns when a study file sends the key elsewhere", async () => {
    const dir = tempDir("endpoint")
    const f = study(dir, ["id: endpoint-check", "backend:", "  kind: openai", "  model: fake-model", `  base_url: ${server.url}`])
    const before = server.requests
    const r = await runCli(["run", f, "--json", "--no-tui", "--runs-dir", path.join(dir, "runs")], {
      OPENAI_API_KEY: "sk-test-not-real",
      OPENAI_BASE_URL: "https://llm.example.org/v1"
    })
    expect(r.code, r.stderr).toBe(0)
    const host = new URL(server.url).host
    expect(r.stderr).toContain(`warning: ${f} (backend.base_url) sends requests and OPENAI_API_KEY to ${host}, not to llm.example.org (OPENAI_BASE_URL)`)
    const sending = r.stderr.indexOf(`[valuesim] sending requests to ${host} with OPENAI_API_KEY`)
    expect(sending).toBeGreaterThanOrEqual(0)
    expect(sending).toBeLessThan(r.stderr.indexOf("[valuesim] run "))
    expect(server.requests).toBeGreaterThan(before)
    // The command line decides: no warning.
    const o = await runCli(["run", f, "--base-url", server.url, "--json", "--no-tui", "--runs-dir", path.join(dir, "runs")], {
      OPENAI_API_KEY: "sk-test-not-real",
      OPENAI_BASE_URL: "https://llm.example.org/v1"
    })
    expect(o.code, o.stderr).toBe(0)
    expect(o.stderr).not.toContain("warning:")
  })

  it("counts retries in the JSON summary", async () => {
    server.plan([{ kind: "500" }, { kind: "ok" }, { kind: "500" }, { kind: "reset" }])
    // Under auto (the default) the first 500 meets the capability probe: its retry counts like the run's own.
    const r = await runCli(["run", "scenarios/vsq40.yaml", "--agents", "3", "--backend", "openai", "--base-url", server.url, "--model", "fake-model",
      "--concurrency", "1", "--json", "--no-tui", "--runs-dir", path.join(tempDir("retries"), "runs")])
    expect(r.code, r.stderr).toBe(0)
    expect(lastJson(r.stdout)["retries"]).toBe(3)
  })
})

describe("interruption", () => {
  const args = (url: string, runs: string) => ["run", "scenarios/vsq40.yaml", "--agents", "20", "--seed", "4", "--scoring", "sample", "--concurrency", "4",
    "--backend", "openai", "--base-url", url, "--model", "fake-model", "--no-tui", "--json", "--runs-dir", runs]

  it("Ctrl-C with --json prints the summary (status interrupted) and a quoted resume command; resume --base-url completes it elsewhere", async () => {
    const stalling = await stallingServer(150)
    try {
      const runs = path.join(tempDir("sigint"), "my runs")
      const child = startCli(args(stalling.url, runs))
      const done = waitCli(child)
      await waitFor(() => stalling.requests > 150)
      child.kill("SIGINT")
      const r = await done
      expect(r.code, r.stderr).toBe(130)
      const s = lastJson(r.stdout)
      expect(s["status"]).toBe("interrupted")
      expect(Number(s["answers"])).toBeGreaterThan(0)
      expect(Number(s["answers"])).toBeLessThan(20 * 40)
      expect(typeof s["retries"]).toBe("number")
      const runDir = String(s["runDir"])
      expect(r.stderr).toContain(`Continue with: npx valuesim resume '${runDir}'`)
      expect(statusOf(runDir)).toBe("interrupted")

      // The stalling server would hang the resume; --base-url sends the rest to one that answers.
      const before = server.requests
      const resumed = await runCli(["resume", runDir, "--base-url", server.url, "--json"])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stdout).not.toContain("sending requests to")
      expect(resumed.stderr).toContain(`sending requests to ${new URL(server.url).host}`)
      const t = lastJson(resumed.stdout)
      expect(t["status"]).toBe("complete")
      expect(t["answers"]).toBe(20 * 40)
      // Finished answers are not asked again.
      expect(server.requests - before).toBeLessThan(20 * 40)
    } finally {
      await stalling.close()
    }
  })

  it("a second Ctrl-C stops at once, leaving status interrupted and the resume hint", async () => {
    const stalling = await stallingServer(150)
    try {
      const runs = tempDir("sigint2")
      const child = startCli(args(stalling.url, runs))
      const done = waitCli(child)
      await waitFor(() => stalling.requests > 150)
      child.kill("SIGINT")
      await new Promise((r) => setImmediate(r))
      child.kill("SIGINT")
      const r = await done
      expect(r.signal).toBeNull()
      expect(r.code, r.stderr).toBe(130)
      expect(r.stderr).toContain("Continue with: npx valuesim resume")
      const runDir = fs.readdirSync(runs).map((d) => path.join(runs, d))[0]!
      expect(statusOf(runDir)).toBe("interrupted")
    } finally {
      await stalling.close()
    }
  })
})
