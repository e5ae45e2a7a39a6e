import { Box } from "ink"
import type { Panel, Snapshot } from "../state.js"
import { HelpPanel } from "./HelpPanel.js"
import { type Line, Lines, seg } from "./Lines.js"
import { RunPanel } from "./RunPanel.js"
import { StatsPanel } from "./StatsPanel.js"

const PANELS: ReadonlyArray<Panel> = ["run", "stats", "help"]

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

/**
 * The whole dashboard for one snapshot: the chosen panel above a one-line footer, within
 * `snapshot.ui.width` × `snapshot.ui.height`. Pure: the app layer turns keys into snapshot changes.
 */
export const Dashboard = ({ snapshot }: { readonly snapshot: Snapshot }) => {
  const width = Math.max(1, snapshot.ui.width)
  const bodyHeight = Math.max(1, snapshot.ui.height - 1)
  return (
    <Box flexDirection="column" width={width}>
      {snapshot.ui.panel === "run" ? (
        <RunPanel snapshot={snapshot} width={width} height={bodyHeight} />
      ) : snapshot.ui.panel === "stats" ? (
        <StatsPanel stats={snapshot.stats} width={width} height={bodyHeight} />
      ) : (
        <HelpPanel runDir={snapshot.run.runDir} command={snapshot.run.command} width={width} height={bodyHeight} />
      )}
      <Lines lines={[footerLine(snapshot)]} width={width} />
    </Box>
  )
}
