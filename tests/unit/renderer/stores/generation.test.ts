// The generation store with only lib/api replaced: a completion's pieces and result routed by
// its id (a chat's are not its), events that beat the start's answer kept, and stop.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

const fake = await vi.hoisted(async () => (await import('../../../support/fake-api')).createFakeApi())
vi.mock('../../../../renderer/src/lib/api', () => ({ api: fake.api, transport: fake.transport }))

import { ApiError } from '../../../../electron/common/errors'
import { useGenerationStore } from '../../../../renderer/src/stores/generation'

const result = { text: 'ab', tokens: 2, promptTokens: 1, meanPasses: 2, stopReason: 'max_tokens' as const, seconds: 0.01, tokensPerSec: 200 }

describe('generation store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    fake.listeners.clear()
    for (const g of Object.values(fake.api)) for (const f of Object.values(g)) f.mockReset()
  })

  it('streams its own generation\'s pieces, not a chat\'s, and keeps the result', async () => {
    const store = useGenerationStore()
    store.checkpointId = 'run-1'
    store.prompt = 'x'
    store.setSampling('passes', 3)
    fake.api.generation.start.mockResolvedValue({ generationId: 'gen-1' })
    expect(await store.start()).toBe(true)
    expect(fake.api.generation.start).toHaveBeenCalledWith({ checkpointId: 'run-1', prompt: 'x', maxTokens: 300, temperature: 0.8, topK: 40, topP: 0.95, passes: 3 })
    fake.emit('generation.onEvent', { generationId: 'gen-1', type: 'token', text: 'a', passes: [3] })
    fake.emit('generation.onEvent', { generationId: 'gen-chat', type: 'token', text: 'NO', passes: [1, 1] })
    fake.emit('generation.onEvent', { generationId: 'gen-1', type: 'token', text: 'bé', passes: [2, 1] })
    expect(store.output).toBe('abé')
    expect(store.outputPasses).toEqual([3, 2, 1]) // one per code point, for the depth heatmap
    expect(store.status).toBe('streaming')
    expect(store.firstTokenMs).toBeGreaterThanOrEqual(0)
    fake.emit('generation.onEvent', { generationId: 'gen-1', type: 'done', result })
    expect(store.status).toBe('done')
    expect(store.result).toEqual(result)
    expect(store.running).toBe(false)
  })

  it('keeps the events that arrive before the start is answered', async () => {
    const store = useGenerationStore()
    store.checkpointId = 'run-1'
    fake.api.generation.start.mockImplementation(async () => {
      fake.emit('generation.onEvent', { generationId: 'gen-2', type: 'token', text: 'early ', passes: [1, 1, 1, 1, 1, 1] })
      fake.emit('generation.onEvent', { generationId: 'gen-other', type: 'token', text: 'NO', passes: [1, 1] })
      return { generationId: 'gen-2' }
    })
    await store.start()
    fake.emit('generation.onEvent', { generationId: 'gen-2', type: 'token', text: 'late', passes: [2, 2, 2, 2] })
    expect(store.output).toBe('early late')
    expect(store.outputPasses).toHaveLength(10)
    fake.emit('generation.onEvent', { generationId: 'gen-2', type: 'done', result })
    // a generation that ended before its start was answered ends here too
    fake.api.generation.start.mockImplementation(async () => {
      fake.emit('generation.onEvent', { generationId: 'gen-4', type: 'done', result })
      return { generationId: 'gen-4' }
    })
    await store.start()
    expect(store.status).toBe('done')
    expect(store.running).toBe(false)
  })

  it('shows a refused start by its code and hint, and stops quietly when it already ended', async () => {
    const store = useGenerationStore()
    expect(await store.start()).toBe(false) // no model chosen
    store.checkpointId = 'run-1'
    fake.api.generation.start.mockRejectedValue(new ApiError('BAD_REQUEST', 'Top-p must be between 0 and 1'))
    expect(await store.start()).toBe(false)
    expect(store.status).toBe('failed')
    expect(store.error).toEqual({ code: 'BAD_REQUEST', message: 'Top-p must be between 0 and 1' })
    fake.api.generation.start.mockResolvedValue({ generationId: 'gen-3' })
    await store.start()
    fake.api.generation.cancel.mockRejectedValue(new ApiError('NOT_FOUND', 'generation gen-3 is not running'))
    await store.stop()
    expect(fake.api.generation.cancel).toHaveBeenCalledWith({ generationId: 'gen-3' })
    expect(store.error).toBeNull()
    fake.emit('generation.onEvent', { generationId: 'gen-3', type: 'error', error: { code: 'ENGINE_CRASHED', message: 'the engine process stopped', hint: 'try again' } })
    expect(store.error).toEqual({ code: 'ENGINE_CRASHED', message: 'the engine process stopped', hint: 'try again' })
  })
})
