/**
 * Running a society step: planning its network (with the run's plan), then its rounds one after another. Each
 * round every deciding agent's observation is coded (`observationCodes`); on the synthetic backend the theory
 * model decides per agent; on a model, under a shared scoring method (logprob, constrained, stated) each distinct
 * (condition, observation) is asked once and every agent draws its own action from the shared distribution; under
 * sample scoring every agent asks on its own. Actions are drawn with one uniform per agent from streams (seed,
 * "society", step, round, block of 4096 agents), so a round is the same whatever order requests finish in. A round is written in one
 * transaction with its statistics; `resume` continues after the last stored round and finishes identically.
 */
import { Effect } from "effect"
import type { RunSpec } from "../config/RunSpec.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { positionOn, VALUES_10 } from "../domain/values.js"
import type { Asker } from "../engine/RequestCache.js"
import { yieldToEventLoop } from "../engine/QuestionnaireRunner.js"
import { parseAnswer } from "../llm/scoring.js"
import { askShared } from "../scoring/askShared.js"
import { isShared, shapeOf } from "../scoring/methods.js"
import { complete, edgeCount, fromTies, homophilousPlacement, lattice, random, relabel, rewireStep, scaleFree, smallWorld, type Network } from "../sampling/network.js"
import { stream } from "../sampling/rng.js"
import { latentProfile, PROFILE_LENGTH, propensity, SYNTHETIC_DEFAULTS } from "../sampling/synthetic.js"
import { attributeAssortativity, averageClustering, degreeHistogram, meanDegree } from "../stats/network.js"
import { readAgentConditions, readStepTotals } from "../store/reads.js"
import type { ResultWriter } from "../store/ResultWriter.js"
import type { RunDb } from "../store/RunStore.js"
import { lastSocietyRound, readSocietyActions, readSocietyNetwork, type AskedState } from "../store/society.js"
import { codesPerRound, cooperationState, diffusionSeeds, drawIndex, historyStart, levelsOf, observationCodes, rememberedRounds, roundCodes, theoryRound } from "./dynamics.js"
import { reaskText, societyChoices, societyMessages } from "./prompts.js"
import { roundStats } from "./roundStats.js"
import { latticeSize, type SocietyScenario } from "./scenario.js"
import { readEdgeList } from "./SocietyFile.js"

/** The society scenario of a step (throws for another kind: an engine bug). */
export const societyOf = (spec: RunSpec, step: number): SocietyScenario => {
  const s = spec.steps[step]!
  if (s.kind !== "society") throw new Error(`step ${step} is not a society`)
  return s.society
}

/** Builds a society step's network over the run's agents (positions placed by homophily where it applies). */
export const buildNetwork = (spec: RunSpec, step: number, s: SocietyScenario, assignment: ArrayLike<number>): Network => {
  const n = assignment.length
  const rng = stream(spec.seed, "network", step)
  const net = s.network
  let g: Network
  switch (net.kind) {
    case "ring":
      g = smallWorld(n, net.k!, 0, rng)
      break
    case "small-world":
      g = smallWorld(n, net.k!, net.p!, rng)
      break
    case "scale-free":
      g = scaleFree(n, net.m!, rng)
      break
    case "random":
      g = random(n, net.p ?? net.meanDegree! / (n - 1), rng)
      break
    case "lattice": {
      const size = latticeSize(net, n)
      if (typeof size === "string") throw new SpecFileError({ file: s.id, problems: [size] })
      g = lattice(size.width, size.height, net.neighbourhood ?? "von-neumann")
      break
    }
    case "complete":
      g = complete(n)
      break
    case "edges": {
      const read = readEdgeList(net.file!, n)
      if (net.sha256 !== undefined && read.sha256 !== net.sha256) throw new SpecFileError({ file: net.file!, problems: ["network.file: the edge list changed since the study was read; run again"] })
      g = fromTies(n, read.ties)
      break
    }
  }
  if (net.homophily > 0) g = relabel(g, homophilousPlacement(assignment, Math.max(1, ...Array.from(assignment)) + 1, net.homophily, stream(spec.seed, "placement", step)))
  return g
}

