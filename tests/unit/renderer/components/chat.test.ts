// @vitest-environment happy-dom
// The Chat window's parts: a reply's tokens/s and passes, the notice when the oldest turns did not
// fit the context, editing a message and sending it again; Enter sends and Shift+Enter does not,
// and a refused message stays in the box. And the depth heatmap's runs of equal passes.
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

const fake = await vi.hoisted(async () => (await import('../../../support/fake-api')).createFakeApi())
vi.mock('../../../../renderer/src/lib/api', () => ({ api: fake.api, transport: fake.transport }))

import { ApiError } from '../../../../electron/common/errors'
import ChatComposer from '../../../../renderer/src/components/chat/ChatComposer.vue'
import ChatThread from '../../../../renderer/src/components/chat/ChatThread.vue'
import DepthText from '../../../../renderer/src/components/generate/DepthText.vue'
import { useChatsStore } from '../../../../renderer/src/stores/chats'

const at = '2026-12-01T10:00:00.000Z'

describe('Chat window', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    for (const g of Object.values(fake.api)) for (const f of Object.values(g)) f.mockReset()
  })

  it('shows each reply\'s speed and passes, says when old turns were left out, and resends an edited message', async () => {
    const store = useChatsStore()
    store.current = {
      id: 'chat-1', title: 't', checkpointId: 'run-1', createdAt: at, updatedAt: at, settings: {},
      messages: [
        { role: 'user', text: 'Hello', at },
        { role: 'assistant', text: 'Hi there', at, stats: { tokens: 8, tokensPerSec: 1234.4, meanPasses: 1.5, trimmedTurns: 2 } },
      ],
    }
    const w = mount(ChatThread, { props: { contextLength: 64, canReply: true } })
    expect(w.get('[data-reply-stats]').text()).toBe('8 tokens · 1,234 tokens/s · 1.50 passes')
    expect(w.get('[data-trimmed]').text()).toBe("The 2 oldest messages did not fit the model's context (64 characters) and were left out of this reply.")
    expect(w.find('[data-regenerate]').exists()).toBe(true)
    fake.api.chats.edit.mockResolvedValue({ generationId: 'gen-1' })
    await w.get('button[aria-label="Edit your message 1"]').trigger('click')
    const box = w.get('#edit-0')
    expect((box.element as HTMLTextAreaElement).value).toBe('Hello')
    await box.setValue('Good morning')
    await box.trigger('keydown', { key: 'Enter' })
    expect(fake.api.chats.edit).toHaveBeenCalledWith({ chatId: 'chat-1', index: 0, text: 'Good morning' })
    await vi.waitFor(() => expect(w.find('#edit-0').exists()).toBe(false))
    expect(w.find('[data-streaming]').exists()).toBe(true) // the new reply is on its way
    expect(w.find('[data-regenerate]').exists()).toBe(false)
  })

  it('sends on Enter, not on Shift+Enter, and keeps a refused message in the box', async () => {
    const store = useChatsStore()
    store.current = { id: 'chat-1', title: 't', checkpointId: 'run-1', createdAt: at, updatedAt: at, settings: {}, messages: [] }
    const w = mount(ChatComposer, { props: { canReply: true } })
    const box = w.get('#chat-message')
    await box.setValue('Hello')
    await box.trigger('keydown', { key: 'Enter', shiftKey: true })
    expect(fake.api.chats.reply).not.toHaveBeenCalled()
    fake.api.chats.reply.mockRejectedValue(new ApiError('BUSY', 'this chat is still replying'))
    await box.trigger('keydown', { key: 'Enter' })
    expect(fake.api.chats.reply).toHaveBeenCalledWith({ chatId: 'chat-1', message: 'Hello' })
    await vi.waitFor(() => expect((box.element as HTMLTextAreaElement).value).toBe('Hello'))
    fake.api.chats.reply.mockResolvedValue({ generationId: 'gen-2' })
    await w.get('form').trigger('submit')
    await vi.waitFor(() => expect((box.element as HTMLTextAreaElement).value).toBe(''))
    expect(w.find('[data-stop]').exists()).toBe(true) // Send becomes Stop while it replies
  })

  it('shades the text in runs of equal passes, one entry per code point', () => {
    const w = mount(DepthText, { props: { text: 'aab😀c', passes: [1, 1, 3, 3, 2], top: 3 } })
    const runs = w.findAll('[data-passes]').map((s) => [s.text(), s.attributes('data-passes'), s.attributes('style')])
    expect(runs).toEqual([
      ['aa', '1', '--depth: 0%;'],
      ['b😀', '3', '--depth: 40%;'],
      ['c', '2', '--depth: 20%;'],
    ])
  })
})
