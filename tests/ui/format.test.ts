import { describe, expect, it } from "vitest"
import {
  barParts,
  divergingBar,
  formatCompact,
  formatCount,
  formatDuration,
  formatMoney,
  formatPercent,
  formatRate,
  formatScore,
  padEnd,
  padStart,
  progressBar,
  scatterGrid,
  sparkline,
  truncate
} from "../../src/ui/format.js"

const gridText = (g: ReturnType<typeof scatterGrid>) => g.map((row) => row.map((c) => c.ch).join(""))

describe("durations", () => {
  it("reads as seconds, minutes, hours and days", () => {
    expect(formatDuration(0)).toBe("0s")
    expect(formatDuration(44.6)).toBe("45s")
    expect(formatDuration(155)).toBe("2m35s")
    expect(formatDuration(3_723)).toBe("1h02m03s")
    expect(formatDuration(2 * 86_400 + 3 * 3600 + 59)).toBe("2d03h")
  })
  it("is unknown for null, negative or non-finite input", () => {
    expect(formatDuration(null)).toBe("unknown")
    expect(formatDuration(-1)).toBe("unknown")
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("unknown")
    expect(formatDuration(Number.NaN)).toBe("unknown")
  })
})

describe("counts, rates and money", () => {
  it("groups thousands and compacts magnitudes", () => {
    expect(formatCount(0)).toBe("0")
    expect(formatCount(1_234_567)).toBe("1,234,567")
    expect(formatCompact(950)).toBe("950")
    expect(formatCompact(4_520)).toBe("4.5k")
    expect(formatCompact(45_200)).toBe("45k")
    expect(formatCompact(12_400_000)).toBe("12M")
  })
  it("shows rates per second", () => {
    expect(formatRate(0)).toBe("0/s")
    expect(formatRate(Number.NaN)).toBe("0/s")
    expect(formatRate(3.44)).toBe("3.4/s")
    expect(formatRate(123.4)).toBe("123/s")
    expect(formatRate(7_250)).toBe("7.3k/s")
  })
  it("shows money with 2–4 decimals, free at zero and unknown without a price", () => {
    expect(formatMoney(0)).toBe("free")
    expect(formatMoney(null)).toBe("unknown")
    expect(formatMoney(2.3817)).toBe("$2.38")
    expect(formatMoney(0.4567)).toBe("$0.457")
    expect(formatMoney(0.0123)).toBe("$0.0123")
    expect(formatMoney(0.00001)).toBe("<$0.0001")
  })
  it("rounds percentages down so that only a finished count reads 100%", () => {
    expect(formatPercent(244, 400)).toBe("61.0%")
    expect(formatPercent(1_999, 2_000)).toBe("99.9%")
    expect(formatPercent(2_000, 2_000)).toBe("100.0%")
    expect(formatPercent(0, 0)).toBe("100.0%")
    expect(formatPercent(5, 3)).toBe("100.0%")
  })
  it("signs scores", () => {
    expect(formatScore(0.517)).toBe("+0.52")
    expect(formatScore(-1.031)).toBe("-1.03")
    expect(formatScore(-0.001)).toBe(" 0.00")
    expect(formatScore(null)).toBe("  —  ")
  })
})

describe("text fitting", () => {
  it("truncates with an ellipsis and pads to an exact width", () => {
    expect(truncate("individualist", 6)).toBe("indiv…")
    expect(truncate("short", 6)).toBe("short")
    expect(truncate("x", 0)).toBe("")
    expect(padEnd("ab", 4)).toBe("ab  ")
    expect(padStart("ab", 4)).toBe("  ab")
    expect(padEnd("abcdef", 4)).toBe("abc…")
  })
})

