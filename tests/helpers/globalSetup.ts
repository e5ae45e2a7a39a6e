/** Before any test: build the CLI's bundle if a source changed, so parallel test files do not all build it. */
export default async function setup(): Promise<void> {
  // @ts-expect-error: a plain .mjs script without types
  const { freshBundle } = (await import("../../scripts/bundle.mjs")) as { freshBundle: () => Promise<string | null> }
  await freshBundle()
}
