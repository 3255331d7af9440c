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

export interface HostMethods {
  'engine.info': [void, EngineInfo]
  'engine.presets': [void, { name: string; model: ModelShape & { vocabSize: number } }[]]
  'engine.countParams': [Partial<ModelShape> & { preset?: string; vocabSize: number }, number]
  'train.start': [HostTrainParams, void]
  'train.pause': [{ jobId: string }, void]
  'train.resume': [{ jobId: string }, void]
  'train.stop': [{ jobId: string }, void]
  'model.info': [{ checkpointPath: string }, HostModelInfo]
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
    }
  | ({ type: 'step' } & StepPoint)
  | { type: 'saved'; path: string; step: number; reason: string }
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
  | { type: 'token'; text: string }
  | { type: 'done'; result: GenerationResult }
  | { type: 'error'; error: ApiErrorShape }

export type HostMessage =
  | { kind: 'ready'; pid: number }
  | { kind: 'response'; id: number; ok: true; value: unknown }
  | { kind: 'response'; id: number; ok: false; error: ApiErrorShape }
  | { kind: 'train'; jobId: string; event: HostTrainEvent }
  | { kind: 'generate'; jobId: string; event: HostGenerateEvent }
