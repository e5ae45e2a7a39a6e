/**
 * `valuesim probe --base-url … --model …`: what an endpoint accepts and returns, and the scoring method `auto`
 * would choose there, found with a handful of requests (src/probe/probe.ts). Nothing is written.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { resolveBackend } from "../config/StudyFile.js"
import type { PresentedChoice } from "../domain/questionnaire.js"
import { probeEndpoint, probeTable } from "../probe/probe.js"
import { env, json, opt } from "./runOptions.js"

/** The probe's own question (written for the probe; a run probes with its first question instead). */
const PROBE_CHOICES: ReadonlyArray<PresentedChoice> = [
  "Not like me at all", "Not like me", "A little like me", "Somewhat like me", "Like me", "Very much like me"
].map((label, i) => ({ token: String(i + 1), label, value: i + 1 }))

const probeMessages = () => [
  {
    role: "user" as const,
    content:
      "Here is a short description of a person. How much is this person like you? Answer with the number of one option only.\n\n" +
      "This person likes to plan ahead and finish what they start.\n\n" +
      PROBE_CHOICES.map((c) => `${c.token}. ${c.label}`).join("\n")
  }
]

export const probeCommand = Command.make(
  "probe",
  {
    baseUrl: Options.text("base-url").pipe(Options.optional, Options.withDescription("the endpoint. Default: $OPENAI_BASE_URL, else https://api.openai.com/v1")),
    model: Options.text("model").pipe(Options.optional, Options.withDescription("the model name. Default: $OPENAI_MODEL, else gpt-4o-mini")),
    temperature: Options.float("temperature").pipe(Options.optional, Options.withDescription("temperature sent. Default: 0.7")),
    massThreshold: Options.float("mass-threshold").pipe(Options.optional, Options.withDescription("option mass logprob scoring needs. Default: 0.9")),
    json
  },
  (a) =>
    Effect.gen(function* () {
      const backend = resolveBackend(
        { kind: "openai", ...(opt(a.massThreshold) === undefined ? {} : { mass_threshold: opt(a.massThreshold)! }) },
        { backend: "openai", model: opt(a.model), baseUrl: opt(a.baseUrl), temperature: opt(a.temperature) },
        env
      )
      const { result } = yield* probeEndpoint({ backend, apiKey: env["OPENAI_API_KEY"] ?? "no-key", messages: probeMessages(), choices: PROBE_CHOICES, structured: true })
      if (a.json) yield* Console.log(JSON.stringify(result))
      else for (const line of probeTable(result)) yield* Console.log(line)
    })
).pipe(Command.withDescription("find out with a handful of requests what an endpoint supports (logprobs, option mass, stated probabilities, structured outputs, parameters, thinking) and which scoring method auto would choose"))
