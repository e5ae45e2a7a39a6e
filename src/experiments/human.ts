/**
 * Human effects of classic experiments (issue 24): `human-baselines/experiments/*.yaml` files of kind
 * `experiment-effect`, each with its effect, interval, sample, source and how the figures were obtained. An
 * experiment of a run is matched by its step's questionnaire or game id (`scenario`), the outcome and the two
 * arms; the report puts the population's effect beside the human one.
 */
import { Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"
import { projectRoot } from "../config/StudyFile.js"

export const HumanEffectSchema = Schema.Struct({
  kind: Schema.Literal("experiment-effect"),
  id: Schema.String,
  title: Schema.String,
  scenario: Schema.String,
  outcome: Schema.String,
  control: Schema.String,
  treatment: Schema.String,
  measure: Schema.String,
  source: Schema.String,
  sample: Schema.String,
  published: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Number })),
  n: Schema.Struct({ control: Schema.Int, treatment: Schema.Int }),
  effect: Schema.Number,
  ci: Schema.Struct({ level: Schema.Number, lower: Schema.Number, upper: Schema.Number }),
  obtained: Schema.Literal("published", "computed-from-published-figures", "computed-from-public-data"),
  confidence: Schema.Literal("high", "medium", "low")
})
export type HumanEffectFile = Schema.Schema.Type<typeof HumanEffectSchema>

/**
 * `human-baselines/experiments/unavailable.yaml`: experiments valuesim looked for and could not verify. An entry
 * that names a contrast (`scenario`, `outcome`, `control`, `treatment`) is shown as unavailable beside that effect.
 */
export const UnavailableEffectsSchema = Schema.Struct({
  kind: Schema.Literal("unavailable-experiment-effects"),
  entries: Schema.Array(
    Schema.Struct({
      experiment: Schema.String,
      reason: Schema.String,
      needed: Schema.optional(Schema.String),
      scenario: Schema.optional(Schema.String),
      outcome: Schema.optional(Schema.String),
      control: Schema.optional(Schema.String),
      treatment: Schema.optional(Schema.String)
    })
  )
})

/** The human figure as the report shows it. */
export interface HumanEffect {
  readonly file: string
  readonly id: string
  readonly effect: number
  readonly ci: { readonly level: number; readonly lower: number; readonly upper: number }
  readonly n: { readonly control: number; readonly treatment: number }
  readonly source: string
  readonly sample: string
  readonly obtained: HumanEffectFile["obtained"]
  readonly confidence: HumanEffectFile["confidence"]
}

export const HUMAN_EFFECTS_DIR = path.join(projectRoot, "human-baselines", "experiments")

/** Every valid `experiment-effect` file of a folder (other kinds, such as the unavailable list, are skipped). */
export const loadHumanEffects = (dir: string = HUMAN_EFFECTS_DIR): Array<HumanEffect> => {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => {
      const file = path.join(dir, f)
      const data = parse(fs.readFileSync(file, "utf8")) as unknown
      if ((data as { kind?: unknown } | null)?.kind !== "experiment-effect") return []
      const h = Schema.decodeUnknownSync(HumanEffectSchema)(data)
      return [{ file: path.relative(projectRoot, file), id: h.id, effect: h.effect, ci: h.ci, n: h.n, source: h.source, sample: h.sample, obtained: h.obtained, confidence: h.confidence, scenario: h.scenario, outcome: h.outcome, control: h.control, treatment: h.treatment }]
    })
}

/** The human effect for one outcome contrast of an experiment, if one is shipped. */
export const humanEffectFor = (
  humans: ReadonlyArray<HumanEffect & { readonly scenario?: string; readonly outcome?: string; readonly control?: string; readonly treatment?: string }>,
  experiment: string,
  outcome: string,
  control: string,
  treatment: string
): HumanEffect | undefined => {
  const h = humans.find((x) => x.scenario === experiment && x.outcome === outcome && x.control === control && x.treatment === treatment)
  if (h === undefined) return undefined
  return { file: h.file, id: h.id, effect: h.effect, ci: h.ci, n: h.n, source: h.source, sample: h.sample, obtained: h.obtained, confidence: h.confidence }
}

/** A human effect a shipped scenario names but valuesim could not verify (an entry of `unavailable.yaml` with its contrast). */
export interface UnavailableHumanEffect {
  readonly file: string
  readonly experiment: string
  readonly reason: string
}

/**
 * The entries of the folder's unavailable list (kind `unavailable-experiment-effects`) that name the experiment,
 * outcome and arms they would be compared on (`scenario`, `outcome`, `control`, `treatment`).
 */
export const loadUnavailableEffects = (dir: string = HUMAN_EFFECTS_DIR): Array<UnavailableHumanEffect & { readonly scenario: string; readonly outcome: string; readonly control: string; readonly treatment: string }> => {
  const file = path.join(dir, "unavailable.yaml")
  if (!fs.existsSync(file)) return []
  const data = parse(fs.readFileSync(file, "utf8")) as { kind?: unknown; entries?: unknown } | null
  if (data?.kind !== "unavailable-experiment-effects" || !Array.isArray(data.entries)) return []
  return data.entries.flatMap((e: unknown) => {
    const r = (typeof e === "object" && e !== null ? e : {}) as Record<string, unknown>
    const text = (k: string) => (typeof r[k] === "string" ? (r[k] as string).trim() : undefined)
    const [scenario, outcome, control, treatment, experiment, reason] = ["scenario", "outcome", "control", "treatment", "experiment", "reason"].map(text)
    if (scenario === undefined || outcome === undefined || control === undefined || treatment === undefined) return []
    return [{ file: path.relative(projectRoot, file), experiment: experiment ?? scenario, reason: reason ?? "", scenario, outcome, control, treatment }]
  })
}

/** The unavailable-list entry for one outcome contrast of an experiment, if there is one. */
export const unavailableFor = (
  entries: ReturnType<typeof loadUnavailableEffects>,
  experiment: string,
  outcome: string,
  control: string,
  treatment: string
): UnavailableHumanEffect | undefined => {
  const h = entries.find((x) => x.scenario === experiment && x.outcome === outcome && x.control === control && x.treatment === treatment)
  return h === undefined ? undefined : { file: h.file, experiment: h.experiment, reason: h.reason }
}
