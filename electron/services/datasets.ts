// Datasets: the catalog's entries (downloaded, generated or combined on demand) and the user's
// own (imported files, code corpora, combinations). The one owner of the datasets folder:
//   <id>.txt           the cleaned text the engine trains on
//   <id>.json          its record: where it came from, its statistics, cleaning warnings
//   sources/<id>-<n>.* a catalog entry's downloaded files (kept, so cleaning again needs no network),
//                      with <file>.part and <file>.partinfo while a download is unfinished
// Every text goes through dataset-text.ts's prepareText: the same cleaning and counting path.
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Readable } from 'node:stream'
import { ApiError } from '../common/errors'
import { maxImportBytes } from '../common/limits'
import type { DatasetEntry, DatasetPreview, DatasetStats, DownloadProgress } from '../common/types'
import { readJson, writeJsonAtomic } from './atomic-file'
import type { CatalogEntry } from './catalog'
import { chatCorpusChunks } from './chat-corpus'
import { buildCodeCorpus, combineTexts } from './corpus'
import { prepareText, textFileChunks } from './dataset-text'
import { download, type DownloadOptions } from './download'
import { parquetTextChunks } from './parquet-text'
import { isSafeId, newId } from './paths'
import type { CleaningRecipe } from './text-cleaning'
import { copyCheckedText } from './text-import'
import { textStatsOfFile, type TextStats } from './text-stats'
import { bad, object, optionalInt, string } from './validate'

/** <id>.json beside each dataset's text. */
interface LocalRecord {
  id: string
  name: string
  description: string
  kind: DatasetEntry['kind']
  source: DatasetEntry['source']
  url?: string
  license?: string
  addedAt: string
  stats: TextStats
  warnings: string[]
  parts?: string[]
}

/** Ways to pick files and folders, given by the Electron app (serve mode has none: it uploads). */
export interface Pickers {
  files(): Promise<string[]>
  folder(): Promise<string | null>
}

export interface DatasetsOptions {
  transfer?: Pick<DownloadOptions, 'attempts' | 'retryDelayMs' | 'idleTimeoutMs'> // tests make these short
  chatCorpusBytes?: number
  pickers?: Pickers
}

const summary = (s: TextStats): DatasetStats => ({ bytes: s.bytes, lines: s.lines, longestLine: s.longestLine, characters: s.characters, vocabularySize: s.vocabularySize })

export class DatasetsService {
  private busy = new Map<string, AbortController>()

  constructor(
    private readonly dir: string,
    private readonly catalog: CatalogEntry[],
    private readonly onProgress: (p: DownloadProgress) => void,
    private readonly options: DatasetsOptions = {},
  ) {}

  async list(): Promise<DatasetEntry[]> {
    const records = await this.records()
    const out: DatasetEntry[] = []
    for (const c of this.catalog) {
      const local = records.get(c.id)
      out.push({ ...this.catalogEntry(c), ...(local ? this.entry(local) : {}), status: this.busy.has(c.id) ? 'downloading' : local ? 'ready' : 'available' })
    }
    for (const r of records.values()) if (r.source === 'yours') out.push({ ...this.entry(r), status: this.busy.has(r.id) ? 'downloading' : 'ready' })
    return out
  }

  /** The datasets whose text is in the chat format (turns between <|user|>, <|assistant|> and
   *  <|eot|>): the built-in corpus, and combinations that include it. Catalog entries are known
   *  whether or not they are downloaded; a dataset that is gone is not. One read of the folder,
   *  for any number of checkpoints. */
  async chatFormatIds(): Promise<Set<string>> {
    const all = new Map((await this.list()).map((d) => [d.id, d]))
    const chat = (id: string, seen: Set<string>): boolean => {
      const d = all.get(id)
      if (!d || seen.has(id)) return false
      seen.add(id)
      return d.kind === 'builtin' || (d.parts ?? []).some((p) => chat(p, seen))
    }
    return new Set([...all.keys()].filter((id) => chat(id, new Set())))
  }

  /** Whether a dataset's runs hold out whole lines by default: a catalog list of lines (names). */
  holdsOutLines(id: string): boolean {
    return this.catalog.some((c) => c.id === id && c.holdOutLines === true)
  }

