// Writes the human baseline files in human-baselines/ from the reference data beside the project and from the
// seed tables typed in below. Deterministic: the committed files are exactly what this script writes.
//
//   node scripts/build-baselines.mjs [DATA_DIR] [--out DIR]
//
// DATA_DIR defaults to ../shared/data (relative to the repository); --out defaults to human-baselines/.
// The script only reads numbers (matrices, means, scores, correlations); no item or question text is copied.
// It checks its inputs against each other (CSV vs JSON, recomputed vs published, typed-in vs seed text when the
// seeds are present) and stops with an error when they disagree.
import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parse, stringify } from "yaml"

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

const args = process.argv.slice(2)
const outIdx = args.indexOf("--out")
if (outIdx >= 0 && (args[outIdx + 1] ?? "").length === 0) {
  console.error("build-baselines: --out needs a folder")
  process.exit(2)
}
const outDir = path.resolve(outIdx >= 0 ? args[outIdx + 1] ?? "" : path.join(ROOT, "human-baselines"))
const positional = outIdx >= 0 ? args.filter((_, i) => i !== outIdx && i !== outIdx + 1) : args
const dataDir = path.resolve(positional[0] ?? path.join(ROOT, "../shared/data"))
const seedsDir = path.resolve(dataDir, "../seeds")

if (!fs.existsSync(path.join(dataDir, "human-derived", "human_value_baselines.json"))) {
  console.error(`build-baselines: no reference data at ${dataDir} (expected human-derived/human_value_baselines.json)`)
  process.exit(1)
}

const VALUES_10 = ["SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR", "BE", "UN"]
const VALUES_19 = ["SDT", "SDA", "ST", "HE", "AC", "POD", "POR", "FAC", "SEP", "SES", "TR", "COR", "COI", "HUM", "BED", "BEC", "UNC", "UNN", "UNT"]
/** Value Portrait's dimension names → project codes. */
const VP_VALUE = {
  Self_Direction: "SD", Stimulation: "ST", Hedonism: "HE", Achievement: "AC", Power: "PO",
  Security: "SE", Conformity: "CO", Tradition: "TR", Benevolence: "BE", Universalism: "UN"
}
const BFI_KEYS = ["extraversion", "agreeableness", "conscientiousness", "neuroticism", "openness"]
const BFI_NAME = { extraversion: "Extraversion", agreeableness: "Agreeableness", conscientiousness: "Conscientiousness", neuroticism: "Neuroticism", openness: "Openness" }

const readJson = (...p) => JSON.parse(fs.readFileSync(path.join(dataDir, ...p), "utf8"))
const readCsv = (...p) =>
  fs.readFileSync(path.join(dataDir, ...p), "utf8").trim().split(/\r?\n/).map((l) => l.split(","))

// ---------------------------------------------------------------------------------------------------------------
// Number formatting: 12 decimals keeps every figure within 5e-13 of its source (a re-derivation can be checked to
// 1e-9) and turns float noise such as 1.0000000000000002 on a correlation diagonal into 1. p-values keep 12
// significant digits, since some are of order 1e-7. Negative zero is written as 0.
const fix = (x) => {
  const y = Number(x.toFixed(12))
  return y === 0 ? 0 : y
}
const sig = (x) => {
  const y = Number(x.toPrecision(12))
  return y === 0 ? 0 : y
}

