// Checkpoints: the one owner of checkpoint files (checkpoints/<runId>.bin, and the run's best
// weights, <runId>.best.bin, which the engine keeps beside it) and of what sits beside them
// (<runId>.quality.json and <runId>.best.quality.json, the passes-vs-quality caches). It lists them, gives a checkpoint's
// path to whatever runs on it, knows who is using each one, and deletes them. Training writes the
// files through the engine; their description comes from the run records, which TrainingService
// owns and lends through the narrow CheckpointRuns.
//
// Using and deleting: a generation, a chat reply or a passes evaluation holds a lease on its
// checkpoint while it runs (use()), and remove() is refused (BUSY, naming them) while any lease
// is held or the checkpoint's run is training. An idle chat does not hold one: its checkpoint can
// go, and its next reply then fails with NOT_FOUND (chats.ts).
import { stat, unlink } from 'node:fs/promises'
import { ApiError } from '../common/errors'
import type { CheckpointEntry, ModelShape, PassesQuality, PassesQualityPoint } from '../common/types'
import { JsonWriteQueue, readJson } from './atomic-file'
import type { EngineClient } from './engine-client'
import type { EventBus } from './event-bus'
import { isSafeId, newId } from './paths'
import type { SettingsService } from './settings'
import { bad, object, optionalInt, string } from './validate'

/** A run's checkpoint as its record describes it. */
export interface CheckpointRecord {
  runId: string // the checkpoint's id
  name: string
  datasetId: string
  checkpointPath: string
  model: ModelShape | null
  params: number | null
  lastSavedStep: number | null
  valLoss: number | null
  training: boolean // running or paused: the engine rewrites the file at every autosave
  best: { path: string; step: number; valLoss: number } | null // the run's best weights, beside its checkpoint
}

/** What CheckpointsService needs of the run records (TrainingService). */
export interface CheckpointRuns {
  checkpointRecords(): CheckpointRecord[]
  checkpointRecord(id: string): CheckpointRecord | undefined
  /** The checkpoint is deleted: its run's record and history go with it. */
  discard(runId: string): Promise<void>
  /** The run's best checkpoint is deleted: its record forgets it. */
  forgetBest(runId: string): Promise<void>
}

// A checkpoint file as this service hands it out, described from its run's record: the run's own
// checkpoint (id = the run's id) or its best weights (id `<runId>.best`).
interface CheckpointView extends CheckpointRecord {
  id: string
  variant: 'latest' | 'best'
}

const bestSuffix = '.best'

function latestView(r: CheckpointRecord): CheckpointView {
  return { ...r, id: r.runId, variant: 'latest' }
}

function bestView(r: CheckpointRecord): CheckpointView | null {
  if (!r.best) return null
  return {
    ...r, id: `${r.runId}${bestSuffix}`, variant: 'best', name: `${r.name} · best`,
    checkpointPath: r.best.path, lastSavedStep: r.best.step, valLoss: r.best.valLoss,
  }
}

export interface CheckpointFile {
  bytes: number
  mtimeMs: number
  modifiedAt: string
}

/** The checkpoint file's size and time, or null when there is none. */
export async function checkpointFile(path: string): Promise<CheckpointFile | null> {
  try {
    const s = await stat(path)
    return { bytes: s.size, mtimeMs: s.mtimeMs, modifiedAt: s.mtime.toISOString() }
  } catch {
    return null
  }
}

// The cache of a checkpoint's passes evaluation, valid while the file keeps its size and mtime.
interface QualityCache {
  checkpointBytes: number
  checkpointMtimeMs: number
  maxPasses: number
  quality: Omit<PassesQuality, 'cached'>
}

interface Evaluation {
  maxPasses: number
  result: Promise<PassesQuality>
  state: EvaluationState
}
interface EvaluationState {
  cancelled: boolean
  jobId: string | null // the engine job of the point being evaluated
}

const maxEvalPasses = 16

export class CheckpointsService {
  private users = new Map<string, Set<{ what: string }>>()
  private removing = new Set<string>()
  private evaluations = new Map<string, Evaluation>()
  private writes = new JsonWriteQueue()

  constructor(
    private readonly runs: CheckpointRuns,
    private readonly engine: EngineClient,
    private readonly datasets: { path(id: unknown): Promise<string>; chatFormatIds(): Promise<Set<string>> },
    private readonly settings: SettingsService,
    private readonly bus: EventBus,
  ) {}

  /** Newest run first; a run's best checkpoint right after its own. */
  async list(): Promise<CheckpointEntry[]> {
    const runs: CheckpointEntry[][] = []
    const chatFormat = await this.datasets.chatFormatIds()
    for (const r of this.runs.checkpointRecords()) {
      const entries: CheckpointEntry[] = []
      for (const v of [latestView(r), bestView(r)]) {
        const file = v && (await checkpointFile(v.checkpointPath))
        if (!v || !file) continue
        entries.push({
          id: v.id, runId: v.runId, variant: v.variant, name: v.name, datasetId: v.datasetId, path: v.checkpointPath, bytes: file.bytes,
          modifiedAt: file.modifiedAt, model: v.model, params: v.params, trainedSteps: v.lastSavedStep, valLoss: v.valLoss,
          chatFormat: chatFormat.has(v.datasetId),
        })
      }
      if (entries.length) runs.push(entries)
    }
    const newest = (g: CheckpointEntry[]) => g.reduce((t, e) => (e.modifiedAt > t ? e.modifiedAt : t), '')
    return runs.sort((a, b) => newest(b).localeCompare(newest(a))).flat()
  }

