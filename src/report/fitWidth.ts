/**
 * Text that fits a terminal: the text report and `--help` are laid out to `width` columns (the terminal's, 80
 * when the output is not a terminal). A table (a header line over a rule of dashes, `-----  ----`) keeps its
 * columns: its widest text columns are narrowed and their cells wrapped onto more lines. Any other long line is
 * wrapped at spaces, its continuation indented two more than the line. With `columns`, a line that pads a left part
 * to a column (`  - run [--seed integer]      run a questionnaire`, @effect/cli's command list) is split: the left
 * part wrapped, the right part on the lines below it, indented. Pure, apart from `outputWidth`'s default stream.
 */

/** Columns of the output: the terminal's when it is one, else 80. */
export const outputWidth = (stream: { readonly isTTY?: boolean; readonly columns?: number } = process.stdout): number =>
  stream.isTTY === true && typeof stream.columns === "number" && stream.columns >= 40 ? stream.columns : 80

/** Narrowest a wrapped table column gets. */
const MIN_COLUMN = 12

const leading = (line: string) => line.length - line.trimStart().length

/**
 * `text` broken at spaces into pieces of at most `width` characters (a longer word is cut); the spaces between
 * words on one piece are kept as they were (`UN 0.48  BE 0.44`).
 */
const wrapWords = (text: string, width: number): Array<string> => {
  const out: Array<string> = []
  let current = ""
  let gap = " "
  for (const part of text.trim().split(/( +)/)) {
    if (part.startsWith(" ")) {
      gap = part
      continue
    }
    let word = part
    while (word.length > width) {
      if (current !== "") {
        out.push(current)
        current = ""
      }
      // Cut after a '-' or '.' when there is one in reach (`ess-sweden-1441.` / `hierarchy`), else at the width.
      const at = Math.max(word.lastIndexOf("-", width - 1), word.lastIndexOf(".", width - 1)) + 1
      const cut = at > width / 3 ? at : width
      out.push(word.slice(0, cut))
      word = word.slice(cut)
    }
    if (current === "") current = word
    else if (current.length + gap.length + word.length <= width) current += gap + word
    else {
      out.push(current)
      current = word
    }
  }
  if (current !== "" || out.length === 0) out.push(current)
  return out
}

/** One line wrapped to `width`, continuation lines indented `hang` more than it. */
const wrapLine = (line: string, width: number, hang = 2): Array<string> => {
  const text = line.trimEnd()
  if (text.length <= width) return [text]
  const indent = leading(text)
  const first = " ".repeat(indent)
  const rest = " ".repeat(Math.min(indent + hang, Math.floor(width / 2)))
  const pieces = wrapWords(text.trimStart(), Math.max(10, width - rest.length))
  return pieces.map((p, k) => (k === 0 ? first : rest) + p)
}

/** The column spans of a rule line (`  -----  ----`): [start, end) of each run of dashes. */
const ruleSpans = (rule: string): Array<{ start: number; end: number }> | null => {
  if (!/^ *-+( {2,}-+)*$/.test(rule)) return null
  return [...rule.matchAll(/-+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }))
}

/** True when `line` has the table's column gaps (two spaces, or its end) before every column but the first. */
const fitsSpans = (line: string, spans: ReadonlyArray<{ start: number; end: number }>): boolean =>
  line.trim() !== "" &&
  leading(line) >= spans[0]!.start &&
  line.trimEnd().length <= spans[spans.length - 1]!.end &&
  spans.slice(1).every((s) => line.length <= s.start - 2 || line.slice(s.start - 2, s.start) === "  ")

/** Column widths that fit `width` by narrowing the widest columns (not below MIN_COLUMN), or null when none do. */
const narrowWidths = (
  lines: ReadonlyArray<string>,
  spans: ReadonlyArray<{ start: number; end: number }>,
  full: ReadonlyArray<number>,
  total: number,
  width: number,
  cell: (line: string, j: number) => string
): Array<number> | null => {
  const widths = [...full]
  let excess = total - width
  // First the columns wider than their cells (a long header over short numbers): down to their cells' width.
  const content = spans.map((_, j) => Math.max(MIN_COLUMN, ...lines.slice(2).map((l) => cell(l, j).trim().length)))
  for (const j of widths.map((_, j) => j).sort((a, b) => widths[b]! - content[b]! - (widths[a]! - content[a]!))) {
    if (excess <= 0) break
    const cut = Math.min(excess, Math.max(0, widths[j]! - content[j]!))
    widths[j] = widths[j]! - cut
    excess -= cut
  }
  for (const j of widths.map((_, j) => j).sort((a, b) => widths[b]! - widths[a]!)) {
    if (excess <= 0) break
    const cut = Math.min(excess, Math.max(0, widths[j]! - MIN_COLUMN))
    widths[j] = widths[j]! - cut
    excess -= cut
  }
  return excess <= 0 ? widths : null
}

/** Narrowing a table's text column below this many characters lays the table out as records instead. */
const MIN_NARROWED = 30

