/**
 * Before the first request of a run: can anything be reached at the endpoint's host and port at all? A refused
 * connection or an unknown host will not mend within the request retries (about 15 s of back-off), so the run
 * stops at once with the address. Anything that answers the connection goes on to the real first request.
 * Skipped behind a proxy (the connection would go to the proxy, not here).
 */
import { Effect } from "effect"
import * as net from "node:net"
import { BackendUnusableError } from "../config/SpecFileError.js"

const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]

/** Host and port of an http(s) URL, or null when it is not one (the request itself then says what is wrong). */
export const addressOf = (baseUrl: string): { readonly host: string; readonly port: number } | null => {
  try {
    const u = new URL(baseUrl)
    if (u.protocol !== "http:" && u.protocol !== "https:") return null
    const port = u.port === "" ? (u.protocol === "https:" ? 443 : 80) : Number(u.port)
    return { host: u.hostname.replace(/^\[|\]$/g, ""), port }
  } catch {
    return null
  }
}

/** Fails with BackendUnusableError when the endpoint's host cannot be found or refuses the connection. */
export const checkReachable = (baseUrl: string, env: Readonly<Record<string, string | undefined>>, timeoutMs = 3000) =>
  Effect.gen(function* () {
    const address = addressOf(baseUrl)
    if (address === null || PROXY_VARIABLES.some((v) => (env[v] ?? "") !== "")) return
    const failure = yield* Effect.async<string | null>((resume) => {
      const socket = net.connect({ host: address.host, port: address.port })
      const done = (why: string | null) => {
        socket.destroy()
        resume(Effect.succeed(why))
      }
      socket.setTimeout(timeoutMs, () => done(null)) // slow, not refused: let the request and its timeout decide
      socket.once("connect", () => done(null))
      socket.once("error", (e: NodeJS.ErrnoException) =>
        done(
          e.code === "ECONNREFUSED"
            ? `nothing accepts connections at ${address.host}:${address.port} (connection refused: is the server running?)`
            : e.code === "ENOTFOUND" || e.code === "EAI_AGAIN"
              ? `the host ${address.host} cannot be found (${e.code})`
              : null
        )
      )
      return Effect.sync(() => socket.destroy())
    })
    if (failure !== null) return yield* new BackendUnusableError({ baseUrl, detail: failure })
  })