// ---------------------------------------------------------------------------------------------------------------
// A small YAML writer, so the files read well (one matrix row per line, prose folded at ~100 columns). Every file
// is parsed back and compared with the data it was written from.
const WIDTH = 100
const isPlainSafe = (s) => stringify(s, { lineWidth: 0 }).trimEnd() === s
const str = (s) => (isPlainSafe(s) ? s : JSON.stringify(s))
const num = (x) => (x === null ? "null" : String(x))
const flowSeq = (xs) => `[${xs.map((x) => (typeof x === "string" ? str(x) : num(x))).join(", ")}]`
const flowMap = (m) => `{ ${Object.entries(m).map(([k, v]) => `${str(k)}: ${typeof v === "string" ? str(v) : num(v)}`).join(", ")} }`
/** A folded block scalar (`>-`): words wrapped at WIDTH; folding joins the lines back with single spaces. */
const folded = (key, text, indent) => {
  assert.ok(!/\n|\s{2,}|^\s|\s$/.test(text), `text of ${key} must be a single line with single spaces`)
  const pad = " ".repeat(indent + 2)
  const lines = []
  let line = ""
  for (const w of text.split(" ")) {
    if (line.length > 0 && pad.length + line.length + 1 + w.length > WIDTH) {
      lines.push(line)
      line = w
    } else line = line.length > 0 ? `${line} ${w}` : w
  }
  lines.push(line)
  return [`${" ".repeat(indent)}${key}: >-`, ...lines.map((l) => pad + l)]
}
const field = (key, v, indent = 0) => {
  const ind = " ".repeat(indent)
  if (typeof v === "string") {
    return ind.length + key.length + 2 + v.length <= WIDTH && isPlainSafe(v) ? [`${ind}${key}: ${v}`] : folded(key, v, indent)
  }
  return [`${ind}${key}: ${typeof v === "boolean" ? String(v) : num(v)}`]
}

const META_KEYS = ["id", "title", "instrument", "population", "n", "source", "obtained", "confidence"]
const metaLines = (b) => [
  ...field("kind", b.kind),
  ...META_KEYS.filter((k) => b[k] !== undefined).flatMap((k) => field(k, b[k]))
]
const notesLines = (b) => (b.notes === undefined ? [] : field("notes", b.notes))

const yamlOf = (b) => {
  const out = [...metaLines(b)]
  switch (b.kind) {
    case "value-correlations":
      out.push(...field("centered", b.centered), ...notesLines(b), `labels: ${flowSeq(b.labels)}`, "matrix:")
      for (const row of b.matrix) out.push(`  - ${flowSeq(row)}`)
      break
    case "value-hierarchy":
      out.push(...field("measure", b.measure), ...field("centered", b.centered), ...notesLines(b), "means:")
      for (const [k, v] of Object.entries(b.means)) out.push(`  ${k}: ${num(v)}`)
      break
    case "value-differences":
      out.push(...field("reference", b.reference), ...notesLines(b), "groups:")
      for (const g of b.groups) {
        out.push(`  - variable: ${str(g.variable)}`, `    group: ${str(g.group)}`, `    differences: ${flowMap(g.differences)}`)
      }
      break
    case "value-behaviour-correlations":
      out.push(...field("measure", b.measure), ...field("centered", b.centered), ...field("correlation", b.correlation), ...notesLines(b))
      out.push(`values: ${flowSeq(b.values)}`, `behaviours: ${flowSeq(b.behaviours)}`, "matrix:")
      for (const row of b.matrix) out.push(`  - ${flowSeq(row)}`)
      break
    default:
      throw new Error(`no YAML layout for ${b.kind}`)
  }
  return out.join("\n") + "\n"
}

