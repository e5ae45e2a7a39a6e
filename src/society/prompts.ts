/**
 * The words an agent of a society is shown, from the scenario's templates: the rules, then a summary of what it
 * observed in the remembered rounds (from its observation code alone, so agents with the same condition and
 * code in a round are shown the same text and share one request), then the question.
 */
import type { ChatMessage } from "../domain/answers.js"
import type { PresentedChoice } from "../domain/questionnaire.js"
import { fill, openingMessages } from "../engine/prompts.js"
import { PG_LEVELS, DIFFUSION_BANDS, optionsOf, opinionCode, payoffRange, pdCode, PD_BANDS, rememberedRounds, splitObservation, codesPerRound } from "./dynamics.js"
import type { SocietyScenario } from "./scenario.js"

/** Options as presented: numbered 1…k in the dynamic's order. */
export const societyChoices = (s: SocietyScenario): Array<PresentedChoice> =>
  optionsOf(s.dynamic, s.params).map((o, i) => ({ token: String(i + 1), label: o.label, value: o.value }))

const WHEN = ["Last round", "Two rounds ago", "Three rounds ago", "Four rounds ago", "Five rounds ago"]

const rulesVars = (s: SocietyScenario): Record<string, string> => ({
  rounds: String(s.rounds),
  temptation: String(s.params.payoffs.temptation),
  reward: String(s.params.payoffs.reward),
  punishment: String(s.params.payoffs.punishment),
  sucker: String(s.params.payoffs.sucker),
  scale: s.params.scale.join(", "),
  endowment: String(s.params.endowment),
  multiplier: String(s.params.multiplier)
})

/** The facts of one remembered round's code, for the summary template. */
export const summaryFacts = (s: SocietyScenario, code: number, ago: number): Record<string, string> => {
  const when = WHEN[ago] ?? `${ago + 1} rounds ago`
  if (s.dynamic === "prisoners-dilemma") {
    const { action, band } = pdCode(code)
    return {
      when,
      own_action: action === 1 ? "cooperated" : "defected",
      neighbour_share: PD_BANDS[band]!,
      payoff: payoffRange(s.params.payoffs, action, band)
    }
  }
  if (s.dynamic === "public-goods" || s.dynamic === "common-pool") {
    const { own, neighbours } = opinionCode(code, PG_LEVELS.length)
    const amount = (level: number) => `${Math.round(PG_LEVELS[level - 1]! * s.params.endowment * 100) / 100} of ${s.params.endowment}`
    const theirs = neighbours === null ? "nothing (you have no neighbours)" : `about ${amount(neighbours)}`
    return s.dynamic === "public-goods"
      ? { when, own_contribution: amount(own), neighbour_contribution: theirs }
      : { when, own_extraction: amount(own), neighbour_extraction: theirs }
  }
  if (s.dynamic === "opinion") {
    const { own, neighbours } = opinionCode(code, s.params.scale.length)
    return {
      when,
      own_position: `"${s.params.scale[own - 1]!}"`,
      neighbour_position: neighbours === null ? "(you have no neighbours)" : `"${s.params.scale[neighbours - 1]!}"`
    }
  }
  return { when, adopted_neighbours: DIFFUSION_BANDS[code]!, own_state: "have not adopted it" }
}

const choiceVars = (s: SocietyScenario) => {
  const choices = societyChoices(s)
  return {
    options: choices.map((c) => fill(s.prompts.option, { number: c.token, label: c.label })).join("\n"),
    min: choices[0]!.token,
    max: choices[choices.length - 1]!.token
  }
}

/** The re-ask after an unreadable reply (sample scoring). */
export const reaskText = (s: SocietyScenario): string => fill(s.prompts.reask, choiceVars(s))

/**
 * The conversation for an agent of condition prompt `system` whose observation before `round` is `code`
 * (see `observationCodes`).
 */
export const societyMessages = (s: SocietyScenario, system: string | null, round: number, code: number): Array<ChatMessage> => {
  const remembered = rememberedRounds(s.dynamic, s.memory, round)
  const rules = fill(s.prompts.rules, rulesVars(s))
  const seen =
    remembered === 0
      ? fill(s.prompts.first, { round: String(round), rounds: String(s.rounds) })
      : splitObservation(code, codesPerRound(s.dynamic, s.params, true), remembered)
          .map((c, ago) => fill(s.prompts.summary, summaryFacts(s, c, ago)))
          .join("\n")
  const question = fill(s.prompts.decision, { round: String(round), rounds: String(s.rounds), ...choiceVars(s) })
  return [...openingMessages(system), { role: "user", content: `${rules}\n\n${seen}\n\n${question}` }]
}
