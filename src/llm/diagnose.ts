/**
 * Error replies read as the server meant them, and pointed at the fix.
 *
 * Servers that speak "OpenAI-compatible" do not all shape their errors as OpenAI does (`{"error": {"message",
 * "type", "param", "code"}}`), and the OpenAI SDK reads nothing else (it then says "400 status code (no body)"):
 * - Gemini's OpenAI compatibility wraps the error object in a JSON array: `[{"error": {"code", "message",
 *   "status"}}]` (/work/shared/SERVERS.md, GoogleCloudPlatform/generative-ai #2947);
 * - vLLM answers with the fields at the top level: `{"object": "error", "message", "type", "param", "code"}`
 *   (vllm/entrypoints/openai/protocol.py, ErrorResponse);
 * - some servers put a bare string in `error` (Ollama's native API: `{"error": "model 'x' not found"}`).
 * `normaliseErrorBody` rewrites each into OpenAI's shape, so the provider's words reach the user.
 *
 * `fixFor` names the setting to change for the refusals reasoning models, compatibility layers and local
 * servers are documented to send (SERVERS.md): `max_tokens`, `temperature`, `logprobs`, `reasoning_effort`, an
 * unknown model. Pure: no Effect, no I/O.
 */

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * An error body in OpenAI's shape (`{"error": {…}}`) from any of the shapes above, as JSON text; `null` when the
 * body is already in that shape or is not JSON at all (then it is left as it came).
 */
export const normaliseErrorBody = (text: string): string | null => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  if (Array.isArray(parsed)) {
    const first: unknown = parsed[0]
    if (isRecord(first) && isRecord(first["error"])) return JSON.stringify(first)
    if (isRecord(first) && typeof first["message"] === "string") return JSON.stringify({ error: first })
    return null
  }
  if (!isRecord(parsed)) return null
  const error = parsed["error"]
  if (isRecord(error)) return null
  if (typeof error === "string") return JSON.stringify({ error: { message: error } })
  if (typeof parsed["message"] === "string") {
    const { object: _object, ...fields } = parsed
    return JSON.stringify({ error: fields })
  }
  if (typeof parsed["detail"] === "string") return JSON.stringify({ error: { message: parsed["detail"] } })
  return null
}

/** The parts of a refusal `fixFor` reads. */
export interface Refusal {
  readonly status: number | undefined
  /** The provider's message (and code / param where sent), any case. */
  readonly text: string
}

/**
 * The setting to change for a refused request, as one clause ("use --max-completion-tokens N instead of
 * max_tokens"), or null when the refusal names nothing valuesim can set.
 */
export const fixFor = (r: Refusal): string | null => {
  const t = r.text.toLowerCase()
  if (r.status === 404 || /model .*(not found|does not exist|not exist|unknown)|no such model|model_not_found|try pulling it/.test(t)) {
    return "the server does not know this model name: check --model against the server's model list (GET /v1/models)"
  }
  if (/max_tokens/.test(t) && /max_completion_tokens|not supported|unsupported/.test(t)) {
    return "this model takes max_completion_tokens: set --max-completion-tokens N (study: max_completion_tokens), which counts its reasoning tokens too"
  }
  if (/temperature/.test(t) && /unsupported|not supported|only the default|does not support/.test(t)) {
    return "this model refuses a temperature of its own: set --no-temperature (study: temperature: omit)"
  }
  if (/logprob/.test(t) && /exceed|maximum|max[-_ ]logprobs|at most|less than or equal/.test(t)) {
    return "the server caps top_logprobs below what was asked: lower the study's top_logprobs (vLLM: or start it with a larger --max-logprobs)"
  }
  if (/logprob/.test(t)) {
    return "this model returns no logprobs: run it with --scoring sample (a method that needs no logprobs)"
  }
  if (/reasoning_effort|reasoning effort/.test(t)) {
    return "this model takes no reasoning_effort (or not this value): drop --reasoning-effort or choose another value"
  }
  if (/max_completion_tokens/.test(t)) {
    return "this server takes max_tokens: drop --max-completion-tokens (study: max_completion_tokens) and set --max-tokens N"
  }
  return null
}
