import type { Scope } from "effect"
import { Duration, Effect, Schedule } from "effect"

/**
 * How many pages of a step are answered at once. `base` pages may always be in flight; beyond them, up to `max`,
 * a further page starts only while the backend has permits nobody waits for (`idle`), checked every `tickMs`:
 * requests that back off before a retry (or wait out a timeout) hold their page open, and without more pages the
 * permits would idle until the slowest retry chain of every page in flight had ended. Pages are written whole
 * and in any order, so how many are in flight changes neither what is stored nor what `resume` redoes.
 */
export interface PageWindow {
  /** Waits until one more page may start, and counts it; give it back with `leave`. */
  readonly enter: Effect.Effect<void>
  readonly leave: () => void
  /** Pages in flight now, and the most there were at once. */
  readonly inFlight: () => number
  readonly peak: () => number
}

export interface PageWindowOptions {
  readonly base: number
  readonly max: number
  /** True while the backend has free permits and no request waiting for one. */
  readonly idle: () => boolean
  readonly tickMs?: number
}

export const makePageWindow = (opts: PageWindowOptions): Effect.Effect<PageWindow, never, Scope.Scope> =>
  Effect.gen(function* () {
    const base = Math.max(1, opts.base)
    const max = Math.max(base, opts.max)
    let running = 0
    let peak = 0
    const waiters: Array<() => void> = []
    const start = () => {
      running++
      peak = Math.max(peak, running)
    }
    const next = () => {
      const w = waiters.shift()
      if (w === undefined) return false
      start()
      w()
      return true
    }
    const leave = () => {
      running--
      while (running < base && next()) {}
    }
    const enter = Effect.suspend(() => {
      if (running < base) {
        start()
        return Effect.void
      }
      return Effect.async<void>((resume) => {
        let handed = false
        const waiter = () => {
          handed = true
          resume(Effect.void)
        }
        waiters.push(waiter)
        return Effect.sync(() => {
          // Interrupted while waiting: leave the queue, or give back the place already handed over.
          if (handed) leave()
          else waiters.splice(waiters.indexOf(waiter), 1)
        })
      })
    })
    // One page more per tick while permits idle: the page just started needs a moment to take them.
    const tick = Effect.sync(() => {
      if (waiters.length > 0 && running < max && opts.idle()) next()
    })
    if (max > base) yield* Effect.forkScoped(Effect.repeat(tick, Schedule.spaced(Duration.millis(opts.tickMs ?? 10))))
    return { enter, leave, inFlight: () => running, peak: () => peak } satisfies PageWindow
  })
