/**
 * The `local` backend: a GGUF model run in this process through node-llama-cpp, which is not a dependency of the
 * project (it brings hundreds of MB of native builds); it is loaded on first use, and a missing install is one
 * usage error telling the user to install it.
 *
 * A chat request becomes the model's own prompt format (node-llama-cpp's chat wrapper for the model, a generic
 * one when the file names none), evaluated on one context sequence that keeps the longest common prefix of the
 * previous request (the value prompt and instructions) so it is not evaluated again.
 * - Logprob scoring: the next-token distribution after the prompt, from the model's logits (log-softmax, no
 *   sampling settings applied). Reported are the `topLogprobs` most likely tokens, as a server would, and also
 *   every token whose text (trimmed, any case) is a word of the last user message: the options a question
 *   presents are words of it, so each option's probability is there even when it is not among the most likely
 *   tokens (a small or untuned model). Scoring then renormalises over the options as for any endpoint.
 * - Sample scoring: generation at the request's temperature (greedy at 0) up to `maxTokens` or the end of turn,
 *   each generation seeded from the run seed's `local-sampler` stream (or the request's seed when the study
 *   sets one, like a server).
 */
import { Effect, Layer } from "effect"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { UsageError } from "../config/SpecFileError.js"
import { importPackage } from "../importPackage.js"
import type { ChatMessage, Completion } from "../domain/answers.js"
import { stream } from "../sampling/rng.js"
import type { AttemptOptions, CompletionRequest } from "./LlmClient.js"
import { LlmClient } from "./LlmClient.js"
import { LlmError } from "./LlmError.js"

/** The version the project is tested with (README, the install hint). */
export const NODE_LLAMA_CPP_VERSION = "3.22.1"

type Token = number

/** The parts of node-llama-cpp this backend uses (its own types are not available without the package). */
interface LlamaModule {
  readonly getLlama: (options?: { readonly logLevel?: string }) => Promise<Llama>
  readonly resolveChatWrapper: (model: LlamaModel) => ChatWrapper
}
interface Llama {
  readonly loadModel: (options: { readonly modelPath: string }) => Promise<LlamaModel>
}
interface LlamaModel {
  readonly trainContextSize: number
  readonly tokenizer: unknown
  readonly tokens: { readonly eos: Token | null; readonly eot: Token | null }
  readonly detokenize: (tokens: ReadonlyArray<Token>) => string
  readonly createContext: (options: { readonly contextSize?: number; readonly threads?: number }) => Promise<LlamaContext>
  readonly isEogToken?: (token: Token) => boolean
}
interface LlamaContext {
  readonly contextSize: number
  readonly getSequence: () => LlamaSequence
  readonly dispose: () => Promise<void>
}
interface LlamaSequence {
  readonly nextTokenIndex: number
  readonly compareContextTokens: (tokens: Array<Token>) => { readonly firstDifferentIndex: number }
  readonly eraseContextTokenRanges: (ranges: Array<{ readonly start: number; readonly end: number }>) => Promise<void>
  readonly controlledEvaluate: (
    input: Array<Token | [Token, { readonly generateNext: { readonly logits: true } }]>
  ) => Promise<Array<undefined | { readonly next: { readonly logits?: Map<Token, number> } }>>
  readonly evaluate: (tokens: Array<Token>, options: { readonly temperature: number; readonly seed?: number }) => AsyncGenerator<Token, void, void>
}
interface ChatWrapper {
  readonly generateContextState: (options: { readonly chatHistory: ReadonlyArray<ChatHistoryItem> }) => {
    readonly contextText: { readonly tokenize: (tokenizer: unknown) => Array<Token> }
  }
}
type ChatHistoryItem =
  | { readonly type: "system"; readonly text: string }
  | { readonly type: "user"; readonly text: string }
  | { readonly type: "model"; readonly response: ReadonlyArray<string> }

export interface LocalConfig {
  /** Path of the GGUF file. */
  readonly modelPath: string
  /** The run seed: the sampler's seeds are drawn from it. */
  readonly seed: number
  /** CPU threads for evaluation (default: node-llama-cpp's choice, all cores). */
  readonly threads?: number
}