  /** A checkpoint's record and file (null: not saved, or deleted), and whether it learned the chat
   *  format; null when there is no such checkpoint. */
  async find(id: string): Promise<{ record: CheckpointRecord; file: CheckpointFile | null; chatFormat: boolean } | null> {
    const record = this.lookup(id)
    if (!record) return null
    return { record, file: await checkpointFile(record.checkpointPath), chatFormat: (await this.datasets.chatFormatIds()).has(record.datasetId) }
  }

  /** The file of a saved checkpoint, to run on. */
  async path(id: unknown): Promise<string> {
    const r = this.record(id)
    if (this.removing.has(r.id)) throw new ApiError('NOT_FOUND', `checkpoint ${r.name} is being deleted`)
    if (await checkpointFile(r.checkpointPath)) return r.checkpointPath
    if (r.variant === 'best') throw new ApiError('NOT_FOUND', `the best checkpoint of ${r.name} is missing: ${r.checkpointPath} is gone`)
    if (r.lastSavedStep === null)
      throw new ApiError('NOT_FOUND', `run ${r.name} has not saved a checkpoint yet`,
        r.training ? 'wait for its first autosave, or stop it to save now' : undefined)
    throw new ApiError('NOT_FOUND', `the checkpoint of ${r.name} is missing: ${r.checkpointPath} is gone`)
  }

  /**
   * Marks the checkpoint as used by `what` ("a generation", "a reply in chat …") until the returned
   * release is called; remove() refuses it meanwhile. Taken before the checkpoint's path is
   * looked up, so a removal cannot slip in between.
   */
  use(id: string, what: string): () => void {
    if (this.removing.has(id)) throw new ApiError('NOT_FOUND', `checkpoint ${id} is being deleted`)
    const lease = { what }
    let set = this.users.get(id)
    if (!set) this.users.set(id, (set = new Set()))
    set.add(lease)
    return () => {
      set.delete(lease)
      if (!set.size && this.users.get(id) === set) this.users.delete(id)
    }
  }

  /**
   * Deletes a run's checkpoint with its best checkpoint, their quality caches and the run's record
   * and history; or, given a best checkpoint's id, that file alone. Refused while one is in use.
   */
  async remove(payload: unknown): Promise<void> {
    const r = this.record(object(payload, 'the request').id)
    if (r.training) throw new ApiError('BUSY', `run ${r.name} is training; stop it first`)
    const best = r.variant === 'latest' ? bestView(r) : null
    const going = best ? [r, best] : [r]
    const users = going.flatMap((v) => [...(this.users.get(v.id) ?? [])].map((u) => u.what))
    if (users.length)
      throw new ApiError('BUSY', `checkpoint ${r.name} is in use by ${[...new Set(users)].join(', ')}`, 'wait for it to finish or stop it, then delete the checkpoint')
    if (going.some((v) => this.removing.has(v.id))) return
    for (const v of going) this.removing.add(v.id)
    try {
      for (const v of going) {
        await unlink(v.checkpointPath).catch(() => {})
        await this.writes.settle(qualityPath(v))
        await unlink(qualityPath(v)).catch(() => {})
      }
      await (r.variant === 'latest' ? this.runs.discard(r.runId) : this.runs.forgetBest(r.runId))
    } finally {
      for (const v of going) this.removing.delete(v.id)
    }
  }

  /**
   * The checkpoint's val loss at passes 1..maxPasses, then adaptive at maxPasses, from the cache
   * beside it when that covers maxPasses and the file is unchanged. A request for a checkpoint
   * that is already being evaluated to the same maxPasses joins that evaluation; to another, BUSY.
   */
  async evaluatePasses(payload: unknown): Promise<PassesQuality> {
    const o = object(payload, 'the request')
    for (const k of Object.keys(o))
      if (!['checkpointId', 'maxPasses', 'refresh'].includes(k)) throw bad(`the request has no field '${k}'`)
    const r = this.record(o.checkpointId)
    if (o.refresh !== undefined && typeof o.refresh !== 'boolean') throw bad('refresh must be true or false')
    const modelMax = r.model?.maxPasses ?? 1
    const requested = optionalInt(o.maxPasses, 'maxPasses', 1, maxEvalPasses)
    const maxPasses = modelMax === 1 ? 1 : Math.min(maxEvalPasses, Math.max(1, requested ?? modelMax)) // a plain model runs one pass
    const running = this.evaluations.get(r.id)
    if (running) {
      if (running.maxPasses === maxPasses) return running.result
      throw new ApiError('BUSY', `checkpoint ${r.name} is being evaluated up to ${running.maxPasses} passes`, 'wait for it, or cancel it first')
    }
    if (r.training) throw new ApiError('BUSY', `run ${r.name} is training: its checkpoint changes at every autosave`, 'evaluate it once the run stops')
    const state: EvaluationState = { cancelled: false, jobId: null }
    const release = this.use(r.id, 'a passes evaluation')
    const result = this.evaluate(r, maxPasses, o.refresh === true, state).finally(() => {
      release()
      this.evaluations.delete(r.id)
    })
    this.evaluations.set(r.id, { maxPasses, result, state })
    return result
  }

