// Training runs: each run trains one checkpoint in the engine process and keeps a record
// (runs/<id>.json, written atomically) of its settings, progress, training time and last
// autosave, and its history (runs/<id>.history.ndjson: every step's point and every sample, see
// run-history.ts). A run that was going when the engine or the app died is marked 'interrupted'
// and can be continued from its last autosaved checkpoint; its history then drops what came
// after that checkpoint.
import { mkdir, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { ApiError, toErrorShape } from '../common/errors'
import type { HostTrainEvent } from '../common/engine-protocol'
import { checkFields, lineSettings, modelFields, trainFields } from '../common/fields'
import type { HistoryPoint, ModelShape, RunHistory, RunInfo, StepPoint, TrainSettings, TrainStartRequest } from '../common/types'
import { fileError, JsonWriteQueue, readJson } from './atomic-file'
import { checkpointFile, type CheckpointRecord, type CheckpointRuns } from './checkpoints'
import type { DatasetsService } from './datasets'
import type { EngineClient } from './engine-client'
import type { EventBus } from './event-bus'
import { isSafeId, newId, type DataPaths } from './paths'
import { RunHistoryLog } from './run-history'
import type { SettingsService } from './settings'
import { bad, checkedFields, object, optionalInt, string } from './validate'

interface RunRecord extends RunInfo {
  dataPath: string
  checkpointPath: string
  bestCheckpointPath?: string // written by the engine beside checkpointPath; set with best
  // removed from the run list (training.remove) while its checkpoint stays among the checkpoints;
  // checkpoints.remove then deletes the record with the file
  removedAt?: string
}

// A session's training clock: the record's time before it, plus the time since it started,
// pauses left out.
interface SessionClock {
  base: number // seconds
  startedAt: number // performance.now()
  pausedAt: number | null
  pausedMs: number
}

const sampleTokens = 120 // characters of each sample the engine writes while training

function shape(m: ModelShape & { vocabSize?: number }): ModelShape {
  const { vocabSize: _drop, ...rest } = m
  return rest
}

// The training time of the latest point at or before `step`, from continue()'s points.
function timeAt(times: Map<number, number> | undefined, step: number): number | undefined {
  let best: number | undefined
  for (const s of times?.keys() ?? []) if (s <= step && (best === undefined || s > best)) best = s
  return best === undefined ? undefined : times!.get(best)
}

export function publicRun(r: RunRecord): RunInfo {
  const { dataPath: _d, checkpointPath: _c, bestCheckpointPath: _b, removedAt: _r, ...info } = r
  return info
}

function checkpointRecord(r: RunRecord): CheckpointRecord {
  return {
    runId: r.runId, name: r.name, datasetId: r.datasetId, checkpointPath: r.checkpointPath, model: r.model, params: r.params,
    lastSavedStep: r.lastSavedStep, valLoss: r.metrics.valLoss, training: r.status === 'running' || r.status === 'paused',
    best: r.best && r.bestCheckpointPath ? { ...r.best, path: r.bestCheckpointPath } : null,
  }
}

export class TrainingService implements CheckpointRuns {
  private runs = new Map<string, RunRecord>()
  private histories = new Map<string, RunHistoryLog>()
  private clocks = new Map<string, SessionClock>()
  // continue(): the elapsed seconds of the history's points from the last autosave on, so the
  // session's 'started' (whose step is the checkpoint's) can take the time of that step at once
  private resumeTimes = new Map<string, Map<number, number>>()

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
      r.train ??= null // records written before these fields
      r.elapsedSeconds ??= 0
      r.best ??= null
      if (r.status === 'running' || r.status === 'paused') {
        r.status = 'interrupted'
        r.error = { code: 'APP_STOPPED', message: 'the app stopped while this run was training', hint: this.resumeHint(r) }
        await this.persist(r).catch(() => {})
      }
      this.runs.set(r.runId, r)
    }
  }

  list(): RunInfo[] {
    return [...this.runs.values()].filter((r) => !r.removedAt).sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map(publicRun)
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
    const model = checkedFields(() => checkFields(modelFields, o.model, 'model', ['preset'] as const))
    if (model.preset !== undefined && typeof model.preset !== 'string') throw bad('model.preset must be a string')
    const asked: TrainSettings = checkedFields(() => checkFields(trainFields, o.train, 'train'))
    // a catalog list of lines (names) holds out whole lines unless told otherwise (common/fields.ts lineSettings)
    const train: TrainSettings = { ...asked, ...lineSettings(asked, this.datasets.holdsOutLines(datasetId)) }
    const initFrom = o.initFromCheckpointId === undefined ? undefined : this.run(o.initFromCheckpointId).checkpointPath
    const s = await this.settings.get()
    if (!initFrom && model.preset === undefined) model.preset = s.defaultPreset
    const runId = newId('run')
    const name = o.name === undefined ? `${datasetId} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}` : string(o.name, 'name', 200)
    const r: RunRecord = {
      runId, name, datasetId, checkpointId: runId, status: 'running', createdAt: new Date().toISOString(),
      model: null, train: null, params: null, lastSavedStep: null, best: null, elapsedSeconds: 0,
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
    const r = this.listed(o.runId)
    const steps = optionalInt(o.steps, 'steps', 1, 1 << 30)
    if (r.status === 'running' || r.status === 'paused') throw new ApiError('BUSY', `run ${r.name} is already training`)
    if (r.lastSavedStep === null) throw new ApiError('NOT_FOUND', `run ${r.name} has no saved checkpoint to continue from`, 'start a new run')
    const from = r.lastSavedStep // the checkpoint holds this step or a later one
    const { points } = await this.history(r).read().catch(() => ({ points: [] as HistoryPoint[] })) // damaged: charts say so, training goes on
    if (this.training(r)) throw new ApiError('BUSY', `run ${r.name} is already training`) // started meanwhile
    this.resumeTimes.set(r.runId, new Map(points.filter((p) => p.step >= from).map((p) => [p.step, p.elapsedSeconds])))
    await this.launch(r, { initFrom: r.checkpointPath, resume: true, train: steps ? { steps } : undefined })
    return publicRun(r)
  }

  /** A run's step points and samples, as far as it has trained (what is not on disk yet included). */
  async runHistory(payload: unknown): Promise<RunHistory> {
    const r = this.listed(object(payload, 'the request').runId)
    return { runId: r.runId, ...(await this.history(r).read()) }
  }

  /**
   * Takes a run off the list and deletes its history. Its checkpoint stays, listed among the
   * checkpoints (which keep the record to describe it) until checkpoints.remove deletes it; a run
   * that never saved one goes entirely.
   */
  async remove(payload: unknown): Promise<void> {
    const r = this.listed(object(payload, 'the request').runId)
    if (r.status === 'running' || r.status === 'paused') throw new ApiError('BUSY', `run ${r.name} is training; stop it first`)
    await this.history(r).remove()
    if (await checkpointFile(r.checkpointPath)) {
      r.removedAt = new Date().toISOString()
      await this.persist(r)
    } else {
      await this.discard(r.runId)
    }
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

  // CheckpointRuns: the records as the checkpoints service sees them (it owns the files)
  checkpointRecords(): CheckpointRecord[] {
    return [...this.runs.values()].map(checkpointRecord)
  }
  checkpointRecord(id: string): CheckpointRecord | undefined {
    const r = this.runs.get(id)
    return r && checkpointRecord(r)
  }

  /** Deletes a run's record and history (its checkpoint is the checkpoints service's: checkpoints.remove). */
  async discard(runId: string): Promise<void> {
    const r = this.runs.get(runId)
    if (!r) return
    await this.history(r).remove()
    await this.writes.settle(this.recordPath(r))
    await unlink(this.recordPath(r)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw fileError(e, `the record of run ${r.name}`)
    })
    this.runs.delete(runId)
    this.histories.delete(runId)
  }

  /** The run's best checkpoint was deleted (checkpoints.remove): its record forgets it. */
  async forgetBest(runId: string): Promise<void> {
    const r = this.runs.get(runId)
    if (!r) return
    r.best = null
    delete r.bestCheckpointPath
    await this.persist(r)
  }

  /** Writes every run's pending history (the back end is closing). */
  async flushHistories(): Promise<void> {
    await Promise.all([...this.histories.values()].map((h) => h.flush(true)))
  }

  private training(r: RunRecord): boolean {
    return r.status === 'running' || r.status === 'paused'
  }

  // a run that is on the list (not removed)
  private listed(id: unknown): RunRecord {
    const r = this.run(id)
    if (r.removedAt) throw new ApiError('NOT_FOUND', `run ${r.name} was removed (its checkpoint is still among the checkpoints)`)
    return r
  }

  private history(r: RunRecord): RunHistoryLog {
    let h = this.histories.get(r.runId)
    if (!h) {
      h = new RunHistoryLog(join(this.paths.runs, `${r.runId}.history.ndjson`), `the history of run ${r.name}`)
      this.histories.set(r.runId, h)
    }
    return h
  }

  private elapsed(runId: string): number | null {
    const c = this.clocks.get(runId)
    if (!c) return null
    const paused = c.pausedMs + (c.pausedAt === null ? 0 : performance.now() - c.pausedAt)
    return c.base + (performance.now() - c.startedAt - paused) / 1000
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
        sampleInterval: s.sampleInterval, sampleTokens,
      })
    } catch (e) {
      r.status = 'failed'
      r.error = toErrorShape(e)
      this.resumeTimes.delete(r.runId)
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
    const history = this.history(r)
    switch (e.type) {
      case 'started': {
        // The session starts from step e.step (0, or the checkpoint's): the training time is the
        // time that step took, and the history drops whatever came after it.
        const times = this.resumeTimes.get(runId)
        this.resumeTimes.delete(runId)
        const base = e.step === 0 ? 0 : timeAt(times, e.step) ?? r.elapsedSeconds
        this.clocks.set(runId, { base, startedAt: performance.now(), pausedAt: null, pausedMs: 0 })
        r.elapsedSeconds = base
        void history.keepUpTo(e.step).catch(() => {}) // unreadable: read() reports it
        r.model = shape(e.model)
        r.train = e.train
        r.params = e.params
        r.metrics.step = e.step
        r.metrics.steps = e.steps
        this.bus.emit('training.onEvent', { runId, type: 'started', run: publicRun(r) })
        void this.persist(r).catch(() => {})
        break
      }
      case 'step': {
        const { type: _t, ...point } = e
        const elapsedSeconds = this.elapsed(runId) ?? r.elapsedSeconds
        r.elapsedSeconds = elapsedSeconds
        r.metrics = { step: point.step, steps: point.steps, trainLoss: point.trainLoss, valLoss: point.valLoss ?? r.metrics.valLoss, tokensPerSec: point.tokensPerSec }
        this.bus.emit('training.onEvent', { runId, type: 'step', point: point as StepPoint, elapsedSeconds })
        history.addPoint({ step: point.step, trainLoss: point.trainLoss, valLoss: point.valLoss, lr: point.lr, tokensPerSec: point.tokensPerSec, elapsedSeconds })
        break
      }
      case 'sample': {
        const sample = { step: e.step, text: e.text }
        this.bus.emit('training.onEvent', { runId, type: 'sample', sample })
        history.addSample(sample)
        break
      }
      case 'saved':
        if (e.reason === 'best') {
          // the run's own checkpoint is untouched: only its best weights beside it are new
          r.best = { step: e.step, valLoss: e.valLoss ?? r.metrics.valLoss ?? 0 }
          r.bestCheckpointPath = e.path
          this.bus.emit('training.onEvent', { runId, type: 'saved', step: e.step, reason: e.reason, valLoss: r.best.valLoss })
          void this.persist(r).catch(() => {})
          break
        }
        r.lastSavedStep = e.step
        delete r.saveError
        this.bus.emit('training.onEvent', { runId, type: 'saved', step: e.step, reason: e.reason })
        void history.flush(true) // the history covers the checkpoint before the record says it exists
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
      case 'resumed': {
        r.status = e.type === 'paused' ? 'paused' : 'running'
        const c = this.clocks.get(runId)
        if (c && e.type === 'paused') c.pausedAt = performance.now()
        if (c && e.type === 'resumed' && c.pausedAt !== null) {
          c.pausedMs += performance.now() - c.pausedAt
          c.pausedAt = null
        }
        this.bus.emit('training.onEvent', { runId, type: e.type, step: e.step })
        if (e.type === 'paused') void history.flush(true)
        void this.persist(r).catch(() => {})
        break
      }
      case 'finished':
      case 'stopped':
        r.status = e.type
        r.metrics.step = e.step
        if (e.valLoss !== null) r.metrics.valLoss = e.valLoss
        this.endSession(r)
        this.bus.emit('training.onEvent', { runId, type: e.type, run: publicRun(r) })
        void this.persist(r).catch(() => {})
        break
      case 'failed':
        r.status = 'failed'
        r.error = e.error
        this.endSession(r)
        this.bus.emit('training.onEvent', { runId, type: 'failed', run: publicRun(r), error: e.error })
        void this.persist(r).catch(() => {})
        break
    }
  }

  // The session's clock stops at its last step (not at the final save); its lines go to disk.
  private endSession(r: RunRecord): void {
    this.clocks.delete(r.runId)
    this.resumeTimes.delete(r.runId)
    void this.history(r).flush(true)
  }

  private async onEngineCrash(message: string): Promise<void> {
    for (const r of this.runs.values()) {
      if (r.status !== 'running' && r.status !== 'paused') continue
      r.status = 'interrupted'
      r.error = { code: 'ENGINE_CRASHED', message, hint: this.resumeHint(r) }
      this.endSession(r)
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
  private recordPath(r: RunRecord): string {
    return join(this.paths.runs, `${r.runId}.json`)
  }
  private persist(r: RunRecord): Promise<void> {
    return this.writes.write(this.recordPath(r), () => r, `the record of run ${r.name}`)
  }
}
