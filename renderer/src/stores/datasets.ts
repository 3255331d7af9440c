// Datasets (the datasets namespace): the catalog and your own texts, downloads with their live
// progress (routed by dataset id), previews, imports and combining.
import type { DatasetEntry, DatasetPreview, DownloadProgress } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, transport } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'
import { uploadDataset } from '../lib/upload'

export interface UploadState {
  name: string
  sent: number
  total: number
}

export const useDatasetsStore = defineStore('datasets', () => {
  const entries = ref<DatasetEntry[]>([])
  const loaded = ref(false)
  const error = ref<ShownError | null>(null)
  const progress = ref<Record<string, DownloadProgress>>({})
  const errors = ref<Record<string, ShownError>>({}) // the last failure of each dataset's download
  const previews = ref<Record<string, DatasetPreview>>({})
  const uploads = ref<UploadState[]>([])
  const offline = ref(typeof navigator !== 'undefined' && navigator.onLine === false)
  const canPickFiles = transport.kind === 'ipc' // the desktop app has dialogs; a browser sends files

  api.datasets.onProgress((p) => {
    if (p.done) {
      const { [p.id]: _gone, ...rest } = progress.value
      progress.value = rest
    } else progress.value = { ...progress.value, [p.id]: p }
  })
  if (typeof window !== 'undefined') {
    window.addEventListener('online', () => (offline.value = false))
    window.addEventListener('offline', () => (offline.value = true))
  }

  const ready = computed(() => entries.value.filter((d) => d.status === 'ready'))
  // offline, the datasets that need no network come first: the built-in chat corpus above all
  const ordered = computed(() => {
    if (!offline.value) return entries.value
    const local = (d: DatasetEntry): number => (d.kind === 'builtin' ? 0 : d.status === 'ready' ? 1 : 2)
    return [...entries.value].sort((a, b) => local(a) - local(b))
  })

  function upsert(d: DatasetEntry): void {
    const i = entries.value.findIndex((x) => x.id === d.id)
    if (i >= 0) entries.value.splice(i, 1, d)
    else entries.value.push(d)
  }

  async function load(): Promise<void> {
    try {
      entries.value = await api.datasets.list()
      loaded.value = true
      error.value = null
    } catch (e) {
      error.value = toShownError(e)
    }
  }

  async function download(id: string, foldTypography = false): Promise<boolean> {
    const { [id]: _old, ...rest } = errors.value
    errors.value = rest
    progress.value = { ...progress.value, [id]: { id, stage: 'downloading', receivedBytes: 0, totalBytes: null, done: false } }
    try {
      upsert(await api.datasets.download({ id, foldTypography }))
      return true
    } catch (e) {
      const shown = toShownError(e)
      if (shown.code !== 'CANCELLED') errors.value = { ...errors.value, [id]: shown }
      if (shown.code === 'OFFLINE') offline.value = true
      return false
    } finally {
      const { [id]: _done, ...left } = progress.value
      progress.value = left
      await load()
    }
  }

  async function cancel(id: string): Promise<void> {
    try {
      await api.datasets.cancelDownload({ id })
    } catch (e) {
      errors.value = { ...errors.value, [id]: toShownError(e) }
    }
  }

  async function remove(id: string): Promise<boolean> {
    try {
      await api.datasets.remove({ id })
      const { [id]: _p, ...rest } = previews.value
      previews.value = rest
      await load()
      return true
    } catch (e) {
      errors.value = { ...errors.value, [id]: toShownError(e) }
      return false
    }
  }

  async function preview(id: string): Promise<DatasetPreview | null> {
    try {
      const p = await api.datasets.preview({ id })
      previews.value = { ...previews.value, [id]: p }
      return p
    } catch (e) {
      errors.value = { ...errors.value, [id]: toShownError(e) }
      return null
    }
  }

  /** Your files: the app's file dialog, or (in a browser) the files given, uploaded one by one. */
  async function importFiles(files?: File[]): Promise<DatasetEntry[]> {
    error.value = null
    const added: DatasetEntry[] = []
    try {
      if (canPickFiles || !files) added.push(...(await api.datasets.importFiles()))
      else
        for (const f of files) {
          const state: UploadState = { name: f.name, sent: 0, total: f.size }
          uploads.value = [...uploads.value, state]
          try {
            added.push(
              await uploadDataset(f, (sent, total) => {
                uploads.value = uploads.value.map((u) => (u.name === f.name ? { ...u, sent, total } : u))
              }),
            )
          } finally {
            uploads.value = uploads.value.filter((u) => u.name !== f.name)
          }
        }
    } catch (e) {
      error.value = toShownError(e)
    }
    await load()
    return added
  }

  async function importText(name: string, text: string): Promise<DatasetEntry | null> {
    return run(() => api.datasets.import({ name, text }))
  }
  async function combine(ids: string[], name?: string): Promise<DatasetEntry | null> {
    return run(() => api.datasets.combine({ ids, name }))
  }
  async function buildCode(req: { folder?: string; extensions?: string[]; name?: string }): Promise<DatasetEntry | null> {
    return run(() => api.datasets.buildCode(req))
  }
  async function run(fn: () => Promise<DatasetEntry>): Promise<DatasetEntry | null> {
    error.value = null
    try {
      const d = await fn()
      upsert(d)
      return d
    } catch (e) {
      error.value = toShownError(e)
      return null
    }
  }

  return {
    entries, ordered, ready, loaded, error, progress, errors, previews, uploads, offline, canPickFiles,
    load, download, cancel, remove, preview, importFiles, importText, combine, buildCode,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDatasetsStore, import.meta.hot))
