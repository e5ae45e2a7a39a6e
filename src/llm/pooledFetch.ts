import type * as Undici from "undici"
import type { Dispatcher } from "undici"
import { createRequire } from "node:module"
import * as zlib from "node:zlib"

/**
 * undici (1 MB of JavaScript, and Node's http2, tls and dns with it) loads with the first pooled fetch, not in
 * every process: most commands send nothing. In the CLI's bundle `require` is its own, which esbuild points at the
 * bundled copy (scripts/bundle.mjs); run from the sources, the installed package is required.
 */
const undici = (): typeof Undici =>
  (typeof require === "function" ? require("undici") : createRequire(import.meta.url)("undici")) as typeof Undici

/**
 * Stops one request made through a pooled fetch. Handed to the fetch in the OpenAI SDK's per-request
 * `fetchOptions` (field `cancel`), so that interrupting a request costs no `AbortController`: on Node 20 each
 * one costs about 15 µs, a tenth of the whole scheduler budget per request.
 */
export class FetchCancel {
  #cancelled = false
  #onCancel: (() => void) | undefined = undefined
  get cancelled(): boolean {
    return this.#cancelled
  }
  cancel(): void {
    if (this.#cancelled) return
    this.#cancelled = true
    this.#onCancel?.()
  }
  /** @internal Called by the fetch once it has something to stop. */
  setOnCancel(f: (() => void) | undefined): void {
    this.#onCancel = f
  }
}

/** What the pooled fetch reads from `init` beyond a plain `RequestInit`. */
export interface PooledRequestInit extends RequestInit {
  readonly cancel?: FetchCancel
}

export interface PooledFetch {
  /** A `fetch` for the OpenAI SDK: string or URL input, string or byte bodies, buffered responses. */
  readonly fetch: (input: string | URL | Request, init?: PooledRequestInit) => Promise<Response>
  /** Closes every pooled connection; requests still running fail. */
  readonly destroy: () => Promise<void>
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304])

const abortError = (message: string): Error => {
  const e = new Error(message)
  e.name = "AbortError"
  return e
}

/** Flattens request headers (a `Headers`, a record or pairs) into undici's `[name, value, …]` form. */
const flatHeaders = (headers: RequestInit["headers"]): Array<string> => {
  const out: Array<string> = []
  if (headers === undefined || headers === null) return out
  const h = headers instanceof Headers ? headers : new Headers(headers)
  h.forEach((value, name) => {
    out.push(name, value)
  })
  return out
}

const decode = (encoding: string, body: Buffer): Buffer => {
  switch (encoding) {
    case "gzip":
    case "x-gzip":
      return zlib.gunzipSync(body)
    case "deflate":
      return zlib.inflateSync(body)
    case "br":
      return zlib.brotliDecompressSync(body)
    default:
      throw new TypeError(`unsupported content-encoding ${JSON.stringify(encoding)}`)
  }
}

/**
 * A response read whole into memory, with the part of the WHATWG `Response` interface that the OpenAI SDK
 * reads (status, headers, `json()`, `text()`). A real `Response` would wrap the bytes in a web stream only to
 * read them back out: that cost about 0.13 ms of CPU per request, a tenth of everything else.
 */
