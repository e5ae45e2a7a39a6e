import { Effect } from "effect"
import { isDirectory, loadAllVpCorrelations, loadVpResultFile } from "../config/ValuePortraitData.js"
import { UsageError } from "../config/SpecFileError.js"
import {
  PUBLISHED_RULES,
  scoreFamily,
  selectItems,
  VP_DIMENSIONS,
  VP_FAMILIES,
  VP_VALUE_CODES,
  type VpCorrelation,
  type VpDimensionScore,
  type VpFamily
} from "../stats/valuePortrait.js"

/** The method name the published score files use. */
export const VP_METHOD = "averaged_0.3_pos_centered"

/** What `valuesim value-portrait score --json` prints. */
export interface VpScores {
  readonly method: string
  /** One rating source per prompt variant (result files, or run conditions). */
  readonly variants: ReadonlyArray<{ readonly source: string; readonly rated: number }>
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

/** Scores rating maps (one per prompt variant) against the benchmark's human correlations. */
export const scoreVariants = (
  correlations: Readonly<Record<VpFamily, ReadonlyArray<VpCorrelation>>>,
  variants: ReadonlyArray<{ readonly source: string; readonly ratings: ReadonlyMap<string, number> }>
): VpScores => {
  const maps = variants.map((v) => v.ratings)
  const scores = {} as Record<VpFamily, Readonly<Record<string, VpDimensionScore>>>
  for (const f of VP_FAMILIES) scores[f] = scoreFamily(maps, selectItems(correlations[f], PUBLISHED_RULES[f]), VP_DIMENSIONS[f])
  const values: Record<string, number> = {}
  for (const [name, code] of Object.entries(VP_VALUE_CODES)) {
    const s = scores.pvq[name]
    if (s) values[code] = s.centered_mean
  }
  return { method: VP_METHOD, variants: variants.map((v) => ({ source: v.source, rated: v.ratings.size })), values, scores }
}

/** `valuesim value-portrait score --outputs FILE...`: recorded answers in the published result-file format. */
export const scoreRecordedOutputs = (dataDir: string, outputs: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    yield* requireDataDir(dataDir)
    if (outputs.length === 0) return yield* new UsageError({ detail: "--outputs: give at least one result file" })
    const correlations = yield* loadAllVpCorrelations(dataDir)
    const known = new Set(correlations.pvq.map((c) => c.item))
    const variants: Array<{ source: string; ratings: ReadonlyMap<string, number> }> = []
    for (const file of outputs) variants.push({ source: file, ratings: yield* loadVpResultFile(file, known) })
    return scoreVariants(correlations, variants)
  })

const fmt = (x: number) => (Number.isFinite(x) ? (x >= 0 ? " " : "") + x.toFixed(3) : "   —  ")

/** The text table: one block per family, dimension × centered / raw mean / SD / items. */
export const renderVpScores = (s: VpScores): string => {
  const lines = [`Value Portrait scores (${s.method}), ${s.variants.length} prompt variant(s):`]
  for (const v of s.variants) lines.push(`  ${v.source} (${v.rated} items rated)`)
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
