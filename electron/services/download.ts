// Downloading one file over HTTP(S) to a path: redirects followed, an idle timeout, progress,
// a size and SHA-256 check, and a temp file renamed into place only when everything matched.
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, unlink } from 'node:fs/promises'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { get as httpsGet } from 'node:https'
import { dirname } from 'node:path'
import { ApiError } from '../common/errors'
import { fileError } from './atomic-file'

export interface DownloadOptions {
  url: string
  dest: string
  what: string // for messages: "Tiny Shakespeare"
  expectedBytes?: number
  sha256?: string
  idleTimeoutMs?: number
  signal?: AbortSignal
  onProgress?: (received: number, total: number | null) => void
}


function networkError(what: string, e: unknown): ApiError {
  const code = (e as NodeJS.ErrnoException)?.code ?? ''
  const reason = code ? `${code}` : e instanceof Error ? e.message : String(e)
  return new ApiError('NETWORK', `could not download ${what}: ${reason}`, 'check the internet connection and try again')
}

function open(url: string, what: string, signal: AbortSignal | undefined, redirects = 5): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return reject(new ApiError('BAD_REQUEST', `the address of ${what} is not a valid URL: ${url}`))
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      return reject(new ApiError('BAD_REQUEST', `${what} must be downloaded over http or https`))
    const get = parsed.protocol === 'https:' ? httpsGet : httpGet
    const req = get(parsed, { signal, headers: { 'user-agent': 'microgpt-rlm-pi' } }, (res) => {
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume()
        if (redirects === 0) return reject(new ApiError('NETWORK', `could not download ${what}: too many redirects`))
        return resolve(open(new URL(res.headers.location, parsed).toString(), what, signal, redirects - 1))
      }
      if (status !== 200) {
        res.resume()
        return reject(new ApiError('NETWORK', `could not download ${what}: the server answered ${status}`,
          status === 404 ? 'the file has moved; the catalog needs a new address' : 'try again later'))
      }
      resolve(res)
    })
    req.on('error', (e) => reject(signal?.aborted ? new ApiError('CANCELLED', `the download of ${what} was cancelled`) : networkError(what, e)))
  })
}

export async function download(o: DownloadOptions): Promise<number> {
  const tmp = `${o.dest}.part-${process.pid}`
  await mkdir(dirname(o.dest), { recursive: true })
  const res = await open(o.url, o.what, o.signal)
  const header = Number(res.headers['content-length'])
  const total = o.expectedBytes ?? (Number.isFinite(header) && header > 0 ? header : null)
  const hash = createHash('sha256')
  let received = 0
  let lastReport = 0
  try {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(tmp)
      const fail = (e: ApiError): void => {
        res.destroy()
        out.destroy()
        reject(e)
      }
      let idle = setTimeout(() => fail(networkError(o.what, { code: 'ETIMEDOUT' })), o.idleTimeoutMs ?? 30_000)
      res.on('data', (chunk: Buffer) => {
        clearTimeout(idle)
        idle = setTimeout(() => fail(networkError(o.what, { code: 'ETIMEDOUT' })), o.idleTimeoutMs ?? 30_000)
        received += chunk.length
        hash.update(chunk)
        if (o.expectedBytes !== undefined && received > o.expectedBytes)
          return fail(new ApiError('CORRUPT_DOWNLOAD', `${o.what} is larger than expected; the download was refused`))
        const now = Date.now()
        if (now - lastReport > 150) {
          lastReport = now
          o.onProgress?.(received, total)
        }
      })
      res.on('error', (e) => {
        clearTimeout(idle)
        fail(o.signal?.aborted ? new ApiError('CANCELLED', `the download of ${o.what} was cancelled`) : networkError(o.what, e))
      })
      res.on('aborted', () => {
        clearTimeout(idle)
        fail(o.signal?.aborted ? new ApiError('CANCELLED', `the download of ${o.what} was cancelled`) : networkError(o.what, { code: 'ECONNRESET' }))
      })
      out.on('error', (e) => {
        clearTimeout(idle)
        fail(fileError(e, o.what))
      })
      res.pipe(out)
      out.on('finish', () => {
        clearTimeout(idle)
        resolve()
      })
    })
    if (o.signal?.aborted) throw new ApiError('CANCELLED', `the download of ${o.what} was cancelled`)
    if (o.expectedBytes !== undefined && received !== o.expectedBytes)
      throw new ApiError('NETWORK', `could not download ${o.what}: the connection ended after ${received} of ${o.expectedBytes} bytes`, 'try again')
    if (o.sha256 && hash.digest('hex') !== o.sha256)
      throw new ApiError('CORRUPT_DOWNLOAD', `${o.what} did not match its checksum; it was not saved`, 'try again; if it keeps failing, the source has changed')
    await rename(tmp, o.dest).catch((e) => {
      throw fileError(e, o.what)
    })
    o.onProgress?.(received, total)
    return received
  } catch (e) {
    await unlink(tmp).catch(() => {})
    throw e
  }
}
