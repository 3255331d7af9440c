// download() against a real HTTP server on 127.0.0.1 that misbehaves on purpose: it stalls
// before and after its headers, compresses, and answers with a web page where text belongs.
// Each case says what happened in its own words and leaves no file behind.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { download, type DownloadOptions, type TransferProgress } from '../../../../electron/services/download'
import { corpus, tempDir } from '../../../support/engine'

const text = Buffer.from(corpus(100_000))
const sha256 = createHash('sha256').update(text).digest('hex')
const page = Buffer.from('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>' + 'x'.repeat(5000) + '</body></html>')

const hits = new Map<string, number>()
const requests: { path: string; range?: string; ifRange?: string }[] = []
const cutAt = 30_000

// A file with an ETag that the server cuts off after `cutAt` bytes on the first request, then:
// flaky, answers the Range it is asked for; ignores-range, sends the whole file with a 200;
// wrong-range, a 206 that starts somewhere else; changed, a new ETag, so If-Range fails (200).
function serveResumable(kind: string, headers: IncomingHttpHeaders, res: ServerResponse, hit: number): void {
  const etag = kind === 'changed' && hit > 1 ? '"v2"' : '"v1"'
  if (hit === 1) {
    res.writeHead(200, { 'content-length': text.length, etag })
    // FIN after the bytes (not a reset, which may drop what is still in flight): the client has
    // exactly cutAt bytes when it sees the connection end early
    return void res.write(text.subarray(0, cutAt), () => res.socket?.end())
  }
  const m = /^bytes=(\d+)-$/.exec(headers.range ?? '')
  const honour = m && String(headers['if-range']) === etag && kind !== 'ignores-range'
  if (!honour) return void res.writeHead(200, { 'content-length': text.length, etag }).end(text)
  const from = kind === 'wrong-range' && hit === 2 ? Number(m[1]) - 100 : Number(m[1])
  res.writeHead(206, { 'content-range': `bytes ${from}-${text.length - 1}/${text.length}`, 'content-length': text.length - from, etag })
  res.end(text.subarray(from))
}

