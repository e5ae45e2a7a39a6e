/**
 * Reasoning and thinking models: what a request sends for them, how their replies are read, and what a reply
 * cut by its token limit is diagnosed as.
 *
 * - OpenAI's o-series and gpt-5 family refuse `max_tokens` (they take `max_completion_tokens`, which counts the
 *   hidden reasoning tokens too), refuse a temperature other than 1, take `reasoning_effort`, and return no
 *   logprobs (/work/shared/SERVERS.md, "OpenAI chat completions").
 * - Thinking models such as Qwen3 on vLLM's reasoning parser, Ollama or llama.cpp reason before answering: in a
 *   `<think> … </think>` block at the start of `content`, or in a separate `reasoning_content` / `reasoning`
 *   field. With a small token limit `content` holds no answer and `finish_reason` is `length`.
 *
 * Pure: no Effect, no I/O.
 */
import type { BackendSettings } from "../config/RunSpec.js"
import type { Completion } from "../domain/answers.js"

/** `reasoning_effort` values OpenAI documents (`none` and `minimal` only on some models). */
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high"] as const
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number]

/** The backend settings of reasoning and thinking models (each optional: runs made before have none). */
export type ReasoningSettings = Pick<BackendSettings, "maxCompletionTokens" | "reasoningEffort" | "omitTemperature" | "thinkingBudget" | "extraBody" | "maxTokens">

/**
 * The optional request fields a backend's reasoning settings add to every request (`CompletionRequest`); none
 * when it has none, so the requests (and their keys) of every other backend are unchanged. A thinking budget
 * raises the token limit sent by that many tokens: room to reason and still answer.
 */
export const reasoningRequest = (b: ReasoningSettings) => {
  const budget = b.thinkingBudget ?? 0
  return {
    ...(b.maxCompletionTokens === undefined ? {} : { maxCompletionTokens: b.maxCompletionTokens + budget }),
    ...(b.maxCompletionTokens === undefined && budget > 0 ? { maxTokens: b.maxTokens + budget } : {}),
    ...(b.reasoningEffort === undefined ? {} : { reasoningEffort: b.reasoningEffort }),
    ...(b.omitTemperature === true ? { omitTemperature: true } : {}),
    ...(b.extraBody === undefined ? {} : { extraBody: b.extraBody })
  }
}

/** The most tokens one reply may take as sent: max_completion_tokens or max_tokens, with the thinking budget. */
export const replyLimit = (b: ReasoningSettings): number => (b.maxCompletionTokens ?? b.maxTokens) + (b.thinkingBudget ?? 0)

const THINK_OPEN = /^\s*<think>/i
const THINK_CLOSE = /<\/think>/i

/**
 * A reply's content without the reasoning a thinking model put first: the text after `</think>`, or "" when the
 * block never closed (the reply was cut while the model was still thinking). `thinking` says whether there was one.
 */
export const stripThinking = (content: string): { readonly text: string; readonly thinking: boolean } => {
  if (!THINK_OPEN.test(content)) return { text: content, thinking: false }
  const close = THINK_CLOSE.exec(content)
  return { text: close === null ? "" : content.slice(close.index + close[0].length).trim(), thinking: true }
}

/**
 * Whether a chat-completion message and usage show reasoning: a non-empty `reasoning_content` (vLLM, llama.cpp)
 * or `reasoning` (Ollama, OpenRouter) field, or `usage.completion_tokens_details.reasoning_tokens` above 0 (OpenAI).
 */
export const reasonedIn = (message: Readonly<Record<string, unknown>>, usage: Readonly<Record<string, unknown>>): boolean => {
  const field = (k: string) => typeof message[k] === "string" && (message[k] as string).trim() !== ""
  const details = usage["completion_tokens_details"]
  const tokens = typeof details === "object" && details !== null ? (details as Record<string, unknown>)["reasoning_tokens"] : undefined
  return field("reasoning_content") || field("reasoning") || (typeof tokens === "number" && tokens > 0)
}

/** True when a reply was cut by its token limit (and may be worth nothing asked again the same way). */
export const cutByLimit = (c: Pick<Completion, "finishReason">): boolean => c.finishReason === "length"

/**
 * What to change when a reply was cut by its token limit before it held an answer: one sentence naming the
 * settings, for the answer's error and for the run's stop line.
 */
export const truncationFix = (c: Pick<Completion, "thinking" | "completionTokens">, b: ReasoningSettings): string => {
  const limit = b.maxCompletionTokens ?? b.maxTokens
  const spent = c.completionTokens > 0 ? `${c.completionTokens} tokens` : `the ${limit}-token limit`
  const raise = `${b.maxCompletionTokens === undefined ? "--max-tokens" : "--max-completion-tokens"} or --thinking-budget (e.g. --thinking-budget 1024)`
  return c.thinking === true
    ? `the reply was cut by its token limit (finish_reason: length) while the model was still thinking (${spent} spent): give it room with ${raise}, or turn thinking down (--reasoning-effort low, or extra_body chat_template_kwargs: {enable_thinking: false} for Qwen3 on vLLM/llama.cpp)`
    : `the reply was cut by its token limit (finish_reason: length) before it held an answer (${spent} spent): raise it with ${raise}`
}

/**
 * Why a reply gave no readable answer, as recorded in the answer's error: a reply cut by its token limit names
 * the setting to change. A thinking model cut while thinking is not re-asked (the re-ask would be cut the same
 * way); any other unreadable reply may be.
 */
export const unreadableReply = (c: Pick<Completion, "finishReason" | "thinking" | "completionTokens">, b: ReasoningSettings): { readonly error: string; readonly reask: boolean } =>
  cutByLimit(c)
    ? { error: truncationFix(c, b), reask: c.thinking !== true }
    : { error: "unparseable answer after the last re-ask", reask: true }

/**
 * A logprob validator that, for a reply showing reasoning, adds what to do: the first token of a thinking model
 * is its reasoning's, so no option can be among its logprobs.
 */
export const thinkingHint = (validate: (c: Completion) => string | null) => (c: Completion): string | null => {
  const problem = validate(c)
  return problem !== null && c.thinking === true
    ? `${problem}; the model reasons before it answers (a thinking model): turn thinking off (--extra-body '{"chat_template_kwargs":{"enable_thinking":false}}' on vLLM or llama.cpp, --reasoning-effort none on Ollama), or use --scoring sample with --thinking-budget 1024`
    : problem
}
