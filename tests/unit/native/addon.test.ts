// The addon loaded in this very process: bad arguments are TypeError / RangeError at the call,
// engine failures reject with ENGINE_ERROR and a hint, and nothing takes the process down.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Addon } from '../../../electron/engine-host/addon'
import { repoRoot, tempDir, tinyModel, writeCorpus } from '../../support/engine'

const addonPath = join(repoRoot, 'native', 'out', 'Release', 'microgpt.node')

describe('addon', () => {
  let addon: Addon
  let data: string
  beforeAll(() => {
    if (!existsSync(addonPath)) throw new Error(`${addonPath} is missing: run npm run build:native`)
    addon = createRequire(__filename)(addonPath) as Addon
    data = writeCorpus(tempDir())
  })

  it('describes its build and presets', () => {
    expect(addon.version()).toMatch(/^\d+\.\d+\.\d+$/)
    expect(addon.buildInfo()).toMatchObject({ napiVersion: 8, cppStandard: 202002 })
    expect(addon.presets().map((p) => p.name)).toEqual(['micro', '8gb', '16gb', 'small', 'medium'])
    expect(addon.countParams({ preset: '8gb', vocabSize: 65 })).toBe(845312)
  })

  it('throws TypeError for wrong types and RangeError for wrong values', () => {
    const T = addon.TrainingJob as unknown as new (...a: unknown[]) => unknown
    expect(() => new T()).toThrow(TypeError)
    expect(() => new T({ dataPath: data })).toThrow(TypeError) // no callback
    expect(() => new T({ dataPath: 42 }, () => {})).toThrow(TypeError)
    expect(() => new T({ dataPath: data, train: { steps: 'ten' } }, () => {})).toThrow(TypeError)
    expect(() => new T({ dataPath: data, train: { steps: 0 } }, () => {})).toThrow(RangeError)
    expect(() => new T({ dataPath: data, train: { lr: -1 } }, () => {})).toThrow(RangeError)
    expect(() => new T({ dataPath: data, model: { preset: 'huge' } }, () => {})).toThrow(RangeError)
    expect(() => new T({ dataPath: data, model: { ...tinyModel, numHeads: 3 } }, () => {})).toThrow(/divisible by num_heads/)
    expect(() => new T({ dataPath: data, resume: true }, () => {})).toThrow(TypeError)
    expect(() => (T as unknown as () => void)()).toThrow(TypeError) // without new
    expect(() => addon.countParams({ vocabSize: 0 } as never)).toThrow(RangeError)
    expect(() => addon.loadModel(5 as never)).toThrow(TypeError)
    const M = (addon as unknown as { Model: new (...a: unknown[]) => unknown }).Model
    expect(() => new M({})).toThrow(TypeError)
  })

  it('rejects with the engine message and hint for failures found on the worker thread', async () => {
    await expect(addon.loadModel(join(tempDir(), 'missing.bin'))).rejects.toMatchObject({ code: 'ENGINE_ERROR', message: expect.stringContaining('cannot open checkpoint'), hint: expect.any(String) })
    const job = new addon.TrainingJob({ dataPath: join(tempDir(), 'none.txt') }, () => {})
    await expect(job.done).rejects.toMatchObject({ code: 'ENGINE_ERROR', message: expect.stringContaining('cannot open data file') })
  })

  it('keeps going when a listener throws', async () => {
    const dir = tempDir()
    const job = new addon.TrainingJob({ dataPath: data, checkpointPath: join(dir, 'm.bin'), model: tinyModel, train: { steps: 5, batchSize: 2 } }, () => {
      throw new Error('listener bug')
    })
    await expect(job.done).resolves.toMatchObject({ status: 'finished', step: 5 })
    const model = await addon.loadModel(join(dir, 'm.bin'))
    const g = model.generate({ prompt: 'the', maxTokens: 5 }, () => {
      throw new Error('listener bug')
    })
    await expect(g.done).resolves.toMatchObject({ tokens: 5 })
    for (const weights of ['fp32', 'fp16'] as const) {
      const w = model.generate({ prompt: 'the', maxTokens: 5, temperature: 0, weights }, () => {})
      await expect(w.done).resolves.toMatchObject({ tokens: 5 })
    }
    expect(() => model.generate({ prompt: 'the', weights: 'fp8' as never }, () => {})).toThrow(RangeError)
    expect(() => model.generate({ prompt: 'the', weights: 16 as never }, () => {})).toThrow(TypeError)
    expect(() => model.generate({ prompt: 'Q' }, () => {})).toThrow(RangeError)
    expect(() => model.generate({ history: [{ role: 'bot', text: 'x' }] }, () => {})).toThrow(TypeError)
    expect(() => model.generate({ history: [{ role: 'assistant', text: 'the' }] }, () => {})).toThrow(/end with a user turn/)
    expect(() => model.generate({ temperature: 99 }, () => {})).toThrow(RangeError)
  })
})
