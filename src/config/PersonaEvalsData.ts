import { FileSystem } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import { createHash } from "node:crypto"
import * as path from "node:path"
import type { Value10 } from "../domain/values.js"
import { parseValue10, VALUES_10 } from "../domain/values.js"
import { decodeData, readDataFile, readSpecText } from "./loadFile.js"
import { SpecFileError, UsageError } from "./SpecFileError.js"

/**
 * The persona statement sets of Perez et al. (2023), "Discovering Language Model Behaviors with Model-Written
 * Evaluations" (CC BY 4.0): one JSONL file per behaviour, each line a statement with the answer ("Yes" or "No")
 * that a holder of the behaviour would give. The texts are third-party: they are read from the user's folder at
 * run time and never shipped with valuesim.
 */
export interface PersonaStatement {
  /** 1-based line of the file, to trace a statement back to its source. */
  readonly line: number
  readonly statement: string
  /** The answer that matches the behaviour. */
  readonly matching: "Yes" | "No"
}

export interface PersonaSet {
  readonly behaviour: string
  readonly file: string
  /** sha256 of the file, recorded in the run manifest. */
  readonly sha256: string
  readonly statements: ReadonlyArray<PersonaStatement>
}

const MAX_LISTED = 20

/** Validates one JSONL file's text; every bad line is named with its field. */
export const parsePersonaSet = (text: string): { readonly statements: Array<PersonaStatement>; readonly problems: Array<string> } => {
  const statements: Array<PersonaStatement> = []
  const problems: Array<string> = []
  text.split("\n").forEach((raw, i) => {
    const line = i + 1
    if (raw.trim() === "") return
    let row: unknown
    try {
      row = JSON.parse(raw)
    } catch (e) {
      problems.push(`line ${line}: not valid JSON (${(e as Error).message})`)
      return
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      problems.push(`line ${line}: expected a JSON object`)
      return
    }
    const r = row as Record<string, unknown>
    const statement = r["statement"]
    const answer = r["answer_matching_behavior"]
    let ok = true
    if (typeof statement !== "string" || statement.trim() === "") {
      problems.push(`line ${line}: statement: expected a non-empty string`)
      ok = false
    }
    const matching = typeof answer === "string" ? answer.trim() : undefined
    if (matching !== "Yes" && matching !== "No") {
      problems.push(`line ${line}: answer_matching_behavior: expected " Yes" or " No", got ${JSON.stringify(answer ?? null)}`)
      ok = false
    }
    if (ok) statements.push({ line, statement: (statement as string).trim(), matching: matching as "Yes" | "No" })
  })
  if (problems.length === 0 && statements.length === 0) problems.push("no statements in the file")
  return { statements, problems }
}

/**
 * Reads the persona sets in folder `dir` (`<behaviour>.jsonl`), all of them or the `behaviours` asked for.
 * A missing folder, an unknown behaviour or a malformed line fails with one message naming the file (or the
 * option), the line and the field.
 */
export const loadPersonaSets = (dir: string, behaviours: ReadonlyArray<string> | null) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const names = yield* fs.readDirectory(dir).pipe(
      Effect.mapError(() => new SpecFileError({ file: dir, problems: ["--data: cannot read the folder (missing or not a folder)"] }))
    )
    const available = names.filter((n) => n.endsWith(".jsonl")).map((n) => n.slice(0, -".jsonl".length)).sort()
    if (available.length === 0) {
      return yield* new SpecFileError({ file: dir, problems: ["--data: no <behaviour>.jsonl files in this folder"] })
    }
    let chosen = available
    if (behaviours !== null) {
      const unknown = behaviours.filter((b) => !available.includes(b))
      if (unknown.length > 0) {
        return yield* new UsageError({
          detail: `--behaviours: no persona set ${unknown.map((u) => `"${u}"`).join(", ")} in ${dir} (${available.length} available, e.g. ${available.slice(0, 3).join(", ")})`
        })
      }
      chosen = [...new Set(behaviours)]
    }
    const sets: Array<PersonaSet> = []
    for (const behaviour of chosen) {
      const file = path.join(dir, `${behaviour}.jsonl`)
      const text = yield* readSpecText(file)
      const { statements, problems } = parsePersonaSet(text)
      if (problems.length > 0) {
        const listed = problems.length > MAX_LISTED ? [...problems.slice(0, MAX_LISTED), `… and ${problems.length - MAX_LISTED} more`] : problems
        return yield* new SpecFileError({ file, problems: listed })
      }
      sets.push({ behaviour, file, sha256: createHash("sha256").update(text).digest("hex"), statements })
    }
    return sets
  })

const TheoryFileSchema = Schema.Struct({
  kind: Schema.Literal("persona-evals-theory"),
  id: Schema.String.pipe(Schema.minLength(1)),
  source: Schema.String.pipe(Schema.minLength(1)),
  notes: Schema.optional(Schema.String),
  peaks: Schema.Record({ key: Schema.String, value: Schema.String })
}).annotations({ identifier: "PersonaEvalsTheory" })

/** Decodes a theory mapping file's data, checking every value code. */
export const personaTheoryFromData = (data: unknown, file: string) =>
  Either.flatMap(decodeData(TheoryFileSchema, data, file), (f) => {
    const problems: Array<string> = []
    const peaks = new Map<string, Value10>()
    for (const [behaviour, code] of Object.entries(f.peaks)) {
      const v = parseValue10(code)
      if (v === undefined) problems.push(`peaks.${behaviour}: unknown value code "${code}" (expected one of ${VALUES_10.join(", ")})`)
      else peaks.set(behaviour, v)
    }
    return problems.length > 0 ? Either.left(new SpecFileError({ file, problems })) : Either.right({ id: f.id, source: f.source, peaks })
  })

/** The behaviour → value mapping the synthetic respondent answers on (`theory.peak`); see the file's notes. */
export const loadPersonaTheory = (file: string) => Effect.flatMap(readDataFile(file), (data) => personaTheoryFromData(data, file))

const GroupsFileSchema = Schema.Struct({
  kind: Schema.Literal("persona-evals-groups"),
  id: Schema.String.pipe(Schema.minLength(1)),
  source: Schema.String.pipe(Schema.minLength(1)),
  notes: Schema.optional(Schema.String),
  groups: Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String.pipe(Schema.minLength(1))).pipe(Schema.minItems(1)) })
}).annotations({ identifier: "PersonaEvalsGroups" })

/**
 * Behaviours reported as aggregates of several persona sets (paper 000 §4, footnote 1: a behaviour of figure 3
 * may pool sub-behaviours). Group name → the sets it pools, in file order.
 */
export const personaGroupsFromData = (data: unknown, file: string) =>
  Either.map(
    decodeData(GroupsFileSchema, data, file),
    (f) => new Map(Object.entries(f.groups).map(([g, sets]): [string, ReadonlyArray<string>] => [g, [...new Set(sets)]]))
  )

export const loadPersonaGroups = (file: string) => Effect.flatMap(readDataFile(file), (data) => personaGroupsFromData(data, file))
