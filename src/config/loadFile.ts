import { FileSystem } from "@effect/platform"
import { Effect, Either, Option, ParseResult, Schema, SchemaAST, type SchemaAST as AST } from "effect"
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

/** How deeply lists and mappings may nest in a spec or data file: shipped files nest at most 6 levels. */
export const MAX_SPEC_DEPTH = 64

/** The deepest nesting of lists and mappings in `data` (a scalar is 0), counted without recursion. */
const nestingDepth = (data: unknown): number => {
  let deepest = 0
  const stack: Array<readonly [unknown, number]> = [[data, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (typeof v !== "object" || v === null) continue
    deepest = Math.max(deepest, d + 1)
    if (deepest > MAX_SPEC_DEPTH) return deepest
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1])
  }
  return deepest
}

const TOO_DEEP = `(file): lists or mappings nest deeper than the ${MAX_SPEC_DEPTH} levels a spec or data file may have`
const mib = (n: number) => (n / (1024 * 1024)).toFixed(1)
const TOO_LARGE = (bytes: number | null) =>
  `(file): ${bytes === null ? "more" : `${mib(bytes)} MiB is more`} than the ${mib(MAX_SPEC_BYTES)} MiB a spec or data file may have`

/** What a file that is not a regular file is, in words. */
const kindOf = (type: FileSystem.File.Type): string =>
  type === "Directory" ? "a folder" : type === "FIFO" ? "a named pipe (FIFO) or pipe" : type === "CharacterDevice" || type === "BlockDevice" ? "a device" : type === "Socket" ? "a socket" : "not a regular file"

/**
 * The text of a regular file of at most MAX_SPEC_BYTES, read in chunks so that a file growing while it is read
 * is cut off at the limit (null: over it). Pipes, FIFOs and devices are refused before they are opened: a FIFO
 * without a writer would block the open for ever, and `/dev/zero` never ends.
 */
export const readSpecText = (file: string): Effect.Effect<string, SpecFileError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const unreadable = new SpecFileError({ file, problems: ["cannot read the file (missing or not readable)"] })
    const info = yield* fs.stat(file).pipe(Effect.mapError(() => unreadable))
    if (info.type !== "File") {
      return yield* new SpecFileError({ file, problems: [`(file): ${kindOf(info.type)}, not a regular file; save it to a file and give that`] })
    }
    if (Number(info.size) > MAX_SPEC_BYTES) return yield* new SpecFileError({ file, problems: [TOO_LARGE(Number(info.size))] })
    const bytes = yield* Effect.scoped(
      Effect.gen(function* () {
        const handle = yield* fs.open(file, { flag: "r" })
        const chunks: Array<Uint8Array> = []
        let total = 0
        while (true) {
          const got = yield* handle.readAlloc(FileSystem.Size(256 * 1024))
          if (Option.isNone(got) || got.value.length === 0) break
          total += got.value.length
          if (total > MAX_SPEC_BYTES) return null
          chunks.push(got.value)
        }
        return Buffer.concat(chunks, total)
      })
    ).pipe(Effect.mapError(() => unreadable))
    if (bytes === null) return yield* new SpecFileError({ file, problems: [TOO_LARGE(null)] })
    return new TextDecoder("utf-8").decode(bytes)
  })

/** Reads a YAML or JSON file into plain data; a syntax error names the file, line and column. */
const EMPTY = "the file is empty (no YAML or JSON content): a spec file starts with its kind, e.g. kind: study"

export const readDataFile = (file: string): Effect.Effect<unknown, SpecFileError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const text = yield* readSpecText(file)
    if (text.trim() === "") return yield* new SpecFileError({ file, problems: [EMPTY] })
    const data = yield* parseText(file, text)
    if (nestingDepth(data) > MAX_SPEC_DEPTH) return yield* new SpecFileError({ file, problems: [TOO_DEEP] })
    return data
  })

/** A parser that ran out of stack on deeply nested input (YAML's composer recurses per level). */
const stackExhausted = (e: unknown) => e instanceof RangeError || (e instanceof Error && /call stack/i.test(e.message))

const parseText = (file: string, text: string): Effect.Effect<unknown, SpecFileError> =>
  Effect.gen(function* () {
    if (file.endsWith(".json")) {
      return yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (e) => new SpecFileError({ file, problems: [stackExhausted(e) ? TOO_DEEP : `not valid JSON: ${(e as Error).message}`] })
      })
    }
    const doc = yield* Effect.try({
      try: () => parseDocument(text, { prettyErrors: false }),
      catch: (e) => new SpecFileError({ file, problems: [stackExhausted(e) ? TOO_DEEP : `not valid YAML: ${(e as Error).message.split("\n")[0]}`] })
    })
    if (doc.errors.length > 0) {
      if (doc.errors.some(stackExhausted)) return yield* new SpecFileError({ file, problems: [TOO_DEEP] })
      return yield* new SpecFileError({
        file,
        problems: doc.errors.map((e) => {
          const pos = e.linePos?.[0]
          return `not valid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ""}: ${e.message.split("\n")[0]}`
        })
      })
    }
    // Only comments (or a bare `---`): as empty as no text at all.
    if (doc.contents === null) return yield* new SpecFileError({ file, problems: [EMPTY] })
    // Aliases are expanded into plain data: a few nested ones ("billion laughs") would exhaust memory.
    return yield* Effect.try({
      try: () => doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown,
      catch: (e) =>
        new SpecFileError({
          file,
          problems: [
            stackExhausted(e)
              ? TOO_DEEP
              : /alias/i.test((e as Error).message)
                ? `not usable YAML: its aliases (*name) expand too far (at most ${MAX_YAML_ALIASES} alias expansions)`
                : `not usable YAML: ${(e as Error).message.split("\n")[0]}`
          ]
        })
    })
  })

