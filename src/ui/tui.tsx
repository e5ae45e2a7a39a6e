/**
 * The live dashboard's shell: holds the snapshot, folds events into it with the pure reducer, redraws at most
 * ten times a second, and turns keys into commands. Components render snapshots and nothing else.
 */
import { render, useInput } from "ink"
import type { Key } from "ink"
import { Dashboard } from "./components/Dashboard.js"
import { initialSnapshot, reduce } from "./reducer.js"
import type { RunEvent, Snapshot } from "./state.js"

export interface TuiOptions {
  readonly stdout: NodeJS.WriteStream
  readonly stdin: NodeJS.ReadStream
  /** q or Ctrl-C: stop gracefully (the run is interrupted, finished answers are kept). */
  readonly onStop: () => void
  /** p: pause or resume sending. */
  readonly onPause: (paused: boolean) => void
  /** Minimum milliseconds between redraws (default 100: at most ten per second). */
  readonly frameMs?: number
}

export interface Tui {
  readonly dispatch: (event: RunEvent) => void
  readonly snapshot: () => Snapshot
  /** Draws the last state and leaves the terminal as it was. */
  readonly close: () => void
}

const Root = ({ snapshot, onKey }: { readonly snapshot: Snapshot; readonly onKey: (input: string, key: Key) => void }) => {
  useInput(onKey)
  return <Dashboard snapshot={snapshot} />
}

export const startTui = (options: TuiOptions): Tui => {
  const size = () => ({ width: options.stdout.columns || 100, height: options.stdout.rows || 30 })
  let snapshot = initialSnapshot(size().width, size().height)
  let dirty = true
  let paused = false
  let stopping = false
  const dispatch = (event: RunEvent) => {
    snapshot = reduce(snapshot, event)
    dirty = true
  }
  const stop = () => {
    if (stopping) return
    stopping = true
    options.onStop()
  }
  const command = (c: string) => {
    if (c === "q" || c === "\u0003") stop()
    else if (c === "p") {
      paused = !paused
      options.onPause(paused)
    } else if (c === "\t") dispatch({ _tag: "Panel", panel: "next" })
    else if (c === "?") dispatch({ _tag: "Panel", panel: snapshot.ui.panel === "help" ? "run" : "help" })
  }
  // Keys typed quickly (or sent by a script) can arrive in one chunk: act on each character in turn.
  const onKey = (input: string, key: Key) => {
    if (key.ctrl && input === "c") return stop()
    if (key.tab) command("\t")
    else for (const c of input) command(c)
    // A key's effect (another panel, paused) shows at once, not at the next frame up to a second later.
    draw()
  }
  // Raw mode from the first frame on: ink turns it on only after its first render, and a key typed in between
  // would wait in the terminal's line buffer.
  if (options.stdin.isTTY) options.stdin.setRawMode(true)
  const app = render(<Root snapshot={snapshot} onKey={onKey} />, {
    stdout: options.stdout,
    stdin: options.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    // Not ink's incremental rendering: it left lines of earlier frames on screen when a frame grew (the first,
    // one-line frame's header stayed above the panel, a "rate" line twice), and rewriting whole frames twice a
    // second costs little beside laying them out.
    incrementalRendering: false
  })
  const draw = () => {
    if (!dirty) return
    dirty = false
    app.rerender(<Root snapshot={snapshot} onKey={onKey} />)
  }
  const timer = setInterval(draw, options.frameMs ?? 100)
  const onResize = () => dispatch({ _tag: "Resize", ...size() })
  options.stdout.on("resize", onResize)
  return {
    dispatch,
    snapshot: () => snapshot,
    close: () => {
      clearInterval(timer)
      options.stdout.off("resize", onResize)
      dirty = true
      draw()
      app.unmount()
      app.cleanup()
      if (options.stdin.isTTY) options.stdin.setRawMode(false)
    }
  }
}
