#!/usr/bin/env node
// Starts valuesim from its TypeScript sources with no build step between a clone and `npm start`: the sources
// are bundled with esbuild into build/bundle/ on first use (and again whenever a file under src/ is newer), which
// starts in about 0.3 s of CPU (compiled code kept between processes, see scripts/bundle.mjs) instead of ~2 s
// through tsx's per-module loader hooks. VALUESIM_NO_BUNDLE=1 runs the sources through tsx directly (stack traces
// then point into the sources; the bundle is readable, unminified, and marks each source file), as does any
// failure to bundle.
import { freshBundle, runBundle } from "../scripts/bundle.mjs"

// The dashboard's React runs its production build unless asked otherwise: the development build checks and
// times every render, which cost the run several per cent of a core (npm run bench).
process.env.NODE_ENV ??= "production"

const bundle = process.env.VALUESIM_NO_BUNDLE === "1" ? null : await freshBundle()
if (bundle !== null) {
  runBundle(bundle)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/bin.ts")
}
