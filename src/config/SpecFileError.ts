import { Data } from "effect"
import { escapeControl } from "../domain/printable.js"

/**
 * A user-supplied file (or argument) is unusable. Carries every problem found, each naming the file and the
 * field, so the CLI prints one readable message and exits with code 2.
 */
export class SpecFileError extends Data.TaggedError("SpecFileError")<{
  readonly file: string
  readonly problems: ReadonlyArray<string>
}> {
  override get message(): string {
    // Names and values from the file are printed with control characters escaped (one line per problem).
    const file = escapeControl(this.file)
    if (this.problems.length === 1) return `${file}: ${escapeControl(this.problems[0]!)}`
    return `${file}: ${this.problems.length} problems\n${this.problems.map((p) => `  - ${escapeControl(p)}`).join("\n")}`
  }
}

/** A bad command-line argument (exit code 2). */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/** The configured endpoint cannot serve the run (unreachable, wrong URL, garbage answers): exit code 2. */
export class BackendUnusableError extends Data.TaggedError("BackendUnusableError")<{
  readonly baseUrl: string
  readonly detail: string
}> {
  override get message(): string {
    return `--base-url ${this.baseUrl}: ${this.detail}; nothing was written`
  }
}
