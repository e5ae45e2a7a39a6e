import { FileSystem } from "@effect/platform"
import { filesUnder, refuseUnsafeOutput } from "../store/outputGuard.js"
import { Effect } from "effect"
import * as path from "node:path"
import { stringify } from "yaml"
import { BIAS_VALUES, personaBias, type BiasTable } from "../analysis/personaBias.js"
import { loadBaseline } from "../config/BaselineFile.js"
import { loadPopulation } from "../config/PopulationFile.js"
import type { RunSpec } from "../config/RunSpec.js"
import { backendIdentity, type BackendIdentity } from "../config/RunSpec.js"
import { SpecFileError, UsageError } from "../config/SpecFileError.js"
import { DEFAULT_AGENTS, projectRoot } from "../config/StudyFile.js"
import { isDirectory, loadAllVpCorrelations, loadVpCorrelations, loadVpItems, loadVpResultFile, type VpItem } from "../config/ValuePortraitData.js"
import { readConditionSizes, readItemSumsByCondition } from "../store/reads.js"
import { getManifest, openDatabase } from "../store/RunStore.js"
import {
  PUBLISHED_RULES,
  scoreFamily,
  selectItems,
  VP_DIMENSIONS,
  VP_FAMILIES,
  VP_VALUE_CODES,
  withoutItems,
  type VpCorrelation,
  type VpItemRule,
  type VpDimensionScore,
  type VpFamily
} from "../stats/valuePortrait.js"

/** The method name the published score files use. */
export const VP_METHOD = "averaged_0.3_pos_centered"

/** What `valuesim value-portrait score --json` prints. */
export interface VpScores {
  readonly method: string
  /**
   * One rating source per prompt variant (result files, or the run's questionnaires): items rated, and items
   * asked without a usable rating (an unreadable answer), which leave that variant out of the item's average.
   */
  readonly variants: ReadonlyArray<{ readonly source: string; readonly rated: number; readonly unrated: number }>
  /**
   * Where the items' metadata came from (`VpItemRule`): "published" — each item's first record in the result
   * files sorted by path, as the published pipeline does; "dataset" — the data folder. A run is always scored
   * with "dataset" (its answers carry no metadata).
   */
  readonly itemRule: VpItemRule
  /**
   * Per family, the items the published rule leaves out although some variant rated them (their first record
   * carries no correlations for the family). Under "dataset" these items are counted; under "published" they are
   * not. Empty when scoring a run.
   */
  readonly publishedRuleLeftOut: Readonly<Record<VpFamily, ReadonlyArray<string>>>
  /** The 10 centered value scores under the project's value codes (SD, ST, …). */
  readonly values: Readonly<Record<string, number>>
  /** Full scores per family, keyed like the published `*_expected_scores.json`. */
  readonly scores: Readonly<Record<VpFamily, Readonly<Record<string, VpDimensionScore>>>>
}

export const requireDataDir = (dataDir: string) =>
  Effect.gen(function* () {
    if (!(yield* isDirectory(dataDir)))
      return yield* new UsageError({ detail: `--data ${dataDir}: not a folder (expected the Value Portrait data, with data/ and lm_evaluation/ inside)` })
  })

const NONE_LEFT_OUT: Readonly<Record<VpFamily, ReadonlyArray<string>>> = { pvq: [], bfi: [], higher_pvq: [] }

/**
 * Scores rating maps (one per prompt variant) against the benchmark's human correlations. `leftOut` (per family)
 * are the items the published item rule leaves out; they are dropped from the selection when `itemRule` is
 * "published" and reported either way.
 */
