import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { stringify } from "yaml"
import { loadQuestionnaire } from "../../src/config/QuestionnaireFile.js"
import { ROOT, lastJson, runCli, tempDir } from "../helpers/cli.js"

/**
 * A user's licensed official instrument goes into the same questionnaire format. The PVQ-40 items of
 * ValueBench (../shared/data/valuebench, MIT; instrument copyright stays with its authors) stand in for such a
 * copy: converted on the fly into a temp file, never committed.
 */
const VALUEBENCH = path.resolve(ROOT, "../shared/data/valuebench/value_orientation.csv")
const available = fs.existsSync(VALUEBENCH)

const NAME_TO_CODE: Record<string, string> = {
  "Self-Direction": "SD", Stimulation: "ST", Hedonism: "HE", Achievement: "AC", Power: "PO",
  Security: "SE", Conformity: "CO", Tradition: "TR", Benevolence: "BE", Universalism: "UN"
}

/** Minimal RFC 4180 reader (quoted fields with commas and doubled quotes). */
const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ",") {
      row.push(field)
      field = ""
    } else if (c === "\n") {
      row.push(field)
      rows.push(row)
      row = []
      field = ""
    } else if (c !== "\r") field += c
  }
  if (field.length > 0 || row.length > 0) rows.push([...row, field])
  return rows
}

describe.skipIf(!available)("loading a user-supplied official instrument (PVQ-40 from ValueBench)", () => {
  it("loads the 40 items in the questionnaire format and runs them", async () => {
    const rows = parseCsv(fs.readFileSync(VALUEBENCH, "utf8")).filter((r) => r[0] === "PVQ40")
    expect(rows).toHaveLength(40)
    const counts = new Map<string, number>()
    const items = rows.map((r) => {
      const code = NAME_TO_CODE[r[2]!]!
      counts.set(code, (counts.get(code) ?? 0) + 1)
      return { id: `${code}${counts.get(code)}`, subscale: r[2]!, text: r[1]!.trim() }
    })
    const dir = tempDir("pvq40")
    const file = path.join(dir, "pvq40.yaml")
    fs.writeFileSync(
      file,
      stringify({
        kind: "questionnaire",
        id: "pvq40",
        title: "PVQ-40 (user-supplied licensed copy)",
        source: "Schwartz et al. (2001); loaded from the user's own copy",
        scale: ["Not like me at all", "Not like me", "A little like me", "Somewhat like me", "Like me", "Very much like me"].map((label, i) => ({ value: i + 1, label })),
        items
      })
    )
    const q = await Effect.runPromise(loadQuestionnaire(file).pipe(Effect.provide(NodeContext.layer)))
    expect(q.items).toHaveLength(40)
    expect(new Set(q.items.map((i) => i.subscale)).size).toBe(10)
    expect(q.items.every((i) => i.subscale in Object.fromEntries(Object.values(NAME_TO_CODE).map((c) => [c, 1])))).toBe(true)
    expect(q.scoring).toBe("mrat")
    expect(q.prompts.item).toContain("{item}")

    const r = await runCli(["run", file, "--agents", "20", "--seed", "1", "--runs-dir", dir, "--json"])
    expect(r.code, r.stderr).toBe(0)
    expect(lastJson(r.stdout)["answers"]).toBe(20 * 40)
  })
})
