import { afterEach, assert, describe, it } from "vitest"
import { createServer } from "node:http"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as zlib from "node:zlib"
import { FetchCancel, makePooledFetch } from "../../src/llm/pooledFetch.js"

/** A loopback HTTP server that counts TCP connections and requests in flight; `handle` answers each request. */
const serve = async (handle: (req: IncomingMessage, res: ServerResponse) => void) => {
  let connections = 0
  let inFlight = 0
  let maxInFlight = 0
  let closedEarly = 0
  const server = createServer((req, res) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    res.on("close", () => {
      inFlight--
      if (!res.writableFinished) closedEarly++
    })
    req.resume()
    req.on("end", () => handle(req, res))
  })
  server.on("connection", () => connections++)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    stats: () => ({ connections, inFlight, maxInFlight, closedEarly }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
const track = <T extends { close?: () => Promise<void>; destroy?: () => Promise<void> }>(x: T): T => {
  cleanups.push(() => (x.close ?? x.destroy)!.call(x))
  return x
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify(body))
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  assert.isTrue(cond(), "condition not reached")
}

describe("makePooledFetch", () => {
  it("posts the body and headers and reads status, headers and JSON", async () => {
    let seen: { method?: string; auth?: string; body?: string } = {}
    const server = track(
      await serve((req, res) => {
        seen = { method: req.method!, auth: req.headers.authorization! }
        json(res, 201, { ok: true }, { "x-request-id": "req_1" })
      })
    )
    const pooled = track(makePooledFetch(4))
    const res = await pooled.fetch(server.url, {
      method: "post",
      headers: new Headers({ authorization: "Bearer k", "content-type": "application/json" }),
      body: JSON.stringify({ a: 1 })
    })
    assert.strictEqual(seen.method, "POST")
    assert.strictEqual(seen.auth, "Bearer k")
    assert.strictEqual(res.status, 201)
    assert.isTrue(res.ok)
    assert.strictEqual(res.headers.get("x-request-id"), "req_1")
    assert.deepStrictEqual(await res.json(), { ok: true })
    assert.isTrue(res.bodyUsed)
    let again: unknown = null
    await res.text().catch((e: unknown) => (again = e))
    assert.instanceOf(again, TypeError)
  })

  it("keeps connections alive and never opens more than its pool size", async () => {
    const server = track(await serve((_req, res) => setTimeout(() => json(res, 200, { ok: true }), 20)))
    const pooled = track(makePooledFetch(3))
    const many = Array.from({ length: 30 }, () => pooled.fetch(server.url, { method: "POST", body: "{}" }).then((r) => r.json()))
    await Promise.all(many)
    // 30 requests over at most 3 sockets, reused.
    assert.strictEqual(server.stats().maxInFlight, 3)
    assert.strictEqual(server.stats().connections, 3)
    await pooled.fetch(server.url, { method: "POST", body: "{}" }).then((r) => r.json())
    assert.strictEqual(server.stats().connections, 3)
  })

  it("decodes a gzip answer the server sent without being asked", async () => {
    const server = track(
      await serve((_req, res) => {
        const body = zlib.gzipSync(JSON.stringify({ text: "héllo" }))
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(body.length) })
        res.end(body)
      })
    )
    const pooled = track(makePooledFetch(1))
    const res = await pooled.fetch(server.url, { method: "POST", body: "{}" })
    assert.isNull(res.headers.get("content-encoding"))
    assert.deepStrictEqual(await res.json(), { text: "héllo" })
  })

  it("passes error statuses through and rejects malformed JSON as a SyntaxError", async () => {
    const server = track(
      await serve((req, res) => {
        if (req.url!.endsWith("bad")) {
          res.writeHead(200, { "content-type": "application/json" })
          res.end("not json")
        } else json(res, 429, { error: { message: "slow down" } }, { "retry-after": "2" })
      })
    )
    const pooled = track(makePooledFetch(2))
    const limited = await pooled.fetch(server.url, { method: "POST", body: "{}" })
    assert.strictEqual(limited.status, 429)
    assert.isFalse(limited.ok)
    assert.strictEqual(limited.headers.get("retry-after"), "2")
    const bad = await pooled.fetch(`${server.url}/bad`, { method: "POST", body: "{}" })
    let error: unknown = null
    await bad.json().catch((e: unknown) => (error = e))
    assert.instanceOf(error, SyntaxError)
  })

  it("an aborted signal or a cancelled handle stops the request on the wire", async () => {
    const server = track(await serve(() => {})) // never answers
    const pooled = track(makePooledFetch(2))
    const controller = new AbortController()
    const bySignal = pooled.fetch(server.url, { method: "POST", body: "{}", signal: controller.signal })
    const cancel = new FetchCancel()
    const byHandle = pooled.fetch(server.url, { method: "POST", body: "{}", cancel } as RequestInit)
    await until(() => server.stats().inFlight === 2)
    controller.abort()
    cancel.cancel()
    const [a, b] = await Promise.allSettled([bySignal, byHandle])
    assert.strictEqual(a.status, "rejected")
    assert.strictEqual(b.status, "rejected")
    assert.strictEqual(a.status === "rejected" ? (a.reason as Error).name : "", "AbortError")
    assert.strictEqual(b.status === "rejected" ? (b.reason as Error).name : "", "AbortError")
    // The server sees both connections closed before it answered.
    await until(() => server.stats().closedEarly === 2)
    // A handle cancelled before the request starts stops it before anything is sent.
    const early = new FetchCancel()
    early.cancel()
    const before = server.stats().connections
    let error: unknown = null
    await pooled.fetch(server.url, { method: "POST", body: "{}", cancel: early } as RequestInit).catch((e: unknown) => (error = e))
    assert.strictEqual((error as Error).name, "AbortError")
    assert.strictEqual(server.stats().connections, before)
  })

  it("reports a refused connection with its code", async () => {
    const server = await serve(() => {})
    const url = server.url
    await server.close()
    const pooled = track(makePooledFetch(1))
    let error: unknown = null
    await pooled.fetch(url, { method: "POST", body: "{}" }).catch((e: unknown) => (error = e))
    assert.strictEqual((error as { code?: string }).code, "ECONNREFUSED")
  })
})
