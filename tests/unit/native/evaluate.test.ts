// addon.evaluate: a checkpoint's loss over every token of the trainer's val split (or of the
// whole text), off the JS thread, the same at any thread count, cancellable; bad requests are
// TypeError / RangeError at the call, what needs the checkpoint rejects with BAD_REQUEST.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Addon } from '../../../electron/engine-host/addon'
import { repoRoot, tempDir, tinyModel, tinyTrain, writeCorpus } from '../../support/engine'

const addonPath = join(repoRoot, 'native', 'out', 'Release', 'microgpt.node')

describe('addon.evaluate', () => {
  let addon: Addon
  let data: string
  let checkpointPath: string
  let valTokens: number
  beforeAll(async () => {
    if (!existsSync(addonPath)) throw new Error(`${addonPath} is missing: run npm run build:native`)
    addon = createRequire(__filename)(addonPath) as Addon
    const dir = tempDir()
    data = writeCorpus(dir, 8_000)
    checkpointPath = join(dir, 'm.bin')
    const job = new addon.TrainingJob({ dataPath: data, checkpointPath, model: tinyModel, train: { ...tinyTrain, steps: 20, evalInterval: 0 } }, (e) => {
      if (e.type === 'started') valTokens = e.valTokens as number
    })
    await expect(job.done).resolves.toMatchObject({ status: 'finished', step: 20 })
  })

  it('counts every token of the val split once, in nats and bits', async () => {
    const r = await addon.evaluate({ checkpointPath, dataPath: data, passes: 2 }).done
    expect(r).toMatchObject({ tokens: valTokens - 1, passes: 2, meanPasses: 2, adaptive: false, seqLen: tinyModel.maxSeqLen, split: 'val', valFraction: expect.closeTo(0.1, 6), dataIsTrainingData: true })
    expect(r.windows).toBe(Math.ceil((valTokens - 1) / tinyModel.maxSeqLen))
    expect(r.loss).toBeGreaterThan(0)
    expect(r.bitsPerChar).toBeCloseTo(r.loss / Math.LN2, 12)
    expect(r.tokensPerSec).toBeGreaterThan(0)
    expect(r.msPerToken).toBeCloseTo((1000 * r.seconds) / r.tokens, 9)
  })

  it('gives the same loss at 1 and 2 threads, another one at 1 pass, and adapts its depth', async () => {
    const one = await addon.evaluate({ checkpointPath, dataPath: data, passes: 2, threads: 1, batchSize: 3 }).done
    const two = await addon.evaluate({ checkpointPath, dataPath: data, passes: 2, threads: 2 }).done
    expect(one.threads).toBe(1)
    expect(Math.abs(one.loss - two.loss)).toBeLessThanOrEqual(1e-6)
    const shallow = await addon.evaluate({ checkpointPath, dataPath: data, passes: 1 }).done
    expect(Math.abs(shallow.loss - two.loss)).toBeGreaterThan(1e-4)
    const adaptive = await addon.evaluate({ checkpointPath, dataPath: data, passes: 4, adaptive: true, klThreshold: 0.01 }).done
    expect(adaptive).toMatchObject({ adaptive: true, passes: 4, tokens: two.tokens })
    expect(adaptive.meanPasses).toBeGreaterThanOrEqual(1)
    expect(adaptive.meanPasses).toBeLessThanOrEqual(4)
    const all = await addon.evaluate({ checkpointPath, dataPath: data, split: 'all' }).done
    expect(all).toMatchObject({ tokens: all.dataTokens - 1, valFraction: null })
  })

  it('refuses bad requests at the call and rejects what the checkpoint cannot do', async () => {
    const ev = addon.evaluate as unknown as (r: unknown) => unknown
    expect(() => ev(undefined)).toThrow(TypeError)
    expect(() => ev({ dataPath: data })).toThrow(/checkpointPath must be a non-empty string/)
    expect(() => ev({ checkpointPath, dataPath: 3 })).toThrow(TypeError)
    expect(() => ev({ checkpointPath, dataPath: data, passes: 'two' })).toThrow(TypeError)
    expect(() => ev({ checkpointPath, dataPath: data, pases: 2 })).toThrow(/pases/)
    expect(() => ev({ checkpointPath, dataPath: data, passes: 65 })).toThrow(RangeError)
    expect(() => ev({ checkpointPath, dataPath: data, passes: 1.5 })).toThrow(RangeError)
    expect(() => ev({ checkpointPath, dataPath: data, valFraction: 0.7 })).toThrow(RangeError)
    expect(() => ev({ checkpointPath, dataPath: data, klThreshold: 0 })).toThrow(RangeError)
    expect(() => ev({ checkpointPath, dataPath: data, batchSize: 0 })).toThrow(RangeError)
    expect(() => ev({ checkpointPath, dataPath: data, split: 'train' })).toThrow(RangeError)
    await expect(addon.evaluate({ checkpointPath, dataPath: data, seqLen: 64 }).done).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('max_seq_len') })
    await expect(addon.evaluate({ checkpointPath: join(tempDir(), 'none.bin'), dataPath: data }).done).rejects.toMatchObject({ code: 'ENGINE_ERROR', message: expect.stringContaining('cannot open checkpoint') })
    // a text long enough (4M characters) that the cancel lands while the evaluation runs
    const job = addon.evaluate({ checkpointPath, dataPath: writeCorpus(tempDir(), 4_000_000), split: 'all' })
    job.cancel()
    await expect(job.done).rejects.toMatchObject({ code: 'CANCELLED' })
  })
})
