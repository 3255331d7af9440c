// Datasets against a real HTTP server on 127.0.0.1 serving fixtures for every entry of the
// shipped catalog: each downloads, cleans and is counted through the same path; the user's own
// files are streamed in and checked; code corpora and combinations are built; every failure
// leaves nothing half-made behind and says what happened.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DownloadProgress } from '../../../../electron/common/types'
import { readCatalog } from '../../../../electron/services/catalog'
import { documentSeparator } from '../../../../electron/services/corpus'
import { DatasetsService } from '../../../../electron/services/datasets'
import { fixtureCatalog, type FixtureCatalog } from '../../../support/datasets'
import { corpus, tempDir } from '../../../support/engine'

describe('datasets', () => {
  let fx: FixtureCatalog
  beforeAll(async () => {
    fx = await fixtureCatalog()
  })
  afterAll(() => fx.close())

  function service(catalogFile = fx.file) {
    const dir = tempDir('mg-ds-')
    const progress: DownloadProgress[] = []
    const svc = new DatasetsService(dir, readCatalog(catalogFile), (p) => progress.push(p), {
      transfer: { attempts: 2, retryDelayMs: 10, idleTimeoutMs: 2000 }, chatCorpusBytes: 200_000,
    })
    return { dir, progress, svc }
  }

  it('lists the whole catalog, and prepares every entry through the same download and cleaning path', async () => {
    const { dir, progress, svc } = service()
    const listed = await svc.list()
    expect(listed.map((d) => d.id)).toEqual(readCatalog(fx.file).map((c) => c.id))
    expect(listed.every((d) => d.status === 'available' && d.source === 'catalog')).toBe(true)
    expect(listed.find((d) => d.id === 'names')).toMatchObject({ kind: 'download', bytes: expect.any(Number) })
    expect(listed.find((d) => d.id === 'moby-dick')).toMatchObject({ approxBytes: expect.any(Number) })

    for (const d of listed.filter((x) => x.kind === 'download' || x.kind === 'builtin')) {
      const ready = await svc.download({ id: d.id })
      expect(ready, d.id).toMatchObject({ id: d.id, status: 'ready', stats: { characters: expect.any(Number), vocabularySize: expect.any(Number) } })
      expect(ready.stats!.characters, d.id).toBeGreaterThan(1000)
    }
    // Gutenberg: only the book is left, its line endings LF
    const book = readFileSync(join(dir, 'frankenstein.txt'), 'utf8')
    expect(book.startsWith('CHAPTER I.\n')).toBe(true)
    expect(book).not.toMatch(/Project Gutenberg|LICENSE|\r/)
    // WikiText from its three Parquet splits, train first, detokenized
    const wiki = readFileSync(join(dir, 'wikitext-2.txt'), 'utf8')
    expect(wiki).toContain('The 2,500-metre tower, built in 19.5 months')
    expect(wiki).not.toContain(' @-@ ')
    expect(wiki.split('\n').filter((l) => l === 'Article 0')).toHaveLength(3) // its heading, once per split
    // the chat corpus, generated without the network, in the chat format
    const chat = readFileSync(join(dir, 'chat.txt'), 'utf8')
    expect(chat.startsWith('<|user|>')).toBe(true)
    // downloads reported bytes, speed and parts; the others their stages
    const wikiProgress = progress.filter((p) => p.id === 'wikitext-2' && p.stage === 'downloading')
    expect(new Set(wikiProgress.map((p) => p.part))).toEqual(new Set([1, 2, 3]))
    expect(wikiProgress.every((p) => p.parts === 3)).toBe(true)
    expect(progress.find((p) => p.id === 'chat' && p.stage === 'generating')).toBeTruthy()
    expect(progress.filter((p) => p.done && !p.error).map((p) => p.id)).toEqual(expect.arrayContaining(['names', 'chat', 'wikitext-2']))

    // the combined corpus: the six books and WikiText, already here, each ended by the marker
    const combined = await svc.download({ id: 'combined' })
    const text = readFileSync(join(dir, 'combined.txt'), 'utf8')
    expect(text.split(documentSeparator)).toHaveLength(7)
    expect(combined.stats!.bytes).toBe(Buffer.byteLength(text))
    expect((await svc.list()).filter((d) => d.status === 'ready').length).toBe(listed.length - 1) // all but the code corpus
    // a second download of a ready source needs no network
    const before = fx.hits.get('/karpathy/makemore/master/names.txt')
    await svc.download({ id: 'names', foldTypography: true })
    expect(fx.hits.get('/karpathy/makemore/master/names.txt')).toBe(before)
  }, 60_000)

  it('folds typography when asked', async () => {
    const { dir, svc } = service()
    await svc.download({ id: 'alice-in-wonderland', foldTypography: true })
    const text = readFileSync(join(dir, 'alice-in-wonderland.txt'), 'utf8')
    expect(text).toContain('"It is a truth," said')
    expect(text).not.toMatch(/[\u201c\u201d\u2019\u2014]/)
  })

  it('previews a dataset: first lines, its counts and its character histogram', async () => {
    const { svc } = service()
    await svc.download({ id: 'names' })
    const p = await svc.preview({ id: 'names' })
    expect(p.lines.length).toBeGreaterThan(5)
    expect(p.stats.vocabularySize).toBe(p.histogram.length)
    expect(p.histogram[0].count).toBeGreaterThanOrEqual(p.histogram.at(-1)!.count)
    await expect(svc.preview({ id: 'moby-dick' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('says what went wrong for a 404, an unreachable server and a checksum mismatch, keeping nothing', async () => {
    const catalog = JSON.parse(readFileSync(fx.file, 'utf8'))
    const names = catalog.datasets.find((d: { id: string }) => d.id === 'names')
    catalog.datasets.push(
      { ...names, id: 'gone', sources: [{ url: `${fx.base}/gone.txt` }] },
      { ...names, id: 'bad-sum', sources: [{ ...names.sources[0], sha256: 'f'.repeat(64) }] },
      { ...names, id: 'unreachable', sources: [{ url: 'http://no-such-host.invalid/names.txt' }] },
    )
    const file = join(tempDir(), 'catalog.json')
    writeFileSync(file, JSON.stringify(catalog))
    const { dir, progress, svc } = service(file)
    await expect(svc.download({ id: 'gone' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('404') })
    await expect(svc.download({ id: 'bad-sum' })).rejects.toMatchObject({ code: 'CORRUPT_DOWNLOAD' })
    await expect(svc.download({ id: 'unreachable' })).rejects.toMatchObject({ code: 'OFFLINE' })
    expect(progress.at(-1)).toMatchObject({ id: 'unreachable', done: true, error: { code: 'OFFLINE' } })
    expect(readdirSync(dir).filter((f) => f !== 'sources')).toEqual([])
    expect(readdirSync(join(dir, 'sources'))).toEqual([])
    await expect(svc.path('gone')).rejects.toMatchObject({ code: 'NOT_FOUND', hint: expect.stringContaining('download') })
  })

  it('cancels a download in progress and leaves nothing behind', async () => {
    const { dir, svc } = service()
    const pending = svc.download({ id: 'wikitext-2' })
    await new Promise((r) => setTimeout(r, 5))
    expect((await svc.list()).find((d) => d.id === 'wikitext-2')?.status).toBe('downloading')
    await expect(svc.download({ id: 'wikitext-2' })).rejects.toMatchObject({ code: 'BUSY' })
    await svc.cancelDownload({ id: 'wikitext-2' })
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(readdirSync(dir).filter((f) => f !== 'sources')).toEqual([])
    expect(readdirSync(join(dir, 'sources'))).toEqual([])
  })

  it('imports your files streamed from disk, and names the file and byte offset of bad input', async () => {
    const { dir, svc } = service()
    const src = tempDir()
    writeFileSync(join(src, 'poems.txt'), `\uFEFF${corpus(5000).replace(/\n/g, '\r\n')}`)
    const d = await svc.importFile(join(src, 'poems.txt'))
    expect(d).toMatchObject({ name: 'poems.txt', kind: 'imported', source: 'yours', status: 'ready' })
    const text = readFileSync(join(dir, `${d.id}.txt`), 'utf8')
    expect(text).not.toMatch(/\r|\uFEFF/)
    expect(d.stats!.bytes).toBe(Buffer.byteLength(text))
    writeFileSync(join(src, 'latin1.txt'), Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait')]))
    await expect(svc.importFile(join(src, 'latin1.txt'))).rejects.toMatchObject({ code: 'NOT_TEXT', message: 'latin1.txt is not UTF-8 text: invalid byte 0xE9 at byte offset 3' })
    writeFileSync(join(src, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    await expect(svc.importFile(join(src, 'image.png'))).rejects.toMatchObject({ code: 'NOT_TEXT', message: expect.stringContaining('image.png is not UTF-8 text: invalid byte 0x89 at byte offset 0') })
    writeFileSync(join(src, 'nul.txt'), Buffer.from('abc\0def'))
    await expect(svc.importFile(join(src, 'nul.txt'))).rejects.toMatchObject({ message: expect.stringContaining('NUL byte (a binary file?) at byte offset 3') })
    await expect(svc.importFile(join(src, 'missing.txt'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(svc.importFiles()).rejects.toMatchObject({ code: 'NOT_AVAILABLE' }) // no dialog outside the desktop app
    expect((await svc.list()).filter((x) => x.source === 'yours').map((x) => x.id)).toEqual([d.id])
    expect(readdirSync(join(dir, 'sources'))).toEqual([])
  })

  it('builds a code corpus from a folder, leaving out what is not source text', async () => {
    const { dir, svc } = service()
    const root = tempDir()
    mkdirSync(join(root, 'src', 'deep'), { recursive: true })
    mkdirSync(join(root, 'node_modules', 'x'), { recursive: true })
    writeFileSync(join(root, 'src', 'a.py'), 'def add(a, b):\n    return a + b\n'.repeat(20))
    writeFileSync(join(root, 'src', 'deep', 'b.ts'), 'export const b = 1\n'.repeat(20))
    writeFileSync(join(root, 'src', 'c.py'), Buffer.from([0x66, 0xff, 0x0a]))
    writeFileSync(join(root, 'src', 'notes.bin'), 'not a source file')
    writeFileSync(join(root, 'node_modules', 'x', 'v.js'), 'vendored')
    const d = await svc.buildCode({ folder: root, extensions: ['.py', '.ts', '.js'] })
    expect(d).toMatchObject({ kind: 'code', source: 'yours', name: expect.stringContaining('Code from') })
    const text = readFileSync(join(dir, `${d.id}.txt`), 'utf8')
    expect(text.startsWith('=== src/a.py ===\ndef add(a, b):')).toBe(true)
    expect(text).toContain(`${documentSeparator}=== src/deep/b.ts ===`)
    expect(text).not.toContain('vendored')
    expect(d.warnings?.join(' ')).toContain('src/c.py (not UTF-8 text)')
    await expect(svc.buildCode({ folder: join(root, 'nope') })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(svc.buildCode({})).rejects.toMatchObject({ code: 'BAD_REQUEST' }) // no folder and no dialog
  })

  it('combines any ready datasets, removes datasets, and rejects malformed requests', async () => {
    const { dir, svc } = service()
    await svc.download({ id: 'names' })
    const mine = await svc.import({ name: 'My poems', text: corpus(5000) })
    const mix = await svc.combine({ ids: ['names', mine.id], name: 'Names and poems' })
    expect(readFileSync(join(dir, `${mix.id}.txt`), 'utf8').split(documentSeparator)).toHaveLength(2)
    expect(mix).toMatchObject({ kind: 'combined', parts: ['names', mine.id], source: 'yours' })
    await svc.remove({ id: mine.id })
    await svc.remove({ id: 'names' })
    expect((await svc.list()).find((d) => d.id === 'names')?.status).toBe('available')
    expect(readdirSync(join(dir, 'sources'))).toEqual([])
    await expect(svc.remove({ id: mine.id })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(svc.combine({ ids: ['names'] })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.combine({ ids: ['names', mix.id] })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(svc.import({ name: 'x', text: 'short' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.import({ name: '', text: corpus(500) })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.import(null)).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.path('../../etc/passwd')).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.remove({ id: '../x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.download({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(svc.download({ id: 'code' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
  })

  it('refuses a malformed catalog with the entry at fault', () => {
    const bad = (datasets: unknown): string => {
      const f = join(tempDir(), 'c.json')
      writeFileSync(f, JSON.stringify({ datasets }))
      return f
    }
    expect(() => readCatalog(bad([{ id: 'x', title: 't', description: 'd', license: 'l', kind: 'download', recipe: {}, sources: [{ url: 'file:///etc/passwd' }] }])))
      .toThrow(/entry 1 \(x\) has a source whose url is not http/)
    expect(() => readCatalog(bad([{ id: 'Bad Id', title: 't', description: 'd', license: 'l', kind: 'builtin', recipe: {} }]))).toThrow(/id that is not/)
    expect(() => readCatalog(bad([{ id: 'm', title: 't', description: 'd', license: 'l', kind: 'combined', recipe: {}, parts: ['nope'] }]))).toThrow(/part that is not/)
    expect(() => readCatalog(join(tempDir(), 'missing.json'))).toThrow(/cannot read the dataset catalog/)
  })
})
