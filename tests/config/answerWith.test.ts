import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { questionnaireFromData } from "../../src/config/QuestionnaireFile.js"
import type { SpecFileError } from "../../src/config/SpecFileError.js"
import { presentedChoices } from "../../src/domain/questionnaire.js"
import { parseAnswer, renormaliseLogprobs } from "../../src/llm/scoring.js"

const file = (scale: ReadonlyArray<{ value: number; label: string }>, extra: Record<string, unknown> = {}) => ({
  kind: "questionnaire",
  id: "yn",
  title: "Yes or no",
  source: "written for this test",
  construct: "other",
  answer_with: "label",
  scale,
  items: [{ id: "a", subscale: "x", text: "I like tests." }],
  ...extra
})

describe("answer_with: label", () => {
  it("makes each option's label its answer token, in presentation order (reversed too)", () => {
    const q = Either.getOrThrow(questionnaireFromData(file([{ value: 0, label: "No" }, { value: 1, label: "Yes" }], { option_order: "reversed" }), "yn.yaml"))
    expect(q.answerWith).toBe("label")
    expect(presentedChoices(q)).toEqual([
      { token: "Yes", label: "Yes", value: 1 },
      { token: "No", label: "No", value: 0 }
    ])
  })

  it("reads word tokens from logprobs ignoring case and leading spaces, and parses the word in text", () => {
    const choices = presentedChoices({ scale: [{ value: 0, label: "No" }, { value: 1, label: "Yes" }], optionOrder: "normal", answerWith: "label" })
    const dist = renormaliseLogprobs(
      [
        { token: "Yes", logprob: Math.log(0.5) },
        { token: " yes", logprob: Math.log(0.1) },
        { token: "No", logprob: Math.log(0.2) },
        { token: "1", logprob: Math.log(0.1) }
      ],
      choices
    )!
    expect(dist[0]).toBeCloseTo(0.25, 12)
    expect(dist[1]).toBeCloseTo(0.75, 12)
    expect(parseAnswer("Yes.", choices)).toBe(1)
    expect(parseAnswer("**no**", choices)).toBe(0)
    expect(parseAnswer("1", choices)).toBeNull()
  })

  it("refuses labels that are not one word, or repeat ignoring case, naming the field", () => {
    const r = questionnaireFromData(file([{ value: 0, label: "Not at all" }, { value: 1, label: "yes" }, { value: 2, label: "Yes" }]), "yn.yaml")
    expect(Either.isLeft(r)).toBe(true)
    const problems = (Either.getLeft(r).pipe((o) => (o._tag === "Some" ? o.value : null)) as SpecFileError).problems
    expect(problems).toEqual([
      'scale[0].label: with answer_with: label every label must be one word; "Not at all" is not',
      'scale[2].label: with answer_with: label labels must differ (ignoring case); "Yes" repeats scale[1]'
    ])
  })
})
