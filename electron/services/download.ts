// Downloading one text file over HTTP(S) to a path, so that a flaky connection costs minutes, not
// the download:
//   - the bytes go to <dest>.part; a failed attempt keeps them, and the next attempt (now, after
//     a backoff, or in a later call) asks for the rest with a Range request validated by If-Range
//     (the ETag or Last-Modified the first response gave, kept in <dest>.partinfo);
//   - a 200 to a Range request restarts from zero; a 206 whose Content-Range does not start where
//     the part ends is never appended: the part is dropped and the next attempt starts over;
//   - transient failures (a cut connection, a stall, a 5xx or 429) are retried with backoff;
//     the rest (404, a web page where text belongs, a full disk, a cancel) end the download;
//   - redirects are followed up to 5, a compressed body is decoded (and then not resumable), a
//     web page or binary file is refused where text was expected;
//   - the part is renamed into place only when its size and SHA-256 match, where they are known.
// Cancelling leaves nothing behind.
import { createHash, type Hash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { get as httpsGet } from 'node:https'
import { dirname } from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { ApiError } from '../common/errors'
import { fileError, writeJsonAtomic } from './atomic-file'
import { TransferRate } from './transfer-rate'

export interface TransferProgress {
  receivedBytes: number
  totalBytes: number | null
  bytesPerSec: number | null // smoothed; null until there is a measurement
  etaSeconds: number | null
  attempt: number // 1 for the first try
}

export interface DownloadOptions {
  url: string
  dest: string
  what: string // for messages: "Tiny Shakespeare"
  expectedBytes?: number // of the file itself (after any Content-Encoding is decoded)
  sha256?: string
  idleTimeoutMs?: number // the longest the server may send nothing, before or during the body
  attempts?: number // tries in all, for transient failures (default 5)
  retryDelayMs?: number // the first backoff; it doubles each time (default 1000)
  binary?: boolean // a file that is not text (Parquet): only a web page is refused, not NUL bytes
  signal?: AbortSignal
  onProgress?: (p: TransferProgress) => void
}

const defaultIdleMs = 30_000
const sniffBytes = 4096

/** The state of a partial download, kept beside its .part file. */
interface PartInfo {
  url: string
  etag?: string
  lastModified?: string
}

// ---- errors: each says what happened and what to do

const transientCodes = new Set(['NETWORK', 'TIMEOUT', 'SERVER_ERROR', 'RANGE_MISMATCH', 'RESUME_CORRUPT'])

function networkError(what: string, e: unknown): ApiError {
  const code = (e as NodeJS.ErrnoException)?.code ?? ''
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENETUNREACH' || code === 'EHOSTUNREACH')
    return new ApiError('OFFLINE', `could not download ${what}: the server cannot be reached (${code})`,
      'check the internet connection; the built-in chat corpus and your own files work offline')
  const reason = code ? `${code}` : e instanceof Error ? e.message : String(e)
  return new ApiError('NETWORK', `could not download ${what}: ${reason}`, 'check the internet connection and try again')
}

function timeoutError(what: string, ms: number): ApiError {
  return new ApiError('TIMEOUT', `could not download ${what}: the server sent nothing for ${ms / 1000} s`,
    'the server is slow or not answering; try again later')
}

function statusError(what: string, status: number): ApiError {
  if (status >= 500 || status === 429)
    return new ApiError('SERVER_ERROR', `could not download ${what}: the server answered ${status}`, 'the server has a problem; try again later')
  if (status === 404 || status === 410)
    return new ApiError('NOT_FOUND', `could not download ${what}: the server answered ${status} (no such file)`, 'the file has moved; the catalog needs a new address')
  return new ApiError('HTTP_ERROR', `could not download ${what}: the server answered ${status}`, 'the server refused the download; try again later')
}

const cancelled = (what: string): ApiError => new ApiError('CANCELLED', `the download of ${what} was cancelled`)
const notText = (what: string, why: string): ApiError =>
  new ApiError('NOT_TEXT', `could not download ${what}: ${why}`, 'the network may need a sign-in (a hotel or café Wi-Fi page), or the file has moved')

// ---- one HTTP exchange

function open(url: string, what: string, o: { signal?: AbortSignal; idleMs: number; headers: Record<string, string> }, redirects = 5): Promise<IncomingMessage> {
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
    const req = get(parsed, { signal: o.signal, headers: { 'user-agent': 'microgpt-rlm-pi', ...o.headers } }, (res) => {
      req.setTimeout(0) // from here the transfer watches the body itself
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume()
        if (redirects === 0) return reject(new ApiError('HTTP_ERROR', `could not download ${what}: too many redirects`, 'the catalog needs a new address'))
        return resolve(open(new URL(res.headers.location, parsed).toString(), what, o, redirects - 1))
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
function whyNot(head: Buffer, binary: boolean): string | null {
  const start = head.subarray(0, 1024).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase()
  if (/^<(!doctype html|html|head|body)[\s>]/.test(start)) return `the server sent a web page instead of the ${binary ? 'file' : 'text file'}`
  if (!binary && head.subarray(0, sniffBytes).includes(0)) return 'the server sent a binary file, not text'
  return null
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0)
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
}

// ---- one attempt: from where the part file ends, to the end of the body

interface Attempt {
  received: number
  hash: Hash
  resumed: boolean // bytes from an earlier attempt are part of the file
}

async function attemptOnce(o: DownloadOptions, part: string, infoFile: string, attempt: number, rate: TransferRate): Promise<Attempt> {
  const idleMs = o.idleTimeoutMs ?? defaultIdleMs
  const info = await readFile(infoFile, 'utf8').then((t) => JSON.parse(t) as PartInfo, () => null)
  const have = await sizeOf(part)
  const validator = info && info.url === o.url ? (info.etag && !info.etag.startsWith('W/') ? info.etag : info.lastModified) : undefined
  const offset = validator && have > 0 ? have : 0
  // everything that reads the disk happens before the request: once the response is here, its
  // body must be piped at once (a connection cut while we waited would lose what it brought)
  const partHash = createHash('sha256')
  if (offset > 0) await hashFile(part, partHash)
  // identity, so that a byte range means bytes of the file; a server may still compress
  const headers: Record<string, string> = { 'accept-encoding': 'identity' }
  if (offset > 0) Object.assign(headers, { range: `bytes=${offset}-`, 'if-range': validator! })
  const res = await open(o.url, o.what, { signal: o.signal, idleMs, headers })
  const status = res.statusCode ?? 0
  const drop = (e: ApiError): never => {
    res.destroy()
    throw e
  }
  if (status === 416) {
    await Promise.all([unlink(part), unlink(infoFile)].map((p) => p.catch(() => {})))
    drop(new ApiError('RANGE_MISMATCH', `the server refused to continue ${o.what}; starting over`))
  }
  if (status !== 200 && status !== 206) drop(statusError(o.what, status))
  let start = 0
  if (status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? '').trim())
    if (offset === 0 || !m || Number(m[1]) !== offset) {
      // never append bytes from somewhere else: drop the part, the next attempt starts over
      await Promise.all([unlink(part), unlink(infoFile)].map((p) => p.catch(() => {})))
      drop(new ApiError('RANGE_MISMATCH', `the server sent the wrong part of ${o.what}; starting over`))
    }
    start = offset
  }
  const type = String(res.headers['content-type'] ?? '').toLowerCase()
  if (/^(text\/html|application\/xhtml\+xml)\b/.test(type)) drop(notText(o.what, `the server sent a web page (${type.split(';')[0]}) instead of the text file`))
  let decode: Transform | null = null
  try {
    decode = decoder(res.headers['content-encoding'], o.what)
  } catch (e) {
    drop(e as ApiError)
  }
  // a fresh start: remember how to ask for the rest (awaited after the body), unless a compressed
  // body makes a byte range meaningless
  let infoWrite: Promise<unknown> = Promise.resolve()
  if (start === 0) {
    const etag = res.headers.etag
    const lastModified = res.headers['last-modified']
    infoWrite = unlink(infoFile).catch(() => {}).then(() =>
      !decode && (etag || lastModified) ? writeJsonAtomic(infoFile, { url: o.url, etag, lastModified } satisfies PartInfo, `the download state of ${o.what}`) : undefined)
    infoWrite.catch(() => {})
  }
  const header = Number(res.headers['content-length'])
  const total = o.expectedBytes ?? (!decode && Number.isFinite(header) && header > 0 ? start + header : null)
  const hash = start > 0 ? partHash : createHash('sha256')
  let received = start
  let head = Buffer.alloc(0)
  let lastReport = 0
  const report = (): void => {
    const now = Date.now()
    if (now - lastReport < 150) return
    lastReport = now
    const bytesPerSec = rate.add(received, now)
    const etaSeconds = total !== null && bytesPerSec ? Math.max(0, (total - received) / bytesPerSec) : null
    o.onProgress?.({ receivedBytes: received, totalBytes: total, bytesPerSec, etaSeconds, attempt })
  }

  // Counts, hashes and checks the decoded bytes on their way to the part file; a fresh start's
  // first 4 KiB are looked at before anything is kept.
  const check = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      received += chunk.length
      if (o.expectedBytes !== undefined && received > o.expectedBytes)
        return done(new ApiError('CORRUPT_DOWNLOAD', `${o.what} is larger than expected; the download was refused`))
      if (start === 0 && head.length < sniffBytes) {
        head = Buffer.concat([head, chunk.subarray(0, sniffBytes - head.length)])
        const why = head.length === sniffBytes ? whyNot(head, o.binary ?? false) : null
        if (why) return done(notText(o.what, why))
      }
      hash.update(chunk)
      report()
      done(null, chunk)
    },
    flush(done: TransformCallback) {
      const why = start === 0 && head.length < sniffBytes ? whyNot(head, o.binary ?? false) : null // a file shorter than the window
      done(why ? notText(o.what, why) : null)
    },
  })

  // The body flows res -> (decode) -> check -> part file. When the connection ends early or
  // stalls, the bytes already checked are still written out before the attempt fails, so the
  // part holds exactly what arrived and the next attempt asks for the rest.
  const body = new Promise<void>((resolve, reject) => {
    const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' })
    let settled = false
    let cut: ApiError | null = null // the connection's failure, reported once the part is flushed
    const finish = (e: ApiError | null): void => {
      if (settled) return
      settled = true // before destroying anything: destroy() emits errors of its own
      clearTimeout(idle)
      if (e) {
        res.destroy()
        out.destroy()
        reject(e)
      } else resolve()
    }
    const ended = (): ApiError => o.signal?.aborted ? cancelled(o.what)
      : new ApiError('NETWORK', `could not download ${o.what}: the connection ended after ${received}${total ? ` of ${total}` : ''} bytes`,
        'check the internet connection and try again')
    const cutShort = (e: ApiError): void => {
      if (cut || settled) return
      cut = e
      clearTimeout(idle)
      res.unpipe()
      res.destroy()
      if (decode) return finish(e) // a cut compressed stream cannot be resumed: nothing to keep
      check.end() // flush what arrived; out's 'finish' then reports `cut`
    }
    const stall = (): void => cutShort(timeoutError(o.what, idleMs))
    let idle = setTimeout(stall, idleMs)
    res.on('data', () => {
      clearTimeout(idle)
      idle = setTimeout(stall, idleMs)
    })
    res.on('error', () => cutShort(ended()))
    res.on('end', () => {
      if (!res.complete) cutShort(ended())
    })
    decode?.on('error', (e: NodeJS.ErrnoException) =>
      finish(new ApiError('CORRUPT_DOWNLOAD', `${o.what} arrived compressed but damaged (${e.code ?? e.message}); it was not saved`, 'try again')))
    check.on('error', (e) => finish(e instanceof ApiError ? e : networkError(o.what, e)))
    out.on('error', (e) => finish(fileError(e, o.what)))
    out.on('finish', () => finish(cut ?? (res.complete ? null : ended())))
    ;(decode ? res.pipe(decode) : res).pipe(check).pipe(out)
  })
  try {
    await body
  } finally {
    await infoWrite.catch(() => {})
  }
  if (decode) await unlink(infoFile).catch(() => {}) // nothing to resume from a decoded body
  return { received, hash, resumed: start > 0 }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })

