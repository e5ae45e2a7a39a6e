/**
 * Constrained scoring: the reply is held to the option labels by the server (structured outputs), and the
 * logprobs are read at the token that carries the option — the first token of a bare choice, or the one after
 * `{"answer":"` in a JSON answer. Each server kind spells the constraint its own way (its dialect); the reading
 * is the same for all. Pure: no Effect, no I/O.
 *
 * Dialects (see /work/shared/SERVERS.md for the sources):
 * - `vllm`: `structured_outputs: {choice: [...]}` (vLLM ≥ 0.12; `guided_choice` is gone). The reply is the bare
 *   label. Its logprobs are after the constraint only with `--logprobs-mode processed_logprobs`.
 * - `openai`: `response_format: {type: "json_schema", json_schema: {strict: true, schema}}`, the schema an object
 *   with one `answer` string whose `enum` is the labels. Also accepted by vLLM, llama.cpp's server and Ollama's
 *   OpenAI-compatible `/v1`.
 * - `llamacpp`: llama.cpp server's own `json_schema` field (turned into a grammar by the server).
 * - `ollama`: Ollama's `format` field holding the same schema, with `response_format` too (its `/v1` layer reads
 *   the latter; the native field is sent for servers that pass it through).
 */

/** How the constraint is spelled in the request body (the server kind it is sent to). */
export type ConstrainedDialect = "vllm" | "openai" | "llamacpp" | "ollama"

export const CONSTRAINED_DIALECTS: ReadonlyArray<ConstrainedDialect> = ["openai", "vllm", "llamacpp", "ollama"]

/** The dialect used when the study and command line name none: the OpenAI schema most servers accept. */
export const DEFAULT_CONSTRAINED_DIALECT: ConstrainedDialect = "openai"

/** A request's constraint: its dialect and the option labels the answer must be one of. */
export interface Constraint {
  readonly dialect: ConstrainedDialect
  readonly options: ReadonlyArray<string>
}

/** The JSON schema of a constrained answer: `{"answer": <one of the labels>}`. */
export const answerSchema = (options: ReadonlyArray<string>) => ({
  type: "object",
  properties: { answer: { type: "string", enum: [...options] } },
  required: ["answer"],
  additionalProperties: false
})

/** The fields a constrained request adds to its chat-completion body. */
export const constraintFields = (c: Constraint): Record<string, unknown> => {
  const schema = answerSchema(c.options)
  const responseFormat = { type: "json_schema", json_schema: { name: "answer", strict: true, schema } }
  switch (c.dialect) {
    case "vllm":
      return { structured_outputs: { choice: [...c.options] } }
    case "openai":
      return { response_format: responseFormat }
    case "llamacpp":
      return { json_schema: schema }
    case "ollama":
      return { format: schema, response_format: responseFormat }
  }
}

/**
 * The label a constrained reply gives (a bare label or `{"answer": label}`), or null when it gives none. Given the
 * dialect the constraint was spelled in, only the shape it asks counts: a JSON schema asks `{"answer": label}`, so
 * a bare label there is a reply that ignored the schema (one that happened not to open with `**`), not a kept one.
 */
export const constrainedLabel = (text: string, options: ReadonlyArray<string>, dialect?: ConstrainedDialect): string | null => {
  const bare = text.trim()
  if (options.includes(bare)) return dialect === undefined || dialect === "vllm" ? bare : null
  try {
    const parsed = JSON.parse(bare) as unknown
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      const answer = (parsed as Record<string, unknown>)["answer"]
      if (typeof answer === "string" && options.includes(answer)) return answer
    }
  } catch {
    // not JSON: no label
  }
  return null
}

type Top = ReadonlyArray<{ readonly token: string; readonly logprob: number }>

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

const topOf = (entry: Record<string, unknown>): Array<{ token: string; logprob: number }> =>
  (Array.isArray(entry["top_logprobs"]) ? (entry["top_logprobs"] as ReadonlyArray<unknown>) : []).flatMap((t) =>
    isRecord(t) && typeof t["token"] === "string" && typeof t["logprob"] === "number" ? [{ token: t["token"], logprob: t["logprob"] }] : []
  )

/** Text before the answer in a JSON answer: `{"answer":"`, any whitespace between. */
const BEFORE_VALUE = /^\s*\{\s*"answer"\s*:\s*"$/
/** The same without the opening quote: the next token then starts with it (`"4`). */
const BEFORE_QUOTE = /^\s*\{\s*"answer"\s*:\s*$/

/**
 * The top logprobs at the answer's position in a chat completion's `logprobs.content` (one entry per generated
 * token): the first token of a bare answer, or the token after `{"answer":"` in a JSON one (a token that also
 * holds the opening quote, `"4`, is read without it). Null when the reply holds no such position.
 *
 * @example
 * answerTopLogprobs([{ token: '{"', … }, { token: "answer", … }, { token: '":"', … }, { token: "4", top_logprobs: [...] }])
 * // → the fourth entry's top logprobs
 */
export const answerTopLogprobs = (content: unknown): Top | null => {
  if (!Array.isArray(content)) return null
  let prefix = ""
  for (const entry of content as ReadonlyArray<unknown>) {
    if (!isRecord(entry) || typeof entry["token"] !== "string") return null
    const token = entry["token"]
    if (prefix.trim() === "" && !token.trimStart().startsWith("{") && token.trim() !== "") return topOf(entry)
    if (BEFORE_VALUE.test(prefix)) return topOf(entry)
    if (BEFORE_QUOTE.test(prefix) && token.startsWith('"')) {
      return topOf(entry).flatMap((t) => (t.token.startsWith('"') ? [{ token: t.token.slice(1), logprob: t.logprob }] : []))
    }
    prefix += token
    if (prefix.length > 200) return null
  }
  return null
}
