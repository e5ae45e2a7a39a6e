/**
 * Social networks for a society step, built from the run seed: ring lattice / small world (Watts–Strogatz),
 * scale-free (Barabási–Albert), random (Erdős–Rényi G(n, p)), a periodic 2-D lattice (von Neumann or Moore
 * neighbourhood), the complete graph, or a user's edge list. Every network is simple (no self-loops, no
 * duplicate ties) and undirected, and is kept compact: compressed sparse rows (`offsets`, `targets`), two typed
 * arrays, so a million agents with eight ties each take about 36 MB and no object per agent or tie.
 *
 * The generators follow NetworkX's definitions (watts_strogatz_graph, barabasi_albert_graph with its star
 * initial graph, fast_gnp_random_graph, grid_2d_graph with periodic=True); they draw from our seeded streams,
 * so the graphs are NetworkX's in distribution, not tie for tie.
 *
 * Value homophily: agents are placed on the network's positions by `homophilousPlacement`, which puts a share h
 * of them in blocks by value condition, so on networks whose ties are local (ring, small world, lattice) ties
 * join agents of the same condition more often. Pure: no I/O, randomness only from the given stream.
 */
import type { Rng } from "./rng.js"

/** An undirected simple network over nodes 0…n−1 as compressed sparse rows; each node's neighbours ascending. */
export interface Network {
  readonly n: number
  /** Node i's neighbours are targets[offsets[i] … offsets[i+1]). */
  readonly offsets: Uint32Array
  readonly targets: Uint32Array
}

export const NETWORK_KINDS = ["ring", "small-world", "scale-free", "random", "lattice", "complete", "edges"] as const
export type NetworkKind = (typeof NETWORK_KINDS)[number]

/** Ties of a node. */
export const degreeOf = (g: Network, i: number): number => g.offsets[i + 1]! - g.offsets[i]!

/** Number of undirected ties. */
export const edgeCount = (g: Network): number => g.targets.length / 2

/** A growing list of undirected ties (u, v), two entries per tie. */
class TieList {
  data: Uint32Array
  length = 0
  constructor(capacity: number) {
    this.data = new Uint32Array(Math.max(16, capacity * 2))
  }
  push(u: number, v: number): void {
    if (this.length + 2 > this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2)
      bigger.set(this.data)
      this.data = bigger
    }
    this.data[this.length++] = u
    this.data[this.length++] = v
  }
}

/** Compressed sparse rows from a tie list (each tie once, either direction); neighbours sorted ascending. */
export const fromTies = (n: number, ties: ArrayLike<number>, count = ties.length / 2): Network => {
  const offsets = new Uint32Array(n + 1)
  for (let e = 0; e < count; e++) {
    offsets[ties[2 * e]! + 1]!++
    offsets[ties[2 * e + 1]! + 1]!++
  }
  for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!
  const targets = new Uint32Array(offsets[n]!)
  const at = offsets.slice(0, n)
  for (let e = 0; e < count; e++) {
    const u = ties[2 * e]!
    const v = ties[2 * e + 1]!
    targets[at[u]!++] = v
    targets[at[v]!++] = u
  }
  for (let i = 0; i < n; i++) targets.subarray(offsets[i]!, offsets[i + 1]!).sort()
  return { n, offsets, targets }
}

/**
 * A set of undirected ties by open addressing on a Float64Array (key u·n + v + 1 with u < v; 0 empty, −1 a
 * removed tie): a few bytes per tie instead of a JavaScript Set's tens.
 */
class TieSet {
  private slots: Float64Array
  private mask: number
  size = 0
  constructor(
    private readonly n: number,
    expected: number
  ) {
    let cap = 16
    while (cap < expected * 2) cap *= 2
    this.slots = new Float64Array(cap)
    this.mask = cap - 1
  }
  private key(u: number, v: number): number {
    return u < v ? u * this.n + v + 1 : v * this.n + u + 1
  }
  private slotOf(key: number): number {
    // Mixes the key's low and high parts (Math.imul keeps it in 32 bits).
    const lo = key % 4294967296 | 0
    const hi = (key / 4294967296) | 0
    return (Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> 0) & this.mask
  }
  has(u: number, v: number): boolean {
    const key = this.key(u, v)
    for (let s = this.slotOf(key); ; s = (s + 1) & this.mask) {
      const x = this.slots[s]!
      if (x === key) return true
      if (x === 0) return false
    }
  }
  add(u: number, v: number): boolean {
    const key = this.key(u, v)
    let free = -1
    for (let s = this.slotOf(key); ; s = (s + 1) & this.mask) {
      const x = this.slots[s]!
      if (x === key) return false
      if (x === -1 && free < 0) free = s
      if (x === 0) {
        this.slots[free >= 0 ? free : s] = key
        this.size++
        return true
      }
    }
  }
  remove(u: number, v: number): void {
    const key = this.key(u, v)
    for (let s = this.slotOf(key); ; s = (s + 1) & this.mask) {
      const x = this.slots[s]!
      if (x === 0) return
      if (x === key) {
        this.slots[s] = -1
        this.size--
        return
      }
    }
  }
  /** Every tie as (u, v), u < v, in slot order (deterministic for the same insertions). */
  ties(): Uint32Array {
    const out = new Uint32Array(this.size * 2)
    let j = 0
    for (let s = 0; s < this.slots.length; s++) {
      const x = this.slots[s]!
      if (x <= 0) continue
      const k = x - 1
      out[j++] = Math.floor(k / this.n)
      out[j++] = k % this.n
    }
    return out
  }
}

