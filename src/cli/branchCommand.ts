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
    seed: Options.integer("seed").pipe(Options.optional, Options.withDescription("a new seed for the steps from K on (new draws). Default: the parent's seed")),
    backend: Options.choice("backend", ["synthetic", "openai", "local"]).pipe(Options.optional, Options.withDescription("another backend for the steps from K on. Default: the parent's")),
    model: Options.text("model").pipe(Options.optional, Options.withDescription("another model for the steps from K on. Default: the parent's")),
    baseUrl: Options.text("base-url").pipe(Options.optional, Options.withDescription("another endpoint for the steps from K on. Default: the parent's")),
    param: repeatable(Options.text("param")).pipe(Options.withDescription("KEY=VALUE: a game parameter for the game steps from K on (repeatable). Default: the parent's parameters")),
    arm: Options.text("arm").pipe(Options.optional, Options.withDescription("NAME: an arm of an experiment from step K on; every arm step of that experiment is answered in this arm, by the same agents as in the parent. Default: the parent's arms")),
    runsDir: backendOptions.runsDir,
    ...cacheOptions,
    noTui,
    json
  },
  (a) =>
    Effect.gen(function* () {
      const params = a.param.length === 0 ? undefined : yield* parseParams(a.param)
      const changes = { seed: opt(a.seed), backend: opt(a.backend), model: opt(a.model), baseUrl: opt(a.baseUrl), params, arm: opt(a.arm) }
      const summary = yield* branchRun(a.runDir, a.fromStep, changes, a.runsDir, env, outputOf(a))
      yield* finish(summary, a.json)
    })
).pipe(Command.withDescription("a new run that reuses a run's stored answers before step K (no request sent for them) and runs the rest with changes"))