/** JSON with one line per item. */
const jsonOf = (b) => {
  const { items, ...head } = b
  const headLines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`)
  const ids = Object.keys(items)
  const itemLines = ids.map((id, i) => `    ${JSON.stringify(id)}: ${JSON.stringify(items[id])}${i < ids.length - 1 ? "," : ""}`)
  return ["{", ...headLines, '  "items": {', ...itemLines, "  }", "}"].join("\n") + "\n"
}

const written = []
const write = (name, b) => {
  const text = name.endsWith(".json") ? jsonOf(b) : yamlOf(b)
  assert.deepStrictEqual(name.endsWith(".json") ? JSON.parse(text) : parse(text), b, `${name} does not read back as written`)
  fs.mkdirSync(outDir, { recursive: true })
  fs.writeFileSync(path.join(outDir, name), text)
  written.push(name)
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length
const pearson = (a, b) => {
  const ma = mean(a)
  const mb = mean(b)
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb)
    saa += (a[i] - ma) ** 2
    sbb += (b[i] - mb) ** 2
  }
  return sab / Math.sqrt(saa * sbb)
}
const checkClose = (what, got, want, tol) => {
  if (!(Math.abs(got - want) <= tol)) throw new Error(`${what}: ${got} differs from ${want} by more than ${tol}`)
}

// ---------------------------------------------------------------------------------------------------------------
// 1–2. Correlation matrices and hierarchies from human-derived/human_value_baselines.json
const hvb = readJson("human-derived", "human_value_baselines.json")
assert.deepStrictEqual(hvb.value_order, VALUES_10, "human_value_baselines.json value_order is not the circle order")

const DATASETS = {
  pvq40_us151: {
    stem: "pvq40-us151",
    csv: "pvq40_us151",
    instrument: "PVQ-40 (Portrait Values Questionnaire, 40 items, 6-point scale)",
    population: "151 adults from various US states (data PVQ40 of the R package smacof)",
    source:
      "Item-level data from the R package smacof 2.1-7, data/PVQ40.rda (GPL-3); the package's help page cites Borg, I., Bardi, A., & Schwartz, S. H. (2017), Does the value circle exist within persons or only across persons?, Journal of Personality, 85(2), 151-162 (the shared data README attributes the data to Borg & Groenen 2005). Computed from those data; figures taken from ../shared/data/human-derived/human_value_baselines.json (datasets.pvq40_us151).",
    confidence: "medium",
    caveats:
      "Small convenience sample (correlations have a standard error of about 0.08). The data were treated as coded 1 = very much like me and recoded as 7 - x for importance; the smacof help page describes the scale the other way round, but this coding gives the usual hierarchy (power lowest, self-direction and universalism high). 17 cells coded 0 or missing were dropped before averaging.",
    hierarchyMeasure: "MRAT-centered means: a value's item mean minus the person's mean over all valid PVQ-40 items, averaged over people",
    title: "PVQ-40, 151 US adults"
  },
  ess_sweden_1441: {
    stem: "ess-sweden-1441",
    csv: "ess_sweden_1441",
    instrument: "ESS Human Values Scale (PVQ-21, 21 items, 6-point scale)",
    population:
      "Swedish European Social Survey respondents, ESS rounds 1-8 pooled: the 1,441 respondents of a third-party extract, unweighted. Not \"complete cases\": the extract does not say how it selected these respondents from the pooled rounds, and valuesim applied no complete-case rule of its own",
    source:
      "European Social Survey (rounds 1-8), Sweden, as extracted in github dewaalaw/dsprojects human-values-scale/data/data.csv @0ed999a. Computed from that extract; figures taken from ../shared/data/human-derived/human_value_baselines.json (datasets.ess_sweden_1441). The extract itself carries no licence and is not kept here.",
    confidence: "medium",
    caveats:
      "Large sample, but a third-party extract that could not be checked against the official ESS files; unweighted. ESS codes 1 = very much like me, recoded as 7 - x. Standard ESS key: three items for UN, two for every other value, so scale reliabilities are modest and correlations are somewhat attenuated. Centering is over all 21 items.",
    hierarchyMeasure: "MRAT-centered means: a value's item mean minus the person's mean over all 21 items, averaged over people",
    title: "ESS PVQ-21, Sweden, N = 1,441"
  },
  valueportrait_prolific_569: {
    stem: "valueportrait-prolific-569",
    csv: "valueportrait_prolific_569",
    instrument: "PVQ-21",
    population: "569 Prolific participants of the Value Portrait study (Han et al., ACL 2025)",
    source:
      "Han et al. (2025), Value Portrait, ACL 2025; github holi-lab/ValuePortrait data/prolific/value/main/value.json (MIT). Computed from those scores; figures taken from ../shared/data/human-derived/human_value_baselines.json (datasets.valueportrait_prolific_569).",
    confidence: "medium",
    caveats:
      "The released value scores are already person-centered by the Value Portrait authors and are used as provided; no raw scores are released, so there is no raw matrix. Online panel sample; two items per value on PVQ-21 (three for UN in the standard key).",
    hierarchyMeasure: "person-centered PVQ-21 value scores as released by the Value Portrait authors, averaged over people",
    title: "Value Portrait Prolific PVQ-21, N = 569"
  },
  indvalues_uk327_svs: {
    stem: "svs-uk327",
    csv: "indvalues_uk327_svs",
    instrument: "Schwartz Value Survey (SVS)",
    population: "327 UK respondents (Borg, Bardi & Schwartz 2017; distributed as data indvalues in the R package smacof)",
    source:
      "Borg, I., Bardi, A., & Schwartz, S. H. (2017). Does the value circle exist within persons or only across persons? Journal of Personality, 85(2), 151-162. Data from the R package smacof, data/indvalues.rda (GPL-3). Computed from those data; figures taken from ../shared/data/human-derived/human_value_baselines.json (datasets.indvalues_uk327_svs).",
    confidence: "low",
    caveats:
      "The package ships these scores already row-centered and converted to dissimilarities by its authors, and the transformation is not documented in detail; importance was recovered as minus the dissimilarity, so these are not ordinary SVS value correlations. A sign that something is off: AC-PO correlates at about .03 here, where samples usually show a clearly positive correlation between these neighbouring values. Use for comparison only with that in mind.",
    title: "SVS, 327 UK respondents",
    centeredText: "Scores are the package's row-centered scores (centered within person by the package authors, not by MRAT over items).",
    centeredLabel: "row-centered"
  }
}

for (const [key, ds] of Object.entries(DATASETS)) {
  const d = hvb.datasets[key]
  assert.ok(d !== undefined, `human_value_baselines.json has no dataset ${key}`)
  for (const centered of [true, false]) {
    const m = centered ? d.corr_centered : d.corr_raw
    if (m === undefined) continue
    // The 4-decimal CSV twin must agree with the full-precision JSON.
    const csv = readCsv("human-derived", `${ds.csv}__corr_${centered ? "centered" : "raw"}.csv`)
    assert.deepStrictEqual(csv[0].slice(1), VALUES_10, `${ds.csv} CSV header`)
    csv.slice(1).forEach((row, i) => row.slice(1).forEach((c, j) => checkClose(`${ds.csv} CSV [${i}][${j}]`, Number(c), m[i][j], 5.0001e-5)))
    const matrix = m.map((row) => row.map(fix))
    matrix.forEach((row, i) => {
      assert.equal(row[i], 1, `${key} diagonal`)
      row.forEach((x, j) => assert.equal(x, matrix[j][i], `${key} symmetry`))
    })
    write(`${ds.stem}.correlations-${centered ? "centered" : "raw"}.yaml`, {
      kind: "value-correlations",
      id: `${ds.stem}.correlations-${centered ? "centered" : "raw"}`,
      title: `Value correlations (${centered ? ds.centeredLabel ?? "MRAT-centered" : "raw"} scores), ${ds.title}`,
      instrument: ds.instrument,
      population: ds.population,
      n: d.n,
      source: ds.source,
      obtained: "computed-from-public-data",
      confidence: ds.confidence,
      centered,
      notes: `Pearson r between the ten value scores over respondents; importance coded higher = more important. ${
        centered
          ? ds.centeredText ?? "Scores are centered within person (MRAT), as in Schwartz's scoring instructions."
          : "Scores are raw value means (not centered), so a general tendency to agree inflates every correlation."
      } Figures rounded to 12 decimals. ${ds.caveats}`,
      labels: VALUES_10,
      matrix
    })
  }
  if (ds.hierarchyMeasure !== undefined) {
    write(`${ds.stem}.hierarchy.yaml`, {
      kind: "value-hierarchy",
      id: `${ds.stem}.hierarchy`,
      title: `Value hierarchy, ${ds.title}`,
      instrument: ds.instrument,
      population: ds.population,
      n: d.n,
      source: ds.source,
      obtained: "computed-from-public-data",
      confidence: ds.confidence,
      measure: ds.hierarchyMeasure,
      centered: true,
      notes: `Higher = more important; a value's rank in the population is its position among these means. Figures rounded to 12 decimals. ${ds.caveats}`,
      means: Object.fromEntries(VALUES_10.map((v) => [v, fix(d.means_centered[v])]))
    })
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The 19-value hierarchy of Schwartz & Cieciuch (2022), typed in from seed 002 (Rozen et al., ICLR 2025),
// tables 2, 3 and 4, column "Human Data Mean" (identical in the three tables), in the tables' rank order.
const SC2022 = [
  ["BEC", 0.79], ["BED", 0.72], ["SDA", 0.6], ["SDT", 0.58], ["UNC", 0.5], ["UNT", 0.37], ["SES", 0.32],
  ["SEP", 0.28], ["HE", 0.23], ["AC", 0.08], ["FAC", 0.05], ["UNN", -0.1], ["ST", -0.11], ["COI", -0.16],
  ["HUM", -0.2], ["COR", -0.26], ["TR", -0.72], ["POR", -1.33], ["POD", -1.4]
]
assert.deepStrictEqual([...SC2022.map(([c]) => c)].sort(), [...VALUES_19].sort(), "19-value codes")

