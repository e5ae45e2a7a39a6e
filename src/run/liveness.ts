/**
 * Is a process that left something behind (a staging folder, a run lock) still alive? Checked by process id on
 * this machine; on Linux also by the process's start time and the machine's boot, so a process id that was
 * reused by an unrelated process after a crash or a reboot does not count as the one that left it.
 */
import * as fs from "node:fs"

/** True when a process with this id exists (one we may not signal counts: it exists). */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** When process `pid` started, in clock ticks since boot (Linux `/proc/<pid>/stat` field 22); null elsewhere. */
export const processStart = (pid: number): string | null => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return fields[19] ?? null
  } catch {
    return null
  }
}

/** This boot of the machine (Linux), or null where it cannot be told. */
export const bootId = (): string | null => {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()
  } catch {
    return null
  }
}

/** What identifies a running process across a pid's reuse: its id, start time and the boot it runs in. */
export interface ProcessStamp {
  readonly pid: number
  readonly start: string | null
  readonly boot: string | null
}

export const stampOf = (pid: number): ProcessStamp => ({ pid, start: processStart(pid), boot: bootId() })

/** Is the process that `stamp` describes (on this machine) still running? Unknown parts are not held against it. */
export const stampAlive = (stamp: ProcessStamp): boolean => {
  if (!processAlive(stamp.pid)) return false
  const boot = bootId()
  if (stamp.boot !== null && boot !== null && stamp.boot !== boot) return false
  const start = processStart(stamp.pid)
  return stamp.start === null || start === null || stamp.start === start
}
