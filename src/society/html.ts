/**
 * The HTML report's society section: the network's description, the headline statistic over rounds as an SVG
 * chart (overall, each value condition, and the human figures as bands at the first and last rounds), and a
 * drawn sample of the network (agents on a circle, coloured by their state in the last round).
 */
import type { SocietyAnalysis } from "./report.js"
import { societyLines } from "./report.js"

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!)

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79"]

/** The headline statistic by round as an SVG line chart. */
const curves = (a: SocietyAnalysis): string => {
  const W = 640
  const H = 260
  const L = 48
  const R = 150
  const T = 14
  const B = 30
  const rounds = a.rounds.length
  const values = a.rounds.map((r) => Number(r.overall[a.headline]))
  const [lo, hi] = a.dynamic === "opinion" ? [1, Math.max(2, ...values.filter(Number.isFinite), ...a.rounds.flatMap((r) => Object.values(r.byCondition).map((c) => Number(c[a.headline] ?? 1))))] : [0, 1]
  const x = (r: number) => L + ((r - 1) / Math.max(1, rounds - 1)) * (W - L - R)
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo || 1)) * (H - T - B)
  const line = (vs: ReadonlyArray<number>, colour: string, width: number) =>
    `<polyline fill="none" stroke="${colour}" stroke-width="${width}" points="${vs.map((v, i) => (Number.isFinite(v) ? `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}` : "")).join(" ")}"/>`
  const parts: Array<string> = []
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`)
  parts.push(`<text x="${L - 6}" y="${y(lo) + 4}" text-anchor="end" font-size="11">${lo}</text><text x="${L - 6}" y="${y(hi) + 4}" text-anchor="end" font-size="11">${Math.round(hi * 100) / 100}</text>`)
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">round (1–${rounds})</text>`)
  for (const f of a.human) {
    const band = (r: number, b: { low: number; high: number }) =>
      `<rect x="${x(r) - 6}" y="${y(b.high) - 2}" width="12" height="${Math.max(4, y(b.low) - y(b.high) + 4)}" fill="#000" fill-opacity="0.25"><title>${esc(f.source)}</title></rect>`
    parts.push(band(1, f.firstRounds), band(rounds, f.lastRounds))
  }
  const conds = Object.keys(a.rounds[a.rounds.length - 1]?.byCondition ?? {})
  conds.forEach((c, i) => {
    const colour = PALETTE[i % PALETTE.length]!
    parts.push(line(a.rounds.map((r) => Number(r.byCondition[c]?.[a.headline])), colour, 1))
    parts.push(`<text x="${W - R + 8}" y="${T + 12 * (i + 2)}" font-size="10" fill="${colour}">${esc(c)}</text>`)
  })
  parts.push(line(values, "#000", 3))
  parts.push(`<text x="${W - R + 8}" y="${T + 12}" font-size="11" font-weight="bold">all agents</text>`)
  if (a.human.length > 0) parts.push(`<text x="${W - R + 8}" y="${T + 12 * (conds.length + 3)}" font-size="10" fill="#555">▮ humans</text>`)
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(a.headline)} by round">${parts.join("")}</svg>`
}

/** The network sample on a circle, each agent coloured by its last-round state. */
const sampleSvg = (a: SocietyAnalysis): string => {
  const S = 260
  const n = a.sample.nodes.length
  if (n === 0) return ""
  const pos = a.sample.nodes.map((_, i) => [S / 2 + (S / 2 - 16) * Math.cos((2 * Math.PI * i) / n), S / 2 + (S / 2 - 16) * Math.sin((2 * Math.PI * i) / n)] as const)
  const states = [...new Set(a.sample.nodes.map((nd) => nd.state))].sort((p, q) => p - q)
  const colour = (st: number) => (a.dynamic === "opinion" || a.dynamic === "public-goods" || a.dynamic === "common-pool" ? PALETTE[(st - 1) % PALETTE.length]! : st === 1 ? "#2ca02c" : "#d62728")
  const ties = a.sample.ties.map(([i, j]) => `<line x1="${pos[i]![0].toFixed(1)}" y1="${pos[i]![1].toFixed(1)}" x2="${pos[j]![0].toFixed(1)}" y2="${pos[j]![1].toFixed(1)}" stroke="#bbb"/>`)
  const nodes = a.sample.nodes.map((nd, i) => `<circle cx="${pos[i]![0].toFixed(1)}" cy="${pos[i]![1].toFixed(1)}" r="6" fill="${colour(nd.state)}"><title>agent ${nd.id}: ${nd.state}</title></circle>`)
  const legend = a.dynamic === "opinion" || a.dynamic === "public-goods" || a.dynamic === "common-pool" ? states.map((st) => `${a.dynamic === "opinion" ? "position" : "level"} ${st}`).join(", ") : a.dynamic === "diffusion" ? "green: adopted, red: not yet" : "green: cooperated, red: defected"
  return `<figure><svg viewBox="0 0 ${S} ${S}" width="${S}" height="${S}" role="img" aria-label="network sample">${ties.join("")}${nodes.join("")}</svg><figcaption>${n} agents reached from agent 0 and the ties among them, in the last round (${esc(legend)}).</figcaption></figure>`
}

export const societyHtml = (a: SocietyAnalysis): string =>
  `<pre>${esc(societyLines(a).join("\n"))}</pre><figure>${curves(a)}<figcaption>${esc(a.headline)} by round: all agents (thick) and each value condition${a.human.length > 0 ? "; grey bands: the human figures at the first and last rounds" : ""}.</figcaption></figure>${sampleSvg(a)}`