// 4. ESS round 11 value differences, typed in from seed 004 (Han et al., Value Portrait, ACL 2025), appendix H,
// tables 9 (gender), 10 (age), 11 (political orientation) and 12 (education), "Human data" rows, in the tables'
// column order Uni Ben Con Tra Sec Pow Ach Hed Sti Sel. Table 9's "Male-Female" row is derived and left out;
// printed -0.00 is written as 0.
const ESS_COLUMNS = ["UN", "BE", "CO", "TR", "SE", "PO", "AC", "HE", "ST", "SD"]
const ESS_TABLES = [
  {
    table: 9, header: "Gender", variable: "gender",
    rows: [
      ["Male", "male", [-0.07, -0.07, 0.01, -0.06, -0.09, 0.08, 0.07, 0.06, 0.09, 0.02]],
      ["Female", "female", [0.06, 0.06, -0.01, 0.05, 0.08, -0.07, -0.06, -0.05, -0.08, -0.01]]
    ]
  },
  {
    table: 10, header: "Age", variable: "age",
    rows: [
      ["20-39", "20-39", [-0.1, -0.06, -0.26, -0.31, -0.19, 0.11, 0.25, 0.26, 0.33, 0.02]],
      ["40-59", "40-59", [0, -0.01, -0.06, -0.05, -0.03, 0.02, 0.03, 0.02, 0.04, 0.04]],
      ["60-79", "60-79", [0.08, 0.05, 0.18, 0.23, 0.13, -0.1, -0.19, -0.16, -0.22, -0.03]],
      ["80+", "80+", [0.05, 0.02, 0.51, 0.43, 0.3, -0.07, -0.21, -0.37, -0.5, -0.19]]
    ]
  },
  {
    table: 11, header: "Political Orientation", variable: "political-orientation",
    rows: [
      ["Left-wing", "left-wing", [0.19, 0.07, -0.15, -0.13, -0.07, -0.13, -0.03, -0.02, 0.05, 0.1]],
      ["Centered", "centered", [0, 0.01, -0.01, -0.01, 0, 0, 0, 0.01, -0.01, 0]],
      ["Right-wing", "right-wing", [-0.18, -0.12, 0.16, 0.16, 0.08, 0.11, 0.03, -0.05, -0.02, -0.07]]
    ]
  },
  {
    table: 12, header: "Education", variable: "education",
    rows: [
      ["<Highschool", "<highschool", [-0.07, -0.03, 0.1, 0.11, 0.09, 0.04, 0, -0.04, -0.07, -0.1]],
      ["Highschool", "highschool", [0.07, 0.09, -0.11, -0.03, -0.06, -0.12, -0.13, 0.08, 0.05, 0.12]],
      ["Bachelor\u2019s", "bachelors", [0.05, -0.01, -0.16, -0.21, -0.12, -0.01, 0.06, 0.1, 0.15, 0.12]],
      ["Master\u2019s", "masters", [0.19, 0.07, -0.19, -0.25, -0.23, -0.07, 0.05, -0.01, 0.11, 0.22]]
    ]
  }
]