  /** The text file of a ready dataset, for training. */
  async path(id: unknown): Promise<string> {
    if (!isSafeId(id)) throw bad('datasetId is not a valid id')
    const file = this.textFile(id)
    try {
      await stat(file)
    } catch {
      const inCatalog = this.catalog.some((c) => c.id === id)
      throw new ApiError('NOT_FOUND', inCatalog ? `dataset ${id} is not downloaded yet` : `there is no dataset ${id}`,
        inCatalog ? 'download it from the Datasets page first' : undefined)
    }
    return file
  }

  /** Makes a catalog entry ready: downloads and cleans it, generates it, or combines its parts. */
  async download(payload: unknown): Promise<DatasetEntry> {
    const o = object(payload, 'the request')
    const c = this.catalogAt(o.id)
    if (o.foldTypography !== undefined && typeof o.foldTypography !== 'boolean') throw bad('foldTypography must be true or false')
    if (c.kind === 'code') throw new ApiError('BAD_REQUEST', `${c.title} is built from a folder you choose`, 'use "build code corpus" instead')
    return this.job(c.id, c.title, async (signal) => {
      const recipe: CleaningRecipe = { ...c.recipe, ...(o.foldTypography ? { foldTypography: true } : {}) }
      const base = { id: c.id, name: c.title, description: c.description, kind: c.kind, source: 'catalog' as const, license: c.license }
      if (c.kind === 'combined') {
        for (const p of c.parts) if (!(await this.hasText(p))) await this.download({ id: p, foldTypography: o.foldTypography })
        return this.combined(base, c.parts, signal)
      }
      const inputs = c.kind === 'builtin' ? [this.chatCorpus()] : await this.fetchSources(c, signal)
      const prepared = await prepareText(inputs, recipe, this.textFile(c.id), c.title, this.counting(c.id, c.kind === 'builtin' ? 'generating' : 'cleaning', signal))
      return { ...base, ...(c.kind === 'download' ? { url: c.sources[0].url } : {}), stats: prepared.stats, warnings: prepared.warnings }
    })
  }

  async cancelDownload(payload: unknown): Promise<void> {
    const id = string(object(payload, 'the request').id, 'id', 80)
    const ctrl = this.busy.get(id)
    if (!ctrl) throw new ApiError('NOT_FOUND', `${id} is not downloading`)
    ctrl.abort()
  }

  /** Pasted text, as a dataset of the user's. */
  async import(payload: unknown): Promise<DatasetEntry> {
    const o = object(payload, 'the request')
    const name = this.name(o.name)
    const text = string(o.text, 'text', maxImportBytes)
    if (text.length < 100) throw bad('the text is too short to train on (it needs at least 100 characters)')
    async function* once(): AsyncGenerator<string> {
      yield text
    }
    return this.mine('text', name, 'imported', 'pasted text', (id, signal) => prepareText([once()], {}, this.textFile(id), name, this.counting(id, 'importing', signal)))
  }

  /** Files the user picks in the app's own dialog, each streamed from disk into a dataset. */
  async importFiles(): Promise<DatasetEntry[]> {
    const pick = this.options.pickers?.files
    if (!pick) throw new ApiError('NOT_AVAILABLE', 'choosing files is done in the desktop app', 'in a browser, upload the files instead')
    const out: DatasetEntry[] = []
    for (const path of await pick()) out.push(await this.importFile(path))
    return out
  }

  async importFile(path: string, name = basename(path)): Promise<DatasetEntry> {
    const s = await stat(path).catch(() => null)
    if (!s?.isFile()) throw new ApiError('NOT_FOUND', `cannot read ${name}: ${s ? 'it is not a file' : 'no such file'}`)
    return this.importStream(name, () => createReadStream(path))
  }

  /**
   * A file's bytes from anywhere (a path, an HTTP upload), checked as UTF-8 text, then cleaned.
   * A path's stream is opened only when it is read (a function), so its errors have a listener.
   */
  async importStream(rawName: unknown, source: Readable | (() => Readable)): Promise<DatasetEntry> {
    const name = this.name(rawName)
    return this.mine('text', name, 'imported', `imported from ${name}`, async (id, signal) => {
      const raw = await this.sourceFile(id, 0, '.txt')
      try {
        await copyCheckedText(typeof source === 'function' ? source() : source, raw, { what: name, maxBytes: maxImportBytes, onBytes: (n) => this.emit({ id, stage: 'importing', receivedBytes: n, totalBytes: null, done: false }) })
        if (signal.aborted) throw new ApiError('CANCELLED', `the import of ${name} was cancelled`)
        return await prepareText([textFileChunks(raw, name)], {}, this.textFile(id), name, this.counting(id, 'cleaning', signal))
      } finally {
        await unlink(raw).catch(() => {}) // the user has the original
      }
    })
  }

