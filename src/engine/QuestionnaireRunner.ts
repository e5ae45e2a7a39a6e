import { Chunk, Effect, Option, Stream } from "effect"
import type { RunSpec } from "../config/RunSpec.js"
import type { Completion, ItemAnswer } from "../domain/answers.js"
import type { PresentedChoice } from "../domain/questionnaire.js"
import { parseAnswer, renormaliseLogprobs } from "../llm/scoring.js"
import type { Respondent } from "../respondents/Respondent.js"
import { categorical } from "../sampling/rng.js"
import { makePageWindow } from "./pageWindow.js"
import { readPendingAgents, type PendingAgent } from "../store/reads.js"
import type { RunDb } from "../store/RunStore.js"
import type { ResultWriter } from "../store/ResultWriter.js"

export type { PendingAgent } from "../store/reads.js"

/** Agents whose unit for `step` is not done (pending or failed), in id order, paged so memory stays flat. */
export const pendingAgents = (db: RunDb, step: number, pageSize: number): Stream.Stream<ReadonlyArray<PendingAgent>> =>
  Stream.paginateChunkEffect(-1, (after) =>
    Effect.sync(() => {
      const rows = readPendingAgents(db, step, after, pageSize)
      const last = rows[rows.length - 1]
      const next = last !== undefined && rows.length === pageSize ? Option.some(last.agentId) : Option.none()
      return [rows.length > 0 ? Chunk.of<ReadonlyArray<PendingAgent>>(rows) : Chunk.empty<ReadonlyArray<PendingAgent>>(), next] as const
    })
  )

interface Scored {
  readonly value: number | null
  readonly dist: ReadonlyArray<number> | null
  readonly scoring: ItemAnswer["scoring"]
  readonly presentedToken: string | null
}

/**
 * Turns a completion into an answer over `choices` (as presented) whose canonical order is `canonical` (the
 * scale values, lowest first). `logprob`: renormalised first-token probabilities over the valid options, the
 * answer drawn with the agent's stream; when the server returned no usable logprobs the generated text is
 * parsed instead and the answer is marked `sample`. Shared by questionnaire items and game decisions.
 */
export const scoreChoice = (
  choices: ReadonlyArray<PresentedChoice>,
  canonical: ReadonlyArray<number>,
  text: string,
  top: Completion["topLogprobs"],
  mode: ItemAnswer["scoring"],
  draw: () => number
): Scored => {
  if (mode === "logprob" && top !== null) {
    const presented = renormaliseLogprobs(top, choices)
    if (presented !== null) {
      const dist = canonical.map((v) => presented[choices.findIndex((c) => c.value === v)] ?? 0)
      const value = canonical[categorical(dist, draw)]!
      return { value, dist, scoring: "logprob", presentedToken: choices.find((c) => c.value === value)!.token }
    }
  }
  const idx = parseAnswer(text, choices)
  if (idx === null) return { value: null, dist: null, scoring: "sample", presentedToken: null }
  return { value: choices[idx]!.value, dist: null, scoring: "sample", presentedToken: choices[idx]!.token }
}

/**
 * Lets timers and I/O run between pages of CPU-bound work. Effect's scheduler otherwise runs up to 2,048
 * rounds of microtasks before it yields to the event loop, which starved the progress reporter for the whole
 * of a synthetic run.
 */
export const yieldToEventLoop = Effect.async<void>((resume) => {
  setImmediate(() => resume(Effect.void))
})

/**
 * Runs one questionnaire step over every pending agent: pages of agents go to the respondent (whichever
 * backend it is) and the columnar pages it answers go to the writer, in whatever order they finish. With
 * `idle` (the backend has permits nobody waits for), more pages than the respondent's `pagesInFlight` start
 * while requests back off, up to its `maxPagesInFlight` (see pageWindow.ts).
 */
export const runQuestionnaireStep = (
  spec: RunSpec,
  step: number,
  db: RunDb,
  writer: ResultWriter,
  respondent: Respondent,
  gate: Effect.Effect<void> = Effect.void,
  idle: (() => boolean) | null = null
) => {
  const s = spec.steps[step]!
  if (s.kind !== "questionnaire") throw new Error(`step ${step} is not a questionnaire`)
  const q = s.questionnaire
  const { pageSize, pagesInFlight, maxPagesInFlight } = respondent.paging(q)
  const answer = (agents: ReadonlyArray<PendingAgent>) =>
    Effect.zipRight(gate, respondent.answer(step, q, agents)).pipe(Effect.tap(writer.write), Effect.zipLeft(yieldToEventLoop))
  const max = idle === null ? pagesInFlight : Math.max(pagesInFlight, maxPagesInFlight ?? pagesInFlight)
  if (max === pagesInFlight) {
    return pendingAgents(db, step, pageSize).pipe(
      Stream.mapEffect(answer, { concurrency: pagesInFlight, unordered: true }),
      Stream.runDrain
    )
  }
  return Effect.scoped(
    Effect.gen(function* () {
      const window = yield* makePageWindow({ base: pagesInFlight, max, idle: idle! })
      const windowed = (agents: ReadonlyArray<PendingAgent>) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.zipRight(restore(window.enter), Effect.ensuring(restore(answer(agents)), Effect.sync(window.leave)))
        )
      yield* pendingAgents(db, step, pageSize).pipe(Stream.mapEffect(windowed, { concurrency: max, unordered: true }), Stream.runDrain)
    })
  )
}