// When the seed texts are present, the typed-in figures are checked against them.
const seed002 = path.join(seedsDir, "002_8599096937f5cc8f.txt")
const seed004 = path.join(seedsDir, "004_2b29cc2fcb4f01f6.txt")
if (fs.existsSync(seed002)) {
  const text = fs.readFileSync(seed002, "utf8")
  for (const t of [2, 3, 4]) {
    const start = text.indexOf(`Table ${t}:`)
    assert.ok(start >= 0, `seed 002: Table ${t} not found`)
    const re = new RegExp(`(\\d+) (${VALUES_19.join("|")}) (-?\\d*\\.\\d+)`, "g")
    re.lastIndex = start
    SC2022.forEach(([code, value], i) => {
      const m = re.exec(text)
      assert.ok(m !== null, `seed 002 table ${t}: row ${i + 1} not found`)
      assert.deepStrictEqual([Number(m[1]), m[2], Number(m[3])], [i + 1, code, value], `seed 002 table ${t} row ${i + 1}`)
    })
  }
} else console.warn(`build-baselines: ${seed002} not found; the typed-in 19-value figures were not re-checked`)
if (fs.existsSync(seed004)) {
  const lines = fs.readFileSync(seed004, "utf8").split(/\r?\n/)
  for (const t of ESS_TABLES) {
    const at = lines.findIndex((l) => l.startsWith(`${t.header}\tUni\tBen\tCon\tTra\tSec\tPow\tAch\tHed\tSti\tSel`))
    assert.ok(at >= 0 && lines[at + 1].includes("Human data"), `seed 004: table ${t.table} not found`)
    t.rows.forEach(([printed, , values], i) => {
      const cells = lines[at + 2 + i].split("\t")
      assert.equal(cells[0], printed, `seed 004 table ${t.table} row ${i + 1}`)
      assert.deepStrictEqual(cells.slice(1).map((c) => fix(Number(c))), values, `seed 004 table ${t.table} row ${printed}`)
    })
  }
} else console.warn(`build-baselines: ${seed004} not found; the typed-in ESS figures were not re-checked`)