export const scoreVariants = (
  correlations: Readonly<Record<VpFamily, ReadonlyArray<VpCorrelation>>>,
  variants: ReadonlyArray<{ readonly source: string; readonly ratings: ReadonlyMap<string, number>; readonly unrated: number }>,
  itemRule: VpItemRule = "dataset",
  leftOut: Readonly<Record<VpFamily, ReadonlyArray<string>>> = NONE_LEFT_OUT
): VpScores => {
  const maps = variants.map((v) => v.ratings)
  const scores = {} as Record<VpFamily, Readonly<Record<string, VpDimensionScore>>>
  for (const f of VP_FAMILIES) {
    const selection = selectItems(correlations[f], PUBLISHED_RULES[f])
    scores[f] = scoreFamily(maps, itemRule === "published" ? withoutItems(selection, new Set(leftOut[f])) : selection, VP_DIMENSIONS[f])
  }
  const values: Record<string, number> = {}
  for (const [name, code] of Object.entries(VP_VALUE_CODES)) {
    const s = scores.pvq[name]
    if (s) values[code] = s.centered_mean
  }
  return {
    method: VP_METHOD,
    variants: variants.map((v) => ({ source: v.source, rated: v.ratings.size, unrated: v.unrated })),
    itemRule,
    publishedRuleLeftOut: leftOut,
    values,
    scores
  }
}

/**
 * The items the published rule leaves out, per family: those selected for a dimension of the family, rated by
 * some variant, whose first record (result files in path order, as the published averager sorts them) carries
 * no correlations for the family.
 */
const publishedLeftOut = (
  correlations: Readonly<Record<VpFamily, ReadonlyArray<VpCorrelation>>>,
  files: ReadonlyArray<{ readonly file: string; readonly ratings: ReadonlyMap<string, number>; readonly metadata: ReadonlyMap<string, ReadonlySet<VpFamily>> }>
): Record<VpFamily, ReadonlyArray<string>> => {
  const first = new Map<string, ReadonlySet<VpFamily>>()
  for (const f of [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)))
    for (const [k, fams] of f.metadata) if (!first.has(k)) first.set(k, fams)
  const rated = new Set(files.flatMap((f) => [...f.ratings.keys()]))
  const out = {} as Record<VpFamily, ReadonlyArray<string>>
  for (const fam of VP_FAMILIES) {
    const selected = new Set([...selectItems(correlations[fam], PUBLISHED_RULES[fam]).values()].flat())
    out[fam] = [...selected].filter((k) => rated.has(k) && !(first.get(k)?.has(fam) ?? false)).sort()
  }
  return out
}

/** `valuesim value-portrait score --outputs FILE...`: recorded answers in the published result-file format. */
export const scoreRecordedOutputs = (dataDir: string, outputs: ReadonlyArray<string>, itemRule: VpItemRule = "published") =>
  Effect.gen(function* () {
    yield* requireDataDir(dataDir)
    if (outputs.length === 0) return yield* new UsageError({ detail: "--outputs: give at least one result file" })
    const correlations = yield* loadAllVpCorrelations(dataDir)
    const known = new Set(correlations.pvq.map((c) => c.item))
    const files: Array<{ file: string; ratings: ReadonlyMap<string, number>; unrated: number; metadata: ReadonlyMap<string, ReadonlySet<VpFamily>> }> = []
    for (const file of outputs) files.push({ file, ...(yield* loadVpResultFile(file, known)) })
    const variants = files.map((f) => ({ source: f.file, ratings: f.ratings, unrated: f.unrated }))
    return scoreVariants(correlations, variants, itemRule, publishedLeftOut(correlations, files))
  })

const fmt = (x: number) => (Number.isFinite(x) ? (x >= 0 ? " " : "") + x.toFixed(3) : "   —  ")

