/**
 * The dashboard's worker thread: loads ink and React, then on "start" draws the dashboard straight to the terminal
 * (file descriptor 1) while the run's thread keeps computing. Messages in (src/ui/tuiHost.ts): start, event,
 * draw, resize, close; out: ready (ink is loaded), closed (the last frame is written).
 */
import * as fs from "node:fs"
import { Writable } from "node:stream"
import { parentPort } from "node:worker_threads"
import type { RunEvent } from "./state.js"
import { startRenderer, type Renderer, type TerminalOut } from "./tui.js"

export type ToWorker =
  | { readonly type: "start"; readonly columns: number; readonly rows: number; readonly frameMs: number; readonly initial: ReadonlyArray<RunEvent> }
  | { readonly type: "event"; readonly event: RunEvent }
  | { readonly type: "draw" }
  | { readonly type: "resize"; readonly columns: number; readonly rows: number }
  | { readonly type: "close" }

export type FromWorker = { readonly type: "ready" } | { readonly type: "closed" }

const pause = new Int32Array(new SharedArrayBuffer(4))

/** Writes all of `chunk` to the terminal, waiting a moment whenever the terminal is not ready (EAGAIN). */
const writeAll = (chunk: Buffer) => {
  let offset = 0
  while (offset < chunk.length) {
    try {
      offset += fs.writeSync(1, chunk, offset)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e
      Atomics.wait(pause, 0, 0, 2)
    }
  }
}

/** The terminal (file descriptor 1), or with `discard` a stream of the same size that drops what it is given. */
const terminal = (columns: number, rows: number, discard = false): TerminalOut =>
  Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        if (!discard) writeAll(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
        callback()
      }
    }),
    { columns, rows, isTTY: true }
  )

const port = parentPort
if (port !== null) {
  let out: TerminalOut | null = null
  let renderer: Renderer | null = null
  port.on("message", (m: ToWorker) => {
    switch (m.type) {
      case "start":
        out = terminal(m.columns, m.rows)
        renderer = startRenderer(out, m.frameMs, m.initial)
        return
      case "event":
        return renderer?.dispatch(m.event)
      case "draw":
        return renderer?.draw()
      case "resize":
        if (out === null || renderer === null) return
        out.columns = m.columns
        out.rows = m.rows
        out.emit("resize")
        renderer.dispatch({ _tag: "Resize", width: m.columns, height: m.rows })
        return renderer.draw()
      case "close":
        renderer?.close()
        renderer = null
        port.postMessage({ type: "closed" } satisfies FromWorker)
        return
    }
  })
  // The first render of React and ink (Yoga's WebAssembly, cold code) takes ~150 ms: pay it now, before the run's
  // clock starts, rather than while the run's last frame waits for it.
  startRenderer(terminal(120, 40, true), 60_000).close()
  port.postMessage({ type: "ready" } satisfies FromWorker)
}
