// Chats with the real engine process: an index that lists without opening every conversation
// (rebuilt when it is lost), rename, per-conversation settings used by every reply, regenerate,
// edit-and-resend, export as Markdown and JSON, and removal. Replies of a model trained on the
// chat corpus use the chat template; a model of plain text continues the conversation's text.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../../../../electron/services/backend'
import { plainPrompt } from '../../../../electron/services/chats'
import { backendEvents, realBackend, trainedRun } from '../../../support/backend'
import { corpus, requireBuild, tempDir, waitFor } from '../../../support/engine'

describe('chats', () => {
  let root: string
  let backend: Backend
  let checkpointId: string // trained on the chat corpus
  let plainId: string // trained on plain text
  const events = backendEvents()
  const generation = events.generation
  const make = (): Promise<Backend> => realBackend(root, events, { datasets: { chatCorpusBytes: 100_000 } })
  const finished = (generationId: string) =>
    waitFor(() => generation.find((g) => g.generationId === generationId && g.type === 'done'), `reply ${generationId}`)

  beforeAll(async () => {
    requireBuild()
    root = tempDir('mg-chats-')
    backend = await make()
    const train = async (datasetId: string): Promise<string> => (await trainedRun(backend, events, datasetId)).checkpointId
    checkpointId = await train((await backend.handlers.datasets.download({ id: 'chat' })).id)
    plainId = await train((await backend.handlers.datasets.import({ name: 'words', text: corpus(30_000) })).id)
    const latest = (await backend.handlers.checkpoints.list()).filter((c) => c.variant === 'latest')
    expect(latest.map((c) => [c.id, c.chatFormat]).sort()).toEqual([[checkpointId, true], [plainId, false]].sort())
  }, 120_000)
  afterAll(() => backend.dispose())

  it('answers with the conversation\'s settings, regenerates the last reply and resends an edited message', async () => {
    const chat = await backend.handlers.chats.create({ checkpointId, title: 'First talk' })
    const set = await backend.handlers.chats.update({ id: chat.id, settings: { maxTokens: 7, temperature: 0 } })
    expect(set.settings).toEqual({ maxTokens: 7, temperature: 0 })
    await expect(backend.handlers.chats.update({ id: chat.id, settings: { maxTokens: 0 } })).rejects.toMatchObject({ code: 'BAD_REQUEST' })

    const first = await backend.handlers.chats.reply({ chatId: chat.id, message: 'the model' })
    const done = await finished(first.generationId)
    expect(done.type === 'done' && done.result.tokens).toBeLessThanOrEqual(7) // the chat's maxTokens
    let saved = await backend.handlers.chats.get({ id: chat.id })
    expect(saved.messages.map((m) => m.role)).toEqual(['user', 'assistant'])
    const firstAnswer = saved.messages[1]!.text

    // temperature 0: the same history gives the same answer again
    const again = await backend.handlers.chats.regenerate({ chatId: chat.id })
    await finished(again.generationId)
    saved = await backend.handlers.chats.get({ id: chat.id })
    expect(saved.messages.map((m) => m.role)).toEqual(['user', 'assistant'])
    expect(saved.messages[1]!.text).toBe(firstAnswer)

    const second = await backend.handlers.chats.reply({ chatId: chat.id, message: 'a small text' })
    await finished(second.generationId)
    expect((await backend.handlers.chats.get({ id: chat.id })).messages).toHaveLength(4)
    await expect(backend.handlers.chats.edit({ chatId: chat.id, index: 1, text: 'no' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining("model's") })
    await expect(backend.handlers.chats.edit({ chatId: chat.id, index: 9, text: 'no' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const edited = await backend.handlers.chats.edit({ chatId: chat.id, index: 0, text: 'the data' })
    await finished(edited.generationId)
    saved = await backend.handlers.chats.get({ id: chat.id })
    expect(saved.messages.map((m) => [m.role, m.role === 'user' ? m.text : '…'])).toEqual([['user', 'the data'], ['assistant', '…']])
  })

  it('keeps how many of the oldest turns each reply left out to fit the model\'s context', async () => {
    // the model's context is 32 tokens, 24 of them for the prompt; a turn takes its characters and
    // two markers (the last one a third, the reply's opening), a reply here at most 4 + 2: the
    // second message (15) and the first reply fit, the first message (18) does not; the third
    // message (16) fits with the second reply only
    const chat = await backend.handlers.chats.create({ checkpointId, title: 'Long talk' })
    const trimmed: (number | undefined)[] = []
    for (const message of ['the model learns', 'a small text', 'the data runs']) {
      const r = await backend.handlers.chats.reply({ chatId: chat.id, message, maxTokens: 4 })
      await finished(r.generationId)
      const done = generation.find((g) => g.generationId === r.generationId && g.type === 'done')
      const saved = (await backend.handlers.chats.get({ id: chat.id })).messages.at(-1)!
      expect(saved.stats?.trimmedTurns).toBe(done?.type === 'done' ? done.result.trimmedTurns : -1)
      trimmed.push(saved.stats?.trimmedTurns)
    }
    expect(trimmed).toEqual([0, 1, 3])
    await backend.handlers.chats.remove({ id: chat.id })
  })

  it('continues the text of the conversation with a model that never saw a conversation', async () => {
    const chat = await backend.handlers.chats.create({ checkpointId: plainId, title: 'Plain' })
    const r = await backend.handlers.chats.reply({ chatId: chat.id, message: 'the model', maxTokens: 40 })
    const done = await finished(r.generationId)
    // the prompt is the turn's text and a newline, no chat markers; the reply cannot end a turn
    expect(done.type === 'done' && [done.result.promptTokens, done.result.stopReason, done.result.tokens]).toEqual([10, 'max_tokens', 40])
    // the context (32) holds 24 characters of prompt: the first two turns (10 + 41) no longer fit
    const second = await backend.handlers.chats.reply({ chatId: chat.id, message: 'a small text', maxTokens: 4 })
    await finished(second.generationId)
    const saved = await backend.handlers.chats.get({ id: chat.id })
    expect(saved.messages.map((m) => m.stats?.trimmedTurns)).toEqual([undefined, 0, undefined, 2])
    await backend.handlers.chats.remove({ id: chat.id })
  })

  it('builds a plain prompt newest turns first, the last one always kept', () => {
    const turns = ['hello', 'hi there', 'how are you'].map((text) => ({ text }))
    expect(plainPrompt(turns, 64)).toEqual({ prompt: 'hello\nhi there\nhow are you\n', trimmedTurns: 0 })
    expect(plainPrompt(turns, 32)).toEqual({ prompt: 'hi there\nhow are you\n', trimmedTurns: 1 }) // 24 fit: 9 + 12
    expect(plainPrompt(turns, 8)).toEqual({ prompt: 'how are you\n', trimmedTurns: 2 })
    expect(plainPrompt([{ text: 'café 😀' }, { text: 'x' }], 12).trimmedTurns).toBe(0) // characters, not bytes or UTF-16 units
  })

  it('lists from its index, rebuilt when lost; renames, exports and removes', async () => {
    const a = await backend.handlers.chats.create({ checkpointId, title: 'Second' })
    const renamed = await backend.handlers.chats.update({ id: a.id, title: 'Notes: the pi / 2' })
    expect(renamed.title).toBe('Notes: the pi / 2')
    await expect(backend.handlers.chats.update({ id: a.id, title: '  ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    const index = join(root, 'chats', 'index.json')
    expect(JSON.parse(readFileSync(index, 'utf8')).map((s: { title: string }) => s.title).sort()).toEqual(['First talk', 'Notes: the pi / 2'])
    expect((await backend.handlers.chats.list())[0]).toMatchObject({ id: a.id, title: 'Notes: the pi / 2', messages: 0 })

    const md = await backend.handlers.chats.export({ id: (await backend.handlers.chats.list())[1]!.id, format: 'markdown' })
    expect(md).toMatchObject({ filename: 'First-talk.md', mimeType: 'text/markdown' })
    expect(md.text).toMatch(/^# First talk\n\nModel: chat .+ \(run-[^)]+\) · started /) // the model by its name
    expect(md.text).toContain('**You**\n\nthe data')
    expect(md.text).toContain('**Model**')
    const json = await backend.handlers.chats.export({ id: a.id, format: 'json' })
    expect(json.filename).toBe('Notes-the-pi-2.json')
    expect(JSON.parse(json.text)).toEqual(await backend.handlers.chats.get({ id: a.id }))
    await expect(backend.handlers.chats.export({ id: a.id, format: 'pdf' } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' })

    // the index lost: a new back end rebuilds it from the conversations
    await backend.dispose()
    rmSync(index)
    backend = await make()
    expect((await backend.handlers.chats.list()).map((s) => s.title)).toEqual(['Notes: the pi / 2', 'First talk'])
    expect(existsSync(index)).toBe(true)
    await backend.handlers.chats.remove({ id: a.id })
    expect((await backend.handlers.chats.list()).map((s) => s.title)).toEqual(['First talk'])
    expect(JSON.parse(readFileSync(index, 'utf8'))).toHaveLength(1)
  })
})
