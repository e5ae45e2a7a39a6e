import { CliConfig, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit } from "effect"
import { runCli } from "./cli/Cli.js"
import { CacheFileError } from "./store/ResponseCache.js"
import { NoSpaceError, RunStoreError, STORE_FAULT_EXIT } from "./store/storeFault.js"
import { knownFlags } from "./cli/knownFlags.js"
import { commandOf, withTerminalText } from "./cli/terminalText.js"

/**
 * Exit codes (DESIGN.md, README): 0 success, 1 run failed, 2 bad input (or a run another process writes to), 3/4/5 a damaged, read-only or full run
 * store, 130 interrupted (resumable).
 */
const exitCodeOf = (error: unknown): number => {
  if (ValidationError.isValidationError(error)) return 2
  if (error instanceof RunStoreError || error instanceof CacheFileError) return STORE_FAULT_EXIT[error.fault]
  if (error instanceof NoSpaceError) return STORE_FAULT_EXIT.full
  const tag = (error as { _tag?: string })._tag
  // Stopped by --max-cost: like an interruption, resumable.
  if (tag === "MaxCostReached") return 130
  // Stopped by the provider's exhausted quota: interrupted, resumable once there is credit again.
  if (tag === "QuotaExhausted") return 130
  // RunLocked: another process writes to the run (src/run/lock.ts).
  return tag === "SpecFileError" || tag === "UsageError" || tag === "BackendUnusableError" || tag === "RunLocked" ? 2 : 1
}

const args = process.argv.slice(2)
const command = commandOf(args)

const program = withTerminalText(runCli(process.argv), args, knownFlags).pipe(
  Effect.as(0),
  Effect.catchAll((error) =>
    Effect.gen(function* () {
      // @effect/cli has already printed its own validation message and help.
      if (!ValidationError.isValidationError(error)) yield* Console.error(`valuesim${command === null ? "" : ` ${command}`}: ${(error as Error).message}`)
      return exitCodeOf(error)
    })
  ),
  Effect.catchAllDefect((defect) =>
    Console.error(`valuesim: internal error: ${defect instanceof Error ? (defect.stack ?? defect.message) : String(defect)}`).pipe(Effect.as(1))
  ),
  // @effect/cli's own flags (--completions, --log-level, --wizard) still work; help lists only valuesim's.
  Effect.provide(CliConfig.layer({ showBuiltIns: false })),
  Effect.provide(NodeContext.layer)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isSuccess(exit)) onExit(typeof exit.value === "number" ? exit.value : 0)
    else onExit(Cause.isInterruptedOnly(exit.cause) ? 130 : 1)
  }
})
