// Serve mode against thousands of random and malformed HTTP requests and WebSocket frames, sent
// raw on 127.0.0.1 from a fixed seed (so a failure replays). Whatever arrives, the process must
// not throw (vitest fails the run on any uncaught error or unhandled rejection), and afterwards
// the server must still serve its page and an honest client must still be answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { channels } from '../../../../electron/common/contract'
import { startServer, type RunningServer } from '../../../../electron/serve/server'
import { closeCode, frame, rawExchange, rawWebSocket, upgradeRequest } from '../../../support/raw-http'
import { call, connect, echoBackend, fakeStatic } from '../../../support/serve'

// mulberry32: small, seedable, good enough to pick test inputs
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const HTTP_REQUESTS = 3000
const WS_FRAMES = 2000
const CONCURRENCY = 24

async function inParallel(count: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await task(next++)
  }))
}

describe('serve mode fuzz', () => {
  let server: RunningServer
  let host: string
  beforeAll(async () => {
    server = await startServer({ backend: echoBackend(), staticDir: fakeStatic(), port: 0, limits: { maxMessageBytes: 64 * 1024, maxBodyBytes: 256 * 1024 } })
    host = `127.0.0.1:${server.port}`
  })
  afterAll(() => server.close())

  it(`survives ${HTTP_REQUESTS} random and malformed HTTP requests`, async () => {
    const r = rng(8)
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]
    const junk = (n: number): string => Array.from({ length: Math.floor(r() * n) }, () => String.fromCharCode(Math.floor(r() * 256))).join('')
    const targets = (): string => pick(['/', '//', '///x', '/ws', '/api/training.list', '/api/no.such', '/api/', '/%', '/%zz', '/..%2F..%2Fetc%2Fpasswd',
      '/assets/a.js', '/?token=' + junk(20), 'http://evil/', '*', '', '/' + 'a'.repeat(20000), '/\u0000', '/' + junk(40), junk(10)])
    const hosts = (): string | null => pick([host, `localhost:${server.port}`, 'evil.example', `evil.example:${server.port}`, '', '[::1', '[', junk(12), null, `${host}, ${host}`])
    const origins = (): string | null => pick([null, null, 'null', `http://${host}`, 'http://[', junk(16), 'file://', 'http://evil.example'])
    await inParallel(HTTP_REQUESTS, async () => {
      const method = pick(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'DELETE', 'CONNECT', 'G\u0000T', junk(6)])
      const lines = [`${method} ${targets()} ${pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTX', ''])}`]
      const h = hosts()
      if (h !== null) lines.push(`Host: ${h}`)
      const o = origins()
      if (o !== null) lines.push(`Origin: ${o}`)
      if (r() < 0.3) lines.push(`Content-Type: ${pick(['application/json', 'text/plain', junk(10)])}`)
      if (r() < 0.2) lines.push(`Cookie: mgtoken=${junk(30)}`)
      if (r() < 0.2) lines.push(pick(['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: ' + junk(24)]))
      if (r() < 0.1) lines.push(`X-Long: ${'y'.repeat(Math.floor(r() * 40000))}`)
      if (r() < 0.1) lines.push(junk(30))
      const body = r() < 0.3 ? pick(['{}', 'null', '[1]', '{"text":', JSON.stringify({ name: 'n', text: 'x'.repeat(300_000) }), junk(200)]) : ''
      if (body) lines.push(r() < 0.8 ? `Content-Length: ${pick([body.length, body.length + 5, 0, -1, 1e12])}` : 'Transfer-Encoding: chunked')
      await rawExchange(server.port, Buffer.from(`${lines.join(pick(['\r\n', '\n', '\r']))}\r\n\r\n${body}`, 'latin1'), 1000)
    })
    expect((await fetch(server.url)).status).toBe(200)
  }, 120_000)

  it(`survives ${WS_FRAMES} random and malformed WebSocket frames`, async () => {
    const r = rng(9)
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]
    const names = channels().map((c) => c.channel)
    const payloads = (): Buffer => {
      const choice = Math.floor(r() * 8)
      if (choice === 0) return Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)))
      const values = [null, 0, -1, 1e308, 'x', [], {}, { id: 'x' }, true, { __proto__: { a: 1 } }]
      const msg = pick<unknown>([
        { id: Math.floor(r() * 1e6), channel: pick(names), payload: pick(values) },
        { id: pick(values), channel: pick(names) },
        { id: 1, channel: pick(['__proto__.x', 'constructor.name', 'system.info.x', '', 'x'.repeat(1000)]) },
        pick(values),
        '{"id":1,"channel":"system.info","payload":' + '['.repeat(5000),
      ])
      return Buffer.from(typeof msg === 'string' ? msg : JSON.stringify(msg) ?? 'undefined')
    }
    let sock = await rawWebSocket(server.port)
    let closed = closeCode(sock, 500)
    let open = true
    void closed.then(() => (open = false))
    for (let i = 0; i < WS_FRAMES; i++) {
      if (!open || r() < 0.05) {
        sock.destroy()
        sock = await rawWebSocket(server.port, '/ws')
        closed = closeCode(sock, 500)
        open = true
        void closed.then(() => (open = false))
      }
      const data = payloads()
      const bytes = frame(data, {
        opcode: pick([1, 1, 1, 1, 2, 0, 3, 8, 9, 10, 15]),
        fin: r() < 0.9,
        mask: r() < 0.95,
        announcedLength: r() < 0.05 ? pick([0, data.length + 10, 1 << 20, 2 ** 40]) : undefined,
      })
      sock.write(r() < 0.05 ? bytes.subarray(0, Math.floor(r() * bytes.length)) : bytes)
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    sock.destroy()
    // half-finished handshakes too
    await inParallel(200, async (i) => rawExchange(server.port, upgradeRequest(pick(['/ws', '//', '/ws?token=' + i]), { Host: pick([host, 'evil']) }).slice(0, Math.floor(r() * 200)), 300))

    const honest = await connect(`ws://${host}/ws`)
    expect(await call(honest, 'training.list')).toMatchObject({ ok: true, value: { channel: 'training.list' } })
    honest.close()
    expect((await fetch(server.url)).status).toBe(200)
  }, 120_000)
})
