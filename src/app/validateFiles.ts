import { Effect, Either } from "effect"
import { decodeData, readDataFile } from "../config/loadFile.js"
import { loadPopulation, PromptsFileSchema, SharesFileSchema } from "../config/PopulationFile.js"
import { questionnaireFromData } from "../config/QuestionnaireFile.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { loadRunSpec } from "../config/StudyFile.js"

export interface Validated {
  readonly file: string
  readonly kind: string
  readonly problems: ReadonlyArray<string>
}

const problemsOf = (e: unknown): ReadonlyArray<string> =>
  e instanceof SpecFileError ? e.problems.map((p) => `${e.file}: ${p}`) : [String((e as Error).message ?? e)]

/** Checks one spec file of any kind (population, questionnaire, study, condition prompts, shares). */
export const validateFile = (file: string, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const data = yield* Effect.either(readDataFile(file))
    if (Either.isLeft(data)) return { file, kind: "unknown", problems: problemsOf(data.left) }
    const kind = typeof data.right === "object" && data.right !== null ? String((data.right as { kind?: unknown }).kind) : "unknown"
    const check = (): Effect.Effect<unknown, unknown, never> | Either.Either<unknown, SpecFileError> => {
      switch (kind) {
        case "questionnaire":
          return questionnaireFromData(data.right, file)
        case "condition-prompts":
          return decodeData(PromptsFileSchema, data.right, file)
        case "dominant-value-shares":
          return decodeData(SharesFileSchema, data.right, file)
        default:
          return Either.left(
            new SpecFileError({
              file,
              problems: [`kind: unknown kind ${JSON.stringify(kind)} (expected study, questionnaire, population, condition-prompts or dominant-value-shares)`]
            })
          )
      }
    }
    const result =
      kind === "population"
        ? yield* Effect.either(loadPopulation(file))
        : kind === "study"
          ? yield* Effect.either(loadRunSpec(file, {}, env))
          : yield* Effect.either(check() as Effect.Effect<unknown, unknown>)
    return { file, kind, problems: Either.isLeft(result) ? problemsOf(result.left) : [] } satisfies Validated
  })
