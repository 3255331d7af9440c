// Messages between the app's back end and the engine process (engine-host/). The same
// messages travel over Electron's utilityProcess port and over Node's child_process channel.
import type { ApiErrorShape } from './errors'
import type { EngineInfo, GenerationResult, ModelShape, SamplingSettings, StepPoint, TrainSettings } from './types'

export interface HostTrainParams {
  jobId: string
  dataPath: string
  checkpointPath: string
  initFrom?: string
  resume?: boolean
  model?: Partial<ModelShape> & { preset?: string }
  train?: TrainSettings
  saveInterval?: number
  sampleInterval?: number // a 'sample' event of sampleTokens characters every N steps; 0 = none
  sampleTokens?: number
  saveRetrySeconds?: number // between attempts of a final save that failed (default 5)
  threads?: number
}

export interface HostGenerateParams extends SamplingSettings {
  jobId: string
  checkpointPath: string
  prompt?: string
  history?: { role: 'user' | 'assistant'; text: string }[]
  threads?: number
}

export interface HostModelInfo {
  path: string
  model: ModelShape & { vocabSize: number }
  params: number
  vocabSize: number
  defaultPasses: number
  trainedSteps: number | null
  scheduleSteps: number | null
}

// A whole-split evaluation (native/src/eval/evaluate.h): every target token of the text's
// validation split (the trainer's: its last valFraction) or of the whole text, counted once.
export interface HostEvaluateParams {
  checkpointPath: string
  dataPath: string
  split?: 'val' | 'all' // default 'val'
  passes?: number // core passes per token (adaptive: the most); 0 or absent: the model's default
  adaptive?: boolean // stop a token's passes once KL to the previous pass is below klThreshold
  klThreshold?: number
  valFraction?: number // default: the checkpoint's run's, else 0.1
  batchSize?: number // windows per forward
  seqLen?: number // window length; 0 or absent: the run's training length
  threads?: number
}

export interface HostEvalResult {
  tokens: number // target tokens evaluated
  loss: number // mean cross-entropy, nats per token
  bitsPerChar: number
  tokensPerSec: number
  msPerToken: number
  meanPasses: number
  seconds: number
  passes: number
  adaptive: boolean
  seqLen: number
  windows: number
  split: 'val' | 'all'
  valFraction: number | null // null for 'all'
  dataTokens: number // the whole text
  dataIsTrainingData: boolean | null // the checkpoint's run trained on this text; null: it kept no training state
  threads: number
}

// The engine's memory plan for a run (native/src/train/memory-plan.h), bytes.
export interface HostMemoryPlan {
  model: ModelShape & { vocabSize: number } // resolved: the preset with the fields applied
  params: number
  batchSize: number
  seqLen: number
  weights: number
  gradients: number
  optimizer: number
  activations: number
  scratch: number
  data: number
  total: number
  availableBytes: number | null // MemAvailable and cgroup limits; null when unknown
}

// A field the binding reads, with the bounds it enforces: the test that holds fields.ts to the engine.
export interface HostFieldSpec {
  key: string
  kind: 'int' | 'number' | 'bool' | 'choice' | 'strings'
  min?: number
  max?: number
  choices?: string[]
  engineDefault?: number // sampling numbers: the value used when a request leaves the field out
}

export interface HostMethods {
  'engine.info': [void, EngineInfo]
  'engine.presets': [void, { name: string; model: ModelShape & { vocabSize: number }; train: { lr: number } }[]]
  'engine.countParams': [Partial<ModelShape> & { preset?: string; vocabSize: number }, number]
  'engine.planMemory': [{ model: Partial<ModelShape> & { preset?: string; vocabSize: number }; train?: TrainSettings; dataBytes?: number; dataTokens?: number; threads?: number }, HostMemoryPlan]
  // trains a throwaway model on random tokens for about `seconds` (after a warm-up step)
  'engine.calibrate': [{ model: Partial<ModelShape> & { preset?: string; vocabSize: number }; train?: TrainSettings; seconds?: number; threads?: number }, { tokensPerSec: number; secondsPerStep: number; steps: number; seconds: number; threads: number }]
  'engine.fieldSpecs': [void, { model: HostFieldSpec[]; train: HostFieldSpec[]; sampling: HostFieldSpec[] }]
  'engine.memory': [void, { pid: number; rssBytes: number; peakRssBytes: number }] // the engine process's own
  'train.start': [HostTrainParams, void]
  'train.pause': [{ jobId: string }, void]
  'train.resume': [{ jobId: string }, void]
  'train.stop': [{ jobId: string }, void]
  'model.info': [{ checkpointPath: string }, HostModelInfo]
  'model.evaluate': [HostEvaluateParams & { jobId?: string }, HostEvalResult] // a jobId lets evaluate.cancel stop it
  'evaluate.cancel': [{ jobId: string }, void] // the evaluation's request rejects with CANCELLED
  'generate.start': [HostGenerateParams, void]
  'generate.cancel': [{ jobId: string }, void]
}
export type HostMethod = keyof HostMethods

export interface HostRequest<M extends HostMethod = HostMethod> {
  id: number
  method: M
  params: HostMethods[M][0]
}

export type HostTrainEvent =
  | {
      type: 'started'; model: ModelShape & { vocabSize: number }; params: number; vocabSize: number; trainTokens: number; valTokens: number
      step: number; steps: number; memoryBytes: number; memoryAvailableBytes: number | null; checkpointBytes: number
      train: Required<TrainSettings> // the run's settings as the engine resolved them
    }
  | ({ type: 'step' } & StepPoint)
  | { type: 'sample'; step: number; text: string }
  // reason autosave | finished | stopped: the run's checkpoint; best: its best checkpoint at path, with its val loss
  | { type: 'saved'; path: string; step: number; reason: string; valLoss?: number }
  // a save that did not happen: the previous checkpoint is kept; the engine tries again at the
  // next autosave (retryAtStep) or, for the final save, after retryInSeconds
  | {
      type: 'saveFailed'; step: number; reason: string; code: string; message: string; hint: string
      willRetry: boolean; retryInSeconds: number | null; retryAtStep: number | null
    }
  | { type: 'paused' | 'resumed'; step: number }
  | { type: 'finished' | 'stopped'; step: number; steps: number; checkpointPath: string | null; valLoss: number | null }
  | { type: 'failed'; error: ApiErrorShape }

export type HostGenerateEvent =
  | { type: 'token'; text: string; passes: number[] } // passes: one entry per code point of text
  | { type: 'done'; result: GenerationResult }
  | { type: 'error'; error: ApiErrorShape }

export type HostMessage =
  | { kind: 'ready'; pid: number }
  | { kind: 'response'; id: number; ok: true; value: unknown }
  | { kind: 'response'; id: number; ok: false; error: ApiErrorShape }
  | { kind: 'train'; jobId: string; event: HostTrainEvent }
  | { kind: 'generate'; jobId: string; event: HostGenerateEvent }
