// The models store with only lib/api replaced: the draft (a preset and the fields changed from
// it), its inline problems from fields.ts, the estimate that follows it, and a calibration that
// stops counting once the step's shape changes.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

const fake = await vi.hoisted(async () => (await import('../../../support/fake-api')).createFakeApi())
vi.mock('../../../../renderer/src/lib/api', () => ({ api: fake.api, transport: fake.transport }))

import { useModelsStore } from '../../../../renderer/src/stores/models'
import { useSettingsStore } from '../../../../renderer/src/stores/settings'

// as the engine gives it: plain (max passes 1), its recursion knobs waiting for max passes above 1
const micro = { embedDim: 64, numLayers: 2, numHeads: 2, maxSeqLen: 64, hiddenDim: 256, preludeLayers: 0, codaLayers: 0, meanPasses: 2, maxPasses: 1, backpropPasses: 2 }
const defaultSettings = { threads: 0, defaultPreset: '8gb', saveInterval: 200, sampleInterval: 200, theme: 'system', ui: { view: 'datasets', draft: null } }
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('models store', () => {
  beforeEach(async () => {
    await tick(200) // the previous test's store may still have an estimate timer going
    setActivePinia(createPinia())
    for (const g of Object.values(fake.api)) for (const f of Object.values(g)) f.mockReset()
    fake.api.models.presets.mockResolvedValue([
      { name: 'micro', model: micro, train: { lr: 3e-3 } },
      { name: '8gb', model: { ...micro, embedDim: 128, numLayers: 4, numHeads: 4, hiddenDim: 512 }, train: { lr: 3e-3 } },
    ])
    fake.api.settings.get.mockResolvedValue({ ...defaultSettings, defaultPreset: 'micro' })
    fake.api.settings.update.mockImplementation(async (p) => ({ ...defaultSettings, ...p }))
  })

  it('applies changed fields over the preset, and a preset value clears the change', async () => {
    const store = useModelsStore()
    await store.load()
    expect(store.draft.preset).toBe('micro')
    expect(store.problems).toEqual([]) // a plain preset's mean and backprop passes (2) wait for max passes above 1
    expect(store.draft.train.lr).toBeUndefined() // left to the engine: the preset's
    store.setModelField('embedDim', 96)
    store.setModelField('numHeads', 3)
    expect(store.shape).toMatchObject({ embedDim: 96, numHeads: 3, numLayers: 2 })
    store.setModelField('numHeads', 2)
    expect(store.draft.model).toEqual({ embedDim: 96 })
    store.choosePreset('8gb')
    expect(store.draft.model).toEqual({})
    expect(store.shape?.embedDim).toBe(128)
  })

  it('says inline what is wrong, field by field, and does not ask for an estimate then', async () => {
    const store = useModelsStore()
    await store.load()
    store.chooseDataset('chat')
    store.setModelField('numHeads', 3)
    store.setTrainField('lr', 2)
    store.setModelField('maxPasses', 2)
    store.setModelField('backpropPasses', 3)
    expect(store.problemFor('numHeads')).toBe('3 heads do not divide the embedding width 64')
    expect(store.problemFor('lr')).toBe('Learning rate must be between 1e-9 and 1')
    expect(store.problemFor('backpropPasses')).toBe('backprop passes (3) cannot exceed max passes (2)')
    expect(store.valid).toBe(false)
    await tick(250)
    expect(fake.api.models.estimate).not.toHaveBeenCalled()
    expect(store.estimate).toBeNull()
  })

  it('estimates the draft after a pause in typing, remembers it, and keeps a calibration only for its step shape', async () => {
    const store = useModelsStore()
    const settings = useSettingsStore()
    await store.load()
    fake.api.models.estimate.mockImplementation(async (req) => ({ params: req.train.batchSize * 1000, model: micro, vocabSize: 99, batchSize: req.train.batchSize, seqLen: 64, memory: { total: 1 }, availableBytes: 2, fits: true }))
    store.chooseDataset('chat')
    store.setTrainField('batchSize', 4)
    store.setTrainField('batchSize', 8)
    await tick(250)
    expect(fake.api.models.estimate).toHaveBeenCalledTimes(1)
    expect(fake.api.models.estimate.mock.calls[0]![0]).toMatchObject({ preset: 'micro', datasetId: 'chat', train: { batchSize: 8 } })
    expect(store.estimate?.params).toBe(8000)
    expect(settings.ui.draft).toMatchObject({ datasetId: 'chat', train: { batchSize: 8 } })
    await tick(600)
    expect(fake.api.settings.update).toHaveBeenCalledWith({ ui: expect.objectContaining({ draft: expect.objectContaining({ datasetId: 'chat' }) }) })

    fake.api.models.calibrate.mockResolvedValue({ tokensPerSec: 5120, secondsPerStep: 0.1, steps: 20, seconds: 2, threads: 2 })
    await store.calibrate()
    // 2000 steps x 8 x 64 tokens at 5120 tokens/s
    expect(store.expectedSeconds).toBe(200)
    store.setTrainField('steps', 4000)
    expect(store.expectedSeconds).toBe(400) // the run's length does not change the pace
    store.setTrainField('batchSize', 16)
    expect(store.calibration).toBeNull() // a different step needs measuring again
  })
})
