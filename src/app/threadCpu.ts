import * as fs from "node:fs"

/**
 * User-mode CPU seconds of the calling thread so far, from /proc/thread-self/stat (Linux; field 14, utime, in
 * USER_HZ ticks, which the kernel reports as 100 per second whatever its internal tick), or null where there is no
 * such file. process.cpuUsage() counts every thread of the process; this is the run's own thread only, what the
 * dashboard's worker (another thread) must not take from.
 */
export const threadCpuUserSeconds = (): number | null => {
  try {
    const stat = fs.readFileSync("/proc/thread-self/stat", "utf8")
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const ticks = Number(fields[11])
    return Number.isFinite(ticks) ? ticks / 100 : null
  } catch {
    return null
  }
}