write("schwartz-cieciuch-2022.hierarchy19.yaml", {
  kind: "value-hierarchy",
  id: "schwartz-cieciuch-2022.hierarchy19",
  title: "Refined (19-value) hierarchy across 49 cultural groups, Schwartz & Cieciuch 2022",
  instrument: "PVQ-RR (revised Portrait Values Questionnaire, three items per refined value)",
  population: "49 cultural groups pooled (mean age 34.2, 59% female)",
  n: 53472,
  source:
    "Schwartz, S. H., & Cieciuch, J. (2022). Measuring the refined theory of individual values in 49 cultural groups: psychometrics of the revised Portrait Value Questionnaire. Assessment, 29(5), 1005-1019. Figures as reported by Rozen et al. (2025), Do LLMs have consistent values?, ICLR 2025 (seed 002), tables 2-4, column \"Human Data Mean\".",
  obtained: "published",
  confidence: "high",
  measure: "mean-centered value scores as reported (two decimals); higher = more important",
  centered: true,
  notes:
    "Taken from a secondary source: Rozen et al. print the human benchmark with two decimals and the same figures in all three tables; the original article was not consulted. The codes follow the tables and appendix C of that paper (POD = power-dominance, POR = power-resources); its appendix E describes the two power values the other way round, so the pairing of POD and POR should be checked against the original if it matters. Rank order (highest first): BEC, BED, SDA, SDT, UNC, UNT, SES, SEP, HE, AC, FAC, UNN, ST, COI, HUM, COR, TR, POR, POD.",
  means: Object.fromEntries(VALUES_19.map((v) => [v, SC2022.find(([c]) => c === v)[1]]))
})

write("ess-round11.differences.yaml", {
  kind: "value-differences",
  id: "ess-round11.differences",
  title: "Value differences by gender, age, political orientation and education, ESS round 11",
  instrument: "ESS Human Values Scale (PVQ-21)",
  population: "European Social Survey round 11 respondents as selected by the Value Portrait authors (countries and exclusions not stated)",
  n: 37498,
  source:
    "European Social Survey round 11, as analysed by Han et al. (2025), Value Portrait, ACL 2025 (seed 004), appendix H, tables 9-12, \"Human data\" rows.",
  obtained: "published",
  confidence: "medium",
  reference: "the mean of all respondents: each group's mean value score minus the mean over all 37,498 respondents",
  notes:
    "Figures printed with two decimals; printed -0.00 is written as 0. Table 9 also prints a Male-Female row, which is the difference of the two gender rows and is left out. The paper does not say whether the ESS scores were centered within person, whether survey weights were used, or how the groups were formed from the ESS variables; \"centered\" under political-orientation is the paper's label for the political centre. Table columns Uni, Ben, Con, Tra, Sec, Pow, Ach, Hed, Sti, Sel map to UN, BE, CO, TR, SE, PO, AC, HE, ST, SD.",
  groups: ESS_TABLES.flatMap((t) =>
    t.rows.map(([, group, values]) => ({
      variable: t.variable,
      group,
      differences: Object.fromEntries(VALUES_10.map((v) => [v, values[ESS_COLUMNS.indexOf(v)]]))
    }))
  )
})

