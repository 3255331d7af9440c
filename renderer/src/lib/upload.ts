// A file from this computer sent to serve mode as a dataset: POST /upload/dataset streams the
// raw bytes to disk (the page's cookie carries the token). XMLHttpRequest rather than fetch,
// because only it reports upload progress.
import type { Envelope } from '@common/errors'
import { ApiError } from '@common/errors'
import type { DatasetEntry } from '@common/types'

export function uploadDataset(file: File, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<DatasetEntry> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `/upload/dataset?name=${encodeURIComponent(file.name)}`)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size)
    xhr.onload = () => {
      let env: Envelope<DatasetEntry> | null = null
      try {
        env = JSON.parse(xhr.responseText) as Envelope<DatasetEntry>
      } catch {
        reject(new ApiError(`HTTP_${xhr.status}`, xhr.responseText.trim() || `the app answered HTTP ${xhr.status}`))
        return
      }
      if (env.ok) resolve(env.value)
      else reject(new ApiError(env.error.code, env.error.message, env.error.hint))
    }
    xhr.onerror = () => reject(new ApiError('DISCONNECTED', `could not send ${file.name} to the app`, 'check that `npm run serve` is still running'))
    xhr.onabort = () => reject(new ApiError('CANCELLED', `the upload of ${file.name} was cancelled`))
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(file)
  })
}
