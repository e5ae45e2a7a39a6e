/**
 * What reaches the terminal from the command-line layer: no colour codes when the output is not a terminal (or
 * NO_COLOR is set), help without @effect/cli's generic type sentences (every option carries its own description),
 * and argument errors that name the tool, the command and the flag (`valuesim run: --seed: 'abc' is not an integer`).
 */
import { Console, Effect } from "effect"
import { stripVTControlCharacters } from "node:util"
import { fitToWidth, outputWidth } from "../report/fitWidth.js"

/** Commands with subcommands: their name and the subcommand's name make the command. */
const GROUPS = new Set(["baseline", "persona-evals", "value-portrait", "anchoring"])

/** `run`, `persona-evals run`, … from the arguments (after node and the script); null without a command. */
export const commandOf = (args: ReadonlyArray<string>): string | null => {
  const first = args[0]
  if (first === undefined || first.startsWith("-")) return null
  const second = args[1]
  return GROUPS.has(first) && second !== undefined && !second.startsWith("-") ? `${first} ${second}` : first
}

const GENERIC = /^[ \t]*(A user-defined piece of text\.|An integer\.|A floating point number\.|A true or false value\.)[ \t]*\r?\n(?:[ \t]*\r?\n)?/gm

/** The flag whose value is `value` in `args` (`--flag value` or `--flag=value`), or null. */
const flagWithValue = (args: ReadonlyArray<string>, value: string): string | null => {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a.startsWith("--") && a.includes("=") && a.slice(a.indexOf("=") + 1) === value) return a.slice(0, a.indexOf("="))
    if (a === value && i > 0 && args[i - 1]!.startsWith("--")) return args[i - 1]!
  }
  return null
}

/** The flag given a value outside `cases` (the choice @effect/cli rejected without naming it), or null. */
const flagOutside = (args: ReadonlyArray<string>, cases: ReadonlyArray<string>): string | null => {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (!a.startsWith("--")) continue
    const eq = a.indexOf("=")
    const value = eq >= 0 ? a.slice(eq + 1) : args[i + 1]
    const flag = eq >= 0 ? a.slice(0, eq) : a
    if (value !== undefined && !value.startsWith("-") && !cases.includes(value) && CHOICE_FLAGS.has(flag)) return flag
  }
  return null
}

/** The flags that take one of a fixed set of values. */
const CHOICE_FLAGS = new Set(["--backend", "--scoring", "--constrained-dialect", "--format", "--option-order", "--hedonism", "--administration", "--prompt-type"])

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
const distance = (a: string, b: string): number => {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)))
    row = next
  }
  return row[b.length]!
}

/** The known flag `flag` is most likely a misspelling of (at most two edits away), or null. */
export const closestFlag = (flag: string, known: ReadonlyArray<string>): string | null => {
  let best: string | null = null
  let bestD = 3
  for (const k of known) {
    const d = distance(flag, k)
    if (d < bestD) [best, bestD] = [k, d]
  }
  return best
}

/**
 * What to say about an argument @effect/cli calls unknown: a known flag given twice (it reads the first and calls
 * the second unknown), or a misspelt flag (named even when @effect/cli names its value instead). Null: no better word.
 */
const unknownArgument = (arg: string, args: ReadonlyArray<string>, known: ReadonlyArray<string>): string | null => {
  const nameOf = (a: string) => (a.includes("=") ? a.slice(0, a.indexOf("=")) : a)
  let flag: string | null = arg.startsWith("--") ? nameOf(arg) : null
  if (flag === null) {
    const at = args.indexOf(arg)
    const before = at > 0 ? args[at - 1]! : ""
    if (before.startsWith("--") && !known.includes(nameOf(before))) flag = nameOf(before)
  }
  if (flag === null) return null
  if (known.includes(flag)) {
    const times = args.filter((a) => nameOf(a) === flag).length
    return times > 1 ? `${flag}: given ${times} times; give it once` : null
  }
  const near = closestFlag(flag, known)
  return near === null ? `unknown option ${flag}` : `unknown option ${flag}; did you mean ${near}?`
}

