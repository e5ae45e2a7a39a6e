import type { Snapshot } from "../state.js"
import {
  barParts,
  formatCompact,
  formatCount,
  formatDuration,
  formatMoney,
  formatPercent,
  formatRate,
  padEnd,
  padStart
} from "../format.js"
import { type Line, Lines, padLine, seg, textLine } from "./Lines.js"

export const SYNTHETIC_BANNER = "synthetic: theory model, not an LLM"

export const STATUS_COLOR: Readonly<Record<Snapshot["status"], string>> = {
  running: "green",
  paused: "yellow",
  stopping: "yellow",
  complete: "green",
  incomplete: "red",
  interrupted: "red"
}

const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x))

const bar = (done: number, total: number, width: number, color: string): Line => {
  const { filled, empty } = barParts(total > 0 ? done / total : 1, width)
  return [seg(filled, { color }), seg(empty, { dim: true })]
}

/** The run panel as lines: who is running what, how far along, how fast, what failed, what it costs. */
export const runPanelLines = (snapshot: Snapshot, width: number, height?: number): Array<Line> => {
  const { run, totals, steps, conditions } = snapshot
  const lines: Array<Line> = []
  const sep = seg(" · ", { dim: true })

  lines.push([
    seg("valuesim ", { bold: true }),
    seg(run.study, { bold: true, color: "cyan" }),
    sep,
    seg("run "),
    seg(run.runId, { bold: true })
  ])
  lines.push([
    seg(`${run.backend}/${run.model}`, { color: run.synthetic ? "yellow" : "magenta" }),
    sep,
    seg(`${formatCount(run.agents)} agents`),
    sep,
    seg(run.runDir, { dim: true })
  ])
  if (run.synthetic) {
    // Its own full-width inverse line: nobody should mistake theory-model output for LLM answers.
    const banner = { inverse: true, bold: true, color: "yellow" } as const
    lines.push(padLine([seg(` ${run.label ?? SYNTHETIC_BANNER} `, banner)], width).map((s) => ({ ...s, ...banner })))
  }

  const elapsed = Math.max(0, (snapshot.nowMs - snapshot.startedAtMs) / 1000)
  const finished = snapshot.status === "complete" || snapshot.status === "incomplete" || snapshot.status === "interrupted"
  lines.push([
    seg(`● ${snapshot.status}`, { bold: true, color: STATUS_COLOR[snapshot.status] }),
    sep,
    seg(`elapsed ${formatDuration(elapsed)}`),
    sep,
    finished
      ? seg(snapshot.status === "complete" ? "ETA done" : "ETA –", { dim: true })
      : seg(`ETA ${formatDuration(snapshot.etaSeconds)}`, { bold: true })
  ])
  // The message (e.g. how to resume) goes high up, where a cut-off terminal still shows it.
  if (snapshot.message !== null)
    for (const text of snapshot.message.split("\n")) lines.push(textLine(text, { bold: true, color: "yellow" }))
  lines.push([])

  // Progress: the whole run, then one row per step, with a shared label column and bar width.
  const labelW = clamp(Math.max(5, ...steps.map((s) => s.id.length + 2)), 5, 20)
  const countW = Math.max(...[totals, ...steps].map((s) => `${formatCount(s.unitsDone)}/${formatCount(s.unitsTotal)}`.length))
  const barW = clamp(width - labelW - countW - 25, 8, 40)
  const progressRow = (
    label: string,
    p: { readonly unitsDone: number; readonly unitsFailed: number; readonly unitsTotal: number },
    color: string,
    extra: Line
  ): Line => {
    const finishedUnits = p.unitsDone + p.unitsFailed
    return [
      seg(padEnd(label, labelW) + " ", label.startsWith(" ") ? {} : { bold: true }),
      ...bar(finishedUnits, p.unitsTotal, barW, color),
      seg(" " + padStart(`${formatCount(finishedUnits)}/${formatCount(p.unitsTotal)}`, countW)),
      seg(" " + padStart(formatPercent(finishedUnits, p.unitsTotal), 6), { bold: true }),
      ...(p.unitsFailed > 0 ? [seg(`  ${formatCount(p.unitsFailed)} failed`, { color: "red" })] : []),
      ...extra
    ]
  }
  lines.push(progressRow("total", totals, "green", []))
  for (const step of steps)
    lines.push(progressRow(`  ${step.id}`, step, "cyan", [seg(`  ${step.kind}`, { dim: true })]))

  // Conditions: compact cells, as many per line as fit.
  const condRows: Array<{ readonly line: Line; readonly after: number }> = []
  if (conditions.length > 0) {
    const stepsPerAgent = Math.max(1, steps.length)
    const cells = conditions.map((c) => ({
      name: c.condition,
      done: c.unitsDone,
      total: c.agents * stepsPerAgent,
      count: `${formatCount(c.unitsDone)}/${formatCount(c.agents * stepsPerAgent)}`
    }))
    const nameW = clamp(Math.max(...cells.map((c) => c.name.length)), 4, 16)
    const cCountW = Math.max(...cells.map((c) => c.count.length))
    const cBarW = 8
    const cellW = nameW + 1 + cBarW + 1 + cCountW
    const perLine = Math.max(1, Math.floor((width + 3) / (cellW + 3)))
    for (let i = 0; i < cells.length; i += perLine) {
      const row: Array<Line> = cells.slice(i, i + perLine).map((c) => [
        seg(padEnd(c.name, nameW) + " "),
        // A condition without agents has nothing to do: an empty bar, not a full one.
        ...(c.total === 0 ? bar(0, 1, cBarW, "blue") : bar(c.done, c.total, cBarW, "blue")),
        seg(" " + padStart(c.count, cCountW))
      ])
      condRows.push({
        line: row.flatMap((cell, j) => (j === 0 ? cell : [seg(" │ ", { dim: true }), ...cell])),
        after: Math.max(0, cells.length - i - perLine)
      })
    }
  }

  const tail: Array<Line> = []
  tail.push([])
  const label = (t: string) => seg(padEnd(t, 7), { bold: true })
  tail.push([
    label("rate"),
    seg(formatRate(snapshot.rates.answersPerSec).replace("/s", ""), { bold: true }),
    seg(" answers/s"),
    sep,
    seg(formatRate(snapshot.rates.tokensPerSec).replace("/s", ""), { bold: true }),
    seg(" tokens/s"),
    sep,
    seg(`${formatCount(totals.inFlight)} in flight`)
  ])
  tail.push([
    label("calls"),
    seg(`${formatCount(totals.requests)} requests`),
    sep,
    seg(`${formatCount(totals.cached)} cached`),
    sep,
    seg(`${formatCount(totals.retries)} retries`, totals.retries > 0 ? { color: "yellow" } : {}),
    sep,
    seg(`${formatCount(totals.answers)} answers`),
    // Answers drawn from distributions whose options carried little of the first token's probability.
    ...((totals.lowMass ?? 0) > 0 ? [sep, seg(`${formatCount(totals.lowMass ?? 0)} low option mass`, { color: "yellow" })] : [])
  ])
  const failures = Object.entries(totals.failuresByReason)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
  tail.push([
    label("fails"),
    ...(failures.length === 0
      ? [seg("none", { dim: true })]
      : failures.flatMap(([reason, n], i) => [
          ...(i > 0 ? [sep] : []),
          seg(`${reason} `, { color: "red" }),
          seg(formatCount(n), { bold: true, color: "red" })
        ]))
  ])
  const cost = formatMoney(snapshot.costUsd)
  tail.push([
    label("cost"),
    seg(snapshot.costUsd !== null && snapshot.costUsd > 0 ? `≈ ${cost}` : cost, { bold: true }),
    ...(snapshot.costUsd === null ? [seg(" (no price known for this model)", { dim: true })] : []),
    sep,
    seg(`${formatCompact(totals.promptTokens)} prompt + ${formatCompact(totals.completionTokens)} completion tokens`, {
      dim: true
    })
  ])
  // On a short terminal the condition rows give way first, ending with how many were left out.
  const room = height === undefined ? Infinity : height - lines.length - tail.length - 2
  if (condRows.length > 0 && room >= 1) {
    lines.push([], [seg("conditions", { bold: true }), seg(" (agent-steps finished)", { dim: true })])
    const shown = condRows.length <= room ? condRows : condRows.slice(0, room - 1)
    lines.push(...shown.map((r) => r.line))
    const left = shown[shown.length - 1]?.after ?? conditions.length
    if (shown.length < condRows.length) lines.push([seg(`… ${left} more conditions`, { dim: true })])
  }
  return [...lines, ...tail]
}

export const RunPanel = ({
  snapshot,
  width,
  height
}: {
  readonly snapshot: Snapshot
  readonly width: number
  readonly height?: number
}) => <Lines lines={runPanelLines(snapshot, width, height)} width={width} {...(height !== undefined ? { height } : {})} />
