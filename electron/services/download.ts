// Downloading one text file over HTTP(S) to a path: redirects followed, an idle timeout from
// the first byte of the request to the last of the body, a compressed body decoded, progress, a
// size and SHA-256 check, a web page refused where text was expected, and a temp file renamed
// into place only when everything matched.
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, unlink } from 'node:fs/promises'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { get as httpsGet } from 'node:https'
import { dirname } from 'node:path'
import { Transform, pipeline, type TransformCallback } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { ApiError } from '../common/errors'
import { fileError } from './atomic-file'

export interface DownloadOptions {
  url: string
  dest: string
  what: string // for messages: "Tiny Shakespeare"
  expectedBytes?: number // of the file itself (after any Content-Encoding is decoded)
  sha256?: string
  idleTimeoutMs?: number // the longest the server may send nothing, before or during the body
  signal?: AbortSignal
  onProgress?: (received: number, total: number | null) => void
}

const defaultIdleMs = 30_000

function networkError(what: string, e: unknown): ApiError {
  const code = (e as NodeJS.ErrnoException)?.code ?? ''
  const reason = code ? `${code}` : e instanceof Error ? e.message : String(e)
  return new ApiError('NETWORK', `could not download ${what}: ${reason}`, 'check the internet connection and try again')
}

function timeoutError(what: string, ms: number): ApiError {
  return new ApiError('TIMEOUT', `could not download ${what}: the server sent nothing for ${ms / 1000} s`,
    'the server is slow or not answering; try again later')
}

const cancelled = (what: string): ApiError => new ApiError('CANCELLED', `the download of ${what} was cancelled`)

function open(url: string, what: string, o: { signal?: AbortSignal; idleMs: number }, redirects = 5): Promise<IncomingMessage> {
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
    const headers = { 'user-agent': 'microgpt-rlm-pi', 'accept-encoding': 'gzip, deflate, br' }
    const req = get(parsed, { signal: o.signal, headers }, (res) => {
      req.setTimeout(0) // from here download() watches the body itself
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume()
        if (redirects === 0) return reject(new ApiError('NETWORK', `could not download ${what}: too many redirects`))
        return resolve(open(new URL(res.headers.location, parsed).toString(), what, o, redirects - 1))
      }
      if (status !== 200) {
        res.resume()
        return reject(new ApiError('NETWORK', `could not download ${what}: the server answered ${status}`,
          status === 404 ? 'the file has moved; the catalog needs a new address' : 'try again later'))
      }
      resolve(res)
    })
    // a server that accepts the connection and then says nothing (no headers) times out too
    req.setTimeout(o.idleMs, () => req.destroy(timeoutError(what, o.idleMs)))
    req.on('error', (e) => reject(o.signal?.aborted ? cancelled(what) : e instanceof ApiError ? e : networkError(what, e)))
  })
}

/** The decoder for a Content-Encoding, null for none; throws for one we cannot read. */
function decoder(encoding: string | undefined, what: string): Transform | null {
  const e = (encoding ?? 'identity').trim().toLowerCase()
  if (e === 'identity' || e === '') return null
  if (e === 'gzip' || e === 'x-gzip') return createGunzip()
  if (e === 'deflate') return createInflate()
  if (e === 'br') return createBrotliDecompress()
  throw new ApiError('UNSUPPORTED_ENCODING', `could not download ${what}: the server sent it encoded as '${e.slice(0, 40)}', which this app cannot decode`,
    'download the file yourself and import it')
}

/** Why the start of a body is not the text file it should be, or null when it may be. */
function notText(head: Buffer): string | null {
  const start = head.subarray(0, 1024).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase()
  if (/^<(!doctype html|html|head|body)[\s>]/.test(start)) return 'the server sent a web page instead of the text file (an error or sign-in page?)'
  if (head.subarray(0, 4096).includes(0)) return 'the server sent a binary file, not text'
  return null
}

export async function download(o: DownloadOptions): Promise<number> {
  const idleMs = o.idleTimeoutMs ?? defaultIdleMs
  const tmp = `${o.dest}.part-${process.pid}`
  await mkdir(dirname(o.dest), { recursive: true })
  const res = await open(o.url, o.what, { signal: o.signal, idleMs })
  const type = String(res.headers['content-type'] ?? '').toLowerCase()
  if (/^(text\/html|application\/xhtml\+xml)\b/.test(type)) {
    res.destroy()
    throw new ApiError('NOT_TEXT', `could not download ${o.what}: the server sent a web page (${type.split(';')[0]}) instead of the text file`,
      'the address may need a sign-in, or the file has moved')
  }
  let decode: Transform | null
  try {
    decode = decoder(res.headers['content-encoding'], o.what)
  } catch (e) {
    res.destroy()
    throw e
  }
  const header = Number(res.headers['content-length'])
  const total = o.expectedBytes ?? (!decode && Number.isFinite(header) && header > 0 ? header : null)
  const hash = createHash('sha256')
  let received = 0
  let lastReport = 0
  let head = Buffer.alloc(0)

  // Counts, hashes and checks the decoded bytes on their way to the file; the first 4 KiB are
  // looked at before anything is kept.
  const refuse = (why: string): ApiError => new ApiError('NOT_TEXT', `could not download ${o.what}: ${why}`, 'the address may need a sign-in, or the file has moved')
  const check = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      received += chunk.length
      if (o.expectedBytes !== undefined && received > o.expectedBytes)
        return done(new ApiError('CORRUPT_DOWNLOAD', `${o.what} is larger than expected; the download was refused`))
      if (head.length < 4096) {
        head = Buffer.concat([head, chunk.subarray(0, 4096 - head.length)])
        const why = head.length === 4096 ? notText(head) : null
        if (why) return done(refuse(why))
      }
      hash.update(chunk)
      const now = Date.now()
      if (now - lastReport > 150) {
        lastReport = now
        o.onProgress?.(received, total)
      }
      done(null, chunk)
    },
    flush(done: TransformCallback) {
      const why = head.length < 4096 ? notText(head) : null // a file shorter than the window
      done(why ? refuse(why) : null)
    },
  })

  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const finish = (e: ApiError | null): void => {
        if (settled) return
        settled = true // before destroying anything: destroy() emits errors of its own
        clearTimeout(idle)
        if (e) {
          res.destroy()
          reject(e)
        } else resolve()
      }
      const stall = (): void => finish(timeoutError(o.what, idleMs))
      let idle = setTimeout(stall, idleMs)
      res.on('data', () => {
        clearTimeout(idle)
        idle = setTimeout(stall, idleMs)
      })
      // Each stage's own failure, in its own words; these listeners run before pipeline's.
      const ended = (): ApiError => o.signal?.aborted ? cancelled(o.what)
        : new ApiError('NETWORK', `could not download ${o.what}: the connection ended after ${received}${total ? ` of ${total}` : ''} bytes`,
          'check the internet connection and try again')
      res.on('error', () => finish(ended()))
      decode?.on('error', (e: NodeJS.ErrnoException) =>
        finish(new ApiError('CORRUPT_DOWNLOAD', `${o.what} arrived compressed but damaged (${e.code ?? e.message}); it was not saved`, 'try again')))
      check.on('error', (e) => finish(e instanceof ApiError ? e : networkError(o.what, e)))
      const out = createWriteStream(tmp)
      out.on('error', (e) => finish(fileError(e, o.what)))
      const stages = (decode ? [res, decode, check, out] : [res, check, out]) as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]
      pipeline(stages, (err) => finish(err ? ended() : null))
    })
    if (o.signal?.aborted) throw cancelled(o.what)
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
