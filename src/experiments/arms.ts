/**
 * Treatment arms of a study step (issue 24): the study file's `arms:` on a step, resolved into one run step per
 * arm. Each arm is the step's own file with the arm's overrides merged in (`params`, `prompts`), so arms differ
 * only in what the arm says; `theory_shift` is the effect the synthetic theory model plants (latent logit scale,
 * added to every answer and decision of the arm; an LLM ignores it).
 *
 * Assignment `within`: every agent answers every arm, each in its own conversation (its own run step), so the
 * effect pairs agent by agent. `between`: each agent answers one arm, drawn from the run seed stratified by
 * value condition (src/sampling/arms.ts).
 */
import { Schema } from "effect"
import { SafeId } from "../config/ids.js"

/** One arm as written in a study file. */
export const ArmFileSchema = Schema.Struct({
  name: SafeId,
  /** Game parameters that differ in this arm (merged over the game file's `params`). */
  params: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  /** Wording that differs in this arm (merged over the file's `prompts`, key by key, nested maps too). */
  prompts: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  /** Synthetic backend only: the planted effect of this arm on the latent (logit) scale. Default 0. */
  theory_shift: Schema.optional(Schema.Number.pipe(Schema.between(-10, 10)))
})
export type ArmFile = Schema.Schema.Type<typeof ArmFileSchema>

/** The fields a study step gains for an experiment. */
export const ArmStepFields = {
  arms: Schema.optional(Schema.Array(ArmFileSchema).pipe(Schema.minItems(2))),
  assignment: Schema.optional(Schema.Literal("within", "between")),
  /** The arm effects are measured against (default: the first arm). */
  control: Schema.optional(SafeId),
  /**
   * A panel: this questionnaire step asks the same agents again the questionnaire of study step `of` (an earlier
   * step), keyed by agent. `context: none` (default): a fresh conversation, earlier answers not shown. `answers`: the
   * agent's own earlier answers (the first asking, and the exchange of every step between) lead its conversation
   * (src/experiments/context.ts), so requests are the agent's own, shared only by agents whose answers are the same.
   */
  panel: Schema.optional(Schema.Struct({ of: Schema.Int.pipe(Schema.nonNegative()), context: Schema.optional(Schema.Literal("none", "answers")) }))
}

/** A pre/post panel of a run: the run steps of the first and the repeated asking of one questionnaire. */
export interface Panel {
  readonly id: string
  readonly pre: number
  readonly post: number
  readonly context: PanelContext
}

/** Whether a panel's repeat shows the agent its earlier answers. */
export type PanelContext = "none" | "answers"

export type Assignment = "within" | "between"

/** What a run step that is one arm of an experiment knows of it (stored in the run's manifest with the step). */
export interface StepArm {
  /** The arm's name. */
  readonly name: string
  /** Index into `RunSpec.experiments`. */
  readonly experiment: number
  /** The planted synthetic effect (latent logit shift); 0 for none. */
  readonly shift: number
}

/** One experiment of a study: a step declared with arms, and the run steps its arms became. */
export interface Experiment {
  /** The step's questionnaire or game id. */
  readonly id: string
  /** Position of the step in the study file's `steps`. */
  readonly studyStep: number
  readonly assignment: Assignment
  /** The control arm's name. */
  readonly control: string
  /** The arms in the file's order, with the run step each became. */
  readonly arms: ReadonlyArray<{ readonly name: string; readonly step: number }>
  /**
   * The seed the `between` assignment was drawn from, when it is not the run's own: a branch with a new `--seed`
   * keeps its parent's assignment, so each agent answers the same arm step as in the parent (absent: the run seed).
   */
  readonly assignmentSeed?: number
}

/** An experiment whose arms all carry one name (a branch's `--arm`): nothing to contrast. */
export const isSingleArm = (e: Experiment): boolean => new Set(e.arms.map((a) => a.name)).size < 2

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** `base` with `over` merged in: plain objects key by key (recursively); anything else is replaced. */
export const mergeData = (base: unknown, over: unknown): unknown => {
  if (!isPlainObject(base) || !isPlainObject(over)) return over
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeData(base[k], v) : v
  return out
}

/** A step file's data as one arm sees it. */
export const armData = (stepData: unknown, arm: ArmFile): unknown => {
  let data = stepData
  if (arm.params !== undefined) data = mergeData(data, { params: arm.params })
  if (arm.prompts !== undefined) data = mergeData(data, { prompts: arm.prompts })
  return data
}

/**
 * Problems of a step's arms in study-file terms (`steps[i].…`): repeated names, a `control` or `assignment`
 * without arms, a `control` naming no arm.
 */
export const armProblems = (
  i: number,
  step: { readonly arms?: ReadonlyArray<ArmFile> | undefined; readonly assignment?: Assignment | undefined; readonly control?: string | undefined }
): Array<string> => {
  const at = `steps[${i}]`
  if (step.arms === undefined) {
    return [
      ...(step.control !== undefined ? [`${at}.control: names arm "${step.control}" but the step has no arms`] : []),
      ...(step.assignment !== undefined ? [`${at}.assignment: the step has no arms to assign`] : [])
    ]
  }
  const names = step.arms.map((a) => a.name)
  const repeated = names.filter((n, j) => names.indexOf(n) !== j)
  return [
    ...repeated.map((n) => `${at}.arms: the arm name "${n}" is used twice`),
    ...(step.control !== undefined && !names.includes(step.control) ? [`${at}.control: no arm named "${step.control}" (arms: ${names.join(", ")})`] : [])
  ]
}

/** The arm of a run step, if it is one. */
export const armOf = (step: { readonly arm?: StepArm }): StepArm | undefined => step.arm

/** The planted synthetic shift of a run step (0 outside experiments). */
export const armShift = (step: { readonly arm?: StepArm }): number => step.arm?.shift ?? 0

/** How progress displays name a run step: its id, and its arm beside it (`congestion-charge [gain]`), so arms show side by side. */
export const armLabel = (
  step: { readonly arm?: StepArm } & (
    | { readonly kind: "questionnaire"; readonly questionnaire: { readonly id: string } }
    | { readonly kind: "game"; readonly game: { readonly id: string } }
    | { readonly kind: "society"; readonly society: { readonly id: string } }
  )
): string => {
  const id = step.kind === "game" ? step.game.id : step.kind === "society" ? step.society.id : step.questionnaire.id
  return step.arm === undefined ? id : `${id} [${step.arm.name}]`
}
