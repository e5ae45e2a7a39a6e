import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { branchRun, parseParams } from "../experiments/branch.js"
import { backendOptions, cacheOptions, env, finish, json, noTui, opt, outputOf, repeatable } from "./runOptions.js"

/** `valuesim branch RUN-DIR --from-step K [changes]`: a new run reusing the stored answers of steps before K. */
export const branchCommand = Command.make(
  "branch",
  {
    runDir: Args.directory({ name: "run-dir" }),
    fromStep: Options.integer("from-step").pipe(Options.withDescription("the first step to run again (0-based, as the export's step column); the steps before it are reused at no cost (required)")),
    seed: backendOptions.seed,
    backend: backendOptions.backend,
    model: backendOptions.model,
    baseUrl: backendOptions.baseUrl,
    param: repeatable(Options.text("param")).pipe(Options.withDescription("KEY=VALUE: a game parameter for the game steps from K on (repeatable). Default: the parent's parameters")),
    runsDir: backendOptions.runsDir,
    ...cacheOptions,
    noTui,
    json
  },
  (a) =>
    Effect.gen(function* () {
      const params = a.param.length === 0 ? undefined : yield* parseParams(a.param)
      const changes = { seed: opt(a.seed), backend: opt(a.backend), model: opt(a.model), baseUrl: opt(a.baseUrl), params }
      const summary = yield* branchRun(a.runDir, a.fromStep, changes, a.runsDir, env, outputOf(a))
      yield* finish(summary, a.json)
    })
).pipe(Command.withDescription("a new run that reuses a run's stored answers before step K (no request sent for them) and runs the rest with changes"))
