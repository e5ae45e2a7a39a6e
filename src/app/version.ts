import { createRequire } from "node:module"

const require = createRequire(import.meta.url)
const versionOf = (pkg: string): string => {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version
  } catch {
    return "unknown"
  }
}

export const VALUESIM_VERSION = (require("../../package.json") as { version: string }).version

/** Versions recorded in every run manifest. */
export const versions = () => ({
  valuesim: VALUESIM_VERSION,
  node: process.version,
  effect: versionOf("effect"),
  openai: versionOf("openai"),
  "better-sqlite3": versionOf("better-sqlite3")
})