/** What is stored and reported about a network: its kind and parameters, size, degree, clustering, value assortativity. */
export const networkInfo = (s: SocietyScenario, g: Network, assignment: ArrayLike<number>, nConditions: number) => {
  const hist = degreeHistogram(g)
  const { file: _file, sha256: _sha, ...params } = s.network
  return {
    ...params,
    ...(s.network.file !== undefined ? { file: s.network.file.split(/[\\/]/).pop() } : {}),
    agents: g.n,
    ties: edgeCount(g),
    meanDegree: Math.round(meanDegree(g) * 1e6) / 1e6,
    minDegree: hist.findIndex((x) => x > 0),
    maxDegree: hist.length - 1,
    isolates: hist[0] ?? 0,
    degreeHistogram: hist,
    clustering: Math.round(averageClustering(g) * 1e6) / 1e6,
    valueAssortativity: Math.round((attributeAssortativity(g, assignment, nConditions) || 0) * 1e6) / 1e6
  }
}

/** The plan of a society step: network, description, rounds, and diffusion's seeds as round 0. */
export const planSociety = (spec: RunSpec, step: number, assignment: ArrayLike<number>) => {
  const s = societyOf(spec, step)
  const network = buildNetwork(spec, step, s, assignment)
  return {
    kind: "society" as const,
    network,
    info: networkInfo(s, network, assignment, spec.population.conditions.length),
    rounds: s.rounds,
    round0: s.dynamic === "diffusion" ? diffusionSeeds(network.n, s.params.seedShare, stream(spec.seed, "seeds", step)) : null
  }
}

const BLOCK = 4096

/** One uniform per agent for a round, from block streams (independent of processing order). */
const roundUniforms = (spec: RunSpec, step: number, round: number, n: number): Float64Array => {
  const x = new Float64Array(n)
  for (let b = 0; b * BLOCK < n; b++) {
    const rng = stream(spec.seed, "society", step, round, b)
    for (let u = b * BLOCK; u < Math.min(n, (b + 1) * BLOCK); u++) x[u] = rng()
  }
  return x
}

/** Each agent's theory-model standing v on the scenario's peak (the same latent profile as in the run's other steps). */
const standings = (spec: RunSpec, s: SocietyScenario, conditions: ArrayLike<number>, n: number): Float32Array => {
  const out = new Float32Array(n)
  const profile = new Float64Array(PROFILE_LENGTH)
  const dominantOf = spec.population.conditions.map((cond) => {
    const pos = cond.value ? positionOn("basic", spec.population.values ?? "basic", cond.value) : null
    return pos === null ? null : Math.round(pos) % VALUES_10.length
  })
  for (let u = 0; u < n; u++) {
    latentProfile(dominantOf[conditions[u]!] ?? null, stream(spec.seed, "profile", u), SYNTHETIC_DEFAULTS, profile)
    out[u] = propensity(profile, s.theoryPeak)
  }
  return out
}

