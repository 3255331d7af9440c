// The field tables' checks: the one validation the back end and the Model window share.
import { describe, expect, it } from 'vitest'
import { checkFields, FieldError, lineSettings, modelFields, modelProblems, samplingFields, trainFields, trainProblems, trainSequenceLength } from '../../../../electron/common/fields'

describe('fields', () => {
  it('takes known fields in bounds, drops undefined ones, passes the extra keys allowed, and names what it refuses', () => {
    expect(checkFields(modelFields, { embedDim: 96, numHeads: undefined, preset: 'micro' }, 'model', ['preset'])).toEqual({ embedDim: 96, preset: 'micro' })
    expect(checkFields(trainFields, undefined, 'train')).toEqual({})
    const refused = (f: () => unknown): FieldError => {
      try {
        f()
      } catch (e) {
        return e as FieldError
      }
      throw new Error('not refused')
    }
    expect(refused(() => checkFields(modelFields, { embedDIm: 96 }, 'model'))).toMatchObject({ key: 'embedDIm', message: "model has no field 'embedDIm'" })
    expect(refused(() => checkFields(modelFields, { numLayers: 2.5 }, 'model')).message).toBe('Layers must be a whole number')
    expect(refused(() => checkFields(modelFields, { maxSeqLen: 5000 }, 'model')).message).toBe('Context length must be between 1 and 4096')
    expect(refused(() => checkFields(trainFields, { lr: '0.1' }, 'train')).message).toBe('Learning rate must be a number')
    expect(refused(() => checkFields(trainFields, [1], 'train')).message).toBe('train must be an object')
    expect(refused(() => checkFields(trainFields, { __proto__: 1, constructor: 2 }, 'train')).key).toBe('constructor')
    expect(refused(() => checkFields(samplingFields, { weights: 'int8' }, 'sampling')).message).toBe('Weights must be one of fp16, fp32')
    expect(refused(() => checkFields(samplingFields, { stop: ['ok', ''] }, 'sampling')).message).toBe('Stop strings must be a list of non-empty strings')
    expect(checkFields(samplingFields, { adaptive: true, stop: ['\n'] }, 'sampling')).toEqual({ adaptive: true, stop: ['\n'] })
  })

  it('says what ties the model\'s fields together, as the engine checks it', () => {
    const micro = { embedDim: 64, numLayers: 2, numHeads: 2, maxSeqLen: 64, hiddenDim: 256, preludeLayers: 0, codaLayers: 0, meanPasses: 1, maxPasses: 1, backpropPasses: 1 }
    expect(modelProblems(micro)).toEqual([])
    expect(modelProblems({ ...micro, numHeads: 3 })).toEqual([{ key: 'numHeads', message: '3 heads do not divide the embedding width 64' }])
    expect(modelProblems({ ...micro, preludeLayers: 1, codaLayers: 1 })).toEqual([{ key: 'codaLayers', message: 'prelude + coda (2) must leave at least one core layer of 2' }])
    expect(modelProblems({ ...micro, maxPasses: 2, meanPasses: 3 }).map((p) => p.key)).toEqual(['meanPasses'])
    // a field out of its bounds is reported once, not again by the rules that use it
    expect(modelProblems({ ...micro, numHeads: 0 })).toEqual([{ key: 'numHeads', message: 'Attention heads must be between 1 and 256' }])
    expect(trainProblems({ lr: 1e-3, minLr: 1e-2 })).toEqual([{ key: 'minLr', message: 'Final learning rate cannot exceed the learning rate' }])
    expect(trainProblems({ valFraction: 0, beta2: 1 }).map((p) => p.key)).toEqual(['valFraction', 'beta2'])
  })

  it('resolves how a run treats lines and its sequence length, as the back end and the Model window both show', () => {
    // a list of lines (the catalog's names): whole lines held out unless told otherwise; a line per sequence when asked
    expect(lineSettings({}, true)).toEqual({ splitLines: true, lineSequences: false })
    expect(lineSettings({ splitLines: false }, true)).toEqual({ splitLines: false, lineSequences: false })
    expect(lineSettings({ lineSequences: true }, true)).toEqual({ splitLines: true, lineSequences: true })
    // any other text: neither, and each line its own sequence holds out whole lines
    expect(lineSettings({}, false)).toEqual({ splitLines: false, lineSequences: false })
    expect(lineSettings({ lineSequences: true }, false)).toEqual({ splitLines: true, lineSequences: true })
    expect(trainProblems({ lineSequences: true, splitLines: false })).toEqual([{ key: 'lineSequences', message: 'Each line its own sequence needs "Hold out whole lines" on' }])
    // the longest line when a row is a line and it fits; else the seqLen asked, else the context
    expect(trainSequenceLength({ lineSequences: true }, 64, true, 16)).toBe(16)
    expect(trainSequenceLength({}, 64, true, 16)).toBe(64)
    expect(trainSequenceLength({ seqLen: 32, lineSequences: true }, 64, true, 16)).toBe(32)
    expect(trainSequenceLength({ lineSequences: true }, 8, true, 16)).toBe(8) // too long to fit: the engine refuses it by name
    expect(trainSequenceLength({ lineSequences: true }, 64, true, undefined)).toBe(64)
  })
})
