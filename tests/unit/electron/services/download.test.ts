// download() against a real HTTP server on 127.0.0.1 that misbehaves on purpose: it stalls
// before and after its headers, compresses, and answers with a web page where text belongs.
// Each case says what happened in its own words and leaves no file behind.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { download, type DownloadOptions } from '../../../../electron/services/download'
import { corpus, tempDir } from '../../../support/engine'

const text = Buffer.from(corpus(100_000))
const sha256 = createHash('sha256').update(text).digest('hex')
const page = Buffer.from('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>' + 'x'.repeat(5000) + '</body></html>')

describe('download', () => {
  let server: Server
  let base: string
  beforeAll(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
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
    return { dir, dest, done: download({ url: `${base}${path}`, dest, what: 'Set', idleTimeoutMs: 400, ...o }) }
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
})
