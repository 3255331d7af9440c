// A run's history with the real engine process: every step's point and the samples are kept in
// runs/<id>.history.ndjson as the step events said them, read back by a new back end, a torn
// last line (a crash mid-append) is tolerated, continuing from an older checkpoint drops the
// points after it, the training time adds up over sessions, and a run can be removed.
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trainFields } from '../../../../electron/common/fields'
import type { HistoryPoint, RunInfo, StepPoint, TrainingEvent } from '../../../../electron/common/types'
import type { Backend } from '../../../../electron/services/backend'
import { backendEvents, realBackend } from '../../../support/backend'
import { corpus, requireBuild, tempDir, tinyModel, tinyTrain, waitFor } from '../../../support/engine'

describe('training history', () => {
  let root: string
  let backend: Backend
  const emitted = backendEvents()
  const events = emitted.training
  let datasetId: string

  const make = (): Promise<Backend> => realBackend(root, emitted)
  const ofRun = (runId: string, from = 0): TrainingEvent[] => events.filter((e) => e.runId === runId).slice(from)
  const stepEvents = (runId: string, from = 0): { point: StepPoint; elapsedSeconds: number }[] =>
    ofRun(runId, from).flatMap((e) => (e.type === 'step' ? [{ point: e.point, elapsedSeconds: e.elapsedSeconds }] : []))
  const historyFile = (runId: string): string => join(root, 'runs', `${runId}.history.ndjson`)
  const steps = (points: HistoryPoint[]): number[] => points.map((p) => p.step)
  const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i)
  const listed = async (runId: string): Promise<RunInfo | undefined> => (await backend.handlers.training.list()).find((r) => r.runId === runId)

  beforeAll(async () => {
    requireBuild()
    root = tempDir('mg-history-')
    backend = await make()
    await backend.handlers.settings.update({ saveInterval: 5, sampleInterval: 4 })
    datasetId = (await backend.handlers.datasets.import({ name: 'words', text: corpus(30_000) })).id
  })
  afterAll(() => backend.dispose())

  let first: RunInfo
  it('keeps every step point and every sample as the events said them, and the settings the run used', async () => {
    first = await backend.handlers.training.start({ datasetId, name: 'kept', model: tinyModel, train: { ...tinyTrain, steps: 14 } })
    await waitFor(() => ofRun(first.runId).find((e) => e.type === 'finished'), 'the run to finish')
    const started = ofRun(first.runId).find((e) => e.type === 'started')
    // the settings the engine resolved: every field, seqLen as trained (the model's context)
    const train = started?.type === 'started' ? started.run.train : null
    expect(Object.keys(train ?? {}).sort()).toEqual(Object.keys(trainFields).sort())
    expect(train).toMatchObject({ steps: 14, batchSize: 4, seqLen: 32, evalInterval: 10, evalBatches: 2, gradAccum: 1, seed: 1337 })

    const history = await backend.handlers.training.history({ runId: first.runId })
    const seen = stepEvents(first.runId)
    expect(steps(history.points)).toEqual(range(1, 14))
    expect(history.points).toEqual(seen.map(({ point: p, elapsedSeconds }) => ({
      step: p.step, trainLoss: p.trainLoss, valLoss: p.valLoss, lr: p.lr, tokensPerSec: p.tokensPerSec, elapsedSeconds,
    })))
    expect(history.points.filter((p) => p.valLoss !== null).map((p) => p.step)).toEqual([10, 14])
    const times = history.points.map((p) => p.elapsedSeconds)
    expect(times[0]).toBeGreaterThan(0)
    expect(times).toEqual([...times].sort((a, b) => a - b))

    // a sample every 4 steps, from the engine, with text
    const samples = ofRun(first.runId).flatMap((e) => (e.type === 'sample' ? [e.sample] : []))
    expect(samples.map((s) => s.step)).toEqual([4, 8, 12])
    for (const s of samples) expect(s.text.trim().length).toBeGreaterThan(0)
    expect(history.samples).toEqual(samples)

    // the record carries the run's training time and settings
    const run = (await listed(first.runId))!
    expect(run.elapsedSeconds).toBe(times.at(-1))
    expect(run.train).toEqual(train)
  })

  it('reads the same history from a new back end on the same folder', async () => {
    const before = await backend.handlers.training.history({ runId: first.runId })
    rmSync(join(root, 'app.lock')) // as after a crash of the first: its lock of the folder left stale
    const second = await make()
    try {
      expect(await second.handlers.training.history({ runId: first.runId })).toEqual(before)
      const run = (await second.handlers.training.list()).find((r) => r.runId === first.runId)!
      expect(run.elapsedSeconds).toBe(before.points.at(-1)!.elapsedSeconds)
      expect(run.train?.steps).toBe(14)
    } finally {
      await second.dispose()
    }
  })

  it('tolerates a torn last line, then continues the run with its history and its time adding up', async () => {
    const before = await backend.handlers.training.history({ runId: first.runId })
    appendFileSync(historyFile(first.runId), '{"type":"point","step":15,"trainLoss":2.') // a crash mid-append
    expect(await backend.handlers.training.history({ runId: first.runId })).toEqual(before)

    const from = ofRun(first.runId).length
    await backend.handlers.training.continue({ runId: first.runId, steps: 20 })
    await waitFor(() => ofRun(first.runId, from).find((e) => e.type === 'finished'), 'the continued run to finish')
    const history = await backend.handlers.training.history({ runId: first.runId })
    expect(steps(history.points)).toEqual(range(1, 20))
    expect(history.points.slice(0, 14)).toEqual(before.points)
    expect(history.samples.map((s) => s.step)).toEqual([4, 8, 12, 16, 20])
    // the time goes on from where the first session ended
    const t14 = history.points[13].elapsedSeconds, t15 = history.points[14].elapsedSeconds
    expect(t15).toBeGreaterThan(t14)
    expect(t15 - t14).toBeLessThan(5)
    expect((await listed(first.runId))!.elapsedSeconds).toBe(history.points[19].elapsedSeconds)
    // the torn line is gone from the file: every line is whole JSON
    await backend.dispose() // flushes, and the engine goes
    for (const line of readFileSync(historyFile(first.runId), 'utf8').trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow()
    backend = await make()
  })

  it('drops the points past the checkpoint when a run continues from an older autosave', async () => {
    const every = 1000 // autosaves far apart: step events come in batches of 0.1 s, an autosave flushes them
    await backend.handlers.settings.update({ saveInterval: every, sampleInterval: 0 })
    const run = await backend.handlers.training.start({ datasetId, name: 'crashed', model: tinyModel, train: { ...tinyTrain, steps: 100_000 } })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'saved' && e.reason !== 'best'), 'the first autosave', 60_000)
    // paused well past an autosave, then the engine dies: the history has 100 or more steps the
    // checkpoint has not
    let paused = 0
    await waitFor(() => stepEvents(run.runId).at(-1)!.point.step >= every + 300, 'steps past the autosave')
    for (;;) {
      const n = ofRun(run.runId).length
      await backend.handlers.training.pause({ runId: run.runId })
      const p = await waitFor(() => ofRun(run.runId, n).find((e) => e.type === 'paused'), 'the pause')
      paused = p.type === 'paused' ? p.step : 0
      if (paused % every >= 100) break
      await backend.handlers.training.resume({ runId: run.runId })
      await waitFor(() => stepEvents(run.runId).at(-1)!.point.step > paused, 'a step after the resume')
    }
    process.kill(backend.engine.pid!, 'SIGKILL')
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'failed'), 'the interruption')
    const crashed = await backend.handlers.training.history({ runId: run.runId })
    expect(crashed.points.at(-1)!.step).toBe(paused) // every point up to the pause was kept
    const checkpointStep = Math.floor(paused / every) * every
    expect((await listed(run.runId))!.lastSavedStep).toBe(checkpointStep)

    const from = ofRun(run.runId).length
    await backend.handlers.training.continue({ runId: run.runId, steps: checkpointStep + 10 })
    await waitFor(() => ofRun(run.runId, from).find((e) => e.type === 'finished'), 'the continued run to finish')
    const started = ofRun(run.runId, from)[0]
    expect(started.type === 'started' && started.run.metrics.step).toBe(checkpointStep)
    const history = await backend.handlers.training.history({ runId: run.runId })
    expect(steps(history.points)).toEqual(range(1, checkpointStep + 10))
    expect(history.points.slice(0, checkpointStep)).toEqual(crashed.points.slice(0, checkpointStep))
    // the new steps are the engine's new ones, not the dropped ones
    expect(history.points.slice(checkpointStep)).toEqual(stepEvents(run.runId, from).map(({ point: p, elapsedSeconds }) => ({
      step: p.step, trainLoss: p.trainLoss, valLoss: p.valLoss, lr: p.lr, tokensPerSec: p.tokensPerSec, elapsedSeconds,
    })))
    // and the time goes on from the checkpoint's step, not from the dropped steps' last
    const tCheckpoint = crashed.points[checkpointStep - 1].elapsedSeconds
    const tNext = history.points[checkpointStep].elapsedSeconds
    expect(tNext).toBeGreaterThan(tCheckpoint)
    expect(tNext).toBeLessThan(crashed.points.at(-1)!.elapsedSeconds) // one step on, not 100
  })

  it('removes a run and its history, refused while it trains; its checkpoint stays until removed too', async () => {
    await backend.handlers.settings.update({ saveInterval: 5, sampleInterval: 4 })
    const run = await backend.handlers.training.start({ datasetId, name: 'removed', model: tinyModel, train: { ...tinyTrain, steps: 100_000 } })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'saved' && e.reason !== 'best'), 'an autosave')
    await expect(backend.handlers.training.remove({ runId: run.runId })).rejects.toMatchObject({ code: 'BUSY' })
    await backend.handlers.training.stop({ runId: run.runId })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'stopped'), 'the run to stop')
    expect(existsSync(historyFile(run.runId))).toBe(true)

    await backend.handlers.training.remove({ runId: run.runId })
    expect(await listed(run.runId)).toBeUndefined()
    expect(existsSync(historyFile(run.runId))).toBe(false)
    await expect(backend.handlers.training.history({ runId: run.runId })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(backend.handlers.training.remove({ runId: run.runId })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(backend.handlers.training.continue({ runId: run.runId })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    // the checkpoint is still there, and still usable
    const ck = (await backend.handlers.checkpoints.list()).find((c) => c.id === run.runId)
    expect(ck).toMatchObject({ name: 'removed' })
    expect(existsSync(ck!.path)).toBe(true)
    rmSync(join(root, 'app.lock')) // a second process on the folder, as after a crash of the first
    const second = await make() // the removal is on disk
    try {
      expect((await second.handlers.training.list()).find((r) => r.runId === run.runId)).toBeUndefined()
      expect((await second.handlers.checkpoints.list()).find((c) => c.id === run.runId)).toBeDefined()
    } finally {
      await second.dispose()
    }
    await backend.handlers.checkpoints.remove({ id: run.runId })
    expect(existsSync(ck!.path)).toBe(false)
    expect(existsSync(join(root, 'runs', `${run.runId}.json`))).toBe(false)
    expect((await backend.handlers.checkpoints.list()).find((c) => c.id === run.runId)).toBeUndefined()

    // a run that never saved a checkpoint goes entirely
    const failed = await backend.handlers.training.start({ datasetId, model: tinyModel, train: { ...tinyTrain, seqLen: 64, steps: 10 } })
    await waitFor(() => ofRun(failed.runId).find((e) => e.type === 'failed'), 'the refused run')
    await backend.handlers.training.remove({ runId: failed.runId })
    expect(existsSync(join(root, 'runs', `${failed.runId}.json`))).toBe(false)
    expect((await backend.handlers.checkpoints.list()).find((c) => c.id === failed.runId)).toBeUndefined()
  })
})