const installHint = `the local backend needs node-llama-cpp, which valuesim does not install: run npm install --no-save node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`

/** node-llama-cpp, or a usage error saying how to install it. */
const loadModule = Effect.tryPromise({
  // A specifier in a string: the type checker and the bundler leave the optional package alone.
  try: () => importPackage<LlamaModule>("node-llama-cpp"),
  catch: () => new UsageError({ detail: `--backend local: ${installHint}` })
})

/** The chat history node-llama-cpp's wrappers format, ending with the model's (empty) turn. */
const toHistory = (messages: ReadonlyArray<ChatMessage>): Array<ChatHistoryItem> => [
  ...messages.map((m): ChatHistoryItem =>
    m.role === "system" ? { type: "system", text: m.content } : m.role === "user" ? { type: "user", text: m.content } : { type: "model", response: [m.content] }
  ),
  { type: "model", response: [] }
]

/** The distinct words and numbers of a text, lower-cased. */
const wordsOf = (text: string): Set<string> => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])

/** Tokens by their trimmed, lower-cased text; built once per model from the vocabulary the logits cover. */
const vocabularyIndex = (model: LlamaModel, ids: Iterable<Token>): Map<string, Array<Token>> => {
  const index = new Map<string, Array<Token>>()
  for (const id of ids) {
    const text = model.detokenize([id]).trim().toLowerCase()
    if (text === "") continue
    const list = index.get(text)
    if (list === undefined) index.set(text, [id])
    else list.push(id)
  }
  return index
}

/** Natural-log softmax of logits, stable for large values. */
const logSoftmax = (logits: Map<Token, number>): Map<Token, number> => {
  let max = -Infinity
  for (const v of logits.values()) if (v > max) max = v
  let sum = 0
  for (const v of logits.values()) sum += Math.exp(v - max)
  const logZ = max + Math.log(sum)
  const out = new Map<Token, number>()
  for (const [t, v] of logits) out.set(t, v - logZ)
  return out
}

/**
 * Models loaded in this process, by path: the start-up probe and the run share one load (a large file takes
 * seconds); each layer makes and frees its own context.
 */
const loadedModels = new Map<string, Promise<{ readonly model: LlamaModel; readonly wrapper: ChatWrapper }>>()
const loadedModel = (lib: LlamaModule, modelPath: string) => {
  let p = loadedModels.get(modelPath)
  if (p === undefined) {
    p = lib.getLlama({ logLevel: "error" }).then(async (llama) => {
      const model = await llama.loadModel({ modelPath })
      return { model, wrapper: lib.resolveChatWrapper(model) }
    })
    loadedModels.set(modelPath, p)
  }
  return p
}

const fail = (reason: "BadRequest" | "BadResponse", detail: string) => new LlmError({ reason, detail })

/**
 * The `local` LlmClient: loads node-llama-cpp and the model when the layer is built (a usage error, exit 2, when
 * either cannot be loaded) and frees the context with the layer's scope. Requests run one at a time on one
 * sequence (a CPU model is saturated by one).
 */
