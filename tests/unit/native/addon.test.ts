// The addon loaded in this very process: bad arguments are TypeError / RangeError at the call,
// engine failures reject with the engine's code (ENGINE_ERROR when it gives none) and a hint,
// failed saves are events that training survives, and nothing takes the process down.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Addon, AddonTrainRequest } from '../../../electron/engine-host/addon'
import { repoRoot, tempDir, tinyModel, tinyTrain, writeCorpus } from '../../support/engine'

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
    // plain GPTs at their peak lr; max passes above 1 adds the recursion's adapter and state norm (2C² + C)
    expect(addon.presets().map((p) => [p.name, p.model.maxPasses, p.train.lr])).toEqual([
      ['micro', 1, expect.closeTo(3e-3, 9)], ['8gb', 1, expect.closeTo(3e-3, 9)], ['16gb', 1, expect.closeTo(1e-3, 9)],
      ['small', 1, expect.closeTo(1e-3, 9)], ['medium', 1, expect.closeTo(1e-3, 9)],
    ])
    expect(addon.countParams({ preset: '8gb', vocabSize: 65 })).toBe(812416)
    expect(addon.countParams({ preset: '8gb', vocabSize: 65, maxPasses: 4 })).toBe(812416 + 2 * 128 * 128 + 128)
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

  it("trains a new model of a preset as a plain GPT at the preset's peak lr, and one from a checkpoint at 1e-3", async () => {
    const dir = tempDir()
    const startOf = async (request: AddonTrainRequest) => {
      let started: Record<string, unknown> | undefined
      const job = new addon.TrainingJob(request, (e) => { if (e.type === 'started') started = e })
      await expect(job.done).resolves.toMatchObject({ status: 'finished' })
      return started as { model: { maxPasses: number; meanPasses: number }; train: { lr: number } }
    }
    const plain = await startOf({ dataPath: data, checkpointPath: join(dir, 'p.bin'), model: { ...tinyModel, maxPasses: undefined }, train: { ...tinyTrain, steps: 2 } })
    expect(plain.model).toMatchObject({ maxPasses: 1, meanPasses: 1 })
    expect(plain.train.lr).toBeCloseTo(3e-3, 9)
    const told = await startOf({ dataPath: data, checkpointPath: join(dir, 't.bin'), model: tinyModel, train: { ...tinyTrain, steps: 2, lr: 2e-3 } })
    expect(told.model).toMatchObject({ maxPasses: 4, meanPasses: 2 })
    expect(told.train.lr).toBeCloseTo(2e-3, 9)
    const medium = await startOf({ dataPath: data, checkpointPath: join(dir, 'm.bin'), model: { preset: 'medium', embedDim: 32, numHeads: 2, hiddenDim: 64, maxSeqLen: 16, numLayers: 3 }, train: { ...tinyTrain, steps: 1 } })
    expect(medium.train.lr).toBeCloseTo(1e-3, 9)
    const further = await startOf({ dataPath: data, checkpointPath: join(dir, 'f.bin'), initFrom: join(dir, 'p.bin'), train: { ...tinyTrain, steps: 2 } })
    expect(further.train.lr).toBeCloseTo(1e-3, 9)
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

  it('streams the passes of each code point and reports the turns a chat reply trimmed', async () => {
    const dir = tempDir()
    const text = readFileSync(data, 'utf8').replaceAll('a', 'é').replaceAll('o', '€') // 2- and 3-byte characters
    writeFileSync(join(dir, 'u.txt'), text)
    const job = new addon.TrainingJob({ dataPath: join(dir, 'u.txt'), checkpointPath: join(dir, 'u.bin'), model: tinyModel, train: { ...tinyTrain, steps: 3 } }, () => {})
    await expect(job.done).resolves.toMatchObject({ status: 'finished' })
    const model = await addon.loadModel(join(dir, 'u.bin'))
    const stream = async (request: Parameters<typeof model.generate>[0]) => {
      let streamed = ''
      const passes: number[] = []
      const result = await model.generate(request, (piece, p) => {
        expect(p).toHaveLength([...piece].length)
        streamed += piece
        passes.push(...p)
      }).done
      return { streamed, passes, result }
    }
    const fixed = await stream({ prompt: 'thé', maxTokens: 60, temperature: 1.5, passes: 3 })
    expect(fixed.streamed).toBe(fixed.result.text)
    expect(fixed.streamed).toMatch(/[é€]/)
    expect(fixed.passes).toHaveLength([...fixed.streamed].length)
    expect(new Set(fixed.passes)).toEqual(new Set([3]))
    const adaptive = await stream({ prompt: 'thé', maxTokens: 60, passes: 8, adaptive: true, klThreshold: 1e-3 })
    expect(adaptive.passes.every((p) => p >= 1 && p <= 8)).toBe(true)
    // a token's passes are those of the step that chose it, the prompt's last step first
    expect(adaptive.result.stopReason).toBe('max_tokens')
    expect(adaptive.passes.reduce((a, b) => a + b, 0) / adaptive.passes.length).toBeCloseTo(adaptive.result.meanPasses, 9)
    expect(adaptive.result).not.toHaveProperty('trimmedTurns') // a plain continuation has no turns

    // the context is 32 tokens, 24 of them for the prompt; a turn is its characters, a role token
    // and an end of turn: 5 + 6 + 8 + 7 + 6 (the last also opens the reply), so the last three fit
    const history = ['thé', 'dété', 'mé€dél', 'é smé', 'thé'].map((t, i) => ({ role: i % 2 ? 'assistant' : 'user', text: t }))
    expect((await stream({ history, maxTokens: 5 })).result.trimmedTurns).toBe(2)
    expect((await stream({ history: history.slice(2), maxTokens: 5 })).result.trimmedTurns).toBe(0)
  })

  type Ev = Record<string, unknown> & { type: string }
  const quick = { ...tinyTrain, batchSize: 2, evalInterval: 0, evalBatches: 1 }

  it('reports a failed autosave as an event, keeps training, and saves again once the folder is back', async () => {
    const dir = tempDir()
    const sub = join(dir, 'sub')
    mkdirSync(sub)
    const events: Ev[] = []
    let restored = false
    const job = new addon.TrainingJob(
      { dataPath: data, checkpointPath: join(sub, 'm.bin'), model: tinyModel, train: { ...quick, steps: 300 }, saveInterval: 2, saveRetrySeconds: 0.05 },
      (e) => {
        events.push(e)
        if (e.type === 'paused') {
          // the folder becomes a file: every save fails until it is a folder again
          renameSync(sub, `${sub}.away`)
          writeFileSync(sub, 'not a folder')
          job.resume()
        }
        if (e.type === 'saveFailed' && !restored) {
          restored = true
          rmSync(sub)
          renameSync(`${sub}.away`, sub)
        }
      },
    )
    job.pause() // before its first step: the listener breaks the folder, then resumes
    await expect(job.done).resolves.toMatchObject({ status: 'finished', step: 300, checkpointPath: join(sub, 'm.bin') })
    const failed = events.filter((e) => e.type === 'saveFailed')
    expect(failed.length).toBeGreaterThan(0)
    expect(failed[0]).toEqual({
      type: 'saveFailed', step: expect.any(Number), reason: 'autosave', code: 'SAVE_TARGET',
      message: expect.stringContaining('Not a directory'), hint: expect.any(String), willRetry: true,
      retryInSeconds: null, retryAtStep: (failed[0].step as number) + 2,
    })
    const firstFailure = events.indexOf(failed[0])
    expect(events.slice(firstFailure).some((e) => e.type === 'saved')).toBe(true)
    const model = await addon.loadModel(join(sub, 'm.bin'))
    expect(model.info()).toMatchObject({ trainedSteps: 300 })
  })

  it('retries a failing final save until stopped again, then rejects naming what the file holds', async () => {
    const dir = tempDir()
    const sub = join(dir, 'sub')
    mkdirSync(sub)
    const failed: Ev[] = []
    const job = new addon.TrainingJob(
      { dataPath: data, checkpointPath: join(sub, 'm.bin'), model: tinyModel, train: { ...quick, steps: 100000 }, saveInterval: 0, saveRetrySeconds: 0.05 },
      (e) => {
        if (e.type === 'step' && e.step === 1) {
          rmSync(sub, { recursive: true })
          writeFileSync(sub, 'not a folder')
          job.stop()
        }
        if (e.type === 'saveFailed') {
          failed.push(e)
          if (failed.length === 2) job.stop() // a second stop gives up
        }
      },
    )
    const err = await job.done.then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({
      code: 'SAVE_TARGET', step: expect.any(Number), lastSavedStep: null,
      message: expect.stringContaining('gave up when stopped again: no checkpoint of this run was saved'),
    })
    expect(failed.length).toBeGreaterThanOrEqual(2)
    expect(failed[0]).toMatchObject({ reason: 'stopped', willRetry: true, retryInSeconds: 0.05, retryAtStep: null })
  })

  it('refuses a second job on a checkpoint another job is training, a folder as the target, and a run too big for memory', async () => {
    const dir = tempDir()
    const path = join(dir, 'm.bin')
    let started!: () => void
    const isStarted = new Promise<void>((r) => (started = r))
    const first = new addon.TrainingJob({ dataPath: data, checkpointPath: path, model: tinyModel, train: { ...quick, steps: 100000 }, saveInterval: 0 }, (e) => {
      if (e.type === 'started') started()
    })
    await isStarted
    const second = new addon.TrainingJob({ dataPath: data, checkpointPath: path, model: tinyModel, train: { ...quick, steps: 5 } }, () => {})
    await expect(second.done).rejects.toMatchObject({ code: 'CHECKPOINT_LOCKED', message: expect.stringContaining(`(pid ${process.pid})`), hint: expect.any(String) })
    first.stop()
    await expect(first.done).resolves.toMatchObject({ status: 'stopped', checkpointPath: path })
    expect(existsSync(`${path}.lock`)).toBe(false)

    const folder = new addon.TrainingJob({ dataPath: data, checkpointPath: dir, model: tinyModel, train: quick }, () => {})
    await expect(folder.done).rejects.toMatchObject({ code: 'SAVE_TARGET', message: expect.stringContaining('is a folder') })

    const huge = new addon.TrainingJob({ dataPath: data, model: { preset: 'medium' }, train: { batchSize: 65536, steps: 1 } }, () => {})
    await expect(huge.done).rejects.toMatchObject({
      code: 'OUT_OF_MEMORY', message: expect.stringMatching(/needs about .* but only .* of memory is available/), hint: expect.stringContaining('lower the batch size to'),
    })
  })

  it('rejects a damaged checkpoint with CHECKPOINT_DAMAGED', async () => {
    const dir = tempDir()
    const job = new addon.TrainingJob({ dataPath: data, checkpointPath: join(dir, 'm.bin'), model: tinyModel, train: { ...quick, steps: 2 } }, () => {})
    await job.done
    const bytes = readFileSync(join(dir, 'm.bin'))
    bytes[bytes.length - 20] ^= 0x10
    writeFileSync(join(dir, 'bad.bin'), bytes)
    await expect(addon.loadModel(join(dir, 'bad.bin'))).rejects.toMatchObject({ code: 'CHECKPOINT_DAMAGED', message: expect.stringContaining('checksum mismatch') })
    const resumed = new addon.TrainingJob({ dataPath: data, checkpointPath: join(dir, 'bad.bin'), initFrom: join(dir, 'bad.bin'), resume: true }, () => {})
    await expect(resumed.done).rejects.toMatchObject({ code: 'CHECKPOINT_DAMAGED' })
  })
})
