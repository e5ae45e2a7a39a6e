/**
 * import() of an installed package the CLI's bundle leaves out (Vega, DuckDB, node-llama-cpp). One place for it:
 * the bundle (scripts/bundle.mjs) swaps this module for one that asks the bundle's loader to import, because
 * Node 20 forgets a vm.Script's import() hook when the script's code comes from V8's code cache.
 */
export const importPackage = <T>(specifier: string): Promise<T> => import(specifier) as Promise<T>