describe('download', () => {
  let server: Server
  let base: string
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? ''
      hits.set(path, (hits.get(path) ?? 0) + 1)
      requests.push({ path, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined })
      const resumable = /^\/(flaky|ignores-range|wrong-range|changed)$/.exec(path)?.[1]
      if (resumable) return serveResumable(resumable, req.headers, res, hits.get(path)!)
      switch (path) {
        case '/stall-before-headers':
          return // accept, then say nothing at all
        case '/stall-after-headers':
          res.writeHead(200, { 'content-length': text.length })
          return void res.write(text.subarray(0, 100))
        case '/gzip':
          return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(text))
        case '/deflate':
          return void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateSync(text))
        case '/br':
          return void res.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync(text))
        case '/compress':
          return void res.writeHead(200, { 'content-encoding': 'compress' }).end(text)
        case '/bad-gzip':
          return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(Buffer.concat([gzipSync(text).subarray(0, 200), Buffer.alloc(500, 7)]))
        case '/page.html':
          return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page)
        case '/page-as-text':
          return void res.writeHead(200, { 'content-type': 'text/plain' }).end(page)
        case '/short-page':
          return void res.writeHead(200).end('  <html><body>Not found</body></html>')
        case '/binary':
          return void res.writeHead(200).end(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2]))
        case '/plain':
          return void res.writeHead(200, { 'content-type': 'text/plain' }).end(text)
        case '/loop':
          return void res.writeHead(302, { location: '/loop' }).end()
        case '/busy':
          if ((hits.get(path) ?? 0) <= 2) return void res.writeHead(503).end('busy')
          return void res.writeHead(200).end(text)
        default:
          res.writeHead(404).end()
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => {
    server.closeAllConnections()
    return new Promise((r) => server.close(r))
  })

  function get(path: string, o: Partial<DownloadOptions> = {}) {
    const dir = tempDir('mg-dl-')
    const dest = join(dir, 'set.txt')
    return { dir, dest, done: download({ url: `${base}${path}`, dest, what: 'Set', idleTimeoutMs: 400, attempts: 1, retryDelayMs: 10, ...o }) }
  }
  async function refused(path: string, code: string, message: RegExp, o: Partial<DownloadOptions> = {}): Promise<void> {
    const { dir, done } = get(path, o)
    const error = await done.then(() => null, (e) => e)
    expect(error, path).toMatchObject({ code })
    expect(error.message, path).toMatch(message)
    expect(readdirSync(dir), path).toEqual([]) // no file, no temp file
  }

  it('reports a stalled server as a timeout, before or after its headers', async () => {
    await refused('/stall-before-headers', 'TIMEOUT', /the server sent nothing for 0.4 s/)
    await refused('/stall-after-headers', 'TIMEOUT', /the server sent nothing for 0.4 s/, { expectedBytes: text.length, sha256 })
  })

  it('decodes a gzip, deflate or brotli body and checks the decoded file', async () => {
    for (const path of ['/gzip', '/deflate', '/br']) {
      const { dest, done } = get(path, { expectedBytes: text.length, sha256 })
      expect(await done, path).toBe(text.length)
      expect(readFileSync(dest).equals(text), path).toBe(true)
    }
    await refused('/compress', 'UNSUPPORTED_ENCODING', /encoded as 'compress'/)
    await refused('/bad-gzip', 'CORRUPT_DOWNLOAD', /arrived compressed but damaged/, { expectedBytes: text.length, sha256 })
  })

  it('refuses a web page or a binary file where text was expected, without a size or checksum to go by', async () => {
    await refused('/page.html', 'NOT_TEXT', /sent a web page \(text\/html\)/)
    await refused('/page-as-text', 'NOT_TEXT', /a web page instead of the text file/)
    await refused('/short-page', 'NOT_TEXT', /a web page instead of the text file/)
    await refused('/binary', 'NOT_TEXT', /a binary file, not text/)
    const { dest, done } = get('/plain')
    expect(await done).toBe(text.length)
    expect(existsSync(dest)).toBe(true)
  })

  it('resumes a cut download with a Range request, and the file is byte-identical to the source', async () => {
    const progress: TransferProgress[] = []
    const { dest, done } = get('/flaky', { attempts: 3, expectedBytes: text.length, sha256, onProgress: (p) => progress.push(p) })
    expect(await done).toBe(text.length)
    expect(readFileSync(dest).equals(text)).toBe(true)
    const asked = requests.filter((r) => r.path === '/flaky')
    expect(asked).toHaveLength(2)
    expect(asked[1]).toEqual({ path: '/flaky', range: `bytes=${cutAt}-`, ifRange: '"v1"' })
    expect(progress.at(-1)).toMatchObject({ receivedBytes: text.length, totalBytes: text.length, attempt: 2 })
    expect(readdirSync(dirname(dest))).toEqual(['set.txt']) // no .part, no .partinfo
  })

  it('starts over when the server ignores the range, sends another part, or the file changed', async () => {
    for (const path of ['/ignores-range', '/wrong-range', '/changed']) {
      const { dest, done } = get(path, { attempts: 4, expectedBytes: text.length, sha256 })
      expect(await done, path).toBe(text.length)
      expect(readFileSync(dest).equals(text), path).toBe(true)
    }
    // the wrong 206 was not appended: the attempt after it asked for the whole file again
    expect(requests.filter((r) => r.path === '/wrong-range').map((r) => r.range)).toEqual([undefined, `bytes=${cutAt}-`, undefined])
  })

  it('keeps the part of a failed download, and the next download resumes it', async () => {
    const dir = tempDir('mg-dl-')
    const dest = join(dir, 'set.txt')
    const o = { url: `${base}/flaky`, dest, what: 'Set', attempts: 1, expectedBytes: text.length, sha256 }
    hits.delete('/flaky')
    await expect(download(o)).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining(`after ${cutAt} of ${text.length} bytes`) })
    expect(readdirSync(dir).sort()).toEqual(['set.txt.part', 'set.txt.partinfo'])
    expect(await download(o)).toBe(text.length)
    expect(readFileSync(dest).equals(text)).toBe(true)
    expect(requests.filter((r) => r.path === '/flaky').at(-1)?.range).toBe(`bytes=${cutAt}-`)
  })

  it('retries a busy server with backoff, but not a 404, and gives up on a redirect loop', async () => {
    const { dest, done } = get('/busy', { attempts: 4 })
    expect(await done).toBe(text.length)
    expect(readFileSync(dest).equals(text)).toBe(true)
    expect(hits.get('/busy')).toBe(3)
    await refused('/missing', 'NOT_FOUND', /answered 404/, { attempts: 4 })
    expect(hits.get('/missing')).toBe(1)
    await refused('/loop', 'HTTP_ERROR', /too many redirects/, { attempts: 3 })
    expect(hits.get('/loop')).toBe(6) // the first request and five redirects, once
  })

  it('reports an unreachable host as offline', async () => {
    await expect(download({ url: 'http://no-such-host.invalid/x.txt', dest: join(tempDir('mg-dl-'), 'x.txt'), what: 'Set', attempts: 1 }))
      .rejects.toMatchObject({ code: 'OFFLINE', hint: expect.stringContaining('offline') })
  })

  it('leaves nothing behind when cancelled', async () => {
    const ctrl = new AbortController()
    const { dir, done } = get('/stall-after-headers', { signal: ctrl.signal, idleTimeoutMs: 10_000, attempts: 3 })
    setTimeout(() => ctrl.abort(), 200)
    await expect(done).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(readdirSync(dir)).toEqual([])
  })

  /** Runs `fn` on a fresh tmpfs mounted with `options`, or skips where mounting needs root. */
  async function onTmpfs(options: string, ctx: { skip(): void }, fn: (dir: string) => Promise<void>): Promise<void> {
    const dir = tempDir('mg-dl-fs-')
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) {
      console.log('skipped: cannot mount a tmpfs here (needs root)')
      return ctx.skip()
    }
    try {
      await fn(dir)
    } finally {
      spawnSync('umount', [dir])
    }
  }

  it('says permission is denied on a read-only folder', (ctx) =>
    onTmpfs('ro,size=64k', ctx, async (dir) => {
      await expect(download({ url: `${base}/plain`, dest: join(dir, 'set.txt'), what: 'Set', attempts: 3 }))
        .rejects.toMatchObject({ code: 'PERMISSION', hint: expect.stringContaining('writable') })
    }))

  it('says the disk is full, on a small tmpfs', (ctx) =>
    onTmpfs('size=64k', ctx, async (dir) => {
      await expect(download({ url: `${base}/plain`, dest: join(dir, 'set.txt'), what: 'Set', attempts: 3 }))
        .rejects.toMatchObject({ code: 'DISK_FULL', hint: expect.stringContaining('free some disk space') })
      expect(readdirSync(dir)).toEqual([])
    }))
})
