// Models: the presets, what a model and run would take in memory here, and how fast they would
// train here. Every number is the engine's own: its memory plan (the one a training run is
// checked against before it allocates), the engine process's resident size, and a short real
// training run (calibration).
import { ApiError } from '../common/errors'
import { checkFields, lineSettings, modelFields, trainFields, trainSequenceLength, type ModelShape, type TrainSettings } from '../common/fields'
import type { CalibrationResult, DatasetStats, ModelEstimate, ModelEstimateRequest, PresetInfo } from '../common/types'
import type { DatasetsService } from './datasets'
import type { EngineClient } from './engine-client'
import type { SettingsService } from './settings'
import { bad, checkedFields } from './validate'

// The tokenizer's <|eot|>, <|user|> and <|assistant|>, on top of the text's characters.
export const specialTokens = 3
// The most characters a vocabulary can hold (native/src/model/limits.h: every Unicode scalar value).
const maxCharacters = 0x110000 - 0x800

/** What the engine needs for a run: the model (with its vocabulary), the settings, the data's size. */
interface RunRequest {
  model: Partial<ModelShape> & { preset?: string; vocabSize: number }
  train: TrainSettings
  dataBytes: number
  dataTokens: number
}

const requestKeys = ['preset', 'model', 'train', 'datasetId', 'vocabSize'] as const

export class ModelsService {
  constructor(
    private readonly engine: EngineClient,
    private readonly datasets: DatasetsService,
    private readonly settings: SettingsService,
  ) {}

  async presets(): Promise<PresetInfo[]> {
    return (await this.engine.call('engine.presets', undefined)).map((p) => {
      const { vocabSize: _v, ...model } = p.model
      return { name: p.name, model, train: p.train }
    })
  }

  async estimate(payload: unknown): Promise<ModelEstimate> {
    const run = await this.runRequest(payload, [])
    const { threads } = await this.settings.get() // the kernels' buffers are per thread of the run
    const [plan, engine] = await Promise.all([
      this.engine.call('engine.planMemory', { ...run, threads }),
      this.engine.call('engine.memory', undefined),
    ])
    // The runtime is the engine process as it is now, measured rather than a constant: an idle
    // one is 43 MiB here (a Node 20 child on x86-64 with the addon loaded, before any request),
    // an Electron utility process on the Pi is another size, and a process that has loaded a
    // model for a chat holds that as well. A run adds its plan to whatever the process holds.
    const runtime = engine.rssBytes
    const { vocabSize, ...model } = plan.model
    return {
      model,
      vocabSize,
      params: plan.params,
      batchSize: plan.batchSize,
      seqLen: plan.seqLen,
      memory: {
        weights: plan.weights, gradients: plan.gradients, optimizer: plan.optimizer, activations: plan.activations,
        scratch: plan.scratch, data: plan.data, runtime, total: plan.total + runtime,
      },
      availableBytes: plan.availableBytes,
      // The engine process is resident already, so what must still fit is the plan: the same
      // test TrainingSession makes before it allocates (it counts the text as read by then).
      fits: plan.availableBytes === null ? null : plan.total <= plan.availableBytes,
    }
  }

  async calibrate(payload: unknown): Promise<CalibrationResult> {
    const run = await this.runRequest(payload, ['seconds'])
    const seconds = (payload as { seconds?: unknown }).seconds
    if (seconds !== undefined && (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0))
      throw bad('seconds must be a positive number')
    const { threads } = await this.settings.get()
    return this.engine.call('engine.calibrate', { model: run.model, train: run.train, seconds, threads })
  }

  /** The request checked field by field, with its vocabulary and data from the dataset if it names one. */
  private async runRequest(payload: unknown, extra: readonly string[]): Promise<RunRequest> {
    if (payload === undefined || payload === null) throw bad('the request must be an object')
    const req = checkedFields(() => checkFields({}, payload, 'the request', [...requestKeys, ...extra])) as ModelEstimateRequest
    const model = checkedFields(() => checkFields(modelFields, req.model, 'model'))
    let train = checkedFields(() => checkFields(trainFields, req.train, 'train'))
    if (req.preset !== undefined && typeof req.preset !== 'string') throw bad('preset must be a string')
    // the engine's rule, checked here: the calibration trains on random tokens, which have no lines
    if (train.lineSequences === true && train.splitLines === false)
      throw bad('train.lineSequences holds out whole lines: it needs train.splitLines on (or left out)')
    let characters: number
    let stats: DatasetStats | undefined
    let dataBytes = 0
    let dataTokens = 0
    if (req.datasetId !== undefined) {
      await this.datasets.path(req.datasetId) // refuses an unknown or not yet downloaded dataset
      stats = (await this.datasets.list()).find((d) => d.id === req.datasetId)?.stats
      if (!stats) throw new ApiError('NOT_FOUND', `dataset ${req.datasetId} has no statistics yet`)
      characters = stats.vocabularySize
      dataBytes = stats.bytes
      dataTokens = stats.characters // at most: a chat marker is several characters and one token
    } else if (req.vocabSize !== undefined) {
      if (typeof req.vocabSize !== 'number' || !Number.isInteger(req.vocabSize) || req.vocabSize < 1 || req.vocabSize > maxCharacters)
        throw bad(`vocabSize must be a whole number from 1 to ${maxCharacters}`)
      characters = req.vocabSize
    } else {
      throw bad('give a datasetId or a vocabSize: the vocabulary sets the size of the embedding and the output layer')
    }
    // no preset: the one a training run would start from (TrainingService takes the same default)
    const preset = req.preset ?? (await this.settings.get()).defaultPreset
    if (req.datasetId !== undefined) {
      // the run's line settings and sequence length as training on this dataset resolves them (a
      // list of names: a line per row, as long as its longest line), which the engine cannot see here
      const listOfLines = this.datasets.holdsOutLines(req.datasetId)
      const maxSeqLen = model.maxSeqLen ?? (await this.presets()).find((p) => p.name === preset)?.model.maxSeqLen
      const seqLen = maxSeqLen === undefined ? train.seqLen : trainSequenceLength(train, maxSeqLen, listOfLines, stats?.longestLine)
      train = { ...train, ...lineSettings(train, listOfLines), ...(seqLen === undefined ? {} : { seqLen }) }
    }
    return { model: { preset, ...model, vocabSize: characters + specialTokens }, train, dataBytes, dataTokens }
  }
}
