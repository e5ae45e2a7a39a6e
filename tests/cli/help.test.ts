import { describe, expect, it } from "vitest"
import { runCli } from "../helpers/cli.js"

/**
 * `--help` of every command, as a user reads it in a pipe: every option says what it does and what happens without
 * it (its default, or that it is required), optional repeatable options look optional, and no colour codes.
 */

/** The commands listed by `valuesim --help` (group entries without options of their own included). */
const commandsOf = (help: string): Array<string> =>
  [...help.matchAll(/^\s*- ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)(?=\s)/gm)].map((m) => m[1]!)

interface OptionHelp {
  readonly head: string
  readonly paragraphs: ReadonlyArray<string>
}

/** The OPTIONS section of a command's help: one entry per option, its heading line and its paragraphs. */
const optionsOf = (help: string): Array<OptionHelp> => {
  const section = help.split(/^OPTIONS$/m)[1]
  if (section === undefined) return []
  const out: Array<OptionHelp> = []
  for (const block of section.split(/^(?=--)/m)) {
    const lines = block.split("\n")
    const head = lines[0]!.trim()
    if (!head.startsWith("--")) continue
    const paragraphs = lines.slice(1).join("\n").split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== "")
    out.push({ head, paragraphs })
  }
  return out
}

const GENERATED = [/^This setting is optional\.?$/, /^This option may be repeated/, /^One of the following:/, /^This option must be repeated/]

describe("--help", () => {
  it("of every command describes every option with its default, marks repeatable options optional, and has no colour codes", async () => {
    const top = await runCli(["--help"])
    expect(top.code).toBe(0)
    // In a pipe, help is laid out to 80 columns (issue 21 item 21: the command list was padded to 695).
    const tooWide = (text: string) => text.split("\n").filter((l) => l.length > 80)
    expect(tooWide(top.stdout)).toEqual([])
    const commands = commandsOf(top.stdout)
    expect(commands).toContain("run")
    expect(commands).toContain("plan")
    expect(commands).toContain("persona-evals run")
    const problems: Array<string> = []
    const helps = await Promise.all(commands.map(async (c) => [c, await runCli([...c.split(" "), "--help"])] as const))
    for (const [command, r] of helps) {
      expect(r.code, `${command}: ${r.stderr}`).toBe(0)
      expect(r.stdout, command).not.toMatch(/\x1b\[/)
      expect(r.stdout, command).not.toContain("A user-defined piece of text")
      expect(tooWide(r.stdout), command).toEqual([])
      // The usage block, its wrapped lines joined.
      const lines = r.stdout.split("\n")
      const from = lines.findIndex((l) => l.startsWith("$ "))
      const usage = from < 0 ? "" : lines.slice(from, lines.findIndex((l, k) => k > from && l.trim() === "")).join(" ")
      // A repeatable option that may be left out is shown in brackets like every other optional one.
      for (const m of usage.matchAll(/(^|\s)(--[a-z-]+)( [^\s\]]+)?\.\.\./g)) problems.push(`${command}: ${m[2]} looks required in the usage line`)
      for (const o of optionsOf(r.stdout)) {
        if (o.head.startsWith("--help") || o.head.startsWith("--version")) continue
        const own = o.paragraphs.filter((p) => !GENERATED.some((g) => g.test(p)))
        if (own.length === 0) problems.push(`${command}: ${o.head}: no description`)
        if (!o.paragraphs.some((p) => /default|required/i.test(p))) problems.push(`${command}: ${o.head}: no default (or "required")`)
      }
    }
    expect(problems).toEqual([])
  }, 180_000)

  it("argument errors name the tool, the command and the flag, in one line, exit 2", async () => {
    const cases: Array<[ReadonlyArray<string>, RegExp]> = [
      [["run", "scenarios/default-study.yaml", "--seed", "abc"], /^valuesim run: --seed: 'abc' is not an integer$/],
      [["report", "runs", "--format", "pdf"], /^valuesim report: --format: expected one of text, json, html$/],
      [["plan", "scenarios/default-study.yaml", "--latency=soon"], /^valuesim plan: --latency: 'soon' is not a number$/],
      [["run"], /^valuesim run: missing argument <scenario-or-study\.yaml> \(see valuesim run --help\)$/],
      // A misspelt flag names the one meant; a flag given twice says so (issue 21 items 11 and 22).
      [["run", "scenarios/default-study.yaml", "--agent", "5"], /^valuesim run: unknown option --agent; did you mean --agents\? \(see valuesim run --help\)$/],
      [["run", "--agent", "5", "scenarios/default-study.yaml"], /^valuesim run: unknown option --agent; did you mean --agents\?/],
      [["run", "scenarios/default-study.yaml", "--cache-dir", "a", "--cache-dir", "b"], /^valuesim run: --cache-dir: given 2 times; give it once \(see valuesim run --help\)$/]
    ]
    // Independent processes: started together, checked in order.
    const results = await Promise.all(cases.map(([args]) => runCli(args)))
    for (const [i, [args, expected]] of cases.entries()) {
      const r = results[i]!
      expect(r.code, args.join(" ")).toBe(2)
      expect(r.stderr.trim(), args.join(" ")).toMatch(expected)
    }
  })
})
