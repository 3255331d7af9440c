// The fields of a model, a training run and a sampling request are written twice, once for the
// app (electron/common/fields.ts) and once for the engine's binding (native/binding/convert.cpp),
// and held equal here: the same keys in the same order, kinds, bounds and choices, and the
// defaults the engine samples with when a field is left out (shown as placeholders). The bounds the
// binding reports are the ones it enforces, every object refuses a key that is no field, and the
// binding's memory plan and calibration answer for real configs.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { HostFieldSpec } from '../../../electron/common/engine-protocol'
import { modelFields, samplingFields, trainFields, type FieldTable } from '../../../electron/common/fields'
import type { Addon, AddonModel } from '../../../electron/engine-host/addon'
import { repoRoot, tempDir, tinyModel, writeCorpus } from '../../support/engine'

const addonPath = join(repoRoot, 'native', 'out', 'Release', 'microgpt.node')

function specsOf(table: FieldTable): HostFieldSpec[] {
  return Object.entries(table).map(([key, f]) => ({
    key,
    kind: f.kind,
    ...(f.kind === 'int' || f.kind === 'number' ? { min: f.min, max: f.max } : {}),
    ...((f.kind === 'int' || f.kind === 'number') && f.engineDefault !== undefined ? { engineDefault: f.engineDefault } : {}),
    ...(f.kind === 'choice' ? { choices: [...f.choices] } : {}),
  }))
}

// A value of the field's kind that its bounds refuse (out of range, wrong type, no such choice).
function refused(s: HostFieldSpec): unknown[] {
  switch (s.kind) {
    case 'int':
    case 'number':
      return [s.min! - 1, s.max! * 2 + 1, 'one', ...(s.kind === 'int' ? [s.min! + 0.5] : [])]
    case 'bool':
      return ['yes', 1]
    case 'choice':
      return ['nope', 16]
    case 'strings':
      return ['stop', [''], [3]]
  }
}

