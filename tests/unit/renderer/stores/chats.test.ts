// The chats store with only lib/api replaced: the list filtered by title; a reply streamed into
// the open conversation (the user's turn shown at once, the saved conversation read back when
// the reply ends); stop, regenerate and edit; a refused message restored; settings written once
// after a burst of changes.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

const fake = await vi.hoisted(async () => (await import('../../../support/fake-api')).createFakeApi())
vi.mock('../../../../renderer/src/lib/api', () => ({ api: fake.api, transport: fake.transport }))

import { ApiError } from '../../../../electron/common/errors'
import type { ChatSession } from '../../../../electron/common/types'
import { useChatsStore } from '../../../../renderer/src/stores/chats'

const at = '2026-12-01T10:00:00.000Z'
const chat = (messages: ChatSession['messages'] = [], settings = {}): ChatSession => ({
  id: 'chat-1', title: 'Greetings', checkpointId: 'run-1', createdAt: at, updatedAt: at, messages, settings,
})
const summary = (id: string, title: string) => ({ id, title, checkpointId: 'run-1', updatedAt: at, messages: 0 })
const result = { text: 'Hi!', tokens: 3, promptTokens: 9, meanPasses: 2, stopReason: 'end_of_turn' as const, seconds: 0.01, tokensPerSec: 300 }
const flush = () => new Promise((r) => setTimeout(r, 0))

