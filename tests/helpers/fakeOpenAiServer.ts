import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { openerReply, type OpenerModel } from "./openerModel.js"

/** One scripted misbehaviour, consumed by one incoming chat-completion request. */
export type Fault =
  | { readonly kind: "429"; readonly retryAfterS: number }
  /** A server error: 500 unless `status` says another 5xx. */
  | { readonly kind: "500"; readonly status?: number }
  | { readonly kind: "hang" }
  | { readonly kind: "reset" }
  | { readonly kind: "garbage" }
  | { readonly kind: "text"; readonly text: string }
  /** A 200 with the usual answer but `logprobs: null`, even when logprobs were asked for. */
  | { readonly kind: "nologprobs" }
  /** A 200 whose top logprobs hold no option token (only "I", "The", "Sorry"), the text still an option. */
  | { readonly kind: "offoptions" }
  /** A 200 chat completion with an empty `choices` array. */
  | { readonly kind: "nochoices" }
  /** A 400 (a request the server refuses: not retried). */
  | { readonly kind: "400" }
  | { readonly kind: "ok" }

/** The kinds of misbehaviour seeded fault injection (`FakeServerOptions.chaos`) draws from. */
export const CHAOS_KINDS = ["429", "500", "502", "reset", "hang", "garbage", "nochoices", "nonsense", "nologprobs"] as const
export type ChaosKind = (typeof CHAOS_KINDS)[number]

/**
 * Seeded fault injection: each chat request is faulted with probability `rate`, the kind drawn uniformly from
 * `kinds`. The draw depends only on the seed, the request body and how often that body was sent before, so a
 * run faults the same requests however its requests interleave.
 */
export interface ChaosOptions {
  readonly rate: number
  readonly seed: number
  /** Default: every kind of CHAOS_KINDS. */
  readonly kinds?: ReadonlyArray<ChaosKind>
  /** Retry-After of a 429, in seconds (default 1). */
  readonly retryAfterS?: number
}

/** The nonsense a `nonsense` fault says: no digit and no option word, so it matches no option. */
export const NONSENSE = "Purple elephants negotiate quietly beneath the marmalade sky"

const faultOfKind = (kind: ChaosKind, retryAfterS: number): Fault => {
  switch (kind) {
    case "429":
      return { kind: "429", retryAfterS }
    case "500":
      return { kind: "500" }
    case "502":
      return { kind: "500", status: 502 }
    case "nonsense":
      return { kind: "text", text: NONSENSE }
    default:
      return { kind }
  }
}

