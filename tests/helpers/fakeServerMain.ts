// Standalone fake OpenAI server: `npm run fake-server -- --port 8089 --latency-ms 200 --fault-every 10 --fault 429`,
// or with seeded faults: `npm run fake-server -- --chaos-rate 0.2 --chaos-seed 7 [--chaos-kinds 429,500,hang]`,
// or as one server kind (tests/helpers/serverKinds.ts): `npm run fake-server -- --kind openai-reasoning [--rpm 300] [--quota-after N] [--thinking-tokens N]`.
import { parseArgs } from "node:util"
import type { ChaosKind, ChaosOptions, Fault } from "./fakeOpenAiServer.js"
import { CHAOS_KINDS, startFakeServer } from "./fakeOpenAiServer.js"
import { SERVER_KINDS, startEmulator, type ServerKind } from "./serverKinds.js"

const usage = "usage: fake-server [--port N] [--host H] [--latency-ms N] [--fault-every N --fault 500|429]\n" +
  `                   [--chaos-rate 0..1 [--chaos-seed N] [--chaos-kinds ${CHAOS_KINDS.join(",")}] [--retry-after S]]\n` +
  `                   [--kind ${SERVER_KINDS.join("|")} [--rpm N] [--quota-after N] [--thinking-tokens N]]`

const fail = (message: string): never => {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

const int = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  return Number.isInteger(n) && n >= 0 ? n : fail(`--${name} must be a non-negative integer, got ${value}`)
}

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "latency-ms": { type: "string" },
    "fault-every": { type: "string" },
    fault: { type: "string" },
    "chaos-rate": { type: "string" },
    "chaos-seed": { type: "string" },
    "chaos-kinds": { type: "string" },
    "retry-after": { type: "string" },
    kind: { type: "string" },
    rpm: { type: "string" },
    "quota-after": { type: "string" },
    "thinking-tokens": { type: "string" },
    help: { type: "boolean" }
  },
  strict: true
})

if (values.help === true) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

const every = int("fault-every", values["fault-every"], 0)
const faultOf = (name: string | undefined): Fault | undefined => {
  if (name === undefined) return every > 0 ? fail("--fault-every needs --fault 500|429") : undefined
  if (name === "500") return { kind: "500" }
  if (name === "429") return { kind: "429", retryAfterS: 1 }
  return fail(`--fault must be 500 or 429, got ${name}`)
}
const fault = faultOf(values.fault)

const chaosOf = (): ChaosOptions | undefined => {
  const rateText = values["chaos-rate"]
  if (rateText === undefined) {
    return values["chaos-seed"] !== undefined || values["chaos-kinds"] !== undefined ? fail("--chaos-seed and --chaos-kinds need --chaos-rate") : undefined
  }
  const rate = Number(rateText)
  if (!(rate >= 0 && rate <= 1)) return fail(`--chaos-rate must be a number from 0 to 1, got ${rateText}`)
  const kinds = values["chaos-kinds"]?.split(",").map((k) =>
    (CHAOS_KINDS as ReadonlyArray<string>).includes(k) ? (k as ChaosKind) : fail(`--chaos-kinds: unknown kind ${k} (known: ${CHAOS_KINDS.join(", ")})`)
  )
  return {
    rate,
    seed: int("chaos-seed", values["chaos-seed"], 1),
    retryAfterS: int("retry-after", values["retry-after"], 1),
    ...(kinds !== undefined ? { kinds } : {})
  }
}
const chaos = chaosOf()

const common = {
  port: int("port", values.port, 0),
  host: values.host ?? "127.0.0.1",
  latencyMs: int("latency-ms", values["latency-ms"], 0),
  ...(fault !== undefined && every > 0 ? { periodicFault: { every, fault } } : {}),
  ...(chaos !== undefined ? { chaos } : {})
}
const kind = values.kind
if (kind !== undefined && !(SERVER_KINDS as ReadonlyArray<string>).includes(kind)) fail(`--kind: unknown server kind ${kind} (known: ${SERVER_KINDS.join(", ")})`)
const rpm = int("rpm", values.rpm, 0)
const quotaAfter = int("quota-after", values["quota-after"], -1)
const thinkingTokens = int("thinking-tokens", values["thinking-tokens"], 0)
const server = kind === undefined
  ? await startFakeServer(common)
  : await startEmulator({
    ...common,
    kind: kind as ServerKind,
    ...(rpm > 0 ? { rateLimit: { rpm } } : {}),
    ...(quotaAfter >= 0 ? { quotaAfter } : {}),
    ...(thinkingTokens > 0 ? { thinkingTokens } : {})
  })
process.stdout.write(`FAKE_SERVER_URL=${server.url}\n`)

const stop = (signal: string) => {
  process.stderr.write(`fake-server: ${signal}, ${server.requests} chat requests served, faults ${JSON.stringify(server.faults)}\n`)
  server.close().then(() => process.exit(0), () => process.exit(1))
}
process.once("SIGTERM", () => stop("SIGTERM"))
process.once("SIGINT", () => stop("SIGINT"))
