// Chats (the chats namespace): the conversations' list (newest first, filtered by title), the
// open conversation, and its reply as it streams. The back end keeps the conversation: the user's
// turn is saved before the reply starts and the reply when it ends (a stopped one too), so after
// each reply the store reads the conversation back rather than keeping a second copy of it.
import type { ChatExport, ChatSession, ChatSummary, GenerationResult, SamplingSettings } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'
import { followGeneration } from '../lib/follow-generation'

export type ReplyStatus = 'idle' | 'starting' | 'streaming'

export const useChatsStore = defineStore('chats', () => {
  const summaries = ref<ChatSummary[]>([])
  const loaded = ref(false)
  const query = ref('')
  const current = ref<ChatSession | null>(null)
  const reply = ref('') // the reply being written
  const status = ref<ReplyStatus>('idle')
  const lastResult = ref<GenerationResult | null>(null) // of the last reply in this window
  const error = ref<ShownError | null>(null)

  const replying = computed(() => status.value !== 'idle')
  const shown = computed(() => {
    const q = query.value.trim().toLowerCase()
    return q ? summaries.value.filter((s) => s.title.toLowerCase().includes(q)) : summaries.value
  })

  const generation = followGeneration((e) => {
    if (e.type === 'token') {
      reply.value += e.text
      status.value = 'streaming'
      return
    }
    const chat = current.value
    if (e.type === 'done') {
      lastResult.value = e.result
      // shown at once as the back end saved it; the read-back below brings the exact turn
      const r = e.result
      if (chat) current.value = { ...chat, messages: [...chat.messages, { role: 'assistant', text: r.text, at: new Date().toISOString(),
        stats: { tokens: r.tokens, tokensPerSec: r.tokensPerSec, meanPasses: r.meanPasses, ...(r.trimmedTurns === undefined ? {} : { trimmedTurns: r.trimmedTurns }) } }] }
    } else error.value = toShownError(e.error)
    reply.value = ''
    status.value = 'idle'
    if (chat) void refresh(chat.id)
  })

  async function attempt<T>(fn: () => Promise<T>): Promise<T | null> {
    try {
      const v = await fn()
      error.value = null
      return v
    } catch (e) {
      error.value = toShownError(e)
      return null
    }
  }

  async function load(): Promise<void> {
    const list = await attempt(() => api.chats.list())
    if (list) {
      summaries.value = list
      loaded.value = true
    }
  }

  // reads the open conversation (and the list's summary of it) back from the back end
  async function refresh(id: string): Promise<void> {
    const chat = await attempt(() => api.chats.get({ id }))
    if (!chat || current.value?.id !== id) return
    current.value = chat
    reply.value = ''
    await load()
  }

  async function open(id: string): Promise<boolean> {
    if (replying.value) return false // the reply would be followed into the wrong conversation
    const chat = await attempt(() => api.chats.get({ id }))
    if (!chat) return false
    current.value = chat
    reply.value = ''
    lastResult.value = null
    return true
  }

  async function create(checkpointId: string): Promise<ChatSession | null> {
    if (replying.value) return null
    const settings = current.value?.settings ?? {} // a new conversation starts from the last one's settings
    let chat = await attempt(() => api.chats.create({ checkpointId }))
    if (!chat) return null
    if (Object.keys(settings).length) chat = (await attempt(() => api.chats.update({ id: chat!.id, settings }))) ?? chat
    current.value = chat
    reply.value = ''
    lastResult.value = null
    await load()
    return chat
  }

  async function update(patch: { title?: string; checkpointId?: string; settings?: SamplingSettings }): Promise<boolean> {
    const id = current.value?.id
    if (!id) return false
    const chat = await attempt(() => api.chats.update({ id, ...patch }))
    if (!chat) return false
    if (current.value?.id === id) current.value = { ...chat, messages: current.value.messages } // a reply may be on its way
    await load()
    return true
  }
  const rename = (title: string): Promise<boolean> => update({ title })
  const chooseCheckpoint = (checkpointId: string): Promise<boolean> => update({ checkpointId })

  // The conversation's settings, written after the last change of a burst (a dial being dragged).
  let settingsTimer: ReturnType<typeof setTimeout> | null = null
  function setSettings(settings: SamplingSettings): void {
    if (!current.value) return
    current.value = { ...current.value, settings }
    if (settingsTimer) clearTimeout(settingsTimer)
    settingsTimer = setTimeout(() => void flushSettings(), 400)
  }
  async function flushSettings(): Promise<void> {
    if (!settingsTimer || !current.value) return
    clearTimeout(settingsTimer)
    settingsTimer = null
    await update({ settings: current.value.settings })
  }

  async function remove(id: string): Promise<boolean> {
    const ok = (await attempt(() => api.chats.remove({ id }))) !== null
    if (!ok) return false
    if (current.value?.id === id) current.value = null
    await load()
    return true
  }

  // Starts a reply; the user's turn shows at once (the back end has saved it when the request is
  // answered) and is replaced by the saved conversation when the reply ends.
  async function answer(request: () => Promise<{ generationId: string }>, shownTurns: ChatSession['messages']): Promise<boolean> {
    if (!current.value || replying.value) return false
    status.value = 'starting' // at once: a second Enter while the settings land is not a second message
    const before = current.value
    current.value = { ...before, messages: shownTurns }
    reply.value = ''
    lastResult.value = null
    try {
      await flushSettings()
      await generation.start(request)
      error.value = null
      void load() // the list's order and message count
      return true
    } catch (e) {
      current.value = before
      error.value = toShownError(e)
      status.value = 'idle'
      return false
    }
  }

  function send(text: string): Promise<boolean> {
    const chat = current.value
    const message = text.trim()
    if (!chat || !message) return Promise.resolve(false)
    return answer(() => api.chats.reply({ chatId: chat.id, message }), [...chat.messages, { role: 'user', text: message, at: new Date().toISOString() }])
  }

  function regenerate(): Promise<boolean> {
    const chat = current.value
    if (!chat) return Promise.resolve(false)
    const kept = [...chat.messages]
    while (kept.at(-1)?.role === 'assistant') kept.pop()
    return answer(() => api.chats.regenerate({ chatId: chat.id }), kept)
  }

  function edit(index: number, text: string): Promise<boolean> {
    const chat = current.value
    const message = text.trim()
    if (!chat || !message || chat.messages[index]?.role !== 'user') return Promise.resolve(false)
    return answer(() => api.chats.edit({ chatId: chat.id, index, text: message }),
      [...chat.messages.slice(0, index), { role: 'user', text: message, at: new Date().toISOString() }])
  }

  async function stop(): Promise<void> {
    try {
      await generation.cancel()
    } catch (e) {
      error.value = toShownError(e)
    }
  }


  function exportChat(format: 'markdown' | 'json'): Promise<ChatExport | null> {
    const id = current.value?.id
    return id ? attempt(() => api.chats.export({ id, format })) : Promise.resolve(null)
  }

  return {
    summaries, loaded, query, shown, current, reply, status, replying, lastResult, error,
    load, open, create, rename, chooseCheckpoint, setSettings, flushSettings, remove, send, regenerate, edit, stop, exportChat,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useChatsStore, import.meta.hot))
