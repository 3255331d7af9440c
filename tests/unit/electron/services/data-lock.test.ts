// One process per data folder: a second lock is refused naming the first (its kind and pid),
// released locks are taken again, and a lock is taken over when its process is gone or its pid
// now belongs to another process; a torn lock file too. And the real back end: a second one on a
// folder in use is refused before it touches the runs.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { lockDataFolder, processStart } from '../../../../electron/services/data-lock'
import { backendEvents, realBackend } from '../../../support/backend'
import { requireBuild, tempDir } from '../../../support/engine'

const lockFile = (root: string): string => join(root, 'app.lock')
const held = (root: string) => JSON.parse(readFileSync(lockFile(root), 'utf8')) as { pid: number; owner: string }

describe('data folder lock', () => {
  it('refuses a second holder, naming the first, until the first releases it', async () => {
    const root = tempDir('mg-lock-')
    const first = await lockDataFolder(root, 'the app')
    expect(held(root)).toMatchObject({ pid: process.pid, owner: 'the app' })
    await expect(lockDataFolder(root, 'serve mode')).rejects.toMatchObject({
      code: 'BUSY', message: expect.stringContaining(`in use by the app (process ${process.pid}`), hint: expect.stringContaining('quit it'),
    })
    await first.release()
    const second = await lockDataFolder(root, 'serve mode')
    expect(held(root).owner).toBe('serve mode')
    await first.release() // not its lock any more: nothing happens
    expect(held(root).owner).toBe('serve mode')
    await second.release()
  })

  it('takes over the lock of a process that is gone, of a reused pid, and a torn lock file', async () => {
    const root = tempDir('mg-lock-')
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    writeFileSync(lockFile(root), JSON.stringify({ pid: Number(gone), start: '1', owner: 'serve mode', since: 'then' }))
    await (await lockDataFolder(root, 'the app')).release()

    // a live process, but not the one that took the lock: it started at another time
    writeFileSync(lockFile(root), JSON.stringify({ pid: process.pid, start: 'another time', owner: 'serve mode', since: 'then' }))
    await (await lockDataFolder(root, 'the app')).release()

    writeFileSync(lockFile(root), '{"pid": 12') // a crash mid-write
    await (await lockDataFolder(root, 'the app')).release()
  })

  it('refuses while another live process holds it, and takes over once it exits', async () => {
    const root = tempDir('mg-lock-')
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    await new Promise((r) => child.once('spawn', r))
    writeFileSync(lockFile(root), JSON.stringify({ pid: child.pid, start: processStart(child.pid!), owner: 'serve mode', since: 'now' }))
    await expect(lockDataFolder(root, 'the app')).rejects.toMatchObject({ code: 'BUSY', hint: expect.stringContaining('--data-dir') })
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
    await (await lockDataFolder(root, 'the app')).release()
  })

  it('keeps a second back end off a folder in use, and lets it on once the first is gone', async () => {
    requireBuild()
    const root = tempDir('mg-lock-backend-')
    const first = await realBackend(root, backendEvents())
    await expect(realBackend(root, backendEvents())).rejects.toMatchObject({ code: 'BUSY', message: expect.stringContaining('serve mode') })
    await first.dispose()
    const second = await realBackend(root, backendEvents())
    await second.dispose()
  }, 60_000)
})
