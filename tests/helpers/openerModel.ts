/**
 * A test model with a known answer distribution that often opens its reply before the answer, served by the
 * loopback server (`startFakeServer({ opener })`). Its behaviour is a stated assumption, not a measurement of
 * any real model:
 *
 * - Each question (the system message and the item turn, whatever follows) has a true answer distribution p
 *   over options 1…k, drawn from a hash of the question (`trueDistribution`).
 * - A reply opens with `**`, `Answer` or a space before the option with probability `openerShare` (in that
 *   order of likelihood: 50 %, 30 %, 20 % of the openers); otherwise it starts with the option's number.
 * - First-token logprobs: the openers carry `openerShare`; the options carry the rest, split as p² renormalised
 *   (a model that puts the number first is the more decided one), so renormalising the options' first-token
 *   probabilities gives a distribution narrower than p: the bias the issue measured.
 * - A reply with room (max_tokens ≥ 8) is a draw from p, written as `**4**`, `Answer: 4`, ` 4` or `4`.
 * - Asked for stated probabilities (the prompt of src/scoring/stated.ts), it states p rounded to 3 decimals
 *   in a ```json fence. `logprobs: false` makes it a no-logprob model (every reply with `logprobs: null`).
 * - Asked with a constraint (vLLM `structured_outputs.choice`, OpenAI/Ollama `response_format` json_schema,
 *   llama.cpp `json_schema`, Ollama `format`), the reply is held to the labels: the bare label (choice) or
 *   `{"answer":"4"}` (a schema), the label a draw from p. Its logprobs cover every generated token; at the token
 *   carrying the label the top logprobs are p over the labels (and nothing else: the constraint applied, as vLLM
 *   reports with `--logprobs-mode processed_logprobs`); the JSON tokens around it are certain. `structured:
 *   false` makes it a server that ignores the constraint.
 */
import { fnv1a, messagesOf, optionCount, prng } from "./fakeOpenAiServer.js"
import { readAnswerRecords } from "../../src/store/reads.js"
import type { RunDb } from "../../src/store/RunStore.js"

export interface OpenerModel {
  /** Probability that a reply opens with `**`, `Answer` or a space (0…1). */
  readonly openerShare: number
  /** false: the server never returns logprobs. Default true. */
  readonly logprobs?: boolean
  /** false: the server ignores a constraint (as layers that drop unknown fields do) and replies freely. Default true. */
  readonly structured?: boolean
}

const STATED_MARK = "\n\nDo not pick a single option."

interface Msg {
  readonly role: string
  readonly content: string
}

/** The question a conversation asks: the system message and the first user turn, without the stated request. */
const questionOf = (messages: ReadonlyArray<Msg>): string => {
  const system = messages.find((m) => m.role === "system")?.content ?? ""
  const user = messages.find((m) => m.role === "user")?.content ?? ""
  const at = user.indexOf(STATED_MARK)
  return `${system}\n${at < 0 ? user : user.slice(0, at)}`
}

/** The model's true answer distribution for a question (options 1…k), from its hash. */
export const trueDistribution = (messages: ReadonlyArray<Msg>): ReadonlyArray<number> => {
  const k = optionCount([{ role: "user", content: messages.find((m) => m.role === "user")?.content ?? "" }])
  const rand = prng(fnv1a(`opener:${questionOf(messages)}`))
  const w = Array.from({ length: k }, () => Math.exp(2 * rand()))
  const total = w.reduce((a, b) => a + b, 0)
  return w.map((x) => x / total)
}

const OPENERS = [
  { token: "**", share: 0.5, wrap: (d: string) => `**${d}**` },
  { token: "Answer", share: 0.3, wrap: (d: string) => `Answer: ${d}` },
  { token: " ", share: 0.2, wrap: (d: string) => ` ${d}` }
] as const

/** Draw `n` from `p` with `u` uniform in [0, 1). */
const drawFrom = (p: ReadonlyArray<number>, u: number): number => {
  let acc = 0
  for (let i = 0; i < p.length; i++) {
    acc += p[i]!
    if (u < acc) return i
  }
  return p.length - 1
}

/**
 * Calls answered so far, per model (each server's options object): the server's own count, so its draws do not
 * depend on what other servers of the same test process answered before (test files share their worker's modules).
 */
const callCounts = new WeakMap<OpenerModel, number>()
const nextCall = (model: OpenerModel): number => {
  const n = (callCounts.get(model) ?? 0) + 1
  callCounts.set(model, n)
  return n
}

/** How a request body asks for a constrained answer: a bare choice, a JSON schema, or none. */
const constraintOf = (b: Record<string, unknown>): "choice" | "json" | null => {
  const so = b["structured_outputs"]
  if (typeof so === "object" && so !== null && Array.isArray((so as Record<string, unknown>)["choice"])) return "choice"
  const rf = b["response_format"]
  if (typeof rf === "object" && rf !== null && (rf as Record<string, unknown>)["type"] === "json_schema") return "json"
  if (typeof b["json_schema"] === "object" && b["json_schema"] !== null) return "json"
  if (typeof b["format"] === "object" && b["format"] !== null) return "json"
  return null
}

