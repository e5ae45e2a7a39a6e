/**
 * Pure text helpers for the dashboard: durations, rates, money, bars, sparklines and the MDS scatter grid.
 * No ink, no React, no clock: every function maps numbers to strings (or cells) of a known width.
 */

/** Cut `text` to at most `width` characters, marking the cut with "…". */
export const truncate = (text: string, width: number): string => {
  if (width <= 0) return ""
  const chars = Array.from(text)
  return chars.length <= width ? text : chars.slice(0, width - 1).join("") + "…"
}

/** Left-align `text` in exactly `width` characters (truncating when longer). */
export const padEnd = (text: string, width: number): string => {
  const t = truncate(text, width)
  return t + " ".repeat(Math.max(0, width - Array.from(t).length))
}

/** Right-align `text` in exactly `width` characters (truncating when longer). */
export const padStart = (text: string, width: number): string => {
  const t = truncate(text, width)
  return " ".repeat(Math.max(0, width - Array.from(t).length)) + t
}

/** "45s", "4m05s", "1h02m03s", "2d03h"; "unknown" for null, negative or non-finite input. */
export const formatDuration = (seconds: number | null): string => {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "unknown"
  const s = Math.round(seconds)
  const two = (n: number) => String(n).padStart(2, "0")
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m${two(s % 60)}s`
  return `${Math.floor(s / 86_400)}d${two(Math.floor((s % 86_400) / 3600))}h`
}

/** An integer with thousands separators: 12345 → "12,345". */
export const formatCount = (n: number): string => {
  if (!Number.isFinite(n)) return "?"
  const sign = n < 0 ? "-" : ""
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",")
}

/** A compact magnitude: 950 → "950", 4_520 → "4.5k", 1_200_000 → "1.2M". */
export const formatCompact = (n: number): string => {
  if (!Number.isFinite(n)) return "?"
  const a = Math.abs(n)
  if (a < 1000) return a < 10 && !Number.isInteger(n) ? n.toFixed(1) : String(Math.round(n))
  if (a < 1_000_000) return `${(n / 1000).toFixed(a < 10_000 ? 1 : 0)}k`
  if (a < 1_000_000_000) return `${(n / 1_000_000).toFixed(a < 10_000_000 ? 1 : 0)}M`
  return `${(n / 1_000_000_000).toFixed(1)}G`
}

/** A per-second rate: 0 → "0/s", 3.44 → "3.4/s", 123.4 → "123/s", 4520 → "4.5k/s". */
export const formatRate = (perSec: number): string => {
  if (!Number.isFinite(perSec) || perSec <= 0) return "0/s"
  if (perSec < 10) return `${perSec.toFixed(1)}/s`
  return `${formatCompact(perSec)}/s`
}

/** US dollars: "free" at 0, "unknown" for null, 2 decimals from $1, 3 from $0.10, else 4. */
export const formatMoney = (usd: number | null): string => {
  if (usd === null || !Number.isFinite(usd)) return "unknown"
  if (usd === 0) return "free"
  if (usd < 0.00005) return "<$0.0001"
  if (usd >= 1) return `$${usd.toFixed(2)}`
  if (usd >= 0.1) return `$${usd.toFixed(3)}`
  return `$${usd.toFixed(4)}`
}

/**
 * done/total as a percentage with one decimal, rounded down so that 1999/2000 reads "99.9%" and only a
 * finished count reads "100.0%". Nothing to do counts as finished.
 */
export const formatPercent = (done: number, total: number): string => {
  if (total <= 0) return "100.0%"
  const p = Math.min(100, Math.max(0, (100 * done) / total))
  return `${(Math.floor(p * 10 + 1e-9) / 10).toFixed(1)}%`
}

/** A signed score with two decimals: "+0.52", "-1.03", " 0.00"; "  —  " for null. */
export const formatScore = (x: number | null): string => {
  if (x === null || !Number.isFinite(x)) return "  —  "
  const r = Math.round(x * 100) / 100
  if (r === 0) return " 0.00"
  return (r > 0 ? "+" : "") + r.toFixed(2)
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"] as const

/**
 * A left-to-right bar of exactly `width` cells for `fraction` ∈ [0, 1], with eighth-cell resolution:
 * `filled` is the inked part (full blocks and one partial block), `empty` the rest (light shade).
 */
export const barParts = (fraction: number, width: number): { readonly filled: string; readonly empty: string } => {
  if (width <= 0) return { filled: "", empty: "" }
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0
  const eighths = Math.round(f * width * 8)
  const full = Math.floor(eighths / 8)
  const partial = EIGHTHS[eighths % 8] ?? ""
  const filled = "█".repeat(full) + partial
  return { filled, empty: "░".repeat(width - full - (partial === "" ? 0 : 1)) }
}

/** `barParts` as one string. */
export const progressBar = (fraction: number, width: number): string => {
  const { filled, empty } = barParts(fraction, width)
  return filled + empty
}

/**
 * A bar diverging from a zero axis, for centered scores: `half` cells left of the axis for negative values,
 * `half` cells right of it for positive ones, with half-cell resolution. `maxAbs` is the value of a full half.
 * Returns the left half, the axis character and the right half (total width 2·half + 1).
 */
export const divergingBar = (
  value: number | null,
  maxAbs: number,
  half: number
): { readonly left: string; readonly axis: string; readonly right: string } => {
  const blank = " ".repeat(Math.max(0, half))
  if (value === null || !Number.isFinite(value) || half <= 0 || !(maxAbs > 0)) return { left: blank, axis: "│", right: blank }
  const halves = Math.min(2 * half, Math.round((Math.abs(value) / maxAbs) * half * 2))
  const full = Math.floor(halves / 2)
  const hasHalf = halves % 2 === 1
  if (value >= 0) {
    const ink = "█".repeat(full) + (hasHalf ? "▌" : "")
    return { left: blank, axis: "│", right: ink + " ".repeat(half - Array.from(ink).length) }
  }
  const ink = (hasHalf ? "▐" : "") + "█".repeat(full)
  return { left: " ".repeat(half - Array.from(ink).length) + ink, axis: "│", right: blank }
}

const SPARKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const

/**
 * One character per value, ▁ (lowest) to █ (highest) over `domain` (default: the values' own range; rates
 * that all lie in [0, 1] are drawn on [0, 1] so that a flat 0.5 looks like a half). Missing values are "·".
 */
export const sparkline = (values: ReadonlyArray<number | null>, domain?: readonly [number, number]): string => {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v))
  if (finite.length === 0) return values.map(() => "·").join("")
  let [lo, hi] = domain ?? [Math.min(...finite), Math.max(...finite)]
  if (domain === undefined && lo >= 0 && hi <= 1) [lo, hi] = [0, 1]
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return "·"
      if (!(hi > lo)) return SPARKS[3]
      const k = Math.round(((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (SPARKS.length - 1))
      return SPARKS[k] ?? "·"
    })
    .join("")
}

export type CellKind = "run" | "human" | "axis" | "blank"
export interface Cell {
  readonly ch: string
  readonly kind: CellKind
}

/**
 * The run's MDS map and the human map drawn on one character grid of `width`×`height` cells. Each point is
 * its value code, starting at the point's cell: the run's in upper case (kind "run"), the human's in lower
 * case (kind "human"); run labels are drawn last and win collisions, nudged to a free neighbouring spot when
 * another run label is in the way. A human label partly covered by a run label is removed whole, so that no
 * stray letters remain. Both maps share one scale that keeps the aspect ratio, a terminal cell
 * counting as twice as tall as it is wide. Faint axes mark the origin when it is inside the frame.
 */
export const scatterGrid = (input: {
  readonly labels: ReadonlyArray<string>
  readonly run: ReadonlyArray<readonly [number, number]>
  readonly human: ReadonlyArray<readonly [number, number]> | null
  readonly width: number
  readonly height: number
}): ReadonlyArray<ReadonlyArray<Cell>> => {
  const { labels, width, height } = input
  if (width <= 0 || height <= 0) return []
  const grid: Array<Array<Cell>> = Array.from({ length: height }, () =>
    Array.from({ length: width }, (): Cell => ({ ch: " ", kind: "blank" }))
  )
  const human = input.human ?? []
  const all = [...input.run, ...human].filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  if (all.length === 0) return grid
  const labelWidth = Math.min(width, Math.max(1, ...labels.map((l) => Array.from(l).length)))
  const xs = all.map(([x]) => x)
  const ys = all.map(([, y]) => y)
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)]
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)]
  const cols = Math.max(0, width - labelWidth)
  const rows = Math.max(0, height - 1)
  // Cells per unit along x; a row spans two column-widths, so y uses half the scale per row.
  const sx = x1 > x0 ? cols / (x1 - x0) : Infinity
  const sy = y1 > y0 ? (2 * rows) / (y1 - y0) : Infinity
  const s = Math.min(sx, sy)
  const scale = Number.isFinite(s) ? s : 0
  const offX = (cols - (x1 - x0) * scale) / 2
  const offY = (rows - ((y1 - y0) * scale) / 2) / 2
  const colOf = (x: number) => Math.round(offX + (x - x0) * scale)
  const rowOf = (y: number) => Math.round(offY + ((y1 - y) * scale) / 2)

  const originCol = colOf(0)
  const originRow = rowOf(0)
  if (x0 <= 0 && 0 <= x1 && originCol >= 0 && originCol < width)
    for (const line of grid) line[originCol] = { ch: "┊", kind: "axis" }
  if (y0 <= 0 && 0 <= y1 && originRow >= 0 && originRow < height) {
    const line = grid[originRow]
    if (line !== undefined)
      for (let c = 0; c < width; c++) line[c] = { ch: c === originCol ? "┼" : "┄", kind: "axis" }
  }

  const base = grid.map((line) => [...line])
  const runCells = new Set<number>()
  // Which human label (by index) owns each cell, so a covered label can be erased without touching others.
  const humanOwner = new Map<number, number>()
  let humanCount = 0
  const place = (text: string, row: number, col: number, kind: CellKind) => {
    const chars = Array.from(text)
    const c0 = Math.max(0, Math.min(width - chars.length, col))
    const line = grid[row]
    if (line === undefined) return
    const owner = humanCount++
    chars.forEach((ch, i) => {
      if (c0 + i < width) {
        line[c0 + i] = { ch, kind }
        if (kind === "run") runCells.add(row * width + c0 + i)
        else humanOwner.set(row * width + c0 + i, owner)
      }
    })
  }
  const free = (len: number, row: number, col: number) => {
    if (row < 0 || row >= height) return false
    const c0 = Math.max(0, Math.min(width - len, col))
    for (let i = 0; i < len; i++) if (runCells.has(row * width + c0 + i)) return false
    return true
  }
  const points = (pts: ReadonlyArray<readonly [number, number]>, kind: "run" | "human") =>
    pts.forEach(([x, y], i) => {
      const label = labels[i]
      if (label === undefined || !Number.isFinite(x) || !Number.isFinite(y)) return
      const text = kind === "run" ? label.toUpperCase() : label.toLowerCase()
      const row = rowOf(y)
      const col = colOf(x)
      if (kind === "human") return place(text, row, col, kind)
      const len = Array.from(text).length
      const spots: ReadonlyArray<readonly [number, number]> = [
        [row, col], [row, col + 1], [row, col - 1], [row - 1, col], [row + 1, col], [row, col + len], [row, col - len]
      ]
      const spot = spots.find(([r, c]) => free(len, r, c)) ?? [row, col]
      place(text, spot[0], spot[1], kind)
    })
  points(human, "human")
  points(input.run, "run")
  const covered = new Set<number>()
  for (const [k, owner] of humanOwner) if (runCells.has(k)) covered.add(owner)
  for (const [k, owner] of humanOwner) {
    const [row, col] = [Math.floor(k / width), k % width]
    const under = base[row]?.[col]
    const line = grid[row]
    if (covered.has(owner) && !runCells.has(k) && line !== undefined && under !== undefined) line[col] = under
  }
  return grid
}