/** A value from the file as it appears in a message: short, on one line. */
const shown = (v: unknown): string => {
  if (v === undefined) return "nothing"
  const text = JSON.stringify(v) ?? String(v)
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}

/** What a schema expects, in words (never the schema's own type notation). */
const expected = (ast: AST.AST): string => {
  switch (ast._tag) {
    case "StringKeyword":
      return "text"
    case "NumberKeyword":
      return "a number"
    case "BooleanKeyword":
      return "true or false"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "TypeLiteral": {
      const required = ast.propertySignatures.filter((p) => !p.isOptional).map((p) => String(p.name))
      if (ast.propertySignatures.length === 0) return "a mapping (key: value)"
      return required.length === 0 ? "a mapping (key: value)" : `a mapping with key${required.length > 1 ? "s" : ""} ${required.join(", ")}`
    }
    case "TupleType":
      return "a list"
    case "Union": {
      const members = ast.types.filter((t) => t._tag !== "UndefinedKeyword").map(expected)
      return members.length <= 1 ? (members[0] ?? "nothing") : `${members.slice(0, -1).join(", ")} or ${members[members.length - 1]}`
    }
    case "Refinement":
      return expected(ast.from)
    case "Transformation":
      return expected(ast.to)
    case "Suspend":
      return expected(ast.f())
    default:
      return "another value"
  }
}

/** A schema message "Expected X, actual Y" reworded as "expected X, got Y". */
const reworded = (message: string): string => {
  const m = /^Expected (.*), actual (.*)$/s.exec(message)
  return m === null ? message : `expected ${m[1]}, got ${m[2]}`
}

/**
 * Every problem of a decode, one line per field: optional fields do not add "Expected undefined", a field
 * that must be one of several words says so once, and a union of mappings (a step is a questionnaire or a
 * game) is one line instead of one per alternative.
 */
const problemLines = (issue: ParseResult.ParseIssue, at: ReadonlyArray<PropertyKey>, out: Array<[ReadonlyArray<PropertyKey>, string]>): void => {
  // A schema with its own message (e.g. "unknown game …") says it in its words.
  if ((issue._tag === "Type" || issue._tag === "Composite") && Option.isSome(SchemaAST.getMessageAnnotation(issue.ast))) {
    for (const i of ParseResult.ArrayFormatter.formatIssueSync(issue)) out.push([[...at, ...i.path], reworded(i.message)])
    return
  }
  switch (issue._tag) {
    case "Pointer":
      return problemLines(issue.issue, [...at, ...(Array.isArray(issue.path) ? issue.path : [issue.path])], out)
    case "Missing":
      out.push([at, "missing (required)"])
      return
    case "Unexpected":
      out.push([at, "unknown key"])
      return
    case "Transformation":
      return problemLines(issue.issue, at, out)
    case "Refinement":
      if (issue.kind === "From") return problemLines(issue.issue, at, out)
      for (const i of ParseResult.ArrayFormatter.formatIssueSync(issue)) out.push([[...at, ...i.path], reworded(i.message)])
      return
    case "Type":
    case "Forbidden":
      out.push([at, issue.message !== undefined ? issue.message : `expected ${expected(issue.ast)}, got ${shown(issue.actual)}`])
      return
    case "Composite": {
      const issues = Array.isArray(issue.issues) ? issue.issues : [issue.issues as ParseResult.ParseIssue]
      if (issue.ast._tag !== "Union") {
        for (const i of issues) problemLines(i, at, out)
        return
      }
      // An optional field is X | undefined: the undefined alternative only adds noise.
      const members = issue.ast.types.filter((t) => t._tag !== "UndefinedKeyword")
      const relevant = issues.filter((i) => !(i._tag === "Type" && i.ast._tag === "UndefinedKeyword"))
      if (members.length === 1 && relevant.length === 1) return problemLines(relevant[0]!, at, out)
      out.push([at, `expected ${expected(issue.ast)}, got ${shown(issue.actual)}`])
      return
    }
  }
}

const problemsOfIssue = (issue: ParseResult.ParseIssue): Array<string> => {
  const lines: Array<[ReadonlyArray<PropertyKey>, string]> = []
  problemLines(issue, [], lines)
  return [...new Set(lines.map(([p, m]) => `${fieldPath(p)}: ${m}`))]
}

/** Decodes data against a schema, listing every problem (unknown keys included) as "field: message", one per field. */
export const decodeData = <A, I>(schema: Schema.Schema<A, I>, data: unknown, file: string): Either.Either<A, SpecFileError> =>
  Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(data).pipe(
    Either.mapLeft((error) => new SpecFileError({ file, problems: problemsOfIssue(error.issue) }))
  )

export const loadFile = <A, I>(schema: Schema.Schema<A, I>, file: string) =>
  Effect.flatMap(readDataFile(file), (data) => decodeData(schema, data, file))

/** Resolves a path written inside a spec file relative to that file's folder. */
export const resolveFrom = (specFile: string, relative: string): string =>
  path.isAbsolute(relative) ? relative : path.resolve(path.dirname(specFile), relative)