  /** Stops a running passes evaluation: its request rejects with CANCELLED. */
  async cancelEvaluation(payload: unknown): Promise<void> {
    const id = string(object(payload, 'the request').checkpointId, 'checkpointId', 100)
    const e = this.evaluations.get(id)
    if (!e) throw new ApiError('NOT_FOUND', `no passes evaluation of checkpoint ${id} is running`)
    e.state.cancelled = true
    const jobId = e.state.jobId
    if (jobId) await this.engine.call('evaluate.cancel', { jobId }).catch(() => {}) // it may have just ended
  }

  private async evaluate(r: CheckpointView, maxPasses: number, refresh: boolean, job: EvaluationState): Promise<PassesQuality> {
    const checkpointPath = await this.path(r.id)
    const file = (await checkpointFile(checkpointPath))!
    if (!refresh) {
      const cached = await this.cached(r, file, maxPasses)
      if (cached) return cached
    }
    const dataPath = await this.datasets.path(r.datasetId).catch((e: unknown) => {
      if (e instanceof ApiError && e.code === 'NOT_FOUND')
        throw new ApiError('NOT_FOUND', `the dataset this model was trained on, ${r.datasetId}, is no longer here; download or import it again`)
      throw e
    })
    const { threads } = await this.settings.get()
    const plan = [...Array.from({ length: maxPasses }, (_, i) => ({ passes: i + 1, adaptive: false })), { passes: maxPasses, adaptive: true }]
    const points: PassesQualityPoint[] = []
    let tokens = 0
    this.bus.emit('checkpoints.onEvaluation', { checkpointId: r.id, done: 0, total: plan.length, point: null })
    for (const step of plan) {
      if (job.cancelled) throw new ApiError('CANCELLED', `the passes evaluation of ${r.name} was cancelled`)
      job.jobId = newId('eval')
      // a whole val split can take minutes on a Pi: no timeout, a dead engine still rejects it
      const e = await this.engine.call('model.evaluate', { jobId: job.jobId, checkpointPath, dataPath, split: 'val', ...step, threads }, null)
      job.jobId = null
      tokens = e.tokens
      const point = { passes: e.passes, adaptive: e.adaptive, bitsPerChar: e.bitsPerChar, loss: e.loss, msPerToken: e.msPerToken, meanPasses: e.meanPasses }
      points.push(point)
      this.bus.emit('checkpoints.onEvaluation', { checkpointId: r.id, done: points.length, total: plan.length, point })
    }
    const quality = { checkpointId: r.id, datasetId: r.datasetId, tokens, points, computedAt: new Date().toISOString() }
    const after = await checkpointFile(checkpointPath)
    if (after && after.bytes === file.bytes && after.mtimeMs === file.mtimeMs) {
      const cache: QualityCache = { checkpointBytes: file.bytes, checkpointMtimeMs: file.mtimeMs, maxPasses, quality }
      await this.writes.write(qualityPath(r), () => cache, `the passes evaluation of ${r.name}`).catch(() => {}) // a cache: losing it costs time only
    }
    return { ...quality, cached: false }
  }

  // The cached evaluation when it is of this very file and reaches maxPasses, cut to maxPasses
  // (its adaptive point keeps the depth it was run at, which its `passes` says).
  private async cached(r: CheckpointView, file: CheckpointFile, maxPasses: number): Promise<PassesQuality | null> {
    const c = await readJson<QualityCache>(qualityPath(r)).catch(() => null) // damaged: evaluated again
    if (!c || c.checkpointBytes !== file.bytes || c.checkpointMtimeMs !== file.mtimeMs || !(c.maxPasses >= maxPasses)) return null
    if (!Array.isArray(c.quality?.points)) return null
    const points = c.quality.points.filter((p) => p.adaptive || p.passes <= maxPasses)
    return { ...c.quality, points, cached: true }
  }

  private record(id: unknown): CheckpointView {
    if (!isSafeId(id)) throw bad('checkpointId is not a valid id')
    const v = this.lookup(id)
    if (!v) throw new ApiError('NOT_FOUND', `there is no checkpoint ${id}`)
    return v
  }

  private lookup(id: string): CheckpointView | undefined {
    if (!isSafeId(id)) return undefined
    const best = id.endsWith(bestSuffix)
    const r = this.runs.checkpointRecord(best ? id.slice(0, -bestSuffix.length) : id)
    return (r && (best ? bestView(r) : latestView(r))) ?? undefined
  }
}

function qualityPath(r: CheckpointRecord): string {
  return `${r.checkpointPath.replace(/\.bin$/, '')}.quality.json`
}
