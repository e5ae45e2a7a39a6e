import { describe, expect, it } from "vitest"
import { circularityOf } from "../../src/analysis/analyzeRun.js"

describe("circularityOf", () => {
  it("flags a shipped baseline of the shares' sample (<dataset>.<kind>) and a derived one (<id>-<output>), nothing else", () => {
    expect(circularityOf("ess_sweden_1441", "ess-sweden-1441.hierarchy", "hierarchy")).toMatch(/^circular/)
    // What `valuesim baseline derive` writes for a mapping with id my-sample.
    expect(circularityOf("my-sample", "my-sample-hierarchy", "hierarchy")).toMatch(/^circular: .*\(my-sample\)/)
    expect(circularityOf("my-sample", "my-sample-correlations-centered", "structure")).toMatch(/^partly circular/)
    expect(circularityOf("my-sample", "my-sample-values-x-big-five", "structure")).not.toBeNull()
    expect(circularityOf("my-sample", "my-sample-other-hierarchy", "hierarchy")).toBeNull()
    expect(circularityOf("ess", "ess-round11.differences", "structure")).toBeNull()
    expect(circularityOf(null, "my-sample-hierarchy", "hierarchy")).toBeNull()
  })
})
