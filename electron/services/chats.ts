// Chats: conversations with a checkpoint, one JSON file each (written atomically). A reply is a
// generation over the history; the assistant's turn is saved when it completes.
import { readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../common/errors'
import type { ChatSession, ChatSummary } from '../common/types'
import { JsonWriteQueue, readJson } from './atomic-file'
import { samplingOf, type GenerationService } from './generation'
import { isSafeId, newId } from './paths'
import type { TrainingService } from './training'
import { bad, object, string } from './validate'

export class ChatsService {
  private replying = new Set<string>()
  private writes = new JsonWriteQueue()

  constructor(
    private readonly dir: string,
    private readonly generation: GenerationService,
    private readonly training: TrainingService,
  ) {}

  async list(): Promise<ChatSummary[]> {
    let names: string[] = []
    try {
      names = await readdir(this.dir)
    } catch {
      return []
    }
    const out: ChatSummary[] = []
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      const c = await readJson<ChatSession>(join(this.dir, n)).catch(() => null)
      if (c) out.push({ id: c.id, title: c.title, checkpointId: c.checkpointId, updatedAt: c.updatedAt, messages: c.messages.length })
    }
    return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
  }

  async get(payload: unknown): Promise<ChatSession> {
    return this.load(object(payload, 'the request').id)
  }

  async create(payload: unknown): Promise<ChatSession> {
    const o = object(payload, 'the request')
    const checkpointId = string(o.checkpointId, 'checkpointId', 100)
    this.training.checkpointPath(checkpointId) // must exist
    const now = new Date().toISOString()
    const title = o.title === undefined ? `Chat ${now.slice(0, 16).replace('T', ' ')}` : string(o.title, 'title', 200)
    const chat: ChatSession = { id: newId('chat'), title, checkpointId, createdAt: now, updatedAt: now, messages: [] }
    await this.save(chat)
    return chat
  }

  async remove(payload: unknown): Promise<void> {
    const chat = await this.load(object(payload, 'the request').id)
    await unlink(join(this.dir, `${chat.id}.json`))
  }

  async reply(payload: unknown): Promise<{ generationId: string }> {
    const o = object(payload, 'the request')
    const chat = await this.load(o.chatId)
    const message = string(o.message, 'message', 20_000).trim()
    if (!message) throw bad('message must not be empty')
    if (this.replying.has(chat.id)) throw new ApiError('BUSY', 'this chat is still replying')
    const sampling = samplingOf(o, ['chatId', 'message'], 'the request')
    chat.messages.push({ role: 'user', text: message, at: new Date().toISOString() })
    const history = chat.messages.map(({ role, text }) => ({ role, text }))
    this.replying.add(chat.id)
    try {
      const started = await this.generation.run(chat.checkpointId, { history }, sampling, {
        onDone: async (r) => {
          chat.messages.push({ role: 'assistant', text: r.text, at: new Date().toISOString(),
            stats: { tokens: r.tokens, tokensPerSec: r.tokensPerSec, meanPasses: r.meanPasses } })
          this.replying.delete(chat.id)
          await this.save(chat).catch(() => {})
        },
        onError: () => this.replying.delete(chat.id),
      })
      await this.save(chat) // the user's message is kept even if the reply fails later
      return started
    } catch (e) {
      this.replying.delete(chat.id)
      throw e
    }
  }

  private async load(id: unknown): Promise<ChatSession> {
    if (!isSafeId(id)) throw bad('id is not a valid chat id')
    const chat = await readJson<ChatSession>(join(this.dir, `${id}.json`), `chat ${id}`)
    if (!chat) throw new ApiError('NOT_FOUND', `there is no chat ${id}`)
    return chat
  }

  private save(chat: ChatSession): Promise<void> {
    chat.updatedAt = new Date().toISOString()
    return this.writes.write(join(this.dir, `${chat.id}.json`), () => chat, `chat ${chat.title}`)
  }
}
