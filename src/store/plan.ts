import type { Network } from "../sampling/network.js"
import { createStepArms, putManifest, type RunDb } from "./RunStore.js"
import { writeSocietyNetwork, writeSocietyRound } from "./society.js"

/** Everything a new run starts from, in the store's terms. */
export interface RunPlan {
  readonly conditions: ReadonlyArray<{ readonly id: string; readonly value: string | null; readonly system: string | null }>
  /** Condition index of agent i (agent ids are 0…N−1). */
  readonly assignment: ArrayLike<number>
  readonly steps: ReadonlyArray<
    | ((
      | {
          readonly kind: "questionnaire"
          readonly items: ReadonlyArray<{ readonly id: string; readonly subscale: string; readonly reverse: boolean; readonly text: string }>
        }
      | { readonly kind: "game"; readonly groups: ReadonlyArray<ReadonlyArray<number>>; readonly unmatched: ReadonlyArray<number> }
    ) & {
      /** The agents with a unit for this step (an arm of a `between` experiment); absent: every agent. */
      readonly agents?: ReadonlyArray<number>
      /** The step is an arm of an experiment: the arm's name and the experiment's id (table `step_arms`). */
      readonly arm?: string
      readonly experiment?: string
    })
    /** A society: its network, its rounds (its units) and, for diffusion, the seeds as round 0. */
    | { readonly kind: "society"; readonly network: Network; readonly info: unknown; readonly rounds: number; readonly round0: Uint8Array | null; readonly arm?: undefined }
  >
  readonly manifest: Record<string, unknown>
}

/**
 * Writes the plan of a new run: conditions, agents, items, every (step, agent) unit as pending (agents a game
 * leaves unmatched are done from the start), the counters and the manifest. One transaction: a run database
 * either has its whole plan or none.
 */
export const writePlan = (db: RunDb, plan: RunPlan): void => {
  db.transaction(() => {
    const c = db.prepare(`INSERT INTO conditions (condition_idx, condition, value_code, system_prompt) VALUES (?, ?, ?, ?)`)
    plan.conditions.forEach((cond, i) => c.run(i, cond.id, cond.value, cond.system))
    const a = db.prepare(`INSERT INTO agents (agent_id, condition_idx) VALUES (?, ?)`)
    const n = plan.assignment.length
    for (let i = 0; i < n; i++) a.run(i, plan.assignment[i])
    const it = db.prepare(`INSERT INTO items (step, item_idx, item_id, subscale, reverse, text) VALUES (?, ?, ?, ?, ?, ?)`)
    const u = db.prepare(`INSERT INTO units (step, agent_id, state, attempts) VALUES (?, ?, 'pending', 0)`)
    const m = db.prepare(`INSERT INTO matches (step, match_id, members, state) VALUES (?, ?, ?, 'pending')`)
    const sitOut = db.prepare(
      `INSERT INTO game_results (step, agent_id, match_id, member, status, payoff, details) VALUES (?, ?, NULL, NULL, 'unmatched', NULL, NULL)`
    )
    const unitDone = db.prepare(`UPDATE units SET state = 'done' WHERE step = ? AND agent_id = ?`)
    const totals = db.prepare(
      `INSERT INTO step_totals (step, units_pending, units_done, units_failed, answers, failed, missing, degraded) VALUES (?, ?, ?, 0, 0, 0, 0, 0)`
    )
    const hasArms = plan.steps.some((s) => s.arm !== undefined)
    if (hasArms) createStepArms(db)
    const armRow = hasArms ? db.prepare(`INSERT OR REPLACE INTO step_arms (step, arm, experiment) VALUES (?, ?, ?)`) : null
    plan.steps.forEach((s, step) => {
      if (s.kind === "society") {
        writeSocietyNetwork(db, step, s.network, s.info)
        if (s.round0 !== null) writeSocietyRound(db, { step, round: 0, actions: s.round0, stats: "{}", asked: null })
        totals.run(step, s.rounds, 0)
        return
      }
      if (s.kind === "questionnaire") s.items.forEach((item, idx) => it.run(step, idx, item.id, item.subscale, item.reverse ? 1 : 0, item.text))
      if (s.arm !== undefined) armRow?.run(step, s.arm, s.experiment ?? "")
      const units = s.agents?.length ?? n
      if (s.agents === undefined) for (let i = 0; i < n; i++) u.run(step, i)
      else for (const i of s.agents) u.run(step, i)
      let done = 0
      if (s.kind === "game") {
        s.groups.forEach((members, matchId) => m.run(step, matchId, JSON.stringify(members)))
        for (const agent of s.unmatched) {
          sitOut.run(step, agent)
          unitDone.run(step, agent)
          done++
        }
      }
      totals.run(step, units - done, done)
    })
    putManifest(db, plan.manifest)
  })()
}
