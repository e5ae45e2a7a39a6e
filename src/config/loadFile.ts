import { FileSystem } from "@effect/platform"
import { Effect, Either, ParseResult, Schema } from "effect"
import * as path from "node:path"
import { parseDocument } from "yaml"
import { SpecFileError } from "./SpecFileError.js"

const fieldPath = (p: ReadonlyArray<PropertyKey>): string =>
  p.length === 0 ? "(top level)" : p.map((k) => (typeof k === "number" ? `[${k}]` : String(k))).join(".").replace(/\.\[/g, "[")

/**
 * The largest spec or data file read (8 MiB): far above any shipped file (the largest is 0.25 MB), and small
 * enough that parsing stays within a few hundred MB of memory (a 13 MB questionnaire of 100,000 items took 1 GB).
 */
export const MAX_SPEC_BYTES = 8 * 1024 * 1024

/** How many YAML aliases (`*name`) a file may use: shipped files use none; a billion-laughs file uses millions. */
export const MAX_YAML_ALIASES = 100

/** Reads a YAML or JSON file into plain data; a syntax error names the file, line and column. */
export const readDataFile = (file: string): Effect.Effect<unknown, SpecFileError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(file).pipe(Effect.option)
    if (info._tag === "Some" && info.value.type === "File" && Number(info.value.size) > MAX_SPEC_BYTES) {
      const mb = (n: number) => (n / (1024 * 1024)).toFixed(1)
      return yield* new SpecFileError({
        file,
        problems: [`(file): ${mb(Number(info.value.size))} MiB is more than the ${mb(MAX_SPEC_BYTES)} MiB a spec or data file may have`]
      })
    }
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError(() => new SpecFileError({ file, problems: ["cannot read the file (missing or not readable)"] }))
    )
    if (file.endsWith(".json")) {
      return yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (e) => new SpecFileError({ file, problems: [`not valid JSON: ${(e as Error).message}`] })
      })
    }
    const doc = parseDocument(text, { prettyErrors: false })
    if (doc.errors.length > 0) {
      return yield* new SpecFileError({
        file,
        problems: doc.errors.map((e) => {
          const pos = e.linePos?.[0]
          return `not valid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ""}: ${e.message.split("\n")[0]}`
        })
      })
    }
    // Aliases are expanded into plain data: a few nested ones ("billion laughs") would exhaust memory.
    return yield* Effect.try({
      try: () => doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown,
      catch: (e) =>
        new SpecFileError({
          file,
          problems: [
            /alias/i.test((e as Error).message)
              ? `not usable YAML: its aliases (*name) expand too far (at most ${MAX_YAML_ALIASES} alias expansions)`
              : `not usable YAML: ${(e as Error).message.split("\n")[0]}`
          ]
        })
    })
  })

/** Decodes data against a schema, listing every problem (unknown keys included) as "field: message". */
export const decodeData = <A, I>(schema: Schema.Schema<A, I>, data: unknown, file: string): Either.Either<A, SpecFileError> =>
  Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(data).pipe(
    Either.mapLeft((error) => {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
      const seen = new Set<string>()
      const problems: Array<string> = []
      for (const i of issues) {
        const line = `${fieldPath(i.path)}: ${i.message}`
        if (!seen.has(line)) {
          seen.add(line)
          problems.push(line)
        }
      }
      return new SpecFileError({ file, problems })
    })
  )

export const loadFile = <A, I>(schema: Schema.Schema<A, I>, file: string) =>
  Effect.flatMap(readDataFile(file), (data) => decodeData(schema, data, file))

/** Resolves a path written inside a spec file relative to that file's folder. */
export const resolveFrom = (specFile: string, relative: string): string =>
  path.isAbsolute(relative) ? relative : path.resolve(path.dirname(specFile), relative)
