/** Before any test: build the CLI's bundle if a source changed, so parallel test files do not all build it. */
export default async function setup(): Promise<void> {
  // @ts-expect-error: a plain .mjs script without types
  const { buildBundle, freshBundle } = (await import("../../scripts/bundle.mjs")) as { buildBundle: () => Promise<void>; freshBundle: () => Promise<string | null> }
  // The CLI falls back to the sources when the bundle cannot be built, silently and several times slower: here
  // the build's error stops the tests instead.
  if ((await freshBundle()) === null) await buildBundle()
}
