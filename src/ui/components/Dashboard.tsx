import { Box } from "ink"
import type { Panel, Snapshot } from "../state.js"
import { HelpPanel } from "./HelpPanel.js"
import { type Line, Lines, seg } from "./Lines.js"
import { RunPanel, runPanelLines } from "./RunPanel.js"
import { StatsPanel, statsPanelLines } from "./StatsPanel.js"

const PANELS: ReadonlyArray<Panel> = ["run", "stats", "help"]

/** Rows the final frame leaves free for the lines printed after it, so its head is not scrolled away. */
const AFTER_ROWS = 7

/** The one-line footer: the keys, with the current panel highlighted. */
export const footerLine = (snapshot: Snapshot): Line => {
  const sep = seg(" · ", { dim: true })
  const key = (k: string) => seg(k, { bold: true, color: "cyan" })
  return [
    ...PANELS.flatMap((p, i) => [
      ...(i > 0 ? [seg(" ")] : []),
      p === snapshot.ui.panel ? seg(` ${p} `, { inverse: true, bold: true }) : seg(` ${p} `, { dim: true })
    ]),
    seg("  "),
    key("q"),
    seg(" stop"),
    sep,
    key("p"),
    seg(snapshot.status === "paused" ? " resume" : " pause"),
    sep,
    key("tab"),
    seg(" panels"),
    sep,
    key("?"),
    seg(" help")
  ]
}

/** The lines of the run's own rooms above the statistics: a society step's, then the experiments' arms side by side. */
export const liveLines = (snapshot: Snapshot): ReadonlyArray<string> => [...(snapshot.society ?? []), ...(snapshot.experiments ?? [])]

/**
 * The last frame of a finished run on its statistics panel: the run panel's head (who ran what, the status, the
 * progress of the run and of each step) above the statistics, so the screen keeps both once the run is over.
 */
export const finalLines = (snapshot: Snapshot, width: number, height: number): Array<Line> => {
  const run = runPanelLines(snapshot, width)
  const total = run.findIndex((l) => l[0]?.text.startsWith("total") === true)
  const head = total < 0 ? run.slice(0, 3) : run.slice(0, total + 1 + snapshot.steps.length)
  const society = liveLines(snapshot).map((t): Line => [seg(t)])
  return [...head, [], ...society, ...statsPanelLines(snapshot.stats, width, Math.max(1, height - head.length - 1 - society.length))]
}

/**
 * The whole dashboard for one snapshot: the chosen panel above a one-line footer, within
 * `snapshot.ui.width` × `snapshot.ui.height`. Pure: the app layer turns keys into snapshot changes.
 */
export const Dashboard = ({ snapshot }: { readonly snapshot: Snapshot }) => {
  const width = Math.max(1, snapshot.ui.width)
  const bodyHeight = Math.max(1, snapshot.ui.height - 1)
  const live = liveLines(snapshot)
  return (
    <Box flexDirection="column" width={width}>
      {snapshot.ui.panel === "stats" && snapshot.status === "complete" ? (
        // Rows left free below the frame for the lines the run prints when it ends (done, result, next).
        <Lines lines={finalLines(snapshot, width, Math.max(1, bodyHeight - AFTER_ROWS))} width={width} height={Math.max(1, bodyHeight - AFTER_ROWS)} />
      ) : snapshot.ui.panel === "run" ? (
        <RunPanel snapshot={snapshot} width={width} height={bodyHeight} />
      ) : snapshot.ui.panel === "stats" && live.length > 0 ? (
        <Box flexDirection="column">
          <Lines lines={live.map((t) => [seg(t)])} width={width} height={Math.min(bodyHeight, live.length)} />
          {snapshot.stats !== null && bodyHeight > live.length + 3 ? (
            <StatsPanel stats={snapshot.stats} width={width} height={bodyHeight - live.length} />
          ) : null}
        </Box>
      ) : snapshot.ui.panel === "stats" ? (
        <StatsPanel stats={snapshot.stats} width={width} height={bodyHeight} />
      ) : (
        <HelpPanel runDir={snapshot.run.runDir} command={snapshot.run.command} width={width} height={bodyHeight} />
      )}
      <Lines lines={[footerLine(snapshot)]} width={width} />
    </Box>
  )
}