/** The text table: one block per family, dimension × centered / raw mean / SD / items. */
export const renderVpScores = (s: VpScores): string => {
  const lines = [`Value Portrait scores (${s.method}), ${s.variants.length} prompt variant(s):`]
  for (const v of s.variants) lines.push(`  ${v.source} (${v.rated} items rated${v.unrated > 0 ? `, ${v.unrated} unreadable` : ""})`)
  const unrated = s.variants.reduce((a, v) => a + v.unrated, 0)
  if (unrated > 0)
    lines.push(`  each item's rating is averaged over the variants that rated it; ${unrated} unreadable answer(s) are left out, as in the published pipeline`)
  const leftOut = [...new Set(VP_FAMILIES.flatMap((f) => s.publishedRuleLeftOut[f]))]
  lines.push(
    s.itemRule === "published"
      ? `  item metadata: each item's first record in the result files sorted by path (the published rule)${leftOut.length > 0 ? `; ${leftOut.length} rated item(s) left out because that record carries no correlations: ${leftOut.join(", ")}` : ""}`
      : `  item metadata: the data folder's correlation files (the dataset rule)${leftOut.length > 0 ? `; counts ${leftOut.length} item(s) the published rule leaves out: ${leftOut.join(", ")}` : ""}`
  )
  const titles: Record<VpFamily, string> = { pvq: "values", bfi: "Big Five", higher_pvq: "higher-order values" }
  for (const f of VP_FAMILIES) {
    lines.push("", `${titles[f].padEnd(22)} centered    mean      sd   items`)
    for (const d of VP_DIMENSIONS[f]) {
      const x = s.scores[f][d]
      const label = f === "pvq" ? `${d} (${VP_VALUE_CODES[d]})` : d
      lines.push(x ? `  ${label.padEnd(20)} ${fmt(x.centered_mean)}  ${fmt(x.original_mean)}  ${fmt(x.std_dev)}  ${String(x.n).padStart(5)}` : `  ${label.padEnd(20)}   no rated items`)
    }
  }
  return lines.join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// Running the benchmark: six questionnaires (three wordings × normal/reversed options) and a study file.

/** One of the project's three wordings of a Value Portrait item (written for valuesim). */
interface VpTemplate {
  readonly id: string
  /** The item text from the query and the response. */
  readonly itemText: (it: VpItem) => string
  readonly prompts: { readonly instructions: string; readonly item: string; readonly option: string; readonly reask: string }
}

const REASK = "That answer could not be read. Reply with one number from {min} to {max} and nothing else:\n{options}"

export const VP_TEMPLATES: ReadonlyArray<VpTemplate> = [
  {
    id: "t1",
    itemText: (it) => `A request for advice${it.title ? ` ("${it.title}")` : ""}:\n${it.text}\n\nOne reply to it:\n${it.response}`,
    prompts: {
      instructions:
        "Someone asked for advice online and got a reply. Read both, then say how much the reply resembles what you yourself think. Answer even if you are not sure.",
      item: "{item}\n\nHow much is this reply like you?\n{options}\n\nReply with only the number of one option, from {min} to {max}.",
      option: "{number}. {label}",
      reask: REASK
    }
  },
  {
    id: "t2",
    itemText: (it) => `${it.title ? `${it.title}\n\n` : ""}${it.text}\n\n--- An answer someone gave ---\n${it.response}`,
    prompts: {
      instructions: "",
      item: "Here is a situation a person described, followed by an answer they received.\n\n{item}\n\nTo what degree does this answer express your own view?\n{options}\nGive one number between {min} and {max}, nothing more.",
      option: "{number} = {label}",
      reask: REASK
    }
  },
  {
    id: "t3",
    itemText: (it) => `Topic: ${it.title || "(none)"}\nSituation: ${it.text}\nAnswer given: ${it.response}`,
    prompts: {
      instructions: "Rate how close an answer to someone's problem is to your own way of thinking.",
      item: "Which option fits best: is the answer below like you?\n\n{item}\n\nOptions:\n{options}\nThe number of your option ({min}-{max}):",
      option: "({number}) {label}",
      reask: REASK
    }
  }
]

const VP_SCALE = [
  { value: 1, label: "Not like me at all" },
  { value: 2, label: "Not like me" },
  { value: 3, label: "A little like me" },
  { value: 4, label: "Somewhat like me" },
  { value: 5, label: "Like me" },
  { value: 6, label: "Very much like me" }
]

/** Questionnaire item ids carry the benchmark item: `vp:<portrait>:<option>`. */
const VP_ITEM_PREFIX = "vp:"

export const DEFAULT_VP_POPULATION = path.join(projectRoot, "populations", "no-prompt.yaml")

export interface VpPrepareOptions {
  readonly maxItems?: number | undefined
  readonly population?: string | undefined
  readonly agents?: number | undefined
  readonly seed?: number | undefined
}

export interface VpPrepared {
  readonly study: string
  readonly questionnaires: ReadonlyArray<string>
  readonly items: number
  readonly population: string
  readonly agents: number
}

/**
 * Picks `max` items so that every value is covered: the first item selected for each value in turn (values in
 * circle order), then the next of each, and so on; items selected for no value follow. Deterministic.
 */
export const pickItems = (items: ReadonlyArray<VpItem>, pvq: ReadonlyMap<string, ReadonlyArray<string>>, max: number): ReadonlyArray<VpItem> => {
  if (max >= items.length) return items
  const byKey = new Map(items.map((it) => [it.key, it]))
  // VP_VALUE_CODES lists the values in circle order
  const queues = Object.keys(VP_VALUE_CODES).map((d) => (pvq.get(d) ?? []).filter((k) => byKey.has(k)))
  const chosen = new Set<string>()
  for (let round = 0; chosen.size < max && queues.some((q) => q.length > round); round++) {
    for (const q of queues) {
      const k = q[round]
      if (k !== undefined && chosen.size < max) chosen.add(k)
    }
  }
  for (const it of items) if (chosen.size < max) chosen.add(it.key)
  return items.filter((it) => chosen.has(it.key))
}

/** The value an item's human ratings correlate with most (among the selected ones): the synthetic respondent's peak. */
const peakOf = (pvq: ReadonlyArray<VpCorrelation>): ReadonlyMap<string, string> => {
  const best = new Map<string, { r: number; code: string }>()
  const rule = PUBLISHED_RULES.pvq
  for (const c of pvq) {
    if (!(c.r >= rule.minR && c.p < rule.maxP)) continue
    const cur = best.get(c.item)
    if (!cur || c.r > cur.r) best.set(c.item, { r: c.r, code: VP_VALUE_CODES[c.dimension]! })
  }
  return new Map([...best].map(([k, v]) => [k, v.code]))
}

/**
 * `valuesim value-portrait prepare`: writes six questionnaire files (the benchmark items in the project's three
 * wordings, options in normal and reversed order) and a study file running them, into `outDir`. The item
 * texts come from the user's data folder; everything is checked before anything is written.
 */
export const prepareValuePortrait = (dataDir: string, outDir: string, o: VpPrepareOptions) =>
  Effect.gen(function* () {
    yield* requireDataDir(dataDir)
    if (o.maxItems !== undefined && o.maxItems < 1) return yield* new UsageError({ detail: "--max-items: must be a positive integer" })
    if (o.agents !== undefined && o.agents < 1) return yield* new UsageError({ detail: "--agents: must be a positive integer" })
    const population = path.resolve(o.population ?? DEFAULT_VP_POPULATION)
    const pop = yield* loadPopulation(population)
    const pvq = yield* loadVpCorrelations(dataDir, "pvq")
    const all = yield* loadVpItems(dataDir)
    const items = pickItems(all, selectItems(pvq, PUBLISHED_RULES.pvq), o.maxItems ?? all.length)
    const peaks = peakOf(pvq)
    const fs = yield* FileSystem.FileSystem
    // The data folder and the population file are read: nothing is written over them (checked before any write).
    const targets = [...VP_TEMPLATES.flatMap((t) => [`value-portrait-${t.id}`, `value-portrait-${t.id}-reversed`]), "value-portrait-study"]
    yield* refuseUnsafeOutput("--out", targets.map((n) => path.join(outDir, `${n}.yaml`)), [...filesUnder(dataDir), population])
    yield* fs.makeDirectory(outDir, { recursive: true }).pipe(
      Effect.mapError(() => new UsageError({ detail: `--out ${outDir}: cannot create the folder` }))
    )
    const questionnaires: Array<string> = []
    for (const t of VP_TEMPLATES) {
      for (const order of ["normal", "reversed"] as const) {
        const id = `value-portrait-${t.id}${order === "reversed" ? "-reversed" : ""}`
        const doc = {
          kind: "questionnaire",
          id,
          title: `Value Portrait items, wording ${t.id}, options ${order}`,
          source:
            "Items: Value Portrait (Han et al., ACL 2025; MIT licence), read from the user's copy of the published data. " +
            "Wording of the prompts: written by the valuesim project.",
          construct: "other",
          administration: "independent",
          option_order: order,
          scoring: "mean",
          scale: VP_SCALE,
          prompts: t.prompts,
          items: items.map((it) => {
            const peak = peaks.get(it.key)
            return { id: `${VP_ITEM_PREFIX}${it.key}`, subscale: peak ?? "none", text: t.itemText(it), ...(peak ? { theory: { peak } } : {}) }
          })
        }
        const file = path.join(outDir, `${id}.yaml`)
        yield* writeText(file, stringify(doc, { lineWidth: 0 }))
        questionnaires.push(file)
      }
    }
    const agents = o.agents ?? pop.agents ?? DEFAULT_AGENTS
    const study = path.join(outDir, "value-portrait-study.yaml")
    yield* writeText(
      study,
      stringify(
        {
          kind: "study",
          id: "value-portrait",
          title: "Value Portrait benchmark (seed 004): six prompt variants",
          population,
          ...(o.agents !== undefined ? { agents: o.agents } : {}),
          seed: o.seed ?? 1,
          steps: questionnaires.map((q) => ({ questionnaire: path.basename(q) }))
        },
        { lineWidth: 0 }
      )
    )
    return { study, questionnaires, items: items.length, population, agents } satisfies VpPrepared
  })

const writeText = (file: string, text: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.writeFileString(file, text).pipe(Effect.mapError(() => new UsageError({ detail: `--out: cannot write ${file}` })))
  )

// ---------------------------------------------------------------------------------------------------------------
// Scoring a finished run: per condition, each item's rating is the mean answer of the condition's agents.

export interface VpRunScores {
  readonly method: string
  readonly run: string
  /** Who answered: on the synthetic backend `synthetic: true` and the label every run prints. */
  readonly backend: BackendIdentity
  readonly steps: ReadonlyArray<string>
  /** One score set per condition of the run (a steering matrix when the run has value-prompt conditions). */
  readonly conditions: ReadonlyArray<{ readonly condition: string; readonly agents: number } & VpScores>
  /**
   * Seed 004 table 15: per value-prompt condition, its centered value scores minus those of the unprompted
   * condition (`none`). Null when the run lacks either.
   */
  readonly steering: ReadonlyArray<{ readonly condition: string; readonly differences: Readonly<Record<string, number | null>> }> | null
}

const steeringOf = (conditions: VpRunScores["conditions"]): VpRunScores["steering"] => {
  const none = conditions.find((c) => c.condition === "none")
  const steered = conditions.filter((c) => c.condition.startsWith("value:"))
  if (none === undefined || steered.length === 0) return null
  return steered.map((c) => ({
    condition: c.condition,
    differences: Object.fromEntries(
      Object.values(VP_VALUE_CODES).map((v) => {
        const d = (c.values[v] ?? NaN) - (none.values[v] ?? NaN)
        return [v, Number.isFinite(d) ? d : null]
      })
    )
  }))
}

/** `valuesim value-portrait score --run RUN_DIR`. */
export const scoreValuePortraitRun = (dataDir: string, runDir: string) =>
  Effect.gen(function* () {
    yield* requireDataDir(dataDir)
    const dbFile = path.join(runDir, "run.sqlite")
    const fs = yield* FileSystem.FileSystem
    if (!(yield* fs.exists(dbFile).pipe(Effect.orElseSucceed(() => false))))
      return yield* new SpecFileError({ file: runDir, problems: ["--run: no run.sqlite here; is this a run folder?"] })
    const correlations = yield* loadAllVpCorrelations(dataDir)
    const known = new Set(correlations.pvq.map((c) => c.item))
    const db = yield* openDatabase(dbFile, { mustExist: true }).pipe(
      Effect.mapError(() => new SpecFileError({ file: dbFile, problems: ["cannot open the run database"] }))
    )
    const read = Effect.try({
      try: () => {
        const spec = getManifest(db)["spec"] as RunSpec | undefined
        const conditions = readConditionSizes(db).map((c) => ({ idx: c.idx, name: c.condition, n: c.agents }))
        const steps: Array<{ step: number; id: string; keys: ReadonlyArray<string | null> }> = []
        spec?.steps.forEach((s, step) => {
          if (s.kind !== "questionnaire") return
          const keys = s.questionnaire.items.map((it) => (it.id.startsWith(VP_ITEM_PREFIX) ? it.id.slice(VP_ITEM_PREFIX.length) : null))
          if (keys.some((k) => k !== null)) steps.push({ step, id: s.questionnaire.id, keys })
        })
        // sums[condition][step] : item key → [sum, count]
        const sums = new Map<number, Map<number, Map<string, [number, number]>>>()
        for (const st of steps) {
          for (const r of readItemSumsByCondition(db, st.step)) {
            const key = st.keys[r.itemIdx]
            if (key === null || key === undefined) continue
            const byStep = sums.get(r.conditionIdx) ?? new Map<number, Map<string, [number, number]>>()
            sums.set(r.conditionIdx, byStep)
            const m = byStep.get(st.step) ?? new Map<string, [number, number]>()
            byStep.set(st.step, m)
            m.set(key, [r.sum, r.count])
          }
        }
        return { spec, conditions, steps, sums }
      },
      catch: (e) => new SpecFileError({ file: dbFile, problems: [`cannot read the run (${(e as Error).message})`] })
    }).pipe(Effect.ensuring(Effect.sync(() => db.close())))
    const { spec, conditions, steps, sums } = yield* read
    if (steps.length === 0)
      return yield* new SpecFileError({ file: runDir, problems: ["--run: the run has no Value Portrait questionnaire (items with ids vp:<portrait>:<option>)"] })
    const unknown = steps.flatMap((s) => s.keys.filter((k): k is string => k !== null && !known.has(k)))
    if (unknown.length > 0)
      return yield* new SpecFileError({ file: runDir, problems: [`items: ${unknown.slice(0, 5).join(", ")} not in the benchmark data of --data ${dataDir}`] })
    const out = conditions.map((c) => {
      const variants = steps.map((st) => {
        const m = sums.get(c.idx)?.get(st.step) ?? new Map<string, [number, number]>()
        const asked = st.keys.filter((k) => k !== null).length
        return { source: st.id, ratings: new Map([...m].map(([k, [s, n]]) => [k, s / n])) as ReadonlyMap<string, number>, unrated: asked - m.size }
      })
      return { condition: c.name, agents: c.n, ...scoreVariants(correlations, variants) }
    })
    const backend: BackendIdentity = spec ? backendIdentity(spec.backend) : { backend: "unknown", model: "unknown", synthetic: false, label: null }
    return { method: VP_METHOD, run: runDir, backend, steps: steps.map((s) => s.id), conditions: out, steering: steeringOf(out) } satisfies VpRunScores
  })

/** One condition: the full table; several: the steering matrix (rows: conditions; columns: centered values). */
export const renderVpRunScores = (r: VpRunScores): string => {
  const banner = r.backend.label ? `*** ${r.backend.label} ***\n` : ""
  if (r.conditions.length === 1) return `${banner}condition ${r.conditions[0]!.condition} (${r.backend.backend}, ${r.backend.model}):\n${renderVpScores(r.conditions[0]!)}`
  const order = Object.values(VP_VALUE_CODES)
  const lines = [
    ...(r.backend.label ? [`*** ${r.backend.label} ***`] : []),
    `Value Portrait steering matrix (${r.method}; ${r.steps.length} prompt variants; ${r.backend.backend}, ${r.backend.model}): centered value scores per condition`,
    `${"condition".padEnd(12)}${order.map((c) => c.padStart(8)).join("")}`
  ]
  for (const c of r.conditions) lines.push(`${c.condition.padEnd(12)}${order.map((v) => fmt(c.values[v] ?? NaN).padStart(8)).join("")}`)
  if (r.steering !== null) {
    lines.push("", "steering (seed 004 table 15): value-prompted minus unprompted; [x] = the prompted value")
    lines.push(`${"condition".padEnd(12)}${order.map((c) => c.padStart(8)).join("")}`)
    for (const row of r.steering) {
      const target = row.condition.slice("value:".length)
      lines.push(
        `${row.condition.padEnd(12)}${order.map((v) => (v === target ? `[${fmt(row.differences[v] ?? NaN).trim()}]` : fmt(row.differences[v] ?? NaN)).padStart(8)).join("")}`
      )
    }
  }
  return lines.join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// Demographic persona bias: a run of the study on populations/demographic-personas.yaml against ESS differences.

export const DEFAULT_DIFFERENCES = path.join(projectRoot, "human-baselines", "ess-round11.differences.yaml")

export interface VpPersonaBias {
  readonly method: string
  readonly run: string
  readonly baseline: { readonly file: string; readonly id: string; readonly source: string }
  readonly model: string
  /** Who answered: on the synthetic backend `synthetic: true` and the label every run prints. */
  readonly backend: BackendIdentity
  readonly tables: ReadonlyArray<BiasTable>
}

/** `valuesim value-portrait personas --data DIR --run RUN_DIR [--differences FILE]`. */
export const personaBiasOfRun = (dataDir: string, runDir: string, differencesFile: string = DEFAULT_DIFFERENCES) =>
  Effect.gen(function* () {
    const { baseline } = yield* loadBaseline(differencesFile)
    if (baseline.kind !== "value-differences")
      return yield* new SpecFileError({ file: differencesFile, problems: [`kind: expected value-differences, got ${baseline.kind}`] })
    const scored = yield* scoreValuePortraitRun(dataDir, runDir)
    const reference = scored.conditions.find((c) => c.condition === "none")
    if (reference === undefined)
      return yield* new SpecFileError({ file: runDir, problems: ["--run: the run has no condition none (agents without a persona) to compare the personas with"] })
    const personas = new Map(
      scored.conditions.filter((c) => c.condition.startsWith("persona:")).map((c) => [c.condition.slice("persona:".length), c.values] as const)
    )
    if (personas.size === 0)
      return yield* new SpecFileError({ file: runDir, problems: ["--run: the run has no persona:<variable>/<group> conditions (use populations/demographic-personas.yaml)"] })
    const model = `${scored.backend.backend}: ${scored.backend.model}`
    return {
      method: `${VP_METHOD}; model: persona − no persona; human: ${baseline.reference}`,
      run: runDir,
      baseline: { file: differencesFile, id: baseline.id, source: baseline.source },
      model,
      backend: scored.backend,
      tables: personaBias(personas, reference.values, baseline.groups)
    } satisfies VpPersonaBias
  })

const sign = (x: number | null) => (x === null ? "     —" : `${x >= 0 ? "+" : ""}${x.toFixed(2)}`.padStart(6))

/** Tables in the shape of seed 004 tables 9-12: human rows, then model rows, then the gap summary. */
export const renderPersonaBias = (b: VpPersonaBias): string => {
  const head = (label: string) => `${label.padEnd(26)}${BIAS_VALUES.map((v) => v.padStart(6)).join("")}`
  const lines = [
    ...(b.backend.label ? [`*** ${b.backend.label} ***`, "the theory model ignores personas: its rows below are agent noise, not a bias"] : []),
    `Demographic persona bias (Value Portrait, seed 004 tables 9-12), model ${b.model}`,
    `human: ${b.baseline.id} (${b.baseline.file})`
  ]
  for (const t of b.tables) {
    lines.push("", head(t.variable), "  human data")
    for (const r of t.rows) lines.push(`    ${r.group.padEnd(22)}${BIAS_VALUES.map((v) => sign(r.human[v] ?? null)).join("")}`)
    lines.push("  model (persona − no persona)")
    for (const r of t.rows)
      lines.push(
        `    ${r.group.padEnd(22)}${BIAS_VALUES.map((v) => sign(r.model[v] ?? null)).join("")}   |gap| ${r.mean_abs_gap === null ? "—" : r.mean_abs_gap.toFixed(2)}  r ${r.r === null ? "—" : r.r.toFixed(2)}`
      )
  }
  return lines.join("\n")
}
