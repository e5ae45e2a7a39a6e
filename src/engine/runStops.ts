/**
 * Reasons a run stops before its work is done, other than Ctrl-C and --max-cost: answers that are mostly
 * missing (a setting is wrong: carrying on would only spend money on more missing answers), and a provider
 * that says the account's quota is exhausted (waiting does not help; retrying would only fail again).
 */
import { Data, Deferred, Duration, Effect } from "effect"
import { shellWord } from "../domain/printable.js"
import type { LlmError } from "../llm/LlmError.js"

/** Share of missing answers above which a run stops, once `MISSING_MIN_ANSWERS` answers are in. */
export const MISSING_STOP_SHARE = 0.5
export const MISSING_MIN_ANSWERS = 40

/** Most answers so far are missing: the run stops with why and what to change (exit 1). */
export class MostlyMissingError extends Data.TaggedError("MostlyMissing")<{
  readonly missing: number
  readonly answers: number
  /** The most common error of the missing answers (it names the setting to change where it is known). */
  readonly reason: string | null
  readonly runDir: string
}> {
  override get message(): string {
    const why = this.reason ?? "the replies could not be read as answers"
    return `stopped: ${this.missing} of the first ${this.answers} answers are missing: ${why}. Change that and start the run again (the answers so far are kept in ${shellWord(this.runDir)})`
  }
}

/** What the run's writer has committed so far (WriterStats). */
export interface AnswerTotals {
  readonly answers: number
  readonly missing: number
  readonly unitsDone: number
  readonly unitsFailed: number
}

/**
 * The answers of finished agent-steps and how many of them are missing. Answers of failed agent-steps (a request
 * that failed: `resume` asks it again) are left out, at the average answers per agent-step, so a server that
 * fails is reported as failures with a resume, not as a setting to change.
 */
export const doneAnswers = (t: AnswerTotals): { readonly answers: number; readonly missing: number } => {
  const units = t.unitsDone + t.unitsFailed
  const inFailed = units === 0 ? 0 : Math.round((t.unitsFailed * t.answers) / units)
  return { answers: t.answers - inFailed, missing: Math.max(0, t.missing - inFailed) }
}

/** True when most answers of finished agent-steps are missing (`final`: the run's work is done, however few it had). */
export const mostlyMissing = (t: AnswerTotals, final = false): boolean => {
  const { answers, missing } = doneAnswers(t)
  return answers > 0 && (final || answers >= MISSING_MIN_ANSWERS) && missing > MISSING_STOP_SHARE * answers
}

/** The MostlyMissingError of these totals. */
export const mostlyMissingError = (t: AnswerTotals, reason: string | null, runDir: string): MostlyMissingError =>
  new MostlyMissingError({ ...doneAnswers(t), reason, runDir })

/**
 * Fails with MostlyMissingError as soon as the answers written so far are mostly missing (checked every
 * 200 ms); raced against the run's work. `reasonOf` is asked once, when it fires.
 */
export const missingGuard = (stats: AnswerTotals, reasonOf: () => string | null, runDir: string): Effect.Effect<never, MostlyMissingError> =>
  Effect.gen(function* () {
    while (true) {
      if (mostlyMissing(stats)) return yield* mostlyMissingError(stats, reasonOf(), runDir)
      yield* Effect.sleep(Duration.millis(200))
    }
  })

/** The provider refused a request because the account's quota is exhausted: the run stops at once (exit 130, resumable). */
export class QuotaExhaustedError extends Data.TaggedError("QuotaExhausted")<{
  /** The provider's own words. */
  readonly detail: string
  readonly resume: string
}> {
  override get message(): string {
    return `stopped: the provider refused a request for lack of quota ("${this.detail}"); finished answers are saved. Add credit or raise the limit, then continue with: ${this.resume}`
  }
}

/**
 * A latch the scheduler's failure events trip: `trip` with a QuotaExhausted error completes it (once), and
 * `stopped` fails as soon as it is; raced against the run's work, it stops every request at once.
 */
export const makeQuotaStop = (resume: string) =>
  Effect.map(Deferred.make<never, QuotaExhaustedError>(), (latch) => ({
    trip: (error: LlmError | undefined): void => {
      if (error?.reason !== "QuotaExhausted") return
      Deferred.unsafeDone(latch, Effect.fail(new QuotaExhaustedError({ detail: error.detail, resume })))
    },
    stopped: Deferred.await(latch)
  }))
