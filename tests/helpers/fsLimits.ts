import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/**
 * Real file-system limits for tests of full disks and read-only stores: a size-limited tmpfs, and a read-only
 * bind mount. Both need the right to mount (root in a container with CAP_SYS_ADMIN, as on the project's CI
 * machine); `mountable()` says whether this process has it, so tests can skip cleanly elsewhere.
 */
const sh = (cmd: string, args: ReadonlyArray<string>) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0

let probed: boolean | null = null
export const mountable = (): boolean => {
  if (probed !== null) return probed
  probed = false
  if (process.platform !== "linux" || process.getuid?.() !== 0) return probed
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-mount-probe-"))
  if (sh("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir])) {
    probed = sh("umount", [dir])
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return probed
}

/** Runs `use` with a fresh folder on a tmpfs of `sizeKb` KiB (a disk that fills up), unmounted afterwards. */
export const withSmallDisk = async <A>(sizeKb: number, use: (dir: string) => Promise<A>): Promise<A> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "valuesim-small-disk-"))
  if (!sh("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", dir])) throw new Error(`cannot mount a tmpfs at ${dir}`)
  try {
    return await use(dir)
  } finally {
    sh("umount", [dir])
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Whether `withReadOnly` can work here: anyone but root is kept out by file modes; root needs a read-only mount. */
export const canMakeReadOnly = (): boolean => process.getuid?.() !== 0 || mountable()

/**
 * Runs `use` while the folder `dir` and its files cannot be written: by file modes, or for root (whom modes do
 * not stop) by mounting the folder read-only over itself. Writable again afterwards.
 */
export const withReadOnly = async <A>(dir: string, use: () => Promise<A>): Promise<A> => {
  if (process.getuid?.() !== 0) {
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f))
    for (const f of files) fs.chmodSync(f, 0o444)
    fs.chmodSync(dir, 0o555)
    try {
      return await use()
    } finally {
      fs.chmodSync(dir, 0o755)
      for (const f of files) fs.chmodSync(f, 0o644)
    }
  }
  if (!sh("mount", ["--bind", dir, dir])) throw new Error(`cannot bind-mount ${dir}`)
  try {
    if (!sh("mount", ["-o", "remount,bind,ro", dir])) throw new Error(`cannot remount ${dir} read-only`)
    return await use()
  } finally {
    sh("umount", [dir])
  }
}
