// Chats: conversations with a checkpoint, one JSON file each (written atomically), and an index
// of their summaries (chats/index.json) so the list never opens every file. A reply is a
// generation over the history with the conversation's settings; the assistant's turn is saved
// when it completes. The index is this service's alone: rebuilt from the files when it is
// missing or unreadable, rewritten after every change. A chat's checkpoint may be deleted while
// the chat is idle: the chat stays, and its next reply asks for another model.
import { readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../common/errors'
import type { ChatExport, ChatMessage, ChatSession, ChatSummary, SamplingSettings } from '../common/types'
import { JsonWriteQueue, readJson } from './atomic-file'
import { samplingOf, type GenerationService } from './generation'
import type { CheckpointsService } from './checkpoints'
import { isSafeId, newId } from './paths'
import { bad, object, optionalInt, string } from './validate'

const indexFile = 'index.json'

function summary(c: ChatSession): ChatSummary {
  return { id: c.id, title: c.title, checkpointId: c.checkpointId, updatedAt: c.updatedAt, messages: c.messages.length }
}

// A conversation as plain text, one turn per line, for a model that never saw the chat template.
// Like the engine's chat prompt (native/src/generate/generate.cpp, chat_prompt), the oldest turns
// are left out until the rest fits the context with a quarter of it to spare for the reply; the
// last turn is always kept (the engine keeps the end of a prompt longer than its context).
export function plainPrompt(history: { text: string }[], contextLength: number): { prompt: string; trimmedTurns: number } {
  const budget = contextLength - Math.max(1, Math.floor(contextLength / 4))
  const lines = history.map((t) => `${t.text}\n`)
  let first = lines.length - 1
  let length = [...lines[first]!].length // characters: one token each
  while (first > 0 && length + [...lines[first - 1]!].length <= budget) length += [...lines[--first]!].length
  return { prompt: lines.slice(first).join(''), trimmedTurns: first }
}

export class ChatsService {
  private replying = new Set<string>()
  private writes = new JsonWriteQueue()
  private index: Map<string, ChatSummary> | null = null

  constructor(
    private readonly dir: string,
    private readonly generation: GenerationService,
    private readonly checkpoints: CheckpointsService,
  ) {}

  async list(): Promise<ChatSummary[]> {
    const index = await this.loadIndex()
    return [...index.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
  }

  async get(payload: unknown): Promise<ChatSession> {
    return this.load(object(payload, 'the request').id)
  }

  async create(payload: unknown): Promise<ChatSession> {
    const o = object(payload, 'the request')
    const checkpointId = string(o.checkpointId, 'checkpointId', 100)
    await this.checkpoints.path(checkpointId) // must exist
    const now = new Date().toISOString()
    const title = o.title === undefined ? `Chat ${now.slice(0, 16).replace('T', ' ')}` : this.title(o.title)
    const chat: ChatSession = { id: newId('chat'), title, checkpointId, createdAt: now, updatedAt: now, messages: [], settings: {} }
    await this.save(chat)
    return chat
  }

  /** Renames a conversation, points it at another model, or replaces its settings. */
  async update(payload: unknown): Promise<ChatSession> {
    const o = object(payload, 'the request')
    const chat = await this.load(o.id)
    if (o.title !== undefined) chat.title = this.title(o.title)
    if (o.checkpointId !== undefined) {
      const id = string(o.checkpointId, 'checkpointId', 100)
      await this.checkpoints.path(id)
      chat.checkpointId = id
    }
    if (o.settings !== undefined) chat.settings = samplingOf(object(o.settings, 'settings'), [], 'settings')
    await this.save(chat)
    return chat
  }

  async remove(payload: unknown): Promise<void> {
    const chat = await this.load(object(payload, 'the request').id)
    if (this.replying.has(chat.id)) throw new ApiError('BUSY', 'this chat is still replying', 'stop the reply first')
    await unlink(join(this.dir, `${chat.id}.json`))
    const index = await this.loadIndex()
    index.delete(chat.id)
    await this.saveIndex()
  }

  async reply(payload: unknown): Promise<{ generationId: string }> {
    const o = object(payload, 'the request')
    const chat = await this.load(o.chatId)
    const message = this.message(o.message)
    const sampling = samplingOf(o, ['chatId', 'message'], 'the request')
    this.idle(chat)
    chat.messages.push({ role: 'user', text: message, at: new Date().toISOString() })
    return this.answer(chat, sampling)
  }

  /** The last reply again: the assistant's last turn is dropped and the user's last message answered anew. */
  async regenerate(payload: unknown): Promise<{ generationId: string }> {
    const o = object(payload, 'the request')
    const chat = await this.load(o.chatId)
    const sampling = samplingOf(o, ['chatId'], 'the request')
    this.idle(chat)
    while (chat.messages.at(-1)?.role === 'assistant') chat.messages.pop()
    if (!chat.messages.length) throw bad('this chat has no message to answer yet')
    return this.answer(chat, sampling)
  }

  /** A user message changed: it is replaced, the turns after it dropped, and it is answered. */
  async edit(payload: unknown): Promise<{ generationId: string }> {
    const o = object(payload, 'the request')
    const chat = await this.load(o.chatId)
    const index = optionalInt(o.index, 'index', 0, 1_000_000)
    if (index === undefined) throw bad('index is required')
    const text = this.message(o.text)
    const sampling = samplingOf(o, ['chatId', 'index', 'text'], 'the request')
    this.idle(chat)
    const old = chat.messages[index]
    if (!old) throw new ApiError('NOT_FOUND', `this chat has no message ${index}`)
    if (old.role !== 'user') throw bad(`message ${index} is the model's; only your messages can be edited`)
    chat.messages.splice(index, chat.messages.length - index, { role: 'user', text, at: new Date().toISOString() })
    return this.answer(chat, sampling)
  }

  /** The conversation as Markdown (for reading) or JSON (everything, to keep or import). */
  async export(payload: unknown): Promise<ChatExport> {
    const o = object(payload, 'the request')
    const chat = await this.load(o.id)
    const base = chat.title.replace(/[^\p{L}\p{N} ._-]+/gu, '').trim().replace(/\s+/g, '-').slice(0, 80) || chat.id
    if (o.format === 'json') return { filename: `${base}.json`, mimeType: 'application/json', text: `${JSON.stringify(chat, null, 2)}\n` }
    if (o.format !== 'markdown') throw bad("format must be 'markdown' or 'json'")
    const turn = (m: ChatMessage): string => {
      const who = m.role === 'user' ? '**You**' : '**Model**'
      const stats = m.stats ? `\n\n<sub>${m.stats.tokens} tokens · ${Math.round(m.stats.tokensPerSec)} tokens/s · ${m.stats.meanPasses.toFixed(2)} passes</sub>` : ''
      return `${who}\n\n${m.text.replace(/\n/g, '  \n')}${stats}`
    }
    const model = await this.checkpoints.find(chat.checkpointId)
    const head = `# ${chat.title}\n\nModel: ${model ? `${model.record.name} (${chat.checkpointId})` : chat.checkpointId} · started ${chat.createdAt}\n`
    return { filename: `${base}.md`, mimeType: 'text/markdown', text: `${[head, ...chat.messages.map(turn)].join('\n\n')}\n` }
  }

  // The reply to the history as it stands; the history (with its last user turn) is saved
  // before the generation goes, so a failed reply never loses what the user wrote.
  private async answer(chat: ChatSession, request: SamplingSettings): Promise<{ generationId: string }> {
    const history = chat.messages.map(({ role, text }) => ({ role, text }))
    this.replying.add(chat.id)
    try {
      const model = await this.checkpoints.find(chat.checkpointId)
      if (!model?.file)
        throw new ApiError('NOT_FOUND', `the model this chat used (${model?.record.name ?? chat.checkpointId}) was deleted; pick another model for this chat`)
      // a model that never saw the chat template continues the conversation's text instead
      const plain = model.chatFormat ? null : plainPrompt(history, model.record.model?.maxSeqLen ?? 0)
      const input = plain ? { prompt: plain.prompt } : { history }
      const started = await this.generation.run(chat.checkpointId, input, { ...chat.settings, ...request }, {
        onDone: async (r) => {
          const trimmedTurns = plain ? plain.trimmedTurns : r.trimmedTurns
          chat.messages.push({ role: 'assistant', text: r.text, at: new Date().toISOString(),
            stats: { tokens: r.tokens, tokensPerSec: r.tokensPerSec, meanPasses: r.meanPasses, ...(trimmedTurns === undefined ? {} : { trimmedTurns }) } })
          this.replying.delete(chat.id)
          await this.save(chat).catch(() => {})
        },
        onError: () => this.replying.delete(chat.id),
      }, `a reply in chat "${chat.title}"`)
      await this.save(chat)
      return started
    } catch (e) {
      this.replying.delete(chat.id)
      throw e
    }
  }

  private idle(chat: ChatSession): void {
    if (this.replying.has(chat.id)) throw new ApiError('BUSY', 'this chat is still replying', 'wait for the reply or stop it')
  }

  private title(v: unknown): string {
    const t = string(v, 'title', 200).trim()
    if (!t) throw bad('title must not be empty')
    return t
  }

  private message(v: unknown): string {
    const m = string(v, 'message', 20_000).trim()
    if (!m) throw bad('message must not be empty')
    return m
  }

  private async load(id: unknown): Promise<ChatSession> {
    if (!isSafeId(id)) throw bad('id is not a valid chat id')
    const chat = await readJson<ChatSession>(join(this.dir, `${id}.json`), `chat ${id}`)
    if (!chat) throw new ApiError('NOT_FOUND', `there is no chat ${id}`)
    chat.settings ??= {} // chats saved before conversations had settings
    return chat
  }

  private async save(chat: ChatSession): Promise<void> {
    chat.updatedAt = new Date().toISOString()
    await this.writes.write(join(this.dir, `${chat.id}.json`), () => chat, `chat ${chat.title}`)
    const index = await this.loadIndex()
    index.set(chat.id, summary(chat))
    await this.saveIndex()
  }

  private async loadIndex(): Promise<Map<string, ChatSummary>> {
    if (this.index) return this.index
    const stored = await readJson<ChatSummary[]>(join(this.dir, indexFile), 'the chat index').catch(() => null)
    if (Array.isArray(stored)) {
      this.index = new Map(stored.filter((s) => isSafeId(s?.id)).map((s) => [s.id, s]))
      return this.index
    }
    // missing or damaged: rebuilt from the conversations themselves
    const index = new Map<string, ChatSummary>()
    let names: string[] = []
    try {
      names = await readdir(this.dir)
    } catch {
      // no chats yet
    }
    for (const n of names.filter((x) => x.endsWith('.json') && x !== indexFile)) {
      const c = await readJson<ChatSession>(join(this.dir, n)).catch(() => null)
      if (c && isSafeId(c.id)) index.set(c.id, summary(c))
    }
    this.index = index
    if (names.length) await this.saveIndex().catch(() => {})
    return index
  }

  private saveIndex(): Promise<void> {
    return this.writes.write(join(this.dir, indexFile), () => [...(this.index ?? new Map()).values()], 'the chat index')
  }
}
