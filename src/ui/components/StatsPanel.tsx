import { outsideCi } from "../../domain/svOutsideCi.js"
import type { LiveStats } from "../state.js"
import { type Cell, divergingBar, formatCount, formatScore, padEnd, padStart, scatterGrid, sparkline } from "../format.js"
import { besideLines, type Line, Lines, seg, textLine } from "./Lines.js"

export const NO_STATS = "statistics appear once enough agents have answered"

const RUN_COLOR = "cyan"
const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x))
const fmt2 = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2))

/** "S_V 0.87 [0.85, 0.89] vs ESS Sweden · 143 respondents" */
export const svLine = (stats: LiveStats): Line => {
  const n = seg(` · ${formatCount(stats.respondents)} respondents`, { dim: true })
  const constant = stats.constantValues ?? []
  if (stats.sv === null && constant.length > 0) {
    const which = constant.length === stats.labels.length ? "every respondent has the same score on every value" : `on ${constant.join(", ")}`
    return [seg("S_V ", { bold: true }), seg(`none: no variance in the answers (${which})`, { color: "yellow" }), n]
  }
  if (stats.sv === null) return [seg("S_V ", { bold: true }), seg("not available yet", { dim: true }), n]
  const { value, lower, upper, title } = stats.sv
  const ci = lower !== null && upper !== null ? ` [${lower.toFixed(2)}, ${upper.toFixed(2)}]` : " [CI pending]"
  // An S_V outside its CI is never shown without a word (src/domain/svOutsideCi.ts says why it happens).
  const outside = outsideCi(value, lower, upper) ? [seg(" outside its CI: small or structureless sample", { color: "yellow" })] : []
  return [seg("S_V ", { bold: true }), seg(value.toFixed(2), { bold: true, color: RUN_COLOR }), seg(ci), ...outside, seg(` vs ${title}`), n]
}

/** One row per value, highest run mean first: the run's diverging bar and score, then the human one. */
export const hierarchyLines = (stats: LiveStats, width: number): Array<Line> => {
  const { labels, hierarchy, humanHierarchy } = stats
  const codeW = Math.max(2, ...labels.map((l) => l.length))
  const human = humanHierarchy?.means ?? null
  const values = [...hierarchy, ...(human ?? [])].filter((v): v is number => v !== null && Number.isFinite(v))
  const maxAbs = Math.max(1e-9, ...values.map(Math.abs))
  // Row: code, run bar (2h+1), score (6); with a human hierarchy also a second bar and score.
  const fixed = codeW + 1 + 1 + 1 + 6 + (human !== null ? 2 + 1 + 1 + 6 : 0)
  const half = clamp(Math.floor((width - fixed) / (human !== null ? 4 : 2)), 2, 10)
  const order = labels
    .map((label, i) => ({ label, run: hierarchy[i] ?? null, human: human?.[i] ?? null }))
    .sort((a, b) => (b.run ?? -Infinity) - (a.run ?? -Infinity))
  const head: Line = [
    seg(padEnd("", codeW + 1)),
    seg(padEnd("run", 2 * half + 1 + 7), { bold: true, color: RUN_COLOR }),
    ...(humanHierarchy !== null ? [seg("  "), seg(humanHierarchy.title, { dim: true })] : [seg("  no human hierarchy", { dim: true })])
  ]
  const rows = order.map(({ label, run, human: h }): Line => {
    const r = divergingBar(run, maxAbs, half)
    const line: Array<Line[number]> = [
      seg(padEnd(label, codeW) + " ", { bold: true }),
      seg(r.left, { color: RUN_COLOR }),
      seg(r.axis, { dim: true }),
      seg(r.right, { color: RUN_COLOR }),
      seg(" " + padStart(formatScore(run), 5))
    ]
    if (human !== null) {
      const b = divergingBar(h, maxAbs, half)
      line.push(seg("  "), seg(b.left + b.axis + b.right, { dim: true }), seg(" " + padStart(formatScore(h), 5), { dim: true }))
    }
    return line
  })
  return [head, ...rows]
}

const cellStyle = (kind: Cell["kind"]) =>
  kind === "run" ? { color: RUN_COLOR, bold: true } : kind === "human" || kind === "axis" ? { dim: true } : {}

/** The aligned MDS maps as a character grid, headed by a legend. */
export const scatterLines = (stats: LiveStats, width: number, height: number): Array<Line> => {
  if (stats.map === null) return [textLine("map: not available yet", { dim: true })]
  const example = stats.labels[0] ?? "XX"
  const legend: Line = [
    seg("map ", { bold: true }),
    seg(example.toUpperCase(), cellStyle("run")),
    seg(" run · "),
    seg(example.toLowerCase(), cellStyle("human")),
    seg(" human", { dim: true }),
    ...(width >= 30 ? [seg(" (aligned)", { dim: true })] : [])
  ]
  const grid = scatterGrid({ labels: stats.labels, run: stats.map.run, human: stats.map.human, width, height })
  const rows = grid.map((cells): Line => {
    const segs: Array<Line[number]> = []
    let start = 0
    for (let i = 1; i <= cells.length; i++) {
      const kind = cells[start]?.kind
      if (i === cells.length || cells[i]?.kind !== kind) {
        const text = cells.slice(start, i).map((c) => c.ch).join("")
        if (kind !== undefined) segs.push(seg(text, cellStyle(kind)))
        start = i
      }
    }
    return segs
  })
  return [legend, ...rows]
}

