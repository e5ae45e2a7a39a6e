/**
 * Before each test file: the response cache across runs points at a temporary folder of this file, never at the
 * user's cache (~/.cache/valuesim), and is removed afterwards. `startCli` gives every CLI process its own folder
 * inside it unless a test passes VALUESIM_CACHE_DIR, so runs share a cache only where a test asks for it.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-cache-"))
process.env["VALUESIM_CACHE_DIR"] = dir
process.env["XDG_CACHE_HOME"] = dir

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
