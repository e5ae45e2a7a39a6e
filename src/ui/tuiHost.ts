/**
 * The live dashboard as the run's thread sees it: the drawing happens in a worker thread (src/ui/tuiWorker.ts),
 * so ink and React never run beside the engine. Drawn on the run's own thread, one frame a second slowed a
 * CPU-bound synthetic run by 5-10 % — more than the frames' own 1-2 % of CPU (npm run bench); from a worker the
 * run's thread only posts a few events a second. This side reads the keys (raw mode on stdin) and follows the
 * terminal's size.
 */
import { createRequire } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"
import type { RunEvent } from "./state.js"
import type { FromWorker, ToWorker } from "./tuiWorker.js"

export interface TuiOptions {
  readonly stdout: NodeJS.WriteStream
  readonly stdin: NodeJS.ReadStream
  /** q or Ctrl-C: stop gracefully (the run is interrupted, finished answers are kept). */
  readonly onStop: () => void
  /** p: pause or resume sending. */
  readonly onPause: (paused: boolean) => void
  /** Milliseconds between frames. */
  readonly frameMs: number
  /** Events the first frame already shows (the run's Started event): the dashboard never draws an empty frame. */
  readonly initial: ReadonlyArray<RunEvent>
}

export interface Tui {
  readonly dispatch: (event: RunEvent) => void
  /** Draws the last state and leaves the terminal as it was. */
  readonly close: () => Promise<void>
}

/** A started worker with ink loaded, not drawing yet. */
export interface TuiWorker {
  /** Starts drawing on the terminal and reading keys. */
  readonly start: (options: TuiOptions) => Tui
  /** Ends the worker without drawing (the run ended before its dashboard started). */
  readonly discard: () => void
}

// Bundled (build/bundle/), the worker is the entry tui-worker.mjs beside this chunk. Run from the sources (tsx),
// a one-line script registers tsx in the worker first, as bin/valuesim.js does on the main thread.
const newWorker = (): Worker => {
  const options = { stdout: false, stderr: false } as const
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./tui-worker.mjs", import.meta.url), options)
  // tsx's own export of "tsx/esm/api" for import (its require variant fails when imported).
  const tsx = path.dirname(createRequire(import.meta.url).resolve("tsx/package.json"))
  const api = pathToFileURL(path.join(tsx, "dist", "esm", "api", "index.mjs")).href
  const entry = new URL("./tuiWorker.ts", import.meta.url).href
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`, { ...options, eval: true })
}

/** Starts the worker and waits until ink is loaded in it; rejects when it cannot start. */
export const spawnTuiWorker = (timeoutMs = 15_000): Promise<TuiWorker> =>
  new Promise((resolve, reject) => {
    const worker = newWorker()
    // The worker never keeps the process alive: a run that ends, however it ends, is not held up by it.
    worker.unref()
    const timer = setTimeout(() => {
      void worker.terminate()
      reject(new Error(`the dashboard's worker did not start within ${timeoutMs / 1000} s`))
    }, timeoutMs)
    const failed = (e: Error) => {
      clearTimeout(timer)
      reject(e)
    }
    worker.once("error", failed)
    worker.once("exit", (code) => failed(new Error(`the dashboard's worker exited with code ${code}`)))
    worker.once("message", (m: FromWorker) => {
      clearTimeout(timer)
      worker.removeAllListeners("exit")
      worker.removeListener("error", failed)
      if (m.type !== "ready") return reject(new Error(`the dashboard's worker said ${m.type} before ready`))
      // From here a failing worker only stops the drawing: the run goes on, and closing does not wait for it.
      const state = { exited: false }
      worker.on("error", () => undefined)
      worker.once("exit", () => (state.exited = true))
      resolve({ start: (options) => startOn(worker, state, options), discard: () => void worker.terminate() })
    })
  })

const startOn = (worker: Worker, state: { readonly exited: boolean }, options: TuiOptions): Tui => {
  const post = (m: ToWorker) => worker.postMessage(m)
  const { stdin, stdout } = options
  let paused = false
  let stopping = false
  // A key typed before the first frame would otherwise wait in the terminal's line buffer.
  if (stdin.isTTY) stdin.setRawMode(true)
  post({ type: "start", columns: stdout.columns || 100, rows: stdout.rows || 30, frameMs: options.frameMs, initial: options.initial })
  const dispatch = (event: RunEvent) => post({ type: "event", event })
  const command = (c: string) => {
    if (c === "q" || c === "\u0003") {
      if (stopping) return
      stopping = true
      options.onStop()
    } else if (c === "p") {
      paused = !paused
      options.onPause(paused)
    } else if (c === "\t") dispatch({ _tag: "Panel", panel: "next" })
    else if (c === "?") dispatch({ _tag: "Panel", panel: "help-toggle" })
  }
  // Keys typed quickly (or sent by a script) can arrive in one chunk: act on each character in turn, then draw
  // at once rather than at the next frame up to a second later.
  const onData = (chunk: Buffer | string) => {
    for (const c of chunk.toString()) command(c)
    post({ type: "draw" })
  }
  const onResize = () => post({ type: "resize", columns: stdout.columns || 100, rows: stdout.rows || 30 })
  stdin.on("data", onData)
  stdin.resume()
  stdout.on("resize", onResize)
  const release = () => {
    stdin.off("data", onData)
    stdout.off("resize", onResize)
    if (stdin.isTTY) stdin.setRawMode(false)
    stdin.pause()
  }
  return {
    dispatch,
    close: () =>
      new Promise<void>((resolve) => {
        let settled = false
        const done = () => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          release()
          resolve()
          void worker.terminate()
        }
        // The last frame is on the terminal when the worker says closed; a worker that hangs is not waited for.
        const timer = setTimeout(done, 5_000)
        if (state.exited) return done()
        worker.once("message", (m: FromWorker) => (m.type === "closed" ? done() : undefined))
        worker.once("exit", done)
        post({ type: "close" })
      })
  }
}