  /** Source files under a folder (given, or picked in the app's dialog) as one text. */
  async buildCode(payload: unknown): Promise<DatasetEntry> {
    const o = object(payload ?? {}, 'the request')
    const defaults = this.catalog.find((c) => c.kind === 'code') as Extract<CatalogEntry, { kind: 'code' }> | undefined
    let folder = o.folder === undefined ? null : string(o.folder, 'folder', 4096)
    if (folder === null) {
      if (!this.options.pickers) throw bad('folder is required: the path of a folder on the machine running the app')
      folder = await this.options.pickers.folder()
      if (!folder) throw new ApiError('CANCELLED', 'no folder was chosen')
    }
    const extensions = o.extensions === undefined ? (defaults?.extensions ?? ['.txt']) : o.extensions
    if (!Array.isArray(extensions) || extensions.length === 0 || extensions.length > 100 || !extensions.every((x) => typeof x === 'string' && /^\.[a-z0-9]{1,10}$/i.test(x)))
      throw bad('extensions must be a list of file endings such as ".py"')
    const maxBytes = optionalInt(o.maxBytes, 'maxBytes', 1024, maxImportBytes) ?? defaults?.maxBytes ?? 20_000_000
    const name = o.name === undefined ? `Code from ${basename(folder)}` : this.name(o.name)
    return this.mine('code', name, 'code', `source files (${extensions.join(' ')}) under ${folder}`, async (id, signal) => {
      const raw = await this.sourceFile(id, 0, '.txt')
      try {
        this.emit({ id, stage: 'building', receivedBytes: 0, totalBytes: maxBytes, done: false })
        const built = await buildCodeCorpus({ folder: folder!, extensions, maxBytes }, raw)
        const prepared = await prepareText([textFileChunks(raw, name)], {}, this.textFile(id), name, this.counting(id, 'cleaning', signal))
        const warnings = [...prepared.warnings]
        if (built.skippedCount) warnings.push(`${built.skippedCount} file(s) left out: ${built.skipped.slice(0, 5).map((s) => `${s.path} (${s.reason})`).join(', ')}${built.skippedCount > 5 ? ', ...' : ''}`)
        if (built.truncated) warnings.push(`stopped at the size cap of ${maxBytes} bytes`)
        return { ...prepared, warnings }
      } finally {
        await unlink(raw).catch(() => {})
      }
    })
  }

  /** Any ready datasets, one after another with a document separator, as a new dataset. */
  async combine(payload: unknown): Promise<DatasetEntry> {
    const o = object(payload, 'the request')
    if (!Array.isArray(o.ids) || o.ids.length < 2 || o.ids.length > 100) throw bad('ids must list at least two datasets')
    const ids = o.ids.map((x) => string(x, 'ids[]', 80))
    for (const id of ids) await this.path(id)
    const records = await this.records()
    const name = o.name === undefined ? `Combined: ${ids.map((i) => records.get(i)?.name ?? i).join(', ')}`.slice(0, 200) : this.name(o.name)
    const id = newId('mix')
    return this.job(id, name, (signal) => this.combined({ id, name, description: `${ids.length} datasets combined`, kind: 'combined', source: 'yours' }, ids, signal))
  }

