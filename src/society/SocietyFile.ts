/**
 * Reading a society scenario file (`kind: society`): the schema, the checks the schema cannot make (placeholders
 * per dynamic, parameter ranges, homophily only where ties are local) and, once the run's agent count is known,
 * the network's own checks and a user edge list's (unknown ids, self-loops, duplicates, each naming its line).
 * Every problem is a SpecFileError naming the file and field (exit 2, nothing written).
 */
import { Effect, Either, Schema } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { parseValue10, VALUES_10 } from "../domain/values.js"
import { decodeData, resolveFrom } from "../config/loadFile.js"
import { SafeId } from "../config/ids.js"
import { SpecFileError } from "../config/SpecFileError.js"
import { NETWORK_KINDS } from "../sampling/network.js"
import { DYNAMICS, THEORY_DEFAULTS, type Dynamic, type TheoryParams } from "./dynamics.js"
import { networkProblems, parseEdgeList, type NetworkSpec, type SocietyScenario } from "./scenario.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1))
const Positive = Schema.Number.pipe(Schema.positive())

export const SocietyFileSchema = Schema.Struct({
  kind: Schema.Literal("society"),
  id: SafeId,
  title: NonEmpty,
  source: NonEmpty,
  dynamic: Schema.Literal(...DYNAMICS),
  rounds: Schema.Int.pipe(Schema.between(1, 1000)),
  memory: Schema.optional(Schema.Int.pipe(Schema.between(1, 5))),
  network: Schema.Struct({
    kind: Schema.Literal(...NETWORK_KINDS),
    k: Schema.optional(Schema.Int.pipe(Schema.positive())),
    p: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
    mean_degree: Schema.optional(Positive),
    m: Schema.optional(Schema.Int.pipe(Schema.positive())),
    width: Schema.optional(Schema.Int.pipe(Schema.positive())),
    height: Schema.optional(Schema.Int.pipe(Schema.positive())),
    neighbourhood: Schema.optional(Schema.Literal("von-neumann", "moore")),
    file: Schema.optional(NonEmpty),
    homophily: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
    rewire: Schema.optional(Schema.Number.pipe(Schema.between(0, 1)))
  }),
  params: Schema.optional(
    Schema.Struct({
      payoffs: Schema.optional(Schema.Struct({ temptation: Schema.Number, reward: Schema.Number, punishment: Schema.Number, sucker: Schema.Number })),
      scale: Schema.optional(Schema.Array(NonEmpty).pipe(Schema.minItems(2), Schema.maxItems(11))),
      seed_share: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
      endowment: Schema.optional(Schema.Number.pipe(Schema.positive())),
      multiplier: Schema.optional(Schema.Number.pipe(Schema.greaterThan(1))),
      consensus_share: Schema.optional(Schema.Number.pipe(Schema.between(0.5, 1)))
    })
  ),
  theory: Schema.optional(
    Schema.Struct({
      peak: Schema.optional(NonEmpty),
      intercept: Schema.optional(Schema.Number),
      value_weight: Schema.optional(Schema.Number),
      conditional: Schema.optional(Schema.Number),
      persistence: Schema.optional(Schema.Number),
      first_round: Schema.optional(Schema.Number),
      influence: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
      value_pull: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
      sd: Schema.optional(Positive),
      social: Schema.optional(Schema.Number)
    })
  ),
  prompts: Schema.Struct({
    rules: NonEmpty,
    first: NonEmpty,
    summary: NonEmpty,
    decision: NonEmpty,
    option: Schema.optional(NonEmpty),
    reask: Schema.optional(NonEmpty)
  })
}).annotations({ identifier: "Society" })

/** The placeholders each template may use, per dynamic. */
export const SUMMARY_FACTS: { readonly [D in Dynamic]: ReadonlyArray<string> } = {
  "prisoners-dilemma": ["when", "own_action", "neighbour_share", "payoff"],
  "public-goods": ["when", "own_contribution", "neighbour_contribution"],
  "common-pool": ["when", "own_extraction", "neighbour_extraction"],
  opinion: ["when", "own_position", "neighbour_position"],
  diffusion: ["when", "adopted_neighbours", "own_state"]
}
const RULE_FACTS = ["rounds", "temptation", "reward", "punishment", "sucker", "scale", "endowment", "multiplier"]
const DECISION_FACTS = ["round", "rounds", "options", "min", "max"]
const DEFAULT_OPTION = "{number}. {label}"
const DEFAULT_REASK = "That reply could not be read as one of the options. Reply with one of these and nothing else:\n{options}"
const DEFAULT_SCALE = ["Strongly oppose", "Oppose", "Neither oppose nor support", "Support", "Strongly support"]
/** Default theory peaks: cooperation between benevolence and universalism (self-transcendence); others universalism. */
const DEFAULT_PEAK: { readonly [D in Dynamic]: number } = { "prisoners-dilemma": 8.5, "public-goods": 8.5, "common-pool": 8.5, opinion: 9, diffusion: 1 }

