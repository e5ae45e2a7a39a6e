import { Effect, Either, Schema } from "effect"
import type { DecisionTheory, GameKind, GameScenario } from "../domain/games.js"
import { GAME_KINDS } from "../domain/games.js"
import { parseValue10, VALUES_10 } from "../domain/values.js"
import { paramsText } from "../engine/GameRunner.js"
import { gameParamProblems, makeGame } from "../games/index.js"
import { decodeData, readDataFile } from "./loadFile.js"
import { SafeId } from "./ids.js"
import { SpecFileError } from "./SpecFileError.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1))

export const GameFileSchema = Schema.Struct({
  kind: Schema.Literal("game"),
  id: SafeId,
  title: NonEmpty,
  source: NonEmpty,
  game: Schema.Literal(...GAME_KINDS),
  params: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  prompts: Schema.Struct({
    rules: NonEmpty,
    decisions: Schema.Record({ key: Schema.String, value: NonEmpty }),
    feedback: Schema.optional(NonEmpty),
    option: Schema.optional(NonEmpty),
    reask: Schema.optional(NonEmpty)
  }),
  theory: Schema.optional(
    Schema.Record({
      key: Schema.String,
      value: Schema.Struct({ peak: Schema.optional(NonEmpty), option_peaks: Schema.optional(Schema.Array(NonEmpty)) })
    })
  ),
  max_history_rounds: Schema.optional(Schema.Int.pipe(Schema.positive()))
}).annotations({ identifier: "Game" })

const DEFAULT_FEEDBACK = "Result of round {round}: you earned {own_payoff}; your total so far is {total_so_far}."
const DEFAULT_OPTION = "{number}. {label}"
const DEFAULT_REASK = "That reply could not be read as one of the options. Reply with one of these and nothing else:\n{options}"

/**
 * Every decision a game can ask and every feedback it can give, found by playing the match through with the
 * lowest and with the highest option everywhere (which covers the branches the rules have: a zero transfer, a
 * rejection, a defection).
 */
const exploreGame = (kind: GameKind, params: Readonly<Record<string, unknown>>) => {
  const decisions = new Map<string, number>()
  const facts = new Map<string, Set<string>>()
  const feedback = new Set<string>()
  for (const pick of ["min", "max"] as const) {
    const machine = makeGame(kind, params)
    let state = machine.init()
    for (let due = machine.next(state); due.length > 0; due = machine.next(state)) {
      for (const d of due) {
        decisions.set(d.decision, d.options.length)
        const keys = facts.get(d.decision) ?? new Set<string>()
        for (const k of Object.keys(d.facts)) keys.add(k)
        facts.set(d.decision, keys)
      }
      state = machine.apply(
        state,
        due.map((d) => ({ member: d.member, decision: d.decision, value: (pick === "min" ? d.options[0] : d.options[d.options.length - 1])!.value }))
      )
      for (let m = 0; m < machine.groupSize; m++) for (const k of Object.keys(machine.feedback(state, m) ?? {})) feedback.add(k)
    }
  }
  return { decisions, facts, feedback }
}

/** Placeholders in `template` that `known` does not provide. */
const unknownPlaceholders = (template: string, known: ReadonlySet<string>): Array<string> =>
  [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).filter((k) => !known.has(k))

/** Checks what the schema cannot (parameters, a template per decision, theory value codes) and resolves the scenario. */
export const gameFromData = (data: unknown, file: string): Either.Either<GameScenario, SpecFileError> =>
  Either.flatMap(decodeData(GameFileSchema, data, file), (f) => {
    const params = f.params ?? {}
    const problems = gameParamProblems(f.game, params).map((p) => `params.${p}`)
    if (problems.length > 0) return Either.left(new SpecFileError({ file, problems }))
    const { decisions, facts, feedback } = exploreGame(f.game, params)
    const paramKeys = Object.keys(paramsText({ game: f.game, params }))
    const choiceKeys = ["options", "min", "max"]
    for (const d of decisions.keys()) {
      const template = f.prompts.decisions[d]
      if (template === undefined) problems.push(`prompts.decisions.${d}: missing: the ${f.game} game asks "${d}"`)
      else {
        const known = new Set([...paramKeys, ...choiceKeys, ...(facts.get(d) ?? [])])
        for (const k of unknownPlaceholders(template, known)) problems.push(`prompts.decisions.${d}: unknown placeholder {${k}} (available: ${[...known].join(", ")})`)
      }
    }
    for (const k of unknownPlaceholders(f.prompts.rules, new Set(paramKeys))) {
      problems.push(`prompts.rules: unknown placeholder {${k}} (available: ${paramKeys.join(", ")})`)
    }
    if (feedback.size > 0) {
      // The default wording speaks of payoffs; a game whose feedback has none (deliberation) needs its own.
      const known = new Set([...paramKeys, ...feedback])
      const template = f.prompts.feedback ?? DEFAULT_FEEDBACK
      for (const k of unknownPlaceholders(template, known)) {
        problems.push(`prompts.feedback: ${f.prompts.feedback === undefined ? "needed (the default wording uses " : "unknown placeholder "}{${k}}${f.prompts.feedback === undefined ? ")" : ""} (available: ${[...known].join(", ")})`)
      }
    }
    for (const [field, t] of [["prompts.reask", f.prompts.reask], ["prompts.option", f.prompts.option]] as const) {
      const known = new Set(field === "prompts.option" ? ["number", "label"] : choiceKeys)
      for (const k of t === undefined ? [] : unknownPlaceholders(t, known)) problems.push(`${field}: unknown placeholder {${k}}`)
    }
    for (const d of Object.keys(f.prompts.decisions)) {
      if (!decisions.has(d)) problems.push(`prompts.decisions.${d}: the ${f.game} game has no decision "${d}" (it has ${[...decisions.keys()].join(", ")})`)
    }
    const theory: Record<string, DecisionTheory> = {}
    const code = (c: string, where: string) => {
      const v = parseValue10(c)
      if (v === undefined) problems.push(`${where}: unknown value code "${c}" (expected one of ${VALUES_10.join(", ")})`)
      return v ?? c
    }
    for (const [d, t] of Object.entries(f.theory ?? {})) {
      if (!decisions.has(d)) problems.push(`theory.${d}: the ${f.game} game has no decision "${d}"`)
      const entry: { peak?: string; optionPeaks?: Array<string> } = {}
      if (t.peak !== undefined) entry.peak = code(t.peak, `theory.${d}.peak`)
      if (t.option_peaks !== undefined) {
        entry.optionPeaks = t.option_peaks.map((c, i) => code(c, `theory.${d}.option_peaks[${i}]`))
        const k = decisions.get(d)
        if (k !== undefined && entry.optionPeaks.length !== k) {
          problems.push(`theory.${d}.option_peaks: ${entry.optionPeaks.length} values for ${k} options`)
        }
      }
      theory[d] = entry
    }
    if (problems.length > 0) return Either.left(new SpecFileError({ file, problems }))
    return Either.right({
      kind: "game",
      id: f.id,
      title: f.title,
      source: f.source,
      game: f.game,
      params,
      prompts: {
        rules: f.prompts.rules,
        decisions: f.prompts.decisions,
        feedback: f.prompts.feedback ?? DEFAULT_FEEDBACK,
        option: f.prompts.option ?? DEFAULT_OPTION,
        reask: f.prompts.reask ?? DEFAULT_REASK
      },
      theory,
      maxHistoryRounds: f.max_history_rounds ?? 10
    } satisfies GameScenario)
  })

export const loadGame = (file: string) => Effect.flatMap(readDataFile(file), (data) => gameFromData(data, file))
