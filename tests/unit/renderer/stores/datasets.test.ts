// The datasets store with only lib/api replaced: progress routed by dataset id, failures kept
// per dataset with their hint, and the chat corpus first once the machine is found offline.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { DatasetEntry } from '../../../../electron/common/types'

const fake = await vi.hoisted(async () => (await import('../../../support/fake-api')).createFakeApi())
vi.mock('../../../../renderer/src/lib/api', () => ({ api: fake.api, transport: fake.transport }))

import { ApiError } from '../../../../electron/common/errors'
import { useDatasetsStore } from '../../../../renderer/src/stores/datasets'

const entry = (id: string, kind: DatasetEntry['kind'], status: DatasetEntry['status'] = 'available'): DatasetEntry => ({
  id, name: id, description: '', kind, source: 'catalog', status,
})

describe('datasets store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    fake.listeners.clear()
    for (const g of Object.values(fake.api)) for (const f of Object.values(g)) f.mockReset()
  })

  it('follows each download\'s progress by id until it is done, then lists it ready', async () => {
    fake.api.datasets.list.mockResolvedValue([entry('names', 'download'), entry('wikitext-2', 'download')])
    const store = useDatasetsStore()
    await store.load()
    let finish!: (d: DatasetEntry) => void
    fake.api.datasets.download.mockReturnValue(new Promise((r) => (finish = r)))
    const going = store.download('wikitext-2')
    expect(store.progress['wikitext-2']).toMatchObject({ stage: 'downloading', receivedBytes: 0 })
    fake.emit('datasets.onProgress', { id: 'wikitext-2', stage: 'downloading', receivedBytes: 500, totalBytes: 1000, bytesPerSec: 250, etaSeconds: 2, part: 2, parts: 3, done: false })
    fake.emit('datasets.onProgress', { id: 'names', stage: 'cleaning', receivedBytes: 10, totalBytes: null, done: false })
    expect(store.progress['wikitext-2']).toMatchObject({ receivedBytes: 500, part: 2, parts: 3, etaSeconds: 2 })
    expect(store.progress.names).toMatchObject({ stage: 'cleaning' })
    fake.emit('datasets.onProgress', { id: 'names', stage: 'cleaning', receivedBytes: 10, totalBytes: null, done: true })
    expect(store.progress.names).toBeUndefined()
    fake.api.datasets.list.mockResolvedValue([entry('names', 'download'), entry('wikitext-2', 'download', 'ready')])
    finish(entry('wikitext-2', 'download', 'ready'))
    expect(await going).toBe(true)
    expect(store.progress['wikitext-2']).toBeUndefined()
    expect(store.ready.map((d) => d.id)).toEqual(['wikitext-2'])
  })

  it('keeps a failure with its hint on its dataset; offline, the chat corpus comes first', async () => {
    fake.api.datasets.list.mockResolvedValue([entry('names', 'download'), entry('mine', 'imported', 'ready'), entry('chat', 'builtin')])
    const store = useDatasetsStore()
    await store.load()
    expect(store.ordered.map((d) => d.id)).toEqual(['names', 'mine', 'chat'])
    fake.api.datasets.download.mockRejectedValue(new ApiError('OFFLINE', 'could not reach raw.githubusercontent.com', 'build the chat corpus: it needs no network'))
    expect(await store.download('names')).toBe(false)
    expect(store.errors.names).toEqual({ code: 'OFFLINE', message: 'could not reach raw.githubusercontent.com', hint: 'build the chat corpus: it needs no network' })
    expect(store.offline).toBe(true)
    expect(store.ordered.map((d) => d.id)).toEqual(['chat', 'mine', 'names'])
    // a cancel is what the user asked for, not an error to show
    fake.api.datasets.download.mockRejectedValue(new ApiError('CANCELLED', 'cancelled'))
    await store.download('chat')
    expect(store.errors.chat).toBeUndefined()
  })

  it('imports by the app\'s dialog in the desktop app, and previews by id', async () => {
    fake.transport.kind = 'ipc'
    fake.api.datasets.list.mockResolvedValue([])
    fake.api.datasets.importFiles.mockResolvedValue([entry('notes', 'imported', 'ready')])
    const store = useDatasetsStore()
    expect(store.canPickFiles).toBe(true)
    expect(await store.importFiles()).toHaveLength(1)
    fake.api.datasets.preview.mockResolvedValue({ id: 'notes', lines: ['hi'], stats: { bytes: 2, lines: 1, characters: 2, vocabularySize: 2 }, histogram: [] })
    await store.preview('notes')
    expect(store.previews.notes?.lines).toEqual(['hi'])
    fake.api.datasets.preview.mockRejectedValue(new ApiError('NOT_FOUND', 'there is no dataset gone'))
    expect(await store.preview('gone')).toBeNull()
    expect(store.errors.gone?.code).toBe('NOT_FOUND')
    fake.transport.kind = 'websocket'
  })
})
