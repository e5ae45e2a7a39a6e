/**
 * Where a run stops on a signal: the first Ctrl-C or SIGTERM interrupts the run through the Effect runtime (the
 * drive loop records the status `interrupted` and prints how to resume); a second one while that is handled
 * ends the process at once, after `last` has recorded what it can.
 */
import { Effect } from "effect"

/**
 * While `self` runs, a second SIGINT or SIGTERM (the runtime handles the first by interrupting the run) calls
 * `last` and exits with 130 at once; without this the default action would kill the process silently.
 */
export const secondSignalStops =
  (last: () => void) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        let seen = 0
        const onSignal = () => {
          seen++
          if (seen < 2) return
          last()
          process.exit(130)
        }
        process.on("SIGINT", onSignal)
        process.on("SIGTERM", onSignal)
        return onSignal
      }),
      () => self,
      (onSignal) =>
        Effect.sync(() => {
          process.removeListener("SIGINT", onSignal)
          process.removeListener("SIGTERM", onSignal)
        })
    )