/** Runs the pending rounds of a society step (asker null: the synthetic backend). */
export const runSocietyStep = (spec: RunSpec, step: number, db: RunDb, writer: ResultWriter, asker: Asker | null, gate: Effect.Effect<void> = Effect.void) =>
  Effect.gen(function* () {
    const s = societyOf(spec, step)
    let g = readSocietyNetwork(db, step)
    const n = g.n
    const rewire = s.network.rewire ?? 0
    // A dynamic network is replayed from its stored start: each round's tie updates follow from that round's
    // actions and the run seed (`rewireStep`), so nothing but the actions needs storing.
    const rewired = (net: Network, round: number, actions: Uint8Array) =>
      rewire > 0 ? rewireStep(net, cooperationState(s.dynamic, actions), rewire, stream(spec.seed, "rewire", step, round)) : net
    const conditions = readAgentConditions(db).subarray(0, n)
    const conditionIds = spec.population.conditions.map((c) => c.id)
    const hs = historyStart(s.dynamic)
    const last = lastSocietyRound(db, step)
    let redo = (readStepTotals(db).find((t) => t.step === step)?.unitsFailed ?? 0) > 0
    const perRound = codesPerRound(s.dynamic, s.params, true)
    const k = levelsOf(s.dynamic, s.params)
    // Codes of the remembered rounds, newest first, rebuilt from the stored actions.
    const past: Array<Int32Array> = []
    let prev: Uint8Array | null = null
    for (let r = rewire > 0 ? hs : Math.max(hs, last - s.memory + 1); r <= last; r++) {
      const actions = readSocietyActions(db, step, r)!
      if (r > last - s.memory) {
        const codes = new Int32Array(n)
        roundCodes(s.dynamic, k, g, actions, codes)
        past.unshift(codes)
      }
      if (r >= 1) g = rewired(g, r, actions)
      prev = actions
    }
    const standing = asker === null ? standings(spec, s, conditions, n) : null
    const obs = new Int32Array(n)
    for (let round = Math.max(1, last + 1); round <= s.rounds; round++) {
      yield* gate
      const x = roundUniforms(spec, step, round, n)
      const actions = new Uint8Array(n)
      let deciding: Uint8Array | null = null
      if (s.dynamic === "diffusion" && prev !== null) {
        deciding = new Uint8Array(n)
        for (let u = 0; u < n; u++) deciding[u] = prev[u] === 1 ? 0 : 1
      }
      let decisions = 0
      for (let u = 0; u < n; u++) if (deciding === null || deciding[u]) decisions++
      let asked: ReadonlyArray<AskedState> | null = null
      if (asker === null) theoryRound(s.dynamic, s.params, g, standing!, prev, (u) => x[u]!, actions)
      else {
        observationCodes(past.slice(0, rememberedRounds(s.dynamic, s.memory, round)), perRound, deciding, obs)
        const played = yield* modelRound(spec, s, round, g, conditions, obs, prev, x, asker).pipe(Effect.either)
        if (played._tag === "Left") {
          yield* writer.write({ _tag: "SocietyRound", step, round, redo, failed: true, actions, decisions: 0, stats: "{}", asked: null })
          return
        }
        actions.set(played.right.actions)
        asked = played.right.asked
      }
      // Adopters keep their adoption; positions and actions are the option values.
      if (deciding !== null) for (let u = 0; u < n; u++) if (!deciding[u]) actions[u] = 1
      const stats = roundStats(s.dynamic, s.params, g, actions, conditions, conditionIds, decisions, asked === null ? null : asked.length)
      // The option mass of each shared request goes onto it; the agents of a state no shared method answered asked on their own.
      const masses = (asked ?? []).flatMap((a) => (a.key !== null && typeof a.mass === "number" ? [[a.key, a.mass] as const] : []))
      const degraded = (asked ?? []).reduce((a, st) => a + (st.key === null ? st.agents ?? 0 : 0), 0)
      yield* writer.write({
        _tag: "SocietyRound", step, round, redo, failed: false, actions, decisions, stats: JSON.stringify(stats),
        asked: asked === null ? null : JSON.stringify(asked), masses, degraded
      })
      redo = false
      const codes = new Int32Array(n)
      roundCodes(s.dynamic, k, g, actions, codes)
      past.unshift(codes)
      if (past.length > s.memory) past.pop()
      g = rewired(g, round, actions)
      prev = actions
      yield* yieldToEventLoop
    }
  })

/**
 * One round on a model. Under a shared method (logprob, constrained, stated) one question per distinct
 * (condition, observation), asked by the methods of the backend's chain in turn (`askShared`: a logprob reply of
 * low option mass hands over to stated), each agent drawing its action from the shared distribution with its own
 * uniform; a question no shared method answers is asked by each of its agents on its own. Under sample scoring
 * every deciding agent asks on its own. An agent's own reply is parsed (after `reasks` re-asks an unreadable reply
 * keeps the agent's last action, or the first option in round 1). Fails when a request fails for good.
 */
