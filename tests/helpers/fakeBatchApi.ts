import type { IncomingMessage, ServerResponse } from "node:http"
import { answerFor, completionBody, messagesOf, sendJson } from "./fakeOpenAiServer.js"

/**
 * OpenAI's batch formats answered without the engine: every input line (`{"custom_id","method","url","body"}`)
 * gets the loopback server's deterministic answer for its body (`answerFor`, the very function that answers
 * `/v1/chat/completions`), written as an output line (`{"id","custom_id","response":{"status_code",
 * "request_id","body"},"error"}`). Lines whose custom_id `fail` picks get a 500 line in the error file instead,
 * as OpenAI writes failed requests.
 */
export const answerBatchInput = (
  input: string,
  options: { readonly fail?: (customId: string) => boolean; readonly created?: number } = {}
): { readonly output: Array<string>; readonly errors: Array<string> } => {
  const output: Array<string> = []
  const errors: Array<string> = []
  let n = 0
  for (const raw of input.split("\n")) {
    if (raw.trim() === "") continue
    const line = JSON.parse(raw) as { custom_id: string; body: unknown }
    n++
    if (options.fail?.(line.custom_id) === true) {
      errors.push(JSON.stringify({
        id: `batch_req_${n}`,
        custom_id: line.custom_id,
        response: { status_code: 500, request_id: `req_${n}`, body: { error: { message: "The server had an error", type: "server_error" } } },
        error: null
      }))
      continue
    }
    const { content, top } = answerFor(messagesOf(line.body))
    output.push(JSON.stringify({
      id: `batch_req_${n}`,
      custom_id: line.custom_id,
      response: { status_code: 200, request_id: `req_${n}`, body: completionBody(line.body, content, top, options.created ?? 1_700_000_000, n) },
      error: null
    }))
  }
  return { output, errors }
}

interface StoredFile {
  readonly id: string
  readonly filename: string
  readonly purpose: string
  readonly content: Buffer
  readonly created_at: number
}

interface Batch {
  readonly id: string
  readonly input_file_id: string
  readonly endpoint: string
  readonly completion_window: string
  readonly metadata: Record<string, string> | null
  readonly created_at: number
  status: "validating" | "in_progress" | "completed" | "expired"
  polls: number
  output_file_id: string | null
  error_file_id: string | null
  request_counts: { total: number; completed: number; failed: number }
}

export interface FakeBatchApi {
  /** Extra routes for `startFakeServer({ routes })`: `/v1/files` and `/v1/batches`. */
  readonly handle: (req: IncomingMessage, res: ServerResponse, path: string) => boolean
  /** Files uploaded with purpose `batch`, batches created, and file contents downloaded. */
  readonly uploads: number
  readonly batchesCreated: number
  readonly downloads: number
  /** Requests whose custom_id this picks fail (in the error file). */
  setFail(fail: ((customId: string) => boolean) | undefined): void
  /** From now on batches expire when they finish, having answered only their first `answered` lines (no error file). */
  setExpire(answered: number | undefined): void
}

