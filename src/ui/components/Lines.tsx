import { Box, Text } from "ink"

/**
 * The panels lay their text out themselves, as lines of styled segments of known width, so that nothing
 * depends on flexbox wrapping: a line longer than the terminal is cut with "…", never wrapped.
 */
export interface Seg {
  readonly text: string
  readonly color?: string
  readonly bold?: boolean
  readonly dim?: boolean
  readonly inverse?: boolean
}
export type Line = ReadonlyArray<Seg>

export const seg = (text: string, style: Omit<Seg, "text"> = {}): Seg => ({ text, ...style })

export const lineWidth = (line: Line): number => line.reduce((n, s) => n + Array.from(s.text).length, 0)

/** Cut a line to `width` characters, keeping the styles of what remains and ending a cut with "…". */
export const fitLine = (line: Line, width: number): Line => {
  if (lineWidth(line) <= width) return line
  const out: Array<Seg> = []
  let room = width - 1
  for (const s of line) {
    if (room <= 0) break
    const chars = Array.from(s.text)
    out.push({ ...s, text: chars.slice(0, room).join("") })
    room -= Math.min(room, chars.length)
  }
  return width >= 1 ? [...out, { text: "…", dim: true }] : []
}

/** Pad a line with spaces to exactly `width` (cutting it when longer). */
export const padLine = (line: Line, width: number): Line => {
  const fitted = fitLine(line, width)
  const n = lineWidth(fitted)
  return n < width ? [...fitted, { text: " ".repeat(width - n) }] : fitted
}

/** Two columns side by side: `left` padded to `leftWidth`, then `gap` spaces, then `right`. */
export const besideLines = (left: ReadonlyArray<Line>, leftWidth: number, right: ReadonlyArray<Line>, gap = 2): Array<Line> =>
  Array.from({ length: Math.max(left.length, right.length) }, (_, i) => [
    ...padLine(left[i] ?? [], leftWidth),
    { text: " ".repeat(gap) },
    ...(right[i] ?? [])
  ])

/** A plain one-segment line. */
export const textLine = (text: string, style: Omit<Seg, "text"> = {}): Line => [seg(text, style)]

const SGR_COLOR: Readonly<Record<string, number>> = {
  black: 30, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90, grey: 90
}

/**
 * One segment as a string with its ANSI styles. A line is rendered as one <Text> holding these strings rather
 * than one <Text> per segment: the frame then has tens of nodes instead of hundreds, which keeps a redraw to a
 * few milliseconds (the dashboard must not slow the run; `npm run bench` measures it).
 */
const styled = (s: Seg): string => {
  const codes: Array<number> = []
  if (s.bold) codes.push(1)
  if (s.dim) codes.push(2)
  if (s.inverse) codes.push(7)
  const colour = s.color === undefined ? undefined : SGR_COLOR[s.color]
  if (colour !== undefined) codes.push(colour)
  return codes.length === 0 ? s.text : `\u001b[${codes.join(";")}m${s.text}\u001b[0m`
}

/** A line as one string with ANSI styles (what a frame prints for it). */
export const lineText = (line: Line): string => line.map(styled).join("")

/** Renders lines, each cut to `width`, at most `height` of them. */
export const Lines = ({
  lines,
  width,
  height
}: {
  readonly lines: ReadonlyArray<Line>
  readonly width: number
  readonly height?: number
}) => {
  const shown = height === undefined ? lines : lines.slice(0, Math.max(0, height))
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((line, i) => {
        const fitted = fitLine(line, width)
        return (
          <Text key={i} wrap="truncate-end">
            {fitted.length === 0 || lineWidth(fitted) === 0 ? " " : lineText(fitted)}
          </Text>
        )
      })}
    </Box>
  )
}
