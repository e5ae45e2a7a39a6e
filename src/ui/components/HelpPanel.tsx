import { shellWord } from "../../domain/printable.js"
import { type Line, Lines, seg, textLine } from "./Lines.js"

export const HELP_KEYS: ReadonlyArray<readonly [string, string]> = [
  ["q / Ctrl-C", "stop gracefully: requests in flight finish, finished answers are kept"],
  ["p", "pause / resume sending requests"],
  ["tab", "switch panels (run ⇄ statistics)"],
  ["?", "this help (again: back to the run panel)"]
]

/** The keys, and how to pick a stopped run up again. */
export const helpPanelLines = (runDir: string, command = "valuesim"): Array<Line> => {
  const keyW = Math.max(...HELP_KEYS.map(([k]) => k.length)) + 2
  return [
    textLine("keys", { bold: true }),
    ...HELP_KEYS.map(([key, what]): Line => [seg("  " + key.padEnd(keyW), { bold: true, color: "cyan" }), seg(what)]),
    [],
    textLine("after stopping, resume where the run left off with", { dim: true }),
    [seg(`  ${command} resume `, { bold: true }), seg(shellWord(runDir), { bold: true, color: "cyan" })],
    [],
    textLine("answers already stored are not asked again; a resumed run gives the same results.", { dim: true })
  ]
}

export const HelpPanel = ({
  runDir,
  command,
  width,
  height
}: {
  readonly runDir: string
  readonly command: string
  readonly width: number
  readonly height?: number
}) => <Lines lines={helpPanelLines(runDir, command)} width={width} {...(height !== undefined ? { height } : {})} />
