import { societyFromData } from "../society/SocietyFile.js"
import { Effect, Either } from "effect"
import { BASELINE_KINDS, baselineFromData, isBaselineKind } from "../config/BaselineFile.js"
import { DerivationFileSchema } from "../config/DerivationFile.js"
import { gameFromData } from "../config/GameFile.js"
import { decodeData, readDataFile } from "../config/loadFile.js"
import { personaGroupsFromData, personaTheoryFromData } from "../config/PersonaEvalsData.js"
import { loadPopulation, PromptsFileSchema } from "../config/PopulationFile.js"
import { questionnaireFromData } from "../config/QuestionnaireFile.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { loadRunSpec } from "../config/StudyFile.js"
import { HumanEffectSchema, UnavailableEffectsSchema } from "../experiments/human.js"
import { SocietyFiguresSchema, UnavailableSocietySchema } from "../society/report.js"

export interface Validated {
  readonly file: string
  readonly kind: string
  readonly problems: ReadonlyArray<string>
}

const problemsOf = (e: unknown): ReadonlyArray<string> =>
  e instanceof SpecFileError ? e.problems.map((p) => `${e.file}: ${p}`) : [String((e as Error).message ?? e)]

/** Checks one spec file of any kind (population, questionnaire, study, condition prompts, any human baseline). */
export const validateFile = (file: string, env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const data = yield* Effect.either(readDataFile(file))
    if (Either.isLeft(data)) return { file, kind: "unknown", problems: problemsOf(data.left) }
    const kind = typeof data.right === "object" && data.right !== null ? String((data.right as { kind?: unknown }).kind) : "unknown"
    const check = (): Effect.Effect<unknown, unknown, never> | Either.Either<unknown, SpecFileError> => {
      // Every baseline kind (dominant-value-shares included) is decoded and checked the way reports load it.
      if (isBaselineKind(kind)) return baselineFromData(data.right, file)
      switch (kind) {
        case "questionnaire":
          return questionnaireFromData(data.right, file)
        case "condition-prompts":
          return decodeData(PromptsFileSchema, data.right, file)
        case "game":
          return gameFromData(data.right, file)
        case "society":
          return societyFromData(data.right, file)
        case "baseline-derivation":
          // The mapping alone: its columns are checked against the data by `baseline derive`.
          return decodeData(DerivationFileSchema, data.right, file)
        case "persona-evals-theory":
          return personaTheoryFromData(data.right, file)
        case "persona-evals-groups":
          return personaGroupsFromData(data.right, file)
        // The human figures of experiments and societies (read by their reports).
        case "experiment-effect":
          return decodeData(HumanEffectSchema, data.right, file)
        case "unavailable-experiment-effects":
          return decodeData(UnavailableEffectsSchema, data.right, file)
        case "society-human-figures":
          return decodeData(SocietyFiguresSchema, data.right, file)
        case "unavailable-society-figures":
          return decodeData(UnavailableSocietySchema, data.right, file)
        default:
          return Either.left(
            new SpecFileError({
              file,
              problems: [
                `kind: unknown kind ${JSON.stringify(kind)} (expected study, questionnaire, population, condition-prompts, game, society, baseline-derivation, persona-evals-theory, persona-evals-groups, experiment-effect, unavailable-experiment-effects, society-human-figures, unavailable-society-figures or a baseline kind: ${BASELINE_KINDS.join(", ")})`
              ]
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