const modelRound = (
  spec: RunSpec,
  s: SocietyScenario,
  round: number,
  g: Network,
  conditions: Int32Array,
  obs: Int32Array,
  prev: Uint8Array | null,
  x: Float64Array,
  asker: Asker
) =>
  Effect.gen(function* () {
    const n = g.n
    const choices = societyChoices(s)
    const actions = new Uint8Array(n)
    const systemOf = (c: number) => spec.population.conditions[c]?.system ?? null
    const concurrency = Math.max(8, spec.backend.concurrency * 2)
    // An agent's own request: its reply parsed, re-asked when unreadable (room for an opener when it is a fallback).
    const shape = shapeOf(spec.backend, "sample")
    const askOwn = (u: number) =>
      Effect.gen(function* () {
        let messages = societyMessages(s, systemOf(conditions[u]!), round, obs[u]!)
        for (let asks = 0; asks <= spec.backend.reasks; asks++) {
          const a = yield* asker.ask(messages, `agent:${u}:round:${round}`, undefined, 1, shape)
          const idx = parseAnswer(a.completion.text, choices)
          if (idx !== null) {
            actions[u] = choices[idx]!.value
            return
          }
          messages = [...messages, { role: "assistant" as const, content: a.completion.text }, { role: "user" as const, content: reaskText(s) }]
        }
        actions[u] = prev === null ? choices[0]!.value : prev[u]!
      })
    if (!isShared(spec.backend.scoring)) {
      const deciders: Array<number> = []
      for (let u = 0; u < n; u++) if (obs[u]! >= 0) deciders.push(u)
      yield* Effect.forEach(deciders, askOwn, { concurrency, discard: true })
      return { actions, asked: null }
    }
    const stateOf = new Int32Array(n).fill(-1)
    const index = new Map<number, number>()
    const states: Array<{ c: number; code: number; agents: number }> = []
    const stride = Math.pow(codesPerRound(s.dynamic, s.params, true), Math.max(1, s.memory))
    for (let u = 0; u < n; u++) {
      if (obs[u]! < 0) continue
      const key = conditions[u]! * stride + obs[u]!
      let i = index.get(key)
      if (i === undefined) {
        i = states.length
        index.set(key, i)
        states.push({ c: conditions[u]!, code: obs[u]!, agents: 0 })
      }
      states[i]!.agents++
      stateOf[u] = i
    }
    const asked = yield* Effect.forEach(
      states,
      (st) =>
        Effect.flatMap(askShared(spec.backend, asker, societyMessages(s, systemOf(st.c), round, st.code), choices, st.agents), (o) => {
          if (o.kind === "failed") return Effect.fail(o.error)
          const mass = Number.isNaN(o.mass) ? null : Math.round(o.mass * 1e6) / 1e6
          const common = { condition: spec.population.conditions[st.c]!.id, observation: st.code, mass, agents: st.agents }
          return Effect.succeed<AskedState>(
            o.kind === "dist"
              ? { ...common, key: o.key, dist: o.presented.map((p) => Math.round(p * 1e6) / 1e6), method: o.method }
              : { ...common, key: null, dist: null, method: "sample" }
          )
        }),
      { concurrency: "unbounded" }
    )
    const own: Array<number> = []
    for (let u = 0; u < n; u++) {
      const i = stateOf[u]!
      if (i < 0) continue
      const dist = asked[i]!.dist
      if (dist === null) own.push(u)
      else actions[u] = choices[drawIndex(dist, x[u]!)]!.value
    }
    yield* Effect.forEach(own, askOwn, { concurrency, discard: true })
    return { actions, asked }
  })

/** The run summary's `agentRounds`: agent decisions of the society steps (absent without one). */
export const societyTotals = (spec: RunSpec, db: RunDb): { readonly agentRounds?: number } => {
  const steps = spec.steps.flatMap((s, i) => (s.kind === "society" ? [i] : []))
  if (steps.length === 0) return {}
  return { agentRounds: readStepTotals(db).filter((t) => steps.includes(t.step)).reduce((a, t) => a + t.answers, 0) }
}
