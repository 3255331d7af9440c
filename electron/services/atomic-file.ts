// Files that matter (settings, datasets, run records, chats) are written to a temp file,
// fsynced and renamed over the target: a crash or a full disk mid-write never leaves a
// half-written file where a good one was.
import { constants } from 'node:fs'
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ApiError } from '../common/errors'

let counter = 0

export function fileError(e: unknown, what: string): ApiError {
  const code = (e as NodeJS.ErrnoException)?.code
  const detail = e instanceof Error ? e.message : String(e)
  if (code === 'ENOSPC') return new ApiError('DISK_FULL', `cannot save ${what}: the disk is full`, 'free some disk space and try again')
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new ApiError('PERMISSION', `cannot save ${what}: permission denied`, 'check that the app data folder is writable')
  return new ApiError('IO', `cannot save ${what}: ${detail}`)
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, what = path): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${counter++}`
  try {
    await mkdir(dirname(path), { recursive: true })
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (e) {
    await unlink(tmp).catch(() => {})
    throw fileError(e, what)
  }
  await syncDir(dirname(path))
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, constants.O_RDONLY)
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch {
    // not every filesystem lets a folder be fsynced; the rename itself is still atomic
  }
}

export async function writeJsonAtomic(path: string, value: unknown, what = path): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', what)
}

/** The parsed file, or null when it does not exist. A malformed file is an error naming it. */
export async function readJson<T>(path: string, what = path): Promise<T | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new ApiError('IO', `cannot read ${what}: ${(e as Error).message}`)
  }
  try {
    return JSON.parse(text) as T
  } catch {
    throw new ApiError('CORRUPT', `${what} is damaged (not valid JSON): ${path}`, 'delete or restore the file')
  }
}

/**
 * Serialises the writes of each file: a slow earlier write can never land after a later one,
 * and each write serialises the value when its turn comes, so the last write has the newest state.
 */
export class JsonWriteQueue {
  private tails = new Map<string, Promise<void>>()
  write(path: string, value: () => unknown, what: string): Promise<void> {
    const prev = this.tails.get(path) ?? Promise.resolve()
    const next = prev.catch(() => {}).then(() => writeJsonAtomic(path, value(), what))
    this.tails.set(path, next)
    void next.finally(() => this.tails.get(path) === next && this.tails.delete(path)).catch(() => {})
    return next
  }

  /** Resolves once every write of `path` asked for so far has landed or failed. */
  settle(path: string): Promise<void> {
    return (this.tails.get(path) ?? Promise.resolve()).catch(() => {})
  }
}