export class BufferedResponse {
  readonly ok: boolean
  readonly redirected = false
  readonly type = "basic"
  /** Always null: the bytes are already here; read them with `text()`, `json()` or `arrayBuffer()`. */
  readonly body = null
  #bytes: Buffer
  #used = false
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    bytes: Buffer,
    readonly url: string
  ) {
    this.ok = status >= 200 && status < 300
    this.#bytes = bytes
  }
  get bodyUsed(): boolean {
    return this.#used
  }
  #take(): Buffer {
    if (this.#used) throw new TypeError("Body is unusable: Body has already been read")
    this.#used = true
    const b = this.#bytes
    // A UTF-8 byte order mark is not part of the text (as in fetch's text() and json()).
    return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b
  }
  text(): Promise<string> {
    try {
      return Promise.resolve(this.#take().toString("utf8"))
    } catch (e) {
      return Promise.reject(e)
    }
  }
  json(): Promise<unknown> {
    try {
      return Promise.resolve(JSON.parse(this.#take().toString("utf8")) as unknown)
    } catch (e) {
      return Promise.reject(e)
    }
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    try {
      const b = this.#take()
      return Promise.resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)
    } catch (e) {
      return Promise.reject(e)
    }
  }
  clone(): BufferedResponse {
    if (this.#used) throw new TypeError("Response.clone: Body has already been consumed")
    return new BufferedResponse(this.status, this.statusText, this.headers, this.#bytes, this.url)
  }
}

/** The buffered response of an answer, undoing a content encoding the server chose anyway. */
const toResponse = (
  status: number,
  statusText: string,
  raw: Record<string, string | Array<string> | undefined>,
  chunks: ReadonlyArray<Buffer>,
  url: string
): BufferedResponse => {
  const headers = new Headers()
  let body: Buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
  const encoding = raw["content-encoding"]
  const decodeAs = typeof encoding === "string" ? encoding.trim().toLowerCase() : ""
  const decoded = decodeAs !== "" && decodeAs !== "identity"
  if (decoded && body.length > 0) body = decode(decodeAs, body)
  for (const name in raw) {
    if (decoded && (name === "content-encoding" || name === "content-length")) continue
    const value = raw[name]
    if (typeof value === "string") headers.append(name, value)
    else if (value !== undefined) for (const v of value) headers.append(name, v)
  }
  return new BufferedResponse(status, statusText, headers, NULL_BODY_STATUS.has(status) ? Buffer.alloc(0) : body, url)
}

/**
 * A `fetch` over one undici `Agent` whose pool per origin keeps at most `connections` keep-alive sockets
 * open (size it to the requests in flight). It reads whole responses into memory (`BufferedResponse`), which
 * costs about a third of the CPU of Node's own `fetch` per request. It follows no redirects, asks for no
 * compression (decoding gzip, deflate and br if a server sends them anyway) and has no timeouts of its own:
 * the caller aborts through `init.signal` or `init.cancel`.
 */
export const makePooledFetch = (connections: number): PooledFetch => {
  const agent = new (undici().Agent)({ connections, headersTimeout: 0, bodyTimeout: 0 })
  let lastHref = ""
  let lastUrl: URL | null = null
  const parse = (href: string): URL => {
    if (href !== lastHref || lastUrl === null) {
      lastUrl = new URL(href)
      lastHref = href
    }
    return lastUrl
  }

  const fetch = (input: string | URL | Request, init: PooledRequestInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      if (typeof input !== "string" && !(input instanceof URL)) {
        return reject(new TypeError("pooled fetch takes a URL, not a Request"))
      }
      const body = init.body
      if (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) {
        return reject(new TypeError("pooled fetch sends string or byte bodies only"))
      }
      const { signal, cancel } = init
      if (signal?.aborted === true) return reject(signal.reason)
      if (cancel?.cancelled === true) return reject(abortError("request cancelled"))
      const url = typeof input === "string" ? parse(input) : input

      let settled = false
      let controller: Dispatcher.DispatchController | null = null
      let abortReason: unknown = null
      const chunks: Array<Buffer> = []
      let status = 0
      let statusText = ""
      let headers: Record<string, string | Array<string> | undefined> = {}
      const finish = () => {
        signal?.removeEventListener("abort", onAbort)
        cancel?.setOnCancel(undefined)
      }
      const fail = (error: unknown) => {
        if (settled) return
        settled = true
        finish()
        reject(error)
      }
      const stop = (reason: unknown) => {
        if (settled) return
        abortReason = reason
        // Before the pool hands the request a socket there is nothing to abort yet: onRequestStart does it.
        if (controller !== null) controller.abort(reason instanceof Error ? reason : abortError(String(reason)))
        fail(reason)
      }
      const onAbort = () => stop(signal?.reason ?? abortError("request aborted"))
      signal?.addEventListener("abort", onAbort, { once: true })
      cancel?.setOnCancel(() => stop(abortError("request cancelled")))

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c
          if (abortReason !== null) c.abort(abortReason instanceof Error ? abortReason : abortError(String(abortReason)))
        },
        onResponseStart(_c, statusCode, h, message) {
          if (statusCode < 200) return // 1xx informational: the real answer follows
          status = statusCode
          statusText = message ?? ""
          headers = h
        },
        onResponseData(_c, chunk) {
          chunks.push(chunk)
        },
        onResponseEnd() {
          if (settled) return
          let response: BufferedResponse
          try {
            response = toResponse(status, statusText, headers, chunks, url.href)
          } catch (e) {
            return fail(e)
          }
          settled = true
          finish()
          // The SDK reads only what BufferedResponse has (see there).
          resolve(response as unknown as Response)
        },
        onResponseError(_c, error) {
          fail(abortReason ?? error)
        }
      }
      agent.dispatch(
        {
          origin: url.origin,
          path: url.pathname + url.search,
          method: (init.method ?? "GET").toUpperCase() as Dispatcher.HttpMethod,
          headers: flatHeaders(init.headers),
          body: body ?? null
        },
        handler
      )
    })

  return { fetch, destroy: () => agent.destroy() }
}