const unknownPlaceholders = (template: string, known: ReadonlyArray<string>): Array<string> =>
  [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).filter((k) => !known.includes(k))

/** Resolves a society scenario from its file's data (checks that do not need the agent count). */
export const societyFromData = (data: unknown, file: string): Either.Either<SocietyScenario, SpecFileError> =>
  Either.flatMap(decodeData(SocietyFileSchema, data, file), (f) => {
    const problems: Array<string> = []
    const n = f.network
    const needs = (field: keyof typeof n, kinds: ReadonlyArray<string>) => {
      if (n[field] !== undefined && !kinds.includes(n.kind)) problems.push(`network.${field}: not a parameter of a ${n.kind} network (only of ${kinds.join(", ")})`)
    }
    needs("k", ["ring", "small-world"])
    needs("p", ["small-world", "random"])
    needs("mean_degree", ["random"])
    needs("m", ["scale-free"])
    needs("width", ["lattice"])
    needs("height", ["lattice"])
    needs("neighbourhood", ["lattice"])
    needs("file", ["edges"])
    if ((n.kind === "ring" || n.kind === "small-world") && n.k === undefined) problems.push(`network.k: a ${n.kind} network needs k (ties per agent, even)`)
    if (n.kind === "small-world" && n.p === undefined) problems.push("network.p: a small-world network needs p (the rewiring probability)")
    if (n.kind === "scale-free" && n.m === undefined) problems.push("network.m: a scale-free network needs m (ties each new agent brings)")
    if (n.kind === "random" && (n.p === undefined) === (n.mean_degree === undefined)) problems.push("network.p: a random network needs p or mean_degree (one of them)")
    if ((n.rewire ?? 0) > 0 && (f.dynamic === "opinion" || f.dynamic === "diffusion")) {
      problems.push(`network.rewire: ties are cut to defectors, so only in the prisoners-dilemma, public-goods and common-pool dynamics, not ${f.dynamic}`)
    }
    if (n.kind === "edges" && n.file === undefined) problems.push("network.file: an edges network needs file (a CSV edge list)")
    if ((n.homophily ?? 0) > 0 && !["ring", "small-world", "lattice"].includes(n.kind)) {
      problems.push(`network.homophily: works through where agents sit, so only on networks with local ties (ring, small-world, lattice), not ${n.kind}`)
    }
    const payoffs = { temptation: 5, reward: 3, punishment: 1, sucker: 0, ...f.params?.payoffs }
    const { temptation: T, reward: R, punishment: P, sucker: S } = payoffs
    if (f.dynamic === "prisoners-dilemma" && !(T > R && R > P && P > S)) problems.push(`params.payoffs: must satisfy temptation > reward > punishment > sucker, got ${T}, ${R}, ${P}, ${S}`)
    if (f.params?.payoffs !== undefined && f.dynamic !== "prisoners-dilemma") problems.push(`params.payoffs: only the prisoners-dilemma dynamic has payoffs`)
    if (f.params?.scale !== undefined && f.dynamic !== "opinion") problems.push(`params.scale: only the opinion dynamic has a scale`)
    for (const key of ["endowment", "multiplier"] as const) {
      const has = key === "endowment" ? f.dynamic === "public-goods" || f.dynamic === "common-pool" : f.dynamic === "public-goods"
      if (f.params?.[key] !== undefined && !has) problems.push(`params.${key}: the ${f.dynamic} dynamic has no ${key}`)
    }
    if (f.params?.seed_share !== undefined && f.dynamic !== "diffusion") problems.push(`params.seed_share: only the diffusion dynamic has seeds`)
    const facts = SUMMARY_FACTS[f.dynamic]
    for (const k of unknownPlaceholders(f.prompts.summary, facts)) problems.push(`prompts.summary: unknown placeholder {${k}} (available: ${facts.join(", ")})`)
    for (const k of unknownPlaceholders(f.prompts.rules, RULE_FACTS)) problems.push(`prompts.rules: unknown placeholder {${k}} (available: ${RULE_FACTS.join(", ")})`)
    for (const k of unknownPlaceholders(f.prompts.first, ["round", "rounds"])) problems.push(`prompts.first: unknown placeholder {${k}} (available: round, rounds)`)
    for (const k of unknownPlaceholders(f.prompts.decision, DECISION_FACTS)) problems.push(`prompts.decision: unknown placeholder {${k}} (available: ${DECISION_FACTS.join(", ")})`)
    if (!f.prompts.decision.includes("{options}")) problems.push("prompts.decision: must show the options ({options})")
    let peak = DEFAULT_PEAK[f.dynamic]
    if (f.theory?.peak !== undefined) {
      const v = parseValue10(f.theory.peak)
      if (v === undefined) problems.push(`theory.peak: unknown value code "${f.theory.peak}" (expected one of ${VALUES_10.join(", ")})`)
      else peak = VALUES_10.indexOf(v)
    }
    if (problems.length > 0) return Either.left(new SpecFileError({ file, problems }))
    const d = THEORY_DEFAULTS[f.dynamic]
    const t = f.theory ?? {}
    const theory: TheoryParams = {
      intercept: t.intercept ?? d.intercept,
      valueWeight: t.value_weight ?? d.valueWeight,
      conditional: t.conditional ?? d.conditional,
      persistence: t.persistence ?? d.persistence,
      firstRound: t.first_round ?? d.firstRound,
      influence: t.influence ?? d.influence,
      valuePull: t.value_pull ?? d.valuePull,
      sd: t.sd ?? d.sd,
      social: t.social ?? d.social
    }
    const network: NetworkSpec = {
      kind: n.kind,
      homophily: n.homophily ?? 0,
      ...(n.k !== undefined ? { k: n.k } : {}),
      ...(n.rewire !== undefined && n.rewire > 0 ? { rewire: n.rewire } : {}),
      ...(n.p !== undefined ? { p: n.p } : {}),
      ...(n.mean_degree !== undefined ? { meanDegree: n.mean_degree } : {}),
      ...(n.m !== undefined ? { m: n.m } : {}),
      ...(n.width !== undefined ? { width: n.width } : {}),
      ...(n.height !== undefined ? { height: n.height } : {}),
      ...(n.neighbourhood !== undefined ? { neighbourhood: n.neighbourhood } : n.kind === "lattice" ? { neighbourhood: "von-neumann" as const } : {}),
      ...(n.file !== undefined ? { file: resolveFrom(file, n.file) } : {})
    }
    return Either.right({
      kind: "society",
      id: f.id,
      title: f.title,
      source: f.source,
      dynamic: f.dynamic,
      rounds: f.rounds,
      memory: f.memory ?? 1,
      network,
      params: {
        payoffs,
        scale: f.params?.scale ?? DEFAULT_SCALE,
        seedShare: f.params?.seed_share ?? 0.02,
        endowment: f.params?.endowment ?? 20,
        multiplier: f.params?.multiplier ?? 1.6,
        consensusShare: f.params?.consensus_share ?? 0.9,
        theory
      },
      theoryPeak: peak,
      prompts: {
        rules: f.prompts.rules,
        first: f.prompts.first,
        summary: f.prompts.summary,
        decision: f.prompts.decision,
        option: f.prompts.option ?? DEFAULT_OPTION,
        reask: f.prompts.reask ?? DEFAULT_REASK
      }
    } satisfies SocietyScenario)
  })

