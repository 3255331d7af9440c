// ModelsService with the real engine process: the memory estimate is held to what a real run
// takes (the peak resident size of a fresh engine process that trains that config), and the
// calibration is a real short run that refuses what training would refuse.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HostTrainEvent } from '../../../../electron/common/engine-protocol'
import { modelFields, samplingFields, trainFields } from '../../../../electron/common/fields'
import type { ModelEstimate } from '../../../../electron/common/types'
import { DatasetsService } from '../../../../electron/services/datasets'
import { EngineClient } from '../../../../electron/services/engine-client'
import { ModelsService } from '../../../../electron/services/models'
import { forkEngine } from '../../../../electron/services/node-engine'
import { SettingsService } from '../../../../electron/services/settings'
import { corpus, hostScript, requireBuild, tempDir, waitFor } from '../../../support/engine'

const MiB = 1024 * 1024

/** The peak resident set of a process: VmHWM in /proc/<pid>/status. */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmHWM for process ${pid}`)
  return Number(m[1]) * 1024
}

describe('models service', () => {
  let dir: string
  let datasets: DatasetsService
  let settings: SettingsService
  let datasetId: string
  let dataPath: string
  const engines: EngineClient[] = []
  const service = (): { engine: EngineClient; models: ModelsService } => {
    const engine = new EngineClient(() => forkEngine(hostScript))
    engines.push(engine)
    return { engine, models: new ModelsService(engine, datasets, settings) }
  }

  beforeAll(async () => {
    requireBuild()
    dir = tempDir('mg-models-')
    datasets = new DatasetsService(join(dir, 'datasets'), [], () => {})
    settings = new SettingsService(join(dir, 'settings.json'))
    datasetId = (await datasets.import({ name: 'words', text: corpus(200_000) })).id
    dataPath = await datasets.path(datasetId)
  })
  afterAll(() => Promise.all(engines.map((e) => e.shutdown())))

  it('estimates within 20% of the peak memory of a real run, for three presets at two batch sizes', async () => {
    const rows: string[] = []
    const errors: number[] = []
    for (const preset of ['micro', '8gb', '16gb'])
      for (const batchSize of [4, 16]) {
        // a fresh engine process for each run, so its peak is this run's
        const { engine, models } = service()
        const events: HostTrainEvent[] = []
        engine.onTrain((_id, e) => events.push(e))
        const est: ModelEstimate = await models.estimate({ datasetId, preset, train: { batchSize } })
        expect(est).toMatchObject({ batchSize, seqLen: est.model.maxSeqLen, fits: true })
        const m = est.memory
        expect(m.total).toBe(m.weights + m.gradients + m.optimizer + m.activations + m.scratch + m.data + m.runtime)
        expect(m.runtime).toBeGreaterThan(20 * MiB) // a Node process with the addon loaded
        await engine.call('train.start', {
          jobId: 'run', dataPath, checkpointPath: join(dir, `${preset}-${batchSize}.bin`), model: { preset },
          train: { batchSize, steps: 4, evalInterval: 0, evalBatches: 2 }, threads: (await settings.get()).threads, // as the app passes them
        })
        const end = await waitFor(() => events.find((e) => e.type === 'finished' || e.type === 'failed'), 'the run to end')
        expect(end.type).toBe('finished')
        const started = events.find((e) => e.type === 'started')
        // the run's own plan, with the text's real token count: the estimate's, to a few bytes per character
        expect(started?.type === 'started' && Math.abs(started.memoryBytes - (m.total - m.runtime))).toBeLessThan(est.memory.data * 0.1 + 1)
        const measured = peakRss(engine.pid!)
        const reported = await engine.call('engine.memory', undefined)
        expect(reported.pid).toBe(engine.pid)
        expect(Math.abs(reported.peakRssBytes - measured)).toBeLessThan(2 * MiB) // the same peak, seen by getrusage
        await engine.shutdown()
        const error = (m.total - measured) / measured
        errors.push(error)
        rows.push(`${preset.padEnd(5)} batch ${String(batchSize).padStart(2)}: estimate ${(m.total / MiB).toFixed(1)} MiB, measured ${(measured / MiB).toFixed(1)} MiB, error ${(100 * error).toFixed(1)}%`)
      }
    console.log(`memory estimate vs peak RSS of a fresh engine process training 4 steps:\n${rows.join('\n')}`)
    for (const [i, e] of errors.entries()) expect(Math.abs(e), rows[i]).toBeLessThan(0.2)
  }, 120_000)

  it('calibrates a preset with a real short run and refuses what training would refuse', async () => {
    const { engine, models } = service()
    await settings.update({ threads: 2 })
    const c = await models.calibrate({ preset: 'micro', vocabSize: 30, seconds: 0.5 })
    console.log(`calibration, micro for 0.5 s: ${JSON.stringify(c)}`)
    expect(c.steps).toBeGreaterThanOrEqual(1)
    expect(c.seconds).toBeGreaterThanOrEqual(0.5)
    expect(c.tokensPerSec).toBeGreaterThan(0)
    expect(c.tokensPerSec).toBeCloseTo((16 * 64 * c.steps) / c.seconds, 0) // the default batch 16 of 64 characters
    expect(c.secondsPerStep).toBeCloseTo(c.seconds / c.steps, 6)
    expect(c.threads).toBe(2)
    // the same memory pre-flight as a training run: too big is OUT_OF_MEMORY, before allocating
    const huge = { preset: 'medium', model: { embedDim: 8192, hiddenDim: 65536, numLayers: 64 }, vocabSize: 30 }
    await expect(models.calibrate(huge)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY', message: expect.stringContaining('is available') })
    expect(await models.estimate(huge)).toMatchObject({ fits: false })
    // fields: checked by fields.ts before the engine, then the engine's rules between fields
    await expect(models.calibrate({ preset: 'micro', vocabSize: 30, train: { batchSize: 0 } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('Batch size') })
    await expect(models.calibrate({ preset: 'micro', vocabSize: 30, model: { embedDIm: 3 } } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: "model has no field 'embedDIm'" })
    await expect(models.calibrate({ preset: 'micro', vocabSize: 30, seconds: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('seconds') })
    await expect(models.estimate({ preset: 'micro', vocabSize: 30, model: { numHeads: 3 } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('divisible by num_heads') })
    await expect(models.estimate({ preset: 'micro', vocabSize: 30, batch: 4 } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: "the request has no field 'batch'" })
    await expect(models.estimate({ preset: 'micro' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('vocabSize') })
    await expect(models.estimate({ datasetId: 'nothing-here', preset: 'micro' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(models.estimate({ preset: 'tiny', vocabSize: 30 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining("unknown preset 'tiny'") })
    // the vocabulary: the dataset's characters plus the 3 special tokens
    const stats = (await datasets.list()).find((d) => d.id === datasetId)!.stats!
    expect(await models.estimate({ datasetId, preset: 'micro' })).toMatchObject({ vocabSize: stats.vocabularySize + 3, memory: { data: stats.bytes + 4 * stats.characters } })
    // each line its own sequence: a row as long as the longest line, as the run will train, not the context of 64
    const names = (await datasets.import({ name: 'names', text: 'anna\nbo\nchristopher\n'.repeat(400) })).id
    expect(await models.estimate({ datasetId: names, preset: 'micro', train: { lineSequences: true } })).toMatchObject({ seqLen: 12 })
    expect(await models.estimate({ datasetId: names, preset: 'micro' })).toMatchObject({ seqLen: 64 })
    expect(await models.estimate({ datasetId: names, preset: 'micro', model: { maxSeqLen: 8 }, train: { lineSequences: true } })).toMatchObject({ seqLen: 8 })
    await expect(models.calibrate({ datasetId: names, preset: 'micro', train: { lineSequences: true, splitLines: false }, seconds: 0.2 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('splitLines') })
    const rows = await models.calibrate({ datasetId: names, preset: 'micro', train: { lineSequences: true, batchSize: 8 }, seconds: 0.2 })
    expect(rows.tokensPerSec).toBeCloseTo((8 * 12 * rows.steps) / rows.seconds, 0) // rows of the longest line, 12
    // and the engine process reports the field tables fields.ts holds
    const specs = await engine.call('engine.fieldSpecs', undefined)
    expect(specs.model.map((s) => s.key)).toEqual(Object.keys(modelFields))
    expect(specs.train.map((s) => s.key)).toEqual(Object.keys(trainFields))
    expect(specs.sampling.map((s) => s.key)).toEqual(Object.keys(samplingFields))
  })
})
