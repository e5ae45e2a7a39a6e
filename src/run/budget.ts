/**
 * Where a run spends: `--max-cost`. The budget is priced before anything is sent (no price known: a usage error),
 * and while the run works a guard compares what the server's reported tokens cost with it, stopping the run
 * (resumable, exit 130) once it is reached.
 */
import { Duration, Effect } from "effect"
import { backendsOf, type RunSpec } from "../config/RunSpec.js"
import { pricesFor, type PriceSetting } from "../config/PricesFile.js"
import { UsageError } from "../config/SpecFileError.js"
import type { RunCounters } from "../progress/counters.js"
import type { Prices } from "../ui/state.js"
import { costOf, MaxCostReachedError } from "../app/planRun.js"

/** The --max-cost budget of a run on a model; a usage error when no price is known to check it against. */
export const budgetOf = (spec: RunSpec, out: { readonly maxCostUsd?: number | undefined }, setting: PriceSetting) =>
  Effect.gen(function* () {
    const paid = backendsOf(spec).filter((b) => b.kind !== "synthetic")
    if (out.maxCostUsd === undefined || paid.length === 0) return null
    // Tokens are counted over all backends together: each is priced at the dearest backend's rates, so the
    // guard stops no later than the limit.
    let prices: Prices | null = null
    for (const b of paid) {
      const p = pricesFor(b, setting)
      if (p === null) {
        return yield* new UsageError({ detail: `--max-cost: no price is known for ${b.model}; set VALUESIM_PRICES ("<input $/Mtok>,<output $/Mtok>" or a price table file)` })
      }
      prices = prices === null ? p : { inputPerMillion: Math.max(prices.inputPerMillion, p.inputPerMillion), outputPerMillion: Math.max(prices.outputPerMillion, p.outputPerMillion) }
    }
    return { maxUsd: out.maxCostUsd, prices: prices! }
  })

export interface Budget {
  readonly maxUsd: number
  readonly prices: Prices
}

/** Fails with MaxCostReachedError once the tokens the server reported cost the budget (checked every 100 ms). */
export const spendingGuard = (budget: Budget, counters: RunCounters, runDir: string) =>
  Effect.gen(function* () {
    while (true) {
      const spent = costOf(budget.prices, counters.promptTokens, counters.completionTokens) ?? 0
      if (spent >= budget.maxUsd) return yield* new MaxCostReachedError({ spentUsd: spent, maxUsd: budget.maxUsd, runDir })
      yield* Effect.sleep(Duration.millis(100))
    }
  })