/** Reads a user edge list as the run will (a SpecFileError naming the edge file and line otherwise). */
export const readEdgeList = (file: string, agents: number): { readonly ties: Uint32Array; readonly sha256: string } => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch {
    throw new SpecFileError({ file, problems: ["cannot read the edge list (missing or not readable)"] })
  }
  const parsed = parseEdgeList(text, agents)
  if (!parsed.ok) throw new SpecFileError({ file, problems: [parsed.problem] })
  return { ties: parsed.ties, sha256: createHash("sha256").update(text).digest("hex") }
}

/**
 * The checks that need the run's agent count (network size limits, lattice shape, the edge list's ids), and
 * the edge list's hash recorded in the scenario; a SpecFileError naming the scenario file (or the edge list).
 */
export const settleSociety = (s: SocietyScenario, file: string, agents: number): Effect.Effect<SocietyScenario, SpecFileError> =>
  Effect.gen(function* () {
    const problems = networkProblems(s.network, agents)
    if (problems.length > 0) return yield* new SpecFileError({ file, problems })
    if (s.network.kind !== "edges") return s
    const edges = yield* Effect.try({ try: () => readEdgeList(s.network.file!, agents), catch: (e) => e as SpecFileError })
    return { ...s, network: { ...s.network, sha256: edges.sha256 } }
  })
