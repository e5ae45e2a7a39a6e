// Checks that package-lock.json records exactly the dependencies package.json asks for, and names every
// one that differs. Run by .ci/run before `npm ci`, whose own message for this case is long and vague.
import { readFileSync } from "node:fs"

const pkg = JSON.parse(readFileSync("package.json", "utf8"))
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"))
const root = lock.packages?.[""] ?? {}
const problems = []
for (const field of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
  const want = pkg[field] ?? {}
  const have = root[field] ?? {}
  for (const [name, range] of Object.entries(want)) {
    if (!(name in have)) problems.push(`${field}.${name}: in package.json (${range}) but not in package-lock.json`)
    else if (have[name] !== range) problems.push(`${field}.${name}: package.json asks ${range}, package-lock.json has ${have[name]}`)
    else if (!lock.packages?.[`node_modules/${name}`]) problems.push(`${field}.${name}: no resolved entry in package-lock.json`)
  }
  for (const name of Object.keys(have)) {
    if (!(name in want)) problems.push(`${field}.${name}: in package-lock.json but not in package.json`)
  }
}
if (problems.length > 0) {
  console.error("package-lock.json does not match package.json:")
  for (const p of problems) console.error(`  - ${p}`)
  console.error("Run `npm install` and commit package-lock.json.")
  process.exit(1)
}
console.log(`package-lock.json matches package.json (${Object.keys(lock.packages ?? {}).length - 1} packages locked)`)