/** Parses a multipart/form-data body into its fields (file fields keep their filename). */
const multipart = (body: Buffer, contentType: string): Map<string, { readonly filename: string | null; readonly data: Buffer }> => {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType)
  const fields = new Map<string, { filename: string | null; data: Buffer }>()
  if (boundary === null) return fields
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`)
  let at = body.indexOf(delimiter)
  while (at >= 0) {
    const start = at + delimiter.length
    const next = body.indexOf(delimiter, start)
    if (next < 0) break
    const part = body.subarray(start + 2, next - 2) // drop the CRLF after the delimiter and before the next one
    const split = part.indexOf("\r\n\r\n")
    const head = part.subarray(0, split).toString("utf8")
    const name = /name="([^"]*)"/.exec(head)?.[1]
    const filename = /filename="([^"]*)"/.exec(head)?.[1] ?? null
    if (name !== undefined) fields.set(name, { filename, data: part.subarray(split + 4) })
    at = next
  }
  return fields
}

const readRaw = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

/**
 * OpenAI's Files and Batches endpoints, enough of them for `valuesim batch submit|status`: upload (multipart),
 * list, retrieve and download files; create, retrieve and list batches. A batch moves from `validating` to
 * `in_progress` to `completed` one retrieve at a time (after `pollsToComplete` retrieves it is complete), and is
 * answered with `answerBatchInput`.
 */
export const makeFakeBatchApi = (
  options: {
    readonly pollsToComplete?: number
    /** The id of the n-th batch created (1-based); default `batch_<n>`. A server may choose any string. */
    readonly batchId?: (n: number) => string
  } = {}
): FakeBatchApi => {
  const files = new Map<string, StoredFile>()
  const batches = new Map<string, Batch>()
  const counts = { uploads: 0, batchesCreated: 0, downloads: 0 }
  let fail: ((customId: string) => boolean) | undefined
  let expireAfter: number | undefined
  const created = 1_700_000_000
  const fileObject = (f: StoredFile) => ({ id: f.id, object: "file", bytes: f.content.length, created_at: f.created_at, filename: f.filename, purpose: f.purpose, status: "processed" })
  const addFile = (filename: string, purpose: string, content: Buffer) => {
    const f: StoredFile = { id: `file-${files.size + 1}`, filename, purpose, content, created_at: created + files.size }
    files.set(f.id, f)
    return f
  }
  const batchObject = (b: Batch) => ({
    id: b.id, object: "batch", endpoint: b.endpoint, input_file_id: b.input_file_id, completion_window: b.completion_window,
    status: b.status, output_file_id: b.output_file_id, error_file_id: b.error_file_id, created_at: b.created_at,
    request_counts: b.request_counts, metadata: b.metadata, errors: null
  })
  const advance = (b: Batch) => {
    b.polls++
    if (b.status === "completed" || b.status === "expired") return
    if (b.polls < (options.pollsToComplete ?? 2)) {
      b.status = "in_progress"
      return
    }
    const input = files.get(b.input_file_id)!.content.toString("utf8")
    const all = answerBatchInput(input, fail === undefined ? {} : { fail })
    const output = expireAfter === undefined ? all.output : all.output.slice(0, expireAfter)
    const errors = expireAfter === undefined ? all.errors : []
    if (output.length > 0) b.output_file_id = addFile(`${b.id}_output.jsonl`, "batch_output", Buffer.from(output.join("\n") + "\n")).id
    if (errors.length > 0) b.error_file_id = addFile(`${b.id}_error.jsonl`, "batch_output", Buffer.from(errors.join("\n") + "\n")).id
    b.request_counts = { total: output.length + errors.length, completed: output.length, failed: errors.length }
    b.status = expireAfter === undefined ? "completed" : "expired"
  }

  const route = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const p = path.replace(/^\/v1/, "")
    if (req.method === "POST" && p === "/files") {
      const body = await readRaw(req)
      const fields = multipart(body, String(req.headers["content-type"] ?? ""))
      const file = fields.get("file")
      const purpose = fields.get("purpose")?.data.toString("utf8") ?? ""
      if (file === undefined || purpose !== "batch") return sendJson(res, 400, { error: { message: "expected a file with purpose batch", type: "invalid_request_error" } })
      counts.uploads++
      return sendJson(res, 200, fileObject(addFile(file.filename ?? "upload.jsonl", purpose, file.data)))
    }
    if (req.method === "GET" && p === "/files") {
      return sendJson(res, 200, { object: "list", data: [...files.values()].reverse().map(fileObject), has_more: false })
    }
    const content = /^\/files\/([^/]+)\/content$/.exec(p)
    if (req.method === "GET" && content !== null) {
      const f = files.get(content[1]!)
      if (f === undefined) return sendJson(res, 404, { error: { message: "no such file", type: "invalid_request_error" } })
      counts.downloads++
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": f.content.length })
      res.end(f.content)
      return
    }
    const oneFile = /^\/files\/([^/]+)$/.exec(p)
    if (req.method === "GET" && oneFile !== null) {
      const f = files.get(oneFile[1]!)
      return f === undefined ? sendJson(res, 404, { error: { message: "no such file", type: "invalid_request_error" } }) : sendJson(res, 200, fileObject(f))
    }
    if (req.method === "POST" && p === "/batches") {
      const body = JSON.parse((await readRaw(req)).toString("utf8")) as { input_file_id?: string; endpoint?: string; completion_window?: string; metadata?: Record<string, string> }
      if (body.input_file_id === undefined || !files.has(body.input_file_id)) {
        return sendJson(res, 400, { error: { message: "input_file_id: no such file", type: "invalid_request_error" } })
      }
      counts.batchesCreated++
      const b: Batch = {
        id: options.batchId?.(batches.size + 1) ?? `batch_${batches.size + 1}`, input_file_id: body.input_file_id, endpoint: body.endpoint ?? "", completion_window: body.completion_window ?? "24h",
        metadata: body.metadata ?? null, created_at: created + batches.size, status: "validating", polls: 0, output_file_id: null, error_file_id: null,
        request_counts: { total: 0, completed: 0, failed: 0 }
      }
      batches.set(b.id, b)
      return sendJson(res, 200, batchObject(b))
    }
    if (req.method === "GET" && p === "/batches") {
      return sendJson(res, 200, { object: "list", data: [...batches.values()].reverse().map(batchObject), has_more: false })
    }
    const oneBatch = /^\/batches\/([^/]+)$/.exec(p)
    if (req.method === "GET" && oneBatch !== null) {
      // Path parameters arrive percent-encoded (the SDK encodes `/` in an id as %2F).
      const b = batches.get(decodeURIComponent(oneBatch[1]!))
      if (b === undefined) return sendJson(res, 404, { error: { message: "no such batch", type: "invalid_request_error" } })
      advance(b)
      return sendJson(res, 200, batchObject(b))
    }
    sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } })
  }

  return {
    handle: (req, res, path) => {
      if (!/^(\/v1)?\/(files|batches)(\/|$)/.test(path)) return false
      route(req, res, path).catch(() => res.destroy())
      return true
    },
    get uploads() {
      return counts.uploads
    },
    get batchesCreated() {
      return counts.batchesCreated
    },
    get downloads() {
      return counts.downloads
    },
    setFail: (f) => {
      fail = f
    },
    setExpire: (n) => {
      expireAfter = n
    }
  }
}