  async preview(payload: unknown): Promise<DatasetPreview> {
    const id = string(object(payload, 'the request').id, 'id', 80)
    const file = await this.path(id)
    const record = (await this.records()).get(id)
    const stats = record?.stats ?? (await textStatsOfFile(file))
    const fh = await open(file, 'r')
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0)
      const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/\uFFFD$/, '')
      const lines = head.split('\n').slice(0, 40).map((l) => l.slice(0, 300))
      return { id, lines, stats: summary(stats), histogram: stats.histogram }
    } finally {
      await fh.close()
    }
  }

  async remove(payload: unknown): Promise<void> {
    const id = string(object(payload, 'the request').id, 'id', 80)
    if (!isSafeId(id)) throw bad('id is not a valid id')
    if (this.busy.has(id)) throw new ApiError('BUSY', 'cancel the download first')
    if (!(await this.removeFiles(id))) throw new ApiError('NOT_FOUND', `there is no dataset ${id}`)
  }

  /** Deletes a dataset's text, record and sources; true when it had a text or a record. */
  private async removeFiles(id: string): Promise<boolean> {
    const sources = await readdir(join(this.dir, 'sources')).catch(() => [] as string[])
    const files = [this.textFile(id), this.recordFile(id), ...sources.filter((f) => f.startsWith(`${id}-`) && /^\d+\./.test(f.slice(id.length + 1))).map((f) => join(this.dir, 'sources', f))]
    const existed = await Promise.all(files.map((f) => unlink(f).then(() => true, () => false)))
    return existed.slice(0, 2).some(Boolean)
  }

  // ---------------------------------------------------------------- the work

  /** Runs one job on a dataset id at a time, with its progress, record and cancellation. */
  private async job(id: string, what: string, work: (signal: AbortSignal) => Promise<Omit<LocalRecord, 'addedAt'>>): Promise<DatasetEntry> {
    if (this.busy.has(id)) throw new ApiError('BUSY', `${what} is already being prepared`)
    const ctrl = new AbortController()
    this.busy.set(id, ctrl)
    try {
      await mkdir(this.dir, { recursive: true })
      const record: LocalRecord = { ...(await work(ctrl.signal)), addedAt: new Date().toISOString() }
      if (ctrl.signal.aborted) throw new ApiError('CANCELLED', `${what} was cancelled`)
      await writeJsonAtomic(this.recordFile(id), record, `the record of ${what}`)
      this.emit({ id, stage: 'cleaning', receivedBytes: record.stats.bytes, totalBytes: record.stats.bytes, done: true })
      const c = this.catalog.find((x) => x.id === id)
      return { ...(c ? this.catalogEntry(c) : {}), ...this.entry(record), status: 'ready' }
    } catch (e) {
      const err = ctrl.signal.aborted ? new ApiError('CANCELLED', `${what} was cancelled`) : e instanceof ApiError ? e : new ApiError('INTERNAL', String(e))
      if (ctrl.signal.aborted) await this.removeFiles(id) // a cancel leaves nothing behind
      this.emit({ id, stage: 'cleaning', receivedBytes: 0, totalBytes: null, done: true, error: err.toShape() })
      throw err
    } finally {
      this.busy.delete(id)
    }
  }

  /** A new dataset of the user's, prepared by `prepare` into <id>.txt. */
  private mine(prefix: string, name: string, kind: DatasetEntry['kind'], description: string,
    prepare: (id: string, signal: AbortSignal) => Promise<{ stats: TextStats; warnings: string[] }>): Promise<DatasetEntry> {
    const id = newId(prefix)
    return this.job(id, name, async (signal) => ({ id, name, description, kind, source: 'yours', ...(await prepare(id, signal)) }))
  }

  private async combined(base: Omit<LocalRecord, 'addedAt' | 'stats' | 'warnings'>, parts: string[], signal: AbortSignal): Promise<Omit<LocalRecord, 'addedAt'>> {
    this.emit({ id: base.id, stage: 'combining', receivedBytes: 0, totalBytes: null, done: false })
    const files = await Promise.all(parts.map((p) => this.path(p)))
    await combineTexts(files, this.textFile(base.id), base.name)
    if (signal.aborted) throw new ApiError('CANCELLED', `${base.name} was cancelled`)
    return { ...base, parts, stats: await textStatsOfFile(this.textFile(base.id)), warnings: [] }
  }

  /** Downloads every source of a catalog entry (or keeps the ones already here), as text inputs. */
  private async fetchSources(c: Extract<CatalogEntry, { kind: 'download' }>, signal: AbortSignal): Promise<AsyncIterable<string>[]> {
    const inputs: AsyncIterable<string>[] = []
    for (const [i, s] of c.sources.entries()) {
      const what = c.sources.length > 1 ? `${c.title} (part ${i + 1} of ${c.sources.length})` : c.title
      const file = await this.sourceFile(c.id, i, s.format === 'parquet' ? '.parquet' : '.txt')
      const have = await stat(file).then((x) => x.size, () => -1)
      if (have < 0 || (s.bytes !== undefined && have !== s.bytes)) {
        await download({
          ...this.options.transfer, url: s.url, dest: file, what, expectedBytes: s.bytes, sha256: s.sha256, signal, binary: s.format === 'parquet',
          onProgress: (p) => this.emit({ id: c.id, stage: 'downloading', ...p, part: i + 1, parts: c.sources.length, done: false }),
        })
      }
      inputs.push(s.format === 'parquet' ? parquetTextChunks(file, { what }) : textFileChunks(file, what))
    }
    return inputs
  }

  private async *chatCorpus(): AsyncGenerator<string> {
    for (const chunk of chatCorpusChunks({ bytes: this.options.chatCorpusBytes })) yield chunk
  }

  /** Progress for a stage measured in characters read; it also stops the stage when cancelled. */
  private counting(id: string, stage: DownloadProgress['stage'], signal: AbortSignal): (n: number) => void {
    let last = 0
    return (n) => {
      if (signal.aborted) throw new ApiError('CANCELLED', `${id} was cancelled`)
      const now = Date.now()
      if (now - last < 150) return
      last = now
      this.emit({ id, stage, receivedBytes: n, totalBytes: null, done: false })
    }
  }

  // ---------------------------------------------------------------- files and records

  private emit(p: DownloadProgress): void {
    this.onProgress(p)
  }

  private textFile(id: string): string {
    return join(this.dir, `${id}.txt`)
  }
  private recordFile(id: string): string {
    return join(this.dir, `${id}.json`)
  }
  private async sourceFile(id: string, n: number, ext: string): Promise<string> {
    await mkdir(join(this.dir, 'sources'), { recursive: true })
    return join(this.dir, 'sources', `${id}-${n}${ext}`)
  }
  private async hasText(id: string): Promise<boolean> {
    return stat(this.textFile(id)).then(() => true, () => false)
  }

  private catalogAt(id: unknown): CatalogEntry {
    const key = string(id, 'id', 80)
    const c = this.catalog.find((x) => x.id === key)
    if (!c) throw new ApiError('NOT_FOUND', `there is no catalog dataset ${key}`)
    return c
  }

  private name(v: unknown): string {
    const name = string(v, 'name', 200).trim()
    if (!name) throw bad('name must not be empty')
    return name
  }

  private catalogEntry(c: CatalogEntry): DatasetEntry {
    const exact = c.kind === 'download' && c.sources.every((s) => s.bytes !== undefined) ? c.sources.reduce((n, s) => n + (s.bytes ?? 0), 0) : undefined
    return {
      id: c.id, name: c.title, description: c.description, kind: c.kind, source: 'catalog', license: c.license, status: 'available',
      ...(c.kind === 'download' ? { url: c.sources[0].url } : {}),
      ...(exact !== undefined ? { bytes: exact } : c.approxBytes ? { approxBytes: c.approxBytes } : {}),
      ...(c.kind === 'combined' ? { parts: c.parts } : {}),
      ...(c.kind === 'code' ? { extensions: c.extensions, maxBytes: c.maxBytes } : {}),
      ...(c.holdOutLines ? { holdOutLines: true } : {}),
    }
  }

  private entry(r: LocalRecord): Omit<DatasetEntry, 'status'> {
    return {
      id: r.id, name: r.name, description: r.description, kind: r.kind, source: r.source, bytes: r.stats.bytes, stats: summary(r.stats),
      ...(r.url ? { url: r.url } : {}), ...(r.license ? { license: r.license } : {}), ...(r.warnings.length ? { warnings: r.warnings } : {}), ...(r.parts ? { parts: r.parts } : {}),
    }
  }

  private async records(): Promise<Map<string, LocalRecord>> {
    const out = new Map<string, LocalRecord>()
    const names = await readdir(this.dir).catch(() => [] as string[])
    for (const n of names) {
      if (!n.endsWith('.json')) continue
      const id = n.slice(0, -5)
      try {
        const record = await readJson<LocalRecord>(join(this.dir, n))
        await stat(this.textFile(id))
        if (record && record.id === id && record.stats) out.set(id, record)
      } catch {
        // a record without its text, or a damaged or older record, is not a usable dataset
      }
    }
    return out
  }
}
