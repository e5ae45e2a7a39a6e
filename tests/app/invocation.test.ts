import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { commandFor } from "../../src/app/invocation.js"

/** A fake clone (package.json, bin/valuesim.js), a global bin folder and an unrelated folder, in a temp dir. */
const layout = () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-invocation-")))
  const clone = path.join(root, "clone")
  fs.mkdirSync(path.join(clone, "bin"), { recursive: true })
  fs.mkdirSync(path.join(clone, "runs", "r1"), { recursive: true })
  fs.writeFileSync(path.join(clone, "package.json"), '{"name":"valuesim","bin":{"valuesim":"bin/valuesim.js"}}')
  const script = path.join(clone, "bin", "valuesim.js")
  fs.writeFileSync(script, "")
  const globalBin = path.join(root, "global-bin")
  fs.mkdirSync(globalBin)
  const elsewhere = path.join(root, "elsewhere")
  fs.mkdirSync(elsewhere)
  const project = path.join(root, "project")
  fs.mkdirSync(path.join(project, "node_modules", ".bin"), { recursive: true })
  return { root, clone, script, globalBin, elsewhere, project }
}

describe("the command printed in hints", () => {
  it("is `npx valuesim` inside a clone (also in a subfolder), whatever the PATH holds", () => {
    const l = layout()
    expect(commandFor({ script: l.script, cwd: l.clone, pathVariable: "/usr/bin" })).toBe("npx valuesim")
    expect(commandFor({ script: l.script, cwd: path.join(l.clone, "runs", "r1"), pathVariable: undefined })).toBe("npx valuesim")
  })

  it("is `valuesim` when PATH leads to this very script (global install or npm link), from anywhere", () => {
    const l = layout()
    fs.symlinkSync(l.script, path.join(l.globalBin, "valuesim"))
    const PATH = ["/usr/bin", l.globalBin].join(path.delimiter)
    expect(commandFor({ script: path.join(l.globalBin, "valuesim"), cwd: l.elsewhere, pathVariable: PATH })).toBe("valuesim")
    expect(commandFor({ script: l.script, cwd: l.clone, pathVariable: PATH })).toBe("valuesim")
  })

  it("is not `valuesim` when the valuesim on PATH is another copy", () => {
    const l = layout()
    fs.writeFileSync(path.join(l.globalBin, "valuesim"), "")
    expect(commandFor({ script: l.script, cwd: l.clone, pathVariable: l.globalBin })).toBe("npx valuesim")
  })

  it("is `npx valuesim` in a project that depends on valuesim (its node_modules/.bin links the script)", () => {
    const l = layout()
    const bin = path.join(l.project, "node_modules", ".bin")
    fs.symlinkSync(l.script, path.join(bin, "valuesim"))
    expect(commandFor({ script: path.join(bin, "valuesim"), cwd: l.project, pathVariable: bin })).toBe("npx valuesim")
    // The same .bin folder on PATH means nothing outside that project.
    expect(commandFor({ script: l.script, cwd: l.elsewhere, pathVariable: bin })).toBe(`node ${path.relative(l.elsewhere, l.script)}`)
  })

  it("is `node <path>` when the script was started by path from outside its clone", () => {
    const l = layout()
    expect(commandFor({ script: l.script, cwd: l.elsewhere, pathVariable: "" })).toBe("node ../clone/bin/valuesim.js")
    expect(commandFor({ script: l.script, cwd: l.root, pathVariable: "" })).toBe("node ./clone/bin/valuesim.js")
  })
})
