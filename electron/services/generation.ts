// Generation: one streamed completion at a time per request, from a checkpoint, in the engine
// process. Tokens and the final result go out as generation.onEvent; a crash of the engine ends
// every running generation with an error event. A running generation holds a lease on its
// checkpoint (checkpoints.use), so the checkpoint cannot be deleted under it.
import { ApiError, type ApiErrorShape } from '../common/errors'
import type { HostGenerateParams } from '../common/engine-protocol'
import type { GenerationResult, SamplingSettings } from '../common/types'
import type { EngineClient } from './engine-client'
import type { EventBus } from './event-bus'
import { newId } from './paths'
import type { CheckpointsService } from './checkpoints'
import type { SettingsService } from './settings'
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

interface ActiveGeneration {
  hooks: GenerationHooks
  release(): void // the checkpoint's lease
}

export class GenerationService {
  private active = new Map<string, ActiveGeneration>()

  constructor(
    private readonly engine: EngineClient,
    private readonly checkpoints: CheckpointsService,
    private readonly settings: SettingsService,
    private readonly bus: EventBus,
  ) {
    engine.onGenerate((generationId, e) => {
      const active = this.active.get(generationId)
      if (!active) return
      const { hooks } = active
      if (e.type === 'token') {
        this.bus.emit('generation.onEvent', { generationId, type: 'token', text: e.text, passes: e.passes })
      } else if (e.type === 'done') {
        this.end(generationId)
        void Promise.resolve(hooks.onDone?.(e.result)).finally(() =>
          this.bus.emit('generation.onEvent', { generationId, type: 'done', result: e.result }))
      } else {
        this.end(generationId)
        hooks.onError?.(e.error)
        this.bus.emit('generation.onEvent', { generationId, type: 'error', error: e.error })
      }
    })
    engine.onStatus((s) => {
      if (s.state !== 'crashed') return
      for (const [generationId, { hooks }] of this.active) {
        const error = { code: 'ENGINE_CRASHED', message: s.message ?? 'the engine process stopped', hint: 'try again: the engine restarts' }
        this.end(generationId)
        hooks.onError?.(error)
        this.bus.emit('generation.onEvent', { generationId, type: 'error', error })
      }
    })
  }

  async start(payload: unknown): Promise<{ generationId: string }> {
    const o = object(payload, 'the generation request')
    const prompt = string(o.prompt ?? '', 'prompt', 100_000)
    return this.run(o.checkpointId, { prompt }, samplingOf(o, ['checkpointId', 'prompt'], 'the generation request'))
  }

  /**
   * Starts a generation; used by start() and by the chat service (with a history). `user` names
   * it to whoever tries to delete its checkpoint meanwhile.
   */
  async run(checkpointId: unknown, input: Pick<HostGenerateParams, 'prompt' | 'history'>, sampling: Partial<SamplingSettings>,
            hooks: GenerationHooks = {}, user = 'a generation'): Promise<{ generationId: string }> {
    if (typeof checkpointId !== 'string') throw bad('checkpointId must be a string')
    const release = this.checkpoints.use(checkpointId, user)
    const generationId = newId('gen')
    try {
      const checkpointPath = await this.checkpoints.path(checkpointId)
      const s = await this.settings.get()
      this.active.set(generationId, { hooks, release })
      await this.engine.call('generate.start', { ...sampling, ...input, jobId: generationId, checkpointPath, threads: s.threads })
    } catch (e) {
      this.active.delete(generationId)
      release()
      throw e
    }
    return { generationId }
  }

  private end(generationId: string): void {
    this.active.get(generationId)?.release()
    this.active.delete(generationId)
  }

  async cancel(payload: unknown): Promise<void> {
    const id = string(object(payload, 'the request').generationId, 'generationId', 100)
    if (!this.active.has(id)) throw new ApiError('NOT_FOUND', `generation ${id} is not running`)
    await this.engine.call('generate.cancel', { jobId: id })
  }
}
