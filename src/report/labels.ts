/**
 * Deterministic placement of point labels on a plot, so that no two labels overlap: each label tries positions
 * around its point (above, below, right, left, then the diagonals), nearest ring first, and takes the first that
 * is free of every label placed before it, of every point and of the plot's edges. When none is free (a very
 * crowded plot), the candidate overlapping least is taken. Pure: pixel geometry in, label centres out.
 */

export interface Box {
  readonly x0: number
  readonly y0: number
  readonly x1: number
  readonly y1: number
}

export interface LabelledPoint {
  /** Pixel position of the point (y grows downwards, as in SVG). */
  readonly px: number
  readonly py: number
  readonly text: string
}

export interface PlacedLabel {
  /** Pixel centre of the label. */
  readonly cx: number
  readonly cy: number
  readonly box: Box
  /** How far out the label had to go (0: next to its point); a leader line is drawn from ring 2 on. */
  readonly ring: number
}

export interface LabelStyle {
  readonly fontSize: number
  /** Radius of the drawn point marker in pixels. */
  readonly pointRadius: number
}

/** Estimated box of a bold label: the average width of an upper-case letter is about 0.7 em. */
export const labelSize = (text: string, fontSize: number) => ({ w: text.length * fontSize * 0.7 + 2, h: fontSize + 2 })

export const boxAround = (cx: number, cy: number, w: number, h: number): Box => ({ x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2 })

export const overlapArea = (a: Box, b: Box): number =>
  Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0))

const DIRECTIONS: ReadonlyArray<readonly [number, number]> = [
  [0, -1],
  [0, 1],
  [1, 0],
  [-1, 0],
  [1, -1],
  [-1, -1],
  [1, 1],
  [-1, 1]
]
const RINGS = 6
const RING_STEP = 7

export const placeLabels = (points: ReadonlyArray<LabelledPoint>, width: number, height: number, style: LabelStyle): Array<PlacedLabel> => {
  const r = style.pointRadius
  const pointBoxes = points.map((pt) => boxAround(pt.px, pt.py, 2 * r, 2 * r))
  const frame: Box = { x0: 0, y0: 0, x1: width, y1: height }
  const placed: Array<PlacedLabel> = []
  for (const pt of points) {
    const { w, h } = labelSize(pt.text, style.fontSize)
    let best: PlacedLabel | null = null
    let bestCost = Infinity
    for (let ring = 0; ring < RINGS && bestCost > 0; ring++) {
      const gap = r + 2 + ring * RING_STEP
      for (const [dx, dy] of DIRECTIONS) {
        const diagonal = dx !== 0 && dy !== 0
        const reach = diagonal ? gap * Math.SQRT1_2 : gap
        const cx = pt.px + dx * (reach + w / 2)
        const cy = pt.py + dy * (reach + h / 2)
        const box = boxAround(cx, cy, w, h)
        const outside = w * h - overlapArea(box, frame)
        const cost =
          1000 * placed.reduce((s, l) => s + overlapArea(box, l.box), 0) +
          10 * pointBoxes.reduce((s, b) => s + overlapArea(box, b), 0) +
          100 * outside
        if (cost < bestCost) {
          bestCost = cost
          best = { cx, cy, box, ring }
        }
        if (cost === 0) break
      }
    }
    placed.push(best!)
  }
  return placed
}

/** Pairs of labels whose boxes intersect (used by the tests). */
export const intersectingPairs = (boxes: ReadonlyArray<Box>): Array<readonly [number, number]> => {
  const pairs: Array<readonly [number, number]> = []
  for (let a = 0; a < boxes.length; a++) for (let b = a + 1; b < boxes.length; b++) if (overlapArea(boxes[a]!, boxes[b]!) > 0) pairs.push([a, b])
  return pairs
}
