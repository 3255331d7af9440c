// One process per data folder. Two on the same folder (a second copy of the app, the app and
// serve mode side by side) would each take the other's running runs for interrupted ones and
// write the same files, so the second is refused, naming the first. The lock is a file made
// with O_EXCL (<data>/app.lock) holding its owner's pid and the process's start time: a lock
// left by a process that died, or whose pid the system has since given to another process, is
// taken over.
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError } from '../common/errors'

export type LockOwner = 'the app' | 'serve mode'

interface LockFile {
  pid: number
  start: string | null // the process's start time in clock ticks since boot (/proc/<pid>/stat), where known
  owner: LockOwner
  since: string
}

export interface DataLock {
  readonly file: string
  release(): Promise<void>
}

// A process's state and start time in clock ticks since boot (fields 3 and 22 of
// /proc/<pid>/stat), or null where /proc has none.
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // the fields after the command name
    return { state: fields[0] ?? '', start: fields[19] ?? '' }
  } catch {
    return null
  }
}
export const processStart = (pid: number): string | null => procStat(pid)?.start ?? null

function running(lock: LockFile): boolean {
  try {
    process.kill(lock.pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false // ESRCH: no such process
  }
  const stat = procStat(lock.pid)
  if (!stat) return true // no /proc: the pid is all there is to go by
  if (stat.state === 'Z' || stat.state === 'X') return false // exited, not yet reaped by its parent
  return lock.start === null || stat.start === lock.start // a reused pid started at another time
}

function parse(text: string): LockFile | null {
  try {
    const o = JSON.parse(text) as Partial<LockFile>
    return Number.isInteger(o.pid) && (o.pid ?? 0) > 0 ? (o as LockFile) : null
  } catch {
    return null // torn by a crash mid-write
  }
}

export async function lockDataFolder(root: string, owner: LockOwner): Promise<DataLock> {
  await mkdir(root, { recursive: true })
  const file = join(root, 'app.lock')
  const mine: LockFile = { pid: process.pid, start: processStart(process.pid), owner, since: new Date().toISOString() }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeFile(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' })
      return {
        file,
        async release() {
          const held = parse(await readFile(file, 'utf8').catch(() => ''))
          if (held?.pid === mine.pid && held.start === mine.start && held.since === mine.since) await unlink(file).catch(() => {})
        },
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const held = parse(await readFile(file, 'utf8').catch(() => ''))
    if (held && running(held))
      throw new ApiError('BUSY', `the data folder ${root} is in use by ${held.owner} (process ${held.pid}, since ${held.since})`,
        held.owner === 'the app' ? 'switch to the open window, or quit it first' : 'stop serve mode first (Ctrl+C), or use another folder with --data-dir')
    await unlink(file).catch(() => {}) // stale: its process is gone
  }
  throw new ApiError('BUSY', `could not lock the data folder ${root}`, 'another MicroGPT process keeps taking it; close it and try again')
}
