// Training runs: each run trains one checkpoint in the engine process and keeps a record
// (runs/<id>.json, written atomically) of its settings, progress and last autosave. A run that
// was going when the engine or the app died is marked 'interrupted' and can be continued from
// its last autosaved checkpoint.
import { mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError, toErrorShape } from '../common/errors'
import type { HostTrainEvent } from '../common/engine-protocol'
import type { ModelShape, RunInfo, StepPoint, TrainSettings, TrainStartRequest } from '../common/types'
import { JsonWriteQueue, readJson } from './atomic-file'
import type { DatasetsService } from './datasets'
import type { EngineClient } from './engine-client'
import type { EventBus } from './event-bus'
import { isSafeId, newId, type DataPaths } from './paths'
import type { SettingsService } from './settings'
import { bad, object, optionalInt, pick, string } from './validate'

interface RunRecord extends RunInfo {
  dataPath: string
  checkpointPath: string
}

const modelKeys = ['preset', 'embedDim', 'numLayers', 'numHeads', 'maxSeqLen', 'hiddenDim', 'preludeLayers', 'codaLayers',
  'meanPasses', 'maxPasses', 'backpropPasses'] as const
const trainKeys = ['steps', 'batchSize', 'seqLen', 'gradAccum', 'lr', 'minLr', 'warmupSteps', 'weightDecay', 'beta1', 'beta2',
  'gradClip', 'evalInterval', 'evalBatches', 'valFraction', 'seed'] as const

function shape(m: ModelShape & { vocabSize?: number }): ModelShape {
  const { vocabSize: _drop, ...rest } = m
  return rest
}

export function publicRun(r: RunRecord): RunInfo {
  const { dataPath: _d, checkpointPath: _c, ...info } = r
  return info
}

export class TrainingService {
  private runs = new Map<string, RunRecord>()

  constructor(
    private readonly paths: DataPaths,
    private readonly engine: EngineClient,
    private readonly datasets: DatasetsService,
    private readonly settings: SettingsService,
    private readonly bus: EventBus,
  ) {
    engine.onTrain((jobId, e) => this.onEngineEvent(jobId, e))
    engine.onStatus((s) => {
      if (s.state === 'crashed') void this.onEngineCrash(s.message ?? 'the engine process stopped')
    })
  }