describe('field tables', () => {
  let addon: Addon
  let data: string
  let model: AddonModel
  beforeAll(async () => {
    if (!existsSync(addonPath)) throw new Error(`${addonPath} is missing: run npm run build:native`)
    addon = createRequire(__filename)(addonPath) as Addon
    const dir = tempDir()
    data = writeCorpus(dir)
    const job = new addon.TrainingJob({ dataPath: data, checkpointPath: join(dir, 'm.bin'), model: tinyModel, train: { steps: 2, batchSize: 2, evalBatches: 1 } }, () => {})
    await job.done
    model = await addon.loadModel(join(dir, 'm.bin'))
  })

  it('are the same in the engine and in fields.ts: keys, order, kinds, bounds, choices, sampling defaults', () => {
    const specs = addon.fieldSpecs()
    expect(specs.model).toEqual(specsOf(modelFields))
    expect(specs.train).toEqual(specsOf(trainFields))
    expect(specs.sampling).toEqual(specsOf(samplingFields))
  })

  it('enforce the bounds they report, naming the field', () => {
    const specs = addon.fieldSpecs()
    const base = { preset: 'micro', vocabSize: 40 }
    for (const s of specs.model)
      for (const v of refused(s)) expect(() => addon.countParams({ ...base, [s.key]: v }), `model.${s.key} = ${v}`).toThrow(new RegExp(s.key))
    for (const s of specs.train)
      for (const v of refused(s)) expect(() => addon.planMemory({ model: base, train: { [s.key]: v } }), `train.${s.key} = ${v}`).toThrow(new RegExp(s.key))
    for (const s of specs.sampling)
      for (const v of refused(s)) expect(() => model.generate({ prompt: 'the', [s.key]: v }, () => {}), `${s.key} = ${JSON.stringify(v)}`).toThrow(new RegExp(s.key))
    // and take a value at either bound (where no rule between fields or open interval applies)
    for (const key of ['steps', 'batchSize', 'gradAccum', 'warmupSteps', 'gradClip', 'evalInterval', 'evalBatches', 'seed']) {
      const s = specs.train.find((x) => x.key === key)!
      for (const v of [s.min!, s.max!]) expect(() => addon.planMemory({ model: base, train: { [key]: v } }), `train.${key} = ${v}`).not.toThrow()
    }
  })

  it('refuse a key that is no field: countParams, planMemory, calibrate, TrainingJob and generate', () => {
    expect(() => addon.countParams({ preset: 'micro', vocabSize: 40, embedDIm: 64 } as never)).toThrow(new TypeError("model has no field 'embedDIm'"))
    expect(() => addon.planMemory({ model: { vocabSize: 40, layers: 2 } as never })).toThrow(new TypeError("model has no field 'layers'"))
    expect(() => addon.planMemory({ model: { vocabSize: 40 }, train: { batch: 4 } as never })).toThrow(new TypeError("train has no field 'batch'"))
    expect(() => addon.planMemory({ model: { vocabSize: 40 }, bytes: 4 } as never)).toThrow(TypeError)
    expect(() => addon.calibrate({ model: { vocabSize: 40, heads: 2 } as never })).toThrow(new TypeError("model has no field 'heads'"))
    const T = addon.TrainingJob as unknown as new (...a: unknown[]) => unknown
    expect(() => new T({ dataPath: data, model: { ...tinyModel, embedDIm: 3 } }, () => {})).toThrow(new TypeError("model has no field 'embedDIm'"))
    expect(() => new T({ dataPath: data, model: tinyModel, train: { stpes: 3 } }, () => {})).toThrow(new TypeError("train has no field 'stpes'"))
    expect(() => model.generate({ prompt: 'the', tempreature: 0.5 } as never, () => {})).toThrow(new TypeError("the generation request has no field 'tempreature'"))
    // the keys each call site reads besides the fields pass, and an undefined value counts as absent
    expect(addon.countParams({ preset: 'micro', vocabSize: 40, embedDIm: undefined } as never)).toBe(addon.countParams({ preset: 'micro', vocabSize: 40 }))
    const g = model.generate({ prompt: 'the', maxTokens: 2, threads: 1, history: undefined }, () => {})
    return expect(g.done).resolves.toMatchObject({ tokens: 2 })
  })

  it('plan a run from the engine memory plan: the parts add up and grow with the batch', () => {
    const plan = (batchSize: number): ReturnType<Addon['planMemory']> =>
      addon.planMemory({ model: { preset: '8gb', vocabSize: 40 }, train: { batchSize }, dataBytes: 1000, dataTokens: 1000 })
    const a = plan(4)
    const b = plan(16)
    expect(a).toMatchObject({ model: { embedDim: 128, numLayers: 4, vocabSize: 40 }, params: addon.countParams({ preset: '8gb', vocabSize: 40 }), batchSize: 4, seqLen: 64 })
    expect(a.weights).toBe(a.params * 4)
    expect(a.gradients).toBe(a.params * 4)
    expect(a.optimizer).toBe(a.params * 8)
    expect(a.data).toBe(1000 + 4 * 1000)
    expect(a.total).toBe(a.weights + a.gradients + a.optimizer + a.activations + a.scratch + a.data)
    expect(b.activations).toBeGreaterThan(3 * a.activations) // the arenas scale with the batch
    expect(b.weights).toBe(a.weights)
    expect(a.availableBytes).toBeGreaterThan(0)
    // the kernels' buffers are per thread of the run: 1 MiB of runtime and a (T,T) scratch each, and gemm's packing
    const one = addon.planMemory({ model: { preset: '8gb', vocabSize: 40 }, threads: 1 })
    const four = addon.planMemory({ model: { preset: '8gb', vocabSize: 40 }, threads: 4 })
    expect(four.scratch - one.scratch).toBeGreaterThan(3 * (1024 * 1024 + 64 * 64 * 4))
    expect(four.total - one.total).toBe(four.scratch - one.scratch)
    expect(() => addon.planMemory({ model: { preset: '8gb', vocabSize: 40 }, train: { seqLen: 65 } })).toThrow(/exceeds the model's context length 64/)
    expect(() => addon.planMemory({ model: { preset: 'micro', vocabSize: 40, numHeads: 3 } })).toThrow(RangeError)
  })
})