export async function download(o: DownloadOptions): Promise<number> {
  const part = `${o.dest}.part`
  const infoFile = `${o.dest}.partinfo`
  const attempts = o.attempts ?? 5
  const rate = new TransferRate()
  await mkdir(dirname(o.dest), { recursive: true }).catch((e) => {
    throw fileError(e, o.what)
  })
  const forget = (): Promise<unknown> => Promise.all([unlink(part), unlink(infoFile)].map((p) => p.catch(() => {})))
  for (let attempt = 1; ; attempt++) {
    try {
      if (o.signal?.aborted) throw cancelled(o.what)
      const a = await attemptOnce(o, part, infoFile, attempt, rate)
      if (o.signal?.aborted) throw cancelled(o.what)
      if (o.expectedBytes !== undefined && a.received !== o.expectedBytes)
        throw new ApiError('NETWORK', `could not download ${o.what}: the connection ended after ${a.received} of ${o.expectedBytes} bytes`, 'try again')
      if (o.sha256 && a.hash.digest('hex') !== o.sha256) {
        await forget()
        // bytes kept from an earlier attempt may be what is wrong: one clean try more
        if (a.resumed) throw new ApiError('RESUME_CORRUPT', `${o.what} did not match its checksum after resuming; starting over`)
        throw new ApiError('CORRUPT_DOWNLOAD', `${o.what} did not match its checksum; it was not saved`, 'try again; if it keeps failing, the source has changed')
      }
      await rename(part, o.dest).catch((e) => {
        throw fileError(e, o.what)
      })
      await unlink(infoFile).catch(() => {})
      o.onProgress?.({ receivedBytes: a.received, totalBytes: a.received, bytesPerSec: rate.current(), etaSeconds: 0, attempt })
      return a.received
    } catch (e) {
      const err = e instanceof ApiError ? e : networkError(o.what, e)
      const again = transientCodes.has(err.code) && attempt < attempts && !o.signal?.aborted
      if (!again) {
        // kept for a later resume only when the failure was the network's and the server gave a
        // validator to resume with; anything else ends it
        const resumable = await stat(infoFile).then(() => true, () => false)
        if (!transientCodes.has(err.code) || o.signal?.aborted || !resumable) await forget()
        if (o.signal?.aborted) throw cancelled(o.what)
        if (err.code === 'RANGE_MISMATCH' || err.code === 'RESUME_CORRUPT')
          throw new ApiError('NETWORK', `could not download ${o.what}: ${err.message}`, 'try again')
        throw err
      }
      const immediate = err.code === 'RANGE_MISMATCH' || err.code === 'RESUME_CORRUPT'
      await sleep(immediate ? 0 : (o.retryDelayMs ?? 1000) * 2 ** (attempt - 1), o.signal)
    }
  }
}
