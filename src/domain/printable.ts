/**
 * Text from users' files and arguments, made safe to print: control characters escaped, and words quoted so a
 * printed command can be pasted into a shell as it is.
 */

/** Control characters and line/paragraph separators, which could move the cursor or hide text when printed. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
export const escapeControl = (s: string): string =>
  s.replace(new RegExp(CONTROL.source, "g"), (c) => {
    const code = c.charCodeAt(0)
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`
  })

/** A shell word that reads back as `s` (POSIX sh): bare when it only has safe characters, else single-quoted. */
export const shellQuote = (s: string): string =>
  s.length > 0 && /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`

/** A shell word for any string: `$'…'` with escapes when it holds control characters (bash, zsh), else shellQuote. */
export const shellWord = (s: string): string =>
  CONTROL.test(s) ? `$'${escapeControl(s.replace(/[\\']/g, "\\$&"))}'` : shellQuote(s)

/**
 * A command a user can paste: `command` (how the user starts valuesim: `valuesim`, `npx valuesim`, `node
 * ./bin/valuesim.js`, already in shell words) followed by each argument as a shell word. Every printed hint that
 * names a command is built here, so a folder named `a;touch X` prints as `'a;touch X'`.
 */
export const commandLine = (command: string, ...args: ReadonlyArray<string>): string => [command, ...args.map(shellWord)].join(" ")

/** The resume command for `runDir`, after `command` (as for commandLine). */
export const resumeCommand = (runDir: string, command = "valuesim"): string => commandLine(command, "resume", runDir)