export interface FakeServerOptions {
  readonly port?: number
  readonly host?: string
  /** Fixed delay before every chat-completion answer (faults included). */
  readonly latencyMs?: number
  /** Inject `fault` into every `every`-th chat request (1-based count), in addition to planned faults. */
  readonly periodicFault?: { readonly every: number; readonly fault: Fault }
  /** Every request whose messages contain this text is answered without logprobs (`nologprobs`), always. */
  readonly noLogprobsFor?: string
  /** Seeded fault injection (see ChaosOptions); off when absent. `setChaos` changes it later. */
  readonly chaos?: ChaosOptions
  /** The model behind the name (see `setServing`); absent: the plain fake model. */
  readonly serving?: Serving
  /** Called with each fault injected (planned, periodic or seeded) and the request's 1-based number. */
  readonly onFault?: (fault: Fault, request: number) => void
  /**
   * Answer as the opener model of `openerModel.ts` (a known answer distribution, replies that often open with
   * `**`, `Answer` or a space) instead of the default model. Faults still apply.
   */
  readonly opener?: OpenerModel
  /**
   * A server kind's own behaviour (tests/helpers/serverKinds.ts): given each parsed chat request body and its
   * 1-based number, the reply to send instead of the default one, or undefined for the default (faults first).
   */
  readonly profile?: (body: unknown, request: number) => ProfileReply | undefined
  /** More routes (e.g. the Files and Batches endpoints of `fakeBatchApi.ts`): true when it answered the request. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean
}

/** A reply a profile sends: its status, JSON body (sent as given, arrays included) and extra headers. */
export interface ProfileReply {
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface FakeServer {
  /** Base URL for the OpenAI SDK, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string
  /** POST /chat/completions requests received. */
  readonly requests: number
  /** Parsed request bodies, the last 1000. */
  readonly bodies: Array<unknown>
  /** Chat requests whose connection closed before the server answered (e.g. client aborts). */
  readonly aborted: number
  /** Chat requests received and not yet answered or aborted, and the maximum of that so far. */
  readonly inFlight: number
  readonly maxInFlight: number
  /** Queue faults: one per incoming request, in order; normal answers resume afterwards. */
  plan(faults: ReadonlyArray<Fault>): void
  /** Changes the delay for requests received from now on. */
  setLatency(ms: number): void
  /** Turns seeded fault injection on (or changes it) or, with null, off, for requests received from now on. */
  setChaos(chaos: ChaosOptions | null): void
  /** Puts another model behind the same URL and model name (null: the plain fake model), as a restarted server would. */
  setServing(serving: Serving | null): void
  /** Faults injected so far, by kind (`500` with another status counts under that status; `text` as `nonsense` when it is NONSENSE). */
  readonly faults: Readonly<Record<string, number>>
  close(): Promise<void>
}

export const MODEL = "fake-model"

/**
 * The model file behind a served name, as vLLM reports it (`root` in each `/v1/models` entry, the served name in
 * `id` and in every response's `model`) and a `system_fingerprint` in every response (as OpenAI and llama.cpp
 * send one). A model behind another `root` answers differently (the root goes into the answer hash).
 */
export interface Serving {
  readonly root: string
  readonly fingerprint?: string
}

/** 32-bit FNV-1a over UTF-16 code units. */
export const fnv1a = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** mulberry32: a tiny deterministic PRNG seeded from the hash. */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Message {
  readonly role: string
  readonly content: string
}

export const messagesOf = (body: unknown): ReadonlyArray<Message> => {
  const raw = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["messages"] : undefined
  if (!Array.isArray(raw)) return []
  return raw.map((m: unknown) => {
    const r = typeof m === "object" && m !== null ? (m as Record<string, unknown>) : {}
    return { role: String(r["role"] ?? ""), content: typeof r["content"] === "string" ? r["content"] : "" }
  })
}

const modelOf = (body: unknown): string => {
  const m = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["model"] : undefined
  return typeof m === "string" ? m : MODEL
}

const lastUserContent = (messages: ReadonlyArray<Message>): string => [...messages].reverse().find((m) => m.role === "user")?.content ?? ""

/** Largest `N.` / `N)` option number at a line start in the last user message; 6 when there is none. */
export const optionCount = (messages: ReadonlyArray<Message>): number => {
  let k = 0
  for (const m of lastUserContent(messages).matchAll(/^\s*(\d{1,2})\s*[.)]/gm)) k = Math.max(k, Number(m[1]))
  return k >= 2 ? Math.min(k, 18) : 6
}

/** Options listed as `- <word>` lines in the last user message (questionnaires that answer with labels), if two or more. */
export const optionLabels = (messages: ReadonlyArray<Message>): ReadonlyArray<string> | null => {
  const labels = [...lastUserContent(messages).matchAll(/^- (\S+)\s*$/gm)].map((m) => m[1]!)
  return labels.length >= 2 ? labels : null
}

interface TopEntry {
  readonly token: string
  readonly logprob: number
}

/**
 * The deterministic answer for a conversation: a distribution over "1".."k" (or over the words of `- word`
 * option lines) derived from the FNV-1a hash of the messages. The options carry 95 % of the mass (some split
 * with a " d" variant), "I" and "The" the rest.
 */
export const answerFor = (
  messages: ReadonlyArray<Message>,
  /** A model other than MODEL answers differently (its name goes into the hash): several models can be told apart. */
  model: string = MODEL
): { readonly content: string; readonly top: ReadonlyArray<TopEntry> } => {
  const labels = optionLabels(messages)
  const k = labels?.length ?? optionCount(messages)
  const tokenOf = (i: number) => labels?.[i] ?? String(i + 1)
  const rand = prng(fnv1a((model === MODEL ? "" : `model:${model}\n`) + messages.map((m) => `${m.role}:${m.content}`).join("\n")))
  const weights = Array.from({ length: k }, () => Math.exp(4 * rand()))
  const total = weights.reduce((a, b) => a + b, 0)
  const probs = weights.map((w) => (0.95 * w) / total)
  let best = 0
  probs.forEach((p, i) => {
    if (p > (probs[best] ?? 0)) best = i
  })
  const entries: Array<TopEntry> = []
  probs.forEach((p, i) => {
    const digit = tokenOf(i)
    if (rand() < 0.3) {
      entries.push({ token: digit, logprob: Math.log(0.8 * p) }, { token: ` ${digit}`, logprob: Math.log(0.2 * p) })
    } else {
      entries.push({ token: digit, logprob: Math.log(p) })
    }
  })
  entries.push({ token: "I", logprob: Math.log(0.03) }, { token: "The", logprob: Math.log(0.02) })
  entries.sort((a, b) => b.logprob - a.logprob)
  // A batch of items (`Q<n>: …` lines, the last user turn possibly a re-ask naming some of them): one
  // `Q<n>: <option>` line per item asked, each drawn from the same hash-seeded stream.
  const asked = [...new Set([...lastUserContent(messages).matchAll(/\bQ(\d+)\b/g)].map((m) => Number(m[1])))]
  if (asked.length > 0) {
    return { content: asked.map((n) => `Q${n}: ${tokenOf(Math.floor(rand() * k))}`).join("\n"), top: entries }
  }
  return { content: tokenOf(best), top: entries }
}

/**
 * `logprobs` of a reply of several tokens (a constrained answer): one entry per token, each with its own top
 * logprobs, as OpenAI's `ChatCompletionTokenLogprob` list (`{token, logprob, bytes, top_logprobs}`).
 */
const tokenLogprobs = (body: unknown, tokens: ReadonlyArray<{ readonly token: string; readonly top: ReadonlyArray<TopEntry> }>) => {
  const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {}
  const n = Math.min(Math.max(0, Number(b["top_logprobs"] ?? 0) || 0), 20)
  const bytes = (s: string) => [...Buffer.from(s, "utf8")]
  return {
    content: tokens.map((t) => ({
      token: t.token,
      logprob: t.top.find((x) => x.token === t.token)?.logprob ?? -0.01,
      bytes: bytes(t.token),
      top_logprobs: t.top.slice(0, n).map((x) => ({ ...x, bytes: bytes(x.token) }))
    })),
    refusal: null
  }
}

export const completionBody = (
  body: unknown,
  content: string,
  top: ReadonlyArray<TopEntry>,
  created: number,
  id: number
): unknown => {
  const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {}
  const n = Math.min(Math.max(0, Number(b["top_logprobs"] ?? 0) || 0), 20)
  const bytes = (s: string) => [...Buffer.from(s, "utf8")]
  const chosen = top.find((t) => t.token === content)
  const promptTokens = Math.ceil(messagesOf(body).reduce((a, m) => a + m.content.length, 0) / 4)
  return {
    id: `chatcmpl-fake-${id}`,
    object: "chat.completion",
    created,
    model: typeof b["model"] === "string" ? b["model"] : MODEL,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null },
        logprobs: b["logprobs"] === true
          ? {
            content: [
              {
                token: content,
                logprob: chosen?.logprob ?? -0.01,
                bytes: bytes(content),
                top_logprobs: top.slice(0, n).map((t) => ({ ...t, bytes: bytes(t.token) }))
              }
            ],
            refusal: null
          }
          : null,
        finish_reason: "stop"
      }
    ],
    usage: { prompt_tokens: promptTokens, completion_tokens: 1, total_tokens: promptTokens + 1 }
  }
}

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
  res.end(text)
}

