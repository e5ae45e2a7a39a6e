/**
 * The live dashboard's renderer: holds the snapshot, folds events into it with the pure reducer and draws it with
 * ink at most once per frame interval (and at once when asked, after a key). Components render snapshots and
 * nothing else. It runs in the dashboard's worker thread (src/ui/tuiWorker.ts), off the run's thread; keys are
 * read on the run's thread (src/ui/tuiHost.ts) and arrive here as events.
 */
import { render } from "ink"
import { PassThrough } from "node:stream"
import { Dashboard } from "./components/Dashboard.js"
import { initialSnapshot, reduce } from "./reducer.js"
import type { RunEvent } from "./state.js"

/** Where frames go: a terminal's size and a stream that writes to it, emitting "resize" when the size changes. */
export type TerminalOut = NodeJS.WritableStream & { columns: number; rows: number; isTTY: boolean }

export interface Renderer {
  readonly dispatch: (event: RunEvent) => void
  /** Draws now if anything changed since the last frame. */
  readonly draw: () => void
  /** Draws the last state and unmounts. */
  readonly close: () => void
}

/**
 * Starts drawing. `initial` (the run's Started event) is folded in before the first frame, so the first frame on
 * the terminal is the run's, never an empty one (a resumed run's thread may be busy for seconds right after it
 * starts the dashboard, and the next frame would only come a frame interval later).
 */
export const startRenderer = (out: TerminalOut, frameMs: number, initial: ReadonlyArray<RunEvent> = []): Renderer => {
  let snapshot = initial.reduce(reduce, initialSnapshot(out.columns || 100, out.rows || 30))
  let dirty = true
  const app = render(<Dashboard snapshot={snapshot} />, {
    stdout: out as unknown as NodeJS.WriteStream,
    // Keys are read by the run's thread; ink gets a stream that never speaks.
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
    // Not ink's incremental rendering: it left lines of earlier frames on screen when a frame grew (the first,
    // one-line frame's header stayed above the panel, a "rate" line twice).
    incrementalRendering: false
  })
  const draw = () => {
    if (!dirty) return
    dirty = false
    app.rerender(<Dashboard snapshot={snapshot} />)
  }
  const timer = setInterval(draw, frameMs)
  return {
    dispatch: (event) => {
      snapshot = reduce(snapshot, event)
      dirty = true
    },
    draw,
    close: () => {
      clearInterval(timer)
      dirty = true
      draw()
      app.unmount()
      app.cleanup()
    }
  }
}
