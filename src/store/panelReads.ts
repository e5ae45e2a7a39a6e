/**
 * The reads behind a panel's earlier exchange (`context: answers`, src/experiments/context.ts): whether the steps it
 * shows are done, an agent's stored answers to a questionnaire step, and its match's moves in a game step.
 */
import type { Move } from "../domain/games.js"
import { NO_VALUE } from "./encoding.js"
import type { RunDb } from "./RunStore.js"

/** Units of steps from…to−1 that are not done (pending or failed). */
export const unitsNotDone = (db: RunDb, from: number, to: number): number =>
  db.prepare(`SELECT count(*) FROM units WHERE step >= ? AND step < ? AND state != 'done'`).pluck().get(from, to) as number

/** Prepared reads of agents' stored answers and moves, for many agents in turn. */
export const exchangeReads = (db: RunDb) => {
  const answers = db.prepare(`SELECT vals FROM answers WHERE step = ? AND agent_id = ?`).pluck()
  const seat = db.prepare(`SELECT match_id, member FROM moves WHERE step = ? AND agent_id = ? LIMIT 1`)
  const matchMoves = db.prepare(`SELECT member, decision, value FROM moves WHERE step = ? AND match_id = ? ORDER BY seq`)
  return {
    /** The agent's answer values of a questionnaire step (NaN: unanswered); undefined when it has none stored. */
    answerValues: (step: number, agentId: number): Array<number> | undefined => {
      const vals = answers.get(step, agentId) as Buffer | undefined
      if (vals === undefined) return undefined
      return Array.from({ length: vals.byteLength >> 1 }, (_, i) => {
        const v = vals.readInt16LE(2 * i)
        return v === NO_VALUE ? NaN : v
      })
    },
    /** Where the agent sat in a game step: its match and its member index; undefined when it did not play. */
    seatOf: (step: number, agentId: number): { readonly matchId: number; readonly member: number } | undefined => {
      const at = seat.get(step, agentId) as { match_id: number; member: number } | undefined
      return at === undefined ? undefined : { matchId: at.match_id, member: at.member }
    },
    /** A game step's stored moves of one match, in the order they were made. */
    matchMoves: (step: number, matchId: number): Array<Move> => matchMoves.all(step, matchId) as Array<Move>
  }
}