describe('chats store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    fake.listeners.clear()
    for (const g of Object.values(fake.api)) for (const f of Object.values(g)) f.mockReset()
    fake.api.chats.list.mockResolvedValue([summary('chat-1', 'Greetings'), summary('chat-2', 'Sums and stories')])
  })

  it('lists the conversations and filters them by title, any case', async () => {
    const store = useChatsStore()
    await store.load()
    expect(store.shown.map((s) => s.id)).toEqual(['chat-1', 'chat-2'])
    store.query = 'STOR'
    expect(store.shown.map((s) => s.id)).toEqual(['chat-2'])
    store.query = 'nothing like it'
    expect(store.shown).toEqual([])
  })

  it('streams a reply into the open conversation and reads the saved one back when it ends', async () => {
    const store = useChatsStore()
    fake.api.chats.get.mockResolvedValue(chat())
    await store.open('chat-1')
    fake.api.chats.reply.mockImplementation(async () => {
      // the first piece can beat the answer to the request
      fake.emit('generation.onEvent', { generationId: 'gen-1', type: 'token', text: 'H', passes: [2] })
      return { generationId: 'gen-1' }
    })
    expect(await store.send('  Hello  ')).toBe(true)
    expect(fake.api.chats.reply).toHaveBeenCalledWith({ chatId: 'chat-1', message: 'Hello' })
    expect(store.current!.messages.map((m) => [m.role, m.text])).toEqual([['user', 'Hello']]) // shown at once
    fake.emit('generation.onEvent', { generationId: 'gen-other', type: 'token', text: 'NO', passes: [1, 1] }) // the Generate window's
    fake.emit('generation.onEvent', { generationId: 'gen-1', type: 'token', text: 'i!', passes: [2, 2] })
    expect(store.reply).toBe('Hi!')
    expect(store.status).toBe('streaming')
    expect(store.replying).toBe(true)
    expect(await store.send('again')).toBe(false) // one reply at a time
    const saved = chat([
      { role: 'user', text: 'Hello', at },
      { role: 'assistant', text: 'Hi!', at, stats: { tokens: 3, tokensPerSec: 300, meanPasses: 2, trimmedTurns: 1 } },
    ])
    fake.api.chats.get.mockResolvedValue(saved)
    fake.emit('generation.onEvent', { generationId: 'gen-1', type: 'done', result })
    expect(store.replying).toBe(false)
    await flush()
    expect(store.current).toEqual(saved)
    expect(store.reply).toBe('')
    expect(store.lastResult).toEqual(result)
  })

  it('stops a reply, quietly when it had just ended, and shows an engine failure', async () => {
    const store = useChatsStore()
    fake.api.chats.get.mockResolvedValue(chat())
    await store.open('chat-1')
    fake.api.chats.reply.mockResolvedValue({ generationId: 'gen-2' })
    await store.send('Tell me a story')
    await store.stop()
    expect(fake.api.generation.cancel).toHaveBeenCalledWith({ generationId: 'gen-2' })
    fake.api.generation.cancel.mockRejectedValue(new ApiError('NOT_FOUND', 'generation gen-2 is not running'))
    await store.stop()
    expect(store.error).toBeNull()
    fake.emit('generation.onEvent', { generationId: 'gen-2', type: 'error', error: { code: 'ENGINE_CRASHED', message: 'the engine process stopped', hint: 'try again' } })
    expect(store.replying).toBe(false)
    expect(store.error).toEqual({ code: 'ENGINE_CRASHED', message: 'the engine process stopped', hint: 'try again' })
  })

  it('regenerates the last reply and resends an edited message, showing the turns that stay', async () => {
    const store = useChatsStore()
    const three = chat([
      { role: 'user', text: 'Hello', at },
      { role: 'assistant', text: 'Hi', at },
      { role: 'user', text: 'Two plus two?', at },
      { role: 'assistant', text: 'Five', at },
    ])
    fake.api.chats.get.mockResolvedValue(three)
    await store.open('chat-1')
    fake.api.chats.regenerate.mockResolvedValue({ generationId: 'gen-3' })
    expect(await store.regenerate()).toBe(true)
    expect(fake.api.chats.regenerate).toHaveBeenCalledWith({ chatId: 'chat-1' })
    expect(store.current!.messages.map((m) => m.text)).toEqual(['Hello', 'Hi', 'Two plus two?'])
    fake.emit('generation.onEvent', { generationId: 'gen-3', type: 'done', result })
    await flush()
    expect(await store.edit(1, 'x')).toBe(false) // the model's turn cannot be edited
    fake.api.chats.edit.mockResolvedValue({ generationId: 'gen-4' })
    expect(await store.edit(0, 'Good morning')).toBe(true)
    expect(fake.api.chats.edit).toHaveBeenCalledWith({ chatId: 'chat-1', index: 0, text: 'Good morning' })
    expect(store.current!.messages.map((m) => m.text)).toEqual(['Good morning'])
  })

  it('puts the conversation back as it was when a message is refused', async () => {
    const store = useChatsStore()
    fake.api.chats.get.mockResolvedValue(chat([{ role: 'user', text: 'Hello', at }, { role: 'assistant', text: 'Hi', at }]))
    await store.open('chat-1')
    fake.api.chats.reply.mockRejectedValue(new ApiError('NOT_FOUND', 'the model this chat used was deleted', 'pick another model for this chat'))
    expect(await store.send('Still there?')).toBe(false)
    expect(store.current!.messages.map((m) => m.text)).toEqual(['Hello', 'Hi'])
    expect(store.error).toEqual({ code: 'NOT_FOUND', message: 'the model this chat used was deleted', hint: 'pick another model for this chat' })
    expect(store.replying).toBe(false)
  })

  it('writes the conversation\'s settings once after a burst of changes, and before a reply', async () => {
    vi.useFakeTimers()
    try {
      const store = useChatsStore()
      fake.api.chats.get.mockResolvedValue(chat())
      await store.open('chat-1')
      fake.api.chats.update.mockImplementation(async (u: { settings: object }) => chat([], u.settings))
      store.setSettings({ passes: 2 })
      store.setSettings({ passes: 3 })
      store.setSettings({ passes: 3, temperature: 0.5 })
      expect(fake.api.chats.update).not.toHaveBeenCalled()
      await vi.advanceTimersByTimeAsync(500)
      expect(fake.api.chats.update).toHaveBeenCalledTimes(1)
      expect(fake.api.chats.update).toHaveBeenCalledWith({ id: 'chat-1', settings: { passes: 3, temperature: 0.5 } })
      store.setSettings({ passes: 6 })
      fake.api.chats.reply.mockResolvedValue({ generationId: 'gen-5' })
      await store.send('Hello')
      expect(fake.api.chats.update).toHaveBeenLastCalledWith({ id: 'chat-1', settings: { passes: 6 } }) // landed first
      expect(fake.api.chats.update.mock.invocationCallOrder.at(-1)!).toBeLessThan(fake.api.chats.reply.mock.invocationCallOrder[0]!)
    } finally {
      vi.useRealTimers()
    }
  })
})
