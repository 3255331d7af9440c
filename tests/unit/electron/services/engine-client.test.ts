// The engine host process with the real addon, driven through EngineClient as the app does.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HostGenerateEvent, HostTrainEvent } from '../../../../electron/common/engine-protocol'
import type { EngineStatus } from '../../../../electron/common/types'
import { EngineClient } from '../../../../electron/services/engine-client'
import { forkEngine } from '../../../../electron/services/node-engine'
import { hostScript, requireBuild, tempDir, tinyModel, tinyTrain, waitFor, writeCorpus } from '../../../support/engine'

describe('engine host', () => {
  let dir: string
  let data: string
  let client: EngineClient
  const train: { jobId: string; e: HostTrainEvent }[] = []
  const gen: { jobId: string; e: HostGenerateEvent }[] = []
  const status: EngineStatus[] = []
  const events = (jobId: string): HostTrainEvent[] => train.filter((x) => x.jobId === jobId).map((x) => x.e)

  beforeAll(() => {
    requireBuild()
    dir = tempDir()
    data = writeCorpus(dir)
    client = new EngineClient(() => forkEngine(hostScript))
    client.onTrain((jobId, e) => train.push({ jobId, e }))
    client.onGenerate((jobId, e) => gen.push({ jobId, e }))
    client.onStatus((s) => status.push(s))
  })
  afterAll(() => client.shutdown())

  it('answers with the engine build from its own process', async () => {
    const info = await client.call('engine.info', undefined)
    expect(info.version).toMatch(/^\d+\.\d+\.\d+$/)
    expect(info.pid).toBe(client.pid)
    expect(info.pid).not.toBe(process.pid)
    expect(status.map((s) => s.state)).toEqual(['starting', 'ready'])
  })

  it('trains 20 steps and streams every step in order, then saves', async () => {
    const checkpointPath = join(dir, 'a.bin')
    await client.call('train.start', { jobId: 'a', dataPath: data, checkpointPath, model: tinyModel, train: { ...tinyTrain, steps: 20 } })
    await waitFor(() => events('a').find((e) => e.type === 'finished'), 'the run to finish')
    const ev = events('a')
    expect(ev[0].type).toBe('started')
    const steps = ev.filter((e) => e.type === 'step')
    expect(steps.map((e) => (e.type === 'step' ? e.step : 0))).toEqual([...Array(20).keys()].map((i) => i + 1))
    for (const s of steps) {
      if (s.type !== 'step') continue
      expect(s.trainLoss).toBeGreaterThan(0)
      expect(s.tokensPerSec).toBeGreaterThan(0)
      expect(s.etaSeconds).toBeGreaterThanOrEqual(0)
      expect(s.lr).toBeGreaterThan(0)
    }
    expect(steps.filter((s) => s.type === 'step' && s.valLoss !== null)).toHaveLength(2) // eval every 10
    expect(ev.find((e) => e.type === 'saved' && e.reason !== 'best')).toMatchObject({ step: 20, reason: 'finished' })
    // the best weights beside it, after each evaluation that lowered the val loss (the first always does)
    expect(ev.find((e) => e.type === 'saved' && e.reason === 'best')).toMatchObject({ step: 10, path: expect.stringMatching(/\.best\.bin$/), valLoss: expect.any(Number) })
    expect(ev.at(-1)).toMatchObject({ type: 'finished', step: 20, checkpointPath })
    expect(existsSync(checkpointPath)).toBe(true)
  })

  it('pauses, resumes and stops a run; stop saves the checkpoint', async () => {
    const checkpointPath = join(dir, 'b.bin')
    await client.call('train.start', { jobId: 'b', dataPath: data, checkpointPath, model: tinyModel, train: { ...tinyTrain, steps: 1_000_000 } })
    await waitFor(() => events('b').filter((e) => e.type === 'step').length >= 3, 'three steps')
    await client.call('train.pause', { jobId: 'b' })
    const paused = await waitFor(() => events('b').find((e) => e.type === 'paused'), 'the paused event')
    const stepsAtPause = events('b').filter((e) => e.type === 'step').length
    await new Promise((r) => setTimeout(r, 400))
    expect(events('b').filter((e) => e.type === 'step').length).toBe(stepsAtPause)
    await client.call('train.resume', { jobId: 'b' })
    await waitFor(() => events('b').find((e) => e.type === 'resumed'), 'the resumed event')
    await waitFor(() => events('b').filter((e) => e.type === 'step').length >= stepsAtPause + 3, 'steps after resuming')
    await client.call('train.stop', { jobId: 'b' })
    const stopped = await waitFor(() => events('b').find((e) => e.type === 'stopped'), 'the stopped event')
    expect(stopped).toMatchObject({ checkpointPath })
    expect(paused).toMatchObject({ step: stepsAtPause })
    expect(events('b').some((e) => e.type === 'saved' && e.reason === 'stopped')).toBe(true)
    await expect(client.call('train.stop', { jobId: 'b' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('streams generated text and can cancel it', async () => {
    await client.call('generate.start', { jobId: 'g1', checkpointPath: join(dir, 'a.bin'), prompt: 'the ', maxTokens: 25, seed: 1 })
    const done = await waitFor(() => gen.find((g) => g.jobId === 'g1' && g.e.type === 'done'), 'generation g1')
    const text = gen.filter((g) => g.jobId === 'g1' && g.e.type === 'token').map((g) => (g.e.type === 'token' ? g.e.text : '')).join('')
    expect(done.e.type === 'done' && done.e.result.text).toBe(text)
    expect(done.e.type === 'done' && done.e.result.tokens).toBe(25)
    const passes = gen.filter((g) => g.jobId === 'g1').flatMap((g) => (g.e.type === 'token' ? g.e.passes : []))
    expect(passes).toHaveLength([...text].length) // one per code point, at the model's default passes
    expect(new Set(passes)).toEqual(new Set([done.e.type === 'done' && done.e.result.meanPasses]))

    await client.call('generate.start', { jobId: 'g2', checkpointPath: join(dir, 'a.bin'), maxTokens: 1_000_000 })
    await waitFor(() => gen.some((g) => g.jobId === 'g2' && g.e.type === 'token'), 'the first token of g2')
    await client.call('generate.cancel', { jobId: 'g2' })
    const end = await waitFor(() => gen.find((g) => g.jobId === 'g2' && g.e.type === 'done'), 'g2 to end')
    expect(end.e.type === 'done' && end.e.result.stopReason).toBe('cancelled')
    expect(end.e.type === 'done' && end.e.result.tokens).toBeLessThan(1_000_000)
  })

  it('evaluates a checkpoint over the whole val split in the engine process', async () => {
    const r = await client.call('model.evaluate', { checkpointPath: join(dir, 'a.bin'), dataPath: data, passes: 2 })
    expect(r).toMatchObject({ passes: 2, meanPasses: 2, split: 'val', dataIsTrainingData: true })
    expect(r.tokens).toBeGreaterThan(0)
    expect(r.bitsPerChar).toBeCloseTo(r.loss / Math.LN2, 9)
    await expect(client.call('model.evaluate', { checkpointPath: join(dir, 'a.bin'), dataPath: data, passes: 65 })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    // one with a job id can be cancelled (the request and the cancel travel in order)
    const job = client.call('model.evaluate', { jobId: 'e1', checkpointPath: join(dir, 'a.bin'), dataPath: data, split: 'all' }, null)
    await client.call('evaluate.cancel', { jobId: 'e1' })
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' })
    await expect(client.call('evaluate.cancel', { jobId: 'e1' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('reports bad requests as BAD_REQUEST and engine failures with their hint', async () => {
    await expect(client.call('train.start', { jobId: 'x', dataPath: data, checkpointPath: join(dir, 'x.bin'), model: { preset: 'micro', numHeads: 3 } }))
      .rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('divisible by num_heads') })
    await expect(client.call('generate.start', { jobId: 'y', checkpointPath: join(dir, 'a.bin'), prompt: 'Zebra!' }))
      .rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('never saw in training') })
    await expect(client.call('model.info', { checkpointPath: join(dir, 'missing.bin') })).rejects.toMatchObject({ code: 'ENGINE_ERROR' })
    await client.call('train.start', { jobId: 'z', dataPath: join(dir, 'nope.txt'), checkpointPath: join(dir, 'z.bin'), model: tinyModel })
    const failed = await waitFor(() => events('z').find((e) => e.type === 'failed'), 'the failure of z')
    expect(failed.type === 'failed' && failed.error.message).toContain('cannot open data file')
  })

  it('survives kill -9 mid-training: reports it, restarts on demand, and the autosave is intact', async () => {
    const checkpointPath = join(dir, 'k.bin')
    await client.call('train.start', { jobId: 'k', dataPath: data, checkpointPath, model: tinyModel, train: { ...tinyTrain, steps: 1_000_000 }, saveInterval: 5 })
    await waitFor(() => events('k').find((e) => e.type === 'saved' && e.reason !== 'best'), 'the first autosave')
    await waitFor(() => events('k').filter((e) => e.type === 'step').length >= 8, 'steps past the autosave')
    const oldPid = client.pid!
    const pending = client.call('model.info', { checkpointPath: join(dir, 'a.bin') }).catch((e) => e)
    process.kill(oldPid, 'SIGKILL')
    const crashed = await waitFor(() => status.find((s) => s.state === 'crashed'), 'the crash status')
    expect(crashed.message).toContain('SIGKILL')
    const err = await pending
    expect(err.code === 'ENGINE_CRASHED' || err.path).toBeTruthy() // answered before the kill, or failed by it
    // the next request starts a new engine process
    const info = await client.call('engine.info', undefined)
    expect(info.pid).not.toBe(oldPid)
    // the autosaved checkpoint survived the kill and loads
    const saved = await client.call('model.info', { checkpointPath })
    expect(saved.trainedSteps).toBeGreaterThanOrEqual(5)
    expect(saved.trainedSteps! % 5).toBe(0)
  })

  it('lets only one engine process train into a checkpoint; the second is refused until the first lets go', async () => {
    const checkpointPath = join(dir, 'shared.bin')
    const other = new EngineClient(() => forkEngine(hostScript))
    const otherEvents: HostTrainEvent[] = []
    other.onTrain((_jobId, e) => otherEvents.push(e))
    try {
      await client.call('train.start', { jobId: 'owner', dataPath: data, checkpointPath, model: tinyModel, train: { ...tinyTrain, steps: 1_000_000 }, saveInterval: 10 })
      await waitFor(() => events('owner').find((e) => e.type === 'saved' && e.reason !== 'best'), 'the owner to autosave')
      await other.call('train.start', { jobId: 'intruder', dataPath: data, checkpointPath, model: tinyModel, train: { ...tinyTrain, steps: 20 } })
      const refused = await waitFor(() => otherEvents.find((e) => e.type === 'failed'), 'the second writer to be refused')
      expect(refused).toMatchObject({ type: 'failed', error: { code: 'CHECKPOINT_LOCKED', message: expect.stringContaining(`pid ${client.pid}`) } })
      expect(otherEvents.some((e) => e.type === 'step')).toBe(false)
      await client.call('train.stop', { jobId: 'owner' })
      const stopped = await waitFor(() => events('owner').find((e) => e.type === 'stopped'), 'the owner to stop')
      otherEvents.length = 0
      const steps = (stopped.type === 'stopped' ? stopped.step : 0) + 5
      await other.call('train.start', { jobId: 'next', dataPath: data, checkpointPath, initFrom: checkpointPath, resume: true, train: { steps } })
      await waitFor(() => otherEvents.find((e) => e.type === 'finished'), 'the next writer to finish')
    } finally {
      await other.shutdown()
    }
  })
})