/**
 * A table's lines (header, rule, rows) laid out to `width`: when its widest column (a long label such as a
 * baseline's title) would have to shrink below {@link MIN_NARROWED}, each row becomes a record, that cell on a
 * line of its own and the other columns, aligned under their header, on the line below; otherwise the widest
 * columns are narrowed and their cells wrapped.
 */
const fitTable = (lines: ReadonlyArray<string>, spans: ReadonlyArray<{ start: number; end: number }>, width: number): Array<string> => {
  const total = spans[spans.length - 1]!.end
  if (total <= width) return lines.map((l) => l.trimEnd())
  const cell = (line: string, j: number) => line.slice(spans[j]!.start, j === spans.length - 1 ? undefined : spans[j]!.end)
  const full = spans.map((s) => s.end - s.start)
  // Many narrow columns (a value × condition table): one space between columns may be enough.
  if (total - (spans.length - 1) <= width) {
    const prefix = " ".repeat(spans[0]!.start)
    return lines.map((line, k) => (prefix + spans.map((_, j) => (k === 1 ? "-".repeat(full[j]!) : cell(line, j).padEnd(full[j]!))).join(" ")).trimEnd())
  }
  const wide = full.indexOf(Math.max(...full))
  const rest = spans.flatMap((_, j) => (j === wide ? [] : [j]))
  const restWidth = rest.reduce((a, j) => a + full[j]! + 2, -2)
  const inner = " ".repeat(spans[0]!.start + 4)
  // Records only for a label column (the first): a wide numeric column is wide for its header alone.
  if (wide === 0 && full[wide]! - (total - width) < MIN_NARROWED && rest.length > 0 && inner.length + restWidth <= width) {
    const out: Array<string> = []
    lines.forEach((line, k) => {
      const restLine = inner + rest.map((j) => (k === 1 ? "-".repeat(full[j]!) : cell(line, j).padEnd(full[j]!))).join("  ")
      if (k !== 1) out.push(...wrapLine(" ".repeat(spans[0]!.start) + cell(line, wide).trim(), width, 4))
      out.push(restLine.trimEnd())
    })
    return out
  }
  const narrowed = narrowWidths(lines, spans, full, total, width, cell)
  if (narrowed === null) {
    // Too many columns to narrow into the width: each row as its label, then "header value" pairs wrapped below it.
    const heads = spans.map((_, j) => cell(lines[0]!, j).trim())
    const out: Array<string> = []
    lines.forEach((line, k) => {
      if (k < 2) return
      out.push(...wrapLine(" ".repeat(spans[0]!.start) + cell(line, 0).trim(), width, 4))
      out.push(...wrapLine(inner + spans.slice(1).map((_, i) => `${heads[i + 1]} ${cell(line, i + 1).trim()}`).join("; "), width, 0))
    })
    return out
  }
  const widths = narrowed
  const prefix = " ".repeat(spans[0]!.start)
  const out: Array<string> = []
  lines.forEach((line, k) => {
    if (k === 1) {
      out.push(prefix + widths.map((w) => "-".repeat(w)).join("  "))
      return
    }
    const cells = spans.map((s, j) => {
      const raw = cell(line, j)
      const w = widths[j]!
      if (w === s.end - s.start) return [raw.padEnd(w)]
      // A narrowed cell that still fits keeps its alignment (numbers are padded on the left); a longer one wraps.
      const t = raw.trim()
      if (t.length <= w) return [raw.startsWith(" ") ? t.padStart(w) : t.padEnd(w)]
      return wrapWords(t, w).map((p) => p.padEnd(w))
    })
    const height = Math.max(...cells.map((c) => c.length))
    for (let h = 0; h < height; h++) out.push((prefix + cells.map((c, j) => c[h] ?? " ".repeat(widths[j]!)).join("  ")).trimEnd())
  })
  return out
}

/** `text` laid out to `width` columns (see the module comment). */
export const fitToWidth = (text: string, width: number, options: { readonly columns?: boolean } = {}): string => {
  const lines = text.split("\n")
  const out: Array<string> = []
  for (let i = 0; i < lines.length; i++) {
    const spans = i + 1 < lines.length && lines[i]!.trim() !== "" ? ruleSpans(lines[i + 1]!) : null
    if (spans !== null && fitsSpans(lines[i]!, spans)) {
      let end = i + 2
      while (end < lines.length && fitsSpans(lines[end]!, spans)) end++
      out.push(...fitTable(lines.slice(i, end), spans, width))
      i = end - 1
      continue
    }
    const line = lines[i]!
    const padded = options.columns === true ? /^( *)(\S.*?\S) {3,}(\S.*)$/.exec(line.trimEnd()) : null
    if (padded !== null && line.trimEnd().length > width) {
      out.push(...wrapLine(padded[1]! + padded[2]!, width))
      out.push(...wrapLine(" ".repeat(padded[1]!.length + 4) + padded[3]!, width, 0))
      continue
    }
    out.push(...wrapLine(line, width))
  }
  return out.join("\n")
}
