import { describe, expect, it } from "vitest"
import { fitToWidth, outputWidth } from "../../src/report/fitWidth.js"

const widest = (text: string) => Math.max(...text.split("\n").map((l) => l.length))

describe("fitToWidth (issue 21 item 21)", () => {
  it("wraps a long line at spaces, continuation indented two more", () => {
    const line = `  note: ${"word ".repeat(40).trim()}`
    const out = fitToWidth(line, 40).split("\n")
    expect(widest(out.join("\n"))).toBeLessThanOrEqual(40)
    expect(out[0]!.startsWith("  note: word")).toBe(true)
    expect(out.slice(1).every((l) => l.startsWith("    word"))).toBe(true)
    expect(out.join(" ").replace(/\s+/g, " ").trim()).toBe(line.trim())
  })

  it("lays a table with a long label column out as records, the other columns aligned below", () => {
    const table = [
      "  baseline                                                         n    S_V",
      "  ------------------------------------------------------------  ----  -----",
      "  A very long baseline title that takes most of the line here    151  0.989",
      "  Short                                                         1441  0.873"
    ].join("\n")
    const out = fitToWidth(table, 40)
    expect(widest(out)).toBeLessThanOrEqual(40)
    expect(out.split("\n")).toEqual([
      "  baseline",
      "         n    S_V",
      "      ----  -----",
      "  A very long baseline title that",
      "      takes most of the line here",
      "       151  0.989",
      "  Short",
      "      1441  0.873"
    ])
  })

  it("narrows a column wider than its cells (a long header) and keeps numbers right-aligned; many narrow columns close up", () => {
    const table = ["  value  a-very-long-header-name", "  -----  -----------------------", "  SD                       0.323", "  ST                      -0.531"].join("\n")
    const out = fitToWidth(table, 24).split("\n")
    expect(widest(out.join("\n"))).toBeLessThanOrEqual(24)
    expect(out.slice(-2)).toEqual(["  SD               0.323", "  ST              -0.531"])
    const narrow = ["  c  x  y  z", "  -  -  -  -", "  a  1  2  3"].join("\n")
    expect(fitToWidth(narrow, 9).split("\n")).toEqual(["  c x y z", "  - - - -", "  a 1 2 3"])
  })

  it("splits a help line padded to a column: the left part wrapped, the description below it", () => {
    const line = `  - run [--seed integer] [--agents integer] [--backend synthetic | openai]${" ".repeat(200)}run a questionnaire`
    expect(fitToWidth(line, 40, { columns: true }).split("\n")).toEqual([
      "  - run [--seed integer] [--agents",
      "    integer] [--backend synthetic |",
      "    openai]",
      "      run a questionnaire"
    ])
  })

  it("is 80 columns when the output is not a terminal, the terminal's otherwise", () => {
    expect(outputWidth({ isTTY: false, columns: 200 })).toBe(80)
    expect(outputWidth({ isTTY: true, columns: 132 })).toBe(132)
  })
})