/**
 * An @effect/cli argument error, rewritten to name the tool, the command and (where it can be told) the flag.
 * `flagsOf` gives a command's flags (src/cli/knownFlags.ts), for suggesting the one a user meant.
 */
export const rewriteValidation = (
  text: string,
  args: ReadonlyArray<string>,
  flagsOf: (command: string | null) => ReadonlyArray<string> = () => []
): string | null => {
  const plain = stripVTControlCharacters(text).trim()
  if (plain === "") return null
  const command = commandOf(args)
  const who = command === null ? "valuesim" : `valuesim ${command}`
  const unknown = /^Received unknown argument: '(.*)'$/s.exec(plain)
  if (unknown !== null) {
    const said = unknownArgument(unknown[1]!, args, flagsOf(command))
    if (said !== null) return `${who}: ${said} (see ${command === null ? "valuesim" : who} --help)`
  }
  const typed = /^'(.*)' is not an? (\w+)/s.exec(plain)
  if (typed !== null) {
    const flag = flagWithValue(args, typed[1]!)
    const type = typed[2] === "float" ? "number" : typed[2]!
    const kind = /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
    return `${who}: ${flag === null ? "" : `${flag}: `}'${typed[1]}' is not ${kind}`
  }
  const choice = /^Expected one of the following cases: (.*)$/s.exec(plain)
  if (choice !== null) {
    const cases = choice[1]!.split(",").map((c) => c.trim())
    const flag = flagOutside(args, cases)
    return `${who}: ${flag === null ? "" : `${flag}: `}expected one of ${cases.join(", ")}`
  }
  if (!OTHER_ERRORS.test(plain)) return null
  // An unknown command is no command: name the tool alone.
  const known = !plain.startsWith("Invalid subcommand for valuesim ")
  const help = command === null || !known ? "valuesim --help" : `valuesim ${command} --help`
  const said = plain.split(/\n\s*\n/).map((p) => p.trim().charAt(0).toLowerCase() + p.trim().slice(1)).join("; ")
  return `${known ? who : "valuesim"}: ${said} (see ${help})`
}

/** The other argument errors @effect/cli prints (its source, internal/options.js, args.js, command.js). */
const OTHER_ERRORS =
  /^(Missing argument|Missing command name|Expected to find option|Expected a value following option|Expected a key\/value pair|Received unknown argument|The flag '.*' is not recognized|Invalid subcommand|More than one reference to option|May be specified)/

export const colourless = () => process.env["NO_COLOR"] !== undefined || process.stdout.isTTY !== true

/**
 * Runs `effect` with a console that strips colour codes when the output is not a terminal, drops the generic type
 * sentences from help, and rewrites @effect/cli's argument errors.
 */
export const withTerminalText = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  args: ReadonlyArray<string>,
  flagsOf?: (command: string | null) => ReadonlyArray<string>
) =>
  Effect.flatMap(Effect.console, (c) => {
    // Help is laid out to the terminal's width (80 in a pipe): @effect/cli pads its command list to the longest synopsis.
    const help = args.length === 0 || args.includes("--help") || args.includes("-h")
    const tidy = (x: unknown) => {
      if (typeof x !== "string") return x
      const t = help ? fitToWidth(x.replace(GENERIC, ""), outputWidth(), { columns: true }) : x.replace(GENERIC, "")
      return colourless() ? stripVTControlCharacters(t) : t
    }
    // Only @effect/cli's own argument errors match; progress lines and the program's messages pass unchanged.
    const errorText = (x: unknown) => (typeof x === "string" ? (rewriteValidation(x, args, flagsOf) ?? tidy(x)) : x)
    const console: Console.Console = {
      ...c,
      log: (...xs: ReadonlyArray<unknown>) => c.log(...xs.map(tidy)),
      error: (...xs: ReadonlyArray<unknown>) => c.error(...xs.map(errorText))
    }
    return Console.withConsole(effect, console)
  })
