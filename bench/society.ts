/**
 * `npm run bench` part "society" (issue 23): a population on a small world (k = 8, p = 0.1) through 20 rounds
 * of the networked prisoner's dilemma (scenarios/society/networked-pd.yaml), by default with 1,000,000 agents
 * (VALUESIM_BENCH_SOCIETY_AGENTS changes it):
 * - logprob scoring against the loopback server in its own process: requests sent against the bound `plan`
 *   prints (goals: ≤ the bound and < 1 per 10,000 agent-rounds), wall time (< 10 min), peak RSS (< 1.5 GB),
 *   bytes of run.sqlite (+ WAL) per agent-round;
 * - the same study on the synthetic backend (goal < 3 min), and its agent-rounds per second relative to the
 *   synthetic questionnaire's answers per second (scenarios/vsq40.yaml, 100,000 agents; goal ≥ 0.5).
 */
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { engineRun, loopbackArgs, withServer } from "./realModels.js"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const STUDY = "scenarios/society/networked-pd.yaml"
const r2 = (x: number) => Math.round(x * 100) / 100

export const society = async (agents = 1_000_000) => {
  const planText = execFileSync(process.execPath, ["bin/valuesim.js", "plan", STUDY, "--agents", String(agents), ...loopbackArgs("http://127.0.0.1:9/v1")], { cwd: root, encoding: "utf8" })
  const bound = Number(/networked-pd\s+([\d,]+) requests at most/.exec(planText)?.[1]?.replace(/,/g, "") ?? NaN)
  const logprob = await withServer(0, (url) => engineRun([STUDY, "--agents", String(agents), "--seed", "1", "--scoring", "logprob", ...loopbackArgs(url)]))
  const synthetic = await engineRun([STUDY, "--agents", String(agents), "--seed", "1"])
  const questionnaire = await engineRun(["scenarios/vsq40.yaml", "--agents", "100000", "--seed", "1"])
  const agentRounds = Number(logprob.summary["agentRounds"])
  const syntheticRate = Number(synthetic.summary["agentRounds"]) / synthetic.seconds
  const questionnaireRate = questionnaire.answers / questionnaire.seconds
  const perTenThousand = (logprob.requests / agentRounds) * 10_000
  return {
    agents,
    rounds: 20,
    network: "small-world k=8 p=0.1",
    logprob: {
      agentRounds,
      requests: logprob.requests,
      requestBound: bound,
      requestsPer10kAgentRounds: r2(perTenThousand),
      processWallSeconds: r2(logprob.wallSeconds),
      runSeconds: logprob.seconds,
      peakRssMb: logprob.peakRssMb,
      bytesPerAgentRound: r2(logprob.bytes / agentRounds)
    },
    synthetic: {
      processWallSeconds: r2(synthetic.wallSeconds),
      runSeconds: synthetic.seconds,
      peakRssMb: synthetic.peakRssMb,
      agentRoundsPerSecond: Math.round(syntheticRate),
      bytesPerAgentRound: r2(synthetic.bytes / Number(synthetic.summary["agentRounds"]))
    },
    questionnaireAnswersPerSecond: Math.round(questionnaireRate),
    ratioToQuestionnaire: r2(syntheticRate / questionnaireRate),
    goals: { requestsAtMostBound: true, requestsPer10kAgentRounds: 1, logprobWallSeconds: 600, peakRssMb: 1536, syntheticWallSeconds: 180, ratioToQuestionnaire: 0.5 },
    met: {
      requestsAtMostBound: logprob.requests <= bound,
      requestsPer10kAgentRounds: perTenThousand < 1,
      logprobWallSeconds: logprob.wallSeconds < 600,
      peakRssMb: logprob.peakRssMb !== null && logprob.peakRssMb < 1536 && (synthetic.peakRssMb ?? 0) < 1536,
      syntheticWallSeconds: synthetic.wallSeconds < 180,
      ratioToQuestionnaire: syntheticRate / questionnaireRate >= 0.5
    }
  }
}