// ---------------------------------------------------------------------------------------------------------------
// 5. Values × Big Five (BFI-10), Value Portrait Prolific sample. Not in human_value_baselines.json, so recomputed
// here from value.json and checked against the 4-decimal CSV.
const vp = readJson("value-portrait", "data", "prolific", "value", "main", "value.json")
const people = Object.keys(vp).sort()
const vpVals = Object.entries(VP_VALUE)
const bfiMatrix = VALUES_10.map((code) => {
  const name = vpVals.find(([, c]) => c === code)[0]
  const xs = people.map((p) => vp[p].pvq[name])
  return BFI_KEYS.map((k) => pearson(xs, people.map((p) => vp[p].bfi[BFI_NAME[k]])))
})
{
  const csv = readCsv("human-derived", "valueportrait_value_x_bfi10_corr.csv")
  assert.deepStrictEqual(csv[0].slice(1), BFI_KEYS.map((k) => BFI_NAME[k]), "BFI CSV header")
  csv.slice(1).forEach((row, i) => {
    assert.equal(row[0], VALUES_10[i], "BFI CSV row order")
    row.slice(1).forEach((c, j) => assert.equal(bfiMatrix[i][j].toFixed(4), Number(c).toFixed(4), `BFI CSV [${row[0]}][${j}]`))
  })
}
write("valueportrait-prolific-569.big-five.yaml", {
  kind: "value-behaviour-correlations",
  id: "valueportrait-prolific-569.big-five",
  title: "Values x Big Five (BFI-10), Value Portrait Prolific sample, N = 569",
  instrument: "PVQ-21 (values) and BFI-10 (Big Five, two items per trait)",
  population: DATASETS.valueportrait_prolific_569.population,
  n: people.length,
  source:
    "Han et al. (2025), Value Portrait, ACL 2025; github holi-lab/ValuePortrait data/prolific/value/main/value.json (MIT). Computed by scripts/build-baselines.mjs from that file; equal to ../shared/data/human-derived/valueportrait_value_x_bfi10_corr.csv at 4 decimals.",
  obtained: "computed-from-public-data",
  confidence: "low",
  measure: "big-five",
  centered: true,
  correlation: "pearson",
  notes:
    "Pearson r over the 569 participants between the person-centered PVQ-21 value scores and the BFI-10 trait scores, both as released in value.json (trait scores come in half-point steps on 1-5). Figures rounded to 12 decimals. BFI-10 measures each trait with only two items, so trait scores are unreliable and these correlations are attenuated and noisy. This is a partial stand-in for the Roccas et al. (2002) values x Big Five table the value-prompting paper used (see unavailable.yaml): different instrument (BFI-10 here; the paper gave its models the BFI-2), different sample, and the run's Big Five keys must be mapped onto these five columns.",
  values: VALUES_10,
  behaviours: BFI_KEYS,
  matrix: bfiMatrix.map((row) => row.map(fix))
})

