// The engine process must not outlive its app (issue 8, case 9): serve mode is started for
// real, a run trains and autosaves through it, the server is killed with SIGKILL, and within a
// few seconds no engine process may remain and the checkpoint must stop changing. A restarted
// server then continues the run from its last save.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import { corpus, requireBuild, tinyModel, tinyTrain, waitFor } from '../../../support/engine'
import { call, connect, startServe, type ServeProcess } from '../../../support/serve'

interface Event {
  event: string
  data: { runId?: string; type?: string; reason?: string; step?: number; run?: { status: string; lastSavedStep: number | null } }
}

/** Running (a zombie, exited but not yet reaped by its new parent, counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

async function open(serve: ServeProcess): Promise<{ ws: WebSocket; events: Event[] }> {
  const ws = await connect(serve.url.replace(/^http/, 'ws').replace(/\/(\?.*)?$/, '/ws'))
  const events: Event[] = []
  ws.on('message', (m) => {
    const msg = JSON.parse(m.toString())
    if (msg.event) events.push(msg)
  })
  return { ws, events }
}

async function value<T>(ws: WebSocket, channel: string, payload?: unknown): Promise<T> {
  const reply = await call(ws, channel, payload)
  if (!reply.ok) throw new Error(`${channel}: ${JSON.stringify(reply.error)}`)
  return reply.value as T
}

describe('the engine process when its parent dies', () => {
  const started: ServeProcess[] = []
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop()
  })

  it('exits within seconds of a SIGKILL of serve mode, stops writing, and the run continues after a restart', async () => {
    requireBuild()
    const first = await startServe()
    started.push(first)
    const { ws, events } = await open(first)
    await value(ws, 'settings.update', { saveInterval: 20 })
    const dataset = await value<{ id: string }>(ws, 'datasets.import', { name: 'corpus', text: corpus(30_000) })
    const run = await value<{ runId: string }>(ws, 'training.start', {
      datasetId: dataset.id, model: tinyModel, train: { ...tinyTrain, steps: 1_000_000 },
    })
    await waitFor(() => events.filter((e) => e.data.runId === run.runId && e.data.type === 'saved' && e.data.reason !== 'best').length >= 3, 'three autosaves')
    const { pid } = await value<{ pid: number }>(ws, 'engine.info')
    expect(alive(pid)).toBe(true)

    first.child.kill('SIGKILL')
    const killedAt = Date.now()
    await waitFor(() => !alive(pid), 'the engine process to exit', 4000)
    const exitedAfterMs = Date.now() - killedAt
    const checkpoint = join(first.dataDir, 'checkpoints', `${run.runId}.bin`)
    const before = statSync(checkpoint)
    await new Promise((r) => setTimeout(r, 1000))
    const after = statSync(checkpoint)
    expect(after.mtimeMs).toBe(before.mtimeMs)
    expect(after.size).toBe(before.size)
    console.log(`engine ${pid} exited ${exitedAfterMs} ms after its parent was killed`)

    const second = await startServe([], first.dataDir)
    started.push(second)
    const s = await open(second)
    const [listed] = await value<{ runId: string; status: string; lastSavedStep: number }[]>(s.ws, 'training.list')
    expect(listed).toMatchObject({ runId: run.runId, status: 'interrupted' })
    const continued = await value<{ status: string }>(s.ws, 'training.continue', { runId: run.runId })
    expect(continued.status).toBe('running')
    const resumedAt = await waitFor(() => s.events.find((e) => e.data.runId === run.runId && e.data.type === 'started'), 'the continued run to start')
    // it picks up at the checkpoint's step (the file can be newer than the record), not from zero
    expect((resumedAt.data.run as unknown as { metrics: { step: number } }).metrics.step).toBeGreaterThanOrEqual(listed.lastSavedStep)
    await waitFor(() => s.events.find((e) => e.data.runId === run.runId && e.data.type === 'saved' && e.data.reason !== 'best'), 'an autosave of the continued run')
    await value(s.ws, 'training.stop', { runId: run.runId })
    await waitFor(() => s.events.find((e) => e.data.runId === run.runId && e.data.type === 'stopped'), 'the run to stop')
    s.ws.close()
    ws.close()
  }, 90_000)

  it('exits within seconds even in the middle of a long training step', async () => {
    requireBuild()
    const serve = await startServe()
    started.push(serve)
    const { ws, events } = await open(serve)
    const dataset = await value<{ id: string }>(ws, 'datasets.import', { name: 'corpus', text: corpus(30_000) })
    // a medium model's step takes seconds here: the stop request cannot be seen until it ends
    const run = await value<{ runId: string }>(ws, 'training.start', { datasetId: dataset.id, model: { preset: 'medium' }, train: { batchSize: 16, steps: 100 } })
    await waitFor(() => events.find((e) => e.data.runId === run.runId && e.data.type === 'started'), 'the run to start', 30_000)
    const { pid } = await value<{ pid: number }>(ws, 'engine.info')
    serve.child.kill('SIGKILL')
    const killedAt = Date.now()
    await waitFor(() => !alive(pid), 'the engine process to exit', 4000)
    console.log(`engine ${pid} exited ${Date.now() - killedAt} ms after its parent was killed, mid-step`)
    expect(existsSync(join(serve.dataDir, 'checkpoints', `${run.runId}.bin`))).toBe(false) // it never got to save
    ws.close()
  }, 60_000)
})
