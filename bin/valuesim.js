#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between a clone and `npm start`.
import { register } from "tsx/esm/api"
// The dashboard's React runs its production build unless asked otherwise: the development build checks and
// times every render, which cost the run several per cent of a core (npm run bench).
process.env.NODE_ENV ??= "production"
register()
await import("../src/bin.ts")
