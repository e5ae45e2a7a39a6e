import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect } from "effect"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { loadFile } from "../../src/config/loadFile.js"
import { PromptsFileSchema } from "../../src/config/PopulationFile.js"
import { VALUES_10 } from "../../src/domain/values.js"
import { ROOT } from "../helpers/cli.js"

/** The project's paraphrase sets of the value prompts: complete, cited, and really reworded. */

const load = (name: string) => Effect.runPromise(loadFile(PromptsFileSchema, path.join(ROOT, "populations", "prompts", name)).pipe(Effect.provide(NodeContext.layer)))
const words = (s: string) => s.toLowerCase().replace(/[^a-z\s-]/g, " ").split(/\s+/).filter((w) => w.length > 0)
/** Runs of `n` consecutive words that two texts share. */
const sharedRuns = (a: string, b: string, n: number) => {
  const grams = (ws: Array<string>) => new Set(ws.slice(0, Math.max(0, ws.length - n + 1)).map((_, i) => ws.slice(i, i + n).join(" ")))
  const gb = grams(words(b))
  return [...grams(words(a))].filter((g) => gb.has(g))
}

describe("value-prompt paraphrases", () => {
  const SETS = ["value-prompting-paraphrase-1.yaml", "value-prompting-paraphrase-2.yaml", "value-prompting-paraphrase-3.yaml"]

  it("each set has all ten values, cites its origin, and rewords every base prompt", async () => {
    const base = await load("value-prompting.yaml")
    const sets = await Promise.all(SETS.map(load))
    for (const set of sets) {
      expect(Object.keys(set.values ?? {}).sort()).toEqual([...VALUES_10].sort())
      expect(set.citation).toMatch(/valuesim's own paraphrases/)
      expect(set.citation).toMatch(/appendix A/)
      expect(set.none ?? "").toBe("")
      for (const v of VALUES_10) {
        const text = set.values?.[v] ?? ""
        expect(text).not.toBe(base.values?.[v])
        // No run of six words copied from the base wording (the appendix's list of the value's aspects is
        // allowed to share shorter runs such as "social justice, equality").
        expect(sharedRuns(text, base.values?.[v] ?? "", 6), `${set.id} ${v}`).toEqual([])
      }
    }
    // The three sets differ from each other too.
    for (const v of VALUES_10) expect(new Set(sets.map((s) => s.values?.[v])).size).toBe(3)
  })
})