  /** Loads the run records; runs that were going when the app last stopped become 'interrupted'. */
  async init(): Promise<void> {
    let names: string[] = []
    try {
      names = await readdir(this.paths.runs)
    } catch {
      return
    }
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      const r = await readJson<RunRecord>(join(this.paths.runs, n)).catch(() => null)
      if (!r || !isSafeId(r.runId)) continue
      if (r.status === 'running' || r.status === 'paused') {
        r.status = 'interrupted'
        r.error = { code: 'APP_STOPPED', message: 'the app stopped while this run was training', hint: this.resumeHint(r) }
        await this.persist(r).catch(() => {})
      }
      this.runs.set(r.runId, r)
    }
  }

  list(): RunInfo[] {
    return [...this.runs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map(publicRun)
  }

  run(runId: unknown): RunRecord {
    if (!isSafeId(runId)) throw bad('runId is not a valid id')
    const r = this.runs.get(runId)
    if (!r) throw new ApiError('NOT_FOUND', `there is no training run ${runId}`)
    return r
  }

  async start(payload: unknown): Promise<RunInfo> {
    const o = object(payload, 'the training request') as Partial<TrainStartRequest>
    const datasetId = string(o.datasetId, 'datasetId', 80)
    const dataPath = await this.datasets.path(datasetId)
    const model = pick<NonNullable<TrainStartRequest['model']>>(o.model, modelKeys, 'model')
    const train = pick<TrainSettings>(o.train, trainKeys, 'train')
    const initFrom = o.initFromCheckpointId === undefined ? undefined : this.checkpointPath(o.initFromCheckpointId)
    const s = await this.settings.get()
    if (!initFrom && model.preset === undefined) model.preset = s.defaultPreset
    const runId = newId('run')
    const name = o.name === undefined ? `${datasetId} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}` : string(o.name, 'name', 200)
    const r: RunRecord = {
      runId, name, datasetId, checkpointId: runId, status: 'running', createdAt: new Date().toISOString(),
      model: null, params: null, lastSavedStep: null,
      metrics: { step: 0, steps: train.steps ?? 2000, trainLoss: null, valLoss: null, tokensPerSec: null },
      dataPath, checkpointPath: join(this.paths.checkpoints, `${runId}.bin`),
    }
    await this.persist(r)
    this.runs.set(runId, r)
    await this.launch(r, { model: initFrom ? undefined : model, train, initFrom })
    return publicRun(r)
  }

  /** Continues a stopped, interrupted or finished run from its checkpoint, exactly where it left off. */
  async continue(payload: unknown): Promise<RunInfo> {
    const o = object(payload, 'the request')
    const r = this.run(o.runId)
    const steps = optionalInt(o.steps, 'steps', 1, 1 << 30)
    if (r.status === 'running' || r.status === 'paused') throw new ApiError('BUSY', `run ${r.name} is already training`)
    if (r.lastSavedStep === null) throw new ApiError('NOT_FOUND', `run ${r.name} has no saved checkpoint to continue from`, 'start a new run')
    await this.launch(r, { initFrom: r.checkpointPath, resume: true, train: steps ? { steps } : undefined })
    return publicRun(r)
  }

  async pause(payload: unknown): Promise<void> {
    await this.engine.call('train.pause', { jobId: this.active(payload).runId })
  }
  async resume(payload: unknown): Promise<void> {
    await this.engine.call('train.resume', { jobId: this.active(payload).runId })
  }
  async stop(payload: unknown): Promise<void> {
    await this.engine.call('train.stop', { jobId: this.active(payload).runId })
  }

  /** Stops every running run (each saves its checkpoint), waiting up to waitMs for them. */
  async stopAll(waitMs = 30_000): Promise<void> {
    const going = [...this.runs.values()].filter((r) => r.status === 'running' || r.status === 'paused')
    if (!going.length) return
    const ended = new Promise<void>((resolve) => {
      const check = (): void => {
        if (going.every((r) => r.status !== 'running' && r.status !== 'paused')) {
          off()
          resolve()
        }
      }
      const off = this.bus.subscribe(() => check())
      setTimeout(() => {
        off()
        resolve()
      }, waitMs).unref?.()
    })
    await Promise.all(going.map((r) => this.engine.call('train.stop', { jobId: r.runId }).catch(() => {})))
    await ended
  }

  checkpointPath(id: unknown): string {
    const r = this.run(id)
    return r.checkpointPath
  }

  /** The checkpoint file of a run, which must have saved one. */
  async savedCheckpoint(id: unknown): Promise<string> {
    const r = this.run(id)
    if (!(await this.checkpointExists(r)))
      throw new ApiError('NOT_FOUND', `run ${r.name} has not saved a checkpoint yet`,
        r.status === 'running' ? 'wait for its first autosave, or stop it to save now' : undefined)
    return r.checkpointPath
  }

  async checkpointExists(r: RunRecord): Promise<{ bytes: number; modifiedAt: string } | null> {
    try {
      const s = await stat(r.checkpointPath)
      return { bytes: s.size, modifiedAt: s.mtime.toISOString() }
    } catch {
      return null
    }
  }

  records(): RunRecord[] {
    return [...this.runs.values()]
  }

  forget(runId: string): void {
    this.runs.delete(runId)
  }

  private active(payload: unknown): RunRecord {
    const r = this.run(object(payload, 'the request').runId)
    if (r.status !== 'running' && r.status !== 'paused') throw new ApiError('NOT_RUNNING', `run ${r.name} is not training (it is ${r.status})`)
    return r
  }

  private async launch(r: RunRecord, job: { model?: object; train?: TrainSettings; initFrom?: string; resume?: boolean }): Promise<void> {
    const s = await this.settings.get()
    r.status = 'running'
    delete r.error
    try {
      await mkdir(this.paths.checkpoints, { recursive: true })
      await this.engine.call('train.start', {
        jobId: r.runId, dataPath: r.dataPath, checkpointPath: r.checkpointPath, initFrom: job.initFrom, resume: job.resume,
        model: job.model, train: job.train, saveInterval: s.saveInterval, threads: s.threads,
      })
    } catch (e) {
      r.status = 'failed'
      r.error = toErrorShape(e)
      await this.persist(r).catch(() => {})
      throw e
    }
    await this.persist(r)
  }

  // Events go out first, in the engine's order; the record follows on disk (writes are chained).
  private onEngineEvent(jobId: string, e: HostTrainEvent): void {
    const r = this.runs.get(jobId)
    if (!r) return
    const runId = r.runId
    switch (e.type) {
      case 'started':
        r.model = shape(e.model)
        r.params = e.params
        r.metrics.step = e.step
        r.metrics.steps = e.steps
        this.bus.emit('training.onEvent', { runId, type: 'started', run: publicRun(r) })
        void this.persist(r).catch(() => {})
        break
      case 'step': {
        const { type: _t, ...point } = e
        r.metrics = { step: point.step, steps: point.steps, trainLoss: point.trainLoss, valLoss: point.valLoss ?? r.metrics.valLoss, tokensPerSec: point.tokensPerSec }
        this.bus.emit('training.onEvent', { runId, type: 'step', point: point as StepPoint })
        break
      }
      case 'saved':
        r.lastSavedStep = e.step
        delete r.saveError
        this.bus.emit('training.onEvent', { runId, type: 'saved', step: e.step, reason: e.reason })
        void this.persist(r).catch(() => {})
        break
      case 'saveFailed': {
        // training goes on; the checkpoint stays at lastSavedStep until a retry succeeds
        const error = e.hint ? { code: e.code, message: e.message, hint: e.hint } : { code: e.code, message: e.message }
        r.saveError = error
        this.bus.emit('training.onEvent', {
          runId, type: 'saveFailed', step: e.step, reason: e.reason, error, willRetry: e.willRetry, retryInSeconds: e.retryInSeconds, retryAtStep: e.retryAtStep,
        })
        void this.persist(r).catch(() => {})
        break
      }
      case 'paused':
      case 'resumed':
        r.status = e.type === 'paused' ? 'paused' : 'running'
        this.bus.emit('training.onEvent', { runId, type: e.type, step: e.step })
        void this.persist(r).catch(() => {})
        break
      case 'finished':
      case 'stopped':
        r.status = e.type
        r.metrics.step = e.step
        if (e.valLoss !== null) r.metrics.valLoss = e.valLoss
        this.bus.emit('training.onEvent', { runId, type: e.type, run: publicRun(r) })
        void this.persist(r).catch(() => {})
        break
      case 'failed':
        r.status = 'failed'
        r.error = e.error
        this.bus.emit('training.onEvent', { runId, type: 'failed', run: publicRun(r), error: e.error })
        void this.persist(r).catch(() => {})
        break
    }
  }

  private async onEngineCrash(message: string): Promise<void> {
    for (const r of this.runs.values()) {
      if (r.status !== 'running' && r.status !== 'paused') continue
      r.status = 'interrupted'
      r.error = { code: 'ENGINE_CRASHED', message, hint: this.resumeHint(r) }
      this.bus.emit('training.onEvent', { runId: r.runId, type: 'failed', run: publicRun(r), error: r.error })
      await this.persist(r).catch(() => {})
    }
  }

  private resumeHint(r: RunRecord): string {
    return r.lastSavedStep !== null
      ? `progress up to at least step ${r.lastSavedStep} was autosaved; continue the run to pick up from there`
      : 'no checkpoint was saved yet; start the run again'
  }

  private writes = new JsonWriteQueue()
  private persist(r: RunRecord): Promise<void> {
    return this.writes.write(join(this.paths.runs, `${r.runId}.json`), () => r, `the record of run ${r.name}`)
  }
}
