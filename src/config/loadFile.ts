import { FileSystem } from "@effect/platform"
import { Effect, Either, ParseResult, Schema } from "effect"
import * as path from "node:path"
import { parseDocument } from "yaml"
import { SpecFileError } from "./SpecFileError.js"

const fieldPath = (p: ReadonlyArray<PropertyKey>): string =>
  p.length === 0 ? "(top level)" : p.map((k) => (typeof k === "number" ? `[${k}]` : String(k))).join(".").replace(/\.\[/g, "[")

/** Reads a YAML or JSON file into plain data; a syntax error names the file, line and column. */
export const readDataFile = (file: string): Effect.Effect<unknown, SpecFileError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
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
    return doc.toJS() as unknown
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
