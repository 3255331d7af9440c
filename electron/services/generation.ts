// Generation: one streamed completion at a time per request, from a checkpoint, in the engine
// process. Tokens and the final result go out as generation.onEvent; a crash of the engine ends
// every running generation with an error event.
import { ApiError, type ApiErrorShape } from '../common/errors'
import type { HostGenerateParams } from '../common/engine-protocol'
import type { GenerationResult, SamplingSettings } from '../common/types'
import type { EngineClient } from './engine-client'
import type { EventBus } from './event-bus'
import { newId } from './paths'
import type { SettingsService } from './settings'
import type { TrainingService } from './training'
import { checkFields, samplingFields } from '../common/fields'
import { bad, checkedFields, object, string } from './validate'

/** The sampling fields of a request (fields.ts), checked, beside the request's own keys. */
export function samplingOf(o: Record<string, unknown>, own: readonly string[], what: string): SamplingSettings {
  const checked = checkedFields(() => checkFields(samplingFields, o, what, own)) as Record<string, unknown>
  return Object.fromEntries(Object.entries(checked).filter(([k]) => !own.includes(k))) as SamplingSettings
}

export interface GenerationHooks {
  onDone?(result: GenerationResult): void | Promise<void>
  onError?(error: ApiErrorShape): void
}

export class GenerationService {
  private active = new Map<string, GenerationHooks>()

  constructor(
    private readonly engine: EngineClient,
    private readonly training: TrainingService,
    private readonly settings: SettingsService,
    private readonly bus: EventBus,
  ) {
    engine.onGenerate((generationId, e) => {
      const hooks = this.active.get(generationId)
      if (!hooks) return
      if (e.type === 'token') {
        this.bus.emit('generation.onEvent', { generationId, type: 'token', text: e.text, passes: e.passes })
      } else if (e.type === 'done') {
        this.active.delete(generationId)
        void Promise.resolve(hooks.onDone?.(e.result)).finally(() =>
          this.bus.emit('generation.onEvent', { generationId, type: 'done', result: e.result }))
      } else {
        this.active.delete(generationId)
        hooks.onError?.(e.error)
        this.bus.emit('generation.onEvent', { generationId, type: 'error', error: e.error })
      }
    })
    engine.onStatus((s) => {
      if (s.state !== 'crashed') return
      for (const [generationId, hooks] of this.active) {
        const error = { code: 'ENGINE_CRASHED', message: s.message ?? 'the engine process stopped', hint: 'try again: the engine restarts' }
        hooks.onError?.(error)
        this.bus.emit('generation.onEvent', { generationId, type: 'error', error })
      }
      this.active.clear()
    })
  }

  async start(payload: unknown): Promise<{ generationId: string }> {
    const o = object(payload, 'the generation request')
    const prompt = string(o.prompt ?? '', 'prompt', 100_000)
    return this.run(o.checkpointId, { prompt }, samplingOf(o, ['checkpointId', 'prompt'], 'the generation request'))
  }

  /** Starts a generation; used by start() and by the chat service (with a history). */
  async run(checkpointId: unknown, input: Pick<HostGenerateParams, 'prompt' | 'history'>, sampling: Partial<SamplingSettings>,
            hooks: GenerationHooks = {}): Promise<{ generationId: string }> {
    if (typeof checkpointId !== 'string') throw bad('checkpointId must be a string')
    const checkpointPath = await this.training.savedCheckpoint(checkpointId)
    const s = await this.settings.get()
    const generationId = newId('gen')
    this.active.set(generationId, hooks)
    try {
      await this.engine.call('generate.start', { ...sampling, ...input, jobId: generationId, checkpointPath, threads: s.threads })
    } catch (e) {
      this.active.delete(generationId)
      throw e
    }
    return { generationId }
  }

  async cancel(payload: unknown): Promise<void> {
    const id = string(object(payload, 'the request').generationId, 'generationId', 100)
    if (!this.active.has(id)) throw new ApiError('NOT_FOUND', `generation ${id} is not running`)
    await this.engine.call('generate.cancel', { jobId: id })
  }
}