describe("bars", () => {
  it("are exactly as wide as asked, with eighth-cell resolution", () => {
    for (const f of [0, 0.01, 0.33, 0.5, 0.61, 0.999, 1, 1.7, -3, Number.NaN])
      for (const w of [1, 7, 20]) expect(Array.from(progressBar(f, w))).toHaveLength(w)
    expect(progressBar(0.5, 8)).toBe("████░░░░")
    expect(barParts(0.61, 10)).toEqual({ filled: "██████▏", empty: "░░░" })
    expect(progressBar(1, 4)).toBe("████")
    expect(progressBar(0, 4)).toBe("░░░░")
  })
  it("diverge from a zero axis for centered scores", () => {
    expect(divergingBar(1, 1, 3)).toEqual({ left: "   ", axis: "│", right: "███" })
    expect(divergingBar(-0.5, 1, 3)).toEqual({ left: " ▐█", axis: "│", right: "   " })
    expect(divergingBar(0.25, 1, 2)).toEqual({ left: "  ", axis: "│", right: "▌ " })
    expect(divergingBar(null, 1, 2)).toEqual({ left: "  ", axis: "│", right: "  " })
    const b = divergingBar(-9, 1, 4)
    expect(b.left + b.axis + b.right).toBe("████│    ")
  })
})

describe("sparkline", () => {
  it("maps the range onto ▁…█, one character per value, · for missing", () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe("▁▂▃▄▅▆▇█")
    expect(sparkline([3, null, 3])).toBe("▄·▄")
    expect(sparkline([null, null])).toBe("··")
    expect(sparkline([])).toBe("")
  })
  it("draws rates in [0, 1] on [0, 1], and honours an explicit domain", () => {
    expect(sparkline([0, 0.5, 1])).toBe("▁▅█")
    expect(sparkline([0.5, 0.5])).toBe("▅▅")
    expect(sparkline([5, 10], [0, 10])).toBe("▅█")
  })
})

describe("scatterGrid", () => {
  const labels = ["SD", "PO", "BE", "TR"]
  const human: ReadonlyArray<readonly [number, number]> = [[1, 0], [-1, 0], [0, 1], [0, -1]]
  it("is exactly width × height and shows every run code, upper case, and the human codes in lower case", () => {
    const run: ReadonlyArray<readonly [number, number]> = [[0.8, 0.3], [-0.9, -0.4], [0.3, 0.9], [-0.2, -0.8]]
    const g = scatterGrid({ labels, run, human, width: 30, height: 10 })
    expect(g).toHaveLength(10)
    for (const row of g) expect(row).toHaveLength(30)
    const text = gridText(g).join("\n")
    for (const l of labels) expect(text).toContain(l)
    for (const l of labels) expect(text).toContain(l.toLowerCase())
    expect(g.flat().filter((c) => c.kind === "run").map((c) => c.ch).join("")).toMatch(/^[A-Z]+$/)
    expect(g.flat().filter((c) => c.kind === "human").map((c) => c.ch).join("")).toMatch(/^[a-z]+$/)
  })
  it("keeps the x/y orientation: right is +x, up is +y", () => {
    const g = gridText(scatterGrid({ labels, run: human, human: null, width: 30, height: 11 }))
    const find = (code: string) => {
      const row = g.findIndex((line) => line.includes(code))
      return { row, col: g[row]?.indexOf(code) ?? -1 }
    }
    expect(find("SD").col).toBeGreaterThan(find("PO").col)
    expect(find("BE").row).toBeLessThan(find("TR").row)
  })
  it("removes a human label that a run label covers, rather than leaving stray letters", () => {
    const g = scatterGrid({ labels: ["CO"], run: [[0, 0]], human: [[0, 0]], width: 10, height: 5 })
    const text = gridText(g).join("")
    expect(text).toContain("CO")
    expect(text).not.toContain("co")
    expect(text).not.toMatch(/COo|cCO/)
  })
  it("nudges colliding run labels apart", () => {
    const g = scatterGrid({ labels: ["SD", "ST"], run: [[0, 0], [0, 0]], human: null, width: 12, height: 5 })
    const text = gridText(g).join("\n")
    expect(text).toContain("SD")
    expect(text).toContain("ST")
  })
  it("copes with nothing to draw and with degenerate sizes", () => {
    expect(gridText(scatterGrid({ labels: [], run: [], human: null, width: 4, height: 2 }))).toEqual(["    ", "    "])
    expect(scatterGrid({ labels, run: human, human, width: 0, height: 5 })).toEqual([])
    const one = scatterGrid({ labels: ["UN"], run: [[0.3, 0.3]], human: null, width: 3, height: 1 })
    expect(gridText(one).join("")).toContain("UN")
  })
})
