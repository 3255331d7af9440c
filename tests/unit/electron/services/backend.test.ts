// The whole back end with the real engine process: a run trains and is listed as a checkpoint,
// generation and chat use it, and a run whose engine is killed is marked interrupted and
// continues exactly from its last autosave.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainingEvent } from '../../../../electron/common/types'
import type { Backend } from '../../../../electron/services/backend'
import { backendEvents, realBackend } from '../../../support/backend'
import { corpus, requireBuild, tempDir, tinyModel, tinyTrain, waitFor } from '../../../support/engine'

describe('back end', () => {
  let root: string
  let backend: Backend
  const events = backendEvents()
  const { training, generation } = events
  let datasetId: string

  const make = (): Promise<Backend> => realBackend(root, events)
  const ofRun = (runId: string): TrainingEvent[] => training.filter((e) => e.runId === runId)

  beforeAll(async () => {
    requireBuild()
    root = tempDir('mg-backend-')
    backend = await make()
    await backend.handlers.settings.update({ saveInterval: 5 })
    datasetId = (await backend.handlers.datasets.import({ name: 'words', text: corpus(30_000) })).id
  })
  afterAll(() => backend.dispose())

  it('runs training to the end and lists its checkpoint', async () => {
    const run = await backend.handlers.training.start({ datasetId, name: 'first', model: tinyModel, train: { ...tinyTrain, steps: 12 } })
    expect(run).toMatchObject({ name: 'first', status: 'running', checkpointId: run.runId })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'finished'), 'the run to finish')
    const kinds = ofRun(run.runId).map((e) => e.type)
    expect(kinds[0]).toBe('started')
    expect(kinds.filter((k) => k === 'step')).toHaveLength(12)
    expect(kinds).toContain('saved')
    const [listed] = await backend.handlers.training.list()
    expect(listed).toMatchObject({ runId: run.runId, status: 'finished', lastSavedStep: 12, metrics: { step: 12, steps: 12 } })
    expect(listed.model?.embedDim).toBe(32)
    const [ck] = await backend.handlers.checkpoints.list()
    expect(ck).toMatchObject({ id: run.runId, trainedSteps: 12, name: 'first' })
    expect(ck.bytes).toBeGreaterThan(1000)
    // the run record on disk follows, as complete JSON
    await waitFor(() => JSON.parse(readFileSync(join(root, 'runs', `${run.runId}.json`), 'utf8')).status === 'finished', 'the record on disk')
  })

  it('generates from a checkpoint and chats with it, saving both turns', async () => {
    const [ck] = await backend.handlers.checkpoints.list()
    const { generationId } = await backend.handlers.generation.start({ checkpointId: ck.id, prompt: 'the ', maxTokens: 20 })
    const done = await waitFor(() => generation.find((g) => g.generationId === generationId && g.type === 'done'), 'the generation')
    expect(done.type === 'done' && done.result.tokens).toBe(20)
    await expect(backend.handlers.generation.start({ checkpointId: 'run-none', prompt: '' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    // sampling fields are fields.ts's: a misspelling is refused by name, a bad value by its bounds
    await expect(backend.handlers.generation.start({ checkpointId: ck.id, prompt: '', temprature: 1 } as never)).rejects.toMatchObject({
      code: 'BAD_REQUEST', message: "the generation request has no field 'temprature'",
    })
    await expect(backend.handlers.generation.start({ checkpointId: ck.id, prompt: '', topP: 2 })).rejects.toMatchObject({
      code: 'BAD_REQUEST', message: 'Top-p must be between 0 and 1',
    })

    const chat = await backend.handlers.chats.create({ checkpointId: ck.id })
    const reply = await backend.handlers.chats.reply({ chatId: chat.id, message: 'the model', maxTokens: 15 })
    await waitFor(() => generation.find((g) => g.generationId === reply.generationId && g.type === 'done'), 'the reply')
    const saved = await backend.handlers.chats.get({ id: chat.id }) // saved before 'done' goes out
    expect(saved.messages.map((m) => m.role)).toEqual(['user', 'assistant'])
    expect(saved.messages[1].stats?.tokens).toBeGreaterThan(0)
    expect((await backend.handlers.chats.list())[0]).toMatchObject({ id: chat.id, messages: 2 })
    await expect(backend.handlers.chats.reply({ chatId: chat.id, message: 'Zebra' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(backend.handlers.chats.reply({ chatId: chat.id, message: 'hi', max_tokens: 5 } as never)).rejects.toMatchObject({
      code: 'BAD_REQUEST', message: "the request has no field 'max_tokens'",
    })
  })

  it('marks a run interrupted when the engine is killed, and continues it from the autosave', async () => {
    const run = await backend.handlers.training.start({ datasetId, name: 'long', model: tinyModel, train: { ...tinyTrain, steps: 100_000 } })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'saved' && e.reason !== 'best'), 'an autosave')
    process.kill(backend.engine.pid!, 'SIGKILL')
    const failed = await waitFor(() => ofRun(run.runId).find((e) => e.type === 'failed'), 'the interruption')
    expect(failed.type === 'failed' && failed.run.status).toBe('interrupted')
    expect(failed.type === 'failed' && failed.error).toMatchObject({ code: 'ENGINE_CRASHED', hint: expect.stringContaining('continue the run') })
    const interrupted = (await backend.handlers.training.list()).find((r) => r.runId === run.runId)!
    const savedStep = interrupted.lastSavedStep!
    expect(savedStep % 5).toBe(0)

    const before = ofRun(run.runId).length
    await backend.handlers.training.continue({ runId: run.runId, steps: savedStep + 20 })
    await waitFor(() => ofRun(run.runId).slice(before).find((e) => e.type === 'finished'), 'the continued run to finish')
    const resumed = ofRun(run.runId).slice(before)
    // The checkpoint may be newer than the record: an autosave can land just before the kill
    // while its event is lost with the process. Continuing starts from the file, never earlier.
    expect(resumed[0].type).toBe('started')
    const start = resumed[0].type === 'started' ? resumed[0].run.metrics.step : -1
    expect(start).toBeGreaterThanOrEqual(savedStep)
    expect(start % 5).toBe(0)
    const steps = resumed.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.point.step : 0))
    expect(steps).toEqual(Array.from({ length: savedStep + 20 - start }, (_, i) => start + 1 + i))
  })

  it('controls runs and refuses what makes no sense', async () => {
    const run = await backend.handlers.training.start({ datasetId, model: tinyModel, train: { ...tinyTrain, steps: 100_000 } })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'step'), 'a step')
    await backend.handlers.training.pause({ runId: run.runId })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'paused'), 'paused')
    await expect(backend.handlers.training.continue({ runId: run.runId })).rejects.toMatchObject({ code: 'BUSY' })
    await backend.handlers.training.resume({ runId: run.runId })
    await backend.handlers.training.stop({ runId: run.runId })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'stopped'), 'stopped')
    await expect(backend.handlers.training.stop({ runId: run.runId })).rejects.toMatchObject({ code: 'NOT_RUNNING' })
    await expect(backend.handlers.training.start({ datasetId: 'names' })).rejects.toMatchObject({ code: 'NOT_FOUND', hint: expect.stringContaining('download') })
    await expect(backend.handlers.training.start({ datasetId, model: { preset: 'micro', numHeads: 5 } })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(backend.handlers.training.pause({ runId: '../../x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
  })

  it('holds out whole lines when asked (splitLines), and its passes evaluation cuts the same split', async () => {
    const lines = Array.from({ length: 1500 }, (_, i) => `${['ann', 'bob', 'cy', 'dee', 'eve'][i % 5]}${'abcdefg'[(i * 7) % 7]}${i % 13}`).sort().join('\n') + '\n'
    const listId = (await backend.handlers.datasets.import({ name: 'a sorted list', text: lines })).id
    const run = await backend.handlers.training.start({ datasetId: listId, model: tinyModel, train: { ...tinyTrain, steps: 6, splitLines: true } })
    const done = await waitFor(() => ofRun(run.runId).find((e) => e.type === 'finished'), 'the run')
    expect(done.type === 'finished' && done.run.train?.splitLines).toBe(true)
    const q = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: run.checkpointId, maxPasses: 1 })
    expect(q.tokens).toBeGreaterThan(lines.length * 0.09) // about a tenth, in whole lines
    expect(q.tokens).toBeLessThan(lines.length * 0.11)
    await expect(backend.handlers.training.start({ datasetId: listId, train: { splitLines: 'yes' } as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    // each line its own sequence (it holds out whole lines): its passes evaluation scores every val character from its own line
    const seq = await backend.handlers.training.start({ datasetId: listId, model: tinyModel, train: { ...tinyTrain, steps: 6, lineSequences: true } })
    const seqDone = await waitFor(() => ofRun(seq.runId).find((e) => e.type === 'finished'), 'the run with a line per sequence')
    expect(seqDone.type === 'finished' && seqDone.run.train).toMatchObject({ splitLines: true, lineSequences: true })
    const qs = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: seq.checkpointId, maxPasses: 1 })
    expect(qs.tokens).toBeGreaterThan(lines.length * 0.09)
    expect(qs.tokens).toBeLessThan(lines.length * 0.11)
    await expect(backend.handlers.training.start({ datasetId: listId, train: { lineSequences: true, splitLines: false } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('split_lines') })
  })

  it('after an app restart, a run that was training shows as interrupted', async () => {
    const run = await backend.handlers.training.start({ datasetId, model: tinyModel, train: { ...tinyTrain, steps: 100_000 } })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'saved' && e.reason !== 'best'), 'an autosave')
    // what the next app start sees on disk after this one died: its lock of the folder left stale
    rmSync(join(root, 'app.lock'))
    const second = await make()
    const seen = (await second.handlers.training.list()).find((r) => r.runId === run.runId)!
    expect(seen.status).toBe('interrupted')
    expect(seen.error?.code).toBe('APP_STOPPED')
    await second.dispose()
    await backend.handlers.training.stop({ runId: run.runId })
  })

  it('keeps training when an autosave fails, says so, and saves again once the folder is back', async () => {
    const run = await backend.handlers.training.start({ datasetId, name: 'unsaved', model: tinyModel, train: { ...tinyTrain, steps: 1_000_000 } })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'saved' && e.reason === 'autosave'), 'the first autosave')
    // the checkpoints folder becomes a file: every save into it fails (as root, chmod would not)
    const folder = join(root, 'checkpoints')
    renameSync(folder, `${folder}.away`)
    writeFileSync(folder, 'in the way')
    const failed = await waitFor(() => ofRun(run.runId).find((e) => e.type === 'saveFailed' && e.reason === 'autosave'), 'a failed autosave')
    expect(failed).toMatchObject({ type: 'saveFailed', willRetry: true, error: { message: expect.stringContaining('checkpoint') } })
    // (the record holds the latest failure: autosaves every 5 steps keep failing meanwhile)
    expect((await backend.handlers.training.list()).find((r) => r.runId === run.runId))
      .toMatchObject({ status: 'running', saveError: { code: expect.stringMatching(/^(SAVE_TARGET|SAVE_FAILED)$/), message: expect.stringContaining('checkpoint') } })
    const stepsAfter = ofRun(run.runId).filter((e) => e.type === 'step').length
    await waitFor(() => ofRun(run.runId).filter((e) => e.type === 'step').length > stepsAfter + 10, 'training to go on')
    rmSync(folder)
    renameSync(`${folder}.away`, folder)
    const savedAgain = ofRun(run.runId).length
    await waitFor(() => ofRun(run.runId).slice(savedAgain).find((e) => e.type === 'saved' && e.reason === 'autosave'), 'the next autosave')
    const listed = (await backend.handlers.training.list()).find((r) => r.runId === run.runId)!
    expect(listed.saveError).toBeUndefined()
    await backend.handlers.training.stop({ runId: run.runId })
    await waitFor(() => ofRun(run.runId).find((e) => e.type === 'stopped'), 'the run to stop')
  })
})
