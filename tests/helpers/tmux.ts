/**
 * Driving the dashboard in a real terminal: tmux gives a run one and lets a test read the screen and press keys.
 */
import { execFileSync } from "node:child_process"

export const hasTmux = (() => {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

/** CI services set CI, and ink then draws only the final frame: dashboard tests run the CLI without it. */
export const NOT_CI = "env -u CI -u CONTINUOUS_INTEGRATION"

/**
 * A tmux server of this test process's own (its socket named by the pid): on the shared default server, one test
 * file killing its last session ends the server while another file's session is being made in it ("no server
 * running"). Test files of one worker run one after another, so one server per process is enough.
 */
const SOCKET = `valuesim-test-${process.pid}`

export const tmux = (...args: Array<string>) => execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" })
export const screen = (session: string) => tmux("capture-pane", "-p", "-t", session)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits for the screen to pass `test`; unbounded unless `timeoutMs` is given (the test's own timeout catches a hang). */
export const waitFor = async (session: string, test: (text: string) => boolean, what: string, timeoutMs = Infinity) => {
  let text = ""
  for (let waited = 0; waited < timeoutMs; waited += 250) {
    text = screen(session)
    if (test(text)) return text
    await sleep(250)
  }
  throw new Error(`timed out waiting for ${what}; the screen shows:\n${text}`)
}