export const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

/** A loopback OpenAI-compatible server for tests and benchmarks; answers are deterministic in the messages. */
export const startFakeServer = (opts: FakeServerOptions = {}): Promise<FakeServer> => {
  const queue: Array<Fault> = []
  const bodies: Array<unknown> = []
  let requests = 0
  let aborted = 0
  let inFlight = 0
  let maxInFlight = 0
  let latency = opts.latencyMs ?? 0
  const created = Math.floor(Date.now() / 1000)
  let chaos = opts.chaos ?? null
  let serving: Serving | null = opts.serving ?? null
  const answerModel = (body: unknown) => (serving === null ? modelOf(body) : `${modelOf(body)}@${serving.root}`)
  const served = (payload: unknown) =>
    serving === null ? payload : { ...(payload as Record<string, unknown>), system_fingerprint: serving.fingerprint ?? null }
  /** How often each request body (by hash) was received, for chaos draws. */
  const seen = new Map<number, number>()
  const faults: Record<string, number> = {}
  const kindName = (f: Fault): string =>
    f.kind === "500" && f.status !== undefined ? String(f.status) : f.kind === "text" && f.text === NONSENSE ? "nonsense" : f.kind
  const chaosFault = (text: string): Fault | undefined => {
    if (chaos === null || chaos.rate <= 0) return undefined
    const h = fnv1a(text)
    const times = seen.get(h) ?? 0
    seen.set(h, times + 1)
    const rand = prng((h ^ Math.imul(chaos.seed + 1, 0x9e3779b1) ^ Math.imul(times + 1, 0x85ebca6b)) >>> 0)
    if (rand() >= chaos.rate) return undefined
    const kinds = chaos.kinds ?? CHAOS_KINDS
    return faultOfKind(kinds[Math.floor(rand() * kinds.length)]!, chaos.retryAfterS ?? 1)
  }

  const respond = (
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    fault: Fault | undefined,
    n: number,
    answered: () => void
  ) => {
    switch (fault?.kind) {
      case "hang":
        return // answered never; the socket closes when the client aborts or the server closes
      case "reset":
        answered() // a server-side reset is not a client abort
        req.socket.destroy()
        return
      case "429":
        return sendJson(
          res,
          429,
          { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } },
          { "retry-after": String(fault.retryAfterS) }
        )
      case "500":
        return sendJson(res, fault.status ?? 500, { error: { message: "The server had an error", type: "server_error", code: null } })
      case "garbage":
        res.writeHead(200, { "content-type": "application/json" })
        res.end("not json at all")
        return
      case "text": {
        const words = fault.text.trim().split(/\s+/).filter((w) => !/\d/.test(w))
        const top = [...new Set([...words.slice(0, 3), "I", "The", "Sorry"])].map((token, i) => ({
          token,
          logprob: Math.log(0.6 / (i + 1))
        }))
        return sendJson(res, 200, served(completionBody(body, fault.text, top, created, n)))
      }
      case "nologprobs": {
        const { content, top } = answerFor(messagesOf(body), answerModel(body))
        const full = completionBody(body, content, top, created, n) as { choices: Array<Record<string, unknown>> }
        full.choices[0]!["logprobs"] = null
        return sendJson(res, 200, served(full))
      }
      case "offoptions": {
        const { content } = answerFor(messagesOf(body), answerModel(body))
        const top = ["I", "The", "Sorry"].map((token, i) => ({ token, logprob: Math.log(0.5 / (i + 1)) }))
        return sendJson(res, 200, served(completionBody(body, content, top, created, n)))
      }
      case "nochoices":
        return sendJson(res, 200, { id: `chatcmpl-fake-${n}`, object: "chat.completion", created, model: MODEL, choices: [] })
      case "400":
        return sendJson(res, 400, { error: { message: "The request is invalid", type: "invalid_request_error", code: null } })
      case "ok":
      case undefined: {
        if (opts.opener !== undefined) {
          const reply = openerReply(body, opts.opener)
          const full = completionBody(body, reply.content, reply.top ?? [], created, n) as { choices: Array<Record<string, unknown>> }
          if (reply.top === null) full.choices[0]!["logprobs"] = null
          else if (reply.tokens !== undefined) full.choices[0]!["logprobs"] = tokenLogprobs(body, reply.tokens)
          return sendJson(res, 200, served(full))
        }
        const { content, top } = answerFor(messagesOf(body), answerModel(body))
        return sendJson(res, 200, served(completionBody(body, content, top, created, n)))
      }
    }
  }

  const handleChat = async (req: IncomingMessage, res: ServerResponse) => {
    const n = ++requests
    let fault = queue.shift() ??
      (opts.periodicFault !== undefined && n % opts.periodicFault.every === 0 ? opts.periodicFault.fault : undefined)
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    let settled = false
    const settle = (wasAborted: boolean) => {
      if (settled) return
      settled = true
      inFlight--
      if (wasAborted) aborted++
    }
    res.on("finish", () => settle(false))
    res.on("close", () => settle(!res.writableFinished))

    const text = await readBody(req)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return sendJson(res, 400, { error: { message: "request body is not JSON", type: "invalid_request_error" } })
    }
    bodies.push(body)
    if (bodies.length > 1000) bodies.splice(0, bodies.length - 1000)
    const degrade = opts.noLogprobsFor !== undefined && fault === undefined &&
      messagesOf(body).some((m) => m.content.includes(opts.noLogprobsFor!))
    if (degrade) fault = { kind: "nologprobs" }
    fault ??= chaosFault(text)
    if (fault !== undefined && fault.kind !== "ok") {
      const name = kindName(fault)
      faults[name] = (faults[name] ?? 0) + 1
      opts.onFault?.(fault, n)
    }

    const custom = fault === undefined ? opts.profile?.(body, n) : undefined
    const reply = () =>
      custom === undefined ? respond(req, res, body, fault, n, () => settle(false)) : sendJson(res, custom.status, custom.body, { ...custom.headers })
    if (latency > 0 && fault?.kind !== "hang") {
      const timer = setTimeout(reply, latency)
      res.on("close", () => clearTimeout(timer))
    } else {
      reply()
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]
    if (req.method === "POST" && (path === "/v1/chat/completions" || path === "/chat/completions")) {
      handleChat(req, res).catch(() => res.destroy())
    } else if (req.method === "GET" && (path === "/v1/models" || path === "/models")) {
      // `created` is the time of the call, as vLLM and llama.cpp report it.
      sendJson(res, 200, { object: "list", data: [{ id: MODEL, object: "model", created: Math.floor(Date.now() / 1000), owned_by: "valuesim", ...(serving === null ? {} : { root: serving.root }) }] })
    } else if (opts.routes?.(req, res, path ?? "/") === true) {
      return
    } else {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } })
    }
  })
  server.keepAliveTimeout = 30_000

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      const { address, port } = server.address() as AddressInfo
      const host = address.includes(":") ? `[${address}]` : address
      resolve({
        url: `http://${host}:${port}/v1`,
        get requests() {
          return requests
        },
        bodies,
        get aborted() {
          return aborted
        },
        get inFlight() {
          return inFlight
        },
        get maxInFlight() {
          return maxInFlight
        },
        setLatency: (ms) => {
          latency = ms
        },
        setServing: (next) => {
          serving = next
        },
        setChaos: (next) => {
          chaos = next
        },
        get faults() {
          return { ...faults }
        },
        plan: (faults) => {
          queue.push(...faults)
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })
}