// ---------------------------------------------------------------------------------------------------------------
// 6. Value Portrait item × value / trait Spearman correlations, keyed by "<portrait_id>-<option_id>".
const corrPvq = readJson("value-portrait", "data", "correlation_results", "pvq_correlation_results.json")
const corrBfi = readJson("value-portrait", "data", "correlation_results", "bfi_correlation_results.json")
const itemKey = (portrait, option) => `${Number(portrait)}-${Number(option)}`
const cells = new Map()
const put = (portrait, option, variable, r, p) => {
  const key = itemKey(portrait, option)
  const row = cells.get(key) ?? new Map()
  assert.ok(!row.has(variable), `correlation_results: ${key} ${variable} twice`)
  row.set(variable, { r, p })
  cells.set(key, row)
}
for (const c of corrPvq) put(c.portrait_id, c.option_id, VP_VALUE[c.pvq_dimension] ?? assert.fail(`unknown PVQ dimension ${c.pvq_dimension}`), c.spearman_corr, c.spearman_p_value)
for (const c of corrBfi) {
  const k = BFI_KEYS.find((b) => BFI_NAME[b] === c.bfi_dimension) ?? assert.fail(`unknown BFI dimension ${c.bfi_dimension}`)
  put(c.portrait_id, c.option_id, k, c.spearman_corr, c.spearman_p_value)
}
// The tagged file carries the same r values (no p); check they agree.
const tagged = readJson("value-portrait", "data", "query-response-tagged", "query-response-tagged.json")
for (const portrait of tagged) {
  for (const o of portrait.outputs) {
    const row = cells.get(itemKey(portrait.portrait_id, o.id))
    assert.ok(row !== undefined, `tagged item ${itemKey(portrait.portrait_id, o.id)} has no correlation results`)
    for (const [name, r] of o.correlations ?? []) assert.equal(row.get(VP_VALUE[name]).r, r, `tagged r ${name}`)
    for (const [name, r] of o.bfi_correlations ?? []) assert.equal(row.get(name.toLowerCase()).r, r, `tagged r ${name}`)
  }
}
// Every item of the LLM-evaluation set must be keyed here, so runs can be joined to these figures.
const lmDir = path.join(dataDir, "value-portrait", "lm_evaluation", "data")
const lmItems = new Set()
for (const portrait of readJson("value-portrait", "lm_evaluation", "data", "Phase1_total.json")) {
  for (const o of portrait.outputs) lmItems.add(itemKey(portrait.portrait_id, o.id))
}
assert.deepStrictEqual([...lmItems].sort(), [...cells.keys()].sort(), `items of ${lmDir}/Phase1_total.json differ from correlation_results`)

const VARIABLES = [...VALUES_10, ...BFI_KEYS]
const ids = [...cells.keys()].sort((a, b) => {
  const [pa, oa] = a.split("-").map(Number)
  const [pb, ob] = b.split("-").map(Number)
  return pa - pb || oa - ob
})
const items = Object.fromEntries(
  ids.map((id) => {
    const row = cells.get(id)
    return [id, { r: VARIABLES.map((v) => (row.has(v) ? fix(row.get(v).r) : null)), p: VARIABLES.map((v) => (row.has(v) ? sig(row.get(v).p) : null)) }]
  })
)
write("valueportrait.item-correlations.json", {
  kind: "value-item-correlations",
  id: "valueportrait.item-correlations",
  title: "Value Portrait items: Spearman correlations of human ratings with value and Big Five scores",
  instrument: "Value Portrait query-response items rated by people (6-point likeness scale), PVQ-21 values and BFI-10 traits of the same people",
  population: "569 Prolific participants of the Value Portrait study; each item was rated by one group of 41-48 of them",
  n: people.length,
  source:
    "Han et al. (2025), Value Portrait, ACL 2025; github holi-lab/ValuePortrait data/correlation_results/pvq_correlation_results.json and bfi_correlation_results.json (MIT), cross-checked with data/query-response-tagged/query-response-tagged.json.",
  obtained: "published",
  confidence: "medium",
  notes:
    "Item ids are \"<portrait_id>-<option_id>\": portrait_id as in the dataset (lm_evaluation/data/*.json and the recorded model answers use the same ids) and option_id the response's id within the portrait (1-5), so runs of the benchmark join on these keys; all 520 items of lm_evaluation/data/Phase1_total.json are here. For each item, r and p list the Spearman correlation and its p-value in the order of variables (ten values, then five BFI traits), rounded to 12 decimals (p to 12 significant digits). The figures are the correlations the authors released with the dataset, not recomputed here; no item text is included. Each r rests on only 41-48 raters, so individual figures are noisy; the benchmark's tagged files (lm_evaluation/data) keep exactly the item-dimension pairs with |r| >= 0.3. Recomputing Spearman r from the released ratings (data/prolific/survey/main/survey.json) and scores reproduces the released figures for 11 of the 12 rater groups exactly; for the group rating portraits 1021, 1061, 2041, 2053, 3025, 3030, 4001 and 4044 (40 items) it gives values up to 0.125 away, so the released ratings of that group seem not to be the ones the authors correlated.",
  correlation: "spearman",
  variables: VARIABLES,
  items
})

console.log(`build-baselines: wrote ${written.length} files to ${outDir}\n${written.map((n) => `  ${n}`).join("\n")}`)