/** Rows = conditions, columns = values (as many as fit, then "…"), the row's highest mean in bold. */
export const conditionTableLines = (stats: LiveStats, width: number): Array<Line> => {
  if (stats.conditionMeans.length === 0) return []
  const nameW = clamp(Math.max(...stats.conditionMeans.map((c) => c.condition.length)), 9, 18)
  const colW = Math.max(6, ...stats.labels.map((l) => l.length + 1))
  const room = width - nameW - 6
  const all = stats.labels.length
  const fit = Math.max(0, Math.floor(room / colW))
  const shown = fit >= all ? all : Math.max(0, Math.floor((room - 2) / colW))
  const more = shown < all ? [seg(" …", { dim: true })] : []
  const head: Line = [
    seg(padEnd("condition", nameW), { bold: true }),
    seg(padStart("n", 6), { bold: true }),
    ...stats.labels.slice(0, shown).map((l) => seg(padStart(l, colW), { bold: true })),
    ...more
  ]
  const rows = stats.conditionMeans.map((c): Line => {
    const finite = c.means.filter((m): m is number => m !== null && Number.isFinite(m))
    const top = finite.length > 0 ? Math.max(...finite) : null
    return [
      seg(padEnd(c.condition, nameW)),
      seg(padStart(formatCount(c.n), 6), { dim: true }),
      ...c.means
        .slice(0, shown)
        .map((m) => seg(padStart(formatScore(m ?? null), colW), m !== null && m === top ? { bold: true, color: RUN_COLOR } : {})),
      ...more
    ]
  })
  return [head, ...rows]
}

/** One row per game: its metric by round as a sparkline, the latest value, and the human figure. */
export const gameLines = (stats: LiveStats, width: number): Array<Line> => {
  if (stats.games.length === 0) return []
  const idW = clamp(Math.max(...stats.games.map((g) => g.id.length)), 4, 16)
  const metricW = clamp(Math.max(...stats.games.map((g) => g.metric.length)), 4, 20)
  return [
    textLine("games (metric by round)", { bold: true }),
    ...stats.games.map((g): Line => {
      const last = [...g.byRound].reverse().find((v): v is number => v !== null && Number.isFinite(v)) ?? null
      const tail: Line = [
        seg(last === null ? " —" : ` ${fmt2(last)}`, { bold: true }),
        g.human === null ? seg(" · no human figure", { dim: true }) : seg(` · human ${fmt2(g.human)}`)
      ]
      const tailW = tail.reduce((n, s) => n + s.text.length, 0)
      const sparkRoom = Math.max(4, width - idW - metricW - 3 - tailW)
      const rounds = g.byRound.length > sparkRoom ? g.byRound.slice(g.byRound.length - (sparkRoom - 1)) : g.byRound
      const spark = (g.byRound.length > sparkRoom ? "…" : "") + sparkline(rounds)
      return [
        seg(padEnd(g.id, idW) + " ", { bold: true }),
        seg(padEnd(g.metric, metricW) + " ", { dim: true }),
        seg(spark, { color: RUN_COLOR }),
        ...tail
      ]
    })
  ]
}

/**
 * The statistics panel as lines: S_V, then the hierarchy beside the map (stacked when narrow), then the
 * per-condition means and the games. `height` (when known) sizes the map.
 */
export const statsPanelLines = (stats: LiveStats | null, width: number, height?: number): Array<Line> => {
  if (stats === null) return [textLine(NO_STATS, { dim: true })]
  // A run without a value questionnaire (games only) has no S_V, hierarchy or map to wait for.
  if (stats.labels.length === 0) {
    return [textLine("no value questionnaire in this run: no S_V, value hierarchy or map", { dim: true }), [], ...gameLines(stats, width)]
  }
  const codeW = Math.max(2, ...stats.labels.map((l) => l.length))
  const tables = conditionTableLines(stats, width)
  const games = gameLines(stats, width)
  const below = (tables.length > 0 ? tables.length + 1 : 0) + (games.length > 0 ? games.length + 1 : 0)
  // On a short terminal: no blank separators, and the condition table gives way before the games.
  const tight = height !== undefined && 2 + stats.labels.length + 1 + below > height
  const gap: Array<Line> = tight ? [] : [[]]
  const lines: Array<Line> = [svLine(stats), ...gap]
  const hierarchyW = Math.min(codeW + 4 * 8 + 17, Math.floor(width * 0.55))
  const mapW = width - hierarchyW - 2
  if (stats.map !== null && mapW >= 18) {
    const hier = hierarchyLines(stats, hierarchyW)
    // Beside the hierarchy the map is at least as tall, and taller (finer) when the terminal has rows to spare.
    const spare = height === undefined ? 0 : height - lines.length - 1 - below
    lines.push(...besideLines(hier, hierarchyW, scatterLines(stats, mapW, Math.max(6, hier.length - 1, Math.min(16, spare)))))
  } else {
    lines.push(...hierarchyLines(stats, width))
    const budget = height === undefined ? 12 : height - lines.length - gap.length - 1 - Math.min(below, 6)
    lines.push(...gap, ...scatterLines(stats, Math.min(width, 60), clamp(budget, 6, 12)))
  }
  const gamesH = games.length > 0 ? games.length + gap.length : 0
  const room = height === undefined ? Infinity : height - lines.length - gamesH - gap.length
  if (tables.length > 0 && room >= 2) {
    const rows = tables.length - 1
    const shownRows = rows <= room - 1 ? rows : Math.max(0, room - 2)
    lines.push(...gap, ...tables.slice(0, 1 + shownRows))
    if (shownRows < rows) lines.push(textLine(`… ${rows - shownRows} more conditions`, { dim: true }))
  }
  if (games.length > 0) lines.push(...gap, ...games)
  return lines
}

export const StatsPanel = ({
  stats,
  width,
  height
}: {
  readonly stats: LiveStats | null
  readonly width: number
  readonly height?: number
}) => <Lines lines={statsPanelLines(stats, width, height)} width={width} {...(height !== undefined ? { height } : {})} />
