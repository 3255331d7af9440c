// Datasets: the shipped catalog (downloaded on demand) and the user's imported texts, stored as
// <id>.txt with an <id>.json record beside it.
import { readdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../common/errors'
import type { DatasetEntry, DownloadProgress } from '../common/types'
import { readJson, writeFileAtomic, writeJsonAtomic } from './atomic-file'
import { download } from './download'
import { isSafeId, newId } from './paths'
import { bad, object, string } from './validate'

export interface CatalogEntry {
  id: string
  name: string
  description: string
  url: string
  bytes: number
  sha256: string
  license: string
}

/** <id>.json beside each dataset's text. */
type LocalRecord = Pick<DatasetEntry, 'id' | 'name' | 'description' | 'source' | 'url' | 'license'> & { addedAt: string }

const MAX_IMPORT_BYTES = 256 * 1024 * 1024

export class DatasetsService {
  private downloads = new Map<string, AbortController>()

  constructor(
    private readonly dir: string,
    private readonly catalog: CatalogEntry[],
    private readonly onProgress: (p: DownloadProgress) => void,
  ) {}

  async list(): Promise<DatasetEntry[]> {
    const records = await this.records()
    const out: DatasetEntry[] = []
    for (const c of this.catalog) {
      const local = records.get(c.id)
      out.push({
        id: c.id, name: c.name, description: c.description, source: 'catalog', url: c.url, license: c.license,
        bytes: local?.bytes ?? c.bytes,
        status: this.downloads.has(c.id) ? 'downloading' : local ? 'ready' : 'available',
      })
    }
    for (const [id, r] of records)
      if (r.record.source === 'imported')
        out.push({ id, name: r.record.name, description: r.record.description, source: 'imported', bytes: r.bytes, status: 'ready' })
    return out
  }

  /** The text file of a ready dataset, for training. */
  async path(id: unknown): Promise<string> {
    if (!isSafeId(id)) throw bad('datasetId is not a valid id')
    const file = join(this.dir, `${id}.txt`)
    try {
      await stat(file)
    } catch {
      const inCatalog = this.catalog.some((c) => c.id === id)
      throw new ApiError('NOT_FOUND', inCatalog ? `dataset ${id} is not downloaded yet` : `there is no dataset ${id}`,
        inCatalog ? 'download it from the Datasets page first' : undefined)
    }
    return file
  }

  async download(payload: unknown): Promise<DatasetEntry> {
    const id = string(object(payload, 'the request').id, 'id', 80)
    const c = this.catalog.find((x) => x.id === id)
    if (!c) throw new ApiError('NOT_FOUND', `there is no catalog dataset ${id}`)
    if (this.downloads.has(id)) throw new ApiError('BUSY', `${c.name} is already downloading`)
    const ctrl = new AbortController()
    this.downloads.set(id, ctrl)
    try {
      const bytes = await download({
        url: c.url, dest: join(this.dir, `${id}.txt`), what: c.name, expectedBytes: c.bytes, sha256: c.sha256,
        signal: ctrl.signal,
        onProgress: (receivedBytes, totalBytes) => this.onProgress({ id, receivedBytes, totalBytes, done: false }),
      })
      const record: LocalRecord = { id, name: c.name, description: c.description, source: 'catalog', url: c.url, license: c.license, addedAt: new Date().toISOString() }
      await writeJsonAtomic(join(this.dir, `${id}.json`), record, `the record of ${c.name}`)
      this.onProgress({ id, receivedBytes: bytes, totalBytes: c.bytes, done: true })
      return { id, name: c.name, description: c.description, source: 'catalog', url: c.url, license: c.license, bytes, status: 'ready' }
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('INTERNAL', String(e))
      this.onProgress({ id, receivedBytes: 0, totalBytes: c.bytes, done: true, error: err.toShape() })
      throw err
    } finally {
      this.downloads.delete(id)
    }
  }

  async cancelDownload(payload: unknown): Promise<void> {
    const id = string(object(payload, 'the request').id, 'id', 80)
    const ctrl = this.downloads.get(id)
    if (!ctrl) throw new ApiError('NOT_FOUND', `${id} is not downloading`)
    ctrl.abort()
  }

  async import(payload: unknown): Promise<DatasetEntry> {
    const o = object(payload, 'the request')
    const name = string(o.name, 'name', 200).trim()
    if (!name) throw bad('name must not be empty')
    const text = string(o.text, 'text', MAX_IMPORT_BYTES)
    if (text.length < 100) throw bad('the text is too short to train on (it needs at least 100 characters)')
    const id = newId('text')
    await writeFileAtomic(join(this.dir, `${id}.txt`), text, `dataset ${name}`)
    const record: LocalRecord = { id, name, description: `imported text, ${text.length.toLocaleString('en')} characters`, source: 'imported', addedAt: new Date().toISOString() }
    await writeJsonAtomic(join(this.dir, `${id}.json`), record, `the record of ${name}`)
    return { id, name, description: record.description, source: 'imported', bytes: Buffer.byteLength(text), status: 'ready' }
  }

  async remove(payload: unknown): Promise<void> {
    const id = string(object(payload, 'the request').id, 'id', 80)
    if (!isSafeId(id)) throw bad('id is not a valid id')
    if (this.downloads.has(id)) throw new ApiError('BUSY', 'cancel the download first')
    const existed = await Promise.all([unlink(join(this.dir, `${id}.txt`)), unlink(join(this.dir, `${id}.json`))].map((p) => p.then(() => true, () => false)))
    if (!existed.some(Boolean)) throw new ApiError('NOT_FOUND', `there is no dataset ${id}`)
  }

  private async records(): Promise<Map<string, { record: LocalRecord; bytes: number }>> {
    const out = new Map<string, { record: LocalRecord; bytes: number }>()
    let names: string[] = []
    try {
      names = await readdir(this.dir)
    } catch {
      return out
    }
    for (const n of names) {
      if (!n.endsWith('.json')) continue
      const id = n.slice(0, -5)
      try {
        const record = await readJson<LocalRecord>(join(this.dir, n))
        const s = await stat(join(this.dir, `${id}.txt`))
        if (record) out.set(id, { record, bytes: s.size })
      } catch {
        // a record without its text, or a damaged record, is not a usable dataset
      }
    }
    return out
  }
}