type Top = ReadonlyArray<{ token: string; logprob: number }>

/**
 * The reply text and top logprobs of the opener model to a chat-completion body: `top` for the first token
 * (null: none), and `tokens`, every generated token with its top logprobs, for a constrained reply.
 */
export const openerReply = (
  body: unknown,
  model: OpenerModel
): { readonly content: string; readonly top: Top | null; readonly tokens?: ReadonlyArray<{ token: string; top: Top }> } => {
  const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {}
  const messages = messagesOf(body)
  const p = trueDistribution(messages)
  const constraint = model.structured === false ? null : constraintOf(b)
  if (constraint !== null) {
    const rand = prng(fnv1a(`${questionOf(messages)}#${nextCall(model)}`))
    const digit = String(drawFrom(p, rand()) + 1)
    const labels = p.map((x, i) => ({ token: String(i + 1), logprob: Math.log(Math.max(1e-12, x)) })).sort((x, y) => y.logprob - x.logprob)
    const certain = (token: string) => ({ token, top: [{ token, logprob: 0 }] })
    const tokens = constraint === "choice" ? [{ token: digit, top: labels }] : [certain('{"'), certain("answer"), certain('":"'), { token: digit, top: labels }, certain('"}')]
    const withLogprobs = model.logprobs !== false && b["logprobs"] === true
    return { content: tokens.map((t) => t.token).join(""), top: withLogprobs ? tokens[0]!.top : null, ...(withLogprobs ? { tokens } : {}) }
  }
  const last = [...messages].reverse().find((m) => m.role === "user")?.content ?? ""
  const maxTokens = Number(b["max_tokens"] ?? b["max_completion_tokens"] ?? 16)
  const s = model.openerShare
  const top = [
    ...OPENERS.map((o) => ({ token: o.token, logprob: Math.log(Math.max(1e-12, s * o.share)) })),
    ...(() => {
      const sq = p.map((x) => x * x)
      const t = sq.reduce((a, c) => a + c, 0)
      return sq.map((x, i) => ({ token: String(i + 1), logprob: Math.log(Math.max(1e-12, ((1 - s) * x) / t)) }))
    })()
  ].sort((x, y) => y.logprob - x.logprob)
  const withLogprobs = model.logprobs !== false && b["logprobs"] === true ? top : null
  if (last.includes(STATED_MARK.trim()) || /JSON object/.test(last)) {
    const rounded = p.map((x) => Math.round(x * 1000) / 1000)
    return { content: "```json\n" + JSON.stringify(Object.fromEntries(rounded.map((x, i) => [String(i + 1), x]))) + "\n```", top: withLogprobs }
  }
  // A draw per call: the server's own stream, seeded from the question and how many calls came before.
  const rand = prng(fnv1a(`${questionOf(messages)}#${nextCall(model)}`))
  const opener = rand() < s ? OPENERS[drawFrom(OPENERS.map((o) => o.share), rand())]! : null
  const digit = String(drawFrom(p, rand()) + 1)
  if (maxTokens < 8) {
    // One token: the most likely first token (as a server at temperature 0 would give it).
    return { content: top[0]!.token, top: withLogprobs }
  }
  return { content: opener === null ? digit : opener.wrap(digit), top: withLogprobs }
}

/**
 * A run's answers against the opener model's true distributions, over every condition × item: `meanDiff`, the
 * mean of (answer − the question's true mean); `varianceRatio`, the answers' spread around each question's true
 * mean (pooled) over the model's variance (1: the same variance). The question is read from the stored request
 * that answered it (the model keys its distribution on it).
 */
export const openerAccuracy = (db: RunDb) => {
  const records = [...readAnswerRecords(db)]
  const bodyOf = db.prepare(`SELECT body FROM requests WHERE key = ?`).pluck()
  let n = 0
  let meanDiff = 0
  let spread = 0
  let variance = 0
  const memo = new Map<string, { mean: number; variance: number }>()
  for (const a of records) {
    if (a.value === null || a.requestKey === null) continue
    const id = `${a.conditionIdx}:${a.itemIdx}`
    let truth = memo.get(id)
    if (truth === undefined) {
      const p = trueDistribution((JSON.parse(bodyOf.get(a.requestKey) as string) as { messages: Array<Msg> }).messages)
      const mean = p.reduce((s, x, j) => s + x * (j + 1), 0)
      truth = { mean, variance: p.reduce((s, x, j) => s + x * (j + 1 - mean) ** 2, 0) }
      memo.set(id, truth)
    }
    n++
    meanDiff += a.value - truth.mean
    spread += (a.value - truth.mean) ** 2
    variance += truth.variance
  }
  return { answers: n, missing: records.length - n, meanDiff: meanDiff / n, varianceRatio: spread / variance }
}