export const layer = (config: LocalConfig): Layer.Layer<LlmClient, UsageError> =>
  Layer.scoped(
    LlmClient,
    Effect.gen(function* () {
      const lib = yield* loadModule
      const modelName = path.basename(config.modelPath)
      const loaded = yield* Effect.tryPromise({
        try: async () => {
          const { model, wrapper } = await loadedModel(lib, config.modelPath)
          const context = await model.createContext({
            contextSize: Math.min(4096, model.trainContextSize),
            ...(config.threads === undefined ? {} : { threads: config.threads })
          })
          return { model, context, wrapper }
        },
        catch: (e) => {
          loadedModels.delete(config.modelPath)
          return new UsageError({ detail: `--model ${config.modelPath}: node-llama-cpp cannot load it (${e instanceof Error ? e.message : String(e)})` })
        }
      })
      yield* Effect.addFinalizer(() => Effect.promise(() => loaded.context.dispose()))
      const { model, context, wrapper } = loaded
      const sequence = context.getSequence()
      const lock = yield* Effect.makeSemaphore(1)
      const samplerSeeds = stream(config.seed, "local-sampler")
      let vocabulary: Map<string, Array<Token>> | null = null
      const endOfTurn = (t: Token) => (model.isEogToken ? model.isEogToken(t) : t === model.tokens.eos || t === model.tokens.eot)

      /**
       * The prompt's token count and the tokens still to evaluate: the sequence is trimmed to the common prefix
       * with the previous prompt, leaving at least the last token to evaluate.
       */
      const prepare = async (messages: ReadonlyArray<ChatMessage>): Promise<{ readonly prompt: number; readonly rest: Array<Token> }> => {
        const tokens = wrapper.generateContextState({ chatHistory: toHistory(messages) }).contextText.tokenize(model.tokenizer)
        if (tokens.length === 0) throw fail("BadRequest", "the prompt has no tokens")
        if (tokens.length >= context.contextSize) throw fail("BadRequest", `the prompt has ${tokens.length} tokens, more than the context of ${context.contextSize}`)
        const keep = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, tokens.length - 1)
        if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }])
        return { prompt: tokens.length, rest: tokens.slice(keep) }
      }

      const scoreNext = async (request: CompletionRequest): Promise<Completion> => {
        const { prompt, rest } = await prepare(request.messages)
        const out = await sequence.controlledEvaluate(rest.map((t, i) => (i === rest.length - 1 ? [t, { generateNext: { logits: true } }] : t)))
        const logits = out[rest.length - 1]?.next.logits
        if (logits === undefined || logits.size === 0) throw fail("BadResponse", "the model returned no logits")
        const logprobs = logSoftmax(logits)
        vocabulary ??= vocabularyIndex(model, logits.keys())
        const chosen = new Set<Token>()
        // The map is ordered by token id; the most likely tokens, as a server's top_logprobs.
        const ranked = [...logprobs.entries()].sort((a, b) => b[1] - a[1])
        for (const [t] of ranked.slice(0, request.topLogprobs)) chosen.add(t)
        const lastUser = [...request.messages].reverse().find((m) => m.role === "user")
        for (const w of wordsOf(lastUser?.content ?? "")) for (const t of vocabulary.get(w) ?? []) chosen.add(t)
        const top = [...chosen].map((t) => ({ token: model.detokenize([t]), logprob: logprobs.get(t)! })).sort((a, b) => b.logprob - a.logprob)
        const best = ranked[0]![0]
        return { text: model.detokenize([best]), topLogprobs: top, promptTokens: prompt, completionTokens: 1, finishReason: "length" }
      }

      const generate = async (request: CompletionRequest, deadline: number | null): Promise<Completion> => {
        const { prompt, rest } = await prepare(request.messages)
        const seed = request.seed ?? Math.floor(samplerSeeds() * 2 ** 32)
        const generated: Array<Token> = []
        let finish = "length"
        for await (const t of sequence.evaluate(rest, { temperature: request.temperature, seed })) {
          if (endOfTurn(t)) {
            finish = "stop"
            break
          }
          generated.push(t)
          if (generated.length >= request.maxTokens) break
          if (deadline !== null && performance.now() > deadline) throw new LlmError({ reason: "Timeout", detail: `generation took longer than the timeout` })
        }
        return { text: model.detokenize(generated).trim(), topLogprobs: null, promptTokens: prompt, completionTokens: generated.length, finishReason: finish }
      }

      const complete = (request: CompletionRequest, options: AttemptOptions = {}): Effect.Effect<Completion, LlmError> =>
        lock.withPermits(1)(
          Effect.tryPromise({
            try: () =>
              request.logprobs
                ? scoreNext(request)
                : generate(request, options.timeoutMs === undefined ? null : performance.now() + options.timeoutMs),
            catch: (e) => (e instanceof LlmError ? e : fail("BadResponse", `node-llama-cpp: ${e instanceof Error ? e.message : String(e)}`))
          })
        )
      return { model: modelName, complete }
    })
  )