/**
 * Watts–Strogatz small world (NetworkX watts_strogatz_graph): a ring where each node is tied to its k/2 nearest
 * neighbours on each side; then, for j = 1…k/2 and each node u in order, the tie (u, u+j) is rewired with
 * probability p to (u, w), w uniform among the nodes not u and not already tied to u (kept when u is tied to
 * every node). p = 0 is the ring lattice. Requires k even, 2 ≤ k < n.
 */
export const smallWorld = (n: number, k: number, p: number, rng: Rng): Network => {
  if (!(Number.isInteger(k) && k >= 2 && k % 2 === 0 && k < n)) throw new RangeError(`smallWorld: k must be even, ≥ 2 and < n (${n}), got ${k}`)
  if (!(p >= 0 && p <= 1)) throw new RangeError(`smallWorld: p must be in [0, 1], got ${p}`)
  const half = k / 2
  const set = new TieSet(n, (n * k) / 2)
  const degree = new Uint32Array(n).fill(k)
  for (let j = 1; j <= half; j++) for (let u = 0; u < n; u++) set.add(u, (u + j) % n)
  if (p > 0) {
    for (let j = 1; j <= half; j++) {
      for (let u = 0; u < n; u++) {
        if (rng() >= p) continue
        const v = (u + j) % n
        if (!set.has(u, v) || degree[u]! >= n - 1) continue
        let w = Math.floor(rng() * n)
        while (w === u || set.has(u, w)) w = Math.floor(rng() * n)
        set.remove(u, v)
        set.add(u, w)
        degree[v]!--
        degree[w]!++
      }
    }
  }
  return fromTies(n, set.ties())
}

/**
 * Barabási–Albert preferential attachment (NetworkX barabasi_albert_graph with its default initial graph, the
 * star on m + 1 nodes): each later node joins with m ties to distinct existing nodes drawn with probability
 * proportional to their degree (uniform draws from the list of tie ends). Requires 1 ≤ m < n.
 */
export const scaleFree = (n: number, m: number, rng: Rng): Network => {
  if (!(Number.isInteger(m) && m >= 1 && m < n)) throw new RangeError(`scaleFree: m must be a whole number from 1 to n − 1 (${n - 1}), got ${m}`)
  const ties = new TieList(m * n)
  const ends = new Uint32Array(2 * m * n)
  let nEnds = 0
  for (let v = 1; v <= m; v++) {
    ties.push(0, v)
    ends[nEnds++] = 0
    ends[nEnds++] = v
  }
  const chosen = new Uint32Array(m)
  for (let source = m + 1; source < n; source++) {
    let c = 0
    while (c < m) {
      const t = ends[Math.floor(rng() * nEnds)]!
      let dup = false
      for (let i = 0; i < c; i++) if (chosen[i] === t) dup = true
      if (!dup) chosen[c++] = t
    }
    for (let i = 0; i < m; i++) {
      ties.push(source, chosen[i]!)
      ends[nEnds++] = chosen[i]!
    }
    for (let i = 0; i < m; i++) ends[nEnds++] = source
  }
  return fromTies(n, ties.data, ties.length / 2)
}

/**
 * Erdős–Rényi G(n, p) by Batagelj & Brandes' geometric skipping (NetworkX fast_gnp_random_graph): each of the
 * n(n−1)/2 possible ties is present independently with probability p, in time proportional to the ties drawn.
 */
export const random = (n: number, p: number, rng: Rng): Network => {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`random: p must be in [0, 1], got ${p}`)
  const ties = new TieList(Math.ceil((p * n * (n - 1)) / 2 * 1.05) + 16)
  if (p === 1) return complete(n)
  if (p > 0) {
    const lp = Math.log(1 - p)
    let v = 1
    let w = -1
    while (v < n) {
      const lr = Math.log(1 - rng())
      w = w + 1 + Math.floor(lr / lp)
      while (w >= v && v < n) {
        w -= v
        v++
      }
      if (v < n) ties.push(v, w)
    }
  }
  return fromTies(n, ties.data, ties.length / 2)
}

/**
 * A periodic 2-D lattice of width × height nodes (node = row·width + column): von Neumann (4 neighbours: up,
 * down, left, right) or Moore (8: with the diagonals). Width and height ≥ 3 so that no tie repeats.
 */
