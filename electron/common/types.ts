// Payload types of the contract. Plain data only: they cross process and network boundaries.
import type { ApiErrorShape } from './errors'

export interface SystemInfo {
  platform: string
  arch: string
  cpuModel: string
  cpuCores: number
  totalMemoryBytes: number
  freeMemoryBytes: number
  dataDir: string
  appVersion: string
  nodeVersion: string
  transport: 'ipc' | 'websocket'
}

export interface EngineInfo {
  version: string
  kernels: string
  arch: string
  compiler: string
  openmp: number
  threads: number
  napiVersion: number
  cppStandard: number
  pid: number // the engine process answering
}

export interface EngineStatus {
  state: 'starting' | 'ready' | 'crashed'
  pid?: number
  message?: string // for 'crashed': what happened, in words
  runsInterrupted?: string[] // training runs that were running when it crashed
}

export interface Settings {
  threads: number // 0 = all cores
  defaultPreset: string
  saveInterval: number // autosave every N steps
}

export interface DatasetEntry {
  id: string
  name: string
  description: string
  source: 'catalog' | 'imported'
  url?: string
  license?: string
  bytes?: number // size of the local file, or the catalog's expected size
  status: 'available' | 'downloading' | 'ready'
}

export interface DownloadProgress {
  id: string
  receivedBytes: number
  totalBytes: number | null
  done: boolean
  error?: ApiErrorShape
}

export interface ModelShape {
  embedDim: number
  numLayers: number
  numHeads: number
  maxSeqLen: number
  hiddenDim: number
  preludeLayers: number
  codaLayers: number
  meanPasses: number
  maxPasses: number
  backpropPasses: number
}

export interface PresetInfo {
  name: string
  model: ModelShape
}

export interface ModelEstimateRequest extends Partial<ModelShape> {
  preset?: string
  vocabSize: number
  batchSize?: number
}

export interface ModelEstimate {
  params: number
  weightBytes: number
  trainingStateBytes: number // weights + grads + AdamW moments
}

export interface TrainSettings {
  steps?: number
  batchSize?: number
  seqLen?: number
  gradAccum?: number
  lr?: number
  minLr?: number
  warmupSteps?: number
  weightDecay?: number
  beta1?: number
  beta2?: number
  gradClip?: number
  evalInterval?: number
  evalBatches?: number
  valFraction?: number
  seed?: number
}

export interface TrainStartRequest {
  datasetId: string
  name?: string
  model?: Partial<ModelShape> & { preset?: string }
  train?: TrainSettings
  initFromCheckpointId?: string // continue training from another run's weights
}

export type RunStatus = 'running' | 'paused' | 'finished' | 'stopped' | 'failed' | 'interrupted'

export interface RunMetrics {
  step: number
  steps: number
  trainLoss: number | null
  valLoss: number | null
  tokensPerSec: number | null
}

export interface RunInfo {
  runId: string
  name: string
  datasetId: string
  checkpointId: string
  status: RunStatus
  createdAt: string
  model: ModelShape | null
  params: number | null
  metrics: RunMetrics
  lastSavedStep: number | null
  error?: ApiErrorShape
  saveError?: ApiErrorShape // the last save failed (the checkpoint is still at lastSavedStep); cleared by the next save
}

export interface StepPoint {
  step: number
  steps: number
  passes: number
  trainLoss: number
  valLoss: number | null
  lr: number
  gradNorm: number
  tokensPerSec: number
  etaSeconds: number
}

export type TrainingEvent =
  | { runId: string; type: 'started'; run: RunInfo }
  | { runId: string; type: 'step'; point: StepPoint }
  | { runId: string; type: 'saved'; step: number; reason: string }
  | { runId: string; type: 'saveFailed'; step: number; reason: string; error: ApiErrorShape; willRetry: boolean; retryInSeconds: number | null; retryAtStep: number | null }
  | { runId: string; type: 'paused' | 'resumed'; step: number }
  | { runId: string; type: 'finished' | 'stopped'; run: RunInfo }
  | { runId: string; type: 'failed'; run: RunInfo; error: ApiErrorShape }

export interface CheckpointEntry {
  id: string // the run id that wrote it
  name: string
  path: string
  bytes: number
  modifiedAt: string
  model: ModelShape | null
  params: number | null
  trainedSteps: number | null
  valLoss: number | null
}

export interface SamplingSettings {
  maxTokens?: number
  temperature?: number
  topK?: number
  topP?: number
  repetitionPenalty?: number
  repetitionWindow?: number
  seed?: number
  stop?: string[]
  passes?: number
  adaptive?: boolean
  klThreshold?: number
  /** Weight precision while decoding: 'fp16' (the default) reads half the bytes per token, 'fp32' is exact. */
  weights?: 'fp16' | 'fp32'
}

export interface GenerationRequest extends SamplingSettings {
  checkpointId: string
  prompt: string
}

export interface GenerationResult {
  text: string
  tokens: number
  promptTokens: number
  meanPasses: number
  stopReason: 'max_tokens' | 'stop_string' | 'end_of_turn' | 'cancelled'
  seconds: number
  tokensPerSec: number
}

export type GenerationEvent =
  | { generationId: string; type: 'token'; text: string }
  | { generationId: string; type: 'done'; result: GenerationResult }
  | { generationId: string; type: 'error'; error: ApiErrorShape }

export interface ChatMessage {
  role: 'user' | 'assistant'
  text: string
  at: string
  stats?: { tokens: number; tokensPerSec: number; meanPasses: number }
}

export interface ChatSummary {
  id: string
  title: string
  checkpointId: string
  updatedAt: string
  messages: number
}

export interface ChatSession {
  id: string
  title: string
  checkpointId: string
  createdAt: string
  updatedAt: string
  messages: ChatMessage[]
}

export interface ChatReplyRequest extends SamplingSettings {
  chatId: string
  message: string
}
