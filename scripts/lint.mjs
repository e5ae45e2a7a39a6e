// House rules that a type checker cannot see (STYLE.md §2.3, §2.9): pure folders import no effects or I/O,
// no hidden nondeterminism outside the UI, no focused tests. Prints every violation; exit 1 if any.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|tsx)$/.test(name) ? [p] : []
  })

const PURE = ["src/stats/", "src/sampling/", "src/domain/"]
const BANNED_IN_PURE = /^(effect|@effect\/|openai|better-sqlite3|react|ink|node:)/
const problems = []
for (const file of walk("src")) {
  const text = readFileSync(file, "utf8")
  const imports = [...text.matchAll(/^\s*import\s[^"']*["']([^"']+)["']/gm)].map((m) => m[1])
  if (PURE.some((p) => file.startsWith(p))) {
    for (const i of imports) if (BANNED_IN_PURE.test(i)) problems.push(`${file}: pure module imports "${i}"`)
  }
  if (file.startsWith("src/ui/components/")) {
    for (const i of imports) if (/^(effect|@effect\/)/.test(i)) problems.push(`${file}: UI component imports "${i}"`)
  }
  if (!file.startsWith("src/ui/")) {
    text.split("\n").forEach((line, n) => {
      if (/Math\.random\(|Date\.now\(/.test(line) && !line.trim().startsWith("//") && !line.trim().startsWith("*"))
        problems.push(`${file}:${n + 1}: nondeterminism (use src/sampling streams or Effect's Clock)`)
    })
  }
}
for (const file of walk("tests")) {
  const text = readFileSync(file, "utf8")
  if (/\b(it|test|describe)\.only\(/.test(text)) problems.push(`${file}: focused test (.only)`)
}
if (problems.length > 0) {
  console.error(problems.join("\n"))
  process.exit(1)
}
console.log("lint: ok")