export const lattice = (width: number, height: number, neighbourhood: "von-neumann" | "moore"): Network => {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 3 && height >= 3)) {
    throw new RangeError(`lattice: width and height must be whole numbers ≥ 3, got ${width} × ${height}`)
  }
  const n = width * height
  const ties = new TieList(n * (neighbourhood === "moore" ? 4 : 2))
  const at = (r: number, c: number) => ((r + height) % height) * width + ((c + width) % width)
  // Each node ties to its right and lower neighbours (and, for Moore, both lower diagonals): every tie once.
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const u = r * width + c
      ties.push(u, at(r, c + 1))
      ties.push(u, at(r + 1, c))
      if (neighbourhood === "moore") {
        ties.push(u, at(r + 1, c + 1))
        ties.push(u, at(r + 1, c - 1))
      }
    }
  }
  return fromTies(n, ties.data, ties.length / 2)
}

/** Every pair tied. */
export const complete = (n: number): Network => {
  const offsets = new Uint32Array(n + 1)
  const targets = new Uint32Array(n * (n - 1))
  let j = 0
  for (let i = 0; i < n; i++) {
    offsets[i] = j
    for (let v = 0; v < n; v++) if (v !== i) targets[j++] = v
  }
  offsets[n] = j
  return { n, offsets, targets }
}

/**
 * Positions → agents for value homophily h ∈ [0, 1]: each agent is, with probability h, given a sort key
 * inside its condition's block (condition + u) and otherwise a key anywhere (C·u), u uniform; positions are
 * the agents sorted by key. h = 0 places agents at random; h = 1 puts each condition in one contiguous block.
 */
export const homophilousPlacement = (conditions: ArrayLike<number>, nConditions: number, h: number, rng: Rng): Uint32Array => {
  const n = conditions.length
  const keys = new Float64Array(n)
  for (let a = 0; a < n; a++) {
    const clustered = rng() < h
    const u = rng()
    keys[a] = clustered ? conditions[a]! + u : nConditions * u
  }
  const order = new Uint32Array(n)
  for (let a = 0; a < n; a++) order[a] = a
  order.sort((x, y) => keys[x]! - keys[y]!)
  return order
}

/** The network with node `position` renamed `placement[position]` (an agent id). */
export const relabel = (g: Network, placement: ArrayLike<number>): Network => {
  const ties = new Uint32Array(g.targets.length)
  let j = 0
  for (let u = 0; u < g.n; u++) {
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
      const v = g.targets[e]!
      if (u < v) {
        ties[j++] = placement[u]!
        ties[j++] = placement[v]!
      }
    }
  }
  return fromTies(g.n, ties, j / 2)
}

/** Each tie once as (u, v) with u < v, in node order: the `edges` table. */
export function* tiesOf(g: Network): Generator<readonly [number, number]> {
  for (let u = 0; u < g.n; u++) {
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
      const v = g.targets[e]!
      if (u < v) yield [u, v]
    }
  }
}

/**
 * One round of tie updates on a dynamic network (after Rand, Arbesman & Christakis 2011's design, as a rule, not
 * an agent's choice): each agent in turn, with probability `share`, cuts one tie to a neighbour in state 0 (a
 * defector; drawn uniformly among them) and ties instead to a neighbour of one of its other neighbours that it
 * is not yet tied to (both drawn uniformly; the cut is skipped when there is none). Neighbourhoods are read from
 * `g` as it was before the round's updates; ties already changed this round are respected. The tie count stays
 * the same. Returns a new network.
 */
export const rewireStep = (g: Network, state: ArrayLike<number>, share: number, rng: Rng): Network => {
  const set = new TieSet(g.n, edgeCount(g) + 16)
  for (let u = 0; u < g.n; u++) for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) if (g.targets[e]! > u) set.add(u, g.targets[e]!)
  const defectors: Array<number> = []
  for (let u = 0; u < g.n; u++) {
    if (rng() >= share) continue
    const a = g.offsets[u]!
    const b = g.offsets[u + 1]!
    defectors.length = 0
    for (let e = a; e < b; e++) if (state[g.targets[e]!] === 0 && set.has(u, g.targets[e]!)) defectors.push(g.targets[e]!)
    if (defectors.length === 0 || b - a < 2) continue
    const v = defectors[Math.floor(rng() * defectors.length)]!
    const x = g.targets[a + Math.floor(rng() * (b - a))]!
    if (x === v) continue
    const xa = g.offsets[x]!
    const xd = g.offsets[x + 1]! - xa
    if (xd === 0) continue
    const w = g.targets[xa + Math.floor(rng() * xd)]!
    if (w === u || set.has(u, w)) continue
    set.remove(u, v)
    set.add(u, w)
  }
  return fromTies(g.n, set.ties())
}
