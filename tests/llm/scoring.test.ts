import { describe, expect, it } from "@effect/vitest"
import type { PresentedChoice } from "../../src/domain/questionnaire.js"
import { parseAnswer, parseBatchAnswer, renormaliseLogprobs } from "../../src/llm/scoring.js"

const labels = [
  "Not like me at all",
  "Not like me",
  "A little like me",
  "Somewhat like me",
  "Like me",
  "Very much like me"
]
const six: ReadonlyArray<PresentedChoice> = labels.map((label, i) => ({ token: String(i + 1), label, value: i + 1 }))
const three = six.slice(0, 3)

const expectCloseArray = (actual: ReadonlyArray<number> | null, expected: ReadonlyArray<number>, tol = 1e-12) => {
  expect(actual).not.toBeNull()
  expect(actual).toHaveLength(expected.length)
  expected.forEach((e, i) => expect(Math.abs((actual?.[i] ?? NaN) - e)).toBeLessThan(tol))
}

describe("renormaliseLogprobs", () => {
  it("matches the JSDoc example", () => {
    const top = [
      { token: "2", logprob: Math.log(0.5) },
      { token: " 2", logprob: Math.log(0.1) },
      { token: "1", logprob: Math.log(0.2) },
      { token: "I", logprob: Math.log(0.1) }
    ]
    expectCloseArray(renormaliseLogprobs(top, three), [0.25, 0.75, 0])
  })

  it("sums \"1\" and \" 1\" variants in probability space, not log space", () => {
    const top = [
      { token: "1", logprob: Math.log(0.3) },
      { token: " 1", logprob: Math.log(0.3) },
      { token: "2\n", logprob: Math.log(0.4) }
    ]
    expectCloseArray(renormaliseLogprobs(top, three), [0.6, 0.4, 0])
  })

  it("keeps presentation order (reversed scales stay reversed)", () => {
    const reversed = [...three].reverse().map((c, i) => ({ ...c, token: String(i + 1) }))
    const top = [{ token: "1", logprob: Math.log(0.9) }, { token: "3", logprob: Math.log(0.1) }]
    const p = renormaliseLogprobs(top, reversed)
    expectCloseArray(p, [0.9, 0, 0.1])
  })

  it("gives missing options probability 0 and sums to 1", () => {
    const top = [{ token: "6", logprob: -0.1 }, { token: "4", logprob: -3 }, { token: "Hello", logprob: -0.5 }]
    const p = renormaliseLogprobs(top, six)
    expect(p?.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(p?.[0]).toBe(0)
    expect(p?.[4]).toBe(0)
    expect(p?.[5]).toBeGreaterThan(p?.[3] ?? 1)
  })

  it("is stable for very negative logprobs", () => {
    const p = renormaliseLogprobs([{ token: "1", logprob: -1000 }, { token: "2", logprob: -1000 - Math.log(3) }], three)
    expectCloseArray(p, [0.75, 0.25, 0], 1e-9)
  })

  it("ignores numbers that are not choices and -Infinity", () => {
    const top = [{ token: "7", logprob: -0.1 }, { token: "12", logprob: -0.2 }, { token: "2", logprob: -Infinity }]
    expect(renormaliseLogprobs(top, three)).toBeNull()
  })

  it("returns null when no valid choice appears", () => {
    expect(renormaliseLogprobs([{ token: "I", logprob: -0.1 }, { token: "The", logprob: -2 }], six)).toBeNull()
    expect(renormaliseLogprobs([], six)).toBeNull()
  })

  it("does not mutate its inputs", () => {
    const top = [{ token: " 1", logprob: -1 }, { token: "1", logprob: -2 }]
    const copy = JSON.parse(JSON.stringify(top))
    renormaliseLogprobs(top, three)
    expect(top).toEqual(copy)
  })
})

describe("parseAnswer", () => {
  it.each([
    ["4", 3],
    ["4.", 3],
    [" 4\n", 3],
    ["(4)", 3],
    ["Answer: 4", 3],
    ["**4**", 3],
    ["`6`", 5],
    ["My answer is 2.", 1],
    ["1", 0]
  ])("reads the bare number %j", (text, expected) => {
    expect(parseAnswer(text, six)).toBe(expected)
  })

  it.each([
    ["Very much like me", 5],
    ["very much like me.", 5],
    ["Like me", 4],
    ["Not like me", 1],
    ["NOT LIKE ME AT ALL", 0],
    ["I would say: somewhat like me", 3],
    ["**Like me**", 4]
  ])("reads the label %j, longest label first", (text, expected) => {
    expect(parseAnswer(text, six)).toBe(expected)
  })

  it.each([
    ["4 - Somewhat like me", 3],
    ["5 - Like me", 4],
    ["2: Not like me", 1],
    ["**6** (Very much like me)", 5],
    ["4, 4", 3]
  ])("accepts number and label that agree: %j", (text, expected) => {
    expect(parseAnswer(text, six)).toBe(expected)
  })

  it.each([
    "4 or 5",
    "4-5",
    "Between 3 and 4",
    "4 - Like me",
    "Like me, or maybe not like me",
    "4.5"
  ])("rejects ambiguous %j", (text) => {
    expect(parseAnswer(text, six)).toBeNull()
  })

  it.each(["7", "0", "-1", "10", "Answer: 12"])("rejects out-of-range %j", (text) => {
    expect(parseAnswer(text, six)).toBeNull()
  })

  it.each(["", "   ", "\n", "**", "I cannot answer that.", "Likes me"])("rejects %j without a choice", (text) => {
    expect(parseAnswer(text, six)).toBeNull()
  })

  it("respects the number of choices presented", () => {
    expect(parseAnswer("3", three)).toBe(2)
    expect(parseAnswer("4", three)).toBeNull()
    expect(parseAnswer("3", [])).toBeNull()
  })
})

describe("parseBatchAnswer", () => {
  it("reads one Q<n> line per item, in any order and decoration, with parseAnswer's rules for the answer", () => {
    expect(parseBatchAnswer("Q1: 4\nQ2: 6 - Very much like me\nQ3: 4 or 5", 3, six)).toEqual([3, 5, null])
    expect(parseBatchAnswer("Sure!\n**Q3**: 1\nq1. Like me\nQ2) 2\n", 3, six)).toEqual([4, 1, 0])
  })

  it("leaves unanswered, out-of-range and contradicted items unread", () => {
    // Q2 missing, Q4 beyond the count, Q1 answered twice with different choices, Q3 twice alike.
    expect(parseBatchAnswer("Q1: 2\nQ3: 5\nQ4: 1\nQ1: 3\nQ3: 5", 3, six)).toEqual([null, null, 4])
    expect(parseBatchAnswer("1: 2\n2: 3", 2, six)).toEqual([null, null])
  })
})
